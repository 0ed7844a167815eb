//! Every recorded vendor answer in `tests/answers/` goes through the real client and gives the
//! outcome its fixture expects.
//!
//! A fixture is one answer known from public material (see `tests/answers/README.md`): the
//! operation it answers, the HTTP status, the body and the expected outcome. For each one a small
//! server on 127.0.0.1 answers that operation with the fixture (and the token endpoint with a
//! normal token, counting the calls, unless the fixture is the token answer itself); the client's
//! result is checked. All failures are collected and reported together, each with its file name.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use custlake_client_kit::Secret;
use serde_json::Value;

use crate::recorded_answer_harness::{Fixture, Harness};
use yeastar_ycm::types::YcmTokenResponse;
use yeastar_ycm::{YcmAccount, YcmClient, YcmError};

/// The operations a fixture may answer.
const OPERATIONS: &[&str] = &["oauth/token", "customers/list", "customers/get"];

/// The outcomes this harness knows; any other is a failure, never a skip.
const OUTCOMES: &[&str] = &[
    "records",
    "found",
    "token",
    "token_rejection",
    "vendor_error",
    "bad_credentials",
];

/// Fixtures that must be present.
const REQUIRED: &[&str] = &[
    "customers_list-vendor-example.json",
    "oauth_token-assembled-from-vendor-pages.json",
];

/// The token the harness's token endpoint hands out when the fixture is not a token answer.
const HARNESS_TOKEN: &str = "harness-access-token";
const CLIENT_SECRET: &str = "harness-client-secret";

