//! What survives when a partition's current files meet newer rows: the one merge step every
//! format shares. An upsert (an incremental run's re-fetched records), the fold of an older
//! output's increments, a compaction and the link step's reading of current customers all ask
//! it which rows of which file stay.
//!
//! Rows are taken from the current files and the increments in commit order (each increment
//! records its run's `sequence`):
//!
//! * an entity fetched **in full** by an increment (U8 contacts) replaces that entity's earlier
//!   rows;
//! * an entity fetched **as changes** (U8 customers) replaces, per key, the rows of the records
//!   it fetched again: a customer re-fetched by a later run keeps only its latest row — in
//!   `customers` and in `rejects` alike (a record fixed at the source loses its old rejects; a
//!   record that became unmappable loses its old customer row). Rejects without a key (records
//!   sent without their code) cannot be matched and are all kept.
//!
//! Rows are copied as they were written (their `run_id` and `extracted_at` say which run fetched
//! them). Memory holds the keys of the increments only, never the current files.

use std::collections::HashMap;

use arrow::array::{Array, AsArray, BooleanArray};
use arrow::compute::{cast, filter_record_batch};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use custlake_schema::{Dataset, SCHEMA_VERSION_KEY, dataset_batch_from_file};
use futures::StreamExt;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReaderBuilder, RowSelection};
use parquet::arrow::async_reader::ParquetRecordBatchStreamBuilder;
use tokio::sync::mpsc;

use crate::commit::catalog::{FetchKind, PartitionRecord};
use crate::table::error::TableError;
use crate::write::SinkError;
use crate::write::location::OutputLocation;
use crate::write::object_store::ObjectFileReader;
use crate::write::partition::{PartitionWriter, StagedPartition};
use crate::write::writers::{close_writer, spawn_writer};

/// Per entity fetched as changes: each key's latest increment `sequence`.
pub(crate) type ChangedKeys = HashMap<String, HashMap<String, u64>>;

/// Reads the keys of every record the source's increments fetched again as changes.
pub(crate) async fn changed_keys(
    location: &OutputLocation,
    records: &[PartitionRecord],
) -> Result<ChangedKeys, TableError> {
    let mut changed = ChangedKeys::new();
    for record in records {
        let fail = |error| TableError::Merge {
            partition: record.target().to_string(),
            error,
        };
        let Some(key_column) = key_column(&record.dataset) else {
            continue;
        };
        let rejects = record.dataset == Dataset::Rejects.as_str();
        for increment in &record.legacy.increments {
            let changes_of =
                |entity: &str| increment.entities.get(entity) == Some(&FetchKind::Changes);
            if !increment
                .entities
                .values()
                .any(|k| *k == FetchKind::Changes)
            {
                continue;
            }
            let columns: Vec<&str> = if rejects {
                vec!["entity", key_column]
            } else {
                vec![key_column]
            };
            for file in &increment.content.files {
                let mut batches = read_file(location, &file.path, Some(&columns))
                    .await
                    .map_err(fail)?;
                while let Some(batch) = batches.recv().await {
                    let batch = batch.map_err(fail)?;
                    let keys = text_column(&batch, key_column, &file.path).map_err(fail)?;
                    let entities = if rejects {
                        Some(text_column(&batch, "entity", &file.path).map_err(fail)?)
                    } else {
                        None
                    };
                    for row in 0..batch.num_rows() {
                        let entity = match &entities {
                            Some(e) => e.get(row).cloned().flatten(),
                            None => Some(record.dataset.clone()),
                        };
                        let (Some(entity), Some(Some(key))) = (entity, keys.get(row)) else {
                            continue;
                        };
                        if !changes_of(&entity) {
                            continue;
                        }
                        let latest = changed
                            .entry(entity)
                            .or_default()
                            .entry(key.clone())
                            .or_insert(0);
                        *latest = (*latest).max(increment.sequence);
                    }
                }
            }
        }
    }
    Ok(changed)
}

/// Which rows of one partition's files and increments survive a merge.
pub(crate) struct PartitionMerge<'a> {
    record: &'a PartitionRecord,
    dataset: Dataset,
    changed: &'a ChangedKeys,
    key_column: &'static str,
    /// The last increment that fetched an entity in full: earlier rows of that entity go.
    full_at: HashMap<&'a str, u64>,
}

