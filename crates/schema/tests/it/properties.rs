//! Property tests: whatever JSON arrives, in any vendor field or as a whole record, mapping
//! never panics and accounts for every record exactly once (one row, or one whole-record
//! reject), with batches that agree with the counts. The match keys are exactly the
//! normalisers applied to their text columns, and neither they nor the default region ever
//! add, remove or change a reject.

use crate::common;

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use custlake_client_kit::{LooseString, VendorRecord};
use custlake_match_keys::{email_normalized, phone_e164};
use custlake_schema::{
    Dataset, MapContext, MappedBatches, Region, SourceKind, coerce, map_u8_contacts,
    map_u8_customers, map_ycm_customers, u8_contact_key, u8_customer_key, ycm_customer_key,
};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value, json};

const U8_CUSTOMER_FIELDS: &[&str] = &[
    "code",
    "name",
    "abbrname",
    "sort_code",
    "domain_code",
    "industry",
    "address",
    "bank_open",
    "bank_acc_number",
    "contact",
    "phone",
    "fax",
    "mobile",
    "devliver_site",
    "ModifyDate",
    "seed_date",
    "end_date",
    "memo",
    "ccusexch_name",
    "bcusdomestic",
    "bcusoverseas",
    "bserviceattribute",
    "ccusmngtypecode",
    "ccusmngtypename",
    "spec_operator",
    "spec_operator_name",
    "timestamp",
    "self_define1",
    "self_define2",
    "self_define3",
    "self_define4",
    "self_define5",
    "self_define6",
    "self_define7",
    "self_define8",
    "self_define9",
    "self_define10",
    "self_define11",
    "self_define12",
    "self_define13",
    "self_define14",
    "self_define15",
    "self_define16",
    "unknown_extra",
    "errcode",
];

const U8_CONTACT_FIELDS: &[&str] = &[
    "code",
    "name",
    "ccuscode",
    "ccusname",
    "direct_leader_code",
    "direct_leader",
    "charge_person_code",
    "charge_person",
    "be_main_linker",
    "title",
    "sex",
    "birthday",
    "native",
    "default",
    "position",
    "mobile_phone",
    "office_phone",
    "email",
    "favorite",
    "wechat",
    "qq",
    "unknown_extra",
];

const YCM_FIELDS: &[&str] = &[
    "customerId",
    "firstName",
    "lastName",
    "company",
    "email",
    "businessNumber",
    "mobileNumber",
    "homeNumber",
    "faxNumber",
    "zipCode",
    "street",
    "city",
    "state",
    "country",
    "remark",
    "unknownExtra",
];

/// Strings the vendors send or that sit on a coercion boundary.
const TRICKY_STRINGS: &[&str] = &[
    "",
    " ",
    "\u{3000}",
    "1",
    "0",
    "true",
    "FALSE",
    "是",
    "否",
    "Y",
    "n",
    "maybe",
    "2",
    "男",
    "女",
    "不详",
    "robot",
    "2023-01-05",
    "2023/1/5",
    "2023-01-05 08:30:00",
    "2023-01-05T08:30:00.123456789",
    "2023-01-05 08:30:00+08:00",
    "2023-13-45",
    "2023-02-29",
    "0000-01-01",
    "9999-12-31 23:59:59",
    "2023-03-26 02:30:00",
    "123",
    "-9223372036854775808",
    "9223372036854775808",
    "0x7FFFFFFFFFFFFFFF",
    "0x",
    "1e400",
    "4.2e1",
    "NaN",
    "世纪天华集团公司",
    "  padded  ",
    "\"quoted\"",
    "\\",
    "{}",
    // Phone numbers and e-mail addresses, valid and not, for the match keys.
    "010-62345678",
    "010-62345678-8001",
    "+86 138 1138 8661",
    "１３８１１３８８６６１",
    "0086 10 6234 5678",
    "030 901820",
    "62345678",
    "n/a",
    "  Zhang.San@Example.COM ",
    "zs@@example.com",
    "Zhang San <zs@example.com>",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(TRICKY_STRINGS).prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[0-9 :/T.+-]{0,24}".prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z_]{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object with any subset of `fields` (vendor and unknown names), each holding any JSON.
fn record_object(fields: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop::collection::btree_map(prop::sample::select(fields), json_value(), 0..fields.len())
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
}

/// Mostly keyed objects (so rows get exercised), sometimes arbitrary fields, sometimes any JSON.
fn record_text(
    fields: &'static [&'static str],
    key: &'static str,
) -> impl Strategy<Value = String> {
    let keyed = (record_object(fields), "[0-9A-Za-z]{1,10}").prop_map(move |(mut v, code)| {
        if let Value::Object(map) = &mut v {
            map.insert(key.to_owned(), Value::from(code));
        }
        v
    });
    prop_oneof![
        6 => keyed,
        3 => record_object(fields),
        1 => json_value(),
    ]
    .prop_map(|v| serde_json::to_string(&v).unwrap_or_default())
}

