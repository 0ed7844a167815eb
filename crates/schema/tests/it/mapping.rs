//! Mapping of messy records: lenient coercion, field rejects, whole-record rejects, raw
//! on/off, time zones, source labelling, and the match keys (`*_e164`, `email_normalized`)
//! derived from the text columns.

use crate::common;

use common::{ctx, row_json, rows_json};
use custlake_client_kit::VendorRecord;
use custlake_schema::{
    Dataset, MapStats, PARTITION_COLUMNS, Region, SourceKind, dataset_batch_from_file,
    default_region, map_u8_contacts, map_u8_customers, map_ycm_customers, u8_contact_key,
    u8_customer_key, ycm_customer_key,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use yeastar_ycm::types::YcmCustomer;
use yonyou_u8::types::{U8Customer, U8CustomerContact};

fn records<T: DeserializeOwned>(texts: &[&str]) -> Vec<VendorRecord<T>> {
    texts
        .iter()
        .map(|text| VendorRecord::from_json(text).expect("valid JSON"))
        .collect()
}

fn reject_rows(batch: &Option<arrow_array::RecordBatch>) -> Vec<Value> {
    batch.as_ref().map(rows_json).unwrap_or_default()
}

/// The reject columns a test cares about (the per-run columns are checked elsewhere).
fn reject_summary(row: &Value) -> Value {
    json!({
        "entity": row["entity"],
        "record_key": row["record_key"],
        "field": row["field"],
        "value": row["value"],
        "reason": row["reason"],
    })
}

const MESSY_U8_CUSTOMER: &str = r#"{
    "code": " C001 ",
    "name": "  北京星河科技有限公司  ",
    "abbrname": "",
    "industry": {"a": 1},
    "phone": 1085551234,
    "bcusdomestic": "是",
    "bcusoverseas": false,
    "bserviceattribute": "maybe",
    "seed_date": "2023-13-45",
    "end_date": "",
    "ModifyDate": "2024-02-29 08:30:00",
    "timestamp": "123456789",
    "memo": null,
    "self_define1": "  甲 ",
    "self_define2": "",
    "self_define3": ["x"],
    "self_define10": 42,
    "unknown_extra": "kept in raw"
}"#;

#[test]
fn u8_customer_values_are_coerced_and_bad_ones_rejected() {
    let input = records::<U8Customer>(&[MESSY_U8_CUSTOMER]);
    let mapped = map_u8_customers(&ctx(SourceKind::YonyouU8, "t"), &input);
    assert_eq!(
        mapped.stats,
        MapStats {
            input_records: 1,
            customer_rows: 1,
            field_rejects: 4,
            ..MapStats::default()
        }
    );
    let row = row_json(mapped.customers.as_ref().expect("one row"), 0);
    assert_eq!(row["customer_id"], "C001");
    assert_eq!(row["name"], "北京星河科技有限公司");
    assert_eq!(row["short_name"], Value::Null);
    assert_eq!(row["industry"], Value::Null);
    assert_eq!(row["phone"], "1085551234");
    // A JSON number loses the trunk 0 of 010-85551234; CN numbers read the same without it.
    assert_eq!(row["phone_e164"], "+861085551234");
    assert_eq!(row["is_domestic"], true);
    assert_eq!(row["is_overseas"], false);
    assert_eq!(row["is_service"], Value::Null);
    assert_eq!(row["established_on"], Value::Null);
    assert_eq!(row["deactivated_on"], Value::Null);
    assert_eq!(row["source_modified_at"], "2024-02-29T00:30:00Z");
    assert_eq!(row["source_version"], 123_456_789);
    assert_eq!(row["remark"], Value::Null);
    assert_eq!(
        row["custom_fields"],
        json!({"self_define1": "甲", "self_define10": "42"})
    );
    assert_eq!(row["raw"], MESSY_U8_CUSTOMER);

    let rejects: Vec<Value> = reject_rows(&mapped.rejects)
        .iter()
        .map(reject_summary)
        .collect();
    let reject = |field: &str, value: &str, reason: &str| json!({"entity": "customers", "record_key": "C001", "field": field, "value": value, "reason": reason});
    assert_eq!(
        rejects,
        vec![
            reject(
                "industry",
                r#"{"a":1}"#,
                "expected a single value, got a JSON object"
            ),
            reject(
                "bserviceattribute",
                "maybe",
                "not a boolean: expected 1/0, true/false, 是/否, Y/N or yes/no"
            ),
            reject(
                "seed_date",
                "2023-13-45",
                "not a valid date: expected YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD, optionally followed by HH:MM[:SS]"
            ),
            reject(
                "self_define3",
                r#"["x"]"#,
                "expected a single value, got a JSON array"
            ),
        ]
    );
    let full = rows_json(mapped.rejects.as_ref().expect("rejects"));
    for row in &full {
        assert_eq!(row["source"], "yonyou_u8");
        assert_eq!(row["tenant"], "t");
        assert_eq!(row["run_id"], "run-test");
        assert_eq!(row["extracted_at"], common::EXTRACTED_AT);
        assert_eq!(row["raw"], MESSY_U8_CUSTOMER);
    }
}

