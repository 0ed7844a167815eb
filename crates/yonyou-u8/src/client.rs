//! `U8Client`: one-page fetches through the generated client, with the token handled.
//!
//! Every call takes the cached token, sends it, and when the vendor rejects the token sends the
//! call again with a valid one: the current token when the rejected one was already replaced
//! (a race with a renewal), a renewed one otherwise (single flight across callers; see
//! [`custlake_client_kit::TokenCache`] for the bounds).
//!
//! U8 does not publish its error codes. What is known from answers real accounts gave (see
//! `tests/answers/`): errcode `20002` with `未检索到匹配的[<archive>]` means "no matching record",
//! so a listing that matches nothing is an empty page and a `get` of an unknown code is `None`.
//! A data call's answer counts as a token rejection when its errcode is one of the account's
//! `token_expired_codes` (20003 by default), or — a heuristic, logged at debug level when it
//! decides — when its errmsg names the token (`token` in any case, `令牌`), as "token无效" and
//! "token已过期" do. A no-match answer is never a token rejection: it proves the token good.

use std::future::Future;
use std::sync::Arc;

use custlake_client_kit::{AccessToken, LooseString, TokenCache};

use crate::generated::Client;
use crate::page::PageCounters;
use crate::{
    NO_MATCH_CODE, NO_MATCH_MESSAGE, U8Account, U8CustomerRecord, U8Error, U8Hooks, U8Page,
    U8TokenIssuer, types,
};

/// Filters of customer/batch_get; the timestamp and ModifyDate ranges allow incremental exports.
#[derive(Clone, Debug, Default)]
pub struct U8CustomerFilter {
    /// First customer code of the range.
    pub code_begin: Option<String>,
    /// Last customer code of the range.
    pub code_end: Option<String>,
    /// Lowest row version (`timestamp`).
    pub timestamp_begin: Option<String>,
    /// Highest row version.
    pub timestamp_end: Option<String>,
    /// Earliest modification date, YYYY-MM-DD.
    pub modify_date_begin: Option<String>,
    /// Latest modification date, YYYY-MM-DD.
    pub modify_date_end: Option<String>,
}

/// Filters of customercontacts/batch_get.
#[derive(Clone, Debug, Default)]
pub struct U8ContactFilter {
    /// First contact code of the range.
    pub code_begin: Option<String>,
    /// Last contact code of the range.
    pub code_end: Option<String>,
    /// Only the contacts of this customer.
    pub customer_code: Option<String>,
}

/// A U8 account's API: generated client plus token cache and error classification.
#[derive(Clone)]
pub struct U8Client {
    api: Client,
    account: Arc<U8Account>,
    tokens: Arc<TokenCache<U8TokenIssuer>>,
}

impl std::fmt::Debug for U8Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("U8Client")
            .field("base_url", &self.account.base_url)
            .field("to_account", &self.account.to_account)
            .finish_non_exhaustive()
    }
}

impl U8Client {
    /// A client for `account` sending through `http` (which carries the timeouts).
    pub fn new(account: U8Account, http: reqwest::Client) -> Result<Self, U8Error> {
        let base_url = account.base_url.trim_end_matches('/').to_owned();
        if reqwest::Url::parse(&base_url).is_err() {
            return Err(U8Error::Request {
                operation: "client setup",
                message: format!("base_url {base_url:?} is not a valid URL"),
            });
        }
        let api =
            Client::new_with_client(&base_url, http, U8Hooks::new(account.max_response_bytes));
        let issuer = U8TokenIssuer::new(
            api.clone(),
            account.from_account.clone(),
            account.app_key.clone(),
            account.app_secret.clone(),
        )
        .with_busy_codes(account.busy_codes.clone());
        let tokens = Arc::new(TokenCache::new(issuer, account.renew_token_early));
        Ok(Self {
            api,
            account: Arc::new(account),
            tokens,
        })
    }

    /// The account this client talks to.
    pub fn account(&self) -> &U8Account {
        &self.account
    }

    /// How many tokens were issued so far.
    pub fn tokens_issued(&self) -> u64 {
        self.tokens.issued_count()
    }

    /// Checks the credentials by obtaining a token.
    pub async fn authenticate(&self) -> Result<(), U8Error> {
        self.tokens.current().await.map(|_| ())
    }

