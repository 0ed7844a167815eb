//! `RequestBudget`: the token-bucket rate limit of one vendor account.
//!
//! Vendors throttle per client, across all endpoints, so every entity of a source draws from
//! the same budget, and every attempt (retries included) costs a token.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// How much slower than the configured rate requests are paced. At exactly the rate, the
/// `rate + burst`-th request leaves one period after the first, so a vendor counting arrivals in
/// any 1-second window can see one more than the rate when the first request's network delay
/// exceeds the last one's by a millisecond; 4 % slack absorbs 40 ms of such jitter at 20/s.
const PACING_SLACK: f64 = 1.04;

/// A shared token bucket: `requests_per_second` steady (paced [`PACING_SLACK`] under it),
/// `burst` at once.
pub struct RequestBudget {
    limiter: DefaultDirectRateLimiter,
}

impl RequestBudget {
    /// A budget of `requests_per_second` (> 0) with bursts of up to `burst` requests.
    pub fn new(requests_per_second: f64, burst: u32) -> Self {
        let period = Duration::from_secs_f64(PACING_SLACK / requests_per_second.max(1e-6));
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Self {
            limiter: RateLimiter::direct(quota),
        }
    }

    /// Waits until a request may go out.
    pub async fn acquire(&self) {
        self.limiter.until_ready().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn rate_plus_one_requests_span_more_than_a_second() {
        // 20/s with a burst of 1: the 21st request leaves after 20 periods, which must be more
        // than a second with room for arrival jitter.
        let budget = RequestBudget::new(20.0, 1);
        let start = std::time::Instant::now();
        for _ in 0..21 {
            budget.acquire().await;
        }
        assert!(
            start.elapsed() >= Duration::from_millis(1_030),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test]
    async fn never_exceeds_the_rate_after_the_burst() {
        let budget = RequestBudget::new(50.0, 1);
        let start = std::time::Instant::now();
        for _ in 0..11 {
            budget.acquire().await;
        }
        // 1 immediately, then 10 more at 20 ms intervals.
        assert!(
            start.elapsed() >= Duration::from_millis(190),
            "{:?}",
            start.elapsed()
        );
    }
}
