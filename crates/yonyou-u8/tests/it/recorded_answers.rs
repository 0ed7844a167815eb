//! Every recorded vendor answer in `tests/answers/` goes through the real client and gives the
//! outcome its fixture expects.
//!
//! A fixture is one answer known from public material (see `tests/answers/README.md`): the
//! operation it answers, the HTTP status, the body and the expected outcome. For each one a small
//! server on 127.0.0.1 answers that operation with the fixture (and the token endpoint with a
//! normal token, counting the calls, unless the fixture is the token answer itself); the client's
//! result is checked. All failures are collected and reported together, each with its file name.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use custlake_client_kit::{Secret, TokenIssuer};
use serde_json::Value;

use crate::recorded_answer_harness::{Fixture, Harness};
use yonyou_u8::{
    GeneratedClient, U8Account, U8Client, U8ContactFilter, U8CustomerFilter, U8Error, U8TokenIssuer,
};

/// The operations a fixture may answer.
const OPERATIONS: &[&str] = &[
    "system/token",
    "customer/batch_get",
    "customercontacts/batch_get",
    "customer/get",
];

/// The outcomes this harness knows; any other is a failure, never a skip.
const OUTCOMES: &[&str] = &[
    "records",
    "found",
    "empty",
    "not_found",
    "token",
    "vendor_error",
    "token_rejection",
];

/// Fixtures that must be present: the eight archives whose 20002 answers microfeel/Yonyou
/// recorded, the vendor pages' examples and the one recorded token answer.
const REQUIRED: &[&str] = &[
    "batch_get-20002-jiaoyidanwei.json",
    "batch_get-20002-changyongzhaiyao.json",
    "batch_get-20002-shoufukuanxieyidangan.json",
    "batch_get-20002-bendanweikaihuyinhang.json",
    "batch_get-20002-huilv.json",
    "batch_get-20002-ziyouxiang.json",
    "batch_get-20002-feiyongxiangmu.json",
    "batch_get-20002-feiyongxiangmufenlei.json",
    "customer_get-vendor-example.json",
    "customercontacts_batch_get-vendor-example.json",
    "customer_get-30021-app-not-online.json",
    "system_token-ok-7200.json",
];

/// The token the harness's token endpoint hands out when the fixture is not a token answer.
const HARNESS_TOKEN: &str = "harness-token";
const APP_SECRET: &str = "harness-app-secret";

/// What the in-test server answers and what it saw.
struct Served {
    operation: String,
    status: StatusCode,
    body: String,
    token_calls: AtomicU64,
    /// The token query parameter of every data call.
    data_tokens: std::sync::Mutex<Vec<String>>,
}

fn json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        body,
    )
        .into_response()
}

async fn serve_token(State(s): State<Arc<Served>>) -> Response {
    s.token_calls.fetch_add(1, Ordering::SeqCst);
    if s.operation == "system/token" {
        return json_response(s.status, s.body.clone());
    }
    json_response(
        StatusCode::OK,
        format!(
            r#"{{"errcode":"0","errmsg":"","token":{{"id":"{HARNESS_TOKEN}","appKey":"app-key","expiresIn":7200}}}}"#
        ),
    )
}

type Params = Query<HashMap<String, String>>;

async fn serve_data(
    operation: &'static str,
    s: &Served,
    query: &HashMap<String, String>,
) -> Response {
    let token = query.get("token").cloned().unwrap_or_default();
    s.data_tokens.lock().expect("lock").push(token);
    if s.operation == operation {
        json_response(s.status, s.body.clone())
    } else {
        // The client called an operation the fixture does not answer.
        json_response(
            StatusCode::NOT_IMPLEMENTED,
            format!(r#"{{"harness":"no fixture for {operation}"}}"#),
        )
    }
}

async fn serve_customers(State(s): State<Arc<Served>>, Query(q): Params) -> Response {
    serve_data("customer/batch_get", &s, &q).await
}

async fn serve_contacts(State(s): State<Arc<Served>>, Query(q): Params) -> Response {
    serve_data("customercontacts/batch_get", &s, &q).await
}

async fn serve_customer(State(s): State<Arc<Served>>, Query(q): Params) -> Response {
    serve_data("customer/get", &s, &q).await
}

async fn start(fixture: &Fixture) -> (String, Arc<Served>) {
    let served = Arc::new(Served {
        operation: fixture.operation.clone(),
        status: StatusCode::from_u16(fixture.http_status).expect("checked status"),
        body: fixture.body_bytes().expect("checked body"),
        token_calls: AtomicU64::new(0),
        data_tokens: std::sync::Mutex::new(Vec::new()),
    });
    let app = Router::new()
        .route("/system/token", get(serve_token))
        .route("/api/customer/batch_get", get(serve_customers))
        .route("/api/customercontacts/batch_get", get(serve_contacts))
        .route("/api/customer/get", get(serve_customer))
        .with_state(served.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), served)
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("http client")
}

