//! Token handling and redaction against a small in-test U8 server on 127.0.0.1.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use custlake_client_kit::{Retryability, Secret};
use serde_json::{Value, json};
use yonyou_u8::{U8Account, U8Client, U8CustomerFilter, U8Error};

const APP_SECRET: &str = "app-secret-do-not-print";

#[derive(Default)]
struct FakeU8 {
    issued: AtomicU64,
    lifetime_secs: AtomicU64,
    /// Tokens the server now answers as expired.
    expired: Mutex<Vec<String>>,
    /// The (errcode, errmsg) of that answer; `("20003", "token expired")` when unset.
    expired_answer: Mutex<Option<(String, String)>>,
    /// Answer every token as invalid, also fresh ones (a clock or permission problem).
    reject_every_token: std::sync::atomic::AtomicBool,
    seen_tokens: Mutex<Vec<String>>,
}

async fn token(
    State(s): State<Arc<FakeU8>>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    if q.get("app_secret").map(String::as_str) != Some(APP_SECRET) {
        return Json(json!({"errcode": "20001", "errmsg": "app_key or app_secret wrong"}));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let n = s.issued.fetch_add(1, Ordering::SeqCst) + 1;
    Json(
        json!({"errcode": "0", "token": {"id": format!("secret-token-{n}"), "appKey": "k",
        "expiresIn": s.lifetime_secs.load(Ordering::SeqCst)}}),
    )
}

async fn customers(
    State(s): State<Arc<FakeU8>>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    let token = q.get("token").cloned().unwrap_or_default();
    s.seen_tokens.lock().expect("lock").push(token.clone());
    if s.reject_every_token.load(Ordering::SeqCst) {
        return Json(json!({"errcode": "20002", "errmsg": "token无效"}));
    }
    if s.expired.lock().expect("lock").contains(&token) {
        let (code, message) = s
            .expired_answer
            .lock()
            .expect("lock")
            .clone()
            .unwrap_or_else(|| ("20003".into(), "token expired".into()));
        return Json(json!({"errcode": code, "errmsg": message}));
    }
    Json(
        json!({"errcode": "0", "errmsg": "", "page_index": q.get("page_index"), "rows_per_page": "2",
        "row_count": "3", "page_count": "2", "customer": [{"code": "C1", "name": "甲"}, {"code": 2}]}),
    )
}

async fn start(lifetime_secs: u64) -> (String, Arc<FakeU8>) {
    let state = Arc::new(FakeU8::default());
    state.lifetime_secs.store(lifetime_secs, Ordering::SeqCst);
    let app = Router::new()
        .route("/system/token", get(token))
        .route("/api/customer/batch_get", get(customers))
        .route(
            "/api/customercontacts/batch_get",
            get(|| async { axum::http::StatusCode::INTERNAL_SERVER_ERROR }),
        )
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), state)
}

fn client(base_url: &str, secret: &str) -> U8Client {
    let account = U8Account::new(base_url, "from", "to", "app-key", Secret::new(secret));
    U8Client::new(account, reqwest::Client::new()).expect("valid base url")
}

#[tokio::test]
async fn token_is_cached_across_calls() {
    let (url, server) = start(7200).await;
    let u8 = client(&url, APP_SECRET);
    for page in 1..=3 {
        let page = u8
            .customer_page(page, 2, &U8CustomerFilter::default())
            .await
            .expect("page");
        assert_eq!(
            (page.row_count, page.page_count, page.records.len()),
            (3, 2, 2)
        );
    }
    assert_eq!(server.issued.load(Ordering::SeqCst), 1);
    assert_eq!(u8.tokens_issued(), 1);
}

#[tokio::test]
async fn token_is_renewed_before_it_expires() {
    let (url, server) = start(1).await;
    let u8 = client(&url, APP_SECRET);
    u8.customer_page(1, 2, &U8CustomerFilter::default())
        .await
        .expect("page");
    // lifetime 1 s: renewal is due after half of it.
    tokio::time::sleep(Duration::from_millis(600)).await;
    u8.customer_page(1, 2, &U8CustomerFilter::default())
        .await
        .expect("page");
    assert_eq!(server.issued.load(Ordering::SeqCst), 2);
    let seen = server.seen_tokens.lock().expect("lock").clone();
    assert_eq!(seen, vec!["secret-token-1", "secret-token-2"]);
}

