//! Each fault knob, observed over HTTP.

use crate::common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{U8Page, client, get, start, u8_query, u8_token, ycm_get, ycm_token};
use custlake_simulator::{
    Entity, FaultConfig, MessinessConfig, RateLimitConfig, SimConfig, U8_BUSY_CODE,
    U8_RATE_LIMITED_CODE, U8_TOKEN_EXPIRED_CODE, U8_TOKEN_INVALID_CODE, YCM_BUSY_CODE,
    YCM_TOKEN_EXPIRED_CODE, YCM_TOKEN_INVALID_CODE,
};

fn with_faults(faults: FaultConfig) -> SimConfig {
    let mut config = SimConfig::demo(30);
    config.faults = faults;
    config
}

fn page_url(base: &str, token: &str, page: u64) -> String {
    format!(
        "{base}/api/customer/batch_get?{}&page_index={page}&rows_per_page=10",
        u8_query("demo_ent_a", token)
    )
}

#[tokio::test]
async fn injected_429_carries_retry_after_and_the_retry_succeeds() {
    let sim = start(with_faults(FaultConfig {
        too_many_requests_rate: 1.0,
        retry_after_secs: 3,
        max_consecutive_faults: 1,
        ..FaultConfig::default()
    }))
    .await;
    let http = client();
    let base = sim.base_url();
    let token = u8_token(&http, &base).await;
    let response = http
        .get(page_url(&base, &token, 1))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "3");
    let (status, body) = get(&http, &page_url(&base, &token, 1)).await;
    assert_eq!(status, 200);
    let page: U8Page = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(page.customer.len(), 10);
    // YCM answers 429 the same way.
    let access = ycm_token(&http, &base).await;
    let (status, body, retry_after) =
        ycm_get(&http, &format!("{base}/dm/open_api/v1/customers"), &access).await;
    assert_eq!(status, 429);
    assert_eq!(retry_after.as_deref(), Some("3"));
    let v: serde_json::Value = serde_json::from_slice(&body).expect("Failed envelope");
    assert_eq!(v["status"], "Failed");
    assert!(sim.stats().faults_injected["too_many_requests"] >= 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn injected_server_errors_are_5xx() {
    let sim = start(with_faults(FaultConfig {
        server_error_rate: 1.0,
        max_consecutive_faults: 1,
        ..FaultConfig::default()
    }))
    .await;
    let http = client();
    let base = sim.base_url();
    let token = u8_token(&http, &base).await;
    let mut seen = BTreeSet::new();
    for page in 1..=3 {
        let (status, _) = get(&http, &page_url(&base, &token, page)).await;
        seen.insert(status);
        assert!([500, 502, 503].contains(&status), "{status}");
        let (status, _) = get(&http, &page_url(&base, &token, page)).await;
        assert_eq!(status, 200, "the capped retry succeeds");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn dropped_connections_cut_the_body_and_the_server_keeps_serving() {
    let sim = start(with_faults(FaultConfig {
        drop_connection_rate: 1.0,
        max_consecutive_faults: 1,
        ..FaultConfig::default()
    }))
    .await;
    let http = client();
    let base = sim.base_url();
    let token = u8_token(&http, &base).await;
    let response = http
        .get(page_url(&base, &token, 1))
        .send()
        .await
        .expect("headers arrive");
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.is_err(), "the body breaks off");
    let (status, body) = get(&http, &page_url(&base, &token, 1)).await;
    assert_eq!(status, 200);
    assert!(serde_json::from_slice::<serde_json::Value>(&body).is_ok());
    sim.shutdown().await;
}

#[tokio::test]
async fn malformed_bodies_are_not_json() {
    let sim = start(with_faults(FaultConfig {
        malformed_rate: 1.0,
        max_consecutive_faults: 1,
        ..FaultConfig::default()
    }))
    .await;
    let http = client();
    let base = sim.base_url();
    let token = u8_token(&http, &base).await;
    for page in 1..=3 {
        let (status, body) = get(&http, &page_url(&base, &token, page)).await;
        assert_eq!(status, 200);
        assert!(serde_json::from_slice::<serde_json::Value>(&body).is_err());
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn vendor_error_codes_come_with_http_200() {
    let sim = start(with_faults(FaultConfig {
        vendor_error_rate: 1.0,
        max_consecutive_faults: 1,
        ..FaultConfig::default()
    }))
    .await;
    let http = client();
    let base = sim.base_url();
    let token = u8_token(&http, &base).await;
    let (status, body) = get(&http, &page_url(&base, &token, 2)).await;
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(v["errcode"], U8_BUSY_CODE);
    assert!(v.get("customer").is_none());
    let access = ycm_token(&http, &base).await;
    let (status, body, _) = ycm_get(
        &http,
        &format!("{base}/dm/open_api/v1/customers?pageSize=5"),
        &access,
    )
    .await;
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(v["status"], "Failed");
    assert_eq!(v["errcode"].to_string(), YCM_BUSY_CODE);
    assert!(v["requestId"].is_string() && v["time"].is_number());
    sim.shutdown().await;
}

#[tokio::test]
async fn stale_tokens_can_answer_expired_again() {
    let sim = start(with_faults(FaultConfig {
        token_expire_after_calls: Some(1),
        stale_token_answer: custlake_simulator::StaleTokenAnswer::Expired,
        ..FaultConfig::default()
    }))
    .await;
    let http = client();
    let base = sim.base_url();
    let token = u8_token(&http, &base).await;
    let mut codes = Vec::new();
    for page in 1..=3 {
        let (_, body) = get(&http, &page_url(&base, &token, page)).await;
        let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        codes.push(v["errcode"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(codes, ["0", U8_TOKEN_EXPIRED_CODE, U8_TOKEN_EXPIRED_CODE]);
    assert_eq!(
        (sim.stats().tokens_expired, sim.stats().stale_tokens_refused),
        (1, 1)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn tokens_expire_after_n_calls() {
    let sim = start(with_faults(FaultConfig {
        token_expire_after_calls: Some(2),
        ..FaultConfig::default()
    }))
    .await;
    let http = client();
    let base = sim.base_url();
    let token = u8_token(&http, &base).await;
    for page in 1..=2 {
        let (_, body) = get(&http, &page_url(&base, &token, page)).await;
        let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(v["errcode"], "0");
    }
    let (status, body) = get(&http, &page_url(&base, &token, 3)).await;
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(v["errcode"], U8_TOKEN_EXPIRED_CODE);
    // Requests still in flight with the old token hear "invalid", not "expired" again.
    let (_, body) = get(&http, &page_url(&base, &token, 4)).await;
    let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(v["errcode"], U8_TOKEN_INVALID_CODE);
    let fresh = u8_token(&http, &base).await;
    let (_, body) = get(&http, &page_url(&base, &fresh, 3)).await;
    let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(v["errcode"], "0");

    let access = ycm_token(&http, &base).await;
    let url = format!("{base}/dm/open_api/v1/customers");
    for _ in 0..2 {
        assert_eq!(ycm_get(&http, &url, &access).await.0, 200);
    }
    let (status, body, _) = ycm_get(&http, &url, &access).await;
    assert_eq!(status, 401);
    let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(v["errcode"].to_string(), YCM_TOKEN_EXPIRED_CODE);
    let (status, body, _) = ycm_get(&http, &url, &access).await;
    assert_eq!(status, 401);
    let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(v["errcode"].to_string(), YCM_TOKEN_INVALID_CODE);
    assert_eq!(sim.stats().tokens_expired, 2);
    assert_eq!(sim.stats().stale_tokens_refused, 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_per_client_rate_limit_answers_429_with_retry_after() {
    let sim = start(with_faults(FaultConfig {
        rate_limit: Some(RateLimitConfig {
            burst: 3,
            per_second: 2.0,
        }),
        ..FaultConfig::default()
    }))
    .await;
    let http = client();
    let base = sim.base_url();
    let token = u8_token(&http, &base).await; // takes one token from the bucket
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for page in 1..=4 {
        let response = http
            .get(page_url(&base, &token, page))
            .send()
            .await
            .expect("sent");
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            retry_after = response.headers().get("retry-after").cloned();
            let v: serde_json::Value = response.json().await.expect("JSON");
            assert_eq!(v["errcode"], U8_RATE_LIMITED_CODE);
        }
    }
    assert_eq!(statuses, [200, 200, 429, 429]);
    assert_eq!(
        retry_after.as_ref().map(|v| v.to_str().unwrap_or("")),
        Some("1")
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        get(&http, &page_url(&base, &token, 1)).await.0,
        200,
        "the bucket refills"
    );
    let stats = sim.stats();
    assert_eq!(stats.rate_limited, 2);
    assert!(stats.max_requests_per_second >= 5);
    sim.shutdown().await;
}

#[tokio::test]
async fn latency_is_added() {
    let sim = start(with_faults(FaultConfig {
        latency: Duration::from_millis(150),
        latency_jitter: Duration::from_millis(50),
        ..FaultConfig::default()
    }))
    .await;
    let http = client();
    let base = sim.base_url();
    let started = Instant::now();
    let _ = u8_token(&http, &base).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    sim.shutdown().await;
}

#[tokio::test]
async fn drift_changes_the_set_between_pages() {
    let mut config = with_faults(FaultConfig {
        drift_every_pages: Some(2),
        ..FaultConfig::default()
    });
    config.messiness = MessinessConfig::none();
    let sim = start(config).await;
    let before = sim
        .entity_set("u8_demo_a", Entity::U8Customers)
        .expect("set");
    let http = client();
    let base = sim.base_url();
    let token = u8_token(&http, &base).await;
    // A naive pager: page_index 1, 2, 3 with the page count of the first answer.
    let mut seen = Vec::new();
    let mut row_counts = BTreeSet::new();
    for page in 1..=3 {
        let (_, body) = get(&http, &page_url(&base, &token, page)).await;
        let page: U8Page = serde_json::from_slice(&body).expect("JSON");
        row_counts.insert(page.row_count.clone().unwrap_or_default());
        for record in &page.customer {
            let v: serde_json::Value = serde_json::from_str(record.get()).expect("JSON");
            seen.push(v["code"].as_str().unwrap_or_default().to_owned());
        }
    }
    let after = sim
        .entity_set("u8_demo_a", Entity::U8Customers)
        .expect("set");
    assert_ne!(before.keys(), after.keys(), "drift changed the served set");
    assert!(sim.stats().drift_events >= 1);
    let unique: BTreeSet<&String> = seen.iter().collect();
    let truth: BTreeSet<String> = after.keys().into_iter().map(str::to_owned).collect();
    let seen_set: BTreeSet<String> = seen.iter().cloned().collect();
    assert!(
        unique.len() < seen.len() || seen_set != truth,
        "a naive pager sees duplicates or misses records"
    );
    assert!(row_counts.len() > 1, "row_count moves while paging");
    sim.shutdown().await;
}

#[tokio::test]
async fn fault_decisions_are_reproducible_across_runs() {
    async fn statuses() -> Vec<u16> {
        let sim = start(with_faults(FaultConfig {
            server_error_rate: 0.3,
            too_many_requests_rate: 0.2,
            ..FaultConfig::default()
        }))
        .await;
        let http = client();
        let base = sim.base_url();
        let token = u8_token(&http, &base).await;
        let mut out = Vec::new();
        for page in 1..=3 {
            for _ in 0..4 {
                out.push(get(&http, &page_url(&base, &token, page)).await.0);
            }
        }
        sim.shutdown().await;
        out
    }
    let first = statuses().await;
    assert_eq!(first, statuses().await);
    assert!(first.contains(&200) && first.iter().any(|s| *s != 200));
}
