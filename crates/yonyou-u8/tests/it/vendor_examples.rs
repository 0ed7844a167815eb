//! The JSON examples of the vendor pages decode through the generated types, field by field.

use custlake_client_kit::LooseKind;
use yonyou_u8::types::{U8CustomerContactPage, U8CustomerGetResponse};

fn fixture(name: &str) -> String {
    let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

#[test]
fn customer_get_example_keeps_the_numeric_mobile_exactly() {
    let answer: U8CustomerGetResponse =
        serde_json::from_str(&fixture("u8-customer-get.json")).expect("vendor example decodes");
    assert_eq!(answer.errcode.as_str(), "0");
    assert_eq!(answer.errmsg.as_ref().map(|m| m.as_str()), Some(""));
    let record = answer.customer.expect("customer present");
    let customer = record.decoded().expect("record decodes");
    let text =
        |v: &Option<custlake_client_kit::LooseString>| v.as_ref().map(|v| v.as_str().to_owned());
    assert_eq!(text(&customer.code).as_deref(), Some("00000001"));
    assert_eq!(text(&customer.name).as_deref(), Some("世纪天华集团公司"));
    assert_eq!(text(&customer.abbrname).as_deref(), Some("世纪天华"));
    assert_eq!(text(&customer.domain_code).as_deref(), Some("01"));
    assert_eq!(text(&customer.sort_code).as_deref(), Some("03"));
    assert_eq!(text(&customer.industry).as_deref(), Some("电子类"));
    assert_eq!(text(&customer.contact).as_deref(), Some("刘婷"));
    let mobile = customer.mobile.as_ref().expect("mobile present");
    assert_eq!(mobile.as_str(), "13811388661");
    assert_eq!(mobile.kind(), LooseKind::Number);
    assert!(customer.phone.is_none());
    assert!(record.raw_json().contains("\"mobile\":13811388661"));
}

#[test]
fn error_example_decodes_with_code_and_message() {
    let answer: U8CustomerGetResponse =
        serde_json::from_str(&fixture("u8-error-30021.json")).expect("error example decodes");
    assert_eq!(answer.errcode.as_str(), "30021");
    assert_eq!(
        answer.errmsg.as_ref().map(|m| m.as_str()),
        Some("此应用未上线")
    );
    assert!(answer.customer.is_none());
}

#[test]
fn contacts_batch_get_example_decodes_counters_and_records() {
    let page: U8CustomerContactPage =
        serde_json::from_str(&fixture("u8-customercontacts-batch_get.json"))
            .expect("vendor example decodes");
    let text =
        |v: &Option<custlake_client_kit::LooseString>| v.as_ref().map(|v| v.as_str().to_owned());
    assert_eq!(text(&page.page_index).as_deref(), Some("1"));
    assert_eq!(text(&page.rows_per_page).as_deref(), Some("20"));
    assert_eq!(text(&page.row_count).as_deref(), Some("225"));
    assert_eq!(text(&page.page_count).as_deref(), Some("12"));
    assert_eq!(page.customercontacts.len(), 2);
    let first = page.customercontacts[0].decoded().expect("decodes");
    assert_eq!(text(&first.code).as_deref(), Some("00000007"));
    assert_eq!(text(&first.name).as_deref(), Some("张天宇"));
    assert_eq!(text(&first.ccuscode).as_deref(), Some("0215"));
    assert_eq!(
        text(&first.ccusname).as_deref(),
        Some("天津鹏程电子有限公司")
    );
    assert_eq!(text(&first.sex).as_deref(), Some("不详"));
    assert_eq!(text(&first.charge_person).as_deref(), Some("崔可"));
    assert_eq!(text(&first.charge_person_code).as_deref(), Some("00040"));
    assert_eq!(text(&first.be_main_linker).as_deref(), Some("1"));
    assert_eq!(text(&first.default).as_deref(), Some("1"));
    assert_eq!(text(&first.birthday).as_deref(), Some(""));
    let second = page.customercontacts[1].decoded().expect("decodes");
    assert_eq!(text(&second.code).as_deref(), Some("00000012"));
    assert_eq!(text(&second.name).as_deref(), Some("阚奇"));
    assert_eq!(text(&second.charge_person).as_deref(), Some("师小容"));
}
