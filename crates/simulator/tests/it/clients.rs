//! The generated clients (through their hand-written layers) against the simulator: the token
//! flow, every endpoint, every page reassembled equals the ground truth, and each fault knob as
//! the client sees it.

use std::time::Duration;

use custlake_client_kit::{Retryability, Secret};
use custlake_simulator::{
    DEMO_U8_APP_KEY, DEMO_U8_APP_SECRET, DEMO_U8_FROM_ACCOUNT, DEMO_YCM_CLIENT_ID,
    DEMO_YCM_CLIENT_SECRET, Entity, RateLimitConfig, SimConfig, SimHandle,
};
use yeastar_ycm::{YcmAccount, YcmClient, YcmError};
use yonyou_u8::{U8Account, U8Client, U8CustomerFilter, U8Error};

fn u8_client(sim: &SimHandle) -> U8Client {
    let account = U8Account::new(
        sim.base_url(),
        DEMO_U8_FROM_ACCOUNT,
        "demo_ent_a",
        DEMO_U8_APP_KEY,
        Secret::new(DEMO_U8_APP_SECRET),
    );
    U8Client::new(account, reqwest::Client::new()).expect("valid URL")
}

fn ycm_client(sim: &SimHandle) -> YcmClient {
    let account = YcmAccount::new(
        sim.base_url(),
        DEMO_YCM_CLIENT_ID,
        Secret::new(DEMO_YCM_CLIENT_SECRET),
    );
    YcmClient::new(account, reqwest::Client::new()).expect("valid URL")
}

fn truth_json(sim: &SimHandle, tenant: &str, entity: Entity) -> Vec<String> {
    let set = sim.entity_set(tenant, entity).expect("tenant exists");
    set.records.into_iter().map(|r| r.json).collect()
}

#[tokio::test]
async fn u8_pages_reassemble_the_ground_truth_and_get_finds_one_record() {
    let sim = custlake_simulator::start(SimConfig::demo(1_200))
        .await
        .expect("starts");
    let u8 = u8_client(&sim);
    let first = u8
        .customer_page(1, 500, &U8CustomerFilter::default())
        .await
        .expect("page 1");
    assert_eq!((first.row_count, first.page_count), (1_200, 3));
    let mut customers: Vec<String> = first
        .records
        .iter()
        .map(|r| r.raw_json().to_owned())
        .collect();
    for page in 2..=first.page_count {
        let next = u8
            .customer_page(page, 500, &U8CustomerFilter::default())
            .await
            .expect("page");
        customers.extend(next.records.iter().map(|r| r.raw_json().to_owned()));
    }
    assert_eq!(
        customers,
        truth_json(&sim, "u8_demo_a", Entity::U8Customers)
    );

    let first = u8
        .contact_page(1, 500, &Default::default())
        .await
        .expect("page 1");
    let mut contacts: Vec<String> = first
        .records
        .iter()
        .map(|r| r.raw_json().to_owned())
        .collect();
    for page in 2..=first.page_count {
        let next = u8
            .contact_page(page, 500, &Default::default())
            .await
            .expect("page");
        contacts.extend(next.records.iter().map(|r| r.raw_json().to_owned()));
    }
    assert_eq!(contacts, truth_json(&sim, "u8_demo_a", Entity::U8Contacts));

    let truth = sim
        .entity_set("u8_demo_a", Entity::U8Customers)
        .expect("set");
    let keyed = truth
        .records
        .iter()
        .find(|r| r.key.is_some())
        .expect("a keyed record");
    let code = keyed.key.clone().expect("key");
    let one = u8
        .customer(&code)
        .await
        .expect("customer/get")
        .expect("found");
    assert_eq!(one.raw_json(), keyed.json);
    assert_eq!(u8.tokens_issued(), 1, "one token for every call");
    sim.shutdown().await;
}

#[tokio::test]
async fn ycm_pages_reassemble_the_ground_truth_and_get_finds_one_record() {
    let sim = custlake_simulator::start(SimConfig::demo(180))
        .await
        .expect("starts");
    let ycm = ycm_client(&sim);
    let first = ycm.customer_page(1, 50).await.expect("page 1");
    assert_eq!((first.total, first.page_count()), (180, 4));
    let mut customers: Vec<String> = first
        .records
        .iter()
        .map(|r| r.raw_json().to_owned())
        .collect();
    for page in 2..=first.page_count() {
        let next = ycm.customer_page(page, 50).await.expect("page");
        customers.extend(next.records.iter().map(|r| r.raw_json().to_owned()));
    }
    assert_eq!(
        customers,
        truth_json(&sim, "ycm_demo", Entity::YcmCustomers)
    );
    let truth = sim
        .entity_set("ycm_demo", Entity::YcmCustomers)
        .expect("set");
    let keyed = truth
        .records
        .iter()
        .find(|r| r.key.is_some())
        .expect("a keyed record");
    let id: i64 = keyed
        .key
        .as_deref()
        .expect("key")
        .trim()
        .parse()
        .expect("numeric id");
    let one = ycm.customer(id).await.expect("get").expect("found");
    assert_eq!(one.raw_json(), keyed.json);
    sim.shutdown().await;
}

