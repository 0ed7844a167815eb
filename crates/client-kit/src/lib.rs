//! What the two generated vendor clients share, written once.
//!
//! The vendor specs name a few schemas (`LooseString`, `*Record`) that `cargo xtask generate`
//! replaces with the types here, so both clients accept the vendors' real, messy JSON the same
//! way. The token cache and the redaction helpers keep secrets out of every message.

mod body_limit;
mod known_secrets;
mod loose;
mod record;
mod redact;
mod secret;
mod token;

pub use body_limit::{
    DEFAULT_MAX_RESPONSE_BYTES, ResponseTooLarge, execute_bounded, response_too_large,
};
pub use known_secrets::{MIN_SECRET_CHARS, cut_known, redact, remember_secret};
pub use loose::{LooseKind, LooseString};
pub use record::VendorRecord;
pub use redact::{
    SENSITIVE_QUERY_KEYS, TransportFailure, TransportFailureKind, body_preview, redact_url,
};
pub use retry::{Retryability, parse_retry_after};
pub use secret::Secret;
pub use token::{
    AccessToken, IssuedToken, MAX_TOKEN_ROUNDS, RENEWAL_WINDOW, RENEWALS_PER_WINDOW,
    RejectionError, TokenAnswer, TokenCache, TokenIssuer, TokenLease,
    UNPROVEN_REPLACEMENTS_TO_FAIL,
};
mod retry;
