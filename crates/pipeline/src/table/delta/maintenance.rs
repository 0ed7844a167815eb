//! Housekeeping of a Delta output: `custlake compact` rewrites each partition's small files
//! into fewer large ones (a commit with `dataChange = false`: readers of the change feed see no
//! new data), and `custlake vacuum` deletes the files no table version within the retention
//! references (replaced files, and files of commits that never landed).

use std::collections::BTreeSet;

use custlake_schema::Dataset;
use deltalake::operations::vacuum::VacuumMode;

use crate::commit::catalog::{Content, PartitionRecord};
use crate::commit::delta::partition_commit::{
    CommitOutcome, PartitionChange, Removal, commit_partition,
};
use crate::commit::legacy_increments::LegacyIncrements;
use crate::config::ParquetSinkConfig;
use crate::table::error::TableError;
use crate::table::merge::{ChangedKeys, PartitionMerge};
use crate::table::report::{CompactReport, CompactedPartition, VacuumReport};
use crate::write::SinkError;
use crate::write::file_metadata::file_metadata;
use crate::write::partition::PartitionPlace;

use super::DeltaLakeTables;

/// A file below this share of `max_bytes_per_file` is small: compaction merges it.
const SMALL_FILE_SHARE: u64 = 4;

impl DeltaLakeTables {
    /// Rewrites the small files of every partition (of the `only` tenants, when given) into
    /// fewer files.
    pub(crate) async fn compact(
        &self,
        parquet: &ParquetSinkConfig,
        only: &[String],
    ) -> Result<CompactReport, TableError> {
        compact_tables(self, parquet, only).await
    }

    /// Deletes the files of every table that no version of the last `retain_hours` hours
    /// references.
    pub(crate) async fn vacuum(&self, retain_hours: u64) -> Result<VacuumReport, TableError> {
        vacuum_tables(self, retain_hours).await
    }
}

async fn compact_tables(
    output: &DeltaLakeTables,
    parquet: &ParquetSinkConfig,
    only: &[String],
) -> Result<CompactReport, TableError> {
    let mut report = CompactReport {
        run_id: output.identity().run_id.clone(),
        ..CompactReport::default()
    };
    let small = parquet.max_bytes_per_file / SMALL_FILE_SHARE;
    // customer_links are replaced whole by every link step (as in a Parquet compaction, they
    // are left alone).
    let compacted = output
        .current()
        .partitions
        .iter()
        .filter(|record| record.dataset != Dataset::CustomerLinks.as_str());
    for record in compacted {
        if !only.is_empty() && !only.contains(&record.tenant) {
            continue;
        }
        let small_files: Vec<_> = record
            .snapshot
            .files
            .iter()
            .filter(|file| file.bytes < small)
            .cloned()
            .collect();
        // Merging pays only when the rows fit in fewer files than they take now.
        let rows: u64 = small_files.iter().map(|f| f.rows).sum();
        let bytes: u64 = small_files.iter().map(|f| f.bytes).sum();
        let needed = rows
            .div_ceil(parquet.max_rows_per_file)
            .max(bytes.div_ceil(parquet.max_bytes_per_file))
            .max(1);
        if (small_files.len() as u64) <= needed {
            continue;
        }
        match compact_partition(output, record, small_files, parquet).await? {
            Ok(compacted) => report.partitions.push(compacted),
            Err(warning) => report.warnings.push(warning),
        }
    }
    Ok(report)
}

