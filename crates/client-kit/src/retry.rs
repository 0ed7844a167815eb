//! How a vendor error answers "should this request be tried again?".
//!
//! Each client classifies its own errors (a U8 busy code, a YCM 429); the pipeline owns the one
//! generic retry policy and only asks this question.

use std::time::{Duration, SystemTime};

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

/// Reads a `Retry-After` header: seconds (the form both vendors' gateways use) or an HTTP date.
/// The wait is the vendor's, unbounded: a caller decides how long it is willing to wait (the
/// pipeline's `max_retry_after_secs`); a value too large for a `Duration` is `Duration::MAX`.
pub fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    parse_retry_after_at(headers, SystemTime::now())
}

/// [`parse_retry_after`] with the clock given, so a date is read against `now`.
fn parse_retry_after_at(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Some(seconds) = value.parse::<f64>().ok().filter(|s| *s >= 0.0) {
        // NaN fails the filter; infinity and 1e300 do not fit a Duration.
        return Some(Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    // A date in the past means "now"; a date has whole seconds, so the wait is rounded up to one.
    let wait = date.duration_since(now).unwrap_or(Duration::ZERO);
    let whole = wait
        .as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0));
    Some(Duration::from_secs(whole))
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
        headers.insert(RETRY_AFTER, HeaderValue::from_static("-1"));
        assert_eq!(parse_retry_after(&headers), None);
    }

    #[test]
    fn absurd_seconds_saturate_instead_of_panicking() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("999999999"));
        assert_eq!(
            parse_retry_after(&headers),
            Some(Duration::from_secs(999_999_999))
        );
        for huge in ["1e300", "inf", "99999999999999999999999999"] {
            headers.insert(RETRY_AFTER, HeaderValue::from_str(huge).expect("header"));
            assert_eq!(parse_retry_after(&headers), Some(Duration::MAX), "{huge}");
        }
        headers.insert(RETRY_AFTER, HeaderValue::from_static("1.5"));
        assert_eq!(
            parse_retry_after(&headers),
            Some(Duration::from_millis(1500))
        );
    }

    #[test]
    fn reads_http_dates_against_the_clock() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").expect("date");
        let mut headers = HeaderMap::new();
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:30:00 GMT"),
        );
        assert_eq!(
            parse_retry_after_at(&headers, now),
            Some(Duration::from_secs(120))
        );
        // Far in the future: a long wait the caller's cap refuses, not "no Retry-After".
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Fri, 31 Dec 9999 23:59:59 GMT"),
        );
        let wait = parse_retry_after_at(&headers, now).expect("a date");
        assert_eq!(wait.subsec_nanos(), 0, "whole seconds");
        assert!(
            wait > Duration::from_secs(7_000 * 365 * 24 * 3600),
            "{wait:?}"
        );
        // Read against a clock between two seconds: rounded up, never below the date.
        let later = now + Duration::from_millis(400);
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:30:00 GMT"),
        );
        assert_eq!(
            parse_retry_after_at(&headers, later),
            Some(Duration::from_secs(120))
        );
        // In the past: no wait.
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        assert_eq!(parse_retry_after_at(&headers, now), Some(Duration::ZERO));
    }
}
