//! Data tests over HTTP: determinism across server runs, and paging that reassembles exactly
//! the ground truth.

use crate::common;

use common::{
    client, start, u8_all_pages, u8_query, u8_records, u8_token, ycm_all_pages, ycm_records,
    ycm_token,
};
use custlake_simulator::{Entity, MessinessConfig, SimConfig};

fn config(seed: u64) -> SimConfig {
    let mut config = SimConfig::demo(57);
    config.seed = seed;
    config.messiness = MessinessConfig::heavy();
    config.frozen_time = Some(1_664_248_965);
    config
}

/// Every page of every list of one server run.
async fn all_pages(config: SimConfig) -> Vec<Vec<u8>> {
    let sim = start(config).await;
    let base = sim.base_url();
    let http = client();
    let token = u8_token(&http, &base).await;
    let mut pages = Vec::new();
    for to in ["demo_ent_a", "demo_ent_b", "demo_ent_c"] {
        let query = u8_query(to, &token);
        pages.extend(u8_all_pages(&http, &base, "customer", &query, 10).await);
        pages.extend(u8_all_pages(&http, &base, "customercontacts", &query, 25).await);
    }
    let access = ycm_token(&http, &base).await;
    pages.extend(ycm_all_pages(&http, &base, &access, 7).await);
    sim.shutdown().await;
    pages
}

#[tokio::test]
async fn same_seed_gives_byte_identical_pages_across_runs() {
    let first = all_pages(config(7)).await;
    let second = all_pages(config(7)).await;
    assert!(first.len() > 20);
    assert_eq!(first, second);
    let other = all_pages(config(8)).await;
    assert_ne!(first, other, "a different seed gives different data");
}

