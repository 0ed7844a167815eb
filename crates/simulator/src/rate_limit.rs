//! The per-client rate limit: a token bucket per client (governor's keyed GCRA limiter).

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::RateLimitConfig;

/// Token buckets keyed by client (U8 app_key, YCM client_id).
pub(crate) struct ClientRateLimit {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl ClientRateLimit {
    /// Buckets of `config.burst` refilled at `config.per_second`; `None` when the config cannot
    /// form a quota (it is validated before).
    pub(crate) fn new(config: &RateLimitConfig) -> Option<Self> {
        let burst = NonZeroU32::new(config.burst)?;
        let period = Duration::from_secs_f64(1.0 / config.per_second);
        let quota = Quota::with_period(period)?.allow_burst(burst);
        Some(Self {
            limiter: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
        })
    }

    /// Takes one token from `client`'s bucket, or says how long until one is available.
    pub(crate) fn check(&self, client: &str) -> Result<(), Duration> {
        self.limiter
            .check_key(&client.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

impl std::fmt::Debug for ClientRateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRateLimit").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_refuses_past_its_burst() {
        let limit = ClientRateLimit::new(&RateLimitConfig {
            burst: 3,
            per_second: 1.0,
        })
        .expect("valid quota");
        for _ in 0..3 {
            assert!(limit.check("a").is_ok());
        }
        let wait = limit.check("a").expect_err("bucket is empty");
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1));
        assert!(limit.check("b").is_ok(), "buckets are per client");
    }
}
