//! Request statistics: per path, the busiest 1-second window, tokens, faults, drift, and a log of
//! the latest U8 list requests' query strings.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

/// A snapshot of what the server has done so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SimStats {
    /// Vendor requests received, by route (e.g. `/api/customer/batch_get`).
    pub requests_by_path: BTreeMap<String, u64>,
    /// All vendor requests received.
    pub total_requests: u64,
    /// The most vendor requests received within any sliding 1-second window (for rate-limit
    /// benchmarks).
    pub max_requests_per_second: u64,
    /// U8 tokens issued.
    pub u8_tokens_issued: u64,
    /// YCM token pairs issued (log-ins and refreshes).
    pub ycm_tokens_issued: u64,
    /// Injected faults by kind (`too_many_requests`, `server_error`, `drop_connection`,
    /// `malformed`, `vendor_error`).
    pub faults_injected: BTreeMap<String, u64>,
    /// Requests refused by the per-client rate limit.
    pub rate_limited: u64,
    /// Tokens that expired (after N calls or by lifetime): the first refusal of each.
    pub tokens_expired: u64,
    /// Later refusals of tokens whose expiry was already answered (requests that were in
    /// flight when the client renewed).
    pub stale_tokens_refused: u64,
    /// Drift events applied (records inserted or deleted between pages).
    pub drift_events: u64,
    /// List pages answered with records (U8 batch_get, YCM list), faults aside.
    pub pages_served: u64,
    /// Records written into those pages.
    pub records_served: u64,
    /// The most vendor requests being answered at the same moment, by route: proof that a
    /// client's concurrency is real (and bounded) without timing anything.
    pub max_in_flight_by_path: BTreeMap<String, u64>,
    /// The latest U8 list requests (customer and customercontacts batch_get) as received,
    /// oldest first, as `path?query` with the secret parameters (`token`) left out: what a
    /// client asked for, e.g. the `timestamp_begin` of an incremental export. Holds the last
    /// [`REQUEST_LOG_LIMIT`] requests.
    pub request_log: Vec<String>,
}

/// How many requests [`SimStats::request_log`] keeps.
pub const REQUEST_LOG_LIMIT: usize = 1000;

#[derive(Debug, Default)]
struct Inner {
    stats: SimStats,
    window: VecDeque<Instant>,
    in_flight: BTreeMap<String, u64>,
    request_log: VecDeque<String>,
}

/// Counts a request as in flight until dropped (see [`StatsCollector::enter`]).
pub(crate) struct InFlight<'a> {
    stats: &'a StatsCollector,
    path: &'a str,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.stats.with(|inner| {
            if let Some(n) = inner.in_flight.get_mut(self.path) {
                *n = n.saturating_sub(1);
            }
        });
    }
}

/// Collects [`SimStats`] from all request handlers.
#[derive(Debug, Default)]
pub(crate) struct StatsCollector {
    inner: Mutex<Inner>,
}

impl StatsCollector {
    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        match self.inner.lock() {
            Ok(mut guard) => f(&mut guard),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// Marks a request on `path` as being answered until the returned guard drops.
    pub(crate) fn enter<'a>(&'a self, path: &'a str) -> InFlight<'a> {
        self.with(|inner| {
            let now = inner.in_flight.entry(path.to_owned()).or_default();
            *now += 1;
            let now = *now;
            let max = inner
                .stats
                .max_in_flight_by_path
                .entry(path.to_owned())
                .or_default();
            *max = (*max).max(now);
        });
        InFlight { stats: self, path }
    }

    /// Counts one vendor request on `path`.
    pub(crate) fn request(&self, path: &str) {
        let now = Instant::now();
        self.with(|inner| {
            *inner
                .stats
                .requests_by_path
                .entry(path.to_owned())
                .or_default() += 1;
            inner.stats.total_requests += 1;
            inner.window.push_back(now);
            while inner
                .window
                .front()
                .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
            {
                inner.window.pop_front();
            }
            let in_window = inner.window.len() as u64;
            inner.stats.max_requests_per_second =
                inner.stats.max_requests_per_second.max(in_window);
        });
    }

    /// Logs a request as `path?query` (the query without secrets), keeping the latest
    /// [`REQUEST_LOG_LIMIT`].
    pub(crate) fn log_request(&self, path: &str, query: &str) {
        let entry = format!("{path}?{query}");
        self.with(|inner| {
            if inner.request_log.len() == REQUEST_LOG_LIMIT {
                inner.request_log.pop_front();
            }
            inner.request_log.push_back(entry);
        });
    }

    /// Counts an injected fault.
    pub(crate) fn fault(&self, name: &str) {
        self.with(|inner| {
            *inner
                .stats
                .faults_injected
                .entry(name.to_owned())
                .or_default() += 1
        });
    }

    /// Counts a rate-limited request.
    pub(crate) fn rate_limited(&self) {
        self.with(|inner| inner.stats.rate_limited += 1);
    }

    /// Counts a token's expiry (its first refused request).
    pub(crate) fn token_expired(&self) {
        self.with(|inner| inner.stats.tokens_expired += 1);
    }

    /// Counts a request refused for a token whose expiry was already answered.
    pub(crate) fn stale_token_refused(&self) {
        self.with(|inner| inner.stats.stale_tokens_refused += 1);
    }

    /// Counts a list page of `records` records.
    pub(crate) fn page(&self, records: u64) {
        self.with(|inner| {
            inner.stats.pages_served += 1;
            inner.stats.records_served += records;
        });
    }

    /// Counts a drift event.
    pub(crate) fn drift(&self) {
        self.with(|inner| inner.stats.drift_events += 1);
    }

    /// The statistics so far; `tokens` are the (U8, YCM) issue counts.
    pub(crate) fn snapshot(&self, tokens: (u64, u64)) -> SimStats {
        let mut stats = self.with(|inner| {
            let mut stats = inner.stats.clone();
            stats.request_log = inner.request_log.iter().cloned().collect();
            stats
        });
        stats.u8_tokens_issued = tokens.0;
        stats.ycm_tokens_issued = tokens.1;
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn busiest_window_is_tracked() {
        let stats = StatsCollector::default();
        for _ in 0..5 {
            stats.request("/a");
        }
        tokio::time::advance(Duration::from_millis(1500)).await;
        for _ in 0..3 {
            stats.request("/b");
        }
        let s = stats.snapshot((1, 2));
        assert_eq!(s.max_requests_per_second, 5);
        assert_eq!(s.total_requests, 8);
        assert_eq!(s.requests_by_path["/b"], 3);
        assert_eq!(s.ycm_tokens_issued, 2);
    }

    #[test]
    fn the_request_log_keeps_the_latest_requests_in_order() {
        let stats = StatsCollector::default();
        for i in 0..REQUEST_LOG_LIMIT + 5 {
            stats.log_request("/p", &format!("page_index={i}"));
        }
        let log = stats.snapshot((0, 0)).request_log;
        assert_eq!(log.len(), REQUEST_LOG_LIMIT);
        assert_eq!(log[0], "/p?page_index=5");
        assert_eq!(
            log.last().map(String::as_str),
            Some(format!("/p?page_index={}", REQUEST_LOG_LIMIT + 4).as_str())
        );
    }
}
