//! What a dataset file holds, as opposed to a dataset batch: the partition columns live in the
//! folder names, not in the files.
//!
//! Every batch in memory has `source` and `tenant` (they are part of each key), but the files
//! leave them out and the `source=<vendor>/tenant=<name>` folders carry them, as Spark and Delta
//! Lake write partitioned tables. Readers that infer Hive partitions disagree on the type they
//! give a partition column — pyarrow's `pq.read_table` and pandas infer a dictionary,
//! `ds.dataset(…, partitioning="hive")` and Polars a string — and refuse to merge it with a
//! column of another type in the files, so a column that is both in the path and in the file
//! breaks one of them whatever its type. Leaving it out of the files satisfies all of them.
//!
//! Files written by schema version 1 still hold both columns (as dictionaries), and files
//! older than version 3 have no match-key columns; reading any version back goes through
//! [`dataset_batch_from_file`], which rebuilds today's batch from the partition the file sits in
//! and derives the missing keys from their text columns and the `row_hash` files older than
//! version 4 lack from the columns it covers.

use std::sync::{Arc, LazyLock};

use arrow_array::types::Int32Type;
use arrow_array::{
    Array, ArrayRef, DictionaryArray, Int32Array, RecordBatch, StringArray, new_null_array,
};
use arrow_schema::{ArrowError, Field, Schema, SchemaRef};

use crate::datasets::Dataset;
use crate::match_columns::{derive_from_batch, derived_columns, region_of};
use crate::row_hash::{ROW_HASH_COLUMN, row_hashes_of};

/// The columns whose values are the Hive partition folders (`source=…/tenant=…`): in every
/// batch, never in a file written since schema version 2.
pub const PARTITION_COLUMNS: [&str; 2] = ["source", "tenant"];

/// A file batch that cannot be turned back into a dataset batch.
#[derive(Debug, thiserror::Error)]
pub enum FileBatchError {
    /// A column of the dataset is neither in the file nor a partition column.
    #[error(
        "the file has no column {column:?} of dataset {dataset}: it was not written by custlake, \
         or by a version newer than this one (upgrade custlake)"
    )]
    MissingColumn {
        /// The dataset being read.
        dataset: Dataset,
        /// The column that is missing.
        column: String,
    },
    /// A column of the file has a type that does not convert to the dataset's.
    #[error("column {column:?} of dataset {dataset} has an unexpected type: {error}")]
    Incompatible {
        /// The dataset being read.
        dataset: Dataset,
        /// The column whose type is wrong.
        column: String,
        /// What the conversion said.
        error: ArrowError,
    },
}

/// The schema of the files `schema`'s batches are written to: `schema` without the partition
/// columns (field metadata and schema metadata kept), plus the indices of the columns kept.
pub fn file_schema(schema: &SchemaRef) -> (SchemaRef, Vec<usize>) {
    let kept: Vec<usize> = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, field)| !PARTITION_COLUMNS.contains(&field.name().as_str()))
        .map(|(index, _)| index)
        .collect();
    let fields: Vec<_> = kept.iter().map(|&i| schema.field(i).clone()).collect();
    let file = Schema::new_with_metadata(fields, schema.metadata().clone());
    (Arc::new(file), kept)
}

impl Dataset {
    /// The Arrow schema of this dataset's files (see the module docs): [`Dataset::schema`]
    /// without `source` and `tenant`.
    pub fn file_schema(&self) -> SchemaRef {
        static FILE_SCHEMAS: LazyLock<[SchemaRef; 6]> = LazyLock::new(|| {
            [
                Dataset::Customers,
                Dataset::Contacts,
                Dataset::Rejects,
                Dataset::CustomerLinks,
                Dataset::CustomersHistory,
                Dataset::ContactsHistory,
            ]
            .map(|dataset| file_schema(&dataset.schema()).0)
        });
        match self {
            Dataset::Customers => FILE_SCHEMAS[0].clone(),
            Dataset::Contacts => FILE_SCHEMAS[1].clone(),
            Dataset::Rejects => FILE_SCHEMAS[2].clone(),
            Dataset::CustomerLinks => FILE_SCHEMAS[3].clone(),
            Dataset::CustomersHistory => FILE_SCHEMAS[4].clone(),
            Dataset::ContactsHistory => FILE_SCHEMAS[5].clone(),
        }
    }
}

