//! The `customers` row type and its Arrow builder.
//!
//! A [`CustomerRow`] borrows every text from the vendor record, so filling one costs no
//! allocation; [`CustomersBuilder`] appends it straight into Arrow builders.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use chrono::{DateTime, NaiveDate, Utc};

use crate::MapContext;
use crate::coerce::days_since_epoch;
use crate::common::{StringMapBuilder, assemble, run_columns};
use crate::datasets::{Dataset, UTC};
use crate::match_columns::add_key_columns;
use crate::row_hash::add_row_hash;

/// One `customers` row, without the per-run columns (source, tenant, extracted_at, run_id),
/// which the builder adds. Field meanings: see the column descriptions in the schema.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerRow<'a> {
    /// The `customer_id` column.
    pub customer_id: &'a str,
    /// The `name` column.
    pub name: Option<&'a str>,
    /// The `short_name` column.
    pub short_name: Option<&'a str>,
    /// The `category_code` column.
    pub category_code: Option<&'a str>,
    /// The `region_code` column.
    pub region_code: Option<&'a str>,
    /// The `industry` column.
    pub industry: Option<&'a str>,
    /// The `contact_name` column.
    pub contact_name: Option<&'a str>,
    /// The `phone` column.
    pub phone: Option<&'a str>,
    /// The `mobile` column.
    pub mobile: Option<&'a str>,
    /// The `fax` column.
    pub fax: Option<&'a str>,
    /// The `email` column.
    pub email: Option<&'a str>,
    /// The `address` column.
    pub address: Option<&'a str>,
    /// The `city` column.
    pub city: Option<&'a str>,
    /// The `state` column.
    pub state: Option<&'a str>,
    /// The `postal_code` column.
    pub postal_code: Option<&'a str>,
    /// The `country` column.
    pub country: Option<&'a str>,
    /// The `delivery_address` column.
    pub delivery_address: Option<&'a str>,
    /// The `bank_name` column.
    pub bank_name: Option<&'a str>,
    /// The `bank_account` column.
    pub bank_account: Option<&'a str>,
    /// The `currency` column.
    pub currency: Option<&'a str>,
    /// The `is_domestic` column.
    pub is_domestic: Option<bool>,
    /// The `is_overseas` column.
    pub is_overseas: Option<bool>,
    /// The `is_service` column.
    pub is_service: Option<bool>,
    /// The `management_type_code` column.
    pub management_type_code: Option<&'a str>,
    /// The `management_type_name` column.
    pub management_type_name: Option<&'a str>,
    /// The `owner_code` column.
    pub owner_code: Option<&'a str>,
    /// The `owner_name` column.
    pub owner_name: Option<&'a str>,
    /// The `established_on` column.
    pub established_on: Option<NaiveDate>,
    /// The `deactivated_on` column.
    pub deactivated_on: Option<NaiveDate>,
    /// The `source_modified_at` column.
    pub source_modified_at: Option<DateTime<Utc>>,
    /// The `source_version` column.
    pub source_version: Option<i64>,
    /// The `remark` column.
    pub remark: Option<&'a str>,
    /// `(field name, value)` pairs; `None` for a vendor without custom fields (null map).
    pub custom_fields: Option<&'a [(&'a str, &'a str)]>,
    /// The record's raw JSON, or `None` when the run switched raw off.
    pub raw: Option<&'a str>,
}

/// Appends [`CustomerRow`]s into Arrow arrays and finishes them as one `customers` batch.
#[derive(Debug)]
pub struct CustomersBuilder {
    rows: usize,
    customer_id: StringBuilder,
    name: StringBuilder,
    short_name: StringBuilder,
    category_code: StringBuilder,
    region_code: StringBuilder,
    industry: StringBuilder,
    contact_name: StringBuilder,
    phone: StringBuilder,
    mobile: StringBuilder,
    fax: StringBuilder,
    email: StringBuilder,
    address: StringBuilder,
    city: StringBuilder,
    state: StringBuilder,
    postal_code: StringBuilder,
    country: StringBuilder,
    delivery_address: StringBuilder,
    bank_name: StringBuilder,
    bank_account: StringBuilder,
    currency: StringBuilder,
    is_domestic: BooleanBuilder,
    is_overseas: BooleanBuilder,
    is_service: BooleanBuilder,
    management_type_code: StringBuilder,
    management_type_name: StringBuilder,
    owner_code: StringBuilder,
    owner_name: StringBuilder,
    established_on: Date32Builder,
    deactivated_on: Date32Builder,
    source_modified_at: TimestampMicrosecondBuilder,
    source_version: Int64Builder,
    remark: StringBuilder,
    custom_fields: StringMapBuilder,
    raw: StringBuilder,
}

/// A text column pre-sized for `rows` values of about `bytes_per_row` bytes each.
pub(crate) fn text_builder(rows: usize, bytes_per_row: usize) -> StringBuilder {
    StringBuilder::with_capacity(rows, rows.saturating_mul(bytes_per_row))
}

