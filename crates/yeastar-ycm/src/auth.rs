//! Bearer token and User-Agent on every generated call, through progenitor's client hooks, and
//! the bound on the size of every answer.
//!
//! progenitor ignores `securitySchemes`, and YCM rejects requests without a User-Agent. Rather
//! than make every caller pass both, the generated `Client` carries a [`YcmAuth`] and its `pre`
//! hook adds the headers. Its `exec` hook hands the generated code each response through
//! [`execute_bounded`], so an answer above the account's `max_response_bytes` fails (as
//! [`crate::YcmError::ResponseTooLarge`]) without being read to its end. The client used by the
//! token issuer itself has no token cache, so the token call goes out with only the User-Agent.
//!
//! The client decides which token a call carries (it must know the token's generation when the
//! call is rejected), so it pins that token for the call with [`send_with`]; the hook sends the
//! pinned token and falls back to the cache only for calls made outside [`send_with`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use custlake_client_kit::{AccessToken, TokenCache, execute_bounded};
use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderValue, USER_AGENT};

use crate::YcmTokenIssuer;
use crate::generated::Client;

/// A boxed future of the current bearer token.
type BearerFuture<'a> = Pin<Box<dyn Future<Output = Result<AccessToken, String>> + Send + 'a>>;

/// Where the hook gets the bearer token. A trait object, because the token issuer itself calls
/// the generated client: naming the cache's concrete type here would make the type recursive.
pub(crate) trait BearerSource: Send + Sync {
    fn bearer(&self) -> BearerFuture<'_>;
}

impl BearerSource for TokenCache<YcmTokenIssuer> {
    fn bearer(&self) -> BearerFuture<'_> {
        Box::pin(async move {
            self.current()
                .await
                .map(|lease| lease.access().clone())
                .map_err(|e| e.to_string())
        })
    }
}

tokio::task_local! {
    /// The token the call being sent on this task must carry.
    static PINNED_TOKEN: AccessToken;
}

/// Runs `call` with `token` as the bearer of every request it sends.
pub(crate) async fn send_with<F: Future>(token: AccessToken, call: F) -> F::Output {
    PINNED_TOKEN.scope(token, call).await
}

/// What the generated client needs to authenticate a request and bound its answer.
#[derive(Clone)]
pub struct YcmAuth {
    pub(crate) tokens: Option<Arc<dyn BearerSource>>,
    pub(crate) user_agent: HeaderValue,
    pub(crate) max_response_bytes: u64,
}

impl std::fmt::Debug for YcmAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YcmAuth")
            .field("user_agent", &self.user_agent)
            .field("has_tokens", &self.tokens.is_some())
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

impl ClientHooks<YcmAuth> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        let auth = self.inner();
        request
            .headers_mut()
            .insert(USER_AGENT, auth.user_agent.clone());
        if let Some(tokens) = &auth.tokens {
            let token = match PINNED_TOKEN.try_with(AccessToken::clone) {
                Ok(pinned) => pinned,
                Err(_) => tokens.bearer().await.map_err(Error::Custom)?,
            };
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                    Error::Custom("the access token is not a valid header value".into())
                })?;
            value.set_sensitive(true);
            request.headers_mut().insert(AUTHORIZATION, value);
        }
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        execute_bounded(self.client(), request, self.inner().max_response_bytes).await
    }
}