/// What the in-test server answers and what it saw.
struct Served {
    operation: String,
    status: StatusCode,
    body: String,
    token_calls: AtomicU64,
    /// The bearer token of every data call.
    bearers: Mutex<Vec<String>>,
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn serve_token(State(s): State<Arc<Served>>) -> Response {
    s.token_calls.fetch_add(1, Ordering::SeqCst);
    if s.operation == "oauth/token" {
        return json_response(s.status, s.body.clone());
    }
    json_response(
        StatusCode::OK,
        format!(
            r#"{{"access_token":"{HARNESS_TOKEN}","refresh_token":"harness-refresh-token","token_type":"bearer","expires_in":1800,"jti":"harness"}}"#
        ),
    )
}

fn serve_data(operation: &'static str, s: &Served, headers: &HeaderMap) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    s.bearers.lock().expect("lock").push(bearer);
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

async fn serve_list(State(s): State<Arc<Served>>, headers: HeaderMap) -> Response {
    serve_data("customers/list", &s, &headers)
}

async fn serve_one(State(s): State<Arc<Served>>, headers: HeaderMap) -> Response {
    serve_data("customers/get", &s, &headers)
}

async fn start(fixture: &Fixture) -> (String, Arc<Served>) {
    let served = Arc::new(Served {
        operation: fixture.operation.clone(),
        status: StatusCode::from_u16(fixture.http_status).expect("checked status"),
        body: fixture.body_bytes().expect("checked body"),
        token_calls: AtomicU64::new(0),
        bearers: Mutex::new(Vec::new()),
    });
    let app = Router::new()
        .route("/dm/open_api/oauth/token", post(serve_token))
        .route("/dm/open_api/v1/customers", get(serve_list))
        .route("/dm/open_api/v1/customers/{id}", get(serve_one))
        .with_state(served.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), served)
}

fn client(url: &str) -> YcmClient {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("http client");
    YcmClient::new(
        YcmAccount::new(url, "client-id", Secret::new(CLIENT_SECRET)),
        http,
    )
    .expect("valid url")
}

/// What one client call gave, reduced to what the outcomes check.
enum Got {
    Page { records: usize, total: u64 },
    Customer(Option<String>),
    Token,
}

async fn call(ycm: &YcmClient, fixture: &Fixture) -> Result<Got, YcmError> {
    match fixture.operation.as_str() {
        "customers/list" => {
            let page_size = fixture
                .expect
                .get("page_size")
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(10);
            let page = ycm.customer_page(1, page_size).await?;
            Ok(Got::Page {
                records: page.records.len(),
                total: page.total,
            })
        }
        "customers/get" => {
            let id = fixture
                .expect
                .get("customer_id")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            let record = ycm.customer(id).await?;
            let id = record.map(|record| {
                record
                    .decoded()
                    .ok()
                    .and_then(|c| c.customer_id.as_ref().map(|v| v.as_str().to_owned()))
                    .unwrap_or_default()
            });
            Ok(Got::Customer(id))
        }
        "oauth/token" => ycm.authenticate().await.map(|()| Got::Token),
        other => unreachable!("operation {other} was checked"),
    }
}

fn describe(got: &Result<Got, YcmError>) -> String {
    match got {
        Ok(Got::Page { records, total }) => format!("Ok(page: {records} records, total {total})"),
        Ok(Got::Customer(Some(id))) => format!("Ok(Some(customer {id:?}))"),
        Ok(Got::Customer(None)) => "Ok(None)".into(),
        Ok(Got::Token) => "Ok(token)".into(),
        Err(e) => format!("Err({e:?})"),
    }
}

/// Runs one fixture; `Err` says which assertion failed.
async fn run(fixture: &Fixture) -> Result<(), String> {
    let (url, served) = start(fixture).await;
    let ycm = client(&url);
    let got = call(&ycm, fixture).await;
    let token_calls = served.token_calls.load(Ordering::SeqCst);
    let seen = describe(&got);
    match fixture.outcome() {
        "records" => {
            let Ok(Got::Page { records, total }) = got else {
                return Err(format!("expected a page, got {seen}"));
            };
            let want = (fixture.expect_u64("records")?, fixture.expect_u64("total")?);
            if (records as u64, total) != want {
                return Err(format!("expected (records, total) {want:?}, got {seen}"));
            }
        }
        "found" => {
            let Ok(Got::Customer(Some(id))) = got else {
                return Err(format!("expected Ok(Some(customer)), got {seen}"));
            };
            if let Some(want) = fixture.expect.get("customer_id").and_then(Value::as_i64)
                && id != want.to_string()
            {
                return Err(format!("expected customerId {want}, got {id:?}"));
            }
        }
        "token" => {
            if let Err(e) = got {
                return Err(format!("expected the log-in to succeed, got Err({e:?})"));
            }
            check_token(fixture, &ycm, &served, token_calls).await?;
        }
        "token_rejection" => {
            if !matches!(
                got,
                Err(YcmError::TokenRejected { .. } | YcmError::FreshTokenRejected { .. })
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
        "vendor_error" => {
            let Err(YcmError::Vendor { code, message, .. }) = &got else {
                return Err(format!("expected Err(YcmError::Vendor), got {seen}"));
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
        "bad_credentials" => {
            let Err(YcmError::BadCredentials { message }) = &got else {
                return Err(format!(
                    "expected Err(YcmError::BadCredentials), got {seen}"
                ));
            };
            if let Some(want) = fixture.expect_str("message_contains")
                && !message.contains(want)
            {
                return Err(format!(
                    "expected a message containing {want:?}, got {seen}"
                ));
            }
        }
        other => return Err(format!("unknown expect.outcome {other:?}")),
    }
    Ok(())
}

/// A token answer: one log-in, the next data call carries the fixture's access_token, and the
/// answer's expires_in reads as `expires_in_secs` through the client's own generated type, parsed
/// as the token issuer parses it (the client does not expose the lifetime).
async fn check_token(
    fixture: &Fixture,
    ycm: &YcmClient,
    served: &Served,
    token_calls: u64,
) -> Result<(), String> {
    if token_calls != 1 {
        return Err(format!("expected exactly 1 token call, got {token_calls}"));
    }
    let body = fixture.body_bytes().unwrap_or_default();
    let answer: YcmTokenResponse = serde_json::from_str(&body)
        .map_err(|e| format!("the client's token type does not decode the body: {e}"))?;
    let want_secs = fixture.expect_u64("expires_in_secs")?;
    let secs = answer
        .expires_in
        .as_ref()
        .and_then(|s| s.as_str().trim().parse::<u64>().ok());
    if secs != Some(want_secs) {
        return Err(format!("expected expires_in {want_secs} s, read {secs:?}"));
    }
    let want_access = answer
        .access_token
        .ok_or("the token body has no access_token")?;
    // The list endpoint does not answer in this mode; only the bearer it was sent is checked.
    let _ = ycm.customer_page(1, 10).await;
    let bearers = served.bearers.lock().expect("lock").clone();
    if bearers.first() != Some(&want_access) {
        return Err(
            "the data call after the log-in did not carry the fixture's access_token".into(),
        );
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