/// Merges `small_files` of `record`'s partition into new files and commits the swap with
/// `dataChange = false`; `Ok(Err(warning))` when another writer changed the partition first.
async fn compact_partition(
    delta: &DeltaLakeTables,
    record: &PartitionRecord,
    small_files: Vec<crate::commit::catalog::FileRecord>,
    parquet: &ParquetSinkConfig,
) -> Result<Result<CompactedPartition, String>, TableError> {
    let fail = |error: String| TableError::Merge {
        partition: record.target().to_string(),
        error: SinkError::Catalog {
            location: record.target().to_string(),
            detail: error,
        },
    };
    let merged = PartitionRecord {
        snapshot: Content {
            files: small_files.clone(),
            ..record.snapshot.clone()
        },
        legacy: LegacyIncrements::default(),
        ..record.clone()
    };
    let staged = rewrite(delta, &merged, parquet)
        .await
        .map_err(|e| fail(e.to_string()))?;
    let added = staged.uploaded_files().unwrap_or(&[]).to_vec();
    let change = swap_change(record, &small_files, added.clone());
    let dataset = dataset_named(&record.dataset).map_err(|e| fail(e.to_string()))?;
    let mut table = delta
        .tables()
        .open_or_create(dataset)
        .await
        .map_err(|e| fail(e.to_string()))?;
    let target = record.target();
    let outcome = commit_partition(
        delta.tables(),
        &mut table,
        &target,
        &change,
        delta.commit_identity(),
    )
    .await
    .map_err(|e| fail(e.to_string()))?;
    match outcome {
        CommitOutcome::Committed { version, rows, .. } => {
            delta.push(&target, "compacted", Some(version), 0, rows);
            drop(staged);
            Ok(Ok(CompactedPartition {
                partition: target.to_string(),
                increments: 0,
                rows,
                files: added.len(),
                bytes: added.iter().map(|f| f.bytes).sum(),
            }))
        }
        _ => {
            // Another writer changed the partition meanwhile: its files are not ours to
            // merge; the next compaction will.
            staged.abort().map_err(|e| fail(e.to_string()))?;
            Ok(Err(format!(
                "{target}: changed by another writer during compaction; left as it is"
            )))
        }
    }
}

/// The commit that swaps `small_files` of `record`'s partition for `added` (same rows).
fn swap_change(
    record: &PartitionRecord,
    small_files: &[crate::commit::catalog::FileRecord],
    added: Vec<crate::write::rotating::PartFile>,
) -> PartitionChange {
    let table_path = |path: &str| {
        path.strip_prefix(&format!("{}/", record.dataset))
            .unwrap_or(path)
            .to_owned()
    };
    let removed: BTreeSet<String> = small_files.iter().map(|f| table_path(&f.path)).collect();
    let kept: BTreeSet<String> = record
        .snapshot
        .files
        .iter()
        .map(|f| table_path(&f.path))
        .filter(|path| !removed.contains(path))
        .collect();
    PartitionChange {
        removal: Removal::Exactly { removed, kept },
        added,
        content_hash: (!record.snapshot.content_hash.is_empty())
            .then(|| record.snapshot.content_hash.clone()),
        data_change: false,
    }
}

/// Writes every row of `record`'s files into new files of its partition.
async fn rewrite(
    delta: &DeltaLakeTables,
    record: &PartitionRecord,
    parquet: &ParquetSinkConfig,
) -> Result<crate::write::partition::StagedPartition, SinkError> {
    let dataset = dataset_named(&record.dataset)?;
    let unchanged = ChangedKeys::new();
    let merge = PartitionMerge::new(record, &unchanged, dataset);
    let run_id = &delta.identity().run_id;
    let metadata = file_metadata(run_id, &record.target());
    let place = PartitionPlace::snapshot(record.target(), run_id);
    let writer = delta.writer_at(place, dataset.schema(), metadata, parquet)?;
    merge.write_into(delta.location(), writer).await
}

fn dataset_named(name: &str) -> Result<Dataset, SinkError> {
    Dataset::from_name(name).ok_or_else(|| SinkError::Catalog {
        location: name.to_owned(),
        detail: format!("unknown dataset {name:?}"),
    })
}

/// Vacuums every table: deletes the files no version of the last `retain_hours` hours
/// references (replaced files, and files of commits that never landed).
async fn vacuum_tables(
    delta: &DeltaLakeTables,
    retain_hours: u64,
) -> Result<VacuumReport, TableError> {
    let location = delta.location();
    let unusable = |reason: String| TableError::Output {
        path: location.to_string(),
        reason,
    };
    let tables = delta.tables();
    let hours = i64::try_from(retain_hours).unwrap_or(i64::MAX / 3_600_000);
    let mut report = VacuumReport::default();
    for dataset in Dataset::ALL {
        let Some(table) = tables
            .open(dataset)
            .await
            .map_err(|e| unusable(e.to_string()))?
        else {
            continue;
        };
        let (_, metrics) = table
            .vacuum()
            .with_retention_period(chrono::Duration::hours(hours))
            .with_enforce_retention_duration(false)
            .with_mode(VacuumMode::Full)
            .await
            .map_err(|e| unusable(tables.table_error(dataset, "vacuum", e).to_string()))?;
        report
            .tables
            .push((dataset.as_str().to_owned(), metrics.files_deleted.len()));
    }
    Ok(report)
}
