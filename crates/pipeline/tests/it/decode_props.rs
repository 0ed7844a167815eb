//! Property tests (the fuzzing of this crate; they run in `cargo test`): arbitrary bytes and
//! arbitrary JSON pages through the generated page types, the U8 client's page handling over
//! HTTP, the mapping, the page spool and the checkpoint's page set. Nothing may panic; what
//! decodes must be accounted for record by record.
//!
//! More cases for a longer local session: `PROPTEST_CASES=5000 cargo test -p custlake-pipeline
//! --test it decode_props::`.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::{DateTime, Utc};
use custlake_pipeline::internals::PageSet;
use custlake_pipeline::internals::{FetchedPage, PageRecords};
use custlake_pipeline::internals::{RecordKind, SpoolWriter, raw_texts, read_frames_from};
use custlake_schema::{
    MapContext, MappedBatches, SourceKind, map_u8_contacts, map_u8_customers, map_ycm_customers,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Number, Value};
use yeastar_ycm::types::YcmCustomerListEnvelope;
use yonyou_u8::types::{U8CustomerContactPage, U8CustomerPage};

/// `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ctx() -> MapContext {
    let at = DateTime::<Utc>::from_timestamp(1_750_000_000, 0).unwrap_or_default();
    MapContext::new(SourceKind::YonyouU8, "t", "run", at)
}

/// Every record became one row or one whole-record reject.
fn accounted(mapped: &MappedBatches, records: usize) -> bool {
    let s = mapped.stats;
    s.input_records == records
        && s.customer_rows.max(s.contact_rows) + s.whole_record_rejects == records
}

/// Any JSON value, with strings that look like counters and dates more often than chance.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        "\\PC{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("0"),
            Just("1"),
            Just("-1"),
            Just(""),
            Just(" 7 "),
            Just("1e3"),
            Just("18446744073709551616"),
            Just("2024-02-30 25:61:00"),
            Just("是"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z_]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A record: usually an object with some of the vendor's field names, sometimes anything.
fn record(fields: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => prop::collection::vec((prop::sample::select(fields), json_value()), 0..8)
            .prop_map(|pairs| {
                Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        1 => json_value(),
    ]
}

const U8_FIELDS: &[&str] = &[
    "code",
    "name",
    "abbrname",
    "ModifyDate",
    "seed_date",
    "timestamp",
    "bcusdomestic",
    "mobile",
    "ccuscode",
    "sex",
    "birthday",
    "be_main_linker",
    "self_define1",
];
const YCM_FIELDS: &[&str] = &[
    "customerId",
    "company",
    "firstName",
    "lastName",
    "email",
    "mobileNumber",
    "remark",
];

/// A U8 batch_get answer with arbitrary counters and records (key `customer` or
/// `customercontacts`).
fn u8_page(list_key: &'static str) -> impl Strategy<Value = Value> {
    let counter = prop_oneof![
        2 => (0u64..100_000).prop_map(|n| Value::String(n.to_string())),
        1 => json_value(),
    ];
    (
        prop_oneof![3 => Just(Value::String("0".into())), 1 => json_value()],
        prop::option::of(counter.clone()),
        prop::option::of(counter.clone()),
        prop::option::of(counter),
        prop::collection::vec(record(U8_FIELDS), 0..6),
    )
        .prop_map(
            move |(errcode, row_count, page_count, page_index, records)| {
                let mut page = Map::new();
                page.insert("errcode".into(), errcode);
                for (name, value) in [
                    ("row_count", row_count),
                    ("page_count", page_count),
                    ("page_index", page_index),
                ] {
                    if let Some(value) = value {
                        page.insert(name.into(), value);
                    }
                }
                page.insert(list_key.into(), Value::Array(records));
                Value::Object(page)
            },
        )
}

fn ycm_envelope() -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just("Success".to_owned()), "\\PC{0,8}"],
        prop::option::of(json_value()),
        prop::collection::vec(record(YCM_FIELDS), 0..6),
    )
        .prop_map(|(status, total, list)| {
            let mut data = Map::new();
            if let Some(total) = total {
                data.insert("total".into(), total);
            }
            data.insert("list".into(), Value::Array(list));
            serde_json::json!({"status": status, "data": data})
        })
}

/// Bytes of a valid page, then damaged: bytes overwritten and maybe cut short.
fn damaged(page: impl Strategy<Value = Value>) -> impl Strategy<Value = Vec<u8>> {
    (
        page,
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        prop::option::of(any::<prop::sample::Index>()),
    )
        .prop_map(|(page, edits, cut)| {
            let mut bytes = serde_json::to_vec(&page).unwrap_or_default();
            if bytes.is_empty() {
                return bytes;
            }
            for (at, byte) in edits {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len()));
            }
            bytes
        })
}