    /// One page of customer/batch_get.
    pub async fn customer_page(
        &self,
        page_index: u64,
        rows_per_page: u64,
        filter: &U8CustomerFilter,
    ) -> Result<U8Page<types::U8Customer>, U8Error> {
        const OPERATION: &str = "customer/batch_get";
        self.with_token(OPERATION, |token| async move {
            let acc = &self.account;
            let mut call = self
                .api
                .batch_get_customers()
                .from_account(acc.from_account.as_str())
                .to_account(acc.to_account.as_str())
                .app_key(acc.app_key.as_str())
                .token(token.expose())
                .page_index(page_index.to_string())
                .rows_per_page(rows_per_page.to_string());
            if let Some(ds) = acc.ds_sequence {
                call = call.ds_sequence(ds);
            }
            if let Some(v) = &filter.code_begin {
                call = call.code_begin(v.as_str());
            }
            if let Some(v) = &filter.code_end {
                call = call.code_end(v.as_str());
            }
            if let Some(v) = &filter.timestamp_begin {
                call = call.timestamp_begin(v.as_str());
            }
            if let Some(v) = &filter.timestamp_end {
                call = call.timestamp_end(v.as_str());
            }
            if let Some(v) = &filter.modify_date_begin {
                call = call.modify_date_begin(v.as_str());
            }
            if let Some(v) = &filter.modify_date_end {
                call = call.modify_date_end(v.as_str());
            }
            let answer = call
                .send()
                .await
                .map_err(|e| U8Error::from_progenitor(OPERATION, e))?
                .into_inner();
            if self.check_errcode(OPERATION, &answer.errcode, answer.errmsg.as_ref())?
                == Answer::NoMatch
            {
                return Ok(U8Page::no_match(page_index, rows_per_page));
            }
            let counters = PageCounters {
                page_index: answer.page_index.as_ref(),
                rows_per_page: answer.rows_per_page.as_ref(),
                row_count: answer.row_count.as_ref(),
                page_count: answer.page_count.as_ref(),
            };
            counters.parse(OPERATION, page_index, rows_per_page, answer.customer)
        })
        .await
    }

    /// One page of customercontacts/batch_get.
    pub async fn contact_page(
        &self,
        page_index: u64,
        rows_per_page: u64,
        filter: &U8ContactFilter,
    ) -> Result<U8Page<types::U8CustomerContact>, U8Error> {
        const OPERATION: &str = "customercontacts/batch_get";
        self.with_token(OPERATION, |token| async move {
            let acc = &self.account;
            let mut call = self
                .api
                .batch_get_customer_contacts()
                .from_account(acc.from_account.as_str())
                .to_account(acc.to_account.as_str())
                .app_key(acc.app_key.as_str())
                .token(token.expose())
                .page_index(page_index.to_string())
                .rows_per_page(rows_per_page.to_string());
            if let Some(ds) = acc.ds_sequence {
                call = call.ds_sequence(ds);
            }
            if let Some(v) = &filter.code_begin {
                call = call.code_begin(v.as_str());
            }
            if let Some(v) = &filter.code_end {
                call = call.code_end(v.as_str());
            }
            if let Some(v) = &filter.customer_code {
                call = call.ccuscode(v.as_str());
            }
            let answer = call
                .send()
                .await
                .map_err(|e| U8Error::from_progenitor(OPERATION, e))?
                .into_inner();
            if self.check_errcode(OPERATION, &answer.errcode, answer.errmsg.as_ref())?
                == Answer::NoMatch
            {
                return Ok(U8Page::no_match(page_index, rows_per_page));
            }
            let counters = PageCounters {
                page_index: answer.page_index.as_ref(),
                rows_per_page: answer.rows_per_page.as_ref(),
                row_count: answer.row_count.as_ref(),
                page_count: answer.page_count.as_ref(),
            };
            counters.parse(
                OPERATION,
                page_index,
                rows_per_page,
                answer.customercontacts,
            )
        })
        .await
    }

    /// One customer by code (customer/get); `None` when the account has no customer with that
    /// code (a no-match answer, or an answer without a customer).
    pub async fn customer(&self, code: &str) -> Result<Option<U8CustomerRecord>, U8Error> {
        const OPERATION: &str = "customer/get";
        self.with_token(OPERATION, |token| async move {
            let acc = &self.account;
            let mut call = self
                .api
                .get_customer()
                .from_account(acc.from_account.as_str())
                .to_account(acc.to_account.as_str())
                .app_key(acc.app_key.as_str())
                .token(token.expose())
                .id(code);
            if let Some(ds) = acc.ds_sequence {
                call = call.ds_sequence(ds);
            }
            let answer = call
                .send()
                .await
                .map_err(|e| U8Error::from_progenitor(OPERATION, e))?
                .into_inner();
            match self.check_errcode(OPERATION, &answer.errcode, answer.errmsg.as_ref())? {
                Answer::NoMatch => Ok(None),
                Answer::Data => Ok(answer.customer),
            }
        })
        .await
    }

