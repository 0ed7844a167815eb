//! The JSON example of the vendor page decodes through the generated types, field by field.

use yeastar_ycm::types::YcmCustomerListEnvelope;

#[test]
fn customer_list_example_decodes_sparse_records() {
    let path = format!(
        "{}/../../tests/fixtures/ycm-customers-list.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("fixture present");
    let answer: YcmCustomerListEnvelope =
        serde_json::from_str(&text).expect("vendor example decodes");
    assert_eq!(answer.status, "Success");
    assert_eq!(
        answer.request_id.as_deref(),
        Some("bff89f41bb695e5abb84c45972d24716")
    );
    assert_eq!(answer.time.as_ref().map(|t| t.as_str()), Some("1664248965"));
    let data = answer.data.expect("data present");
    let text =
        |v: &Option<custlake_client_kit::LooseString>| v.as_ref().map(|v| v.as_str().to_owned());
    assert_eq!(text(&data.page_size).as_deref(), Some("3"));
    assert_eq!(text(&data.page_number).as_deref(), Some("1"));
    assert_eq!(text(&data.total).as_deref(), Some("364"));
    assert_eq!(data.list.len(), 3);
    let leo = data.list[0].decoded().expect("decodes");
    assert_eq!(text(&leo.customer_id).as_deref(), Some("50086120"));
    assert_eq!(text(&leo.first_name).as_deref(), Some("Leo"));
    assert_eq!(text(&leo.last_name).as_deref(), Some("Ball"));
    assert_eq!(text(&leo.company).as_deref(), Some("Example company"));
    assert_eq!(text(&leo.email).as_deref(), Some("leo@example.com"));
    assert_eq!(text(&leo.business_number).as_deref(), Some("136160XXXXX"));
    assert_eq!(text(&leo.zip_code).as_deref(), Some("361000"));
    assert_eq!(text(&leo.city).as_deref(), Some("Xiamen"));
    assert_eq!(text(&leo.state).as_deref(), Some("Fujian"));
    assert_eq!(text(&leo.country).as_deref(), Some("China"));
    assert!(leo.mobile_number.is_none() && leo.street.is_none() && leo.remark.is_none());
    let naomi = data.list[1].decoded().expect("decodes");
    assert_eq!(text(&naomi.mobile_number).as_deref(), Some("139111XXXXX"));
    let ashley = data.list[2].decoded().expect("decodes");
    assert_eq!(text(&ashley.fax_number).as_deref(), Some("001-111-1111"));
    assert_eq!(text(&ashley.customer_id).as_deref(), Some("50086122"));
}
