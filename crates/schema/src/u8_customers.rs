//! Yonyou U8 customers (customer/get, customer/batch_get) → `customers`.
//!
//! Column by column as DESIGN.md's table says; `self_define1..16` that are non-empty become
//! `custom_fields`. This is the hot path of a U8 export, so nothing here allocates per field:
//! texts are borrowed from the decoded record and appended straight into Arrow builders.

use custlake_client_kit::{LooseString, VendorRecord};
use yonyou_u8::types::U8Customer;

use crate::context::{MapContext, MapStats, MappedBatches};
use crate::customers::{CustomerRow, CustomersBuilder};
use crate::datasets::{Dataset, SourceKind};
use crate::mapping::{FieldReader, for_each_keyed, key_text, raw_bytes};
use crate::rejects::RejectsBuilder;

/// The vendor field that holds a U8 customer's key.
const KEY_FIELD: &str = "code";

/// The customer's key (`code`, trimmed and non-empty), by the same rule the mapping applies;
/// `None` when the mapping would reject the record whole.
pub fn u8_customer_key(record: &VendorRecord<U8Customer>) -> Option<&str> {
    let customer = record.decoded().ok()?;
    key_text(customer.code.as_ref()).ok()
}

/// Maps U8 customer records to `customers` rows, plus `rejects` for what could not be mapped.
///
/// Every record becomes exactly one row or one whole-record reject. Never panics on any input;
/// rows are labelled `yonyou_u8` whatever `ctx.source` says.
pub fn map_u8_customers(ctx: &MapContext, records: &[VendorRecord<U8Customer>]) -> MappedBatches {
    let ctx = ctx.for_source(SourceKind::YonyouU8);
    let ctx = ctx.as_ref();
    let mut customers = CustomersBuilder::with_capacity(records.len(), raw_bytes(ctx, records));
    let mut rejects = RejectsBuilder::new();
    let mut field_rejects = 0;
    for_each_keyed(
        records,
        Dataset::Customers,
        KEY_FIELD,
        |c: &U8Customer| c.code.as_ref(),
        &mut rejects,
        |rejects, c, key, record| {
            let raw = ctx.include_raw.then(|| record.raw_json());
            let mut f = FieldReader::new(rejects, ctx, Dataset::Customers, key, raw);
            let mut custom = [("", ""); 16];
            let mut row = CustomerRow {
                customer_id: key,
                name: f.text("name", &c.name),
                short_name: f.text("abbrname", &c.abbrname),
                category_code: f.text("sort_code", &c.sort_code),
                region_code: f.text("domain_code", &c.domain_code),
                industry: f.text("industry", &c.industry),
                contact_name: f.text("contact", &c.contact),
                phone: f.text("phone", &c.phone),
                mobile: f.text("mobile", &c.mobile),
                fax: f.text("fax", &c.fax),
                email: None,
                address: f.text("address", &c.address),
                city: None,
                state: None,
                postal_code: None,
                country: None,
                delivery_address: f.text("devliver_site", &c.devliver_site),
                bank_name: f.text("bank_open", &c.bank_open),
                bank_account: f.text("bank_acc_number", &c.bank_acc_number),
                currency: f.text("ccusexch_name", &c.ccusexch_name),
                is_domestic: f.boolean("bcusdomestic", &c.bcusdomestic),
                is_overseas: f.boolean("bcusoverseas", &c.bcusoverseas),
                is_service: f.boolean("bserviceattribute", &c.bserviceattribute),
                management_type_code: f.text("ccusmngtypecode", &c.ccusmngtypecode),
                management_type_name: f.text("ccusmngtypename", &c.ccusmngtypename),
                owner_code: f.text("spec_operator", &c.spec_operator),
                owner_name: f.text("spec_operator_name", &c.spec_operator_name),
                established_on: f.date("seed_date", &c.seed_date),
                deactivated_on: f.date("end_date", &c.end_date),
                source_modified_at: f.local_date_time("ModifyDate", &c.modify_date),
                source_version: f.row_version("timestamp", &c.timestamp),
                remark: f.text("memo", &c.memo),
                custom_fields: None,
                raw,
            };
            let mut custom_len = 0;
            for (name, value) in self_defines(c) {
                if let Some(text) = f.text(name, value) {
                    custom[custom_len] = (name, text);
                    custom_len += 1;
                }
            }
            row.custom_fields = Some(&custom[..custom_len]);
            field_rejects += f.rejected();
            customers.append(&row);
        },
    );
    let stats = MapStats {
        input_records: records.len(),
        customer_rows: customers.len(),
        contact_rows: 0,
        whole_record_rejects: rejects.whole_records(),
        field_rejects,
    };
    MappedBatches {
        customers: (!customers.is_empty()).then(|| customers.finish(ctx)),
        contacts: None,
        rejects: (!rejects.is_empty()).then(|| rejects.finish(ctx)),
        stats,
    }
}

/// `self_define1..16` in numeric order, with their vendor names (also the map keys).
fn self_defines(c: &U8Customer) -> [(&'static str, &Option<LooseString>); 16] {
    [
        ("self_define1", &c.self_define1),
        ("self_define2", &c.self_define2),
        ("self_define3", &c.self_define3),
        ("self_define4", &c.self_define4),
        ("self_define5", &c.self_define5),
        ("self_define6", &c.self_define6),
        ("self_define7", &c.self_define7),
        ("self_define8", &c.self_define8),
        ("self_define9", &c.self_define9),
        ("self_define10", &c.self_define10),
        ("self_define11", &c.self_define11),
        ("self_define12", &c.self_define12),
        ("self_define13", &c.self_define13),
        ("self_define14", &c.self_define14),
        ("self_define15", &c.self_define15),
        ("self_define16", &c.self_define16),
    ]
}
