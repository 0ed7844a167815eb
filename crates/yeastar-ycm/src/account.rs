//! `YcmAccount`: everything needed to talk to one YCM OpenAPI client.

use std::time::Duration;

use custlake_client_kit::Secret;

/// The User-Agent YCM requires on every request when none is configured.
pub const DEFAULT_USER_AGENT: &str = "OpenAPI";

/// errcodes of a Failed envelope that mean "token expired or invalid" (renew once and retry).
/// Yeastar does not publish its list; overridable per source.
pub const DEFAULT_TOKEN_EXPIRED_CODES: &[&str] = &["40101", "40102"];

/// errcodes of a Failed envelope that mean "busy or rate limited, try again later".
pub const DEFAULT_BUSY_CODES: &[&str] = &["50300", "42900"];

/// Connection settings and credentials of one YCM OpenAPI client (one tenant).
#[derive(Clone, Debug)]
pub struct YcmAccount {
    /// `https://{ycm_domain}`.
    pub base_url: String,
    /// Client ID from YCM's OpenAPI settings.
    pub client_id: String,
    /// Client secret; only sent to the token call.
    pub client_secret: Secret,
    /// Sent on every request (YCM rejects requests without one).
    pub user_agent: String,
    /// errcodes of a Failed envelope meaning the token expired.
    pub token_expired_codes: Vec<String>,
    /// errcodes of a Failed envelope meaning busy/throttled.
    pub busy_codes: Vec<String>,
    /// Renew the access token this long before it expires.
    pub renew_token_early: Duration,
    /// An answer larger than this many bytes fails without being read to its end.
    pub max_response_bytes: u64,
}

impl YcmAccount {
    /// An account with the default User-Agent, code lists, a 2-minute early renewal and answers
    /// of up to 64 MiB.
    pub fn new(
        base_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: Secret,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            client_id: client_id.into(),
            client_secret,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            token_expired_codes: DEFAULT_TOKEN_EXPIRED_CODES
                .iter()
                .map(|c| c.to_string())
                .collect(),
            busy_codes: DEFAULT_BUSY_CODES.iter().map(|c| c.to_string()).collect(),
            renew_token_early: Duration::from_secs(120),
            max_response_bytes: custlake_client_kit::DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}
