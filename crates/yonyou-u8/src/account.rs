//! `U8Account`: everything needed to talk to one U8 enterprise account.

use std::time::Duration;

use custlake_client_kit::Secret;

/// errcodes that mean "your token expired or is invalid" (replace it and retry): 20003
/// token已过期 (expired). The vendor does not publish its code list; more can be configured per
/// source, and an errmsg naming the token (`token`, `令牌`) counts too (see `client`). Not
/// 20002: real accounts answer it for "no matching record" ([`NO_MATCH_CODE`]).
pub const DEFAULT_TOKEN_EXPIRED_CODES: &[&str] = &["20003"];

/// The errcode real U8 accounts answer when a listing or a `get` matches nothing:
/// `{"errcode":"20002","errmsg":"未检索到匹配的[交易单位]。"}`, the bracket naming the archive
/// (recorded for eight archives in a public SDK's tests; see `tests/answers/README.md`).
pub const NO_MATCH_CODE: &str = "20002";

/// The start of the errmsg that goes with [`NO_MATCH_CODE`] ("no matching [archive] found").
pub const NO_MATCH_MESSAGE: &str = "未检索到匹配";

/// errcodes that mean "busy, try again later". Not published by the vendor; overridable.
pub const DEFAULT_BUSY_CODES: &[&str] = &["90001", "90002"];

/// Connection settings and credentials of one U8 account (one tenant).
#[derive(Clone, Debug)]
pub struct U8Account {
    /// Gateway base URL, `https://api.yonyouup.com` in production.
    pub base_url: String,
    /// Caller id (from_account).
    pub from_account: String,
    /// Provider id, the enterprise account (to_account).
    pub to_account: String,
    /// Application code (app_key).
    pub app_key: String,
    /// Application secret; only sent to the token call.
    pub app_secret: Secret,
    /// Data source number; the application's first data source when absent.
    pub ds_sequence: Option<i64>,
    /// errcodes answered for an expired or invalid token.
    pub token_expired_codes: Vec<String>,
    /// errcodes answered when the vendor is busy.
    pub busy_codes: Vec<String>,
    /// Renew the token this long before the vendor says it expires.
    pub renew_token_early: Duration,
    /// An answer larger than this many bytes fails without being read to its end.
    pub max_response_bytes: u64,
}

impl U8Account {
    /// An account with the default error-code lists, a 10-minute early renewal and answers of
    /// up to 64 MiB.
    pub fn new(
        base_url: impl Into<String>,
        from_account: impl Into<String>,
        to_account: impl Into<String>,
        app_key: impl Into<String>,
        app_secret: Secret,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            from_account: from_account.into(),
            to_account: to_account.into(),
            app_key: app_key.into(),
            app_secret,
            ds_sequence: None,
            token_expired_codes: DEFAULT_TOKEN_EXPIRED_CODES
                .iter()
                .map(|c| c.to_string())
                .collect(),
            busy_codes: DEFAULT_BUSY_CODES.iter().map(|c| c.to_string()).collect(),
            renew_token_early: Duration::from_secs(600),
            max_response_bytes: custlake_client_kit::DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}
