//! The upsert both formats publish for an incremental run: which of a partition's current files
//! hold older rows of the records the run fetched again (those are rewritten without them), and
//! which keep every row (those stay as they are). The new rows join as the latest increment of
//! a [`PartitionMerge`], so a re-fetched key keeps only its new row, and an entity fetched in
//! full (U8 contacts, in `rejects`) loses all its older rows.

use std::collections::BTreeMap;

use arrow::record_batch::RecordBatch;
use custlake_schema::{Dataset, SCHEMA_VERSION};
use tokio::sync::mpsc;

use crate::commit::catalog::{Content, FetchKind, FileRecord, Increment, PartitionRecord};
use crate::commit::legacy_increments::LegacyIncrements;
use crate::layout::PartitionTarget;
use crate::table::merge::{ChangedKeys, PartitionMerge, file_schema_version, key_column};
use crate::write::SinkError;
use crate::write::location::OutputLocation;
use crate::write::partition::{PartitionWriter, StagedPartition};

/// One partition's upsert: its target, how the run fetched its entities, the sequence its new
/// rows take after every recorded increment, and the keys the source's new rows hold.
pub(crate) struct UpsertScope<'a> {
    /// Where the current files are read from.
    pub(crate) location: &'a OutputLocation,
    /// The partition.
    pub(crate) target: &'a PartitionTarget,
    /// Its dataset.
    pub(crate) dataset: Dataset,
    /// How each entity governing the partition's rows was fetched.
    pub(crate) fetched: &'a BTreeMap<String, FetchKind>,
    /// The new rows' place in commit order.
    pub(crate) sequence: u64,
    /// Per entity fetched as changes: the keys fetched again, with their latest sequence.
    pub(crate) changed: &'a ChangedKeys,
}

/// The current files of a partition, split by an upsert.
#[derive(Debug, Default)]
pub(crate) struct Split {
    /// Files every row of which survives: they stay as they are.
    pub(crate) kept: Vec<FileRecord>,
    /// Files that lose rows: their surviving rows are rewritten.
    pub(crate) touched: Vec<FileRecord>,
}

/// `staged`'s files (where they wait) as the increment of `sequence`, for reading the keys
/// it fetched again.
pub(crate) fn new_rows_record(
    staged: &StagedPartition,
    fetched: &BTreeMap<String, FetchKind>,
    sequence: u64,
) -> PartitionRecord {
    let files = staged_records(staged);
    let mut record = merge_record(&staged.place().target, Vec::new(), fetched, sequence);
    if let Some(new_rows) = record.legacy.increments.last_mut() {
        new_rows.content.files = files;
    }
    record
}

/// `staged`'s files (where they wait) as file records, paths relative to the output.
pub(crate) fn staged_records(staged: &StagedPartition) -> Vec<FileRecord> {
    staged
        .staged_files()
        .into_iter()
        .map(|(path, rows, bytes)| FileRecord { path, rows, bytes })
        .collect()
}

/// `files` of `target` as a partition's current rows, with no increments on top.
pub(crate) fn files_record(target: &PartitionTarget, files: Vec<FileRecord>) -> PartitionRecord {
    PartitionRecord {
        dataset: target.dataset.clone(),
        source: target.source.clone(),
        tenant: target.tenant.clone(),
        snapshot: Content {
            run_id: String::new(),
            content_hash: String::new(),
            rows: files.iter().map(|f| f.rows).sum(),
            files,
        },
        legacy: LegacyIncrements::default(),
    }
}

/// The increment of a run's new rows at `sequence`, listing none of their files (they are
/// added as they are; the merge only needs to know which entities they replace).
fn new_rows_increment(fetched: &BTreeMap<String, FetchKind>, sequence: u64) -> Increment {
    Increment {
        sequence,
        entities: fetched.clone(),
        content: Content {
            run_id: String::new(),
            content_hash: String::new(),
            rows: 0,
            files: Vec::new(),
        },
    }
}

/// The merge of `files` (the current rows, sequence 0) against the new rows of `sequence`.
fn merge_record(
    target: &PartitionTarget,
    files: Vec<FileRecord>,
    fetched: &BTreeMap<String, FetchKind>,
    sequence: u64,
) -> PartitionRecord {
    let mut record = files_record(target, files);
    record
        .legacy
        .increments
        .push(new_rows_increment(fetched, sequence));
    record
}

/// Splits `files` (current files of the partition, holding no increments) into those the
/// upsert keeps whole and those it rewrites, reading only their key columns. A file written
/// with another schema version is always rewritten, so a partition never mixes layouts (a
/// version-1 file holds the partition columns that today's files leave to the folder names).
pub(crate) async fn split_current(
    scope: &UpsertScope<'_>,
    files: &[FileRecord],
) -> Result<Split, SinkError> {
    let today = SCHEMA_VERSION.to_string();
    let mut split = Split::default();
    for file in files {
        let version = file_schema_version(scope.location, &file.path).await?;
        if version.as_deref() == Some(today.as_str())
            && surviving_rows(scope, file).await? == file.rows
        {
            split.kept.push(file.clone());
        } else {
            split.touched.push(file.clone());
        }
    }
    Ok(split)
}

/// Rows of `file` that the upsert keeps (its key columns only are read).
async fn surviving_rows(scope: &UpsertScope<'_>, file: &FileRecord) -> Result<u64, SinkError> {
    let record = merge_record(
        scope.target,
        vec![file.clone()],
        scope.fetched,
        scope.sequence,
    );
    let merge = PartitionMerge::new(&record, scope.changed, scope.dataset);
    let key = key_column(&scope.target.dataset).unwrap_or("record_key");
    let columns: Vec<&str> = if scope.dataset == Dataset::Rejects {
        vec!["entity", key]
    } else {
        vec![key]
    };
    let (tx, mut rx) = mpsc::channel::<RecordBatch>(2);
    let counter = tokio::spawn(async move {
        let mut rows = 0u64;
        while let Some(batch) = rx.recv().await {
            rows += batch.num_rows() as u64;
        }
        rows
    });
    merge
        .copy_columns(scope.location, Some(&columns), &tx)
        .await?;
    drop(tx);
    counter.await.map_err(|e| SinkError::Catalog {
        location: file.path.clone(),
        detail: format!("counting rows ended abnormally: {e}"),
    })
}

/// Writes the rows of `current` (files, and any increments an older output recorded on top)
/// that survive the upsert into `writer`.
pub(crate) async fn rewrite(
    scope: &UpsertScope<'_>,
    current: PartitionRecord,
    writer: PartitionWriter,
) -> Result<StagedPartition, SinkError> {
    let mut record = current;
    record
        .legacy
        .increments
        .push(new_rows_increment(scope.fetched, scope.sequence));
    let merge = PartitionMerge::new(&record, scope.changed, scope.dataset);
    merge.write_into(scope.location, writer).await
}
