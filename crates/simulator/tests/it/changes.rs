//! Source edits and change filters over HTTP: editing N customers makes exactly those N match
//! a `timestamp_begin` above the previous maximum, ground truth follows the edits, and the
//! `ModifyDate` filters and the admin endpoint agree.

use crate::common;

use common::{client, start, u8_all_pages, u8_query, u8_records, u8_token};
use custlake_simulator::{Entity, MessinessConfig, SimConfig};

/// The demo's tenants at 300 customers, served clean, so records compare field by field.
pub(crate) fn config() -> SimConfig {
    let mut config = SimConfig::demo(300);
    config.messiness = MessinessConfig::none();
    config
}

/// A field of a served record (JSON text).
pub(crate) fn field(record: &str, name: &str) -> serde_json::Value {
    let value: serde_json::Value = serde_json::from_str(record).expect("record is JSON");
    value[name].clone()
}

#[tokio::test]
async fn edited_customers_are_exactly_what_a_timestamp_filter_returns() {
    let sim = start(config()).await;
    let (base, http) = (sim.base_url(), client());
    let token = u8_token(&http, &base).await;
    let query = u8_query("demo_ent_a", &token);

    let before = u8_records(&u8_all_pages(&http, &base, "customer", &query, 50).await);
    assert_eq!(before.len(), 300);
    let high_water = before
        .iter()
        .filter_map(|r| field(r, "timestamp").as_i64())
        .max()
        .expect("versions");

    let changed = sim
        .change_u8_customers("u8_demo_a", 3)
        .expect("tenant exists");
    assert_eq!(changed.len(), 3);
    let filtered = format!("{query}&timestamp_begin={}", high_water + 1);
    let pages = u8_all_pages(&http, &base, "customer", &filtered, 50).await;
    assert_eq!(pages.len(), 1, "three records fit on one page");
    let delta = u8_records(&pages);
    let codes: Vec<String> = delta
        .iter()
        .map(|r| field(r, "code").as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(codes, changed);

    // Ground truth serves exactly the edited records the filter returned.
    let truth = sim
        .entity_set("u8_demo_a", Entity::U8Customers)
        .expect("truth");
    for record in &delta {
        assert!(truth.records.iter().any(|t| &t.json == record));
        assert!(!before.contains(record), "an edited record differs");
    }

    // The other tenant is untouched, and an unknown tenant is refused.
    let other = u8_query("demo_ent_b", &token);
    let other_filtered = format!("{other}&timestamp_begin={}", high_water + 1);
    let none = u8_records(&u8_all_pages(&http, &base, "customer", &other_filtered, 50).await);
    assert!(none.is_empty());
    assert_eq!(sim.change_u8_customers("nope", 1), None);
    sim.shutdown().await;
}

#[tokio::test]
async fn modify_date_filters_and_the_admin_endpoint_agree() {
    let sim = start(config()).await;
    let (base, http) = (sim.base_url(), client());
    let token = u8_token(&http, &base).await;
    let query = u8_query("demo_ent_a", &token);

    let response = http
        .post(format!("{base}/_sim/change/u8_demo_a?count=4"))
        .send()
        .await
        .expect("admin call");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("JSON");
    let changed: Vec<&str> = body["changed"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert_eq!(changed.len(), 4);

    // Edits are dated from 2025-06-01; originals and drift inserts are older.
    let by_date = format!("{query}&ModifyDate_begin=2025-06-01");
    let records = u8_records(&u8_all_pages(&http, &base, "customer", &by_date, 50).await);
    let codes: Vec<String> = records
        .iter()
        .map(|r| field(r, "code").as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(codes, changed);
    let before = format!("{query}&ModifyDate_end=2025-05-31");
    let rest = u8_records(&u8_all_pages(&http, &base, "customer", &before, 100).await);
    assert_eq!(rest.len(), 296);

    let bad = format!("{query}&timestamp_begin=soon&page_index=1&rows_per_page=5");
    let (status, body) = common::get(&http, &format!("{base}/api/customer/batch_get?{bad}")).await;
    assert_eq!(status, 200);
    let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(body["errcode"], "10002", "{body}");
    assert!(
        body["errmsg"]
            .as_str()
            .is_some_and(|m| m.contains("timestamp_begin"))
    );
    sim.shutdown().await;
}
