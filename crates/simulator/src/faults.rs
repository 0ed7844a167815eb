//! Deciding, per request, which fault (if any) to inject and how long to wait.
//!
//! Each decision is a pure function of (seed, request identity, n-th attempt of that identity):
//! a retry of the same page gets a fresh decision, and the outcome does not depend on how
//! concurrent requests interleave. A cap on consecutive faults per identity guarantees that a
//! client that retries always gets through.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::config::FaultConfig;
use crate::hash::{key, unit};

/// An injected fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    /// HTTP 429 with `Retry-After`.
    TooManyRequests,
    /// HTTP 500, 502 or 503.
    ServerError(u16),
    /// Headers and part of the body, then the connection is aborted.
    DropConnection,
    /// HTTP 200 with truncated or corrupted JSON.
    Malformed,
    /// The vendor's error code (busy by default) with HTTP 200.
    VendorError,
}

impl Fault {
    /// Name used in statistics.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Fault::TooManyRequests => "too_many_requests",
            Fault::ServerError(_) => "server_error",
            Fault::DropConnection => "drop_connection",
            Fault::Malformed => "malformed",
            Fault::VendorError => "vendor_error",
        }
    }
}

/// What to do with one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Decision {
    /// Which attempt of its identity this is (from 1).
    pub(crate) attempt: u64,
    /// Extra latency before answering.
    pub(crate) latency: Duration,
    /// The fault to inject, if any.
    pub(crate) fault: Option<Fault>,
    /// Further random bits for the fault's details (where to cut a body, ...).
    pub(crate) detail: u64,
}

#[derive(Debug, Default)]
struct IdentityState {
    attempts: u64,
    consecutive_faults: u32,
}

/// Decides faults for a whole server.
#[derive(Debug)]
pub(crate) struct FaultEngine {
    seed: u64,
    config: FaultConfig,
    identities: Mutex<HashMap<u64, IdentityState>>,
}

const KNOB_LATENCY: u64 = 1;
const KNOB_FAULT: u64 = 2;
const KNOB_DETAIL: u64 = 3;

impl FaultEngine {
    /// An engine for `config`.
    pub(crate) fn new(seed: u64, config: FaultConfig) -> Self {
        Self {
            seed,
            config,
            identities: Mutex::new(HashMap::new()),
        }
    }

    /// The fault configuration.
    pub(crate) fn config(&self) -> &FaultConfig {
        &self.config
    }

    /// Decides the next request of `identity` and records the decision.
    pub(crate) fn decide(&self, identity: u64) -> Decision {
        let mut identities = match self.identities.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let state = identities.entry(identity).or_default();
        state.attempts += 1;
        let attempt = state.attempts;
        let c = &self.config;

        let jitter_nanos = c.latency_jitter.as_nanos() as u64;
        let jitter = if jitter_nanos == 0 {
            Duration::ZERO
        } else {
            Duration::from_nanos(
                key(self.seed, &[KNOB_LATENCY, identity, attempt]) % (jitter_nanos + 1),
            )
        };

        let u = unit(key(self.seed, &[KNOB_FAULT, identity, attempt]));
        let detail = key(self.seed, &[KNOB_DETAIL, identity, attempt]);
        let mut fault = None;
        let mut edge = 0.0;
        let kinds = [
            (c.too_many_requests_rate, Fault::TooManyRequests),
            (
                c.server_error_rate,
                Fault::ServerError([500, 502, 503][(detail % 3) as usize]),
            ),
            (c.drop_connection_rate, Fault::DropConnection),
            (c.malformed_rate, Fault::Malformed),
            (c.vendor_error_rate, Fault::VendorError),
        ];
        for (rate, kind) in kinds {
            edge += rate;
            if u < edge {
                fault = Some(kind);
                break;
            }
        }
        if fault.is_some() && state.consecutive_faults >= c.max_consecutive_faults {
            fault = None;
        }
        if fault.is_some() {
            state.consecutive_faults += 1;
        } else {
            state.consecutive_faults = 0;
        }
        Decision {
            attempt,
            latency: c.latency + jitter,
            fault,
            detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_one_with_cap_one_alternates() {
        let engine = FaultEngine::new(
            1,
            FaultConfig {
                server_error_rate: 1.0,
                max_consecutive_faults: 1,
                ..FaultConfig::default()
            },
        );
        let faults: Vec<bool> = (0..6).map(|_| engine.decide(9).fault.is_some()).collect();
        assert_eq!(faults, [true, false, true, false, true, false]);
    }

    #[test]
    fn decisions_depend_only_on_seed_identity_and_attempt() {
        let config = FaultConfig {
            malformed_rate: 0.5,
            latency_jitter: Duration::from_millis(10),
            ..FaultConfig::default()
        };
        let a = FaultEngine::new(3, config.clone());
        let b = FaultEngine::new(3, config);
        let from_a: Vec<Decision> = (0..20).map(|_| a.decide(1)).collect();
        // Interleave another identity on b: identity 1 still sees the same decisions.
        let from_b: Vec<Decision> = (0..20)
            .map(|_| {
                b.decide(2);
                b.decide(1)
            })
            .collect();
        assert_eq!(from_a, from_b);
        assert!(from_a.iter().any(|d| d.fault.is_some()));
        assert!(from_a.iter().any(|d| d.fault.is_none()));
    }
}
