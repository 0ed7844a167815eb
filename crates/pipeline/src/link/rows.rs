//! `customer_links` batches: the links whose left customer is in one (source, tenant).

use std::sync::Arc;

use arrow::array::{
    ArrayRef, DictionaryArray, Float64Builder, Int32Array, RecordBatch, StringArray, StringBuilder,
    TimestampMicrosecondArray,
};
use arrow::datatypes::Int32Type;
use arrow::error::ArrowError;
use chrono::{DateTime, Utc};
use custlake_schema::Dataset;

use crate::link::pairs::Link;

/// A (source, tenant) of the run: links name their customers by side index.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Side {
    /// `yonyou_u8` or `yeastar_ycm`.
    pub(crate) source: String,
    /// The configured source name.
    pub(crate) tenant: String,
}

/// Collects the links of one left side and turns them into `customer_links` batches.
pub(crate) struct LinkRows {
    left: Side,
    rows: usize,
    right_source: StringBuilder,
    right_tenant: StringBuilder,
    left_customer_id: StringBuilder,
    right_customer_id: StringBuilder,
    match_key: StringBuilder,
    match_value: StringBuilder,
    confidence: Float64Builder,
}

impl LinkRows {
    /// An empty set of rows whose left customers are in `left`.
    pub(crate) fn new(left: Side) -> Self {
        Self {
            left,
            rows: 0,
            right_source: StringBuilder::new(),
            right_tenant: StringBuilder::new(),
            left_customer_id: StringBuilder::new(),
            right_customer_id: StringBuilder::new(),
            match_key: StringBuilder::new(),
            match_value: StringBuilder::new(),
            confidence: Float64Builder::new(),
        }
    }

    /// Rows added since the last batch.
    pub(crate) fn len(&self) -> usize {
        self.rows
    }

    /// Adds `link`, whose right customer is in `right`.
    pub(crate) fn push(&mut self, link: &Link, right: &Side) {
        self.rows += 1;
        self.right_source.append_value(&right.source);
        self.right_tenant.append_value(&right.tenant);
        self.left_customer_id.append_value(&link.left_customer_id);
        self.right_customer_id.append_value(&link.right_customer_id);
        self.match_key.append_value(link.match_key.as_str());
        self.match_value.append_value(&link.match_value);
        self.confidence.append_value(link.confidence);
    }

    /// The rows so far as one batch of today's `customer_links` schema; empties the rows.
    pub(crate) fn batch(
        &mut self,
        run_id: &str,
        extracted_at: DateTime<Utc>,
    ) -> Result<RecordBatch, ArrowError> {
        let rows = std::mem::take(&mut self.rows);
        let constant = |value: &str| -> ArrayRef {
            Arc::new(DictionaryArray::<Int32Type>::new(
                Int32Array::from(vec![0; rows]),
                Arc::new(StringArray::from(vec![value])),
            ))
        };
        let repeated = |value: &str| -> ArrayRef {
            Arc::new(StringArray::from_iter_values(std::iter::repeat_n(
                value, rows,
            )))
        };
        let columns: Vec<ArrayRef> = vec![
            constant(&self.left.source),
            constant(&self.left.tenant),
            repeated(&self.left.source),
            repeated(&self.left.tenant),
            Arc::new(self.left_customer_id.finish()),
            Arc::new(self.right_source.finish()),
            Arc::new(self.right_tenant.finish()),
            Arc::new(self.right_customer_id.finish()),
            Arc::new(self.match_key.finish()),
            Arc::new(self.match_value.finish()),
            Arc::new(self.confidence.finish()),
            Arc::new(
                TimestampMicrosecondArray::from(vec![extracted_at.timestamp_micros(); rows])
                    .with_timezone("UTC"),
            ),
            repeated(run_id),
        ];
        RecordBatch::try_new(Dataset::CustomerLinks.schema(), columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::pairs::MatchKey;

    #[test]
    fn a_batch_has_the_datasets_schema_and_the_left_side_in_every_row() {
        let left = Side {
            source: "yonyou_u8".into(),
            tenant: "a".into(),
        };
        let right = Side {
            source: "yeastar_ycm".into(),
            tenant: "y".into(),
        };
        let mut rows = LinkRows::new(left);
        let link = Link {
            left_side: 0,
            left_customer_id: "c1".into(),
            right_side: 1,
            right_customer_id: "9".into(),
            match_key: MatchKey::Mobile,
            match_value: "+8613811388661".into(),
            confidence: 1.0,
        };
        rows.push(&link, &right);
        rows.push(&link, &right);
        let batch = rows.batch("run-1", Utc::now()).expect("batch");
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.schema(), Dataset::CustomerLinks.schema());
        assert_eq!(rows.len(), 0);
        assert_eq!(
            rows.batch("run-1", Utc::now()).expect("empty").num_rows(),
            0
        );
    }
}