proptest! {
    #![proptest_config(Config { cases: cases(256), failure_persistence: None, ..Config::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_the_page_decoders(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = serde_json::from_slice::<U8CustomerPage>(&bytes);
        let _ = serde_json::from_slice::<U8CustomerContactPage>(&bytes);
        let _ = serde_json::from_slice::<YcmCustomerListEnvelope>(&bytes);
    }

    #[test]
    fn damaged_pages_never_panic_and_what_decodes_maps_completely(
        bytes in prop_oneof![damaged(u8_page("customer")), damaged(u8_page("customercontacts"))],
    ) {
        if let Ok(page) = serde_json::from_slice::<U8CustomerPage>(&bytes) {
            let mapped = map_u8_customers(&ctx(), &page.customer);
            prop_assert!(accounted(&mapped, page.customer.len()));
        }
        if let Ok(page) = serde_json::from_slice::<U8CustomerContactPage>(&bytes) {
            let mapped = map_u8_contacts(&ctx(), &page.customercontacts);
            prop_assert!(accounted(&mapped, page.customercontacts.len()));
        }
    }

    #[test]
    fn arbitrary_u8_pages_decode_every_record_and_map_it(page in u8_page("customer")) {
        let sent = page["customer"].as_array().map_or(0, Vec::len);
        let bytes = serde_json::to_vec(&page).expect("encodes");
        // LooseString takes any JSON value, so every well-formed page decodes.
        let decoded: U8CustomerPage = serde_json::from_slice(&bytes).expect("a JSON page decodes");
        prop_assert_eq!(decoded.customer.len(), sent);
        for (record, original) in decoded.customer.iter().zip(page["customer"].as_array().into_iter().flatten()) {
            // The raw text is exactly what was sent (compared as text: floats need not
            // survive a parse and re-print bit for bit).
            prop_assert_eq!(record.raw_json(), original.to_string());
        }
        let mapped = map_u8_customers(&ctx(), &decoded.customer);
        prop_assert!(accounted(&mapped, sent));
    }

    #[test]
    fn arbitrary_ycm_envelopes_never_panic_and_map_completely(
        envelope in ycm_envelope(),
        damage in damaged(ycm_envelope()),
    ) {
        let bytes = serde_json::to_vec(&envelope).expect("encodes");
        let decoded: YcmCustomerListEnvelope = serde_json::from_slice(&bytes).expect("decodes");
        let list = decoded.data.map(|d| d.list).unwrap_or_default();
        let mapped = map_ycm_customers(&ctx(), &list);
        let s = mapped.stats;
        prop_assert_eq!(s.customer_rows + s.whole_record_rejects, list.len());
        let _ = serde_json::from_slice::<YcmCustomerListEnvelope>(&damage);
    }

    #[test]
    fn arbitrary_spool_bytes_are_an_error_never_a_panic(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..600),
            spool_bytes().prop_flat_map(|b| {
                let len = b.len().max(1);
                (Just(b), prop::collection::vec((0..len, any::<u8>()), 1..4))
            }).prop_map(|(mut b, edits)| {
                for (i, byte) in edits {
                    if i < b.len() {
                        b[i] = byte;
                    }
                }
                b
            }),
        ],
        claimed in 0u64..2_000,
    ) {
        for kind in [RecordKind::U8Customers, RecordKind::U8Contacts, RecordKind::YcmCustomers] {
            let mut pages = 0;
            let _ = read_frames_from(&bytes[..], Path::new("fuzz.spool"), claimed.min(bytes.len() as u64), kind, &mut |_| {
                pages += 1;
                Ok(())
            });
        }
    }

    #[test]
    fn spooled_pages_replay_byte_for_byte(
        pages in prop::collection::vec(prop::collection::vec((record(U8_FIELDS), any::<bool>()), 0..5), 1..5),
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p.spool");
        let mut spool = SpoolWriter::open(&path, 0).expect("opens");
        let mut written = Vec::new();
        for (n, records) in pages.iter().enumerate() {
            // Pretty-printed records span lines; the spool must keep them exactly.
            let texts: Vec<String> = records
                .iter()
                .map(|(value, pretty)| if *pretty {
                    serde_json::to_string_pretty(value).unwrap_or_default()
                } else {
                    value.to_string()
                })
                .collect();
            let page = u8_fetched_page(n as u64 + 1, &texts);
            spool.append(&page).expect("appends");
            written.push(texts);
        }
        let durable = spool.sync().expect("syncs");
        let bytes = std::fs::read(&path).expect("reads");
        let mut read = Vec::new();
        read_frames_from(&bytes[..], &path, durable, RecordKind::U8Customers, &mut |page| {
            read.push(raw_texts(&page.records).iter().map(|s| s.to_string()).collect::<Vec<_>>());
            Ok(())
        }).expect("replays");
        prop_assert_eq!(read, written);
    }

    #[test]
    fn page_set_behaves_like_a_set(pages in prop::collection::vec(1u64..120, 0..200)) {
        let mut set = PageSet::default();
        let mut model = BTreeSet::new();
        for page in pages {
            prop_assert_eq!(set.insert(page), model.insert(page));
        }
        prop_assert_eq!(set.len(), model.len() as u64);
        for page in 0..125 {
            prop_assert_eq!(set.contains(page), model.contains(&page));
        }
        let json = serde_json::to_string(&set).expect("encodes");
        prop_assert_eq!(serde_json::from_str::<PageSet>(&json).ok(), Some(set));
    }
}