impl<'a> PartitionMerge<'a> {
    pub(crate) fn new(
        record: &'a PartitionRecord,
        changed: &'a ChangedKeys,
        dataset: Dataset,
    ) -> Self {
        let mut full_at: HashMap<&str, u64> = HashMap::new();
        for increment in &record.legacy.increments {
            for (entity, kind) in &increment.entities {
                if *kind == FetchKind::Full {
                    let at = full_at.entry(entity.as_str()).or_insert(0);
                    *at = (*at).max(increment.sequence);
                }
            }
        }
        Self {
            record,
            dataset,
            changed,
            key_column: key_column(&record.dataset).unwrap_or("record_key"),
            full_at,
        }
    }

    /// The runs whose rows the merged files hold (the `custlake.compacted_from` metadata).
    pub(crate) fn compacted_from(&self) -> String {
        let increments = self.record.legacy.increments.iter();
        let mut compacted_from = vec![self.record.snapshot.run_id.clone()];
        compacted_from.extend(increments.map(|d| d.content.run_id.clone()));
        compacted_from.join(",")
    }

    /// Sends the surviving rows of the current files, then of each increment in commit order, to
    /// `writer`. A writer that stopped ends the copy without an error here (its own error is
    /// the one to report).
    pub(crate) async fn copy_rows(
        &self,
        location: &OutputLocation,
        writer: &mpsc::Sender<RecordBatch>,
    ) -> Result<(), SinkError> {
        self.copy_columns(location, None, writer).await
    }

    /// Copies the surviving rows into `writer` on its own thread and hands over the staged
    /// partition; on a failure the staged files are dropped and the error returned.
    pub(crate) async fn write_into(
        &self,
        location: &OutputLocation,
        writer: PartitionWriter,
    ) -> Result<StagedPartition, SinkError> {
        let target = writer.place().target.to_string();
        let writer = spawn_writer(writer);
        let failure = self.copy_rows(location, &writer.batches).await.err();
        let staged = match close_writer(writer).await {
            Ok(result) => result,
            Err(join_error) => Err(SinkError::Catalog {
                location: target,
                detail: format!("the writer thread ended abnormally: {join_error}"),
            }),
        };
        match (failure, staged) {
            (None, staged) => staged,
            (Some(error), Ok(staged)) => {
                staged.abort()?;
                Err(error)
            }
            (Some(error), Err(_)) => Err(error),
        }
    }