/// A simulator whose every first attempt at a request gets `fault`, and retries succeed.
async fn faulty(configure: impl FnOnce(&mut SimConfig)) -> SimHandle {
    let mut config = SimConfig::demo(300);
    config.faults.max_consecutive_faults = 1;
    configure(&mut config);
    custlake_simulator::start(config).await.expect("starts")
}

#[tokio::test]
async fn each_fault_knob_is_seen_by_the_clients() {
    let page =
        |u8: U8Client| async move { u8.customer_page(1, 100, &U8CustomerFilter::default()).await };

    let sim = faulty(|c| {
        c.faults.too_many_requests_rate = 1.0;
        c.faults.retry_after_secs = 2;
    })
    .await;
    let u8 = u8_client(&sim);
    let err = page(u8.clone()).await.expect_err("429");
    assert!(
        matches!(err, U8Error::Http { status: 429, retry_after: Some(d), .. } if d == Duration::from_secs(2)),
        "{err:?}"
    );
    // Token call and page call each fail once (the cap is one fault in a row per request).
    let mut retried = Err(err);
    for _ in 0..3 {
        retried = page(u8.clone()).await;
        if retried.is_ok() {
            break;
        }
    }
    assert!(retried.is_ok(), "a retry succeeds: {retried:?}");
    sim.shutdown().await;

    let sim = faulty(|c| c.faults.server_error_rate = 1.0).await;
    let err = page(u8_client(&sim)).await.expect_err("5xx");
    assert!(
        matches!(
            err,
            U8Error::Http {
                status: 500..=599,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(matches!(err.retryability(), Retryability::Retryable { .. }));
    sim.shutdown().await;

    let sim = faulty(|c| c.faults.drop_connection_rate = 1.0).await;
    let err = page(u8_client(&sim)).await.expect_err("dropped");
    assert!(
        matches!(err, U8Error::Transport { .. } | U8Error::Decode { .. }),
        "{err:?}"
    );
    sim.shutdown().await;

    let sim = faulty(|c| c.faults.malformed_rate = 1.0).await;
    let err = page(u8_client(&sim)).await.expect_err("malformed");
    assert!(matches!(err, U8Error::Decode { .. }), "{err:?}");
    sim.shutdown().await;

    let sim = faulty(|c| c.faults.vendor_error_rate = 1.0).await;
    let err = page(u8_client(&sim)).await.expect_err("busy");
    assert!(matches!(err, U8Error::Busy { .. }), "{err:?}");
    let ycm_err = ycm_client(&sim)
        .customer_page(1, 50)
        .await
        .expect_err("busy");
    assert!(matches!(ycm_err, YcmError::Busy { .. }), "{ycm_err:?}");
    sim.shutdown().await;

    let sim = faulty(|c| c.faults.token_expire_after_calls = Some(2)).await;
    let u8 = u8_client(&sim);
    for p in 1..=3 {
        u8.customer_page(p, 100, &U8CustomerFilter::default())
            .await
            .expect("renewed transparently");
    }
    assert!(u8.tokens_issued() >= 2, "the expired token was replaced");
    sim.shutdown().await;

    let sim = faulty(|c| {
        c.faults.rate_limit = Some(RateLimitConfig {
            burst: 1,
            per_second: 0.5,
        })
    })
    .await;
    let u8 = u8_client(&sim);
    let mut limited = None;
    for p in 1..=3 {
        if let Err(e) = u8.customer_page(p, 100, &U8CustomerFilter::default()).await {
            limited = Some(e);
            break;
        }
    }
    let err = limited.expect("the bucket ran dry");
    assert!(
        matches!(
            err,
            U8Error::Http {
                status: 429,
                retry_after: Some(_),
                ..
            }
        ),
        "{err:?}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn drift_changes_the_set_between_pages() {
    let mut config = SimConfig::demo(600);
    config.faults.drift_every_pages = Some(1);
    let sim = custlake_simulator::start(config).await.expect("starts");
    let u8 = u8_client(&sim);
    let mut keys = Vec::new();
    let first = u8
        .customer_page(1, 100, &U8CustomerFilter::default())
        .await
        .expect("page");
    let pages = first.page_count;
    keys.extend(first.records.iter().map(|r| r.raw_json().to_owned()));
    for p in 2..=pages {
        let next = u8
            .customer_page(p, 100, &U8CustomerFilter::default())
            .await
            .expect("page");
        keys.extend(next.records.iter().map(|r| r.raw_json().to_owned()));
    }
    assert!(sim.stats().drift_events > 0);
    let unique: std::collections::BTreeSet<_> = keys.iter().collect();
    let truth: std::collections::BTreeSet<_> = truth_json(&sim, "u8_demo_a", Entity::U8Customers)
        .into_iter()
        .collect();
    let seen: std::collections::BTreeSet<String> = unique.into_iter().cloned().collect();
    assert!(
        keys.len() != seen.len() || seen != truth,
        "a naive pager sees duplicates or a set different from the final ground truth"
    );
    sim.shutdown().await;
}
