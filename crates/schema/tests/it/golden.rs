//! Golden tests: every example record of the vendor pages (copied verbatim into
//! `tests/fixtures/`) maps to exactly the expected unified row, every column asserted.

// The expected rows are large `json!` literals.

use crate::common;

use common::{EXTRACTED_AT, assert_row, ctx, fixture, rows_json};
use custlake_schema::{
    MapStats, Region, SourceKind, map_u8_contacts, map_u8_customers, map_ycm_customers,
};
use serde_json::{Value, json};
use yeastar_ycm::types::YcmCustomerListEnvelope;
use yonyou_u8::types::{U8CustomerContactPage, U8CustomerGetResponse};

/// The per-run columns every row of these tests carries, merged into `row`.
fn with_run_columns(source: &str, tenant: &str, mut row: Value) -> Value {
    let object = row.as_object_mut().expect("object");
    object.insert("source".into(), json!(source));
    object.insert("tenant".into(), json!(tenant));
    object.insert("extracted_at".into(), json!(EXTRACTED_AT));
    object.insert("run_id".into(), json!("run-test"));
    row
}

#[test]
fn u8_customer_get_example() {
    let text = fixture("u8-customer-get.json");
    let response: U8CustomerGetResponse = serde_json::from_str(&text).expect("fixture decodes");
    let record = response.customer.expect("the example has a customer");
    let mapped = map_u8_customers(&ctx(SourceKind::YonyouU8, "u8-main"), &[record]);

    assert_eq!(
        mapped.stats,
        MapStats {
            input_records: 1,
            customer_rows: 1,
            ..MapStats::default()
        }
    );
    assert!(mapped.contacts.is_none());
    assert!(
        mapped.rejects.is_none(),
        "the vendor's own example has nothing to reject"
    );
    let rows = rows_json(&mapped.customers.expect("one customer"));
    assert_eq!(rows.len(), 1);
    let expected = with_run_columns(
        "yonyou_u8",
        "u8-main",
        json!({
            "customer_id": "00000001",
            "name": "世纪天华集团公司",
            "short_name": "世纪天华",
            "category_code": "03",
            "region_code": "01",
            "industry": "电子类",
            "contact_name": "刘婷",
            "phone": null,
            "mobile": "13811388661",
            "fax": null,
            "email": null,
            // The mobile arrives as a JSON number; as text it is a national CN mobile, read
            // in U8's default region.
            "phone_e164": null,
            "mobile_e164": "+8613811388661",
            "fax_e164": null,
            "email_normalized": null,
            "address": null,
            "city": null,
            "state": null,
            "postal_code": null,
            "country": null,
            "delivery_address": null,
            "bank_name": null,
            "bank_account": null,
            "currency": null,
            "is_domestic": null,
            "is_overseas": null,
            "is_service": null,
            "management_type_code": null,
            "management_type_name": null,
            "owner_code": null,
            "owner_name": null,
            "established_on": null,
            "deactivated_on": null,
            "source_modified_at": null,
            "source_version": null,
            "remark": null,
            "custom_fields": {},
            "raw": {
                "abbrname": "世纪天华",
                "name": "世纪天华集团公司",
                "domain_code": "01",
                "code": "00000001",
                "industry": "电子类",
                "contact": "刘婷",
                "sort_code": "03",
                "mobile": 13811388661u64
            }
        }),
    );
    assert_row(&rows[0], &expected, &text);
}

