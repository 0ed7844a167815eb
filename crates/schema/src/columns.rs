//! The column lists of the three datasets, with the description of every column.
//!
//! This file is the one place a column's name, type, nullability and meaning are written down.
//! The Arrow schemas (`datasets.rs`), `describe_json` and the builders' column order all follow
//! these lists, and each description becomes Arrow field metadata under `"description"` so
//! DuckDB's DESCRIBE and pyarrow's schema show what a column means and where it comes from.

/// The Arrow type of a column, as a closed set: the datasets use only these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ColumnType {
    /// `Dictionary(Int32, Utf8)`: a column with one or a few distinct values per file.
    Dictionary,
    /// `Utf8`.
    Utf8,
    /// `Boolean`.
    Bool,
    /// `Int64`.
    Int64,
    /// `Float64`.
    Float64,
    /// `Date32` (days since 1970-01-01).
    Date32,
    /// `Timestamp(Microsecond, Some("UTC"))`.
    TimestampUtc,
    /// `Map<Utf8, Utf8>` with the canonical field names `entries` / `key` / `value`.
    MapUtf8,
}

/// One column: name, type, whether it may be null, and what it means.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ColumnSpec {
    pub name: &'static str,
    pub ty: ColumnType,
    pub nullable: bool,
    pub description: &'static str,
}

const fn col(name: &'static str, ty: ColumnType, description: &'static str) -> ColumnSpec {
    ColumnSpec {
        name,
        ty,
        nullable: true,
        description,
    }
}

const fn required(name: &'static str, ty: ColumnType, description: &'static str) -> ColumnSpec {
    ColumnSpec {
        name,
        ty,
        nullable: false,
        description,
    }
}

use ColumnType::{Bool, Date32, Dictionary, Float64, Int64, MapUtf8, TimestampUtc, Utf8};

const SOURCE: ColumnSpec = required(
    "source",
    Dictionary,
    "Vendor the row comes from: yonyou_u8 (Yonyou U8 OpenAPI) or yeastar_ycm (Yeastar YCM). \
     Part of the key. Stored in the source= folder of the output path, not in the files.",
);
const TENANT: ColumnSpec = required(
    "tenant",
    Dictionary,
    "Configured name of the vendor account (source) the row comes from. Part of the key. \
     Stored in the tenant= folder of the output path, not in the files.",
);
const EXTRACTED_AT: ColumnSpec = required(
    "extracted_at",
    TimestampUtc,
    "When the run that wrote this row started extracting (UTC); the same for every row of a run.",
);
const RUN_ID: ColumnSpec = required(
    "run_id",
    Utf8,
    "Id of the run that wrote this row; its manifest is _manifests/<run_id>.json.",
);
const RAW: ColumnSpec = col(
    "raw",
    Utf8,
    "The vendor record exactly as received (JSON text), so nothing is lost by mapping; null when \
     the run switched raw off.",
);

/// Every keyed row's change fingerprint (see `row_hash.rs` for what it covers).
const ROW_HASH: ColumnSpec = required(
    "row_hash",
    Int64,
    "xxh3-64 of the row's business columns (every column but source, tenant, extracted_at, \
     run_id, raw, the match keys and row_hash), as a signed 64-bit integer: two rows of one key \
     with equal hashes hold the same values, so a run counts a key as updated exactly when its \
     hash changed.",
);

