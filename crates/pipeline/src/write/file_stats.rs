//! Per-file column statistics in the form a Delta Lake `add` action carries them (`stats`:
//! `numRecords`, `minValues`, `maxValues`, `nullCount`), gathered from the Arrow batches as they
//! are written, so readers skip files by key or date without opening them.
//!
//! Only the first [`INDEXED_COLUMNS`] top-level columns get statistics (Delta's default
//! `dataSkippingNumIndexedCols`); min/max are kept for strings, integers, floats, dates and
//! timestamps; maps, booleans and the `raw` column only count nulls.

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::{max, max_string, min, min_string};
use arrow::datatypes::{
    DataType, Date32Type, Float64Type, Int32Type, Int64Type, SchemaRef, TimeUnit,
    TimestampMicrosecondType,
};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, NaiveDate};
use serde_json::{Map, Value, json};

/// Columns with statistics, as Delta's `dataSkippingNumIndexedCols` default.
const INDEXED_COLUMNS: usize = 32;

/// A string min/max longer than this is cut (Delta readers treat a cut max as open-ended by
/// the truncation rule below).
const MAX_STRING_STAT: usize = 64;

/// The running minimum or maximum of one column.
#[derive(Debug, Clone, PartialEq)]
enum Bound {
    Text(String),
    Int(i64),
    Float(f64),
}

/// Statistics of one column so far.
#[derive(Debug, Default)]
struct ColumnStats {
    nulls: u64,
    min: Option<Bound>,
    max: Option<Bound>,
}

/// Statistics of one file being written.
#[derive(Debug)]
pub(crate) struct FileStats {
    schema: SchemaRef,
    rows: u64,
    columns: Vec<ColumnStats>,
}

impl FileStats {
    /// Empty statistics for files of `schema`.
    pub(crate) fn new(schema: SchemaRef) -> Self {
        let columns = schema.fields().len().min(INDEXED_COLUMNS);
        Self {
            schema,
            rows: 0,
            columns: (0..columns).map(|_| ColumnStats::default()).collect(),
        }
    }

    /// Adds `batch` (of the file's schema).
    pub(crate) fn update(&mut self, batch: &RecordBatch) {
        self.rows += batch.num_rows() as u64;
        for (stats, column) in self.columns.iter_mut().zip(batch.columns()) {
            stats.nulls += column.null_count() as u64;
            if let Some((low, high)) = bounds(column) {
                merge(&mut stats.min, low, |new, old| new < old);
                merge(&mut stats.max, high, |new, old| new > old);
            }
        }
    }

    /// The `stats` JSON of an `add` action.
    pub(crate) fn to_json(&self) -> String {
        let mut min_values = Map::new();
        let mut max_values = Map::new();
        let mut null_count = Map::new();
        for (field, stats) in self.schema.fields().iter().zip(&self.columns) {
            null_count.insert(field.name().clone(), json!(stats.nulls));
            let kind = field.data_type();
            if let Some(value) = stats.min.as_ref().and_then(|b| stat_value(b, kind, false)) {
                min_values.insert(field.name().clone(), value);
            }
            if let Some(value) = stats.max.as_ref().and_then(|b| stat_value(b, kind, true)) {
                max_values.insert(field.name().clone(), value);
            }
        }
        json!({
            "numRecords": self.rows,
            "minValues": min_values,
            "maxValues": max_values,
            "nullCount": null_count,
        })
        .to_string()
    }
}

fn merge(slot: &mut Option<Bound>, candidate: Bound, better: impl Fn(&Bound, &Bound) -> bool) {
    match slot {
        Some(current) if !better(&candidate, current) => {}
        _ => *slot = Some(candidate),
    }
}

impl PartialOrd for Bound {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Bound::Text(a), Bound::Text(b)) => a.partial_cmp(b),
            (Bound::Int(a), Bound::Int(b)) => a.partial_cmp(b),
            (Bound::Float(a), Bound::Float(b)) => a.partial_cmp(b),
            _ => None,
        }
    }
}