#[test]
fn u8_customercontacts_batch_get_examples() {
    let text = fixture("u8-customercontacts-batch_get.json");
    let page: U8CustomerContactPage = serde_json::from_str(&text).expect("fixture decodes");
    assert_eq!(page.customercontacts.len(), 2);
    let mapped = map_u8_contacts(
        &ctx(SourceKind::YonyouU8, "u8-main"),
        &page.customercontacts,
    );

    assert_eq!(
        mapped.stats,
        MapStats {
            input_records: 2,
            contact_rows: 2,
            ..MapStats::default()
        }
    );
    assert!(mapped.customers.is_none());
    assert!(mapped.rejects.is_none());
    let rows = rows_json(&mapped.contacts.expect("two contacts"));
    assert_eq!(rows.len(), 2);

    let contact =
        |id: &str, customer: &str, customer_name: &str, name: &str, owner: (&str, &str)| {
            with_run_columns(
                "yonyou_u8",
                "u8-main",
                json!({
                    "contact_id": id,
                    "customer_id": customer,
                    "customer_name": customer_name,
                    "full_name": name,
                    "first_name": null,
                    "last_name": null,
                    "salutation": null,
                    "position": null,
                    "gender": "unknown",
                    "birthday": null,
                    "mobile": null,
                    "office_phone": null,
                    "home_phone": null,
                    "fax": null,
                    "email": null,
                    // The example's numbers and address are blank: no keys either.
                    "mobile_e164": null,
                    "office_phone_e164": null,
                    "home_phone_e164": null,
                    "email_normalized": null,
                    "wechat": null,
                    "qq": null,
                    "hobbies": null,
                    "native_place": null,
                    "is_primary": true,
                    "is_default": true,
                    "manager_code": null,
                    "manager_name": null,
                    "owner_code": owner.0,
                    "owner_name": owner.1,
                    "raw": {
                        "position": "",
                        "direct_leader": "",
                        "birthday": "",
                        "sex": "不详",
                        "direct_leader_code": "",
                        "charge_person": owner.1,
                        "code": id,
                        "ccusname": customer_name,
                        "favorite": "",
                        "mobile_phone": "",
                        "title": "",
                        "default": "1",
                        "charge_person_code": owner.0,
                        "native": "",
                        "email": "",
                        "be_main_linker": "1",
                        "ccuscode": customer,
                        "name": name,
                        "wechat": "",
                        "office_phone": ""
                    }
                }),
            )
        };
    assert_row(
        &rows[0],
        &contact(
            "00000007",
            "0215",
            "天津鹏程电子有限公司",
            "张天宇",
            ("00040", "崔可"),
        ),
        &text,
    );
    assert_row(
        &rows[1],
        &contact(
            "00000012",
            "0111",
            "云飞电子科技集团",
            "阚奇",
            ("00023", "师小容"),
        ),
        &text,
    );
}