    /// Runs `call` with a valid token (see [`TokenCache::with_token`]); `operation` is the scope
    /// its token rejections are counted in.
    async fn with_token<T, F, Fut>(&self, operation: &'static str, call: F) -> Result<T, U8Error>
    where
        F: Fn(AccessToken) -> Fut,
        Fut: Future<Output = Result<T, U8Error>>,
    {
        self.tokens
            .with_token(operation, |lease| call(lease.access().clone()))
            .await
    }

    /// What an answer's `errcode` says: data, no matching record, or the matching error.
    fn check_errcode(
        &self,
        operation: &'static str,
        errcode: &LooseString,
        errmsg: Option<&LooseString>,
    ) -> Result<Answer, U8Error> {
        let code = errcode.as_str().trim();
        if code == "0" {
            return Ok(Answer::Data);
        }
        let code = code.to_owned();
        // Vendors echo tokens and secrets in their own words: cut every known one out.
        let message = errmsg
            .map(|m| custlake_client_kit::redact(m.as_str()))
            .unwrap_or_default();
        if is_no_match(&code, &message) {
            return Ok(Answer::NoMatch);
        }
        let is = |list: &[String]| list.contains(&code);
        Err(
            if is(&self.account.token_expired_codes) || self.mentions_token(&code, &message) {
                U8Error::TokenRejected {
                    operation,
                    code,
                    message,
                }
            } else if is(&self.account.busy_codes) {
                U8Error::Busy {
                    operation,
                    code,
                    message,
                }
            } else {
                U8Error::Vendor {
                    operation,
                    code,
                    message,
                }
            },
        )
    }

    /// The heuristic for codes missing from `token_expired_codes`: U8's token answers name the
    /// token in their errmsg ("token无效", "token已过期", "令牌"), its other errors do not.
    fn mentions_token(&self, code: &str, message: &str) -> bool {
        let mentions = names_token(message);
        if mentions {
            tracing::debug!(
                errcode = code,
                to_account = %self.account.to_account,
                "U8 errcode is not in token_expired_codes but its errmsg mentions the token: treated as a token rejection"
            );
        }
        mentions
    }
}

/// What an answer with a known meaning says, short of an error.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    /// `errcode` "0": the answer carries its data.
    Data,
    /// The query matched nothing (`20002 未检索到匹配的[…]`): an empty listing, an unknown code.
    NoMatch,
}

/// Whether an errmsg names the token (`token` in any case, or `令牌`).
fn names_token(message: &str) -> bool {
    message.to_lowercase().contains("token") || message.contains("令牌")
}

/// Whether an error answer means "no matching record": the errmsg says so
/// (`未检索到匹配的[<archive>]`), or the code is [`NO_MATCH_CODE`] and the errmsg does not name the
/// token (an imitation that answers an unknown token with 20002 "token无效" is still understood).
fn is_no_match(code: &str, message: &str) -> bool {
    message.contains(NO_MATCH_MESSAGE) || (code == NO_MATCH_CODE && !names_token(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorded_no_match_answers_are_no_match() {
        assert!(is_no_match("20002", "未检索到匹配的[客户]。"));
        assert!(is_no_match("20002", "未检索到匹配的[交易单位]。"));
        assert!(is_no_match("20002", ""));
        // The message decides when a gateway uses another code for it.
        assert!(is_no_match("20099", "未检索到匹配的[客户联系人]"));
    }

    #[test]
    fn answers_naming_the_token_are_not_no_match() {
        assert!(!is_no_match("20002", "token无效"));
        assert!(!is_no_match("20002", "Token invalid"));
        assert!(!is_no_match("20002", "令牌已失效"));
        assert!(!is_no_match("20003", "token已过期,请重新获取"));
        assert!(!is_no_match("30021", "此应用未上线"));
    }

    #[test]
    fn token_is_named_in_any_case_or_in_chinese() {
        assert!(names_token("TOKEN expired"));
        assert!(names_token("无效的令牌"));
        assert!(!names_token("此应用未上线"));
    }
}
