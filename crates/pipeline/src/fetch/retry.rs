//! The one retry policy: exponential backoff with jitter, honouring Retry-After.
//!
//! Each vendor says whether an error is worth retrying ([`Retryability`]); this module decides
//! how long to wait and how often, and charges every attempt to the account's budget.

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
    (|| async {
        budget.acquire().await;
        source.fetch_page(page).await
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