#[test]
fn hex_row_versions_compact_and_zero_dates_map_without_rejects() {
    let input = records::<U8Customer>(&[
        r#"{"code":"H1","timestamp":"0x00000000000F4247","seed_date":"20150101","end_date":"0000-00-00","ModifyDate":"0000-00-00 00:00:00"}"#,
        r#"{"code":"H2","timestamp":"0X1A","seed_date":"00000000","end_date":"0000-00-00T00:00:00","ModifyDate":"20240229 08:30:00"}"#,
        r#"{"code":"H3","timestamp":"AAAAAAAPQkA=","seed_date":"20151301"}"#,
    ]);
    let mapped = map_u8_customers(&ctx(SourceKind::YonyouU8, "t"), &input);
    assert_eq!(mapped.stats.field_rejects, 2, "only H3's two bad values");
    let rows = rows_json(mapped.customers.as_ref().expect("rows"));
    assert_eq!(rows[0]["source_version"], 1_000_007);
    assert_eq!(rows[0]["established_on"], "2015-01-01");
    assert_eq!(rows[0]["deactivated_on"], Value::Null);
    assert_eq!(rows[0]["source_modified_at"], Value::Null);
    assert_eq!(rows[1]["source_version"], 26);
    assert_eq!(rows[1]["established_on"], Value::Null);
    assert_eq!(rows[1]["deactivated_on"], Value::Null);
    assert_eq!(rows[1]["source_modified_at"], "2024-02-29T00:30:00Z");
    assert_eq!(rows[2]["source_version"], Value::Null);
    let rejects: Vec<Value> = reject_rows(&mapped.rejects)
        .iter()
        .map(reject_summary)
        .collect();
    let fields: Vec<(&Value, &Value)> = rejects
        .iter()
        .map(|r| (&r["record_key"], &r["field"]))
        .collect();
    assert_eq!(
        fields,
        [
            (&json!("H3"), &json!("seed_date")),
            (&json!("H3"), &json!("timestamp"))
        ]
    );
}