/// `customers`: one row per vendor customer; key (source, tenant, customer_id).
pub(crate) const CUSTOMERS: &[ColumnSpec] = &[
    SOURCE,
    TENANT,
    required(
        "customer_id",
        Utf8,
        "Customer code, unique per (source, tenant). U8: code; YCM: customerId (decimal text).",
    ),
    col(
        "name",
        Utf8,
        "Customer name. U8: name; YCM: company, else \"firstName lastName\".",
    ),
    col("short_name", Utf8, "Short name. U8: abbrname; YCM: none."),
    col(
        "category_code",
        Utf8,
        "Code of the customer category. U8: sort_code; YCM: none.",
    ),
    col(
        "region_code",
        Utf8,
        "Code of the customer's region. U8: domain_code; YCM: none.",
    ),
    col("industry", Utf8, "Industry. U8: industry; YCM: none."),
    col(
        "contact_name",
        Utf8,
        "Name of the customer's contact person. U8: contact; YCM: \"firstName lastName\".",
    ),
    col(
        "phone",
        Utf8,
        "Phone number, as text. U8: phone; YCM: businessNumber.",
    ),
    col(
        "mobile",
        Utf8,
        "Mobile number, as text (numbers sent as JSON numbers keep their digits). U8: mobile; \
         YCM: mobileNumber.",
    ),
    col("fax", Utf8, "Fax number, as text. U8: fax; YCM: faxNumber."),
    col("email", Utf8, "Email address. U8: none; YCM: email."),
    col(
        "phone_e164",
        Utf8,
        "phone as an E.164 number (+8610…), for joins across sources; national numbers are read \
         in the source's default_region (U8: CN unless set; YCM: none unless set); extensions \
         left out; null when it is not a valid number.",
    ),
    col(
        "mobile_e164",
        Utf8,
        "mobile as an E.164 number; see phone_e164.",
    ),
    col("fax_e164", Utf8, "fax as an E.164 number; see phone_e164."),
    col(
        "email_normalized",
        Utf8,
        "email trimmed, its domain lower-cased and in ASCII (IDNA); the local part as written; \
         null when it is not a valid address.",
    ),
    col(
        "address",
        Utf8,
        "Address (street part for YCM). U8: address; YCM: street.",
    ),
    col("city", Utf8, "City. U8: none; YCM: city."),
    col("state", Utf8, "State or province. U8: none; YCM: state."),
    col("postal_code", Utf8, "Postal code. U8: none; YCM: zipCode."),
    col("country", Utf8, "Country. U8: none; YCM: country."),
    col(
        "delivery_address",
        Utf8,
        "Delivery address. U8: devliver_site (the vendor's spelling); YCM: none.",
    ),
    col(
        "bank_name",
        Utf8,
        "Bank where the customer's account is held. U8: bank_open; YCM: none.",
    ),
    col(
        "bank_account",
        Utf8,
        "Bank account number, as text. U8: bank_acc_number; YCM: none.",
    ),
    col(
        "currency",
        Utf8,
        "Currency the customer trades in (name, as U8 shows it). U8: ccusexch_name; YCM: none.",
    ),
    col(
        "is_domestic",
        Bool,
        "Domestic customer. U8: bcusdomestic (1/0, true/false, 是/否, Y/N); YCM: none.",
    ),
    col(
        "is_overseas",
        Bool,
        "Overseas customer. U8: bcusoverseas (1/0, true/false, 是/否, Y/N); YCM: none.",
    ),
    col(
        "is_service",
        Bool,
        "Service customer. U8: bserviceattribute (1/0, true/false, 是/否, Y/N); YCM: none.",
    ),
    col(
        "management_type_code",
        Utf8,
        "Customer management type code. U8: ccusmngtypecode; YCM: none.",
    ),
    col(
        "management_type_name",
        Utf8,
        "Customer management type name. U8: ccusmngtypename; YCM: none.",
    ),
    col(
        "owner_code",
        Utf8,
        "Code of the salesperson in charge of the customer. U8: spec_operator; YCM: none.",
    ),
    col(
        "owner_name",
        Utf8,
        "Name of the salesperson in charge of the customer. U8: spec_operator_name; YCM: none.",
    ),
    col(
        "established_on",
        Date32,
        "Date the customer relationship was established (发展日期). U8: seed_date; YCM: none.",
    ),
    col(
        "deactivated_on",
        Date32,
        "Date the customer was deactivated (停用日期). U8: end_date; YCM: none.",
    ),
    col(
        "source_modified_at",
        TimestampUtc,
        "When the record last changed in the source, in UTC. U8: ModifyDate, read as local time \
         of the source's configured timezone (default Asia/Shanghai); YCM: none.",
    ),
    col(
        "source_version",
        Int64,
        "The source's row version, for incremental exports. U8: timestamp (a number, decimal text \
         or 0x-prefixed hex text); YCM: none.",
    ),
    col("remark", Utf8, "Free-text remark. U8: memo; YCM: remark."),
    col(
        "custom_fields",
        MapUtf8,
        "Custom fields that are filled in, keyed by vendor field name. U8: self_define1..16 that \
         are non-empty (empty map when none is); YCM: null.",
    ),
    EXTRACTED_AT,
    RUN_ID,
    RAW,
    ROW_HASH,
];