/// Rebuilds a batch of `dataset` (today's [`Dataset::schema`]) from `batch`, read from a file of
/// any schema version in the partition (`source`, `tenant`): the partition columns come from
/// the partition (a version-1 file's own copies are ignored; they hold the same values), every
/// other column from the file, converted to today's type where it differs.
pub fn dataset_batch_from_file(
    dataset: Dataset,
    batch: &RecordBatch,
    source: &str,
    tenant: &str,
) -> Result<RecordBatch, FileBatchError> {
    let schema = dataset.schema();
    let rows = batch.num_rows();
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let name = field.name().as_str();
        let column = match name {
            "source" => partition_column(source, rows),
            "tenant" => partition_column(tenant, rows),
            _ => {
                let Some(found) = batch.column_by_name(name) else {
                    if name == ROW_HASH_COLUMN {
                        columns.push(hash_of_assembled(dataset, &schema, &columns));
                    } else {
                        columns.push(missing_column(dataset, field, batch, source)?);
                    }
                    continue;
                };
                if found.data_type() == field.data_type() {
                    found.clone()
                } else {
                    arrow_cast::cast(found, field.data_type()).map_err(|error| {
                        FileBatchError::Incompatible {
                            dataset,
                            column: name.to_owned(),
                            error,
                        }
                    })?
                }
            }
        };
        columns.push(column);
    }
    RecordBatch::try_new(schema, columns).map_err(|error| FileBatchError::Incompatible {
        dataset,
        column: String::new(),
        error,
    })
}

/// The `row_hash` of a file written before it existed, from the columns rebuilt so far (every
/// column it covers comes before it in the schema).
fn hash_of_assembled(dataset: Dataset, schema: &SchemaRef, columns: &[ArrayRef]) -> ArrayRef {
    let fields: Vec<Field> = schema.fields()[..columns.len()]
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    let rows = columns.first().map_or(0, |c| c.len());
    let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(rows));
    match RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        columns.to_vec(),
        &options,
    ) {
        Ok(batch) => Arc::new(row_hashes_of(dataset, &batch)),
        // Every rebuilt column has its field's type; unreachable, kept total.
        Err(_) => Arc::new(arrow_array::Int64Array::from(vec![0; rows])),
    }
}

/// A column an older file does not have: a match key is derived from its text column (with the
/// vendor's default region), another nullable column is null; a required one is an error.
fn missing_column(
    dataset: Dataset,
    field: &Field,
    batch: &RecordBatch,
    source: &str,
) -> Result<ArrayRef, FileBatchError> {
    let name = field.name().as_str();
    let missing = || FileBatchError::MissingColumn {
        dataset,
        column: name.to_owned(),
    };
    if !field.is_nullable() {
        return Err(missing());
    }
    let derived = derived_columns(dataset).iter().find(|c| c.name == name);
    let keys = match derived {
        Some(column) => derive_from_batch(column, batch, region_of(source)).map_err(|error| {
            FileBatchError::Incompatible {
                dataset,
                column: column.from.to_owned(),
                error,
            }
        })?,
        None => None,
    };
    Ok(keys.unwrap_or_else(|| new_null_array(field.data_type(), batch.num_rows())))
}

/// A partition column of `rows` rows: all-zero keys over a one-entry dictionary.
pub(crate) fn partition_column(value: &str, rows: usize) -> ArrayRef {
    let keys = Int32Array::from(vec![0; rows]);
    let values: ArrayRef = Arc::new(StringArray::from_iter_values([value]));
    Arc::new(DictionaryArray::<Int32Type>::new(keys, values))
}

#[cfg(test)]
mod tests {
    use arrow_array::TimestampMicrosecondArray;
    use arrow_array::cast::AsArray;
    use arrow_schema::DataType;

    use super::*;

    fn text(batch: &RecordBatch, name: &str) -> Vec<String> {
        let column = batch.column_by_name(name).expect("column");
        let text = arrow_cast::cast(column, &DataType::Utf8).expect("text");
        let text = text.as_string::<i32>();
        (0..text.len()).map(|i| text.value(i).to_owned()).collect()
    }

    /// Two rows of `dataset` (as version 1 wrote them: every column), values in the required
    /// columns, nulls elsewhere.
    fn sample(dataset: Dataset) -> RecordBatch {
        let schema = dataset.schema();
        let columns = schema
            .fields()
            .iter()
            .map(|field| -> ArrayRef {
                match field.data_type() {
                    DataType::Utf8 => Arc::new(StringArray::from(vec!["x", "y"])),
                    DataType::Dictionary(..) => partition_column("old", 2),
                    DataType::Timestamp(_, _) if !field.is_nullable() => {
                        Arc::new(TimestampMicrosecondArray::from(vec![0, 0]).with_timezone("UTC"))
                    }
                    DataType::Int64 if !field.is_nullable() => {
                        Arc::new(arrow_array::Int64Array::from(vec![7, 8]))
                    }
                    other => arrow_array::new_null_array(other, 2),
                }
            })
            .collect();
        RecordBatch::try_new(schema, columns).expect("sample batch")
    }

