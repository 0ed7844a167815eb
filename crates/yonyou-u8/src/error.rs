//! `U8Error`: every way a U8 call can fail, with the operation, the vendor's code and message.
//!
//! U8 answers errors with HTTP 200 and `errcode != "0"`; transport failures come from reqwest.
//! Nothing here ever holds a URL with its query (the token travels there) or a secret.

use std::time::Duration;

use custlake_client_kit::{
    Retryability, TokenAnswer, TransportFailure, body_preview, parse_retry_after, redact,
};
use progenitor_client::Error as ProgenitorError;

/// A failed U8 call.
#[derive(Debug, thiserror::Error)]
pub enum U8Error {
    /// The vendor refused the call (errcode other than "0"), e.g. 30021 此应用未上线 (app not
    /// online) or bad credentials. Retrying does not help.
    #[error("U8 {operation}: vendor error {code}: {message}")]
    Vendor {
        /// The API operation, e.g. `customer/batch_get`.
        operation: &'static str,
        /// The vendor's errcode.
        code: String,
        /// The vendor's errmsg.
        message: String,
    },
    /// The vendor answered with one of the configured busy codes.
    #[error("U8 {operation}: vendor busy ({code}: {message})")]
    Busy {
        /// The API operation.
        operation: &'static str,
        /// The vendor's errcode.
        code: String,
        /// The vendor's errmsg.
        message: String,
    },
    /// The token was reported expired or invalid (a configured code, or an errmsg naming the token),
    /// also after it was replaced.
    #[error("U8 {operation}: token rejected ({code}: {message})")]
    TokenRejected {
        /// The API operation.
        operation: &'static str,
        /// The vendor's errcode.
        code: String,
        /// The vendor's errmsg.
        message: String,
    },
    /// Several fresh tokens in a row were rejected before any call with them succeeded: not an
    /// expiry, so renewing again would loop.
    #[error(
        "U8 {operation}: {tokens} fresh tokens in a row were rejected before any {operation} call with them succeeded, the last {age_ms} ms after it was issued ({code}: {message}); gave up after {token_calls} token calls; this is not an expiry: check the machine's clock, that app_key may read to_account (and ds_sequence), the application's permissions in the U8 OpenAPI console, and that {code} is really a token code (token_expired_codes)"
    )]
    FreshTokenRejected {
        /// The API operation.
        operation: &'static str,
        /// The vendor's errcode.
        code: String,
        /// The vendor's errmsg.
        message: String,
        /// How long before the rejection the last token was issued.
        age_ms: u128,
        /// How many tokens in a row were rejected that way.
        tokens: u32,
        /// How many token calls the source made in all (log-in and renewals).
        token_calls: u64,
    },
    /// The gateway answered with an HTTP error status (429, 5xx, ...).
    #[error("U8 {operation}: HTTP {status}{}", retry_after.map(|d| format!(" (retry after {} s)", d.as_secs_f64())).unwrap_or_default())]
    Http {
        /// The API operation.
        operation: &'static str,
        /// The HTTP status code.
        status: u16,
        /// The gateway's Retry-After, if sent.
        retry_after: Option<Duration>,
    },
    /// No usable answer: timeout, refused connection, broken body.
    #[error("U8 {operation}: {failure}")]
    Transport {
        /// The API operation.
        operation: &'static str,
        /// What went wrong, redacted.
        failure: TransportFailure,
    },
    /// The answer was larger than the account's `max_response_bytes`; it was not read to its end.
    #[error("U8 {operation}: {too_large}")]
    ResponseTooLarge {
        /// The API operation.
        operation: &'static str,
        /// The bound and what the answer announced.
        too_large: custlake_client_kit::ResponseTooLarge,
    },
    /// The answer was not the JSON the spec describes (malformed, truncated, HTML).
    #[error("U8 {operation}: the answer is not the JSON the spec describes: {message}")]
    Decode {
        /// The API operation.
        operation: &'static str,
        /// The decoder's explanation and the start of the body, redacted.
        message: String,
    },
    /// The request could not be built (e.g. an invalid base URL or parameter).
    #[error("U8 {operation}: invalid request: {message}")]
    Request {
        /// The API operation.
        operation: &'static str,
        /// What was wrong, redacted.
        message: String,
    },
}

impl TokenAnswer for U8Error {
    fn is_token_rejection(&self) -> bool {
        matches!(self, U8Error::TokenRejected { .. })
    }

    fn accepts_token(&self) -> bool {
        matches!(self, U8Error::Vendor { .. } | U8Error::Busy { .. })
    }

    fn fresh_tokens_rejected(self, age: Duration, tokens: u32, token_calls: u64) -> Self {
        match self {
            U8Error::TokenRejected {
                operation,
                code,
                message,
            } => U8Error::FreshTokenRejected {
                operation,
                code,
                message,
                age_ms: age.as_millis(),
                tokens,
                token_calls,
            },
            other => other,
        }
    }
}

impl U8Error {
    /// Whether the pipeline should try the call again.
    pub fn retryability(&self) -> Retryability {
        match self {
            U8Error::Busy { .. } | U8Error::TokenRejected { .. } | U8Error::Transport { .. } => {
                Retryability::Retryable { after: None }
            }
            // A body that does not decode is usually a truncated or garbled answer.
            U8Error::Decode { .. } => Retryability::Retryable { after: None },
            U8Error::Http {
                status,
                retry_after,
                ..
            } if *status == 429 || *status == 408 || *status >= 500 => Retryability::Retryable {
                after: *retry_after,
            },
            // The same page is as large the next time.
            U8Error::Http { .. }
            | U8Error::ResponseTooLarge { .. }
            | U8Error::Vendor { .. }
            | U8Error::FreshTokenRejected { .. }
            | U8Error::Request { .. } => Retryability::Permanent,
        }
    }

    /// Converts a generated-client error, dropping URLs and secrets.
    pub(crate) fn from_progenitor(operation: &'static str, error: ProgenitorError<()>) -> Self {
        match error {
            ProgenitorError::CommunicationError(e)
            | ProgenitorError::ResponseBodyError(e)
            | ProgenitorError::InvalidUpgrade(e) => {
                match custlake_client_kit::response_too_large(&e) {
                    Some(too_large) => U8Error::ResponseTooLarge {
                        operation,
                        too_large,
                    },
                    None => U8Error::Transport {
                        operation,
                        failure: TransportFailure::from_reqwest(e),
                    },
                }
            }
            ProgenitorError::ErrorResponse(response) => U8Error::Http {
                operation,
                status: response.status().as_u16(),
                retry_after: parse_retry_after(response.headers()),
            },
            ProgenitorError::UnexpectedResponse(response) => U8Error::Http {
                operation,
                status: response.status().as_u16(),
                retry_after: parse_retry_after(response.headers()),
            },
            ProgenitorError::InvalidResponsePayload(body, e) => U8Error::Decode {
                operation,
                message: format!("{e}; body starts with {}", body_preview(operation, &body)),
            },
            ProgenitorError::InvalidRequest(message) | ProgenitorError::Custom(message) => {
                U8Error::Request {
                    operation,
                    message: redact(&message),
                }
            }
        }
    }
}
