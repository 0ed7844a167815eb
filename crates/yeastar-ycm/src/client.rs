//! `YcmClient`: one-page fetches through the generated client, with the token handled.
//!
//! The generated client's hook adds the bearer token and User-Agent ([`crate::auth`]); this
//! layer checks the Success/Failed envelope and replaces the token when YCM rejects it: any HTTP
//! 401, whatever its code, and Failed envelopes with one of `token_expired_codes`. Which token a
//! rejected call carried decides between sending it again with the current token and renewing
//! (see [`custlake_client_kit::TokenCache`]).

use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Arc;

use custlake_client_kit::{LooseString, TokenCache};
use reqwest::header::HeaderValue;

use crate::auth::{YcmAuth, send_with};
use crate::generated::Client;
use crate::page::counter;
use crate::types::ListCustomersSort;
use crate::{MAX_PAGE_SIZE, YcmAccount, YcmCustomerRecord, YcmError, YcmPage, YcmTokenIssuer};

/// A YCM client's API: generated client plus token cache and error classification.
#[derive(Clone)]
pub struct YcmClient {
    api: Client,
    account: Arc<YcmAccount>,
    tokens: Arc<TokenCache<YcmTokenIssuer>>,
}

impl std::fmt::Debug for YcmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YcmClient")
            .field("base_url", &self.account.base_url)
            .field("client_id", &self.account.client_id)
            .finish_non_exhaustive()
    }
}

/// The fields of a Success/Failed envelope this layer checks.
struct Envelope<'a> {
    status: &'a str,
    /// `errcode`, else `errno` (the name Yeastar's S-Series API uses).
    errcode: Option<&'a LooseString>,
    errmsg: Option<&'a LooseString>,
    request_id: Option<&'a str>,
}

impl YcmClient {
    /// A client for `account` sending through `http` (which carries the timeouts).
    pub fn new(account: YcmAccount, http: reqwest::Client) -> Result<Self, YcmError> {
        let base_url = account.base_url.trim_end_matches('/').to_owned();
        if reqwest::Url::parse(&base_url).is_err() {
            return Err(YcmError::Request {
                operation: "client setup",
                message: format!("base_url {base_url:?} is not a valid URL"),
            });
        }
        let user_agent =
            HeaderValue::from_str(&account.user_agent).map_err(|_| YcmError::Request {
                operation: "client setup",
                message: format!(
                    "user_agent {:?} is not a valid header value",
                    account.user_agent
                ),
            })?;
        let login_api = Client::new_with_client(
            &base_url,
            http.clone(),
            YcmAuth {
                tokens: None,
                user_agent: user_agent.clone(),
                max_response_bytes: account.max_response_bytes,
            },
        );
        let issuer = YcmTokenIssuer::new(
            login_api,
            account.client_id.clone(),
            account.client_secret.clone(),
        )
        .with_busy_codes(account.busy_codes.clone());
        let tokens = Arc::new(TokenCache::new(issuer, account.renew_token_early));
        let api = Client::new_with_client(
            &base_url,
            http,
            YcmAuth {
                tokens: Some(tokens.clone()),
                user_agent,
                max_response_bytes: account.max_response_bytes,
            },
        );
        Ok(Self {
            api,
            account: Arc::new(account),
            tokens,
        })
    }

    /// The account this client talks to.
    pub fn account(&self) -> &YcmAccount {
        &self.account
    }

    /// How many tokens were issued so far (logins and renewals).
    pub fn tokens_issued(&self) -> u64 {
        self.tokens.issued_count()
    }

    /// Checks the credentials by obtaining a token.
    pub async fn authenticate(&self) -> Result<(), YcmError> {
        self.tokens.current().await.map(|_| ())
    }

