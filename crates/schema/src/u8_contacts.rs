//! Yonyou U8 customer contacts (customercontacts/batch_get) → `contacts`.
//!
//! Column by column as DESIGN.md's table says: `sex` is normalized to male/female/unknown,
//! the `be_main_linker` and `default` flags become booleans, `birthday` a date.

use custlake_client_kit::VendorRecord;
use yonyou_u8::types::U8CustomerContact;

use crate::contacts::{ContactRow, ContactsBuilder};
use crate::context::{MapContext, MapStats, MappedBatches};
use crate::datasets::{Dataset, SourceKind};
use crate::mapping::{FieldReader, for_each_keyed, key_text, raw_bytes};
use crate::rejects::RejectsBuilder;

/// The vendor field that holds a U8 contact's key.
const KEY_FIELD: &str = "code";

/// The contact's key (`code`, trimmed and non-empty), by the same rule the mapping applies;
/// `None` when the mapping would reject the record whole.
pub fn u8_contact_key(record: &VendorRecord<U8CustomerContact>) -> Option<&str> {
    let contact = record.decoded().ok()?;
    key_text(contact.code.as_ref()).ok()
}

/// Maps U8 customer-contact records to `contacts` rows, plus `rejects` for what could not be
/// mapped.
///
/// Every record becomes exactly one row or one whole-record reject. Never panics on any input;
/// rows are labelled `yonyou_u8` whatever `ctx.source` says.
pub fn map_u8_contacts(
    ctx: &MapContext,
    records: &[VendorRecord<U8CustomerContact>],
) -> MappedBatches {
    let ctx = ctx.for_source(SourceKind::YonyouU8);
    let ctx = ctx.as_ref();
    let mut contacts = ContactsBuilder::with_capacity(records.len(), raw_bytes(ctx, records));
    let mut rejects = RejectsBuilder::new();
    let mut field_rejects = 0;
    for_each_keyed(
        records,
        Dataset::Contacts,
        KEY_FIELD,
        |c: &U8CustomerContact| c.code.as_ref(),
        &mut rejects,
        |rejects, c, key, record| {
            let raw = ctx.include_raw.then(|| record.raw_json());
            let mut f = FieldReader::new(rejects, ctx, Dataset::Contacts, key, raw);
            let row = ContactRow {
                contact_id: key,
                customer_id: f.text("ccuscode", &c.ccuscode),
                customer_name: f.text("ccusname", &c.ccusname),
                full_name: f.text("name", &c.name),
                first_name: None,
                last_name: None,
                salutation: f.text("title", &c.title),
                position: f.text("position", &c.position),
                gender: f.gender("sex", &c.sex),
                birthday: f.date("birthday", &c.birthday),
                mobile: f.text("mobile_phone", &c.mobile_phone),
                office_phone: f.text("office_phone", &c.office_phone),
                home_phone: None,
                fax: None,
                email: f.text("email", &c.email),
                wechat: f.text("wechat", &c.wechat),
                qq: f.text("qq", &c.qq),
                hobbies: f.text("favorite", &c.favorite),
                native_place: f.text("native", &c.native),
                is_primary: f.boolean("be_main_linker", &c.be_main_linker),
                is_default: f.boolean("default", &c.default),
                manager_code: f.text("direct_leader_code", &c.direct_leader_code),
                manager_name: f.text("direct_leader", &c.direct_leader),
                owner_code: f.text("charge_person_code", &c.charge_person_code),
                owner_name: f.text("charge_person", &c.charge_person),
                raw,
            };
            field_rejects += f.rejected();
            contacts.append(&row);
        },
    );
    let stats = MapStats {
        input_records: records.len(),
        customer_rows: 0,
        contact_rows: contacts.len(),
        whole_record_rejects: rejects.whole_records(),
        field_rejects,
    };
    MappedBatches {
        customers: None,
        contacts: (!contacts.is_empty()).then(|| contacts.finish(ctx)),
        rejects: (!rejects.is_empty()).then(|| rejects.finish(ctx)),
        stats,
    }
}
