//! Property tests: whatever JSON arrives, in any vendor field or as a whole record, mapping
//! never panics and accounts for every record exactly once (one row, or one whole-record
//! reject), with batches that agree with the counts.

use crate::common;

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use custlake_client_kit::{LooseString, VendorRecord};
use custlake_schema::{
    MapContext, MappedBatches, SourceKind, coerce, map_u8_contacts, map_u8_customers,
    map_ycm_customers, u8_contact_key, u8_customer_key, ycm_customer_key,
};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

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
    let mut ctx = common::ctx(SourceKind::YonyouU8, "prop");
    ctx.include_raw = include_raw;
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
    ) {
        let input = records(&texts);
        let mapped = map_u8_customers(&context(include_raw, zone), &input);
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
    ) {
        let input = records(&texts);
        let mapped = map_u8_contacts(&context(include_raw, 0), &input);
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
    ) {
        let input = records(&texts);
        let mapped = map_ycm_customers(&context(include_raw, 0), &input);
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
    fn text_trims_exactly_like_str_trim(
        text in prop_oneof![any::<String>(), "[ \t\r\n\u{0b}\u{85}\u{a0}\u{3000}a中]{0,6}"],
    ) {
        let want = Some(text.trim()).filter(|t| !t.is_empty());
        let loose = LooseString::string(text.as_str());
        prop_assert_eq!(coerce::text(&loose), Ok(want));
    }
}
