//! The one retry policy: exponential backoff with jitter, honouring Retry-After up to a cap.
//!
//! Each vendor says whether an error is worth retrying ([`Retryability`]); this module decides
//! how long to wait and how often, and charges every attempt to the account's budget. A vendor
//! asking to wait longer than `max_retry_after_secs` is not waited for: the page fails at once,
//! saying so (waiting less than asked would only be refused again; waiting longer hangs the run).

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use custlake_client_kit::Retryability;

use crate::config::RetryConfig;
use crate::fetch::budget::RequestBudget;
use crate::sources::{FetchError, FetchedPage, PageSource};

/// Fetches one page, retrying passing failures per `policy`. Every attempt waits for the
/// budget; `on_retry` is told of each retry.
pub async fn fetch_page_with_retries(
    source: &dyn PageSource,
    page: u64,
    budget: &RequestBudget,
    policy: &RetryConfig,
    on_retry: &(dyn Fn() + Send + Sync),
) -> Result<FetchedPage, FetchError> {
    let backoff = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(policy.initial_backoff_ms))
        .with_max_delay(Duration::from_millis(
            policy.max_backoff_ms.max(policy.initial_backoff_ms),
        ))
        .with_max_times(policy.max_attempts.saturating_sub(1) as usize)
        .with_jitter();
    let max_wait = Duration::from_secs(policy.max_retry_after_secs);
    (|| async {
        budget.acquire().await;
        source
            .fetch_page(page)
            .await
            .map_err(|e| refuse_long_retry_after(e, max_wait))
    })
    .retry(backoff)
    .sleep(tokio::time::sleep)
    .when(|e: &FetchError| matches!(e.retryability, Retryability::Retryable { .. }))
    .adjust(|e: &FetchError, planned: Option<Duration>| {
        // A vendor's Retry-After wins over a shorter backoff; None means "no attempts left".
        match (e.retryability, planned) {
            (Retryability::Retryable { after: Some(after) }, Some(planned)) => {
                Some(planned.max(after))
            }
            (_, planned) => planned,
        }
    })
    .notify(|e: &FetchError, wait: Duration| {
        on_retry();
        tracing::debug!(page, wait_ms = wait.as_millis() as u64, error = %e, "retrying page");
    })
    .await
}

/// `error` as a permanent failure when the vendor asked to wait longer than `max_wait`.
fn refuse_long_retry_after(error: FetchError, max_wait: Duration) -> FetchError {
    match error.retryability {
        Retryability::Retryable { after: Some(after) } if after > max_wait => FetchError {
            retryability: Retryability::Permanent,
            message: format!(
                "{}; the vendor asked to wait {} s (Retry-After), more than [sources.retry] \
                 max_retry_after_secs = {}; raise it if the vendor really needs that",
                error.message,
                after.as_secs_f64(),
                max_wait.as_secs()
            ),
        },
        _ => error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retryable(after: Option<Duration>) -> FetchError {
        FetchError {
            retryability: Retryability::Retryable { after },
            message: "U8 customer/batch_get: HTTP 429".into(),
        }
    }

    #[test]
    fn a_retry_after_above_the_cap_fails_the_page_naming_the_setting() {
        let refused = refuse_long_retry_after(
            retryable(Some(Duration::from_secs(999_999_999))),
            Duration::from_secs(300),
        );
        assert_eq!(refused.retryability, Retryability::Permanent);
        assert_eq!(
            refused.message,
            "U8 customer/batch_get: HTTP 429; the vendor asked to wait 999999999 s \
             (Retry-After), more than [sources.retry] max_retry_after_secs = 300; raise it if \
             the vendor really needs that"
        );
        // A date centuries ahead or an unparseably long wait saturates, and is refused too.
        let refused =
            refuse_long_retry_after(retryable(Some(Duration::MAX)), Duration::from_secs(1));
        assert_eq!(refused.retryability, Retryability::Permanent);
    }

    #[test]
    fn a_retry_after_within_the_cap_is_still_retried() {
        for after in [None, Some(Duration::from_secs(300)), Some(Duration::ZERO)] {
            let kept = refuse_long_retry_after(retryable(after), Duration::from_secs(300));
            assert_eq!(kept.retryability, Retryability::Retryable { after });
            assert_eq!(kept.message, "U8 customer/batch_get: HTTP 429");
        }
        let permanent = FetchError {
            retryability: Retryability::Permanent,
            message: "vendor error".into(),
        };
        let kept = refuse_long_retry_after(permanent, Duration::from_secs(1));
        assert_eq!(kept.retryability, Retryability::Permanent);
    }
}