#[test]
fn records_without_a_key_or_not_decodable_are_rejected_whole() {
    let texts = [
        r#"{"name": "no code"}"#,
        r#"{"code": "   ", "name": "blank code"}"#,
        r#"{"code": null}"#,
        r#"{"code": {"id": 1}}"#,
        r#"{"code": true}"#,
        r#"5"#,
        r#""just text""#,
        r#"{"code": "A", "code": "B"}"#,
        r#"{"code": 17, "name": "numeric code is fine"}"#,
    ];
    let input = records::<U8Customer>(&texts);
    let mapped = map_u8_customers(&ctx(SourceKind::YonyouU8, "t"), &input);
    assert_eq!(
        mapped.stats,
        MapStats {
            input_records: 9,
            customer_rows: 1,
            whole_record_rejects: 8,
            ..MapStats::default()
        }
    );
    let customers = rows_json(mapped.customers.as_ref().expect("one row"));
    assert_eq!(customers[0]["customer_id"], "17");

    let rejects = rows_json(mapped.rejects.as_ref().expect("rejects"));
    assert_eq!(rejects.len(), 8);
    for (row, text) in rejects.iter().zip(texts) {
        assert_eq!(row["entity"], "customers");
        assert_eq!(row["record_key"], Value::Null);
        assert_eq!(
            row["field"],
            Value::Null,
            "whole-record rejects have no field"
        );
        assert_eq!(row["raw"], text, "the raw record is kept verbatim");
    }
    let reasons: Vec<&str> = rejects
        .iter()
        .map(|r| r["reason"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(reasons[0], "record has no key: code is missing");
    assert_eq!(reasons[1], "record has no key: code is empty");
    assert_eq!(reasons[2], "record has no key: code is missing");
    assert_eq!(
        reasons[3],
        "record has no key: code is nested JSON, not a single value"
    );
    assert_eq!(reasons[4], "record has no key: code is a JSON boolean");
    for reason in &reasons[5..8] {
        assert!(
            reason.starts_with("record could not be decoded: "),
            "{reason}"
        );
    }
    assert_eq!(rejects[1]["value"], "   ");
    assert_eq!(rejects[3]["value"], r#"{"id":1}"#);
    assert_eq!(rejects[0]["value"], Value::Null);
    assert_eq!(rejects[5]["value"], Value::Null);

    let keys: Vec<Option<&str>> = input.iter().map(u8_customer_key).collect();
    assert_eq!(
        keys,
        [None, None, None, None, None, None, None, None, Some("17")]
    );
}

#[test]
fn raw_switched_off() {
    let input = records::<U8Customer>(&[MESSY_U8_CUSTOMER, r#"{"name": "no code"}"#]);
    let mut context = ctx(SourceKind::YonyouU8, "t");
    context.include_raw = false;
    let mapped = map_u8_customers(&context, &input);
    let customers = rows_json(mapped.customers.as_ref().expect("one row"));
    assert_eq!(customers[0]["raw"], Value::Null);
    let rejects = rows_json(mapped.rejects.as_ref().expect("rejects"));
    let (whole, fields): (Vec<&Value>, Vec<&Value>) =
        rejects.iter().partition(|r| r["field"].is_null());
    assert_eq!(whole.len(), 1);
    assert_eq!(
        whole[0]["raw"], r#"{"name": "no code"}"#,
        "a whole reject keeps its raw"
    );
    assert_eq!(fields.len(), 4);
    assert!(fields.iter().all(|r| r["raw"].is_null()));
}

#[test]
fn modify_date_follows_the_configured_time_zone() {
    let input = records::<U8Customer>(&[r#"{"code": "1", "ModifyDate": "2024-07-01 12:00:00"}"#]);
    let mut context = ctx(SourceKind::YonyouU8, "t");
    let shanghai = map_u8_customers(&context, &input);
    context.timezone = chrono_tz::Europe::London;
    let london = map_u8_customers(&context, &input);
    let at = |m: &custlake_schema::MappedBatches| {
        row_json(m.customers.as_ref().expect("row"), 0)["source_modified_at"].clone()
    };
    assert_eq!(at(&shanghai), "2024-07-01T04:00:00Z");
    assert_eq!(at(&london), "2024-07-01T11:00:00Z");
}

#[test]
fn rows_are_labelled_with_the_functions_vendor() {
    let input = records::<U8Customer>(&[r#"{"code": "1"}"#]);
    let mapped = map_u8_customers(&ctx(SourceKind::YeastarYcm, "t"), &input);
    assert_eq!(
        row_json(mapped.customers.as_ref().expect("row"), 0)["source"],
        "yonyou_u8"
    );
    let ycm = records::<YcmCustomer>(&[r#"{"customerId": 1}"#]);
    let mapped = map_ycm_customers(&ctx(SourceKind::YonyouU8, "t"), &ycm);
    assert_eq!(
        row_json(mapped.customers.as_ref().expect("row"), 0)["source"],
        "yeastar_ycm"
    );
    assert_eq!(
        row_json(mapped.contacts.as_ref().expect("row"), 0)["source"],
        "yeastar_ycm"
    );
}

#[test]
fn empty_input_gives_no_batches() {
    let mapped = map_u8_customers(&ctx(SourceKind::YonyouU8, "t"), &[]);
    assert!(mapped.customers.is_none() && mapped.contacts.is_none() && mapped.rejects.is_none());
    assert_eq!(mapped.stats, MapStats::default());
}

#[test]
fn u8_contact_flags_genders_and_dates() {
    let input = records::<U8CustomerContact>(&[
        r#"{"code": "P1", "sex": "男", "birthday": "1990/3/7", "be_main_linker": true, "default": "N", "mobile_phone": 13900001111}"#,
        r#"{"code": "P2", "sex": "robot", "birthday": "1990-02-30 00:00:00", "be_main_linker": "0", "default": 2}"#,
        r#"{"code": "", "name": "no key"}"#,
    ]);
    let mapped = map_u8_contacts(&ctx(SourceKind::YonyouU8, "t"), &input);
    assert_eq!(
        mapped.stats,
        MapStats {
            input_records: 3,
            contact_rows: 2,
            whole_record_rejects: 1,
            field_rejects: 3,
            ..MapStats::default()
        }
    );
    let rows = rows_json(mapped.contacts.as_ref().expect("rows"));
    assert_eq!(rows[0]["gender"], "male");
    assert_eq!(rows[0]["birthday"], "1990-03-07");
    assert_eq!(rows[0]["is_primary"], true);
    assert_eq!(rows[0]["is_default"], false);
    assert_eq!(rows[0]["mobile"], "13900001111");
    assert_eq!(rows[1]["gender"], Value::Null);
    assert_eq!(rows[1]["birthday"], Value::Null);
    assert_eq!(rows[1]["is_primary"], false);
    assert_eq!(rows[1]["is_default"], Value::Null);
    let rejects: Vec<(Value, Value, Value)> = reject_rows(&mapped.rejects)
        .iter()
        .map(|r| {
            (
                r["entity"].clone(),
                r["record_key"].clone(),
                r["field"].clone(),
            )
        })
        .collect();
    assert_eq!(
        rejects,
        vec![
            (json!("contacts"), json!("P2"), json!("sex")),
            (json!("contacts"), json!("P2"), json!("birthday")),
            (json!("contacts"), json!("P2"), json!("default")),
            (json!("contacts"), Value::Null, Value::Null),
        ]
    );
    let keys: Vec<Option<&str>> = input.iter().map(u8_contact_key).collect();
    assert_eq!(keys, [Some("P1"), Some("P2"), None]);
}

#[test]
fn ycm_names_fall_back_and_bad_fields_are_rejected_once() {
    let input = records::<YcmCustomer>(&[
        r#"{"customerId": "77", "firstName": " 伟 ", "lastName": "张", "email": ["a@b.c"], "homeNumber": 5551234, "street": "1 Main St", "remark": "vip"}"#,
        r#"{"customerId": 78, "company": "ACME", "lastName": "Solo"}"#,
        r#"{"customerId": 79}"#,
        r#"{"firstName": "no id"}"#,
    ]);
    let mapped = map_ycm_customers(&ctx(SourceKind::YeastarYcm, "t"), &input);
    assert_eq!(
        mapped.stats,
        MapStats {
            input_records: 4,
            customer_rows: 3,
            contact_rows: 3,
            whole_record_rejects: 1,
            field_rejects: 1,
        }
    );
    let customers = rows_json(mapped.customers.as_ref().expect("rows"));
    let contacts = rows_json(mapped.contacts.as_ref().expect("rows"));
    assert_eq!(customers[0]["name"], "伟 张");
    assert_eq!(customers[0]["contact_name"], "伟 张");
    assert_eq!(customers[0]["email"], Value::Null);
    assert_eq!(customers[0]["address"], "1 Main St");
    assert_eq!(customers[0]["remark"], "vip");
    assert_eq!(contacts[0]["home_phone"], "5551234");
    assert_eq!(contacts[0]["customer_name"], Value::Null);
    assert_eq!(customers[1]["name"], "ACME");
    assert_eq!(customers[1]["contact_name"], "Solo");
    assert_eq!(contacts[1]["full_name"], "Solo");
    assert_eq!(contacts[1]["first_name"], Value::Null);
    assert_eq!(customers[2]["name"], Value::Null);
    assert_eq!(contacts[2]["full_name"], Value::Null);
    assert_eq!(contacts[2]["is_primary"], true);
    let rejects = rows_json(mapped.rejects.as_ref().expect("rejects"));
    assert_eq!(rejects.len(), 2);
    assert_eq!(rejects[0]["field"], "email");
    assert_eq!(rejects[0]["record_key"], "77");
    assert_eq!(rejects[0]["entity"], "customers");
    assert_eq!(
        rejects[1]["reason"],
        "record has no key: customerId is missing"
    );
    let keys: Vec<Option<&str>> = input.iter().map(ycm_customer_key).collect();
    assert_eq!(keys, [Some("77"), Some("78"), Some("79"), None]);
}

#[test]
fn every_batch_has_its_datasets_schema() {
    let u8 = map_u8_customers(
        &ctx(SourceKind::YonyouU8, "t"),
        &records::<U8Customer>(&[MESSY_U8_CUSTOMER]),
    );
    let ycm = map_ycm_customers(
        &ctx(SourceKind::YeastarYcm, "t"),
        &records::<YcmCustomer>(&[r#"{"customerId": 1}"#]),
    );
    let contacts = map_u8_contacts(
        &ctx(SourceKind::YonyouU8, "t"),
        &records::<U8CustomerContact>(&[r#"{"code": 1}"#]),
    );
    for (batch, dataset) in [
        (&u8.customers, Dataset::Customers),
        (&u8.rejects, Dataset::Rejects),
        (&ycm.customers, Dataset::Customers),
        (&ycm.contacts, Dataset::Contacts),
        (&contacts.contacts, Dataset::Contacts),
    ] {
        let batch = batch.as_ref().expect("batch present");
        assert_eq!(batch.schema(), dataset.schema(), "{dataset}");
    }
}

/// The text and key columns of a `customers` row: phone, mobile, fax, email, then their keys.
fn customer_keys(row: &Value) -> Value {
    json!({
        "phone": row["phone"], "phone_e164": row["phone_e164"],
        "mobile": row["mobile"], "mobile_e164": row["mobile_e164"],
        "fax": row["fax"], "fax_e164": row["fax_e164"],
        "email": row["email"], "email_normalized": row["email_normalized"],
    })
}

/// The text and key columns of a `contacts` row.
fn contact_keys(row: &Value) -> Value {
    json!({
        "mobile": row["mobile"], "mobile_e164": row["mobile_e164"],
        "office_phone": row["office_phone"], "office_phone_e164": row["office_phone_e164"],
        "home_phone": row["home_phone"], "home_phone_e164": row["home_phone_e164"],
        "email": row["email"], "email_normalized": row["email_normalized"],
    })
}

#[test]
fn contexts_read_national_numbers_in_the_vendors_default_region() {
    assert_eq!(default_region(SourceKind::YonyouU8), Some(Region::CN));
    assert_eq!(default_region(SourceKind::YeastarYcm), None);
    assert_eq!(
        ctx(SourceKind::YonyouU8, "t").default_region,
        Some(Region::CN)
    );
    assert_eq!(ctx(SourceKind::YeastarYcm, "t").default_region, None);
}

#[test]
fn u8_customer_phones_in_every_written_form_get_e164_keys() {
    // (what U8 sends in phone, mobile and fax; the text column; the key)
    let cases = [
        (
            json!("010-62345678"),
            json!("010-62345678"),
            json!("+861062345678"),
        ),
        (
            json!("+86 138 1138 8661"),
            json!("+86 138 1138 8661"),
            json!("+8613811388661"),
        ),
        (
            json!("１３８１１３８８６６１"),
            json!("１３８１１３８８６６１"),
            json!("+8613811388661"),
        ),
        // The trailing group is an extension: without it the number is valid.
        (
            json!("010-62345678-8001"),
            json!("010-62345678-8001"),
            json!("+861062345678"),
        ),
        // Not a number: the text is kept, the key is null, and nothing is rejected.
        (json!("n/a"), json!("n/a"), Value::Null),
        // A JSON number is read as its digits.
        (
            json!(13_811_388_661_u64),
            json!("13811388661"),
            json!("+8613811388661"),
        ),
        (Value::Null, Value::Null, Value::Null),
    ];
    let texts: Vec<String> = cases
        .iter()
        .enumerate()
        .map(|(i, (sent, _, _))| {
            json!({"code": format!("K{i}"), "phone": sent, "mobile": sent, "fax": sent}).to_string()
        })
        .collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mapped = map_u8_customers(&ctx(SourceKind::YonyouU8, "t"), &records(&texts));
    assert_eq!(
        mapped.stats,
        MapStats {
            input_records: cases.len(),
            customer_rows: cases.len(),
            ..MapStats::default()
        }
    );
    assert!(
        mapped.rejects.is_none(),
        "a value without a key is no reject"
    );
    let rows = rows_json(mapped.customers.as_ref().expect("rows"));
    for ((sent, text, key), row) in cases.iter().zip(&rows) {
        assert_eq!(
            customer_keys(row),
            json!({
                "phone": text, "phone_e164": key,
                "mobile": text, "mobile_e164": key,
                "fax": text, "fax_e164": key,
                // U8 customers have no e-mail address.
                "email": null, "email_normalized": null,
            }),
            "{sent}"
        );
    }
}

#[test]
fn u8_default_region_can_be_changed_or_switched_off() {
    let input = records::<U8Customer>(&[
        r#"{"code": "1", "phone": "010-62345678", "mobile": "+86 138 1138 8661", "fax": "030 901820"}"#,
    ]);
    let keys = |region: Option<Region>| {
        let mut context = ctx(SourceKind::YonyouU8, "t");
        context.default_region = region;
        let mapped = map_u8_customers(&context, &input);
        assert!(mapped.rejects.is_none());
        let row = row_json(mapped.customers.as_ref().expect("row"), 0);
        [
            row["phone_e164"].clone(),
            row["mobile_e164"].clone(),
            row["fax_e164"].clone(),
        ]
    };
    // Without a region only the number with a country code has a key.
    assert_eq!(
        keys(None),
        [Value::Null, json!("+8613811388661"), Value::Null]
    );
    // In Germany, 030 is Berlin; a number with +86 stays Chinese.
    let germany: Region = "DE".parse().expect("known region");
    assert_eq!(
        keys(Some(germany))[1..],
        [json!("+8613811388661"), json!("+4930901820")]
    );
    assert_eq!(
        keys(Some(Region::CN))[..2],
        [json!("+861062345678"), json!("+8613811388661")]
    );
}

const YCM_WITH_NUMBERS: &[&str] = &[
    r#"{"customerId": 1, "businessNumber": "010-62345678", "mobileNumber": "13811388661", "homeNumber": "+86 138 1138 8661", "faxNumber": "0086 10 6234 5678", "email": "  Zhang.San@Example.COM "}"#,
    r#"{"customerId": 2, "mobileNumber": "n/a", "email": "zhang.san at example.com"}"#,
    r#"{"customerId": 3, "email": "zs@@example.com"}"#,
];

#[test]
fn ycm_national_numbers_get_a_key_only_with_a_default_region() {
    let input = records::<YcmCustomer>(YCM_WITH_NUMBERS);
    let map = |region: Option<Region>| {
        let mut context = ctx(SourceKind::YeastarYcm, "t");
        context.default_region = region;
        let mapped = map_ycm_customers(&context, &input);
        assert_eq!(
            mapped.stats,
            MapStats {
                input_records: 3,
                customer_rows: 3,
                contact_rows: 3,
                ..MapStats::default()
            }
        );
        assert!(
            mapped.rejects.is_none(),
            "numbers and addresses without a key are no rejects"
        );
        rows_json(mapped.customers.as_ref().expect("rows"))
    };

    let customers = map(None);
    assert_eq!(
        customer_keys(&customers[0]),
        json!({
            "phone": "010-62345678", "phone_e164": null,
            "mobile": "13811388661", "mobile_e164": null,
            // 00 is read as + when there is no region to give it another meaning.
            "fax": "0086 10 6234 5678", "fax_e164": "+861062345678",
            "email": "Zhang.San@Example.COM", "email_normalized": "Zhang.San@example.com",
        })
    );
    let customers_in_china = map(Some("CN".parse().expect("known region")));
    assert_eq!(
        customer_keys(&customers_in_china[0]),
        json!({
            "phone": "010-62345678", "phone_e164": "+861062345678",
            "mobile": "13811388661", "mobile_e164": "+8613811388661",
            "fax": "0086 10 6234 5678", "fax_e164": "+861062345678",
            "email": "Zhang.San@Example.COM", "email_normalized": "Zhang.San@example.com",
        })
    );
    for customers in [&customers, &customers_in_china] {
        // Text kept as sent, keys null: not a number, not one address.
        assert_eq!(customers[1]["mobile"], "n/a");
        assert_eq!(customers[1]["mobile_e164"], Value::Null);
        assert_eq!(customers[1]["email"], "zhang.san at example.com");
        assert_eq!(customers[1]["email_normalized"], Value::Null);
        assert_eq!(customers[2]["email"], "zs@@example.com");
        assert_eq!(customers[2]["email_normalized"], Value::Null);
    }
}

#[test]
fn ycm_persons_get_contact_keys() {
    let input = records::<YcmCustomer>(YCM_WITH_NUMBERS);
    let contacts = |region: Option<Region>| {
        let mut context = ctx(SourceKind::YeastarYcm, "t");
        context.default_region = region;
        let mapped = map_ycm_customers(&context, &input);
        assert!(mapped.rejects.is_none());
        rows_json(mapped.contacts.as_ref().expect("rows"))
    };
    assert_eq!(
        contact_keys(&contacts(None)[0]),
        json!({
            "mobile": "13811388661", "mobile_e164": null,
            "office_phone": "010-62345678", "office_phone_e164": null,
            "home_phone": "+86 138 1138 8661", "home_phone_e164": "+8613811388661",
            "email": "Zhang.San@Example.COM", "email_normalized": "Zhang.San@example.com",
        })
    );
    let in_china = contacts(Some(Region::CN));
    assert_eq!(
        contact_keys(&in_china[0]),
        json!({
            "mobile": "13811388661", "mobile_e164": "+8613811388661",
            "office_phone": "010-62345678", "office_phone_e164": "+861062345678",
            "home_phone": "+86 138 1138 8661", "home_phone_e164": "+8613811388661",
            "email": "Zhang.San@Example.COM", "email_normalized": "Zhang.San@example.com",
        })
    );
    assert_eq!(
        contact_keys(&in_china[1]),
        json!({
            "mobile": "n/a", "mobile_e164": null,
            "office_phone": null, "office_phone_e164": null,
            "home_phone": null, "home_phone_e164": null,
            "email": "zhang.san at example.com", "email_normalized": null,
        })
    );
}

#[test]
fn u8_contacts_get_contact_keys() {
    let input = records::<U8CustomerContact>(&[
        r#"{"code": "P1", "mobile_phone": 13911112222, "office_phone": "010-62345678 转 8001", "email": " Li.Si@QQ.COM "}"#,
        r#"{"code": "P2", "mobile_phone": "139-1111-2222", "office_phone": "62345678", "email": "li.si@qq"}"#,
        r#"{"code": "P3", "mobile_phone": "", "office_phone": "+49 30 901820", "email": "mailto:li.si@例子.测试"}"#,
    ]);
    let mapped = map_u8_contacts(&ctx(SourceKind::YonyouU8, "t"), &input);
    assert_eq!(
        mapped.stats,
        MapStats {
            input_records: 3,
            contact_rows: 3,
            ..MapStats::default()
        }
    );
    assert!(mapped.rejects.is_none());
    let rows = rows_json(mapped.contacts.as_ref().expect("rows"));
    let keys: Vec<Value> = rows.iter().map(contact_keys).collect();
    assert_eq!(
        keys,
        [
            json!({
                "mobile": "13911112222", "mobile_e164": "+8613911112222",
                // The extension after 转 is left out.
                "office_phone": "010-62345678 转 8001", "office_phone_e164": "+861062345678",
                // U8 contacts have no home phone.
                "home_phone": null, "home_phone_e164": null,
                "email": "Li.Si@QQ.COM", "email_normalized": "Li.Si@qq.com",
            }),
            json!({
                "mobile": "139-1111-2222", "mobile_e164": "+8613911112222",
                // A local number without its area code is no valid number.
                "office_phone": "62345678", "office_phone_e164": null,
                "home_phone": null, "home_phone_e164": null,
                // A domain needs two labels.
                "email": "li.si@qq", "email_normalized": null,
            }),
            json!({
                "mobile": null, "mobile_e164": null,
                "office_phone": "+49 30 901820", "office_phone_e164": "+4930901820",
                "home_phone": null, "home_phone_e164": null,
                "email": "mailto:li.si@例子.测试",
                "email_normalized": "li.si@xn--fsqu00a.xn--0zwm56d",
            }),
        ]
    );
}

#[test]
fn keys_missing_from_older_files_are_derived_in_the_partitions_vendor_region() {
    let input = records::<YcmCustomer>(YCM_WITH_NUMBERS);
    let mut context = ctx(SourceKind::YeastarYcm, "t");
    context.default_region = Some(Region::CN);
    let mapped = map_ycm_customers(&context, &input);
    let batch = mapped.customers.expect("rows");
    // A version-2 file: no partition columns and no key columns.
    let is_key = |name: &str| name.ends_with("_e164") || name == "email_normalized";
    let old_columns: Vec<(String, arrow_array::ArrayRef)> = batch
        .schema()
        .fields()
        .iter()
        .zip(batch.columns())
        .filter(|(f, _)| !is_key(f.name()) && !PARTITION_COLUMNS.contains(&f.name().as_str()))
        .map(|(f, c)| (f.name().clone(), c.clone()))
        .collect();
    let old = arrow_array::RecordBatch::try_from_iter(old_columns).expect("old batch");

    let ycm = dataset_batch_from_file(Dataset::Customers, &old, "yeastar_ycm", "t").expect("reads");
    assert_eq!(ycm.schema(), Dataset::Customers.schema());
    let rows = rows_json(&ycm);
    // The file carries no region: YCM's default (none) applies, not the one the run had.
    assert_eq!(rows[0]["phone_e164"], Value::Null);
    assert_eq!(rows[0]["fax_e164"], "+861062345678");
    assert_eq!(rows[0]["email_normalized"], "Zhang.San@example.com");
    assert_eq!(rows[1]["email_normalized"], Value::Null);

    let u8 = dataset_batch_from_file(Dataset::Customers, &old, "yonyou_u8", "t").expect("reads");
    let rows = rows_json(&u8);
    assert_eq!(rows[0]["phone_e164"], "+861062345678");
    assert_eq!(rows[0]["mobile_e164"], "+8613811388661");
    assert_eq!(
        rows.iter().map(customer_keys).collect::<Vec<_>>(),
        rows_json(&batch)
            .iter()
            .map(customer_keys)
            .collect::<Vec<_>>(),
        "in U8's region the keys are those the run derived"
    );
}
