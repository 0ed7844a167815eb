//! Publishing a finished source's partitions on a Parquet output, together or not at all.
//!
//! Each partition is published in turn — locally its folder is swapped in and the previous one
//! kept aside, on an object store its content waits for the catalog write — and only when all
//! of them succeeded are they kept (markers written, previous folders deleted, the catalog
//! told). If one fails, those already swapped in are swapped back, and the error says what the
//! output holds. A full run's rows replace the partition (kept as is when their content hash
//! equals the current one); an incremental run's rows are upserted ([`super::upsert`]).

use std::time::Instant;

use crate::commit::catalog::{Catalog, Content, FetchKind, FileRecord, Increment, PartitionRecord};
use crate::commit::manifest::PartitionChanges;
use crate::commit::partition::{CommittedPartition, PublishedPartition};
use crate::layout::PartitionTarget;
use crate::table::changes::{
    ChangeRules, ChangeStamp, HistoryState, PartitionDiff, RowsAt, elapsed_ms, history_of,
    no_changes, partition_changes,
};
use crate::table::inputs::{PublishOptions, SourcePartitions};
use crate::table::merge::{ChangedKeys, changed_keys};
use crate::table::report::rolled_back_message;
use crate::table::upsert::{new_rows_record, staged_records};
use crate::write::SinkError;
use crate::write::file_metadata::file_metadata;
use crate::write::partition::StagedPartition;

use super::{Fetched, ParquetTables};

/// A partition published while the rest of its source is, the increments of an older output
/// it folded (deleted once the catalog no longer lists them) and what it changed.
struct Publishing {
    published: PublishedPartition,
    folded: Vec<Increment>,
    changes: Option<PartitionChanges>,
}

/// How one partition of a source is published.
struct PublishStep<'a> {
    fetched: &'a Fetched,
    /// Nothing new was fetched: the partition stays as it is.
    keep_current: bool,
    changed: &'a ChangedKeys,
    options: &'a PublishOptions<'a>,
}

impl ParquetTables {
    /// Publishes a finished source's partitions together or not at all; see the module
    /// documentation. `options.nothing_new`: the change fetch found no record newer than the
    /// previous mark, so its rows (the re-fetched boundary records) need no publish.
    pub(crate) async fn publish_source(
        &self,
        partitions: SourcePartitions,
        options: &PublishOptions<'_>,
    ) -> Result<(), String> {
        // Partitions governed by one entity first: whether they published anything decides
        // whether `rejects` (governed by both) has anything new.
        let (mut ordered, mixed): (SourcePartitions, SourcePartitions) = partitions
            .into_iter()
            .partition(|(_, fetched)| fetched.len() <= 1);
        ordered.extend(mixed);
        let changed = match self.source_changed_keys(&ordered).await {
            Ok(changed) => changed,
            Err(error) => {
                discard(ordered.into_iter().map(|(staged, _)| staged));
                return Err(error);
            }
        };
        let mut done: Vec<Publishing> = Vec::new();
        let mut published_new = false;
        let mut partitions = ordered.into_iter();
        while let Some((staged, fetched)) = partitions.next() {
            // An older output's increments are folded by the first run that touches them.
            let folds = self
                .catalog
                .partition(&staged.place().target)
                .is_some_and(|r| !r.legacy.increments.is_empty());
            let keep_current = options.nothing_new
                && !folds
                && !fetched.is_empty()
                && if fetched.len() == 1 {
                    fetched.values().all(|k| *k == FetchKind::Changes)
                } else {
                    !published_new
                };
            let step = PublishStep {
                fetched: &fetched,
                keep_current,
                changed: &changed,
                options,
            };
            match self.publish_one(staged, &step, &mut done).await {
                Ok(new) => published_new |= new,
                Err(error) => {
                    discard(partitions.map(|(staged, _)| staged));
                    return Err(roll_back_source(error.to_string(), done));
                }
            }
        }
        let mut pending = self.pending();
        for publishing in done {
            pending.consumed.extend(publishing.folded);
            pending.changes.extend(publishing.changes);
            pending.partitions.push(publishing.published.keep());
        }
        Ok(())
    }

    /// Publishes one partition of a source into `done` (the caller keeps or rolls back all of
    /// them): its history first, when asked and anything changed, then its rows. Returns
    /// whether the partition's content changed.
    async fn publish_one(
        &self,
        staged: StagedPartition,
        step: &PublishStep<'_>,
        done: &mut Vec<Publishing>,
    ) -> Result<bool, SinkError> {
        if step.keep_current {
            let committed = CommittedPartition {
                place: staged.place().clone(),
                content: Content {
                    run_id: staged.place().run_id.clone(),
                    content_hash: staged.content_hash().to_owned(),
                    rows: staged.rows(),
                    files: Vec::new(),
                },
                unchanged: true,
            };
            let changes = no_changes(&staged.place().target, false);
            staged.abort()?;
            done.push(Publishing {
                published: PublishedPartition::unchanged(committed),
                folded: Vec::new(),
                changes,
            });
            return Ok(false);
        }
        let record = self.catalog.partition(&staged.place().target).cloned();
        let replaces = step.fetched.values().all(|k| *k == FetchKind::Full);
        let started = Instant::now();
        let mut changes = self
            .record_changes(&staged, record.as_ref(), replaces, step.options, done)
            .await?;
        if let Some(changes) = changes.as_mut() {
            changes.elapsed_ms = elapsed_ms(started);
        }
        let folded = record
            .as_ref()
            .map(|r| r.legacy.increments.clone())
            .unwrap_or_default();
        let published = match record {
            Some(current) if !replaces => {
                self.upsert(
                    staged,
                    current,
                    step.fetched,
                    step.changed,
                    step.options.parquet,
                )
                .await?
            }
            current => {
                let current = current.filter(|r| r.legacy.increments.is_empty());
                staged.publish(current.as_ref().map(|r| &r.snapshot))?
            }
        };
        let changed = !published.committed().unchanged;
        let folded = if changed { folded } else { Vec::new() };
        done.push(Publishing {
            published,
            folded,
            changes,
        });
        Ok(changed)
    }

