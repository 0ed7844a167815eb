//! The HTTP routes of both vendors and of the admin API, and the plumbing every vendor call
//! goes through: statistics, fault decision, latency, then the handler.

mod admin;
mod u8;
mod ycm;

use std::sync::Arc;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::faults::{Decision, Fault};
use crate::hash::{hash_str, key};
use crate::reply::{Reply, drop_mid_body, malformed, server_error};
use crate::state::SimState;

/// The router serving both vendors' paths and `/_sim/...` from one listener.
pub(crate) fn router(state: Arc<SimState>) -> Router {
    Router::new()
        .route(u8::TOKEN_PATH, get(u8::token))
        .route(u8::CUSTOMER_GET_PATH, get(u8::customer_get))
        .route(u8::CUSTOMER_BATCH_PATH, get(u8::customer_batch_get))
        .route(u8::CONTACT_BATCH_PATH, get(u8::contact_batch_get))
        .route(ycm::TOKEN_PATH, post(ycm::token))
        .route(ycm::LIST_PATH, get(ycm::list_customers))
        .route(ycm::GET_PATH, get(ycm::get_customer))
        .route("/_sim/stats", get(admin::stats))
        .route("/_sim/ground_truth", get(admin::ground_truth_index))
        .route("/_sim/ground_truth/links", get(admin::links))
        .route(
            "/_sim/ground_truth/{tenant}/{entity}",
            get(admin::entity_set),
        )
        .route("/_sim/change/{tenant}", post(admin::change))
        .route("/_sim/changes", get(admin::changes))
        .with_state(state)
}

/// Which vendor a call belongs to, for the shape of injected answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Vendor {
    U8,
    Ycm,
}

/// What a handler knows about its call besides the request itself.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Call {
    /// The fault decision (its attempt number seeds the YCM requestId).
    pub(crate) decision: Decision,
    /// Hash of the request identity.
    pub(crate) identity: u64,
}

impl Call {
    /// A request id that is deterministic under the seed (hex, 32 characters).
    pub(crate) fn request_id(&self, seed: u64) -> String {
        let a = key(seed, &[0x0072_6571, self.identity, self.decision.attempt]);
        let b = key(a, &[1]);
        format!("{a:016x}{b:016x}")
    }
}

/// Query parameters in order, percent-decoded.
#[derive(Clone, Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

/// Parameters that carry secrets and so stay out of request identities.
const SECRET_PARAMS: &[&str] = &[
    "token",
    "app_secret",
    "access_token",
    "refresh_token",
    "client_secret",
];