#[test]
fn ycm_customers_list_examples() {
    let text = fixture("ycm-customers-list.json");
    let envelope: YcmCustomerListEnvelope = serde_json::from_str(&text).expect("fixture decodes");
    let records = envelope.data.expect("the example has data").list;
    assert_eq!(records.len(), 3);
    let mapped = map_ycm_customers(&ctx(SourceKind::YeastarYcm, "ycm-eu"), &records);

    assert_eq!(
        mapped.stats,
        MapStats {
            input_records: 3,
            customer_rows: 3,
            contact_rows: 3,
            ..MapStats::default()
        }
    );
    assert!(mapped.rejects.is_none());
    let customers = rows_json(&mapped.customers.expect("three customers"));
    let contacts = rows_json(&mapped.contacts.expect("three contacts"));

    struct Person {
        id: &'static str,
        first: &'static str,
        last: &'static str,
        email: &'static str,
        business: Option<&'static str>,
        mobile: Option<&'static str>,
        fax: Option<&'static str>,
        address: Option<(&'static str, &'static str, &'static str, &'static str)>,
        raw: Value,
    }
    // No phone keys: the example's numbers are masked (`136160XXXXX`), and `001-111-1111` is
    // `+1 111 1111`, too short for a North American number. The addresses are valid as sent.
    let people = [
        Person {
            id: "50086120",
            first: "Leo",
            last: "Ball",
            email: "leo@example.com",
            business: Some("136160XXXXX"),
            mobile: None,
            fax: None,
            address: Some(("361000", "Xiamen", "Fujian", "China")),
            raw: json!({
                "customerId": 50086120,
                "firstName": "Leo",
                "lastName": "Ball",
                "company": "Example company",
                "email": "leo@example.com",
                "businessNumber": "136160XXXXX",
                "zipCode": "361000",
                "city": "Xiamen",
                "state": "Fujian",
                "country": "China"
            }),
        },
        Person {
            id: "50086121",
            first: "Naomi",
            last: "Nicholas",
            email: "naomi@example.com",
            business: None,
            mobile: Some("139111XXXXX"),
            fax: None,
            address: None,
            raw: json!({
                "customerId": 50086121,
                "firstName": "Naomi",
                "lastName": "Nicholas",
                "company": "Example company",
                "email": "naomi@example.com",
                "mobileNumber": "139111XXXXX"
            }),
        },
        Person {
            id: "50086122",
            first: "Ashley",
            last: "Gardner",
            email: "ashley@example.com",
            business: None,
            mobile: None,
            fax: Some("001-111-1111"),
            address: None,
            raw: json!({
                "customerId": 50086122,
                "firstName": "Ashley",
                "lastName": "Gardner",
                "company": "Example company",
                "email": "ashley@example.com",
                "faxNumber": "001-111-1111"
            }),
        },
    ];

    for (i, p) in people.iter().enumerate() {
        let full_name = format!("{} {}", p.first, p.last);
        let (postal_code, city, state, country) = match p.address {
            Some((zip, city, state, country)) => {
                (json!(zip), json!(city), json!(state), json!(country))
            }
            None => (Value::Null, Value::Null, Value::Null, Value::Null),
        };
        let expected_customer = with_run_columns(
            "yeastar_ycm",
            "ycm-eu",
            json!({
                "customer_id": p.id,
                "name": "Example company",
                "short_name": null,
                "category_code": null,
                "region_code": null,
                "industry": null,
                "contact_name": full_name,
                "phone": p.business,
                "mobile": p.mobile,
                "fax": p.fax,
                "email": p.email,
                "phone_e164": null,
                "mobile_e164": null,
                "fax_e164": null,
                "email_normalized": p.email,
                "address": null,
                "city": city,
                "state": state,
                "postal_code": postal_code,
                "country": country,
                "delivery_address": null,
                "bank_name": null,
                "bank_account": null,
                "currency": null,
                "is_domestic": null,
                "is_overseas": null,
                "is_service": null,
                "management_type_code": null,
                "management_type_name": null,
                "owner_code": null,
                "owner_name": null,
                "established_on": null,
                "deactivated_on": null,
                "source_modified_at": null,
                "source_version": null,
                "remark": null,
                "custom_fields": null,
                "raw": p.raw,
            }),
        );
        assert_row(&customers[i], &expected_customer, &text);

        let expected_contact = with_run_columns(
            "yeastar_ycm",
            "ycm-eu",
            json!({
                "contact_id": p.id,
                "customer_id": p.id,
                "customer_name": "Example company",
                "full_name": full_name,
                "first_name": p.first,
                "last_name": p.last,
                "salutation": null,
                "position": null,
                "gender": null,
                "birthday": null,
                "mobile": p.mobile,
                "office_phone": p.business,
                "home_phone": null,
                "fax": p.fax,
                "email": p.email,
                "mobile_e164": null,
                "office_phone_e164": null,
                "home_phone_e164": null,
                "email_normalized": p.email,
                "wechat": null,
                "qq": null,
                "hobbies": null,
                "native_place": null,
                "is_primary": true,
                "is_default": true,
                "manager_code": null,
                "manager_name": null,
                "owner_code": null,
                "owner_name": null,
                "raw": p.raw,
            }),
        );
        assert_row(&contacts[i], &expected_contact, &text);
    }
}

#[test]
fn ycm_example_numbers_give_no_key_even_in_a_default_region() {
    let text = fixture("ycm-customers-list.json");
    let envelope: YcmCustomerListEnvelope = serde_json::from_str(&text).expect("fixture decodes");
    let records = envelope.data.expect("the example has data").list;
    let mut context = ctx(SourceKind::YeastarYcm, "ycm-eu");
    context.default_region = Some(Region::CN);
    let mapped = map_ycm_customers(&context, &records);
    assert!(mapped.rejects.is_none());
    let customers = rows_json(&mapped.customers.expect("three customers"));
    let contacts = rows_json(&mapped.contacts.expect("three contacts"));
    for row in &customers {
        for key in ["phone_e164", "mobile_e164", "fax_e164"] {
            assert_eq!(row[key], Value::Null, "{} {key}", row["customer_id"]);
        }
    }
    for row in &contacts {
        for key in ["mobile_e164", "office_phone_e164", "home_phone_e164"] {
            assert_eq!(row[key], Value::Null, "{} {key}", row["contact_id"]);
        }
    }
    let emails: Vec<&Value> = customers.iter().map(|r| &r["email_normalized"]).collect();
    assert_eq!(
        emails,
        ["leo@example.com", "naomi@example.com", "ashley@example.com"]
    );
}
