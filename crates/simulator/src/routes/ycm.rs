//! Yeastar YCM OpenAPI: the OAuth token endpoint and the customer list and detail.
//!
//! Every request needs a `User-Agent` (HTTP 400 Failed without one). Data calls need
//! `Authorization: Bearer <access_token>`: a missing or unknown token is HTTP 401
//! ([`codes::YCM_TOKEN_INVALID_CODE`]), an expired one HTTP 401
//! ([`codes::YCM_TOKEN_EXPIRED_CODE`]). Other vendor errors are HTTP 200 Failed envelopes.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

use super::{Call, Params, Vendor, check_rate_limit, page_bounds, positive, vendor_call};
use crate::codes;
use crate::config::StaleTokenAnswer;
use crate::data::json::{ObjectWriter, write_i64, write_str, write_u64};
use crate::data::ycm::parse_customer_id;
use crate::reply::Reply;
use crate::state::{SimState, YcmClient};
use crate::tokens::{Owner, TokenCheck};

pub(crate) const TOKEN_PATH: &str = "/dm/open_api/oauth/token";
pub(crate) const LIST_PATH: &str = "/dm/open_api/v1/customers";
pub(crate) const GET_PATH: &str = "/dm/open_api/v1/customers/{customerId}";

/// `pageSize` when absent.
const DEFAULT_PAGE_SIZE: u64 = 10;
/// Largest `pageSize` the vendor accepts.
const MAX_PAGE_SIZE: u64 = 50;

/// A Failed envelope: `{"status":"Failed","requestId","time","errcode","errmsg"}`.
pub(crate) fn failed(
    state: &SimState,
    call: &Call,
    status: StatusCode,
    code: &str,
    message: &str,
) -> Reply {
    let mut body = Vec::with_capacity(160);
    let mut obj = ObjectWriter::begin(&mut body);
    obj.str("status", "Failed");
    obj.str("requestId", &call.request_id(state.config.seed));
    let out = obj.key("time");
    write_i64(out, state.now_unix());
    // YCM sends numeric codes; a configured code that is not a number goes out as a string.
    if code.parse::<u64>().is_ok() {
        obj.raw("errcode", code);
    } else {
        obj.str("errcode", code);
    }
    obj.str("errmsg", message);
    obj.end();
    Reply::json(status, body)
}

/// A Success envelope around `data` (already JSON).
fn success(state: &SimState, call: &Call, data: &[u8]) -> Reply {
    let mut body = Vec::with_capacity(data.len() + 128);
    body.extend_from_slice(b"{\"data\":");
    body.extend_from_slice(data);
    body.extend_from_slice(b",\"requestId\":");
    write_str(&mut body, &call.request_id(state.config.seed));
    body.extend_from_slice(b",\"status\":\"Success\",\"time\":");
    write_i64(&mut body, state.now_unix());
    body.push(b'}');
    Reply::json(StatusCode::OK, body)
}

fn has_user_agent(headers: &HeaderMap) -> bool {
    headers
        .get(header::USER_AGENT)
        .is_some_and(|v| !v.as_bytes().iter().all(u8::is_ascii_whitespace))
}

