//! Yonyou U8 OpenAPI: `/system/token`, `customer/get`, `customer/batch_get`,
//! `customercontacts/batch_get`.
//!
//! Every vendor answer is HTTP 200 with `errcode` ("0" on success); page counters are strings.
//! A query that matches nothing — an account without contacts, a change window without changes,
//! a page past the last record, a `get` of an unknown code — answers what real accounts answer:
//! `20002 未检索到匹配的[<archive>]。`, not an empty page (for pages past the end that is an
//! assumption: the recorded answers are of empty archives).
//! Checks run in this order: required parameters, rate limit (per app_key), app known (30021),
//! token, from_account, data source (to_account + ds_sequence). customer/batch_get honours the
//! change filters `timestamp_begin`/`timestamp_end` and `ModifyDate_begin`/`ModifyDate_end`
//! (inclusive; see [`crate::version_filter`]); the other filters (code_begin, name, ...) and all
//! of customercontacts/batch_get's are accepted and ignored.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{Call, Params, Vendor, check_rate_limit, page_bounds, positive, vendor_call};
use crate::codes;
use crate::config::StaleTokenAnswer;
use crate::data::json::{ObjectWriter, write_str};
use crate::data::parse_item_code;
use crate::reply::Reply;
use crate::state::{SimState, U8Tenant};
use crate::tokens::{Owner, TokenCheck};
use crate::version_filter::VersionFilter;

pub(crate) const TOKEN_PATH: &str = "/system/token";
pub(crate) const CUSTOMER_GET_PATH: &str = "/api/customer/get";
pub(crate) const CUSTOMER_BATCH_PATH: &str = "/api/customer/batch_get";
pub(crate) const CONTACT_BATCH_PATH: &str = "/api/customercontacts/batch_get";

/// Rows per page when `rows_per_page` is absent (the vendor's example value).
const DEFAULT_ROWS_PER_PAGE: u64 = 20;

/// A U8 error body with HTTP 200.
pub(crate) fn error(code: &str, message: &str) -> Reply {
    let mut body = Vec::with_capacity(64);
    let mut obj = ObjectWriter::begin(&mut body);
    obj.str("errcode", code);
    obj.str("errmsg", message);
    obj.end();
    Reply::json(StatusCode::OK, body)
}

fn params_of(query: Option<String>) -> Params {
    Params::parse(query.unwrap_or_default().as_bytes())
}

fn missing(names: &[&str]) -> Reply {
    error(
        codes::U8_MISSING_PARAMETER_CODE,
        &format!("缺少必填参数: {}", names.join(",")),
    )
}

/// `GET /system/token?from_account&app_key&app_secret`.
pub(crate) async fn token(
    State(state): State<Arc<SimState>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = params_of(query);
    let identity = params.identity(TOKEN_PATH, "");
    vendor_call(&state, Vendor::U8, TOKEN_PATH, &identity, |call| {
        issue_token(&state, &params, call).unwrap_or_else(|reply| reply)
    })
    .await
}

fn issue_token(state: &SimState, params: &Params, call: &Call) -> Result<Reply, Reply> {
    let required = ["from_account", "app_key", "app_secret"];
    let absent: Vec<&str> = required
        .into_iter()
        .filter(|n| params.non_empty(n).is_none())
        .collect();
    let (Some(from), Some(app_key), Some(secret)) = (
        params.non_empty("from_account"),
        params.non_empty("app_key"),
        params.non_empty("app_secret"),
    ) else {
        return Err(missing(&absent));
    };
    check_rate_limit(state, Vendor::U8, call, app_key)?;
    let app = state
        .u8
        .iter()
        .find(|t| t.config.app_key == app_key)
        .ok_or_else(|| error(codes::U8_APP_NOT_ONLINE_CODE, codes::U8_APP_NOT_ONLINE_MSG))?;
    if app.config.app_secret != secret || app.config.from_account != from {
        return Err(error(
            codes::U8_BAD_CREDENTIALS_CODE,
            "app_key或app_secret错误",
        ));
    }
    let lifetime = state.config.tokens.u8_lifetime;
    let token = state.tokens().issue_u8(app_key, lifetime);
    let mut body = Vec::with_capacity(160);
    let mut obj = ObjectWriter::begin(&mut body);
    obj.str("errcode", codes::U8_OK_CODE);
    obj.str("errmsg", "");
    let out = obj.key("token");
    let mut token_obj = ObjectWriter::begin(out);
    token_obj.str("id", &token);
    token_obj.str("appKey", app_key);
    token_obj.u64("expiresIn", lifetime.as_secs());
    token_obj.end();
    obj.end();
    Ok(Reply::json(StatusCode::OK, body))
}