fn u8_fetched_page(page: u64, texts: &[String]) -> FetchedPage {
    FetchedPage {
        page,
        announced_records: 10,
        announced_pages: 2,
        records: PageRecords::U8Customers(
            texts
                .iter()
                .filter_map(|t| yonyou_u8::U8CustomerRecord::from_json(t).ok())
                .collect(),
        ),
    }
}

/// A valid spool of one or two small pages, as bytes.
fn spool_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(record(U8_FIELDS), 0..3).prop_map(|records| {
        let texts: Vec<String> = records.iter().map(Value::to_string).collect();
        let Ok(dir) = tempfile::tempdir() else {
            return Vec::new();
        };
        let path = dir.path().join("s.spool");
        let Ok(mut spool) = SpoolWriter::open(&path, 0) else {
            return Vec::new();
        };
        let _ = spool.append(&u8_fetched_page(1, &texts));
        let _ = spool.append(&u8_fetched_page(2, &texts));
        drop(spool);
        std::fs::read(&path).unwrap_or_default()
    })
}

/// The real U8 client (token flow, counters, error classification) over HTTP, fed arbitrary
/// and damaged page bodies: it returns a page or an error, never panics, and a page it returns
/// has every record the body held.
#[test]
fn the_u8_client_turns_any_body_into_a_page_or_an_error() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let body: Arc<Mutex<Vec<u8>>> = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new()
        .route(
            "/system/token",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    r#"{"errcode":"0","token":{"id":"t","expiresIn":"7200"}}"#,
                )
            }),
        )
        .route(
            "/api/customer/batch_get",
            get(|State(body): State<Arc<Mutex<Vec<u8>>>>| async move {
                let bytes = body.lock().map(|b| b.clone()).unwrap_or_default();
                ([(header::CONTENT_TYPE, "application/json")], bytes).into_response()
            }),
        )
        .with_state(body.clone());
    let url = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        format!("http://{addr}")
    });
    let account = yonyou_u8::U8Account::new(url, "f", "t", "k", "s".into());
    let client = yonyou_u8::U8Client::new(account, reqwest::Client::new()).expect("client builds");

    let strategy = prop_oneof![
        u8_page("customer").prop_map(|p| serde_json::to_vec(&p).unwrap_or_default()),
        damaged(u8_page("customer")),
        prop::collection::vec(any::<u8>(), 0..256),
    ];
    let mut runner = TestRunner::new(Config {
        cases: cases(96),
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&strategy, |bytes| {
        // A page object without the list is an empty page (its totals say what was announced,
        // and the run's guard compares them with what arrived). Invalid UTF-8 inside values the
        // client ignores (unknown keys) does not fail it, so the reference reads bytes lossily.
        let text = String::from_utf8_lossy(&bytes);
        let sent = serde_json::from_str::<Value>(&text).ok().and_then(|v| {
            let page = v.as_object()?;
            Some(
                page.get("customer")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len),
            )
        });
        if let Ok(mut guard) = body.lock() {
            *guard = bytes;
        }
        let answer =
            runtime.block_on(client.customer_page(1, 10, &yonyou_u8::U8CustomerFilter::default()));
        if let Ok(page) = answer {
            prop_assert_eq!(Some(page.records.len()), sent);
            let mapped = map_u8_customers(&ctx(), &page.records);
            prop_assert!(accounted(&mapped, page.records.len()));
        }
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}
