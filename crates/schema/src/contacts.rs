//! The `contacts` row type and its Arrow builder.
//!
//! Same shape as `customers.rs`: a borrowed row, appended straight into Arrow builders.

use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Date32Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use chrono::NaiveDate;

use crate::MapContext;
use crate::coerce::{Gender, days_since_epoch};
use crate::common::{assemble, run_columns};
use crate::customers::{finish_text, text_builder};
use crate::datasets::Dataset;
use crate::match_columns::add_key_columns;
use crate::row_hash::add_row_hash;

/// One `contacts` row, without the per-run columns (source, tenant, extracted_at, run_id),
/// which the builder adds. Field meanings: see the column descriptions in the schema.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactRow<'a> {
    /// The `contact_id` column.
    pub contact_id: &'a str,
    /// The `customer_id` column.
    pub customer_id: Option<&'a str>,
    /// The `customer_name` column.
    pub customer_name: Option<&'a str>,
    /// The `full_name` column.
    pub full_name: Option<&'a str>,
    /// The `first_name` column.
    pub first_name: Option<&'a str>,
    /// The `last_name` column.
    pub last_name: Option<&'a str>,
    /// The `salutation` column.
    pub salutation: Option<&'a str>,
    /// The `position` column.
    pub position: Option<&'a str>,
    /// The `gender` column.
    pub gender: Option<Gender>,
    /// The `birthday` column.
    pub birthday: Option<NaiveDate>,
    /// The `mobile` column.
    pub mobile: Option<&'a str>,
    /// The `office_phone` column.
    pub office_phone: Option<&'a str>,
    /// The `home_phone` column.
    pub home_phone: Option<&'a str>,
    /// The `fax` column.
    pub fax: Option<&'a str>,
    /// The `email` column.
    pub email: Option<&'a str>,
    /// The `wechat` column.
    pub wechat: Option<&'a str>,
    /// The `qq` column.
    pub qq: Option<&'a str>,
    /// The `hobbies` column.
    pub hobbies: Option<&'a str>,
    /// The `native_place` column.
    pub native_place: Option<&'a str>,
    /// The `is_primary` column.
    pub is_primary: Option<bool>,
    /// The `is_default` column.
    pub is_default: Option<bool>,
    /// The `manager_code` column.
    pub manager_code: Option<&'a str>,
    /// The `manager_name` column.
    pub manager_name: Option<&'a str>,
    /// The `owner_code` column.
    pub owner_code: Option<&'a str>,
    /// The `owner_name` column.
    pub owner_name: Option<&'a str>,
    /// The record's raw JSON, or `None` when the run switched raw off.
    pub raw: Option<&'a str>,
}

/// Appends [`ContactRow`]s into Arrow arrays and finishes them as one `contacts` batch.
#[derive(Debug)]
pub struct ContactsBuilder {
    rows: usize,
    contact_id: StringBuilder,
    customer_id: StringBuilder,
    customer_name: StringBuilder,
    full_name: StringBuilder,
    first_name: StringBuilder,
    last_name: StringBuilder,
    salutation: StringBuilder,
    position: StringBuilder,
    gender: StringBuilder,
    birthday: Date32Builder,
    mobile: StringBuilder,
    office_phone: StringBuilder,
    home_phone: StringBuilder,
    fax: StringBuilder,
    email: StringBuilder,
    wechat: StringBuilder,
    qq: StringBuilder,
    hobbies: StringBuilder,
    native_place: StringBuilder,
    is_primary: BooleanBuilder,
    is_default: BooleanBuilder,
    manager_code: StringBuilder,
    manager_name: StringBuilder,
    owner_code: StringBuilder,
    owner_name: StringBuilder,
    raw: StringBuilder,
}