fn no_user_agent(state: &SimState, call: &Call) -> Reply {
    failed(
        state,
        call,
        StatusCode::BAD_REQUEST,
        codes::YCM_BAD_REQUEST_CODE,
        "User-Agent header is required",
    )
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The caller's name for rate limits and fault identities: the token's client id.
fn caller(state: &SimState, headers: &HeaderMap) -> String {
    let owner = bearer(headers).and_then(|token| state.tokens().peek(token));
    match owner {
        Some(Owner::YcmClient(i)) => state
            .ycm
            .get(i)
            .map_or_else(String::new, |c| c.config.client_id.clone()),
        _ => String::new(),
    }
}

/// Checks User-Agent, rate limit and bearer token; the client whose data the call reads.
fn authorize<'s>(
    state: &'s SimState,
    headers: &HeaderMap,
    call: &Call,
    caller: &str,
) -> Result<&'s YcmClient, Reply> {
    if !has_user_agent(headers) {
        return Err(no_user_agent(state, call));
    }
    check_rate_limit(state, Vendor::Ycm, call, caller)?;
    let unauthorized =
        |code: &str, message: &str| failed(state, call, StatusCode::UNAUTHORIZED, code, message);
    let Some(token) = bearer(headers) else {
        return Err(unauthorized(
            codes::YCM_TOKEN_INVALID_CODE,
            "Missing access token",
        ));
    };
    if state.config.faults.reject_every_token {
        return Err(unauthorized(
            codes::YCM_TOKEN_INVALID_CODE,
            "Invalid access token",
        ));
    }
    let max_uses = state.config.faults.token_expire_after_calls;
    let check = state.tokens().use_token(token, max_uses);
    match check {
        TokenCheck::Valid(Owner::YcmClient(i)) => state
            .ycm
            .get(i)
            .ok_or_else(|| unauthorized(codes::YCM_TOKEN_INVALID_CODE, "Invalid access token")),
        TokenCheck::Expired => {
            state.stats.token_expired();
            Err(unauthorized(
                codes::YCM_TOKEN_EXPIRED_CODE,
                "Access token expired",
            ))
        }
        TokenCheck::Stale => {
            state.stats.stale_token_refused();
            match state.config.faults.stale_token_answer {
                StaleTokenAnswer::Expired => Err(unauthorized(
                    codes::YCM_TOKEN_EXPIRED_CODE,
                    "Access token expired",
                )),
                StaleTokenAnswer::Invalid => Err(unauthorized(
                    codes::YCM_TOKEN_INVALID_CODE,
                    "Invalid access token",
                )),
            }
        }
        _ => Err(unauthorized(
            codes::YCM_TOKEN_INVALID_CODE,
            "Invalid access token",
        )),
    }
}

/// `POST /dm/open_api/oauth/token` with a form body.
pub(crate) async fn token(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Params::parse(&body);
    let caller = form.get("client_id").unwrap_or_default().to_owned();
    let identity = form.identity(TOKEN_PATH, &caller);
    vendor_call(&state, Vendor::Ycm, TOKEN_PATH, &identity, |call| {
        issue(&state, &headers, &form, call, &caller).unwrap_or_else(|reply| reply)
    })
    .await
}

fn issue(
    state: &SimState,
    headers: &HeaderMap,
    form: &Params,
    call: &Call,
    caller: &str,
) -> Result<Reply, Reply> {
    if !has_user_agent(headers) {
        return Err(no_user_agent(state, call));
    }
    let refused = |code: &str, message: &str| failed(state, call, StatusCode::OK, code, message);
    let client = match form.get("grant_type") {
        Some("client_credentials") => {
            check_rate_limit(state, Vendor::Ycm, call, caller)?;
            let id = form.get("client_id").unwrap_or_default();
            let secret = form.get("client_secret").unwrap_or_default();
            state
                .ycm
                .iter()
                .position(|c| c.config.client_id == id && c.config.client_secret == secret)
                .ok_or_else(|| {
                    refused(
                        codes::YCM_BAD_CREDENTIALS_CODE,
                        "Invalid client_id or client_secret",
                    )
                })?
        }
        Some("refresh_token") => {
            let refresh = form.get("refresh_token").unwrap_or_default();
            let owner = state.tokens().refresh_owner(refresh);
            let client = owner.ok_or_else(|| {
                refused(
                    codes::YCM_REFRESH_TOKEN_INVALID_CODE,
                    "Invalid or expired refresh token",
                )
            })?;
            let id = state
                .ycm
                .get(client)
                .map_or("", |c| c.config.client_id.as_str());
            check_rate_limit(state, Vendor::Ycm, call, id)?;
            client
        }
        _ => {
            return Err(failed(
                state,
                call,
                StatusCode::BAD_REQUEST,
                codes::YCM_BAD_REQUEST_CODE,
                "grant_type must be client_credentials or refresh_token",
            ));
        }
    };
    let t = &state.config.tokens;
    let pair = state
        .tokens()
        .issue_ycm(client, t.ycm_access_lifetime, t.ycm_refresh_lifetime);
    let mut body = Vec::with_capacity(300);
    let mut obj = ObjectWriter::begin(&mut body);
    obj.str("access_token", &pair.access);
    obj.str("refresh_token", &pair.refresh);
    obj.str("token_type", "bearer");
    obj.u64("expires_in", t.ycm_access_lifetime.as_secs());
    obj.str("jti", &pair.jti);
    obj.end();
    Ok(Reply::json(StatusCode::OK, body))
}