/// The minimum and maximum of one batch's column, for the types that get them.
fn bounds(column: &ArrayRef) -> Option<(Bound, Bound)> {
    match column.data_type() {
        DataType::Utf8 => {
            let strings = column.as_string::<i32>();
            let low = min_string(strings)?;
            let high = max_string(strings)?;
            Some((Bound::Text(low.to_owned()), Bound::Text(high.to_owned())))
        }
        DataType::Int64 => {
            let values = column.as_primitive::<Int64Type>();
            Some((Bound::Int(min(values)?), Bound::Int(max(values)?)))
        }
        DataType::Int32 => {
            let values = column.as_primitive::<Int32Type>();
            Some((
                Bound::Int(i64::from(min(values)?)),
                Bound::Int(i64::from(max(values)?)),
            ))
        }
        DataType::Date32 => {
            let values = column.as_primitive::<Date32Type>();
            Some((
                Bound::Int(i64::from(min(values)?)),
                Bound::Int(i64::from(max(values)?)),
            ))
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            let values = column.as_primitive::<TimestampMicrosecondType>();
            Some((Bound::Int(min(values)?), Bound::Int(max(values)?)))
        }
        DataType::Float64 => {
            let values = column.as_primitive::<Float64Type>();
            let (low, high) = (min(values)?, max(values)?);
            (low.is_finite() && high.is_finite()).then_some((Bound::Float(low), Bound::Float(high)))
        }
        _ => None,
    }
}

/// A bound as Delta's stats JSON writes a value of column type `kind`. A long string is cut
/// to [`MAX_STRING_STAT`] characters; a cut maximum gets U+10FFFF appended so it stays an
/// upper bound (what Spark's Delta writer does).
fn stat_value(bound: &Bound, kind: &DataType, is_max: bool) -> Option<Value> {
    match (bound, kind) {
        (Bound::Text(text), _) => {
            let mut cut: String = text.chars().take(MAX_STRING_STAT).collect();
            if cut.len() < text.len() && is_max {
                cut.push(char::MAX);
            }
            Some(Value::String(cut))
        }
        (Bound::Int(days), DataType::Date32) => {
            let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
            let date = epoch.checked_add_signed(chrono::Duration::days(*days))?;
            Some(Value::String(date.format("%Y-%m-%d").to_string()))
        }
        (Bound::Int(micros), DataType::Timestamp(..)) => {
            // Delta's stats are millisecond precision: round the bounds outwards.
            let millis = if is_max {
                micros.div_euclid(1000) + i64::from(micros.rem_euclid(1000) != 0)
            } else {
                micros.div_euclid(1000)
            };
            let time = DateTime::from_timestamp_millis(millis)?;
            Some(Value::String(
                time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            ))
        }
        (Bound::Int(value), _) => Some(json!(value)),
        (Bound::Float(value), _) => Some(json!(value)),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Date32Array, Int64Array, StringArray, TimestampMicrosecondArray};
    use arrow::datatypes::{Field, Schema};

    use super::*;

    #[test]
    fn gathers_delta_stats_across_batches() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("version", DataType::Int64, true),
            Field::new("on", DataType::Date32, true),
            Field::new(
                "at",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                true,
            ),
        ]));
        let batch = |ids: Vec<&str>, versions: Vec<Option<i64>>, days: Vec<Option<i32>>| {
            let at: Vec<Option<i64>> = versions.iter().map(|v| v.map(|v| v * 1_000_001)).collect();
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(StringArray::from(ids)),
                    Arc::new(Int64Array::from(versions)),
                    Arc::new(Date32Array::from(days)),
                    Arc::new(TimestampMicrosecondArray::from(at).with_timezone("UTC")),
                ],
            )
            .expect("batch")
        };
        let mut stats = FileStats::new(schema.clone());
        stats.update(&batch(
            vec!["C2", "C5"],
            vec![Some(7), None],
            vec![Some(0), None],
        ));
        stats.update(&batch(
            vec!["C1", "C3"],
            vec![Some(3), Some(9)],
            vec![None, Some(31)],
        ));
        let json: Value = serde_json::from_str(&stats.to_json()).expect("json");
        assert_eq!(json["numRecords"], 4);
        assert_eq!(json["minValues"]["id"], "C1");
        assert_eq!(json["maxValues"]["id"], "C5");
        assert_eq!(json["minValues"]["version"], 3);
        assert_eq!(json["maxValues"]["version"], 9);
        assert_eq!(json["nullCount"]["version"], 1);
        assert_eq!(json["minValues"]["on"], "1970-01-01");
        assert_eq!(json["maxValues"]["on"], "1970-02-01");
        assert_eq!(json["nullCount"]["on"], 2);
        // 3_000_003 µs is 3000.003 ms: the minimum rounds down, 9_000_009 µs the maximum up.
        assert_eq!(json["minValues"]["at"], "1970-01-01T00:00:03.000Z");
        assert_eq!(json["maxValues"]["at"], "1970-01-01T00:00:09.001Z");
    }

    #[test]
    fn a_cut_maximum_stays_an_upper_bound() {
        let long = "x".repeat(100);
        let value = stat_value(&Bound::Text(long.clone()), &DataType::Utf8, true);
        let Some(Value::String(cut)) = value else {
            panic!("a string stat");
        };
        assert!(cut.as_str() > long.as_str());
        assert_eq!(cut.chars().count(), MAX_STRING_STAT + 1);
    }
}
