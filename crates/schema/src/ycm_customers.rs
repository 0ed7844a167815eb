//! Yeastar YCM customers (Customer_Info) → one `customers` row and one `contacts` row each.
//!
//! A YCM customer is a person with an optional company, so it is both a customer and that
//! customer's only contact: the contact's id is the customer's id and it is primary and
//! default. Each vendor field is read (and, if bad, rejected) once and feeds both rows.

use custlake_client_kit::VendorRecord;
use yeastar_ycm::types::YcmCustomer;

use crate::contacts::{ContactRow, ContactsBuilder};
use crate::context::{MapContext, MapStats, MappedBatches};
use crate::customers::{CustomerRow, CustomersBuilder};
use crate::datasets::{Dataset, SourceKind};
use crate::mapping::{FieldReader, for_each_keyed, key_text, raw_bytes};
use crate::rejects::RejectsBuilder;

/// The vendor field that holds a YCM customer's key.
const KEY_FIELD: &str = "customerId";

/// The customer's key (`customerId` as decimal text, trimmed and non-empty), by the same rule
/// the mapping applies; `None` when the mapping would reject the record whole.
pub fn ycm_customer_key(record: &VendorRecord<YcmCustomer>) -> Option<&str> {
    let customer = record.decoded().ok()?;
    key_text(customer.customer_id.as_ref()).ok()
}

/// Maps YCM customer records to `customers` rows and `contacts` rows (one of each per record),
/// plus `rejects` for what could not be mapped.
///
/// Every record becomes exactly one row in each of customers and contacts, or one whole-record
/// reject (entity `customers`). Never panics on any input; rows are labelled `yeastar_ycm`
/// whatever `ctx.source` says.
pub fn map_ycm_customers(ctx: &MapContext, records: &[VendorRecord<YcmCustomer>]) -> MappedBatches {
    let ctx = ctx.for_source(SourceKind::YeastarYcm);
    let ctx = ctx.as_ref();
    let raw_total = raw_bytes(ctx, records);
    let mut customers = CustomersBuilder::with_capacity(records.len(), raw_total);
    let mut contacts = ContactsBuilder::with_capacity(records.len(), raw_total);
    let mut rejects = RejectsBuilder::new();
    let mut field_rejects = 0;
    for_each_keyed(
        records,
        Dataset::Customers,
        KEY_FIELD,
        |c: &YcmCustomer| c.customer_id.as_ref(),
        &mut rejects,
        |rejects, c, key, record| {
            let raw = ctx.include_raw.then(|| record.raw_json());
            let mut f = FieldReader::new(rejects, ctx, Dataset::Customers, key, raw);
            let first_name = f.text("firstName", &c.first_name);
            let last_name = f.text("lastName", &c.last_name);
            let company = f.text("company", &c.company);
            let email = f.text("email", &c.email);
            let business_number = f.text("businessNumber", &c.business_number);
            let mobile_number = f.text("mobileNumber", &c.mobile_number);
            let home_number = f.text("homeNumber", &c.home_number);
            let fax_number = f.text("faxNumber", &c.fax_number);
            let street = f.text("street", &c.street);
            let city = f.text("city", &c.city);
            let state = f.text("state", &c.state);
            let zip_code = f.text("zipCode", &c.zip_code);
            let country = f.text("country", &c.country);
            let remark = f.text("remark", &c.remark);
            field_rejects += f.rejected();

            let full_name = person_name(first_name, last_name);
            let full_name = full_name.as_deref();
            customers.append(&CustomerRow {
                customer_id: key,
                name: company.or(full_name),
                contact_name: full_name,
                phone: business_number,
                mobile: mobile_number,
                fax: fax_number,
                email,
                address: street,
                city,
                state,
                postal_code: zip_code,
                country,
                remark,
                custom_fields: None,
                raw,
                ..CustomerRow::default()
            });
            contacts.append(&ContactRow {
                contact_id: key,
                customer_id: Some(key),
                customer_name: company,
                full_name,
                first_name,
                last_name,
                mobile: mobile_number,
                office_phone: business_number,
                home_phone: home_number,
                fax: fax_number,
                email,
                is_primary: Some(true),
                is_default: Some(true),
                raw,
                ..ContactRow::default()
            });
        },
    );
    let stats = MapStats {
        input_records: records.len(),
        customer_rows: customers.len(),
        contact_rows: contacts.len(),
        whole_record_rejects: rejects.whole_records(),
        field_rejects,
    };
    MappedBatches {
        customers: (!customers.is_empty()).then(|| customers.finish(ctx)),
        contacts: (!contacts.is_empty()).then(|| contacts.finish(ctx)),
        rejects: (!rejects.is_empty()).then(|| rejects.finish(ctx)),
        stats,
    }
}

/// "firstName lastName", either alone when the other is missing, `None` when both are.
fn person_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    match (first, last) {
        (Some(first), Some(last)) => Some(format!("{first} {last}")),
        (Some(only), None) | (None, Some(only)) => Some(only.to_owned()),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::person_name;

    #[test]
    fn person_names_join_what_is_there() {
        assert_eq!(
            person_name(Some("Leo"), Some("Ball")).as_deref(),
            Some("Leo Ball")
        );
        assert_eq!(person_name(Some("Leo"), None).as_deref(), Some("Leo"));
        assert_eq!(person_name(None, Some("Ball")).as_deref(), Some("Ball"));
        assert_eq!(person_name(None, None), None);
    }
}