    #[test]
    fn file_schemas_leave_out_exactly_the_partition_columns() {
        for dataset in Dataset::ALL {
            let full = dataset.schema();
            let file = dataset.file_schema();
            assert_eq!(file.fields().len() + 2, full.fields().len(), "{dataset}");
            for name in PARTITION_COLUMNS {
                assert!(full.field_with_name(name).is_ok());
                assert!(file.field_with_name(name).is_err(), "{dataset}.{name}");
            }
            assert_eq!(file.metadata(), full.metadata());
        }
    }

    #[test]
    fn a_file_batch_gets_its_partition_columns_back() {
        let (file, kept) = file_schema(&Dataset::Customers.schema());
        let batch = sample(Dataset::Customers);
        let in_file = RecordBatch::try_new(
            file,
            kept.iter().map(|&i| batch.column(i).clone()).collect(),
        )
        .expect("file batch");
        let back =
            dataset_batch_from_file(Dataset::Customers, &in_file, "yonyou_u8", "t1").expect("ok");
        assert_eq!(back.schema(), Dataset::Customers.schema());
        assert_eq!(text(&back, "source"), ["yonyou_u8", "yonyou_u8"]);
        assert_eq!(text(&back, "tenant"), ["t1", "t1"]);
    }

    #[test]
    fn a_version_1_file_batch_reads_with_the_partition_values() {
        // Version 1 wrote every column, the partition columns included.
        let batch = sample(Dataset::Rejects);
        let back =
            dataset_batch_from_file(Dataset::Rejects, &batch, "yeastar_ycm", "c").expect("ok");
        assert_eq!(text(&back, "source"), ["yeastar_ycm", "yeastar_ycm"]);
    }

    #[test]
    fn match_keys_missing_from_older_files_are_derived_from_their_text() {
        // A version-2 customers file: no partition columns, no match keys.
        let full = sample(Dataset::Customers);
        let old: Vec<(String, ArrayRef)> = full
            .schema()
            .fields()
            .iter()
            .zip(full.columns())
            .filter(|(f, _)| !f.name().ends_with("_e164") && f.name() != "email_normalized")
            .filter(|(f, _)| f.name() != ROW_HASH_COLUMN)
            .filter(|(f, _)| !PARTITION_COLUMNS.contains(&f.name().as_str()))
            .map(|(f, c)| {
                let column: ArrayRef = match f.name().as_str() {
                    "phone" => Arc::new(StringArray::from(vec!["010-62345678", "+49 30 901820"])),
                    _ => c.clone(),
                };
                (f.name().clone(), column)
            })
            .collect();
        let old = RecordBatch::try_from_iter(old).expect("old batch");
        let back = dataset_batch_from_file(Dataset::Customers, &old, "yonyou_u8", "t").expect("ok");
        assert_eq!(text(&back, "phone_e164"), ["+861062345678", "+4930901820"]);
        // The row hash is derived from the same columns the mapping hashes.
        let hashes = back.column_by_name(ROW_HASH_COLUMN).expect("row_hash");
        assert_eq!(hashes.as_ref(), &row_hashes_of(Dataset::Customers, &back));
        assert_ne!(
            hashes
                .as_primitive::<arrow_array::types::Int64Type>()
                .value(0),
            hashes
                .as_primitive::<arrow_array::types::Int64Type>()
                .value(1),
            "the rows differ in phone"
        );
        assert_eq!(
            back.column_by_name("email_normalized")
                .expect("column")
                .null_count(),
            2
        );
    }

    #[test]
    fn a_foreign_file_is_refused_naming_the_column() {
        let batch = RecordBatch::try_new(
            Arc::new(Schema::new(vec![arrow_schema::Field::new(
                "x",
                arrow_schema::DataType::Utf8,
                true,
            )])),
            vec![Arc::new(StringArray::from(vec!["a"]))],
        )
        .expect("batch");
        let error = dataset_batch_from_file(Dataset::Contacts, &batch, "yonyou_u8", "t")
            .expect_err("refused");
        assert!(error.to_string().contains("\"contact_id\""), "{error}");
    }
}
