//! Pieces every dataset builder shares: the per-run constant columns, the `map<utf8, utf8>`
//! column and the final assembly of a `RecordBatch`.
//!
//! `source`, `tenant`, `extracted_at` and `run_id` are the same for every row of one mapping
//! call, so they are not appended row by row: they are made once per batch at `finish` (the
//! partition columns as all-zero keys over a one-entry dictionary).

use std::sync::Arc;

use arrow_array::builder::{ArrayBuilder, StringBuilder};
use arrow_array::{
    ArrayRef, MapArray, RecordBatch, StringArray, StructArray, TimestampMicrosecondArray,
};
use arrow_buffer::{NullBufferBuilder, OffsetBuffer, ScalarBuffer};

use crate::MapContext;
use crate::datasets::{Dataset, UTC, map_entries_field, map_entry_fields};
use crate::file_layout::partition_column;

/// `source`, `tenant`, `extracted_at` and `run_id` for `rows` rows of one mapping context.
pub(crate) fn run_columns(ctx: &MapContext, rows: usize) -> [(&'static str, ArrayRef); 4] {
    [
        ("source", partition_column(ctx.source.as_str(), rows)),
        ("tenant", partition_column(&ctx.tenant, rows)),
        (
            "extracted_at",
            Arc::new(
                TimestampMicrosecondArray::from(vec![ctx.extracted_at.timestamp_micros(); rows])
                    .with_timezone(UTC),
            ),
        ),
        (
            "run_id",
            Arc::new(StringArray::from_iter_values(std::iter::repeat_n(
                ctx.run_id.as_str(),
                rows,
            ))),
        ),
    ]
}

/// Puts the named columns into the dataset's schema order and makes the batch.
///
/// Every builder appends exactly one value per row to each of its columns and names each
/// column after the schema field it fills, so the batch always matches the schema: a failure
/// here is a bug in this crate (caught by its tests), never a consequence of vendor data.
pub(crate) fn assemble(dataset: Dataset, columns: Vec<(&'static str, ArrayRef)>) -> RecordBatch {
    let schema = dataset.schema();
    let mut ordered = Vec::with_capacity(schema.fields().len());
    let mut columns: Vec<Option<(&'static str, ArrayRef)>> =
        columns.into_iter().map(Some).collect();
    for field in schema.fields() {
        let found = columns
            .iter_mut()
            .find(|c| c.as_ref().is_some_and(|(name, _)| *name == field.name()))
            .and_then(Option::take);
        match found {
            Some((_, array)) => ordered.push(array),
            None => panic!(
                "custlake-schema bug: {dataset} builder has no column {:?}",
                field.name()
            ),
        }
    }
    match RecordBatch::try_new(schema, ordered) {
        Ok(batch) => batch,
        Err(error) => {
            panic!("custlake-schema bug: {dataset} batch does not match its schema: {error}")
        }
    }
}

/// Builds a `map<utf8, utf8>` column (custom fields) without per-entry allocation.
#[derive(Debug)]
pub(crate) struct StringMapBuilder {
    keys: StringBuilder,
    values: StringBuilder,
    offsets: Vec<i32>,
    validity: NullBufferBuilder,
}

impl StringMapBuilder {
    pub(crate) fn with_capacity(rows: usize, entries: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Self {
            keys: StringBuilder::with_capacity(entries, entries * 12),
            values: StringBuilder::with_capacity(entries, entries * 16),
            offsets,
            validity: NullBufferBuilder::new(rows),
        }
    }

    /// Appends one row: a map of `entries`, or null when `entries` is `None`.
    pub(crate) fn append(&mut self, entries: Option<&[(&str, &str)]>) {
        match entries {
            Some(entries) => {
                for (key, value) in entries {
                    self.keys.append_value(key);
                    self.values.append_value(value);
                }
                self.validity.append_non_null();
            }
            None => self.validity.append_null(),
        }
        // Offsets are i32 as in every Arrow map; a batch stays far below 2^31 entries.
        let end = i32::try_from(self.keys.len()).unwrap_or(i32::MAX);
        self.offsets.push(end);
    }

    pub(crate) fn finish(&mut self) -> ArrayRef {
        let keys: ArrayRef = Arc::new(self.keys.finish());
        let values: ArrayRef = Arc::new(self.values.finish());
        let entries = StructArray::new(map_entry_fields(), vec![keys, values], None);
        let offsets = std::mem::replace(&mut self.offsets, vec![0]);
        let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
        let nulls = self.validity.finish();
        match MapArray::try_new(map_entries_field(), offsets, entries, nulls, false) {
            Ok(map) => Arc::new(map),
            Err(error) => panic!("custlake-schema bug: custom_fields map is malformed: {error}"),
        }
    }
}
