//! The content hash of a snapshot: what lets a run keep the previous files when the data did not
//! change (YCM, which has no change filter, and every other full snapshot).
//!
//! The hash covers every column except the ones that change with each run by design (`run_id`,
//! `extracted_at`), and does not depend on row order: pages arrive concurrently, so two runs over
//! the same data write the same rows in different orders. Each row is encoded with Arrow's row
//! format (a canonical byte form of all its values, maps and dictionaries included), hashed
//! with xxh3-128, and the row hashes are summed; the schema's names and types, and the schema
//! version (which says how files are laid out), are hashed in.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use arrow::row::{RowConverter, SortField};
use xxhash_rust::xxh3::xxh3_128;

use crate::write::SinkError;

/// Columns left out of the hash: they differ on every run even when the data does not.
const RUN_SPECIFIC_COLUMNS: &[&str] = &["run_id", "extracted_at"];

/// Accumulates the content hash of the batches of one snapshot.
pub struct ContentHasher {
    converter: RowConverter,
    columns: Vec<usize>,
    schema_hash: u128,
    sum: u128,
    rows: u64,
}

impl ContentHasher {
    /// A hasher for batches of `schema`.
    pub fn new(schema: &SchemaRef) -> Result<Self, SinkError> {
        let mut columns = Vec::new();
        let mut fields = Vec::new();
        // The files' layout version is hashed in, so the first run of a version that lays files
        // out differently republishes every partition instead of keeping old-layout files.
        let mut described = format!("layout:v{};", custlake_schema::SCHEMA_VERSION);
        for (i, field) in schema.fields().iter().enumerate() {
            if RUN_SPECIFIC_COLUMNS.contains(&field.name().as_str()) {
                continue;
            }
            columns.push(i);
            fields.push(SortField::new(field.data_type().clone()));
            described.push_str(&format!("{}:{};", field.name(), field.data_type()));
        }
        let converter = RowConverter::new(fields).map_err(|e| SinkError::ContentHash {
            detail: e.to_string(),
        })?;
        Ok(Self {
            converter,
            columns,
            schema_hash: xxh3_128(described.as_bytes()),
            sum: 0,
            rows: 0,
        })
    }

    /// Adds the rows of `batch`.
    pub fn update(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        let arrays: Vec<_> = self
            .columns
            .iter()
            .map(|&i| batch.column(i).clone())
            .collect();
        let rows = self
            .converter
            .convert_columns(&arrays)
            .map_err(|e| SinkError::ContentHash {
                detail: e.to_string(),
            })?;
        for row in rows.iter() {
            self.sum = self.sum.wrapping_add(xxh3_128(row.as_ref()));
        }
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// The hash of everything added: `xxh3-128-sum:<hex>` (row count and schema included).
    pub fn finish(&self) -> String {
        let mut tail = [0u8; 40];
        tail[..16].copy_from_slice(&self.schema_hash.to_le_bytes());
        tail[16..32].copy_from_slice(&self.sum.to_le_bytes());
        tail[32..].copy_from_slice(&self.rows.to_le_bytes());
        format!("xxh3-128-sum:{:032x}", xxh3_128(&tail))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn batch(ids: &[i64], run: &str) -> Result<RecordBatch, Box<dyn std::error::Error>> {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("run_id", DataType::Utf8, false),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(ids.to_vec())),
            Arc::new(StringArray::from(vec![run; ids.len()])),
        ];
        Ok(RecordBatch::try_new(schema, columns)?)
    }

    fn hash(batches: &[RecordBatch]) -> Result<String, Box<dyn std::error::Error>> {
        let mut hasher = ContentHasher::new(&batches[0].schema())?;
        for b in batches {
            hasher.update(b)?;
        }
        Ok(hasher.finish())
    }

    #[test]
    fn order_and_run_columns_do_not_matter_but_values_do() -> Result<(), Box<dyn std::error::Error>>
    {
        let a = hash(&[batch(&[1, 2], "r1")?, batch(&[3], "r1")?])?;
        let b = hash(&[batch(&[3, 1], "r2")?, batch(&[2], "r2")?])?;
        assert_eq!(a, b);
        assert_ne!(a, hash(&[batch(&[1, 2, 4], "r1")?])?);
        assert_ne!(a, hash(&[batch(&[1, 2, 3, 3], "r1")?])?);
        assert!(a.starts_with("xxh3-128-sum:"));
        Ok(())
    }
}