/// Checks credentials, token and data source of a data call; the tenant it reads.
fn authorize<'s>(state: &'s SimState, params: &Params, call: &Call) -> Result<&'s U8Tenant, Reply> {
    let required = ["from_account", "to_account", "app_key", "token"];
    let absent: Vec<&str> = required
        .into_iter()
        .filter(|n| params.non_empty(n).is_none())
        .collect();
    let (Some(from), Some(to), Some(app_key), Some(token)) = (
        params.non_empty("from_account"),
        params.non_empty("to_account"),
        params.non_empty("app_key"),
        params.non_empty("token"),
    ) else {
        return Err(missing(&absent));
    };
    check_rate_limit(state, Vendor::U8, call, app_key)?;
    let app = state
        .u8
        .iter()
        .find(|t| t.config.app_key == app_key)
        .ok_or_else(|| error(codes::U8_APP_NOT_ONLINE_CODE, codes::U8_APP_NOT_ONLINE_MSG))?;
    if state.config.faults.reject_every_token {
        return Err(error(&state.config.u8_invalid_token_code, "token无效"));
    }
    let max_uses = state.config.faults.token_expire_after_calls;
    let check = state.tokens().use_token(token, max_uses);
    match check {
        TokenCheck::Valid(Owner::U8App(owner)) if owner == app_key => {}
        TokenCheck::Expired => {
            state.stats.token_expired();
            return Err(error(
                codes::U8_TOKEN_EXPIRED_CODE,
                "token已过期,请重新获取",
            ));
        }
        TokenCheck::Stale
            if state.config.faults.stale_token_answer == StaleTokenAnswer::Expired =>
        {
            state.stats.stale_token_refused();
            return Err(error(
                codes::U8_TOKEN_EXPIRED_CODE,
                "token已过期,请重新获取",
            ));
        }
        TokenCheck::Stale => {
            state.stats.stale_token_refused();
            return Err(error(&state.config.u8_invalid_token_code, "token无效"));
        }
        _ => return Err(error(&state.config.u8_invalid_token_code, "token无效")),
    }
    if app.config.from_account != from {
        return Err(error(
            codes::U8_BAD_CREDENTIALS_CODE,
            "from_account与应用不匹配",
        ));
    }
    let ds = match params.non_empty("ds_sequence") {
        None => None,
        Some(text) => Some(
            text.trim()
                .parse::<i64>()
                .map_err(|_| error(codes::U8_INVALID_PARAMETER_CODE, "参数ds_sequence格式错误"))?,
        ),
    };
    let candidates = state
        .u8
        .iter()
        .filter(|t| t.config.app_key == app_key && t.config.to_account == to);
    let tenant = match ds {
        Some(ds) => candidates
            .into_iter()
            .find(|t| t.config.effective_ds_sequence() == ds),
        None => candidates.min_by_key(|t| t.config.effective_ds_sequence()),
    };
    tenant.ok_or_else(|| error(codes::U8_ACCOUNT_NOT_FOUND_CODE, "提供方账号或数据源不存在"))
}

/// `GET /api/customer/get?...&id=<code>`.
pub(crate) async fn customer_get(
    State(state): State<Arc<SimState>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = params_of(query);
    let identity = params.identity(CUSTOMER_GET_PATH, "");
    vendor_call(&state, Vendor::U8, CUSTOMER_GET_PATH, &identity, |call| {
        let tenant = match authorize(&state, &params, call) {
            Ok(tenant) => tenant,
            Err(reply) => return reply,
        };
        let Some(id) = params.non_empty("id") else {
            return missing(&["id"]);
        };
        let found = parse_item_code(id).filter(|item| tenant.customers.snapshot().contains(*item));
        let Some(item) = found else {
            return no_match(List::Customers);
        };
        let mut body = Vec::with_capacity(2048);
        let mut obj = ObjectWriter::begin(&mut body);
        obj.str("errmsg", "");
        obj.str("errcode", codes::U8_OK_CODE);
        let out = obj.key("customer");
        tenant.data.write_customer(item, out);
        obj.end();
        Reply::json(StatusCode::OK, body)
    })
    .await
}

/// Which U8 list a batch_get serves.
#[derive(Clone, Copy)]
enum List {
    Customers,
    Contacts,
}

impl List {
    /// The archive's name as U8 writes it in its messages.
    fn archive(self) -> &'static str {
        match self {
            List::Customers => "客户",
            List::Contacts => "客户联系人",
        }
    }
}