#[tokio::test]
async fn fifty_concurrent_callers_share_one_renewal_after_an_expired_answer() {
    let (url, server) = start(7200).await;
    let u8 = client(&url, APP_SECRET);
    u8.authenticate().await.expect("login");
    server
        .expired
        .lock()
        .expect("lock")
        .push("secret-token-1".into());
    let calls = (0..50).map(|_| {
        let u8 = u8.clone();
        tokio::spawn(async move { u8.customer_page(1, 2, &U8CustomerFilter::default()).await })
    });
    for call in futures_join(calls).await {
        call.expect("every caller succeeds after the renewal");
    }
    assert_eq!(
        server.issued.load(Ordering::SeqCst),
        2,
        "exactly one renewal"
    );
}

#[tokio::test]
async fn an_unknown_code_whose_message_names_the_token_renews_it() {
    let (url, server) = start(7200).await;
    let u8 = client(&url, APP_SECRET);
    u8.customer_page(1, 2, &U8CustomerFilter::default())
        .await
        .expect("first page");
    *server.expired_answer.lock().expect("lock") =
        Some(("29999".into(), "Invalid TOKEN, please log in again".into()));
    server
        .expired
        .lock()
        .expect("lock")
        .push("secret-token-1".into());
    u8.customer_page(2, 2, &U8CustomerFilter::default())
        .await
        .expect("renewed on the errmsg heuristic");
    assert_eq!(server.issued.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_gateway_rejecting_every_fresh_token_fails_without_a_renewal_loop() {
    let (url, server) = start(7200).await;
    server.reject_every_token.store(true, Ordering::SeqCst);
    let u8 = client(&url, APP_SECRET);
    let err = u8
        .customer_page(1, 2, &U8CustomerFilter::default())
        .await
        .expect_err("every token is refused");
    assert!(
        matches!(&err, U8Error::FreshTokenRejected { code, .. } if code == "20002"),
        "{err:?}"
    );
    assert_eq!(err.retryability(), Retryability::Permanent);
    let text = err.to_string();
    assert!(
        text.contains("not an expiry") && text.contains("clock"),
        "{text}"
    );
    // The log-in token and three replacements: never a loop.
    assert_eq!(server.issued.load(Ordering::SeqCst), 4);
}

async fn futures_join<T: Send + 'static>(
    tasks: impl Iterator<Item = tokio::task::JoinHandle<Result<T, U8Error>>>,
) -> Vec<Result<T, U8Error>> {
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.expect("task did not panic"));
    }
    out
}

#[tokio::test]
async fn bad_credentials_are_a_permanent_vendor_error() {
    let (url, _server) = start(7200).await;
    let err = client(&url, "wrong")
        .authenticate()
        .await
        .expect_err("refused");
    assert!(
        matches!(&err, U8Error::Vendor { code, .. } if code == "20001"),
        "{err:?}"
    );
    assert_eq!(err.retryability(), Retryability::Permanent);
}

#[tokio::test]
async fn no_error_text_contains_the_token_or_secret() {
    let (url, _server) = start(7200).await;
    let u8 = client(&url, APP_SECRET);
    u8.authenticate().await.expect("login");
    // HTTP 500 from the contacts endpoint.
    let http = u8
        .contact_page(1, 2, &Default::default())
        .await
        .expect_err("500");
    assert!(matches!(
        http.retryability(),
        Retryability::Retryable { .. }
    ));
    // A refused connection: reqwest's own message would carry the URL with token and secret.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        format!("http://{addr}")
    };
    let login = client(&closed, APP_SECRET)
        .authenticate()
        .await
        .expect_err("refused");
    for err in [http, login] {
        let text = format!("{err} {err:?}");
        assert!(!text.contains("secret-token"), "token leaked: {text}");
        assert!(!text.contains(APP_SECRET), "secret leaked: {text}");
    }
}