    /// The change counts of `staged` against the partition's current rows and, with history
    /// on and anything changed, the history appended (pushed into `done` before the partition
    /// it describes). A partition with increments of an older output is not counted.
    async fn record_changes(
        &self,
        staged: &StagedPartition,
        record: Option<&PartitionRecord>,
        replaces: bool,
        options: &PublishOptions<'_>,
        done: &mut Vec<Publishing>,
    ) -> Result<Option<PartitionChanges>, SinkError> {
        let target = &staged.place().target;
        if record.is_some_and(|r| !r.legacy.increments.is_empty()) {
            return Ok(None);
        }
        let current_files = record.map(|r| r.snapshot.files.clone()).unwrap_or_default();
        let same_content =
            replaces && record.is_some_and(|r| r.snapshot.content_hash == staged.content_hash());
        let new_files = staged_records(staged);
        let rows_at = |files| RowsAt {
            location: &self.location,
            files,
        };
        let history = HistoryState::of(options.history, self.history_absent(target));
        let rules = ChangeRules {
            replaces,
            count_deletes: !options.incomplete.contains(&target.dataset),
            same_content,
            history,
        };
        let (current, new) = (rows_at(&current_files), rows_at(&new_files));
        let Some((counts, recorded)) = partition_changes(target, current, new, rules).await? else {
            return Ok(None);
        };
        if let Some(recorded) = recorded {
            let appended = self
                .append_history(target, &recorded, current, new, options)
                .await?;
            done.extend(appended);
        }
        Ok(Some(counts))
    }

    /// Whether the partition `target` has no history yet (history just turned on).
    fn history_absent(&self, target: &PartitionTarget) -> bool {
        history_of(target).is_some_and(|(_, history)| self.catalog.partition(&history).is_none())
    }

    /// Appends `diff`'s rows to the partition's history: the current history files stay (hard
    /// links locally), the new file joins, published like any partition of the source. A
    /// history that already holds this run's file (a resumed run that got this far before)
    /// is left as it is.
    async fn append_history(
        &self,
        target: &PartitionTarget,
        diff: &PartitionDiff,
        current: RowsAt<'_>,
        new: RowsAt<'_>,
        options: &PublishOptions<'_>,
    ) -> Result<Option<Publishing>, SinkError> {
        let Some((history, history_target)) = history_of(target) else {
            return Ok(None);
        };
        let run_file = format!("part-{}-", self.identity.run_id);
        let kept: Vec<FileRecord> = self
            .catalog
            .partition(&history_target)
            .map(|r| r.snapshot.files.clone())
            .unwrap_or_default();
        if kept.iter().any(|f| f.path.contains(&run_file)) {
            return Ok(None);
        }
        let metadata = file_metadata(&self.identity.run_id, &history_target);
        let writer = self.writer(history_target, history.schema(), metadata, options.parquet)?;
        let stamp = ChangeStamp {
            run_id: &self.identity.run_id,
            changed_at: self.identity.started_at,
        };
        let staged = diff
            .write_history(target, current, new, &stamp, writer)
            .await?;
        let published = self.publish_merged(staged, None, &kept)?;
        Ok(Some(Publishing {
            published,
            folded: Vec::new(),
            changes: None,
        }))
    }

    /// The keys the source's new rows (and an older output's increments) fetched again as
    /// changes, with the sequence of their latest fetch.
    async fn source_changed_keys(
        &self,
        partitions: &SourcePartitions,
    ) -> Result<ChangedKeys, String> {
        let sequence = next_sequence(&self.catalog);
        let mut records = Vec::new();
        for (staged, fetched) in partitions {
            if fetched.values().all(|k| *k == FetchKind::Full) {
                continue;
            }
            if let Some(current) = self.catalog.partition(&staged.place().target) {
                records.push(current.clone());
            }
            records.push(new_rows_record(staged, fetched, sequence));
        }
        if records.is_empty() {
            return Ok(ChangedKeys::new());
        }
        changed_keys(&self.location, &records)
            .await
            .map_err(|e| e.to_string())
    }
}

/// The sequence a run's new rows take: after every increment an older output recorded.
pub(super) fn next_sequence(catalog: &Catalog) -> u64 {
    catalog.next_increment_sequence()
}

/// Rolls back every partition a failed source had published and says what the output holds
/// now: the previous state, or which partitions could not be put back.
fn roll_back_source(error: String, done: Vec<Publishing>) -> String {
    let mut stuck = Vec::new();
    let mut rolled_back = 0usize;
    for publishing in done.into_iter().rev() {
        let partition = publishing.published.committed().place.relative_dir();
        let was_published = !publishing.published.committed().unchanged;
        match publishing.published.roll_back() {
            Ok(()) => rolled_back += usize::from(was_published),
            Err(e) => stuck.push(format!("{partition} ({e})")),
        }
    }
    rolled_back_message(&error, rolled_back, &stuck)
}

fn discard(staged: impl Iterator<Item = StagedPartition>) {
    for partition in staged {
        if let Err(error) = partition.abort() {
            tracing::warn!(%error, "could not delete a discarded staging folder");
        }
    }
}
