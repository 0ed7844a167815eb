//! The `row_hash` column: one fingerprint of a keyed row's business columns, so a run can tell
//! an updated record from an unchanged one by reading two columns of the current files (key and
//! hash) instead of comparing whole rows.
//!
//! The hash covers every column of the dataset except those that change on every run or are
//! derived: the partition columns, `extracted_at`, `run_id`, `raw` (its key order may vary
//! between answers of the same record), the match keys (they follow the text columns and the
//! configured region) and `row_hash` itself. Each covered value is written into a buffer with
//! its column's position implied by the order, a null marker, and a length prefix for text, so
//! no two different rows encode alike; the buffer's xxh3-64 is stored as a signed integer
//! (Delta Lake, Spark and pandas have no unsigned 64-bit type).

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef, Int64Array, MapArray, RecordBatch, StringArray};
use arrow_schema::DataType;
use xxhash_rust::xxh3::xxh3_64;

use crate::datasets::Dataset;
use crate::match_columns::derived_columns;

/// The name of the column.
pub const ROW_HASH_COLUMN: &str = "row_hash";

/// Columns that never enter the hash besides the match keys.
const NOT_HASHED: [&str; 6] = [
    "source",
    "tenant",
    "extracted_at",
    "run_id",
    "raw",
    ROW_HASH_COLUMN,
];

/// Whether `dataset` rows carry a `row_hash` (the keyed datasets).
pub fn has_row_hash(dataset: Dataset) -> bool {
    matches!(dataset, Dataset::Customers | Dataset::Contacts)
}

/// The columns of `dataset` the hash covers, in schema order.
pub fn hashed_columns(dataset: Dataset) -> Vec<&'static str> {
    let derived = derived_columns(dataset);
    dataset
        .columns()
        .iter()
        .map(|c| c.name)
        .filter(|name| !NOT_HASHED.contains(name) && !derived.iter().any(|d| d.name == *name))
        .collect()
}