fn client(url: &str) -> U8Client {
    let account = U8Account::new(url, "from", "to", "app-key", Secret::new(APP_SECRET));
    U8Client::new(account, http()).expect("valid base url")
}

/// What one client call gave, reduced to what the outcomes check.
enum Got {
    Page {
        records: usize,
        row_count: u64,
        page_count: u64,
    },
    Customer(Option<String>),
    Token,
}

async fn call(u8: &U8Client, operation: &str, fixture: &Fixture) -> Result<Got, U8Error> {
    match operation {
        "customer/batch_get" => {
            let page = u8
                .customer_page(1, 20, &U8CustomerFilter::default())
                .await?;
            Ok(Got::Page {
                records: page.records.len(),
                row_count: page.row_count,
                page_count: page.page_count,
            })
        }
        "customercontacts/batch_get" => {
            let page = u8.contact_page(1, 20, &U8ContactFilter::default()).await?;
            Ok(Got::Page {
                records: page.records.len(),
                row_count: page.row_count,
                page_count: page.page_count,
            })
        }
        "customer/get" => {
            let code = fixture.expect_str("code").unwrap_or("00000001");
            let record = u8.customer(code).await?;
            let code = record.map(|record| {
                record
                    .decoded()
                    .ok()
                    .and_then(|c| c.code.as_ref().map(|v| v.as_str().to_owned()))
                    .unwrap_or_default()
            });
            Ok(Got::Customer(code))
        }
        "system/token" => u8.authenticate().await.map(|()| Got::Token),
        other => unreachable!("operation {other} was checked"),
    }
}

fn describe(got: &Result<Got, U8Error>) -> String {
    match got {
        Ok(Got::Page {
            records,
            row_count,
            page_count,
        }) => {
            format!("Ok(page: {records} records, row_count {row_count}, page_count {page_count})")
        }
        Ok(Got::Customer(Some(code))) => format!("Ok(Some(customer {code:?}))"),
        Ok(Got::Customer(None)) => "Ok(None)".into(),
        Ok(Got::Token) => "Ok(token)".into(),
        Err(e) => format!("Err({e:?})"),
    }
}

/// Runs one fixture; `Err` says which assertion failed.
async fn run(fixture: &Fixture) -> Result<(), String> {
    let (url, served) = start(fixture).await;
    let u8 = client(&url);
    let got = call(&u8, &fixture.operation, fixture).await;
    let token_calls = served.token_calls.load(Ordering::SeqCst);
    let data_calls = served.data_tokens.lock().expect("lock").len();
    let seen = describe(&got);
    match fixture.outcome() {
        "records" => {
            let Ok(Got::Page {
                records,
                row_count,
                page_count,
            }) = got
            else {
                return Err(format!("expected a page, got {seen}"));
            };
            let want = (
                fixture.expect_u64("records")?,
                fixture.expect_u64("row_count")?,
                fixture.expect_u64("page_count")?,
            );
            if (records as u64, row_count, page_count) != want {
                return Err(format!(
                    "expected (records, row_count, page_count) {want:?}, got {seen}"
                ));
            }
        }
        "found" => {
            let Ok(Got::Customer(Some(code))) = got else {
                return Err(format!("expected Ok(Some(customer)), got {seen}"));
            };
            if let Some(want) = fixture.expect_str("code")
                && code != want
            {
                return Err(format!("expected customer code {want:?}, got {code:?}"));
            }
        }
        "empty" => {
            let Ok(Got::Page {
                records: 0,
                row_count: 0,
                page_count: 0,
            }) = got
            else {
                return Err(format!(
                    "expected Ok(page) with 0 records, row_count 0, page_count 0, got {seen}"
                ));
            };
            no_renewal(token_calls, data_calls)?;
        }
        "not_found" => {
            let Ok(Got::Customer(None)) = got else {
                return Err(format!("expected Ok(None), got {seen}"));
            };
            no_renewal(token_calls, data_calls)?;
        }
        "token" => check_token(fixture, &url, &u8, &served, got.map(|_| ()), token_calls).await?,
        "vendor_error" => {
            let Err(U8Error::Vendor { code, message, .. }) = &got else {
                return Err(format!("expected Err(U8Error::Vendor), got {seen}"));
            };
            if let Some(want) = fixture.expect_str("code")
                && code != want
            {
                return Err(format!("expected vendor code {want:?}, got {seen}"));
            }
            if let Some(want) = fixture.expect_str("message_contains")
                && !message.contains(want)
            {
                return Err(format!(
                    "expected a message containing {want:?}, got {seen}"
                ));
            }
        }
        "token_rejection" => {
            if !matches!(
                got,
                Err(U8Error::TokenRejected { .. } | U8Error::FreshTokenRejected { .. })
            ) {
                return Err(format!(
                    "expected Err(TokenRejected | FreshTokenRejected), got {seen}"
                ));
            }
            if token_calls < 2 {
                return Err(format!(
                    "expected the token to be renewed at least once, got {token_calls} token calls"
                ));
            }
        }
        other => return Err(format!("unknown expect.outcome {other:?}")),
    }
    Ok(())
}

