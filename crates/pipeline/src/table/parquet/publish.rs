//! Publishing a finished source's partitions on a Parquet output, together or not at all.
//!
//! Each partition is published in turn — locally its folder is swapped in and the previous one
//! kept aside, on an object store its content waits for the catalog write — and only when all
//! of them succeeded are they kept (markers written, previous folders deleted, the catalog
//! told). If one fails, those already swapped in are swapped back, and the error says what the
//! output holds. A full run's rows replace the partition (kept as is when their content hash
//! equals the current one); an incremental run's rows are upserted ([`super::upsert`]).

use crate::commit::catalog::{Catalog, Content, FetchKind, Increment};
use crate::commit::partition::{CommittedPartition, PublishedPartition};
use crate::config::ParquetSinkConfig;
use crate::table::inputs::SourcePartitions;
use crate::table::merge::{ChangedKeys, changed_keys};
use crate::table::report::rolled_back_message;
use crate::table::upsert::new_rows_record;
use crate::write::SinkError;
use crate::write::partition::StagedPartition;

use super::{Fetched, ParquetTables};

/// A partition published while the rest of its source is, and the increments of an older
/// output it folded (deleted once the catalog no longer lists them).
struct Publishing {
    published: PublishedPartition,
    folded: Vec<Increment>,
}

impl ParquetTables {
    /// Publishes a finished source's partitions together or not at all; see the module
    /// documentation. `nothing_new`: the change fetch found no record newer than the previous
    /// mark, so its rows (the re-fetched boundary records) need no publish.
    pub(crate) async fn publish_source(
        &self,
        partitions: SourcePartitions,
        nothing_new: bool,
        parquet: &ParquetSinkConfig,
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
            let keep_current = nothing_new
                && !folds
                && !fetched.is_empty()
                && if fetched.len() == 1 {
                    fetched.values().all(|k| *k == FetchKind::Changes)
                } else {
                    !published_new
                };
            match self
                .publish_one(staged, &fetched, keep_current, &changed, parquet)
                .await
            {
                Ok(publishing) => {
                    published_new |= !publishing.published.committed().unchanged;
                    done.push(publishing);
                }
                Err(error) => {
                    discard(partitions.map(|(staged, _)| staged));
                    return Err(roll_back_source(error.to_string(), done));
                }
            }
        }
        let mut pending = self.pending();
        for publishing in done {
            pending.consumed.extend(publishing.folded);
            pending.partitions.push(publishing.published.keep());
        }
        Ok(())
    }

    /// Publishes one partition of a source (the caller keeps or rolls back all of them).
    async fn publish_one(
        &self,
        staged: StagedPartition,
        fetched: &Fetched,
        keep_current: bool,
        changed: &ChangedKeys,
        parquet: &ParquetSinkConfig,
    ) -> Result<Publishing, SinkError> {
        if keep_current {
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
            staged.abort()?;
            return Ok(Publishing {
                published: PublishedPartition::unchanged(committed),
                folded: Vec::new(),
            });
        }
        let record = self.catalog.partition(&staged.place().target).cloned();
        let folded = record
            .as_ref()
            .map(|r| r.legacy.increments.clone())
            .unwrap_or_default();
        let replaces = fetched.values().all(|k| *k == FetchKind::Full);
        let published = match record {
            Some(current) if !replaces => {
                self.upsert(staged, current, fetched, changed, parquet)
                    .await?
            }
            current => {
                let current = current.filter(|r| r.legacy.increments.is_empty());
                staged.publish(current.as_ref().map(|r| &r.snapshot))?
            }
        };
        let folded = if published.committed().unchanged {
            Vec::new()
        } else {
            folded
        };
        Ok(Publishing { published, folded })
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
