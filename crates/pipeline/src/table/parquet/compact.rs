//! `custlake compact` on a Parquet output: every partition already holds one row per key, so
//! what is left to compact is an older output's increments
//! ([`crate::commit::legacy_increments`]): each partition that
//! lists some is merged into new files ([`crate::table::merge`]), published like an export's
//! (all partitions of a source together or none), and the increments are deleted after the
//! catalog commit. Memory holds the keys of the increments only, never the partition.

use std::collections::BTreeMap;

use custlake_schema::Dataset;

use crate::commit::catalog::PartitionRecord;
use crate::config::ParquetSinkConfig;
use crate::table::error::TableError;
use crate::table::merge::{ChangedKeys, PartitionMerge, changed_keys};
use crate::table::report::{CompactReport, CompactedPartition, rolled_back_message};
use crate::write::SinkError;
use crate::write::file_metadata::file_metadata;
use crate::write::partition::StagedPartition;

use super::ParquetTables;

impl ParquetTables {
    /// Compacts the partitions of the `only` tenants (all when empty): folds the increments
    /// an older output holds into their partitions.
    pub(crate) async fn compact(
        &self,
        parquet: &ParquetSinkConfig,
        only: &[String],
    ) -> Result<CompactReport, TableError> {
        fold_increments(self, parquet, only).await
    }
}

/// Folds the increments of every partition of the `only` tenants (all when empty).
async fn fold_increments(
    tables: &ParquetTables,
    parquet: &ParquetSinkConfig,
    only: &[String],
) -> Result<CompactReport, TableError> {
    let mut groups: BTreeMap<(String, String), Vec<PartitionRecord>> = BTreeMap::new();
    // customer_links are derived from the current customers, which folding does not change.
    let foldable = tables
        .catalog
        .partitions
        .iter()
        .filter(|record| record.dataset != Dataset::CustomerLinks.as_str());
    for record in foldable {
        if only.is_empty() || only.contains(&record.tenant) {
            groups
                .entry((record.source.clone(), record.tenant.clone()))
                .or_default()
                .push(record.clone());
        }
    }
    groups.retain(|_, records| records.iter().any(|r| !r.legacy.increments.is_empty()));
    let mut report = CompactReport {
        run_id: tables.identity.run_id.clone(),
        ..CompactReport::default()
    };
    for records in groups.values() {
        fold_source(tables, records, parquet, &mut report).await?;
    }
    Ok(report)
}

/// Stages the merged files of every partition of one source, then publishes them together.
async fn fold_source(
    tables: &ParquetTables,
    records: &[PartitionRecord],
    parquet: &ParquetSinkConfig,
    report: &mut CompactReport,
) -> Result<(), TableError> {
    let fail = |record: &PartitionRecord, error: SinkError| TableError::Merge {
        partition: record.target().to_string(),
        error,
    };
    let changed = changed_keys(&tables.location, records).await?;
    let mut staged = Vec::new();
    for record in records {
        match merge_partition(tables, record, &changed, parquet).await {
            Ok(partition) => staged.push((record, partition)),
            Err(error) => {
                for (_, partition) in staged {
                    let _ = partition.abort();
                }
                return Err(fail(record, error));
            }
        }
    }
    // Published together or not at all, as an export publishes a source.
    let mut published = Vec::new();
    let mut staged = staged.into_iter();
    while let Some((record, partition)) = staged.next() {
        match partition.publish(None) {
            Ok(done) => published.push((record, done)),
            Err(error) => {
                for (_, partition) in staged {
                    let _ = partition.abort();
                }
                let count = published.len();
                let stuck: Vec<String> = published
                    .into_iter()
                    .rev()
                    .filter_map(|(_, done)| {
                        let partition = done.committed().place.relative_dir();
                        done.roll_back().err().map(|e| format!("{partition} ({e})"))
                    })
                    .collect();
                let error = SinkError::Catalog {
                    location: record.target().to_string(),
                    detail: rolled_back_message(&error.to_string(), count - stuck.len(), &stuck),
                };
                return Err(fail(record, error));
            }
        }
    }
    let mut pending = tables.pending();
    for (record, done) in published {
        let committed = done.keep();
        report.partitions.push(CompactedPartition {
            partition: record.target().to_string(),
            increments: record.legacy.increments.len(),
            rows: committed.content.rows,
            files: committed.content.files.len(),
            bytes: committed.content.files.iter().map(|f| f.bytes).sum(),
        });
        pending
            .consumed
            .extend(record.legacy.increments.iter().cloned());
        pending.partitions.push(committed);
    }
    Ok(())
}

/// Writes the merged rows of one partition into a staged partition.
async fn merge_partition(
    tables: &ParquetTables,
    record: &PartitionRecord,
    changed: &ChangedKeys,
    parquet: &ParquetSinkConfig,
) -> Result<StagedPartition, SinkError> {
    let dataset = Dataset::from_name(&record.dataset).ok_or_else(|| SinkError::Catalog {
        location: record.target().to_string(),
        detail: format!("unknown dataset {:?}", record.dataset),
    })?;
    let merge = PartitionMerge::new(record, changed, dataset);
    let mut metadata = file_metadata(&tables.identity.run_id, &record.target());
    metadata.push(("custlake.compacted_from".to_owned(), merge.compacted_from()));
    let writer = tables.writer(record.target(), dataset.schema(), metadata, parquet)?;
    merge.write_into(&tables.location, writer).await
}