impl ContactsBuilder {
    /// A builder sized for `rows` rows whose raw JSON adds up to about `raw_bytes` bytes.
    pub fn with_capacity(rows: usize, raw_bytes: usize) -> Self {
        let short = || text_builder(rows, 12);
        let long = || text_builder(rows, 32);
        Self {
            rows: 0,
            contact_id: short(),
            customer_id: short(),
            customer_name: long(),
            full_name: short(),
            first_name: short(),
            last_name: short(),
            salutation: short(),
            position: short(),
            gender: text_builder(rows, 6),
            birthday: Date32Builder::with_capacity(rows),
            mobile: short(),
            office_phone: short(),
            home_phone: short(),
            fax: short(),
            email: long(),
            wechat: short(),
            qq: short(),
            hobbies: short(),
            native_place: short(),
            is_primary: BooleanBuilder::with_capacity(rows),
            is_default: BooleanBuilder::with_capacity(rows),
            manager_code: short(),
            manager_name: short(),
            owner_code: short(),
            owner_name: short(),
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
    pub fn append(&mut self, row: &ContactRow<'_>) {
        self.rows += 1;
        self.contact_id.append_value(row.contact_id);
        self.customer_id.append_option(row.customer_id);
        self.customer_name.append_option(row.customer_name);
        self.full_name.append_option(row.full_name);
        self.first_name.append_option(row.first_name);
        self.last_name.append_option(row.last_name);
        self.salutation.append_option(row.salutation);
        self.position.append_option(row.position);
        self.gender.append_option(row.gender.map(Gender::as_str));
        self.birthday
            .append_option(row.birthday.map(days_since_epoch));
        self.mobile.append_option(row.mobile);
        self.office_phone.append_option(row.office_phone);
        self.home_phone.append_option(row.home_phone);
        self.fax.append_option(row.fax);
        self.email.append_option(row.email);
        self.wechat.append_option(row.wechat);
        self.qq.append_option(row.qq);
        self.hobbies.append_option(row.hobbies);
        self.native_place.append_option(row.native_place);
        self.is_primary.append_option(row.is_primary);
        self.is_default.append_option(row.is_default);
        self.manager_code.append_option(row.manager_code);
        self.manager_name.append_option(row.manager_name);
        self.owner_code.append_option(row.owner_code);
        self.owner_name.append_option(row.owner_name);
        self.raw.append_option(row.raw);
    }

    /// The rows appended so far as a `contacts` batch (with `ctx`'s per-run columns); the
    /// builder is empty afterwards.
    pub fn finish(&mut self, ctx: &MapContext) -> RecordBatch {
        let rows = std::mem::take(&mut self.rows);
        let mut columns: Vec<(&'static str, ArrayRef)> = run_columns(ctx, rows).into();
        columns.extend([
            ("contact_id", finish_text(&mut self.contact_id)),
            ("customer_id", finish_text(&mut self.customer_id)),
            ("customer_name", finish_text(&mut self.customer_name)),
            ("full_name", finish_text(&mut self.full_name)),
            ("first_name", finish_text(&mut self.first_name)),
            ("last_name", finish_text(&mut self.last_name)),
            ("salutation", finish_text(&mut self.salutation)),
            ("position", finish_text(&mut self.position)),
            ("gender", finish_text(&mut self.gender)),
            ("birthday", Arc::new(self.birthday.finish()) as ArrayRef),
            ("mobile", finish_text(&mut self.mobile)),
            ("office_phone", finish_text(&mut self.office_phone)),
            ("home_phone", finish_text(&mut self.home_phone)),
            ("fax", finish_text(&mut self.fax)),
            ("email", finish_text(&mut self.email)),
            ("wechat", finish_text(&mut self.wechat)),
            ("qq", finish_text(&mut self.qq)),
            ("hobbies", finish_text(&mut self.hobbies)),
            ("native_place", finish_text(&mut self.native_place)),
            ("is_primary", Arc::new(self.is_primary.finish())),
            ("is_default", Arc::new(self.is_default.finish())),
            ("manager_code", finish_text(&mut self.manager_code)),
            ("manager_name", finish_text(&mut self.manager_name)),
            ("owner_code", finish_text(&mut self.owner_code)),
            ("owner_name", finish_text(&mut self.owner_name)),
            ("raw", finish_text(&mut self.raw)),
        ]);
        add_key_columns(Dataset::Contacts, &mut columns, ctx.default_region);
        add_row_hash(Dataset::Contacts, &mut columns);
        assemble(Dataset::Contacts, columns)
    }
}