fn records<T: DeserializeOwned>(texts: &[String]) -> Vec<VendorRecord<T>> {
    texts
        .iter()
        .filter_map(|t| VendorRecord::from_json(t).ok())
        .collect()
}

fn context(include_raw: bool, zone: usize) -> MapContext {
    context_in(include_raw, zone, Some(Region::CN))
}

fn context_in(include_raw: bool, zone: usize, region: Option<Region>) -> MapContext {
    let mut ctx = common::ctx(SourceKind::YonyouU8, "prop");
    ctx.include_raw = include_raw;
    ctx.default_region = region;
    ctx.timezone = [
        chrono_tz::Asia::Shanghai,
        chrono_tz::UTC,
        chrono_tz::Europe::Berlin,
        chrono_tz::America::New_York,
    ][zone % 4];
    ctx
}

fn text_column(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let column = batch
        .column_by_name(name)
        .expect("column exists")
        .as_string::<i32>();
    (0..column.len())
        .map(|i| column.is_valid(i).then(|| column.value(i).to_owned()))
        .collect()
}

/// No region, U8's and YCM's usual one, and one where `030 901820` is a number.
fn region() -> impl Strategy<Value = Option<Region>> {
    prop::sample::select(vec![
        None,
        Some(Region::CN),
        Some("DE".parse().expect("known region")),
    ])
}

/// Phone numbers as people type them, or anything else.
fn phone_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[+＋(（]?[0-9０-９ ()（）\\-－./#x转]{0,24}",
        prop::sample::select(TRICKY_STRINGS).prop_map(str::to_owned),
        any::<String>(),
    ]
}

/// E-mail addresses as people type them, or anything else.
fn email_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ <]?(mailto:)?[a-zA-Z0-9._%+ü用-]{0,12}[@＠]{0,2}[a-zA-Z0-9.ü例-]{0,16}[ >.]?",
        prop::sample::select(TRICKY_STRINGS).prop_map(str::to_owned),
        any::<String>(),
    ]
}

/// A match-key column, the text column it is derived from, and whether it is a phone key.
const CUSTOMER_KEYS: &[(&str, &str, bool)] = &[
    ("phone_e164", "phone", true),
    ("mobile_e164", "mobile", true),
    ("fax_e164", "fax", true),
    ("email_normalized", "email", false),
];
const CONTACT_KEYS: &[(&str, &str, bool)] = &[
    ("mobile_e164", "mobile", true),
    ("office_phone_e164", "office_phone", true),
    ("home_phone_e164", "home_phone", true),
    ("email_normalized", "email", false),
];

/// Every key of `batch` is its normaliser applied to its text column in `region`, so a key is
/// null where the text is.
fn check_keys(
    batch: &Option<RecordBatch>,
    dataset: Dataset,
    region: Option<Region>,
) -> Result<(), TestCaseError> {
    let Some(batch) = batch else {
        return Ok(());
    };
    let keys = match dataset {
        Dataset::Customers => CUSTOMER_KEYS,
        _ => CONTACT_KEYS,
    };
    for &(key, text, is_phone) in keys {
        let expected: Vec<Option<String>> = text_column(batch, text)
            .iter()
            .map(|value| {
                value.as_deref().and_then(|value| {
                    if is_phone {
                        phone_e164(value, region)
                    } else {
                        email_normalized(value)
                    }
                })
            })
            .collect();
        prop_assert_eq!(text_column(batch, key), expected, "{}.{}", dataset, key);
    }
    Ok(())
}

/// `batch` without its match-key columns, as rows.
fn without_keys(batch: &Option<RecordBatch>) -> Vec<Value> {
    let mut rows = batch.as_ref().map(common::rows_json).unwrap_or_default();
    for row in &mut rows {
        if let Value::Object(columns) = row {
            columns.retain(|name, _| !name.ends_with("_e164") && name != "email_normalized");
        }
    }
    rows
}

fn rows(batch: &Option<RecordBatch>) -> usize {
    batch.as_ref().map_or(0, RecordBatch::num_rows)
}