/// One covered column, downcast once per batch.
enum Values<'a> {
    Text(&'a StringArray),
    Flag(&'a arrow_array::BooleanArray),
    Number(&'a arrow_array::PrimitiveArray<Int64Type>),
    Day(&'a arrow_array::PrimitiveArray<Date32Type>),
    Instant(&'a arrow_array::PrimitiveArray<TimestampMicrosecondType>),
    Pairs(&'a MapArray),
    /// A type the unified schema does not use; hashed through its text form.
    Other(StringArray),
}

impl<'a> Values<'a> {
    fn of(array: &'a ArrayRef) -> Self {
        match array.data_type() {
            DataType::Utf8 => Self::Text(array.as_string::<i32>()),
            DataType::Boolean => Self::Flag(array.as_boolean()),
            DataType::Int64 => Self::Number(array.as_primitive::<Int64Type>()),
            DataType::Date32 => Self::Day(array.as_primitive::<Date32Type>()),
            DataType::Timestamp(arrow_schema::TimeUnit::Microsecond, _) => {
                Self::Instant(array.as_primitive::<TimestampMicrosecondType>())
            }
            DataType::Map(..) => Self::Pairs(array.as_map()),
            _ => Self::Other(match arrow_cast::cast(array, &DataType::Utf8) {
                Ok(text) => text.as_string::<i32>().clone(),
                Err(_) => StringArray::new_null(array.len()),
            }),
        }
    }

    /// Appends row `row`'s value to `out`: a null marker, then the value.
    fn encode(&self, row: usize, out: &mut Vec<u8>) {
        let valid = match self {
            Self::Text(a) => a.is_valid(row),
            Self::Flag(a) => a.is_valid(row),
            Self::Number(a) => a.is_valid(row),
            Self::Day(a) => a.is_valid(row),
            Self::Instant(a) => a.is_valid(row),
            Self::Pairs(a) => a.is_valid(row),
            Self::Other(a) => a.is_valid(row),
        };
        if !valid {
            out.push(0);
            return;
        }
        out.push(1);
        match self {
            Self::Text(a) => text(a.value(row), out),
            Self::Other(a) => text(a.value(row), out),
            Self::Flag(a) => out.push(u8::from(a.value(row))),
            Self::Number(a) => out.extend_from_slice(&a.value(row).to_le_bytes()),
            Self::Instant(a) => out.extend_from_slice(&a.value(row).to_le_bytes()),
            Self::Day(a) => out.extend_from_slice(&a.value(row).to_le_bytes()),
            Self::Pairs(a) => {
                let entries = a.value(row);
                let keys = entries.column(0).as_string::<i32>();
                let values = entries.column(1).as_string::<i32>();
                out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
                for i in 0..entries.len() {
                    text(keys.value(i), out);
                    match values.is_valid(i) {
                        true => {
                            out.push(1);
                            text(values.value(i), out);
                        }
                        false => out.push(0),
                    }
                }
            }
        }
    }
}

fn text(value: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    out.extend_from_slice(value.as_bytes());
}

/// The row hashes of `rows` rows whose covered columns are `columns` (every covered column of
/// the dataset, in [`hashed_columns`] order; a missing one hashes as null).
fn hash_rows(columns: &[Option<&ArrayRef>], rows: usize) -> Int64Array {
    let values: Vec<Option<Values<'_>>> = columns.iter().map(|c| c.map(Values::of)).collect();
    let mut buffer = Vec::with_capacity(512);
    let hashes = (0..rows).map(|row| {
        buffer.clear();
        for column in &values {
            match column {
                Some(column) => column.encode(row, &mut buffer),
                None => buffer.push(0),
            }
        }
        i64::from_le_bytes(xxh3_64(&buffer).to_le_bytes())
    });
    Int64Array::from_iter_values(hashes)
}

/// Adds the `row_hash` column to the named columns of a `dataset` batch being assembled.
pub(crate) fn add_row_hash(dataset: Dataset, columns: &mut Vec<(&'static str, ArrayRef)>) {
    if !has_row_hash(dataset) {
        return;
    }
    let rows = columns.first().map_or(0, |(_, array)| array.len());
    let covered: Vec<Option<&ArrayRef>> = hashed_columns(dataset)
        .into_iter()
        .map(|name| columns.iter().find(|(n, _)| *n == name).map(|(_, a)| a))
        .collect();
    let hashes: ArrayRef = Arc::new(hash_rows(&covered, rows));
    columns.push((ROW_HASH_COLUMN, hashes));
}

/// The row hashes of `batch` (a batch of `dataset` of any schema version, its columns already
/// in today's types), for files written before the column existed.
pub fn row_hashes_of(dataset: Dataset, batch: &RecordBatch) -> Int64Array {
    let covered: Vec<Option<&ArrayRef>> = hashed_columns(dataset)
        .into_iter()
        .map(|name| batch.column_by_name(name))
        .collect();
    hash_rows(&covered, batch.num_rows())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashes(columns: Vec<(&'static str, ArrayRef)>) -> Vec<i64> {
        let mut columns = columns;
        add_row_hash(Dataset::Customers, &mut columns);
        let (_, hashes) = columns.pop().expect("row_hash added");
        hashes.as_primitive::<Int64Type>().values().to_vec()
    }

    fn text(values: Vec<Option<&str>>) -> ArrayRef {
        Arc::new(StringArray::from(values))
    }

    #[test]
    fn the_hash_covers_business_columns_only() {
        let covered = hashed_columns(Dataset::Customers);
        for left_out in ["run_id", "extracted_at", "raw", "phone_e164", "source"] {
            assert!(!covered.contains(&left_out), "{left_out}");
        }
        for kept in [
            "customer_id",
            "name",
            "phone",
            "custom_fields",
            "source_version",
        ] {
            assert!(covered.contains(&kept), "{kept}");
        }
    }

    #[test]
    fn equal_rows_hash_alike_and_any_difference_changes_the_hash() {
        let rows = hashes(vec![
            (
                "customer_id",
                text(vec![Some("1"), Some("1"), Some("1"), Some("1")]),
            ),
            ("name", text(vec![Some("ab"), Some("ab"), Some("a"), None])),
            (
                "short_name",
                text(vec![Some("c"), Some("c"), Some("bc"), Some("")]),
            ),
            (
                "raw",
                text(vec![Some("{\"a\":1}"), Some("{\"b\":2}"), None, None]),
            ),
        ]);
        assert_eq!(rows[0], rows[1], "raw is not hashed");
        assert_ne!(
            rows[0], rows[2],
            "moving text between columns changes the hash"
        );
        assert_ne!(rows[2], rows[3]);
        let empty_vs_null = hashes(vec![
            ("customer_id", text(vec![Some("1"), Some("1")])),
            ("name", text(vec![Some(""), None])),
        ]);
        assert_ne!(empty_vs_null[0], empty_vs_null[1], "empty text is not null");
    }
}
