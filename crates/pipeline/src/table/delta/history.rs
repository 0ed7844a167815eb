//! A Delta partition's changes: counted against the partition's files as the table holds them
//! just before the run commits, and — with history on — appended to `<dataset>_history` by a
//! plain append commit made before the partition's own commit. The append carries the run's
//! application transaction, so a resumed run that got this far before finds it applied and
//! does not append twice; a source that fails later takes it back with its other commits.

use crate::commit::delta::DeltaError;
use crate::commit::delta::partition_commit::{
    CommitUndo, PartitionChange, Removal, commit_partition, current_content_hash, partition_files,
};
use crate::commit::manifest::PartitionChanges;
use crate::layout::PartitionTarget;
use crate::table::changes::{
    ChangeRules, ChangeStamp, HistoryState, PartitionDiff, RowsAt, history_of, partition_changes,
};
use crate::table::inputs::PublishOptions;
use crate::table::upsert::staged_records;
use crate::write::file_metadata::file_metadata;
use crate::write::partition::{PartitionPlace, StagedPartition};

use super::{DeltaLakeTables, file_records, sink_error, staged_files};

/// What recording one partition's changes produced: the counts, and the history commit to
/// take back if the source fails later.
pub(super) struct RecordedChanges {
    pub(super) counts: Option<PartitionChanges>,
    pub(super) history: Option<(PartitionTarget, CommitUndo)>,
}

impl DeltaLakeTables {
    /// Counts what `staged` changes in its partition (`replaces`: a full run's whole content)
    /// and, with history on, commits its history rows first: what changed, or every row when
    /// the partition has no history yet.
    pub(super) async fn record_changes(
        &self,
        staged: &StagedPartition,
        replaces: bool,
        options: &PublishOptions<'_>,
    ) -> Result<RecordedChanges, DeltaError> {
        let target = &staged.place().target;
        let table = self.open_table(target).await?;
        let files = partition_files(&table, target).map_err(|e| self.table_error(target, e))?;
        // The commit will find the same content: nothing changed, nothing to compare.
        let same_content =
            replaces && current_content_hash(&files).as_deref() == Some(staged.content_hash());
        let current_files = file_records(target, &files);
        let new_files = staged_records(staged);
        let rows_at = |files| RowsAt {
            location: &self.location,
            files,
        };
        let history = HistoryState::of(options.history, self.history_absent(target).await?);
        let rules = ChangeRules {
            replaces,
            count_deletes: !options.incomplete.contains(&target.dataset),
            same_content,
            history,
        };
        let (current, new) = (rows_at(&current_files), rows_at(&new_files));
        let found = partition_changes(target, current, new, rules)
            .await
            .map_err(|e| sink_error(target, e))?;
        let Some((counts, recorded)) = found else {
            return Ok(RecordedChanges {
                counts: None,
                history: None,
            });
        };
        let history = match recorded {
            Some(recorded) => {
                self.append_history(target, &recorded, current, new, options)
                    .await?
            }
            None => None,
        };
        Ok(RecordedChanges {
            counts: Some(counts),
            history,
        })
    }

    /// Whether the partition `target` has no history yet (history just turned on).
    async fn history_absent(&self, target: &PartitionTarget) -> Result<bool, DeltaError> {
        let Some((history, history_target)) = history_of(target) else {
            return Ok(false);
        };
        let Some(table) = self.tables.open(history).await? else {
            return Ok(true);
        };
        let files = partition_files(&table, &history_target)
            .map_err(|e| self.table_error(&history_target, e))?;
        Ok(files.is_empty())
    }

    /// Writes `diff`'s history rows into the history table and appends them in one commit.
    async fn append_history(
        &self,
        target: &PartitionTarget,
        diff: &PartitionDiff,
        current: RowsAt<'_>,
        new: RowsAt<'_>,
        options: &PublishOptions<'_>,
    ) -> Result<Option<(PartitionTarget, CommitUndo)>, DeltaError> {
        let Some((history, history_target)) = history_of(target) else {
            return Ok(None);
        };
        let place = PartitionPlace::snapshot(history_target.clone(), &self.identity.run_id);
        let metadata = file_metadata(&self.identity.run_id, &history_target);
        let writer = self
            .writer_at(place, history.schema(), metadata, options.parquet)
            .map_err(|e| sink_error(&history_target, e))?;
        let stamp = ChangeStamp {
            run_id: &self.identity.run_id,
            changed_at: self.identity.started_at,
        };
        let staged = diff
            .write_history(target, current, new, &stamp, writer)
            .await
            .map_err(|e| sink_error(&history_target, e))?;
        let change = PartitionChange {
            removal: Removal::Nothing,
            added: staged_files(&staged).to_vec(),
            content_hash: None,
            data_change: true,
        };
        let mut table = self.open_table(&history_target).await?;
        let outcome = commit_partition(
            &self.tables,
            &mut table,
            &history_target,
            &change,
            &self.commit_identity,
        )
        .await;
        let undo = self.settle(staged, &history_target, outcome)?;
        Ok(undo.map(|undo| (history_target, undo)))
    }
}
