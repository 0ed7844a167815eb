//! What the table formats report back to the run: what a run's end published (for the run
//! manifest), what a compaction merged and what a vacuum deleted.

use crate::commit::manifest::{DeltaCommitRecord, ManifestFile, PartitionChanges, RunManifest};

/// What the end of a run published, for the run manifest.
#[derive(Debug, Default)]
pub(crate) struct Published {
    /// Files that became current.
    pub(crate) files: Vec<ManifestFile>,
    /// Partitions whose content did not change (`dataset/source=../tenant=..`).
    pub(crate) unchanged: Vec<String>,
    /// Housekeeping after the commit that did not succeed.
    pub(crate) warnings: Vec<String>,
    /// A Delta Lake output's commits.
    pub(crate) delta_commits: Vec<DeltaCommitRecord>,
    /// What each published keyed partition inserted, updated and deleted.
    pub(crate) changes: Vec<PartitionChanges>,
}

impl Published {
    /// Adds the files, unchanged partitions, warnings and commits to `manifest`.
    pub(crate) fn record_in(self, manifest: &mut RunManifest) {
        manifest.files.extend(self.files);
        manifest.unchanged.extend(self.unchanged);
        manifest.warnings.extend(self.warnings);
        manifest.delta_commits.extend(self.delta_commits);
        manifest.changes.extend(self.changes);
    }
}

/// What a compaction did.
#[derive(Debug, Clone, Default)]
pub struct CompactReport {
    /// The compaction's run id (in the new files' names and metadata).
    pub run_id: String,
    /// One entry per partition rewritten.
    pub partitions: Vec<CompactedPartition>,
    /// Housekeeping that did not succeed after the commit.
    pub warnings: Vec<String>,
}

/// One partition a compaction rewrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactedPartition {
    /// `dataset/source=../tenant=..`.
    pub partition: String,
    /// Increments of an older output folded in (Parquet).
    pub increments: usize,
    /// Rows of the partition.
    pub rows: u64,
    /// Files of the partition afterwards (Parquet) or files written (Delta Lake).
    pub files: usize,
    /// Bytes of those files.
    pub bytes: u64,
}

/// What `custlake vacuum` deleted.
#[derive(Debug, Clone, Default)]
pub struct VacuumReport {
    /// Per table: the files deleted.
    pub tables: Vec<(String, usize)>,
}

/// The error of a source whose publish failed with `error` after `rolled_back` partitions were
/// taken back, and `stuck` ones (named with why) could not be: what the output holds now.
pub(crate) fn rolled_back_message(error: &str, rolled_back: usize, stuck: &[String]) -> String {
    if stuck.is_empty() {
        let undone = match rolled_back {
            0 => String::new(),
            n => format!(" ({n} partition(s) already published were rolled back)"),
        };
        format!(
            "{error}; none of this source's datasets were published{undone}, the previous state \
             is unchanged"
        )
    } else {
        format!(
            "{error}; could not roll back {}: those partitions hold this run's data while the \
             source's other datasets keep the previous state; run the export again to make them \
             agree",
            stuck.join(", ")
        )
    }
}