/// `contacts`: one row per contact person; key (source, tenant, contact_id).
pub(crate) const CONTACTS: &[ColumnSpec] = &[
    SOURCE,
    TENANT,
    required(
        "contact_id",
        Utf8,
        "Contact code, unique per (source, tenant). U8: code (customercontacts); YCM: customerId \
         (a YCM customer is one person, so it is its own contact).",
    ),
    col(
        "customer_id",
        Utf8,
        "Code of the customer the contact belongs to (customers.customer_id). U8: ccuscode; YCM: \
         customerId.",
    ),
    col(
        "customer_name",
        Utf8,
        "Name of the customer the contact belongs to. U8: ccusname; YCM: company.",
    ),
    col(
        "full_name",
        Utf8,
        "Contact's full name. U8: name; YCM: \"firstName lastName\".",
    ),
    col("first_name", Utf8, "First name. U8: none; YCM: firstName."),
    col("last_name", Utf8, "Last name. U8: none; YCM: lastName."),
    col(
        "salutation",
        Utf8,
        "How to address the contact (称呼). U8: title; YCM: none.",
    ),
    col("position", Utf8, "Job position. U8: position; YCM: none."),
    col(
        "gender",
        Utf8,
        "male, female or unknown. U8: sex (男 / 女 / 不详; male/female, M/F also accepted); \
         YCM: none.",
    ),
    col("birthday", Date32, "Birthday. U8: birthday; YCM: none."),
    col(
        "mobile",
        Utf8,
        "Mobile number, as text. U8: mobile_phone; YCM: mobileNumber.",
    ),
    col(
        "office_phone",
        Utf8,
        "Office phone number, as text. U8: office_phone; YCM: businessNumber.",
    ),
    col(
        "home_phone",
        Utf8,
        "Home phone number, as text. U8: none; YCM: homeNumber.",
    ),
    col(
        "fax",
        Utf8,
        "Fax number, as text. U8: none; YCM: faxNumber.",
    ),
    col("email", Utf8, "Email address. U8: email; YCM: email."),
    col(
        "mobile_e164",
        Utf8,
        "mobile as an E.164 number (+86138…), for joins across sources; national numbers are \
         read in the source's default_region (U8: CN unless set; YCM: none unless set); null \
         when it is not a valid number.",
    ),
    col(
        "office_phone_e164",
        Utf8,
        "office_phone as an E.164 number, extension left out; see mobile_e164.",
    ),
    col(
        "home_phone_e164",
        Utf8,
        "home_phone as an E.164 number; see mobile_e164.",
    ),
    col(
        "email_normalized",
        Utf8,
        "email trimmed, its domain lower-cased and in ASCII (IDNA); the local part as written; \
         null when it is not a valid address.",
    ),
    col("wechat", Utf8, "WeChat id. U8: wechat; YCM: none."),
    col("qq", Utf8, "QQ number, as text. U8: qq; YCM: none."),
    col(
        "hobbies",
        Utf8,
        "Hobbies (个人爱好). U8: favorite; YCM: none.",
    ),
    col(
        "native_place",
        Utf8,
        "Native place (籍贯). U8: native; YCM: none.",
    ),
    col(
        "is_primary",
        Bool,
        "Main contact of the customer. U8: be_main_linker (1/0, true/false, 是/否, Y/N); YCM: \
         always true.",
    ),
    col(
        "is_default",
        Bool,
        "Default contact of the customer. U8: default (1/0, true/false, 是/否, Y/N); YCM: always \
         true.",
    ),
    col(
        "manager_code",
        Utf8,
        "Code of the contact's direct superior. U8: direct_leader_code; YCM: none.",
    ),
    col(
        "manager_name",
        Utf8,
        "Name of the contact's direct superior. U8: direct_leader; YCM: none.",
    ),
    col(
        "owner_code",
        Utf8,
        "Code of the employee in charge of the contact. U8: charge_person_code; YCM: none.",
    ),
    col(
        "owner_name",
        Utf8,
        "Name of the employee in charge of the contact. U8: charge_person; YCM: none.",
    ),
    EXTRACTED_AT,
    RUN_ID,
    RAW,
    ROW_HASH,
];

