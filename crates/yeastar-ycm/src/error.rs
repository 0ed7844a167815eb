//! `YcmError`: every way a YCM call can fail, with the operation, the code and message.
//!
//! YCM answers success as HTTP 200 `status: "Success"`; refusals carry `status: "Failed"` with an
//! error code (sometimes with HTTP 200), and the gateway answers 401/429/5xx. Nothing here holds
//! a token, a secret or a URL query.

use std::time::Duration;

use custlake_client_kit::{
    Retryability, TokenAnswer, TransportFailure, body_preview, parse_retry_after, redact,
};
use progenitor_client::Error as ProgenitorError;

/// A failed YCM call.
#[derive(Debug, thiserror::Error)]
pub enum YcmError {
    /// A Failed envelope with a code that is neither busy nor token-expired. Retrying won't help.
    #[error("YCM {operation}: vendor error {code}: {message}{}", request_id_suffix(request_id.as_deref()))]
    Vendor {
        /// The API operation, e.g. `customers`.
        operation: &'static str,
        /// The vendor's error code.
        code: String,
        /// The vendor's error message.
        message: String,
        /// YCM's request id, to quote to Yeastar support.
        request_id: Option<String>,
    },
    /// A Failed envelope with one of the configured busy codes.
    #[error("YCM {operation}: vendor busy ({code}: {message})")]
    Busy {
        /// The API operation.
        operation: &'static str,
        /// The vendor's error code.
        code: String,
        /// The vendor's error message.
        message: String,
    },
    /// The access token was rejected (HTTP 401 or a token-expired code), also after it was replaced.
    #[error("YCM {operation}: access token rejected{}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    TokenRejected {
        /// The API operation.
        operation: &'static str,
        /// The vendor's error code, when the refusal was an envelope.
        code: Option<String>,
    },
    /// Several fresh tokens in a row were rejected before any call with them succeeded: not an
    /// expiry, so renewing again would loop.
    #[error(
        "YCM {operation}: {tokens} fresh access tokens in a row were rejected before any {operation} call with them succeeded, the last {age_ms} ms after it was issued{}; gave up after {token_calls} token calls; this is not an expiry: check the machine's clock, the OpenAPI client's permissions and IP allow-list in YCM, and that base_url is the YCM domain the client belongs to",
        code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default()
    )]
    FreshTokenRejected {
        /// The API operation.
        operation: &'static str,
        /// The vendor's error code, when the refusal was an envelope.
        code: Option<String>,
        /// How long before the rejection the last token was issued.
        age_ms: u128,
        /// How many tokens in a row were rejected that way.
        tokens: u32,
        /// How many token calls the source made in all (log-in and renewals).
        token_calls: u64,
    },
    /// The token call refused the client id/secret.
    #[error(
        "YCM token: the client_id/client_secret were refused ({message}); check the OpenAPI settings in YCM"
    )]
    BadCredentials {
        /// The vendor's explanation.
        message: String,
    },
    /// The gateway answered with an HTTP error status (429, 5xx, ...).
    #[error("YCM {operation}: HTTP {status}{}", retry_after.map(|d| format!(" (retry after {} s)", d.as_secs_f64())).unwrap_or_default())]
    Http {
        /// The API operation.
        operation: &'static str,
        /// The HTTP status code.
        status: u16,
        /// The gateway's Retry-After, if sent.
        retry_after: Option<Duration>,
    },
    /// No usable answer: timeout, refused connection, broken body.
    #[error("YCM {operation}: {failure}")]
    Transport {
        /// The API operation.
        operation: &'static str,
        /// What went wrong, redacted.
        failure: TransportFailure,
    },
    /// The answer was larger than the account's `max_response_bytes`; it was not read to its end.
    #[error("YCM {operation}: {too_large}")]
    ResponseTooLarge {
        /// The API operation.
        operation: &'static str,
        /// The bound and what the answer announced.
        too_large: custlake_client_kit::ResponseTooLarge,
    },
    /// The answer was not the JSON the spec describes.
    #[error("YCM {operation}: the answer is not the JSON the spec describes: {message}")]
    Decode {
        /// The API operation.
        operation: &'static str,
        /// The decoder's explanation and the start of the body, redacted.
        message: String,
    },
    /// The request could not be built or authenticated.
    #[error("YCM {operation}: invalid request: {message}")]
    Request {
        /// The API operation.
        operation: &'static str,
        /// What was wrong, redacted.
        message: String,
    },
}

