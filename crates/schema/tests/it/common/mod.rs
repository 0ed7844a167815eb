//! Helpers shared by the integration tests: contexts, fixtures and a JSON view of a batch row.

#![allow(dead_code)]

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Int32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use chrono::{DateTime, SecondsFormat, Utc};
use custlake_schema::{MapContext, SourceKind};
use serde_json::{Map, Value};

/// The instant every test run "extracted" at.
pub const EXTRACTED_AT: &str = "2024-05-01T08:00:00Z";

pub fn extracted_at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(EXTRACTED_AT)
        .expect("valid constant")
        .with_timezone(&Utc)
}

pub fn ctx(source: SourceKind, tenant: &str) -> MapContext {
    MapContext::new(source, tenant, "run-test", extracted_at())
}

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// Row `row` of `batch` as a JSON object keyed by column name: text as strings, dates as
/// `YYYY-MM-DD`, timestamps as RFC 3339 UTC, maps as objects, nulls as null.
pub fn row_json(batch: &RecordBatch, row: usize) -> Value {
    let mut out = Map::new();
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        out.insert(field.name().clone(), cell(column.as_ref(), row));
    }
    Value::Object(out)
}

/// Every row of `batch`, as [`row_json`].
pub fn rows_json(batch: &RecordBatch) -> Vec<Value> {
    (0..batch.num_rows())
        .map(|row| row_json(batch, row))
        .collect()
}

fn cell(column: &dyn Array, row: usize) -> Value {
    if column.is_null(row) {
        return Value::Null;
    }
    match column.data_type() {
        DataType::Utf8 => Value::from(column.as_string::<i32>().value(row)),
        DataType::Boolean => Value::from(column.as_boolean().value(row)),
        DataType::Int64 => Value::from(column.as_primitive::<Int64Type>().value(row)),
        DataType::Date32 => {
            let date = column
                .as_primitive::<Date32Type>()
                .value_as_date(row)
                .expect("date in range");
            Value::from(date.format("%Y-%m-%d").to_string())
        }
        DataType::Timestamp(_, _) => {
            let micros = column.as_primitive::<TimestampMicrosecondType>().value(row);
            let at = DateTime::<Utc>::from_timestamp_micros(micros).expect("timestamp in range");
            Value::from(at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        }
        DataType::Dictionary(_, _) => {
            let dict = column.as_dictionary::<Int32Type>();
            let key = usize::try_from(dict.keys().value(row)).expect("non-negative key");
            cell(dict.values().as_ref(), key)
        }
        DataType::Map(_, _) => {
            let map = column.as_map();
            let entries = map.value(row);
            let keys = entries.column(0).as_string::<i32>();
            let values = entries.column(1);
            let mut out = Map::new();
            for i in 0..entries.len() {
                out.insert(keys.value(i).to_owned(), cell(values.as_ref(), i));
            }
            Value::Object(out)
        }
        other => panic!("unexpected column type {other}"),
    }
}

/// Asserts `actual` (a [`row_json`]) has exactly the columns of `expected` (besides `row_hash`)
/// with equal values, except `raw`: there `expected` holds the record as JSON, and the actual text must parse to
/// it and appear verbatim in `fixture` (the vendor's bytes, untouched).
pub fn assert_row(actual: &Value, expected: &Value, fixture: &str) {
    let actual = actual.as_object().expect("row is an object");
    let expected = expected.as_object().expect("expected row is an object");
    // `row_hash` is a fingerprint, not a mapped value; its properties are tested in
    // `properties.rs` (equal for equal business columns, different otherwise).
    assert!(actual["row_hash"].is_i64(), "row_hash is an integer");
    let actual_columns: Vec<&String> = actual.keys().filter(|k| *k != "row_hash").collect();
    let expected_columns: Vec<&String> = expected.keys().collect();
    assert_eq!(actual_columns, expected_columns, "column sets differ");
    for (column, want) in expected {
        let got = &actual[column];
        if column == "raw" && !want.is_null() {
            let raw = got.as_str().expect("raw is text");
            assert!(
                fixture.contains(raw),
                "raw is not verbatim from the fixture: {raw}"
            );
            let parsed: Value = serde_json::from_str(raw).expect("raw is JSON");
            assert_eq!(&parsed, want, "raw parses to something else");
        } else {
            assert_eq!(got, want, "column {column}");
        }
    }
}
