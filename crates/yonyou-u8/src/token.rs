//! `U8TokenIssuer`: obtains tokens from `/system/token` for the shared token cache.

use std::time::Duration;

use custlake_client_kit::{AccessToken, IssuedToken, Secret, TokenIssuer};

use crate::U8Error;
use crate::generated::Client;

/// Lifetime assumed when the token answer does not say (the vendor's documented 7200 s).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(7200);

/// Logs in to U8 with app_key and app_secret.
pub struct U8TokenIssuer {
    api: Client,
    from_account: String,
    app_key: String,
    app_secret: Secret,
    /// errcodes meaning "busy, try later": a busy token endpoint is retried, not fatal.
    busy_codes: Vec<String>,
}

impl U8TokenIssuer {
    /// An issuer that calls `/system/token` through `api`.
    pub fn new(api: Client, from_account: String, app_key: String, app_secret: Secret) -> Self {
        Self {
            api,
            from_account,
            app_key,
            app_secret,
            busy_codes: crate::DEFAULT_BUSY_CODES
                .iter()
                .map(|c| c.to_string())
                .collect(),
        }
    }

    /// Uses `codes` (the account's busy codes) to tell a busy token endpoint from a refusal.
    pub fn with_busy_codes(mut self, codes: Vec<String>) -> Self {
        self.busy_codes = codes;
        self
    }
}

impl TokenIssuer for U8TokenIssuer {
    type Error = U8Error;

    async fn issue(&self, _previous: Option<&IssuedToken>) -> Result<IssuedToken, U8Error> {
        const OPERATION: &str = "system/token";
        let answer = self
            .api
            .get_token()
            .from_account(self.from_account.as_str())
            .app_key(self.app_key.as_str())
            .app_secret(self.app_secret.expose())
            .send()
            .await
            .map_err(|e| U8Error::from_progenitor(OPERATION, e))?
            .into_inner();
        let code = answer.errcode.as_str().trim();
        if code != "0" {
            let (code, message) = (
                code.to_owned(),
                // Vendors echo credentials in their own words: cut every known secret out.
                answer
                    .errmsg
                    .map(|m| custlake_client_kit::redact(m.as_str()))
                    .unwrap_or_default(),
            );
            return Err(if self.busy_codes.contains(&code) {
                U8Error::Busy {
                    operation: OPERATION,
                    code,
                    message,
                }
            } else {
                U8Error::Vendor {
                    operation: OPERATION,
                    code,
                    message,
                }
            });
        }
        let token = answer.token.as_ref();
        let value = token
            .and_then(|t| t.id.as_ref())
            .map(|id| id.as_str().trim())
            .filter(|id| !id.is_empty())
            .ok_or_else(|| U8Error::Decode {
                operation: OPERATION,
                message: "errcode is 0 but the answer carries no token.id".into(),
            })?;
        let lifetime = token
            .and_then(|t| t.expires_in.as_ref())
            .and_then(|s| s.as_str().trim().parse::<u64>().ok())
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_LIFETIME);
        Ok(IssuedToken {
            access: AccessToken::new(value),
            lifetime,
            refresh: None,
        })
    }
}
