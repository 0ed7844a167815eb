//! An incremental run's rows upserted into a Parquet partition: the current files that hold
//! older rows of re-fetched records are rewritten without them, the others stay, and the new
//! rows join. Locally all of them become one staged folder (files that stay are hard-linked,
//! not copied) swapped in like a full snapshot; on an object store the new content lists the
//! files that stay beside the new ones, and becomes current with the catalog write. An output
//! written by an older custlake has its increments folded in by the same step.

use custlake_schema::Dataset;

use crate::commit::catalog::{FileRecord, PartitionRecord};
use crate::commit::partition::{CommittedPartition, PublishedPartition};
use crate::config::ParquetSinkConfig;
use crate::table::merge::ChangedKeys;
use crate::table::upsert::{Split, UpsertScope, rewrite, split_current};
use crate::write::SinkError;
use crate::write::file_metadata::file_metadata;
use crate::write::location::OutputLocation;
use crate::write::partition::{PartitionWriter, StagedPartition};

use super::publish::next_sequence;
use super::{Fetched, ParquetTables};

impl ParquetTables {
    /// Publishes `staged` (the run's rows of re-fetched records) merged into `current`.
    pub(super) async fn upsert(
        &self,
        staged: StagedPartition,
        current: PartitionRecord,
        fetched: &Fetched,
        changed: &ChangedKeys,
        parquet: &ParquetSinkConfig,
    ) -> Result<PublishedPartition, SinkError> {
        let target = staged.place().target.clone();
        let dataset = Dataset::from_name(&target.dataset).ok_or_else(|| SinkError::Catalog {
            location: target.to_string(),
            detail: format!("unknown dataset {:?}", target.dataset),
        })?;
        let scope = UpsertScope {
            location: &self.location,
            target: &target,
            dataset,
            fetched,
            sequence: next_sequence(&self.catalog),
            changed,
        };
        // An older output's increments are folded whole: every file is rewritten once.
        let split = if current.legacy.increments.is_empty() {
            split_current(&scope, &current.snapshot.files).await?
        } else {
            Split {
                kept: Vec::new(),
                touched: current.snapshot.files.clone(),
            }
        };
        if staged.rows() == 0 && split.touched.is_empty() && current.legacy.increments.is_empty() {
            // Nothing re-fetched, nothing replaced: the partition stays as it is.
            let committed = CommittedPartition {
                place: staged.place().clone(),
                content: current.snapshot.clone(),
                unchanged: true,
            };
            staged.abort()?;
            return Ok(PublishedPartition::unchanged(committed));
        }
        let rewritten = if split.touched.is_empty() && current.legacy.increments.is_empty() {
            None
        } else {
            let merged = PartitionRecord {
                snapshot: crate::commit::catalog::Content {
                    files: split.touched.clone(),
                    ..current.snapshot.clone()
                },
                ..current.clone()
            };
            let metadata = file_metadata(&self.identity.run_id, &target);
            let writer = PartitionWriter::create_rewrite(
                &self.location,
                target.clone(),
                &self.identity.run_id,
                dataset.schema(),
                metadata,
                parquet,
            )?;
            Some(rewrite(&scope, merged, writer).await?)
        };
        self.publish_merged(staged, rewritten, &split.kept)
    }

    /// Publishes the new rows, the rewritten rows and the files that stay as one content.
    pub(super) fn publish_merged(
        &self,
        mut staged: StagedPartition,
        rewritten: Option<StagedPartition>,
        kept: &[FileRecord],
    ) -> Result<PublishedPartition, SinkError> {
        match &self.location {
            OutputLocation::Local(_) => {
                let kept: Vec<(String, u64, u64)> = kept
                    .iter()
                    .map(|f| (file_name(&f.path), f.rows, f.bytes))
                    .collect();
                staged.merge_local(rewritten, &kept)?;
                staged.publish(None)
            }
            OutputLocation::ObjectStore(_) => {
                let mut more: Vec<FileRecord> = kept.to_vec();
                if let Some(rewritten) = rewritten {
                    let files = rewritten.staged_files().into_iter();
                    more.extend(files.map(|(path, rows, bytes)| FileRecord { path, rows, bytes }));
                    // The rewritten uploads are the content's now; dropping the handle leaves
                    // them in place (a failed source's are swept by the run's clean-up).
                    drop(rewritten);
                }
                Ok(staged.publish(None)?.with_more_files(more))
            }
        }
    }
}

/// The last component of a `/`-separated path.
fn file_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_owned()
}