    /// [`Self::copy_rows`] of only `columns` (those a file has; the key column among them),
    /// as the files hold them, or, without `columns`, every column as today's batches.
    pub(crate) async fn copy_columns(
        &self,
        location: &OutputLocation,
        columns: Option<&[&str]>,
        writer: &mpsc::Sender<RecordBatch>,
    ) -> Result<(), SinkError> {
        let mut sources = vec![(0u64, &self.record.snapshot)];
        let increments = self.record.legacy.increments.iter();
        sources.extend(increments.map(|d| (d.sequence, &d.content)));
        for (sequence, content) in sources {
            for file in &content.files {
                let mut batches = read_file(location, &file.path, columns).await?;
                while let Some(batch) = batches.recv().await {
                    let kept = batch
                        .and_then(|batch| match columns {
                            Some(_) => Ok(batch),
                            None => self.dataset_batch(&batch, &file.path),
                        })
                        .and_then(|batch| self.kept_rows(&batch, sequence, &file.path))?;
                    if kept.num_rows() == 0 {
                        continue;
                    }
                    if writer.send(kept).await.is_err() {
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }

    /// `batch`, read from file `path` of any schema version, as a batch of today's schema (the
    /// files leave out the partition columns; version 1 files hold them).
    fn dataset_batch(&self, batch: &RecordBatch, path: &str) -> Result<RecordBatch, SinkError> {
        dataset_batch_from_file(
            self.dataset,
            batch,
            &self.record.source,
            &self.record.tenant,
        )
        .map_err(|error| SinkError::Catalog {
            location: path.to_owned(),
            detail: error.to_string(),
        })
    }

    /// The rows of `batch`, read from the source at `sequence` (file `path`), that survive.
    fn kept_rows(
        &self,
        batch: &RecordBatch,
        sequence: u64,
        path: &str,
    ) -> Result<RecordBatch, SinkError> {
        let keys = text_column(batch, self.key_column, path)?;
        let entities = if self.dataset == Dataset::Rejects {
            Some(text_column(batch, "entity", path)?)
        } else {
            None
        };
        let keep: BooleanArray = (0..batch.num_rows())
            .map(|row| {
                let entity = match &entities {
                    Some(e) => e.get(row).cloned().flatten().unwrap_or_default(),
                    None => self.record.dataset.clone(),
                };
                let key = keys.get(row).and_then(|k| k.as_deref());
                let full = self.full_at.get(entity.as_str()).copied().unwrap_or(0);
                Some(keep_row(sequence, full, key, self.changed.get(&entity)))
            })
            .collect();
        filter_record_batch(batch, &keep).map_err(|error| SinkError::Parquet {
            path: path.to_owned().into(),
            error: error.into(),
        })
    }
}

/// Whether a row read from the current files (`sequence` 0) or an increment survives: rows older than the
/// entity's last full fetch (`full`) go; a keyed row stays only in the latest source that
/// fetched its key.
fn keep_row(
    sequence: u64,
    full: u64,
    key: Option<&str>,
    changed: Option<&HashMap<String, u64>>,
) -> bool {
    if sequence < full {
        return false;
    }
    let Some(key) = key else {
        return true;
    };
    let latest = changed
        .and_then(|keys| keys.get(key))
        .copied()
        .filter(|latest| *latest > full);
    match latest {
        Some(latest) => latest == sequence,
        None => sequence == full,
    }
}

/// The column that identifies a row's record.
pub(crate) fn key_column(dataset: &str) -> Option<&'static str> {
    match Dataset::from_name(dataset)? {
        Dataset::Customers => Some("customer_id"),
        Dataset::Contacts => Some("contact_id"),
        Dataset::Rejects => Some("record_key"),
        // Links are derived whole; a change log holds many rows per key and is only appended.
        Dataset::CustomerLinks | Dataset::CustomersHistory | Dataset::ContactsHistory => None,
    }
}

/// A text column's values (null as `None`), whatever string type it is stored as.
pub(crate) fn text_column(
    batch: &RecordBatch,
    name: &str,
    path: &str,
) -> Result<Vec<Option<String>>, SinkError> {
    let parquet_error = |detail: String| SinkError::Catalog {
        location: path.to_owned(),
        detail,
    };
    let column = batch
        .column_by_name(name)
        .ok_or_else(|| parquet_error(format!("column {name} is missing")))?;
    let text = cast(column, &DataType::Utf8).map_err(|e| parquet_error(e.to_string()))?;
    let text = text.as_string::<i32>();
    Ok((0..text.len())
        .map(|i| (!text.is_null(i)).then(|| text.value(i).to_owned()))
        .collect())
}

/// The schema version a dataset file was written with (its `custlake.schema_version`
/// key-value metadata); `None` when it names none. Only the footer is read.
pub(crate) async fn file_schema_version(
    location: &OutputLocation,
    path: &str,
) -> Result<Option<String>, SinkError> {
    let parquet_error = |error| SinkError::Parquet {
        path: path.into(),
        error,
    };
    let metadata = match location {
        OutputLocation::Local(root) => {
            let full = root.join(path);
            let file =
                std::fs::File::open(&full).map_err(|e| SinkError::io("open", full.clone(), e))?;
            let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_error)?;
            builder.metadata().clone()
        }
        OutputLocation::ObjectStore(store) => {
            let reader = ObjectFileReader::new(store.store.clone(), store.key(path));
            let builder = ParquetRecordBatchStreamBuilder::new(reader)
                .await
                .map_err(parquet_error)?;
            builder.metadata().clone()
        }
    };
    let key_values = metadata.file_metadata().key_value_metadata();
    Ok(key_values
        .and_then(|kv| kv.iter().find(|k| k.key == SCHEMA_VERSION_KEY))
        .and_then(|k| k.value.clone()))
}

/// Streams the batches of one dataset file (only `columns`, when given), from a local folder or
/// an object store, through a small channel.
pub(crate) async fn read_file(
    location: &OutputLocation,
    path: &str,
    columns: Option<&[&str]>,
) -> Result<mpsc::Receiver<Result<RecordBatch, SinkError>>, SinkError> {
    read_file_rows(location, path, columns, None).await
}

/// [`read_file`] of only the rows `selection` picks (in file order), when given: the reader
/// skips the others without decoding them.
pub(crate) async fn read_file_rows(
    location: &OutputLocation,
    path: &str,
    columns: Option<&[&str]>,
    selection: Option<RowSelection>,
) -> Result<mpsc::Receiver<Result<RecordBatch, SinkError>>, SinkError> {
    let (tx, rx) = mpsc::channel(2);
    let columns: Option<Vec<String>> = columns.map(|c| c.iter().map(|s| (*s).to_owned()).collect());
    let parquet_error = |path: &str, error| SinkError::Parquet {
        path: path.into(),
        error,
    };
    match location {
        OutputLocation::Local(root) => {
            let full = root.join(path);
            let file =
                std::fs::File::open(&full).map_err(|e| SinkError::io("open", full.clone(), e))?;
            let mut builder = ParquetRecordBatchReaderBuilder::try_new(file)
                .map_err(|e| parquet_error(path, e))?;
            if let Some(columns) = &columns {
                let roots = root_indices(builder.schema(), columns);
                let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
                builder = builder.with_projection(mask);
            }
            if let Some(selection) = selection {
                builder = builder.with_row_selection(selection);
            }
            let reader = builder.build().map_err(|e| parquet_error(path, e))?;
            let path = path.to_owned();
            tokio::task::spawn_blocking(move || {
                for batch in reader {
                    let batch = batch.map_err(|e| SinkError::Parquet {
                        path: path.clone().into(),
                        error: e.into(),
                    });
                    if tx.blocking_send(batch).is_err() {
                        return;
                    }
                }
            });
        }
        OutputLocation::ObjectStore(store) => {
            let reader = ObjectFileReader::new(store.store.clone(), store.key(path));
            let mut builder = ParquetRecordBatchStreamBuilder::new(reader)
                .await
                .map_err(|e| parquet_error(path, e))?;
            if let Some(columns) = &columns {
                let roots = root_indices(builder.schema(), columns);
                let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
                builder = builder.with_projection(mask);
            }
            if let Some(selection) = selection {
                builder = builder.with_row_selection(selection);
            }
            let mut stream = builder.build().map_err(|e| parquet_error(path, e))?;
            let path = path.to_owned();
            tokio::spawn(async move {
                while let Some(batch) = stream.next().await {
                    let batch = batch.map_err(|e| SinkError::Parquet {
                        path: path.clone().into(),
                        error: e,
                    });
                    if tx.send(batch).await.is_err() {
                        return;
                    }
                }
            });
        }
    }
    Ok(rx)
}

fn root_indices(schema: &arrow::datatypes::SchemaRef, columns: &[String]) -> Vec<usize> {
    schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| columns.contains(f.name()))
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_survive_only_in_their_latest_source() {
        let changed = HashMap::from([("k1".to_owned(), 2u64), ("k2".to_owned(), 1)]);
        // Current rows: replaced when an increment fetched the key again.
        assert!(!keep_row(0, 0, Some("k1"), Some(&changed)));
        assert!(keep_row(0, 0, Some("k9"), Some(&changed)));
        assert!(keep_row(0, 0, None, Some(&changed)));
        // Increment rows: only the latest fetch of a key stays.
        assert!(!keep_row(1, 0, Some("k1"), Some(&changed)));
        assert!(keep_row(2, 0, Some("k1"), Some(&changed)));
        assert!(keep_row(1, 0, Some("k2"), Some(&changed)));
        // A full fetch at 2 replaces everything older, keeps its own rows unless changed later.
        assert!(!keep_row(0, 2, Some("k9"), None));
        assert!(!keep_row(1, 2, Some("k2"), Some(&changed)));
        assert!(keep_row(2, 2, Some("k9"), None));
        assert!(keep_row(2, 2, Some("k2"), Some(&changed)));
    }
}
