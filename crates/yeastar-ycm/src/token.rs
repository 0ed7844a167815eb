//! `YcmTokenIssuer`: OAuth client-credentials login and refresh-token renewal.

use std::time::Duration;

use custlake_client_kit::{AccessToken, IssuedToken, Secret, TokenIssuer};

use crate::YcmError;
use crate::generated::Client;
use crate::types::{YcmTokenRequest, YcmTokenRequestGrantType, YcmTokenResponse};

/// Access-token lifetime assumed when the answer does not say (YCM documents 30 minutes).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(30 * 60);
const OPERATION: &str = "oauth/token";

/// Obtains YCM tokens: renews with the refresh token when it has one, logs in otherwise.
pub struct YcmTokenIssuer {
    api: Client,
    client_id: String,
    client_secret: Secret,
    /// errcodes meaning "busy, try later": a busy token endpoint is retried, not fatal.
    busy_codes: Vec<String>,
}

impl YcmTokenIssuer {
    /// An issuer calling the token endpoint through `api` (a client without a token cache).
    pub fn new(api: Client, client_id: String, client_secret: Secret) -> Self {
        Self {
            api,
            client_id,
            client_secret,
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

    async fn request(&self, body: YcmTokenRequest) -> Result<IssuedToken, YcmError> {
        let answer = self
            .api
            .issue_token()
            .body(body)
            .send()
            .await
            .map_err(|e| match YcmError::from_progenitor(OPERATION, e) {
                YcmError::TokenRejected { .. }
                | YcmError::Http {
                    status: 400..=403, ..
                } => YcmError::BadCredentials {
                    message: "HTTP 4xx from the token endpoint".into(),
                },
                other => other,
            })?
            .into_inner();
        issued_from(answer, &self.busy_codes)
    }
}

fn issued_from(answer: YcmTokenResponse, busy_codes: &[String]) -> Result<IssuedToken, YcmError> {
    if answer.status.as_deref() == Some("Failed") || answer.access_token.is_none() {
        let code = answer.errcode.map(|c| c.into_string()).unwrap_or_default();
        // Vendors echo credentials in their own words: cut every known secret out.
        let message = answer
            .errmsg
            .map(|m| custlake_client_kit::redact(m.as_str()))
            .unwrap_or_default();
        if busy_codes.iter().any(|b| b == code.trim()) {
            return Err(YcmError::Busy {
                operation: OPERATION,
                code: code.trim().to_owned(),
                message,
            });
        }
        return Err(YcmError::BadCredentials {
            message: format!("{code} {message}").trim().to_owned(),
        });
    }
    let access = answer.access_token.unwrap_or_default();
    let lifetime = answer
        .expires_in
        .and_then(|s| s.as_str().trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_LIFETIME);
    Ok(IssuedToken {
        access: AccessToken::new(access),
        lifetime,
        refresh: answer.refresh_token.map(AccessToken::new),
    })
}

impl TokenIssuer for YcmTokenIssuer {
    type Error = YcmError;

    async fn issue(&self, previous: Option<&IssuedToken>) -> Result<IssuedToken, YcmError> {
        if let Some(refresh) = previous.and_then(|p| p.refresh.as_ref()) {
            let renewal = YcmTokenRequest {
                grant_type: YcmTokenRequestGrantType::RefreshToken,
                client_id: Some(self.client_id.clone()),
                client_secret: None,
                refresh_token: Some(refresh.expose().to_owned()),
            };
            // A refresh token can be revoked or expired (15 days); logging in again always works.
            if let Ok(token) = self.request(renewal).await {
                return Ok(token);
            }
        }
        let login = YcmTokenRequest {
            grant_type: YcmTokenRequestGrantType::ClientCredentials,
            client_id: Some(self.client_id.clone()),
            client_secret: Some(self.client_secret.expose().to_owned()),
            refresh_token: None,
        };
        self.request(login).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(json: &str) -> YcmTokenResponse {
        serde_json::from_str(json).expect("valid token answer")
    }

    #[test]
    fn a_busy_token_endpoint_is_retryable_and_a_refusal_is_not() {
        let busy = vec!["50300".to_owned()];
        let error = issued_from(
            answer(r#"{"status":"Failed","errcode":50300,"errmsg":"busy"}"#),
            &busy,
        )
        .expect_err("busy");
        assert!(matches!(error, YcmError::Busy { .. }), "{error}");
        assert!(matches!(
            error.retryability(),
            custlake_client_kit::Retryability::Retryable { .. }
        ));
        let error = issued_from(
            answer(r#"{"status":"Failed","errcode":40003,"errmsg":"bad client"}"#),
            &busy,
        )
        .expect_err("refused");
        assert!(matches!(error, YcmError::BadCredentials { .. }), "{error}");
    }
}