/// `GET /dm/open_api/v1/customers?pageSize&pageNumber&sort`.
pub(crate) async fn list_customers(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    let caller = caller(&state, &headers);
    let identity = params.identity(LIST_PATH, &caller);
    vendor_call(&state, Vendor::Ycm, LIST_PATH, &identity, |call| {
        let client = match authorize(&state, &headers, call, &caller) {
            Ok(client) => client,
            Err(reply) => return reply,
        };
        let invalid = |message: &str| {
            failed(
                &state,
                call,
                StatusCode::OK,
                codes::YCM_INVALID_PARAMETER_CODE,
                message,
            )
        };
        let Some(size) =
            positive(params.get("pageSize"), DEFAULT_PAGE_SIZE).filter(|s| *s <= MAX_PAGE_SIZE)
        else {
            return invalid("pageSize must be an integer from 1 to 50");
        };
        let Some(number) = positive(params.get("pageNumber"), 1) else {
            return invalid("pageNumber must be a positive integer");
        };
        let descending = match params.get("sort") {
            None | Some("") | Some("customerId") => false,
            Some("-customerId") => true,
            Some(_) => return invalid("sort must be customerId or -customerId"),
        };
        let snapshot = client.customers.snapshot();
        let total = snapshot.len();
        let (start, end) = page_bounds(total, number, size);
        let mut data = Vec::with_capacity(128 + (end - start) as usize * 400);
        data.extend_from_slice(b"{\"pageSize\":");
        write_u64(&mut data, size);
        data.extend_from_slice(b",\"pageNumber\":");
        write_u64(&mut data, number);
        data.extend_from_slice(b",\"total\":");
        write_u64(&mut data, total);
        data.extend_from_slice(b",\"list\":[");
        for (n, p) in (start..end).enumerate() {
            let position = if descending { total - 1 - p } else { p };
            let Some(item) = snapshot.item_at(position) else {
                break;
            };
            if n > 0 {
                data.push(b',');
            }
            client.data.write_customer(item, &mut data);
        }
        data.extend_from_slice(b"]}");
        let salt = format!("{}/ycm_customers", client.config.name);
        state.after_page(&client.customers, &salt, start, end - start, descending);
        success(&state, call, &data)
    })
    .await
}

/// `GET /dm/open_api/v1/customers/{customerId}`.
pub(crate) async fn get_customer(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path(customer_id): Path<String>,
) -> Response {
    let caller = caller(&state, &headers);
    let identity = format!("{LIST_PATH}/{customer_id}|{caller}");
    vendor_call(&state, Vendor::Ycm, GET_PATH, &identity, |call| {
        let client = match authorize(&state, &headers, call, &caller) {
            Ok(client) => client,
            Err(reply) => return reply,
        };
        let Ok(id) = customer_id.trim().parse::<i64>() else {
            return failed(
                &state,
                call,
                StatusCode::OK,
                codes::YCM_INVALID_PARAMETER_CODE,
                "customerId must be an integer",
            );
        };
        let found =
            parse_customer_id(id).filter(|item| client.customers.snapshot().contains(*item));
        let Some(item) = found else {
            return failed(
                &state,
                call,
                StatusCode::OK,
                codes::YCM_NOT_FOUND_CODE,
                "Customer not found",
            );
        };
        let mut data = Vec::with_capacity(512);
        client.data.write_customer(item, &mut data);
        success(&state, call, &data)
    })
    .await
}
