//! OAuth token flow, headers and redaction against a small in-test YCM server on 127.0.0.1.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use custlake_client_kit::{Retryability, Secret};
use serde_json::json;
use yeastar_ycm::{YcmAccount, YcmClient, YcmError};

const CLIENT_SECRET: &str = "client-secret-do-not-print";

#[derive(Default)]
struct FakeYcm {
    logins: AtomicU64,
    refreshes: AtomicU64,
    lifetime_secs: AtomicU64,
    revoked: Mutex<Vec<String>>,
    user_agents: Mutex<Vec<String>>,
}

async fn token(State(s): State<Arc<FakeYcm>>, Form(f): Form<HashMap<String, String>>) -> Response {
    tokio::time::sleep(Duration::from_millis(50)).await;
    let n = match f.get("grant_type").map(String::as_str) {
        Some("client_credentials")
            if f.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET) =>
        {
            s.logins.fetch_add(1, Ordering::SeqCst)
        }
        Some("refresh_token")
            if f.get("refresh_token")
                .is_some_and(|t| t.starts_with("refresh-")) =>
        {
            s.refreshes.fetch_add(1, Ordering::SeqCst) + 100
        }
        _ => {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({"status": "Failed", "errcode": 10001, "errmsg": "bad client"})),
            )
                .into_response();
        }
    };
    Json(json!({"access_token": format!("access-secret-{n}"), "refresh_token": format!("refresh-{n}"),
        "token_type": "bearer", "expires_in": s.lifetime_secs.load(Ordering::SeqCst), "jti": "j"}))
    .into_response()
}

async fn customers(
    State(s): State<Arc<FakeYcm>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let ua = headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    s.user_agents.lock().expect("lock").push(ua);
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let token = bearer.strip_prefix("Bearer ").unwrap_or_default();
    if token.is_empty() || s.revoked.lock().expect("lock").iter().any(|t| t == token) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"status": "Failed", "errcode": 10004, "errmsg": "invalid token"})),
        )
            .into_response();
    }
    if q.get("pageNumber").map(String::as_str) == Some("9") {
        return Json(json!({"status": "Failed", "requestId": "r9", "errcode": 20001, "errmsg": "no permission"})).into_response();
    }
    Json(json!({"status": "Success", "requestId": "r", "time": 1, "data": {"pageSize": q.get("pageSize"),
        "pageNumber": 1, "total": "3", "list": [{"customerId": 1, "firstName": "Leo"}, {"customerId": "2"}]}}))
    .into_response()
}

async fn start(lifetime_secs: u64) -> (String, Arc<FakeYcm>) {
    let state = Arc::new(FakeYcm::default());
    state.lifetime_secs.store(lifetime_secs, Ordering::SeqCst);
    let app = Router::new()
        .route("/dm/open_api/oauth/token", post(token))
        .route("/dm/open_api/v1/customers", get(customers))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), state)
}

fn client(url: &str, secret: &str) -> YcmClient {
    YcmClient::new(
        YcmAccount::new(url, "client-id", Secret::new(secret)),
        reqwest::Client::new(),
    )
    .expect("valid url")
}

#[tokio::test]
async fn pages_carry_bearer_and_user_agent_and_the_token_is_cached() {
    let (url, server) = start(1800).await;
    let ycm = client(&url, CLIENT_SECRET);
    for _ in 0..3 {
        let page = ycm.customer_page(1, 500).await.expect("page");
        assert_eq!(
            (page.total, page.page_size, page.records.len()),
            (3, 50, 2),
            "page size capped at 50"
        );
    }
    assert_eq!(server.logins.load(Ordering::SeqCst), 1);
    assert!(
        server
            .user_agents
            .lock()
            .expect("lock")
            .iter()
            .all(|ua| ua == "OpenAPI")
    );
}

#[tokio::test]
async fn renewal_before_expiry_uses_the_refresh_grant() {
    let (url, server) = start(1).await;
    let ycm = client(&url, CLIENT_SECRET);
    ycm.customer_page(1, 10).await.expect("page");
    tokio::time::sleep(Duration::from_millis(600)).await;
    ycm.customer_page(1, 10).await.expect("page");
    assert_eq!(server.logins.load(Ordering::SeqCst), 1);
    assert_eq!(server.refreshes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn fifty_callers_share_one_renewal_after_a_401() {
    let (url, server) = start(1800).await;
    let ycm = client(&url, CLIENT_SECRET);
    ycm.authenticate().await.expect("login");
    server
        .revoked
        .lock()
        .expect("lock")
        .push("access-secret-0".into());
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let ycm = ycm.clone();
            tokio::spawn(async move { ycm.customer_page(1, 10).await })
        })
        .collect();
    for task in tasks {
        task.await
            .expect("no panic")
            .expect("succeeds after renewal");
    }
    let renewals =
        server.logins.load(Ordering::SeqCst) - 1 + server.refreshes.load(Ordering::SeqCst);
    assert_eq!(renewals, 1, "exactly one renewal");
}

#[tokio::test]
async fn failed_envelope_and_bad_credentials_are_permanent_and_redacted() {
    let (url, _server) = start(1800).await;
    let vendor = client(&url, CLIENT_SECRET)
        .customer_page(9, 10)
        .await
        .expect_err("Failed envelope");
    assert!(
        matches!(&vendor, YcmError::Vendor { code, .. } if code == "20001"),
        "{vendor:?}"
    );
    assert_eq!(vendor.retryability(), Retryability::Permanent);
    let creds = client(&url, "wrong")
        .authenticate()
        .await
        .expect_err("refused");
    assert!(
        matches!(creds, YcmError::BadCredentials { .. }),
        "{creds:?}"
    );
    assert_eq!(creds.retryability(), Retryability::Permanent);
    let text = format!(
        "{vendor} {vendor:?} {creds} {creds:?} {:?}",
        client(&url, CLIENT_SECRET)
    );
    assert!(
        !text.contains("access-secret") && !text.contains(CLIENT_SECRET),
        "{text}"
    );
}

#[tokio::test]
async fn an_answer_above_max_response_bytes_fails_for_good() {
    let (url, _server) = start(1800).await;
    let mut account = YcmAccount::new(&url, "client-id", Secret::new(CLIENT_SECRET));
    // The token answer is 112 bytes.
    account.max_response_bytes = 64;
    let ycm = YcmClient::new(account, reqwest::Client::new()).expect("valid url");
    let error = ycm.authenticate().await.expect_err("above 64 bytes");
    assert!(
        matches!(error, YcmError::ResponseTooLarge { .. }),
        "{error:?}"
    );
    assert_eq!(error.retryability(), Retryability::Permanent);
    let message = error.to_string();
    assert!(
        message.starts_with("YCM oauth/token: ")
            && message.contains("max_response_bytes = 64")
            && !message.contains(CLIENT_SECRET),
        "{message}"
    );
}