fn request_id_suffix(request_id: Option<&str>) -> String {
    request_id
        .map(|id| format!(" (requestId {id})"))
        .unwrap_or_default()
}

impl TokenAnswer for YcmError {
    fn is_token_rejection(&self) -> bool {
        matches!(self, YcmError::TokenRejected { .. })
    }

    fn accepts_token(&self) -> bool {
        matches!(self, YcmError::Vendor { .. } | YcmError::Busy { .. })
    }

    fn fresh_tokens_rejected(self, age: Duration, tokens: u32, token_calls: u64) -> Self {
        match self {
            YcmError::TokenRejected { operation, code } => YcmError::FreshTokenRejected {
                operation,
                code,
                age_ms: age.as_millis(),
                tokens,
                token_calls,
            },
            other => other,
        }
    }
}

impl YcmError {
    /// Whether the pipeline should try the call again.
    pub fn retryability(&self) -> Retryability {
        match self {
            YcmError::Busy { .. }
            | YcmError::TokenRejected { .. }
            | YcmError::Transport { .. }
            | YcmError::Decode { .. } => Retryability::Retryable { after: None },
            YcmError::Http {
                status,
                retry_after,
                ..
            } if *status == 429 || *status == 408 || *status >= 500 => Retryability::Retryable {
                after: *retry_after,
            },
            // The same page is as large the next time.
            YcmError::Http { .. }
            | YcmError::ResponseTooLarge { .. }
            | YcmError::Vendor { .. }
            | YcmError::BadCredentials { .. }
            | YcmError::FreshTokenRejected { .. }
            | YcmError::Request { .. } => Retryability::Permanent,
        }
    }

    /// Converts a generated-client error, dropping URLs and secrets.
    pub(crate) fn from_progenitor(operation: &'static str, error: ProgenitorError<()>) -> Self {
        match error {
            ProgenitorError::CommunicationError(e)
            | ProgenitorError::ResponseBodyError(e)
            | ProgenitorError::InvalidUpgrade(e) => {
                match custlake_client_kit::response_too_large(&e) {
                    Some(too_large) => YcmError::ResponseTooLarge {
                        operation,
                        too_large,
                    },
                    None => YcmError::Transport {
                        operation,
                        failure: TransportFailure::from_reqwest(e),
                    },
                }
            }
            ProgenitorError::ErrorResponse(response) => Self::from_status(
                operation,
                response.status().as_u16(),
                parse_retry_after(response.headers()),
            ),
            ProgenitorError::UnexpectedResponse(response) => Self::from_status(
                operation,
                response.status().as_u16(),
                parse_retry_after(response.headers()),
            ),
            ProgenitorError::InvalidResponsePayload(body, e) => YcmError::Decode {
                operation,
                message: format!("{e}; body starts with {}", body_preview(operation, &body)),
            },
            ProgenitorError::InvalidRequest(message) | ProgenitorError::Custom(message) => {
                YcmError::Request {
                    operation,
                    message: redact(&message),
                }
            }
        }
    }

    fn from_status(operation: &'static str, status: u16, retry_after: Option<Duration>) -> Self {
        if status == 401 {
            YcmError::TokenRejected {
                operation,
                code: None,
            }
        } else {
            YcmError::Http {
                operation,
                status,
                retry_after,
            }
        }
    }
}