/// A no-match answer proves the token good: one log-in, one data call, nothing sent again.
fn no_renewal(token_calls: u64, data_calls: usize) -> Result<(), String> {
    if token_calls != 1 || data_calls != 1 {
        return Err(format!(
            "expected exactly 1 token call and 1 data call (no renewal, no retry), got {token_calls} token calls and {data_calls} data calls"
        ));
    }
    Ok(())
}

/// A token answer: the client logs in with it (one token call) and sends the fixture's token id
/// with its next data call, and the issuer the client uses reads the fixture's lifetime (the
/// client itself does not expose the lifetime).
async fn check_token(
    fixture: &Fixture,
    url: &str,
    u8: &U8Client,
    served: &Served,
    login: Result<(), U8Error>,
    token_calls: u64,
) -> Result<(), String> {
    if let Err(e) = login {
        return Err(format!("expected the log-in to succeed, got Err({e:?})"));
    }
    if token_calls != 1 {
        return Err(format!("expected exactly 1 token call, got {token_calls}"));
    }
    let want_secs = fixture.expect_u64("expires_in_secs")?;
    let body: Value = serde_json::from_str(&fixture.body_bytes().unwrap_or_default())
        .map_err(|e| format!("token body is not JSON: {e}"))?;
    let want_id = body
        .pointer("/token/id")
        .and_then(Value::as_str)
        .ok_or("the token body has no token.id string")?
        .to_owned();
    // The data endpoint does not answer in this mode; only the token it was sent is checked.
    let _ = u8.customer_page(1, 20, &U8CustomerFilter::default()).await;
    let sent = served.data_tokens.lock().expect("lock").first().cloned();
    if sent.as_deref() != Some(want_id.as_str()) {
        return Err("the data call after the log-in did not carry the fixture's token.id".into());
    }
    let issuer = U8TokenIssuer::new(
        GeneratedClient::new_with_client(url, http(), Default::default()),
        "from".into(),
        "app-key".into(),
        Secret::new(APP_SECRET),
    );
    let issued = issuer
        .issue(None)
        .await
        .map_err(|e| format!("the token issuer failed on the fixture: {e:?}"))?;
    if issued.access.expose() != want_id {
        return Err("the issued token is not the fixture's token.id".into());
    }
    if issued.lifetime != Duration::from_secs(want_secs) {
        return Err(format!(
            "expected a lifetime of {want_secs} s, got {} s",
            issued.lifetime.as_secs()
        ));
    }
    Ok(())
}

#[tokio::test]
async fn every_recorded_answer_gives_its_outcome() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/answers");
    let harness = Harness {
        dir: &dir,
        required: REQUIRED,
        operations: OPERATIONS,
        outcomes: OUTCOMES,
    };
    harness
        .check_every_fixture(|fixture| Box::pin(run(fixture)))
        .await;
}
