//! Deletions and additions besides edits, and the change log: after a change call every
//! listing (all pages together) holds exactly ground truth, deleted records are gone from
//! listings, `get` and ground truth, added ones appear with new keys (U8 customers above every
//! row version served, so `timestamp_begin` finds them), and `changes_since` folds the calls
//! into the net keys inserted, updated and deleted; for U8 customers, U8 contacts and YCM
//! customers.

use std::collections::BTreeSet;

use crate::changes::{config, field};
use crate::common;

use common::{
    U8Page, client, start, u8_all_pages, u8_query, u8_records, u8_token, ycm_all_pages, ycm_get,
    ycm_records, ycm_token,
};
use custlake_simulator::{ChangeRequest, Entity, EntityChanges, SimHandle};

/// A record's key as text (U8 `code`, YCM `customerId`).
fn key(record: &str, name: &str) -> String {
    match field(record, name) {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

/// Checks that `records` (all pages, in order) are exactly ground truth, without duplicates,
/// and that the changed keys are where they belong; returns the keys served.
fn assert_listing_is_truth(
    sim: &SimHandle,
    records: &[String],
    entity: Entity,
    changes: &EntityChanges,
    key_field: &str,
) -> Vec<String> {
    let truth = sim.entity_set(&changes.tenant, entity).expect("truth");
    let truth_json: Vec<&str> = truth.records.iter().map(|r| r.json.as_str()).collect();
    assert_eq!(records, truth_json, "pages hold exactly ground truth");
    let keys: Vec<String> = records.iter().map(|r| key(r, key_field)).collect();
    let unique: BTreeSet<&String> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len(), "no duplicates");
    for deleted in &changes.deleted {
        assert!(!unique.contains(deleted), "{deleted} was deleted");
    }
    for present in changes.inserted.iter().chain(&changes.updated) {
        assert!(unique.contains(present), "{present} is served");
    }
    keys
}

/// Every U8 page but the last is full, and every page counts `total` records.
fn assert_u8_pages_full(pages: &[Vec<u8>], rows: usize, total: usize) {
    for (n, body) in pages.iter().enumerate() {
        let page: U8Page = serde_json::from_slice(body).expect("page");
        assert_eq!(page.row_count.as_deref(), Some(total.to_string().as_str()));
        let len = page.records().len();
        if n + 1 < pages.len() {
            assert_eq!(len, rows, "page {} is full", n + 1);
        } else {
            assert!((1..=rows).contains(&len));
        }
    }
}

#[tokio::test]
async fn u8_customers_deleted_and_added_show_everywhere_and_in_the_log() {
    let sim = start(config()).await;
    let (base, http) = (sim.base_url(), client());
    let token = u8_token(&http, &base).await;
    let query = u8_query("demo_ent_a", &token);
    let before = u8_records(&u8_all_pages(&http, &base, "customer", &query, 50).await);
    let high_water = before
        .iter()
        .filter_map(|r| field(r, "timestamp").as_i64())
        .max()
        .expect("versions");
    let before_codes: BTreeSet<String> = before.iter().map(|r| key(r, "code")).collect();

    let seq0 = sim.change_seq();
    let request = ChangeRequest {
        update: 3,
        delete: 5,
        add: 4,
    };
    let outcome = sim
        .change("u8_demo_a", Entity::U8Customers, request)
        .expect("tenant exists");
    assert_eq!(outcome.seq, seq0 + 1);
    let changes = &outcome.changes;
    assert_eq!(
        (
            changes.updated.len(),
            changes.deleted.len(),
            changes.inserted.len()
        ),
        (3, 5, 4)
    );
    for code in &changes.inserted {
        assert!(!before_codes.contains(code), "{code} is a new key");
    }

    let pages = u8_all_pages(&http, &base, "customer", &query, 7).await;
    assert_u8_pages_full(&pages, 7, 299);
    let records = u8_records(&pages);
    assert_listing_is_truth(&sim, &records, Entity::U8Customers, changes, "code");

    // customer/get follows: deleted codes are unknown, added ones are found.
    for (code, expected) in [(&changes.deleted[0], "20002"), (&changes.inserted[0], "0")] {
        let url = format!("{base}/api/customer/get?{query}&id={code}");
        let (_, body) = common::get(&http, &url).await;
        let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(body["errcode"], expected, "{code}: {body}");
    }

    // The incremental filter finds exactly the added and edited customers, in server order.
    let filtered = format!("{query}&timestamp_begin={}", high_water + 1);
    let delta = u8_records(&u8_all_pages(&http, &base, "customer", &filtered, 50).await);
    let codes: Vec<String> = delta.iter().map(|r| key(r, "code")).collect();
    let expected: BTreeSet<&String> = changes.inserted.iter().chain(&changes.updated).collect();
    assert_eq!(codes, expected.into_iter().cloned().collect::<Vec<_>>());

    let since = sim.changes_since(seq0);
    assert_eq!(since.latest, outcome.seq);
    assert_eq!(since.entities, std::slice::from_ref(changes));
    let (status, body) = common::get(&http, &format!("{base}/_sim/changes?since={seq0}")).await;
    assert_eq!(status, 200);
    let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(body["latest"], outcome.seq);
    assert_eq!(body["entities"][0]["entity"], "u8_customers");
    assert_eq!(
        body["entities"][0]["deleted"].as_array().map(Vec::len),
        Some(5)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn u8_contacts_change_through_the_admin_endpoint() {
    let sim = start(config()).await;
    let (base, http) = (sim.base_url(), client());
    let token = u8_token(&http, &base).await;
    let query = u8_query("demo_ent_a", &token);
    let response = http
        .post(format!(
            "{base}/_sim/change/u8_demo_a?entity=contacts&count=2&delete=3&add=2"
        ))
        .send()
        .await
        .expect("admin call");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["entity"], "u8_contacts");
    assert_eq!(body["seq"], 1);
    assert_eq!(body["changed"], body["updated"]);

    let since = sim.changes_since(0);
    let changes = since
        .get("u8_demo_a", Entity::U8Contacts)
        .expect("contacts changed");
    assert_eq!(
        (
            changes.updated.len(),
            changes.deleted.len(),
            changes.inserted.len()
        ),
        (2, 3, 2)
    );
    assert_eq!(body["inserted"], serde_json::json!(changes.inserted));
    let pages = u8_all_pages(&http, &base, "customercontacts", &query, 40).await;
    assert_u8_pages_full(&pages, 40, 600 - 3 + 2);
    let records = u8_records(&pages);
    assert_listing_is_truth(&sim, &records, Entity::U8Contacts, changes, "code");
    for record in records
        .iter()
        .filter(|r| changes.updated.contains(&key(r, "code")))
    {
        assert_eq!(field(record, "favorite"), "资料已更新（第1次）");
    }
    // Customers are untouched by a contact change.
    let customers = sim
        .entity_set("u8_demo_a", Entity::U8Customers)
        .expect("set");
    assert_eq!(customers.records.len(), 300);
    sim.shutdown().await;
}

#[tokio::test]
async fn ycm_customers_change_through_the_admin_endpoint() {
    let sim = start(config()).await;
    let (base, http) = (sim.base_url(), client());
    let token = ycm_token(&http, &base).await;
    let before = ycm_records(&ycm_all_pages(&http, &base, &token, 9).await);
    let before_ids: BTreeSet<String> = before.iter().map(|r| key(r, "customerId")).collect();

    let response = http
        .post(format!(
            "{base}/_sim/change/ycm_demo?count=3&delete=4&add=5"
        ))
        .send()
        .await
        .expect("admin call");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["entity"], "ycm_customers");
    let since = sim.changes_since(0);
    let changes = since
        .get("ycm_demo", Entity::YcmCustomers)
        .expect("ycm changed");
    assert_eq!(
        (
            changes.updated.len(),
            changes.deleted.len(),
            changes.inserted.len()
        ),
        (3, 4, 5)
    );
    for id in &changes.inserted {
        assert!(!before_ids.contains(id), "{id} is a new key");
    }

    let pages = ycm_all_pages(&http, &base, &token, 9).await;
    let total = before.len() - 4 + 5;
    for (n, body) in pages.iter().enumerate() {
        let page: common::YcmListEnvelope = serde_json::from_slice(body).expect("page");
        let data = page.data.expect("data");
        assert_eq!(data.total as usize, total);
        if n + 1 < pages.len() {
            assert_eq!(data.list.len(), 9, "page {} is full", n + 1);
        }
    }
    let records = ycm_records(&pages);
    assert_listing_is_truth(&sim, &records, Entity::YcmCustomers, changes, "customerId");
    for record in &records {
        let id = key(record, "customerId");
        let old = before.iter().find(|b| key(b, "customerId") == id);
        if changes.updated.contains(&id) {
            assert_eq!(field(record, "remark"), "资料已更新（第1次）");
            assert_ne!(old, Some(record), "an edited record differs");
        } else if !changes.inserted.contains(&id) {
            assert_eq!(old, Some(record), "{id} is unchanged");
        }
    }

    // get follows: a deleted id is not found, an added one is.
    for (id, status) in [
        (&changes.deleted[0], "Failed"),
        (&changes.inserted[0], "Success"),
    ] {
        let url = format!("{base}/dm/open_api/v1/customers/{id}");
        let (_, body, _) = ycm_get(&http, &url, &token).await;
        let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(body["status"], status, "{id}: {body}");
    }

    let unknown = http
        .post(format!("{base}/_sim/change/nope?count=1"))
        .send()
        .await
        .expect("admin call");
    assert_eq!(unknown.status(), 404);
    let bad = http
        .post(format!("{base}/_sim/change/ycm_demo?entity=orders"))
        .send()
        .await
        .expect("admin call");
    assert_eq!(bad.status(), 400);
    sim.shutdown().await;
}

#[tokio::test]
async fn changes_since_nets_out_inserts_edits_and_deletes() {
    let sim = start(config()).await;
    let tenant = "u8_demo_b";
    let change = |update, delete, add| {
        sim.change(
            tenant,
            Entity::U8Customers,
            ChangeRequest {
                update,
                delete,
                add,
            },
        )
        .expect("tenant exists")
    };
    let added = change(0, 0, 5);
    // Edit every record, the added ones included: they stay inserted.
    let edited = change(10_000, 0, 0);
    assert_eq!(edited.changes.updated.len(), 305);
    let net = sim.changes_since(0);
    let net = net.get(tenant, Entity::U8Customers).expect("changes");
    assert_eq!(net.inserted, added.changes.inserted);
    assert_eq!(net.updated.len(), 300);
    assert!(net.deleted.is_empty());

    // Delete everything: edited then deleted is deleted, added then deleted is nothing.
    let deleted = change(0, 10_000, 0);
    assert_eq!(deleted.seq, 3);
    let all = sim.changes_since(0);
    let net = all.get(tenant, Entity::U8Customers).expect("changes");
    assert!(net.inserted.is_empty() && net.updated.is_empty());
    assert_eq!(net.deleted.len(), 300);
    assert!(
        net.deleted
            .iter()
            .all(|c| !added.changes.inserted.contains(c))
    );
    let after_add = sim.changes_since(added.seq);
    let net = after_add.get(tenant, Entity::U8Customers).expect("changes");
    assert_eq!(
        net.deleted.len(),
        305,
        "added before the point, so deleted after it"
    );
    assert!(sim.changes_since(3).entities.is_empty());

    let truth = sim.entity_set(tenant, Entity::U8Customers).expect("set");
    assert!(truth.records.is_empty());
    let (base, http) = (sim.base_url(), client());
    let token = u8_token(&http, &base).await;
    let query = u8_query("demo_ent_b", &token);
    assert!(
        u8_all_pages(&http, &base, "customer", &query, 50)
            .await
            .is_empty()
    );
    sim.shutdown().await;
}