/// `rejects`: one row per record or field that could not be mapped.
pub(crate) const REJECTS: &[ColumnSpec] = &[
    SOURCE,
    TENANT,
    required(
        "entity",
        Utf8,
        "Dataset the record was being mapped into: customers or contacts (a YCM customer, which \
         feeds both, is reported as customers).",
    ),
    col(
        "record_key",
        Utf8,
        "Key of the record (customer_id or contact_id it maps to); null when the record has no \
         usable key.",
    ),
    col(
        "field",
        Utf8,
        "Vendor field whose value could not be mapped (e.g. seed_date); null when the whole \
         record was rejected and produced no row.",
    ),
    col(
        "value",
        Utf8,
        "The offending value as text (nested JSON in compact form); null when there is none.",
    ),
    required(
        "reason",
        Utf8,
        "Why the value or record was rejected, in words.",
    ),
    EXTRACTED_AT,
    RUN_ID,
    col(
        "raw",
        Utf8,
        "The vendor record exactly as received (JSON text). Always set when the whole record was \
         rejected, as nothing else keeps it; for a field reject null when the run switched raw off.",
    ),
];

/// `customer_links`: one row per pair of customers of different sources that share a match key.
pub(crate) const CUSTOMER_LINKS: &[ColumnSpec] = &[
    required(
        "source",
        Dictionary,
        "Vendor of the left customer (= left_source). Stored in the source= folder of the \
         output path, not in the files.",
    ),
    required(
        "tenant",
        Dictionary,
        "Source name of the left customer (= left_tenant). Stored in the tenant= folder of the \
         output path, not in the files.",
    ),
    required(
        "left_source",
        Utf8,
        "Vendor of the left customer: yonyou_u8 when either side is U8.",
    ),
    required("left_tenant", Utf8, "Source name of the left customer."),
    required(
        "left_customer_id",
        Utf8,
        "customer_id of the left customer in customers (source, tenant, customer_id).",
    ),
    required(
        "right_source",
        Utf8,
        "Vendor of the right customer (the left side sorts first: yonyou_u8 before \
         yeastar_ycm, then by tenant).",
    ),
    required("right_tenant", Utf8, "Source name of the right customer."),
    required(
        "right_customer_id",
        Utf8,
        "customer_id of the right customer.",
    ),
    required(
        "match_key",
        Utf8,
        "What the two share: phone (an E.164 number in phone, fax or a mobile column of one \
         side), mobile (an E.164 number both hold as mobile), email (email_normalized) or name \
         (the company-name key: NFKC, lower case, no punctuation, legal forms removed).",
    ),
    required(
        "match_value",
        Utf8,
        "The shared value: the E.164 number, the normalised address or the name key.",
    ),
    required(
        "confidence",
        Float64,
        "1.0 for an exact normalised phone, mobile or email; for name: 0.8 when the name key \
         has at least 6 characters, 0.6 when shorter (short names repeat more often).",
    ),
    EXTRACTED_AT,
    RUN_ID,
];

/// The columns a change log adds after its dataset's: what changed, when, and the hash before.
const HISTORY_EXTRA: [ColumnSpec; 3] = [
    required(
        "change",
        Utf8,
        "What happened to the key in the run: insert (first seen, or first run with history \
         on), update (its row_hash changed) or delete (a full run no longer found it; the row \
         is the last one known).",
    ),
    required(
        "changed_at",
        TimestampUtc,
        "When the change was seen: the extracted_at of the run that saw it. A version of the \
         row is valid from its changed_at until the key's next changed_at.",
    ),
    col(
        "previous_row_hash",
        Int64,
        "The key's row_hash before the change; null for an insert.",
    ),
];

/// A change log's columns: `dataset`'s columns (the row as it became; for a delete the last
/// row known) followed by [`HISTORY_EXTRA`].
pub(crate) fn history_columns(dataset: &[ColumnSpec]) -> Vec<ColumnSpec> {
    dataset
        .iter()
        .chain(HISTORY_EXTRA.iter())
        .copied()
        .collect()
}
