//! How a vendor error answers "should this request be tried again?".
//!
//! Each client classifies its own errors (a U8 busy code, a YCM 429); the pipeline owns the one
//! generic retry policy and only asks this question.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// Whether a failed request may succeed if sent again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retryability {
    /// Passing trouble (timeout, 429, 5xx, busy): retry, waiting at least `after` when the vendor
    /// said so.
    Retryable {
        /// The vendor's Retry-After, if it sent one.
        after: Option<Duration>,
    },
    /// Retrying cannot help (bad credentials, app not online, a malformed request).
    Permanent,
}

/// Reads a `Retry-After` header given in seconds (the form both vendors' gateways use).
pub fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    value
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn reads_seconds() {
        let mut headers = HeaderMap::new();
        assert_eq!(parse_retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(parse_retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&headers), None);
    }
}