impl CustomersBuilder {
    /// A builder sized for `rows` rows whose raw JSON adds up to about `raw_bytes` bytes.
    pub fn with_capacity(rows: usize, raw_bytes: usize) -> Self {
        let short = || text_builder(rows, 12);
        let long = || text_builder(rows, 48);
        Self {
            rows: 0,
            customer_id: short(),
            name: long(),
            short_name: long(),
            category_code: short(),
            region_code: short(),
            industry: short(),
            contact_name: short(),
            phone: short(),
            mobile: short(),
            fax: short(),
            email: short(),
            address: long(),
            city: short(),
            state: short(),
            postal_code: short(),
            country: short(),
            delivery_address: long(),
            bank_name: long(),
            bank_account: short(),
            currency: short(),
            is_domestic: BooleanBuilder::with_capacity(rows),
            is_overseas: BooleanBuilder::with_capacity(rows),
            is_service: BooleanBuilder::with_capacity(rows),
            management_type_code: short(),
            management_type_name: short(),
            owner_code: short(),
            owner_name: short(),
            established_on: Date32Builder::with_capacity(rows),
            deactivated_on: Date32Builder::with_capacity(rows),
            source_modified_at: TimestampMicrosecondBuilder::with_capacity(rows).with_timezone(UTC),
            source_version: Int64Builder::with_capacity(rows),
            remark: long(),
            custom_fields: StringMapBuilder::with_capacity(rows, rows.saturating_mul(4)),
            raw: StringBuilder::with_capacity(rows, raw_bytes),
        }
    }

    /// Rows appended since the last `finish`.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no row was appended since the last `finish`.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Appends one row.
    pub fn append(&mut self, row: &CustomerRow<'_>) {
        self.rows += 1;
        self.customer_id.append_value(row.customer_id);
        self.name.append_option(row.name);
        self.short_name.append_option(row.short_name);
        self.category_code.append_option(row.category_code);
        self.region_code.append_option(row.region_code);
        self.industry.append_option(row.industry);
        self.contact_name.append_option(row.contact_name);
        self.phone.append_option(row.phone);
        self.mobile.append_option(row.mobile);
        self.fax.append_option(row.fax);
        self.email.append_option(row.email);
        self.address.append_option(row.address);
        self.city.append_option(row.city);
        self.state.append_option(row.state);
        self.postal_code.append_option(row.postal_code);
        self.country.append_option(row.country);
        self.delivery_address.append_option(row.delivery_address);
        self.bank_name.append_option(row.bank_name);
        self.bank_account.append_option(row.bank_account);
        self.currency.append_option(row.currency);
        self.is_domestic.append_option(row.is_domestic);
        self.is_overseas.append_option(row.is_overseas);
        self.is_service.append_option(row.is_service);
        self.management_type_code
            .append_option(row.management_type_code);
        self.management_type_name
            .append_option(row.management_type_name);
        self.owner_code.append_option(row.owner_code);
        self.owner_name.append_option(row.owner_name);
        self.established_on
            .append_option(row.established_on.map(days_since_epoch));
        self.deactivated_on
            .append_option(row.deactivated_on.map(days_since_epoch));
        self.source_modified_at
            .append_option(row.source_modified_at.map(|at| at.timestamp_micros()));
        self.source_version.append_option(row.source_version);
        self.remark.append_option(row.remark);
        self.custom_fields.append(row.custom_fields);
        self.raw.append_option(row.raw);
    }

    /// The rows appended so far as a `customers` batch (with `ctx`'s per-run columns); the
    /// builder is empty afterwards.
    pub fn finish(&mut self, ctx: &MapContext) -> RecordBatch {
        let rows = std::mem::take(&mut self.rows);
        let mut columns: Vec<(&'static str, ArrayRef)> = run_columns(ctx, rows).into();
        columns.extend([
            ("customer_id", finish_text(&mut self.customer_id)),
            ("name", finish_text(&mut self.name)),
            ("short_name", finish_text(&mut self.short_name)),
            ("category_code", finish_text(&mut self.category_code)),
            ("region_code", finish_text(&mut self.region_code)),
            ("industry", finish_text(&mut self.industry)),
            ("contact_name", finish_text(&mut self.contact_name)),
            ("phone", finish_text(&mut self.phone)),
            ("mobile", finish_text(&mut self.mobile)),
            ("fax", finish_text(&mut self.fax)),
            ("email", finish_text(&mut self.email)),
            ("address", finish_text(&mut self.address)),
            ("city", finish_text(&mut self.city)),
            ("state", finish_text(&mut self.state)),
            ("postal_code", finish_text(&mut self.postal_code)),
            ("country", finish_text(&mut self.country)),
            ("delivery_address", finish_text(&mut self.delivery_address)),
            ("bank_name", finish_text(&mut self.bank_name)),
            ("bank_account", finish_text(&mut self.bank_account)),
            ("currency", finish_text(&mut self.currency)),
            ("is_domestic", Arc::new(self.is_domestic.finish())),
            ("is_overseas", Arc::new(self.is_overseas.finish())),
            ("is_service", Arc::new(self.is_service.finish())),
            (
                "management_type_code",
                finish_text(&mut self.management_type_code),
            ),
            (
                "management_type_name",
                finish_text(&mut self.management_type_name),
            ),
            ("owner_code", finish_text(&mut self.owner_code)),
            ("owner_name", finish_text(&mut self.owner_name)),
            ("established_on", Arc::new(self.established_on.finish())),
            ("deactivated_on", Arc::new(self.deactivated_on.finish())),
            (
                "source_modified_at",
                Arc::new(self.source_modified_at.finish()),
            ),
            ("source_version", Arc::new(self.source_version.finish())),
            ("remark", finish_text(&mut self.remark)),
            ("custom_fields", self.custom_fields.finish()),
            ("raw", finish_text(&mut self.raw)),
        ]);
        add_key_columns(Dataset::Customers, &mut columns, ctx.default_region);
        add_row_hash(Dataset::Customers, &mut columns);
        assemble(Dataset::Customers, columns)
    }
}

pub(crate) fn finish_text(builder: &mut StringBuilder) -> ArrayRef {
    Arc::new(builder.finish())
}