/// The checks every mapping result must pass.
fn check_accounting(
    mapped: &MappedBatches,
    inputs: usize,
    rows_out: usize,
    keys: &[Option<&str>],
    raws: &[&str],
    key_column: (&Option<RecordBatch>, &str),
    include_raw: bool,
) -> Result<(), TestCaseError> {
    let stats = mapped.stats;
    prop_assert_eq!(stats.input_records, inputs);
    prop_assert_eq!(rows_out + stats.whole_record_rejects, inputs);
    prop_assert_eq!(
        rows(&mapped.rejects),
        stats.whole_record_rejects + stats.field_rejects
    );
    if let Some(rejects) = &mapped.rejects {
        let whole = text_column(rejects, "field")
            .iter()
            .filter(|f| f.is_none())
            .count();
        prop_assert_eq!(whole, stats.whole_record_rejects);
        for reason in text_column(rejects, "reason") {
            prop_assert!(reason.is_some_and(|r| !r.is_empty()));
        }
    }
    // Rows appear in input order, one per keyed record, with exactly the key the key
    // function reports, and raw exactly as received.
    let expected_keys: Vec<Option<String>> = keys
        .iter()
        .flatten()
        .map(|k| Some((*k).to_owned()))
        .collect();
    let expected_raw: Vec<Option<String>> = keys
        .iter()
        .zip(raws)
        .filter(|(k, _)| k.is_some())
        .map(|(_, raw)| include_raw.then(|| (*raw).to_owned()))
        .collect();
    match key_column.0 {
        Some(batch) => {
            prop_assert_eq!(text_column(batch, key_column.1), expected_keys);
            prop_assert_eq!(text_column(batch, "raw"), expected_raw);
        }
        None => prop_assert!(expected_keys.is_empty()),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn u8_customers_account_for_every_record(
        texts in prop::collection::vec(record_text(U8_CUSTOMER_FIELDS, "code"), 0..8),
        include_raw in any::<bool>(),
        zone in 0usize..4,
        region in region(),
    ) {
        let input = records(&texts);
        let mapped = map_u8_customers(&context_in(include_raw, zone, region), &input);
        check_keys(&mapped.customers, Dataset::Customers, region)?;
        prop_assert_eq!(mapped.stats.customer_rows, rows(&mapped.customers));
        prop_assert!(mapped.contacts.is_none());
        let keys: Vec<Option<&str>> = input.iter().map(u8_customer_key).collect();
        let raws: Vec<&str> = input.iter().map(VendorRecord::raw_json).collect();
        check_accounting(&mapped, input.len(), mapped.stats.customer_rows, &keys, &raws,
            (&mapped.customers, "customer_id"), include_raw)?;
    }

    #[test]
    fn u8_contacts_account_for_every_record(
        texts in prop::collection::vec(record_text(U8_CONTACT_FIELDS, "code"), 0..8),
        include_raw in any::<bool>(),
        region in region(),
    ) {
        let input = records(&texts);
        let mapped = map_u8_contacts(&context_in(include_raw, 0, region), &input);
        check_keys(&mapped.contacts, Dataset::Contacts, region)?;
        prop_assert_eq!(mapped.stats.contact_rows, rows(&mapped.contacts));
        prop_assert!(mapped.customers.is_none());
        let keys: Vec<Option<&str>> = input.iter().map(u8_contact_key).collect();
        let raws: Vec<&str> = input.iter().map(VendorRecord::raw_json).collect();
        check_accounting(&mapped, input.len(), mapped.stats.contact_rows, &keys, &raws,
            (&mapped.contacts, "contact_id"), include_raw)?;
    }

    #[test]
    fn ycm_customers_account_for_every_record(
        texts in prop::collection::vec(record_text(YCM_FIELDS, "customerId"), 0..8),
        include_raw in any::<bool>(),
        region in region(),
    ) {
        let input = records(&texts);
        let mapped = map_ycm_customers(&context_in(include_raw, 0, region), &input);
        check_keys(&mapped.customers, Dataset::Customers, region)?;
        check_keys(&mapped.contacts, Dataset::Contacts, region)?;
        prop_assert_eq!(mapped.stats.customer_rows, rows(&mapped.customers));
        prop_assert_eq!(mapped.stats.contact_rows, rows(&mapped.contacts));
        prop_assert_eq!(mapped.stats.contact_rows, mapped.stats.customer_rows);
        let keys: Vec<Option<&str>> = input.iter().map(ycm_customer_key).collect();
        let raws: Vec<&str> = input.iter().map(VendorRecord::raw_json).collect();
        check_accounting(&mapped, input.len(), mapped.stats.customer_rows, &keys, &raws,
            (&mapped.customers, "customer_id"), include_raw)?;
        check_accounting(&mapped, input.len(), mapped.stats.contact_rows, &keys, &raws,
            (&mapped.contacts, "contact_id"), include_raw)?;
        if let Some(contacts) = &mapped.contacts {
            prop_assert_eq!(text_column(contacts, "customer_id"), text_column(contacts, "contact_id"));
        }
    }

    #[test]
    fn the_row_hash_follows_the_mapped_values_only(
        name in "[a-z]{1,8}",
        other_name in "[a-z]{1,8}",
        phone in "[0-9]{5,11}",
        run in "[a-z]{3}",
    ) {
        // The same record sent with its fields in another order, in another run: same hash;
        // another name: another hash (unless the name is the same).
        let forward = json!({"code": "K1", "name": name, "phone": phone}).to_string();
        let backward = format!(r#"{{"phone":"{phone}","name":"{name}","code":"K1"}}"#);
        let renamed = json!({"code": "K1", "name": other_name, "phone": phone}).to_string();
        let mut later = context(true, 0);
        later.run_id = run;
        let hash = |ctx: &MapContext, text: &str| -> i64 {
            let mapped = map_u8_customers(ctx, &records(&[text.to_owned()]));
            let batch = mapped.customers.expect("one customer");
            let column = batch.column_by_name("row_hash").expect("row_hash");
            column.as_primitive::<arrow_array::types::Int64Type>().value(0)
        };
        prop_assert_eq!(hash(&context(true, 0), &forward), hash(&later, &backward));
        prop_assert_eq!(
            hash(&context(true, 0), &forward) == hash(&context(true, 0), &renamed),
            name == other_name
        );
    }

    #[test]
    fn any_json_in_any_single_field_is_mapped_or_rejected(
        field in prop::sample::select(U8_CUSTOMER_FIELDS),
        value in json_value(),
    ) {
        let mut object = Map::new();
        object.insert("code".into(), Value::from("K1"));
        object.insert(field.to_owned(), value);
        let text = Value::Object(object).to_string();
        let input = records(&[text]);
        let mapped = map_u8_customers(&context(true, 0), &input);
        let key_intact = u8_customer_key(&input[0]).is_some();
        prop_assert_eq!(mapped.stats.customer_rows, usize::from(key_intact));
        prop_assert_eq!(mapped.stats.whole_record_rejects, usize::from(!key_intact));
        // Only the one field can be at fault.
        prop_assert!(mapped.stats.field_rejects <= 1);
    }

    #[test]
    fn the_default_region_changes_only_the_keys(
        customers in prop::collection::vec(record_text(U8_CUSTOMER_FIELDS, "code"), 0..6),
        contacts in prop::collection::vec(record_text(U8_CONTACT_FIELDS, "code"), 0..6),
        persons in prop::collection::vec(record_text(YCM_FIELDS, "customerId"), 0..6),
        a in region(),
        b in region(),
    ) {
        let (customers, contacts, persons) =
            (records(&customers), records(&contacts), records(&persons));
        let map = |region| {
            let ctx = context_in(true, 0, region);
            [
                map_u8_customers(&ctx, &customers),
                map_u8_contacts(&ctx, &contacts),
                map_ycm_customers(&ctx, &persons),
            ]
        };
        for (x, y) in map(a).iter().zip(&map(b)) {
            prop_assert_eq!(x.stats, y.stats);
            prop_assert_eq!(without_keys(&x.rejects), without_keys(&y.rejects));
            prop_assert_eq!(without_keys(&x.customers), without_keys(&y.customers));
            prop_assert_eq!(without_keys(&x.contacts), without_keys(&y.contacts));
        }
    }

    #[test]
    fn phone_and_email_text_never_gives_a_reject(
        phones in prop::collection::vec(phone_text(), 4),
        email in email_text(),
        region in region(),
    ) {
        let ctx = context_in(true, 0, region);
        let u8_customer = json!({
            "code": "K1", "phone": phones[0], "mobile": phones[1], "fax": phones[2],
        });
        let u8_contact = json!({
            "code": "P1", "mobile_phone": phones[0], "office_phone": phones[1], "email": email,
        });
        let ycm = json!({
            "customerId": 1, "businessNumber": phones[0], "mobileNumber": phones[1],
            "homeNumber": phones[2], "faxNumber": phones[3], "email": email,
        });
        let mapped = [
            map_u8_customers(&ctx, &records(&[u8_customer.to_string()])),
            map_u8_contacts(&ctx, &records(&[u8_contact.to_string()])),
            map_ycm_customers(&ctx, &records(&[ycm.to_string()])),
        ];
        for m in &mapped {
            prop_assert_eq!(m.stats.reject_rows(), 0);
            prop_assert!(m.rejects.is_none());
            check_keys(&m.customers, Dataset::Customers, region)?;
            check_keys(&m.contacts, Dataset::Contacts, region)?;
        }
    }

    #[test]
    fn text_trims_exactly_like_str_trim(
        text in prop_oneof![any::<String>(), "[ \t\r\n\u{0b}\u{85}\u{a0}\u{3000}a中]{0,6}"],
    ) {
        let want = Some(text.trim()).filter(|t| !t.is_empty());
        let loose = LooseString::string(text.as_str());
        prop_assert_eq!(coerce::text(&loose), Ok(want));
    }
}