impl Params {
    /// Parses a query string or a form body.
    pub(crate) fn parse(text: &[u8]) -> Self {
        Self(
            url::form_urlencoded::parse(text)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first non-empty value of `name`.
    pub(crate) fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// A stable description of the request for fault decisions: path, the caller, and the
    /// sorted non-secret parameters.
    pub(crate) fn identity(&self, path: &str, caller: &str) -> String {
        let mut pairs: Vec<&(String, String)> = self
            .0
            .iter()
            .filter(|(k, _)| !SECRET_PARAMS.contains(&k.as_str()))
            .collect();
        pairs.sort();
        let mut text = format!("{path}|{caller}");
        for (k, v) in pairs {
            text.push('|');
            text.push_str(k);
            text.push('=');
            text.push_str(v);
        }
        text
    }

    /// The query in its original order without the secret parameters, form-encoded again (for
    /// the request log).
    pub(crate) fn public_query(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.0 {
            if !SECRET_PARAMS.contains(&k.as_str()) {
                query.append_pair(k, v);
            }
        }
        query.finish()
    }
}

/// Runs one vendor call: counts it, decides its fault, waits its latency, then answers with
/// the fault or the handler's reply (broken, for the drop and malformed faults).
pub(crate) async fn vendor_call(
    state: &SimState,
    vendor: Vendor,
    path: &'static str,
    identity: &str,
    handler: impl FnOnce(&Call) -> Reply,
) -> Response {
    state.stats.request(path);
    let _in_flight = state.stats.enter(path);
    let identity = hash_str(state.config.seed, identity);
    let decision = state.faults.decide(identity);
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    let call = Call { decision, identity };
    if let Some(fault) = decision.fault {
        state.stats.fault(fault.name());
    }
    match decision.fault {
        None => handler(&call).into_response(),
        Some(Fault::TooManyRequests) => {
            let secs = state.faults.config().retry_after_secs;
            throttled(state, vendor, &call, secs).into_response()
        }
        Some(Fault::ServerError(code)) => server_error(code).into_response(),
        Some(Fault::VendorError) => match vendor {
            Vendor::U8 => {
                let code = &state.faults.config().u8_vendor_error_code;
                u8::error(code, "系统繁忙,请稍后再试").into_response()
            }
            Vendor::Ycm => {
                let code = &state.faults.config().ycm_vendor_error_code;
                ycm::failed(
                    state,
                    &call,
                    axum::http::StatusCode::OK,
                    code,
                    "System busy, please retry later",
                )
                .into_response()
            }
        },
        Some(Fault::DropConnection) => drop_mid_body(handler(&call), decision.detail),
        Some(Fault::Malformed) => malformed(handler(&call), decision.detail).into_response(),
    }
}

/// The vendor's HTTP 429 answer with `Retry-After`.
pub(crate) fn throttled(
    state: &SimState,
    vendor: Vendor,
    call: &Call,
    retry_after_secs: u64,
) -> Reply {
    let status = axum::http::StatusCode::TOO_MANY_REQUESTS;
    let reply = match vendor {
        Vendor::U8 => {
            let mut reply = u8::error(
                crate::codes::U8_RATE_LIMITED_CODE,
                "调用频率超过限制,请稍后再试",
            );
            reply.status = status;
            reply
        }
        Vendor::Ycm => ycm::failed(
            state,
            call,
            status,
            crate::codes::YCM_RATE_LIMITED_CODE,
            "Too many requests",
        ),
    };
    reply.retry_after(retry_after_secs.max(1))
}

/// Takes a token from `client`'s bucket; the vendor's 429 answer when it is empty.
pub(crate) fn check_rate_limit(
    state: &SimState,
    vendor: Vendor,
    call: &Call,
    client: &str,
) -> Result<(), Reply> {
    let Some(limit) = &state.rate_limit else {
        return Ok(());
    };
    limit.check(client).map_err(|wait| {
        state.stats.rate_limited();
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        throttled(state, vendor, call, secs)
    })
}

/// Parses a positive page parameter; `default` when absent or empty.
pub(crate) fn positive(value: Option<&str>, default: u64) -> Option<u64> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Some(default),
        Some(v) => v.parse::<u64>().ok().filter(|n| *n >= 1),
    }
}

/// The slice `[start, end)` of a listing of `total` records for 1-based page `page` of
/// `size` records (empty past the end).
pub(crate) fn page_bounds(total: u64, page: u64, size: u64) -> (u64, u64) {
    let start = (page - 1).saturating_mul(size).min(total);
    let end = start.saturating_add(size).min(total);
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_ignore_secrets_and_order() {
        let a = Params::parse(b"page_index=2&token=abc&to_account=x");
        let b = Params::parse(b"to_account=x&token=zzz&page_index=2");
        assert_eq!(a.identity("/p", "c"), b.identity("/p", "c"));
        assert_ne!(a.identity("/p", "c"), a.identity("/p", "d"));
    }

    #[test]
    fn public_queries_keep_order_and_drop_secrets() {
        let params = Params::parse(b"page_index=2&token=abc&timestamp_begin=0x0A&app_secret=s");
        assert_eq!(params.public_query(), "page_index=2&timestamp_begin=0x0A");
    }

    #[test]
    fn pages_are_bounded() {
        assert_eq!(page_bounds(45, 1, 20), (0, 20));
        assert_eq!(page_bounds(45, 3, 20), (40, 45));
        assert_eq!(page_bounds(45, 4, 20), (45, 45));
        assert_eq!(page_bounds(45, u64::MAX, u64::MAX), (45, 45));
        assert_eq!(positive(Some("abc"), 1), None);
        assert_eq!(positive(Some("0"), 1), None);
        assert_eq!(positive(None, 7), Some(7));
    }
}
