//! A plain-JSON description of every dataset, for `custlake schema` and for documentation.
//!
//! Types are spelled exactly as pyarrow prints them, so what a user reads here is what
//! `pq.read_schema(...)` shows them.

use arrow_schema::{DataType, TimeUnit};
use serde_json::{Value, json};

use crate::SCHEMA_VERSION;
use crate::datasets::{DESCRIPTION_KEY, Dataset};
use crate::file_layout::PARTITION_COLUMNS;

/// `{"schema_version": 2, "datasets": {"customers": [{name, type, stored_in, nullable,
/// description}, …], "contacts": […], "rejects": […]}}`, columns in schema order. `stored_in` is
/// `file`, or `path` for the partition columns (`source=…/tenant=…`), which the files leave out.
pub fn describe_json() -> Value {
    let mut datasets = serde_json::Map::new();
    for dataset in Dataset::ALL.into_iter().chain(Dataset::HISTORIES) {
        let schema = dataset.schema();
        let columns: Vec<Value> = schema
            .fields()
            .iter()
            .map(|field| {
                // Partition columns are in the folder names, where readers find them as strings.
                let (ty, stored_in) = if PARTITION_COLUMNS.contains(&field.name().as_str()) {
                    ("string".to_owned(), "path")
                } else {
                    (pyarrow_type(field.data_type()), "file")
                };
                json!({
                    "name": field.name(),
                    "type": ty,
                    "stored_in": stored_in,
                    "nullable": field.is_nullable(),
                    "description": field.metadata().get(DESCRIPTION_KEY).map(String::as_str).unwrap_or(""),
                })
            })
            .collect();
        datasets.insert(dataset.as_str().to_owned(), Value::Array(columns));
    }
    json!({ "schema_version": SCHEMA_VERSION, "datasets": datasets })
}

/// An Arrow type as pyarrow prints it (`string`, `timestamp[us, tz=UTC]`, `map<string, string>`,
/// `dictionary<values=string, indices=int32, ordered=0>`, …).
pub fn pyarrow_type(data_type: &DataType) -> String {
    match data_type {
        DataType::Utf8 => "string".into(),
        DataType::LargeUtf8 => "large_string".into(),
        DataType::Utf8View => "string_view".into(),
        DataType::Boolean => "bool".into(),
        DataType::Int8 => "int8".into(),
        DataType::Int16 => "int16".into(),
        DataType::Int32 => "int32".into(),
        DataType::Int64 => "int64".into(),
        DataType::UInt8 => "uint8".into(),
        DataType::UInt16 => "uint16".into(),
        DataType::UInt32 => "uint32".into(),
        DataType::UInt64 => "uint64".into(),
        DataType::Float32 => "float".into(),
        DataType::Float64 => "double".into(),
        DataType::Date32 => "date32[day]".into(),
        DataType::Date64 => "date64[ms]".into(),
        DataType::Timestamp(unit, tz) => {
            let unit = time_unit(*unit);
            match tz {
                Some(tz) => format!("timestamp[{unit}, tz={tz}]"),
                None => format!("timestamp[{unit}]"),
            }
        }
        DataType::Dictionary(keys, values) => format!(
            "dictionary<values={}, indices={}, ordered=0>",
            pyarrow_type(values),
            pyarrow_type(keys)
        ),
        DataType::Map(entries, sorted) => match entries.data_type() {
            DataType::Struct(fields) if fields.len() == 2 => format!(
                "map<{}, {}{}>",
                pyarrow_type(fields[0].data_type()),
                pyarrow_type(fields[1].data_type()),
                if *sorted { ", keys_sorted" } else { "" }
            ),
            other => format!("map<{}>", pyarrow_type(other)),
        },
        DataType::List(item) => {
            format!("list<{}: {}>", item.name(), pyarrow_type(item.data_type()))
        }
        other => other.to_string().to_lowercase(),
    }
}

fn time_unit(unit: TimeUnit) -> &'static str {
    match unit {
        TimeUnit::Second => "s",
        TimeUnit::Millisecond => "ms",
        TimeUnit::Microsecond => "us",
        TimeUnit::Nanosecond => "ns",
    }
}