#[tokio::test]
async fn paging_reassembles_exactly_the_ground_truth() {
    let sim = start(config(11)).await;
    let base = sim.base_url();
    let http = client();
    let truth = sim.ground_truth();
    assert_eq!(truth.sets.len(), 7);

    let token = u8_token(&http, &base).await;
    let tenants = [
        ("u8_demo_a", "demo_ent_a"),
        ("u8_demo_b", "demo_ent_b"),
        ("u8_demo_c", "demo_ent_c"),
    ];
    for (tenant, to) in tenants {
        let query = u8_query(to, &token);
        for (entity, list) in [
            (Entity::U8Customers, "customer"),
            (Entity::U8Contacts, "customercontacts"),
        ] {
            let served = u8_records(&u8_all_pages(&http, &base, list, &query, 9).await);
            let expected = truth.get(tenant, entity).expect("set exists");
            let expected: Vec<&str> = expected.records.iter().map(|r| r.json.as_str()).collect();
            assert_eq!(served, expected, "{tenant} {entity}");
        }
    }
    let access = ycm_token(&http, &base).await;
    let served = ycm_records(&ycm_all_pages(&http, &base, &access, 50).await);
    let expected = truth
        .get("ycm_demo", Entity::YcmCustomers)
        .expect("set exists");
    assert_eq!(served.len(), 57);
    assert_eq!(
        served,
        expected
            .records
            .iter()
            .map(|r| r.json.clone())
            .collect::<Vec<_>>()
    );

    // Keys in the ground truth are what a client reads from the record.
    for set in &truth.sets {
        let key_field = if set.entity == Entity::YcmCustomers {
            "customerId"
        } else {
            "code"
        };
        for record in &set.records {
            let value: serde_json::Value =
                serde_json::from_str(&record.json).expect("record is JSON");
            let read = match &value[key_field] {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            };
            assert_eq!(read, record.key, "{}", record.json);
        }
    }

    // The admin endpoint reports the same set.
    let ndjson = common::get(
        &http,
        &format!("{base}/_sim/ground_truth/u8_demo_a/u8_contacts"),
    )
    .await
    .1;
    let lines: Vec<serde_json::Value> = String::from_utf8(ndjson)
        .expect("utf8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let contacts = truth
        .get("u8_demo_a", Entity::U8Contacts)
        .expect("set exists");
    assert_eq!(lines.len(), contacts.records.len());
    assert_eq!(lines[3]["json"], contacts.records[3].json.as_str());
    sim.shutdown().await;
}

#[tokio::test]
async fn contacts_join_to_customers_and_u8_codes_are_unique() {
    let mut config = SimConfig::demo(40);
    config.messiness = MessinessConfig::none();
    let sim = start(config).await;
    let truth = sim.ground_truth();
    let customers = truth
        .get("u8_demo_a", Entity::U8Customers)
        .expect("customers");
    let contacts = truth
        .get("u8_demo_a", Entity::U8Contacts)
        .expect("contacts");
    let codes: std::collections::BTreeSet<&str> = customers.keys().into_iter().collect();
    assert_eq!(codes.len(), 40);
    assert_eq!(contacts.records.len(), 80);
    for contact in &contacts.records {
        let v: serde_json::Value = serde_json::from_str(&contact.json).expect("JSON");
        let code = v["ccuscode"].as_str().expect("ccuscode is a string");
        assert!(codes.contains(code), "{code}");
    }
    for customer in &customers.records {
        let v: serde_json::Value = serde_json::from_str(&customer.json).expect("JSON");
        assert!(v["timestamp"].is_number());
        assert_eq!(v["ModifyDate"].as_str().map(str::len), Some(19));
    }
    // Clean YCM records send customerId as a number.
    let ycm = truth.get("ycm_demo", Entity::YcmCustomers).expect("ycm");
    for record in &ycm.records {
        let v: serde_json::Value = serde_json::from_str(&record.json).expect("JSON");
        assert!(v["customerId"].is_u64());
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn heavy_messiness_shows_every_kind_of_mess() {
    let mut config = SimConfig::demo(400);
    config.messiness = MessinessConfig::heavy();
    let sim = start(config).await;
    let truth = sim.ground_truth();
    let all: Vec<&str> = truth
        .sets
        .iter()
        .flat_map(|s| s.records.iter().map(|r| r.json.as_str()))
        .collect();
    let any = |needle: &str| all.iter().any(|r| r.contains(needle));
    assert!(any(r#""mobile":1"#), "a phone sent as a number");
    assert!(any(r#""timestamp":""#), "a number sent as a string");
    assert!(any(r#""customerId":""#), "a YCM id sent as a string");
    assert!(any(r#""是""#) && any(r#":true"#), "boolean variants");
    assert!(any(r#""seed_date":"""#), "empty dates");
    assert!(
        any("\\u0007") || any("\\u0000") || any("\\u001f"),
        "control characters"
    );
    assert!(all.iter().any(|r| r.len() > 8000), "very long strings");
    assert!(any(r#"null"#), "null fields");
    assert!(
        truth
            .sets
            .iter()
            .any(|s| s.records.iter().any(|r| r.key.is_none())),
        "records without key"
    );
    assert!(
        any("cCusDefine1") || any("iCusCreLine"),
        "unknown extra fields"
    );
    sim.shutdown().await;
}

/// An account that keeps no contacts answers its contact listing the way real U8 accounts
/// answer an empty archive (recorded: `20002 未检索到匹配的[<archive>]。`), on page 1 and on any
/// page past the end of a non-empty listing.
#[tokio::test]
async fn an_empty_listing_answers_no_matching_record() {
    let sim = start(config(3)).await;
    let base = sim.base_url();
    let http = client();
    let token = u8_token(&http, &base).await;
    let empty = format!(
        "{base}/api/customercontacts/batch_get?{}&page_index=1&rows_per_page=20",
        u8_query("demo_ent_c", &token)
    );
    let past_end = format!(
        "{base}/api/customer/batch_get?{}&page_index=999&rows_per_page=20",
        u8_query("demo_ent_a", &token)
    );
    for (url, archive) in [(empty, "客户联系人"), (past_end, "客户")] {
        let (status, body) = common::get(&http, &url).await;
        assert_eq!(status, 200);
        let answer: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(answer["errcode"], custlake_simulator::U8_NO_MATCH_CODE);
        assert_eq!(answer["errmsg"], format!("未检索到匹配的[{archive}]。"));
    }
    sim.shutdown().await;
}