/// The answer real U8 accounts give to a query that matches nothing (recorded:
/// `{"errcode":"20002","errmsg":"未检索到匹配的[交易单位]。"}`, the bracket naming the archive).
fn no_match(list: List) -> Reply {
    error(
        codes::U8_NO_MATCH_CODE,
        &format!("未检索到匹配的[{}]。", list.archive()),
    )
}

/// `GET /api/customer/batch_get`.
pub(crate) async fn customer_batch_get(
    State(state): State<Arc<SimState>>,
    RawQuery(query): RawQuery,
) -> Response {
    batch_get(state, query, List::Customers).await
}

/// `GET /api/customercontacts/batch_get`.
pub(crate) async fn contact_batch_get(
    State(state): State<Arc<SimState>>,
    RawQuery(query): RawQuery,
) -> Response {
    batch_get(state, query, List::Contacts).await
}

async fn batch_get(state: Arc<SimState>, query: Option<String>, list: List) -> Response {
    let params = params_of(query);
    let path = match list {
        List::Customers => CUSTOMER_BATCH_PATH,
        List::Contacts => CONTACT_BATCH_PATH,
    };
    let identity = params.identity(path, "");
    state.stats.log_request(path, &params.public_query());
    vendor_call(&state, Vendor::U8, path, &identity, |call| {
        let tenant = match authorize(&state, &params, call) {
            Ok(tenant) => tenant,
            Err(reply) => return reply,
        };
        let Some(page) = positive(params.get("page_index"), 1) else {
            return error(codes::U8_INVALID_PARAMETER_CODE, "参数page_index格式错误");
        };
        let Some(rows) = positive(params.get("rows_per_page"), DEFAULT_ROWS_PER_PAGE) else {
            return error(
                codes::U8_INVALID_PARAMETER_CODE,
                "参数rows_per_page格式错误",
            );
        };
        let rows = rows.min(u64::from(state.config.u8_max_rows_per_page));
        let filter = match list {
            List::Customers => match VersionFilter::from_params(
                |name| params.get(name),
                state.config.u8_exclusive_begin_bounds,
            ) {
                Ok(filter) => filter,
                Err(name) => {
                    return error(
                        codes::U8_INVALID_PARAMETER_CODE,
                        &format!("参数{name}格式错误"),
                    );
                }
            },
            List::Contacts => None,
        };
        let (dataset, array_key, salt) = match list {
            List::Customers => (&tenant.customers, "customer", "u8_customers"),
            List::Contacts => (&tenant.contacts, "customercontacts", "u8_contacts"),
        };
        let snapshot = dataset.snapshot();
        let filtered = filter.map(|f| tenant.filtered_customers(f));
        let total = filtered
            .as_ref()
            .map_or(snapshot.len(), |items| items.len() as u64);
        let (start, end) = page_bounds(total, page, rows);
        let mut body = Vec::with_capacity(256 + (end - start) as usize * 1400);
        body.extend_from_slice(br#"{"errcode":"0","errmsg":"","page_index":"#);
        write_str(&mut body, &page.to_string());
        body.extend_from_slice(br#","rows_per_page":"#);
        write_str(&mut body, &rows.to_string());
        body.extend_from_slice(br#","row_count":"#);
        write_str(&mut body, &total.to_string());
        body.extend_from_slice(br#","page_count":"#);
        write_str(&mut body, &total.div_ceil(rows).to_string());
        body.extend_from_slice(b",");
        write_str(&mut body, array_key);
        body.extend_from_slice(b":[");
        let mut written = 0_u64;
        for p in start..end {
            let item = match &filtered {
                Some(items) => items.get(p as usize).copied(),
                None => snapshot.item_at(p),
            };
            let Some(item) = item else {
                break;
            };
            if written > 0 {
                body.push(b',');
            }
            written += 1;
            match list {
                List::Customers => tenant.data.write_customer(item, &mut body),
                List::Contacts => tenant.data.write_contact(item, &mut body),
            };
        }
        body.extend_from_slice(b"]}");
        if filtered.is_some() {
            state.after_filtered_page(dataset, end - start);
        } else {
            let drift_salt = format!("{}/{salt}", tenant.config.name);
            state.after_page(dataset, &drift_salt, start, end - start, false);
        }
        if written == 0 {
            // An empty account, an empty change window, a page past the last record.
            return no_match(list);
        }
        Reply::json(StatusCode::OK, body)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_have_the_vendor_shape() {
        let reply = error("30021", "此应用未上线");
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(
            String::from_utf8(reply.body).expect("utf8"),
            r#"{"errcode":"30021","errmsg":"此应用未上线"}"#
        );
    }
}
