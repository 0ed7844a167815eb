//! The `rejects` row type and its Arrow builder.
//!
//! A bad value never stops a run and never disappears silently: the mapping nulls the field
//! and appends a [`RejectRow`] here naming the record, the vendor field, the value and why.
//! A record that cannot be mapped at all (no key, or not decodable) becomes one reject with
//! `field` null and its raw JSON.

use arrow_array::builder::StringBuilder;
use arrow_array::{ArrayRef, RecordBatch};

use crate::MapContext;
use crate::common::{assemble, run_columns};
use crate::customers::finish_text;
use crate::datasets::Dataset;

/// One `rejects` row, without the per-run columns (source, tenant, extracted_at, run_id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectRow<'a> {
    /// The dataset the record was being mapped into.
    pub entity: Dataset,
    /// The record's key, when it has a usable one.
    pub record_key: Option<&'a str>,
    /// The vendor field at fault; `None` when the whole record was rejected.
    pub field: Option<&'a str>,
    /// The offending value as text.
    pub value: Option<&'a str>,
    /// Why, in words.
    pub reason: &'a str,
    /// The record's raw JSON (see the `raw` column description for when it is set).
    pub raw: Option<&'a str>,
}

/// Appends [`RejectRow`]s and finishes them as one `rejects` batch.
#[derive(Debug)]
pub struct RejectsBuilder {
    rows: usize,
    whole_records: usize,
    entity: StringBuilder,
    record_key: StringBuilder,
    field: StringBuilder,
    value: StringBuilder,
    reason: StringBuilder,
    raw: StringBuilder,
}

impl Default for RejectsBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl RejectsBuilder {
    /// An empty builder; rejects are rare, so it starts small and grows.
    pub fn new() -> Self {
        Self {
            rows: 0,
            whole_records: 0,
            entity: StringBuilder::new(),
            record_key: StringBuilder::new(),
            field: StringBuilder::new(),
            value: StringBuilder::new(),
            reason: StringBuilder::new(),
            raw: StringBuilder::new(),
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

    /// How many of the rows since the last `finish` reject a whole record (`field` null).
    pub fn whole_records(&self) -> usize {
        self.whole_records
    }

    /// Appends one row.
    pub fn append(&mut self, row: &RejectRow<'_>) {
        self.rows += 1;
        if row.field.is_none() {
            self.whole_records += 1;
        }
        self.entity.append_value(row.entity.as_str());
        self.record_key.append_option(row.record_key);
        self.field.append_option(row.field);
        self.value.append_option(row.value);
        self.reason.append_value(row.reason);
        self.raw.append_option(row.raw);
    }

    /// The rows appended so far as a `rejects` batch (with `ctx`'s per-run columns); the
    /// builder is empty afterwards.
    pub fn finish(&mut self, ctx: &MapContext) -> RecordBatch {
        let rows = std::mem::take(&mut self.rows);
        self.whole_records = 0;
        let mut columns: Vec<(&'static str, ArrayRef)> = run_columns(ctx, rows).into();
        columns.extend([
            ("entity", finish_text(&mut self.entity)),
            ("record_key", finish_text(&mut self.record_key)),
            ("field", finish_text(&mut self.field)),
            ("value", finish_text(&mut self.value)),
            ("reason", finish_text(&mut self.reason)),
            ("raw", finish_text(&mut self.raw)),
        ]);
        assemble(Dataset::Rejects, columns)
    }
}