    /// One page of the customer list, sorted by customerId so pages are stable.
    /// `page_size` is capped at YCM's maximum of 50.
    pub async fn customer_page(
        &self,
        page_number: u64,
        page_size: u32,
    ) -> Result<YcmPage, YcmError> {
        const OPERATION: &str = "customers";
        let page_size = page_size.clamp(1, MAX_PAGE_SIZE);
        let page_number_arg = u32::try_from(page_number)
            .ok()
            .and_then(NonZeroU32::new)
            .ok_or_else(|| YcmError::Request {
                operation: OPERATION,
                message: format!(
                    "page number {page_number} is not between 1 and {}",
                    u32::MAX
                ),
            })?;
        let page_size_arg = NonZeroU32::new(page_size).unwrap_or(NonZeroU32::MIN);
        self.with_token(OPERATION, || async move {
            let answer = self
                .api
                .list_customers()
                .page_number(page_number_arg)
                .page_size(page_size_arg)
                .sort(ListCustomersSort::CustomerId)
                .send()
                .await
                .map_err(|e| YcmError::from_progenitor(OPERATION, e))?
                .into_inner();
            self.check_envelope(
                OPERATION,
                Envelope {
                    status: &answer.status,
                    errcode: answer.errcode.as_ref().or(answer.errno.as_ref()),
                    errmsg: answer.errmsg.as_ref(),
                    request_id: answer.request_id.as_deref(),
                },
            )?;
            let data = answer.data.ok_or_else(|| YcmError::Decode {
                operation: OPERATION,
                message: "status is Success but the answer has no data".into(),
            })?;
            let total = counter(OPERATION, "total", data.total.as_ref())?.ok_or_else(|| {
                YcmError::Decode {
                    operation: OPERATION,
                    message: "the page has no total, so the size of the result is unknown".into(),
                }
            })?;
            Ok(YcmPage {
                page_number: counter(OPERATION, "pageNumber", data.page_number.as_ref())?
                    .unwrap_or(page_number),
                page_size: counter(OPERATION, "pageSize", data.page_size.as_ref())?
                    .unwrap_or(u64::from(page_size)),
                total,
                records: data.list,
            })
        })
        .await
    }

    /// One customer by id; `None` when the answer carries no customer.
    pub async fn customer(&self, customer_id: i64) -> Result<Option<YcmCustomerRecord>, YcmError> {
        const OPERATION: &str = "customers/{customerId}";
        self.with_token(OPERATION, || async move {
            let answer = self
                .api
                .get_customer()
                .customer_id(customer_id)
                .send()
                .await
                .map_err(|e| YcmError::from_progenitor(OPERATION, e))?
                .into_inner();
            self.check_envelope(
                OPERATION,
                Envelope {
                    status: &answer.status,
                    errcode: answer.errcode.as_ref().or(answer.errno.as_ref()),
                    errmsg: answer.errmsg.as_ref(),
                    request_id: answer.request_id.as_deref(),
                },
            )?;
            Ok(answer.data)
        })
        .await
    }

    /// Runs `call` with a valid token pinned for its requests (see [`TokenCache::with_token`]);
    /// `operation` is the scope its token rejections are counted in.
    async fn with_token<T, F, Fut>(&self, operation: &'static str, call: F) -> Result<T, YcmError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, YcmError>>,
    {
        self.tokens
            .with_token(operation, |lease| send_with(lease.access().clone(), call()))
            .await
    }

    /// Turns a Failed envelope into the matching error.
    fn check_envelope(
        &self,
        operation: &'static str,
        envelope: Envelope<'_>,
    ) -> Result<(), YcmError> {
        if envelope.status.eq_ignore_ascii_case("Success") {
            return Ok(());
        }
        let code = envelope
            .errcode
            .map(|c| c.as_str().trim().to_owned())
            .unwrap_or_default();
        let message = envelope
            .errmsg
            .map(|m| custlake_client_kit::redact(m.as_str()))
            .unwrap_or_else(|| format!("status {:?}", envelope.status));
        let is = |list: &[String]| list.contains(&code);
        Err(if is(&self.account.token_expired_codes) {
            YcmError::TokenRejected {
                operation,
                code: Some(code),
            }
        } else if is(&self.account.busy_codes) {
            YcmError::Busy {
                operation,
                code,
                message,
            }
        } else {
            YcmError::Vendor {
                operation,
                code,
                message,
                request_id: envelope.request_id.map(str::to_owned),
            }
        })
    }
}
