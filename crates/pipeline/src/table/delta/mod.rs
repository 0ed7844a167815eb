//! The Delta Lake format (`format = "delta"`): where partition writers put their files
//! (straight into the tables, under run-unique names) and how a finished source's partitions
//! become table commits.
//!
//! A source's partitions are committed one table at a time (no multi-table transaction exists
//! in Delta): `contacts`, `customers`, `rejects`. A full snapshot replaces its partition. An
//! incremental U8 run upserts: the current files holding rows of re-fetched records are
//! rewritten without them (copy-on-write, [`crate::table::upsert`]) in the commit that adds the
//! new rows, so the partition holds one row per key after every commit. A change planned
//! against files another writer replaced meanwhile is planned again. If a later table's commit
//! fails, the source's earlier commits are taken back by roll-back commits. [`maintenance`]
//! holds compaction and vacuum.

mod history;
pub(crate) mod maintenance;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};

use arrow::datatypes::SchemaRef;
use deltalake::DeltaTable;

use crate::commit::catalog::{Catalog, EntityMark, FetchKind, FileRecord, PartitionRecord};
use crate::commit::delta::DeltaError;
use crate::commit::delta::marks::store_mark;
use crate::commit::delta::partition_commit::{
    CommitIdentity, CommitOutcome, CommitUndo, PartitionChange, Removal, commit_partition,
    dataset_of, partition_files, revert_partition,
};
use crate::commit::delta::table::DeltaTables;
use crate::commit::delta::view::load_view;
use crate::commit::manifest::{DeltaCommitRecord, ManifestFile, PartitionChanges};
use crate::config::ParquetSinkConfig;
use crate::layout::PartitionTarget;
use crate::table::error::TableError;
use crate::table::inputs::{PublishOptions, RunIdentity, SourcePartitions};
use crate::table::merge::{ChangedKeys, changed_keys};
use crate::table::report::{Published, rolled_back_message};
use crate::table::upsert::{UpsertScope, files_record, new_rows_record, rewrite, split_current};
use crate::write::SinkError;
use crate::write::file_metadata::file_metadata;
use crate::write::location::OutputLocation;
use crate::write::parquet::remove_run_staging;
use crate::write::partition::{PartitionPlace, PartitionWriter, StagedPartition};
use crate::write::rotating::PartFile;

/// How often an upsert is planned again after other writers replaced its files.
const MAX_REPLANS: u32 = 8;

/// A Delta Lake output opened for one run.
pub(crate) struct DeltaLakeTables {
    tables: DeltaTables,
    /// The output as the run reads files back.
    location: OutputLocation,
    identity: RunIdentity,
    /// The identity commits are made under (the run's, its start time as `txn` version).
    commit_identity: CommitIdentity,
    /// The tables' partitions and the sources' marks as the run opened the output.
    current: Catalog,
    pending: Mutex<Vec<DeltaCommitRecord>>,
    files: Mutex<Vec<ManifestFile>>,
    /// What each published keyed partition changed.
    changes: Mutex<Vec<PartitionChanges>>,
    marks: Mutex<Catalog>,
}

impl DeltaLakeTables {
    /// Opens the Delta output at `location` and reads its partitions and marks back.
    pub(crate) async fn open(
        location: OutputLocation,
        identity: RunIdentity,
    ) -> Result<Self, TableError> {
        let unusable = |e: DeltaError| TableError::Output {
            path: location.to_string(),
            reason: e.to_string(),
        };
        let tables = DeltaTables::at(&location).map_err(unusable)?;
        let current = load_view(&tables).await.map_err(unusable)?;
        let commit_identity = CommitIdentity {
            run_id: identity.run_id.clone(),
            txn_version: identity.started_at.timestamp_micros(),
            operation: identity.operation,
        };
        Ok(Self {
            tables,
            location,
            identity,
            commit_identity,
            current,
            pending: Mutex::new(Vec::new()),
            files: Mutex::new(Vec::new()),
            changes: Mutex::new(Vec::new()),
            marks: Mutex::new(Catalog::default()),
        })
    }

    /// Where the output is.
    pub(crate) fn location(&self) -> &OutputLocation {
        &self.location
    }

    /// The run writing.
    pub(crate) fn identity(&self) -> &RunIdentity {
        &self.identity
    }

    /// The tables' partitions and marks as the run opened the output.
    pub(crate) fn current(&self) -> &Catalog {
        &self.current
    }

    /// A writer of the run's new rows of `target`, straight into its table.
    pub(crate) fn writer(
        &self,
        target: PartitionTarget,
        schema: SchemaRef,
        metadata: Vec<(String, String)>,
        config: &ParquetSinkConfig,
    ) -> Result<PartitionWriter, SinkError> {
        let place = PartitionPlace::snapshot(target, &self.identity.run_id);
        PartitionWriter::create_in_table(self.tables.output(), place, schema, metadata, config)
    }

    /// Records a source's new high-water mark; stored when the run ends.
    pub(crate) fn record_mark(&self, source: &str, tenant: &str, mark: EntityMark) {
        lock(&self.marks).set_mark(source, tenant, mark);
    }

    /// The end of a run: every partition was committed as its source finished; what is left
    /// is each committed source's mark, the report, and the run's spools and checkpoints.
    pub(crate) async fn finish(&self) -> Published {
        let marks = std::mem::take(&mut *lock(&self.marks));
        let mut warnings = Vec::new();
        for state in &marks.sources {
            if let Err(error) = store_mark(self.tables.output(), state).await {
                warnings.push(error.to_string());
            }
        }
        let work_dir = self.location.work_dir();
        if let Err(e) = remove_run_staging(&work_dir, &self.identity.run_id) {
            warnings.push(format!("staging folder not cleaned up: {e}"));
        }
        if !self.location.is_local() {
            // Only succeeds once nothing else is left in it.
            let _ = std::fs::remove_dir(&work_dir);
        }
        let delta_commits = std::mem::take(&mut *lock(&self.pending));
        let files = std::mem::take(&mut *lock(&self.files));
        let unchanged = delta_commits
            .iter()
            .filter(|c| c.outcome == "unchanged")
            .map(|c| PartitionTarget::new(&c.table, &c.source, &c.tenant).to_string())
            .collect();
        Published {
            files,
            unchanged,
            warnings,
            delta_commits,
            changes: std::mem::take(&mut *lock(&self.changes)),
        }
    }

    /// Publishes a derived partition (`customer_links`) as its partition's whole content.
    pub(crate) async fn publish_derived(&self, staged: StagedPartition) -> Result<(), SinkError> {
        let target = staged.place().target.to_string();
        self.replace(staged)
            .await
            .map(|_| ())
            .map_err(|error| SinkError::Catalog {
                location: target,
                detail: error.to_string(),
            })
    }

    /// Commits a finished source's partitions, one table at a time, all or nothing: a failure
    /// takes back the source's earlier commits (history appends included).
    /// `options.nothing_new`: the change fetch found no record newer than the previous mark, so
    /// its customers need no commit.
    pub(crate) async fn publish_source(
        &self,
        partitions: SourcePartitions,
        options: &PublishOptions<'_>,
    ) -> Result<(), String> {
        let records: Vec<PartitionRecord> = partitions
            .iter()
            .filter(|(_, fetched)| !fetched.is_empty())
            .map(|(staged, fetched)| new_rows_record(staged, fetched, 1))
            .collect();
        let changed = match changed_keys(&self.location, &records).await {
            Ok(changed) => changed,
            Err(error) => {
                discard(partitions.into_iter().map(|(staged, _)| staged).collect());
                return Err(error.to_string());
            }
        };
        let mut committed = Vec::new();
        let mut counts = Vec::new();
        let mut partitions = partitions.into_iter();
        while let Some((partition, fetched)) = partitions.next() {
            let result = self
                .publish_one(partition, &fetched, &changed, options, &mut committed)
                .await;
            match result {
                Ok(changes) => counts.extend(changes),
                Err(error @ DeltaError::Superseded { .. }) => {
                    // A later run of this source commits every partition after this one: its
                    // commits replace this run's, so taking them back could only undo what the
                    // later run found already in place.
                    discard(partitions.map(|(staged, _)| staged).collect());
                    return Err(superseded_message(&error, &committed));
                }
                Err(error) => {
                    discard(partitions.map(|(staged, _)| staged).collect());
                    return Err(self.roll_back(error, committed).await);
                }
            }
        }
        lock(&self.changes).extend(counts);
        Ok(())
    }

    /// Commits one partition of a source (its history first, when asked), adding what can be
    /// taken back to `committed`; returns its change counts.
    async fn publish_one(
        &self,
        partition: StagedPartition,
        fetched: &BTreeMap<String, FetchKind>,
        changed: &ChangedKeys,
        options: &PublishOptions<'_>,
        committed: &mut Vec<(PartitionTarget, CommitUndo)>,
    ) -> Result<Option<PartitionChanges>, DeltaError> {
        let target = partition.place().target.clone();
        let upsert = fetched.values().any(|kind| *kind == FetchKind::Changes);
        if upsert && options.nothing_new && fetched.len() == 1 {
            discard(vec![partition]);
            self.record_skipped(&target).await?;
            return Ok(None);
        }
        let started = std::time::Instant::now();
        let mut recorded = match self.record_changes(&partition, !upsert, options).await {
            Ok(recorded) => recorded,
            Err(error) => {
                discard(vec![partition]);
                return Err(error);
            }
        };
        if let Some(counts) = recorded.counts.as_mut() {
            counts.elapsed_ms = crate::table::changes::elapsed_ms(started);
        }
        committed.extend(recorded.history);
        let undo = if upsert {
            self.upsert(partition, fetched, changed, options.parquet)
                .await?
        } else {
            self.commit_replacement(partition).await?
        };
        committed.extend(undo.map(|undo| (target, undo)));
        Ok(recorded.counts)
    }

    /// Takes back the commits a failed source made (newest first) and says what the tables
    /// hold now. A commit another writer has built on since (its files replaced, or the
    /// partition's `txn` no longer this run's) is left alone and named.
    async fn roll_back(
        &self,
        error: DeltaError,
        committed: Vec<(PartitionTarget, CommitUndo)>,
    ) -> String {
        let mut stuck = Vec::new();
        let count = committed.len();
        for (target, undo) in committed.into_iter().rev() {
            let reverted = match self.open_table(&target).await {
                Ok(mut table) => {
                    revert_partition(
                        &self.tables,
                        &mut table,
                        &target,
                        &undo,
                        &self.commit_identity,
                    )
                    .await
                }
                Err(error) => Err(error),
            };
            match reverted {
                Ok(version) => self.mark_rolled_back(&target, version),
                Err(revert_error) => stuck.push(format!("{target} ({revert_error})")),
            }
        }
        rolled_back_message(&error.to_string(), count - stuck.len(), &stuck)
    }

    /// Reports a commit of this run as rolled back (by table version `version`) and drops its
    /// files from the manifest's list.
    fn mark_rolled_back(&self, target: &PartitionTarget, version: i64) {
        for record in lock(&self.pending).iter_mut() {
            if record.table == target.dataset
                && record.source == target.source
                && record.tenant == target.tenant
                && record.outcome == "committed"
            {
                record.outcome = "rolled_back".to_owned();
                record.version = Some(version);
            }
        }
        lock(&self.files).retain(|file| {
            !(file.dataset == target.dataset
                && file.source == target.source
                && file.tenant == target.tenant)
        });
    }

    /// Commits `staged` as the whole content of its partition (a snapshot, a full re-fetch,
    /// or derived links), unless the partition already holds the same content.
    pub(crate) async fn replace(&self, staged: StagedPartition) -> Result<(), DeltaError> {
        self.commit_replacement(staged).await.map(|_| ())
    }

    /// [`replace`](Self::replace), returning how to take the commit back when one was made.
    async fn commit_replacement(
        &self,
        staged: StagedPartition,
    ) -> Result<Option<CommitUndo>, DeltaError> {
        let target = staged.place().target.clone();
        let change = PartitionChange {
            removal: Removal::AllCurrent,
            added: staged_files(&staged).to_vec(),
            content_hash: Some(staged.content_hash().to_owned()),
            data_change: true,
        };
        let mut table = self.open_table(&target).await?;
        let outcome = commit_partition(
            &self.tables,
            &mut table,
            &target,
            &change,
            &self.commit_identity,
        )
        .await;
        self.settle(staged, &target, outcome)
    }

    /// Commits `staged` (rows of re-fetched records) into its partition, rewriting the current
    /// files that hold older rows of the same records.
    async fn upsert(
        &self,
        staged: StagedPartition,
        fetched: &BTreeMap<String, FetchKind>,
        changed: &ChangedKeys,
        parquet: &ParquetSinkConfig,
    ) -> Result<Option<CommitUndo>, DeltaError> {
        let target = staged.place().target.clone();
        let mut table = self.open_table(&target).await?;
        let scope = UpsertScope {
            location: &self.location,
            target: &target,
            dataset: dataset_of(&target)?,
            fetched,
            sequence: 1,
            changed,
        };
        for attempt in 0..MAX_REPLANS {
            if attempt > 0 {
                table
                    .update_state()
                    .await
                    .map_err(|e| self.table_error(&target, e))?;
            }
            let plan = self.plan_upsert(&table, &scope, attempt, parquet).await;
            let (change, rewritten) = match plan {
                Ok(plan) if plan.removed.is_empty() && staged.rows() == 0 => {
                    discard(vec![staged]);
                    return self.record_skipped(&target).await.map(|()| None);
                }
                Ok(plan) => plan.into_change(staged_files(&staged)),
                Err(error) => {
                    discard(vec![staged]);
                    return Err(error);
                }
            };
            let outcome = commit_partition(
                &self.tables,
                &mut table,
                &target,
                &change,
                &self.commit_identity,
            )
            .await;
            match outcome {
                Ok(CommitOutcome::Stale { .. }) => {
                    discard(rewritten);
                    continue;
                }
                outcome => {
                    if !matches!(outcome, Ok(CommitOutcome::Committed { .. })) {
                        discard(rewritten);
                    }
                    return self.settle(staged, &target, outcome);
                }
            }
        }
        discard(vec![staged]);
        Err(DeltaError::GaveUp {
            partition: target.to_string(),
            table: self.tables.output().display(&target.dataset),
            attempts: MAX_REPLANS,
        })
    }

    /// Which current files of the partition hold rows the upsert replaces (their surviving rows
    /// written anew) and which stay.
    async fn plan_upsert(
        &self,
        table: &DeltaTable,
        scope: &UpsertScope<'_>,
        attempt: u32,
        parquet: &ParquetSinkConfig,
    ) -> Result<UpsertPlan, DeltaError> {
        let target = scope.target;
        let files = partition_files(table, target).map_err(|e| self.table_error(target, e))?;
        let records = file_records(target, &files);
        let split = split_current(scope, &records)
            .await
            .map_err(|e| sink_error(target, e))?;
        let table_path = |f: &FileRecord| {
            let prefix = format!("{}/", target.dataset);
            f.path.strip_prefix(&prefix).unwrap_or(&f.path).to_owned()
        };
        if split.touched.is_empty() {
            // Nothing to rewrite: every current file stays, and the commit checks they still
            // are the partition's (an empty list would read as "the partition is empty").
            return Ok(UpsertPlan {
                removed: BTreeSet::new(),
                kept: split.kept.iter().map(table_path).collect(),
                rewritten: None,
            });
        }
        // The rewritten files get names of their own beside the run's new rows.
        let writer_id = format!("{}-u{attempt}", self.identity.run_id);
        let place = PartitionPlace::snapshot(target.clone(), &writer_id);
        let metadata = file_metadata(&self.identity.run_id, target);
        let writer = self
            .writer_at(place, scope.dataset.schema(), metadata, parquet)
            .map_err(|e| sink_error(target, e))?;
        let touched = files_record(target, split.touched.clone());
        let rewritten = rewrite(scope, touched, writer)
            .await
            .map_err(|e| sink_error(target, e))?;
        Ok(UpsertPlan {
            removed: split.touched.iter().map(table_path).collect(),
            kept: split.kept.iter().map(table_path).collect(),
            rewritten: Some(rewritten),
        })
    }

    /// A writer of `place`'s rows into its table (the rewrite of an upsert).
    pub(super) fn writer_at(
        &self,
        place: PartitionPlace,
        schema: SchemaRef,
        metadata: Vec<(String, String)>,
        config: &ParquetSinkConfig,
    ) -> Result<PartitionWriter, SinkError> {
        PartitionWriter::create_in_table(self.tables.output(), place, schema, metadata, config)
    }

    /// Records `outcome` of `staged`'s commit (dropping its files when they were not added).
    fn settle(
        &self,
        staged: StagedPartition,
        target: &PartitionTarget,
        outcome: Result<CommitOutcome, DeltaError>,
    ) -> Result<Option<CommitUndo>, DeltaError> {
        match outcome {
            Ok(CommitOutcome::Committed {
                version,
                retries,
                rows,
                undo,
            }) => {
                self.record_files(target, staged_files(&staged));
                self.push(target, "committed", Some(version), retries, rows);
                // The files are the table's now: nothing to discard.
                drop(staged);
                Ok(Some(undo))
            }
            Ok(CommitOutcome::Unchanged { rows, retries }) => {
                discard(vec![staged]);
                self.push(target, "unchanged", None, retries, rows);
                Ok(None)
            }
            Ok(CommitOutcome::AlreadyApplied { rows }) => {
                discard(vec![staged]);
                self.push(target, "already_applied", None, 0, rows);
                Ok(None)
            }
            Ok(CommitOutcome::Stale { retries }) => {
                discard(vec![staged]);
                Err(DeltaError::GaveUp {
                    partition: target.to_string(),
                    table: self.tables.output().display(&target.dataset),
                    attempts: retries + 1,
                })
            }
            Err(error) => {
                discard(vec![staged]);
                Err(error)
            }
        }
    }

    /// The tables (compaction, vacuum).
    pub(crate) fn tables(&self) -> &DeltaTables {
        &self.tables
    }

    /// The identity commits are made under.
    pub(crate) fn commit_identity(&self) -> &CommitIdentity {
        &self.commit_identity
    }

    async fn open_table(&self, target: &PartitionTarget) -> Result<DeltaTable, DeltaError> {
        self.tables.open_or_create(dataset_of(target)?).await
    }

    fn table_error(
        &self,
        target: &PartitionTarget,
        error: deltalake::DeltaTableError,
    ) -> DeltaError {
        match dataset_of(target) {
            Ok(dataset) => self.tables.table_error(dataset, "read", error),
            Err(unknown) => unknown,
        }
    }

    /// Records a partition the run had nothing to commit for, with its current rows.
    async fn record_skipped(&self, target: &PartitionTarget) -> Result<(), DeltaError> {
        let table = self.open_table(target).await?;
        let files = partition_files(&table, target).map_err(|e| self.table_error(target, e))?;
        let rows = crate::commit::delta::partition_commit::rows_of(&files);
        self.push(target, "skipped", None, 0, rows);
        Ok(())
    }

    pub(crate) fn push(
        &self,
        target: &PartitionTarget,
        outcome: &str,
        version: Option<i64>,
        retries: u32,
        rows: u64,
    ) {
        lock(&self.pending).push(DeltaCommitRecord {
            table: target.dataset.clone(),
            source: target.source.clone(),
            tenant: target.tenant.clone(),
            outcome: outcome.to_owned(),
            version,
            retries,
            rows,
        });
    }

    fn record_files(&self, target: &PartitionTarget, files: &[PartFile]) {
        let dir = slash_dir(target);
        lock(&self.files).extend(files.iter().map(|file| ManifestFile {
            dataset: target.dataset.clone(),
            source: target.source.clone(),
            tenant: target.tenant.clone(),
            path: format!("{dir}/{}", file.file_name),
            rows: file.rows,
            bytes: file.bytes,
        }));
    }
}

/// The error of a source a later run superseded, naming what this run committed before.
fn superseded_message(error: &DeltaError, committed: &[(PartitionTarget, CommitUndo)]) -> String {
    if committed.is_empty() {
        return error.to_string();
    }
    let names: Vec<String> = committed.iter().map(|(t, _)| t.to_string()).collect();
    // Both runs commit a source's datasets in the same order, so the later run, having
    // committed this partition, had already committed the earlier ones after this run did.
    format!(
        "{error}; that run also published this source's other datasets after this run's commits \
         of {} (replacing them, or finding the same content in them)",
        names.join(", ")
    )
}

/// What an upsert replaces: files removed (their survivors rewritten) and files kept.
#[derive(Default)]
struct UpsertPlan {
    removed: BTreeSet<String>,
    kept: BTreeSet<String>,
    rewritten: Option<StagedPartition>,
}

impl UpsertPlan {
    /// The commit of this plan adding `new_rows`; also hands back the rewritten partition (to
    /// discard if the commit does not land).
    fn into_change(self, new_rows: &[PartFile]) -> (PartitionChange, Vec<StagedPartition>) {
        let mut added: Vec<PartFile> = Vec::new();
        let mut rewritten = Vec::new();
        if let Some(staged) = self.rewritten {
            added.extend(staged_files(&staged).iter().filter(|f| f.rows > 0).cloned());
            rewritten.push(staged);
        }
        added.extend(new_rows.iter().filter(|f| f.rows > 0).cloned());
        let removal = Removal::Exactly {
            removed: self.removed,
            kept: self.kept,
        };
        let change = PartitionChange {
            removal,
            added,
            content_hash: None,
            data_change: true,
        };
        (change, rewritten)
    }
}

/// `files` of `target`'s table as file records, paths relative to the output (as the readers
/// of a partition's rows take them).
pub(super) fn file_records(
    target: &PartitionTarget,
    files: &[deltalake::kernel::LogicalFileView],
) -> Vec<FileRecord> {
    files
        .iter()
        .map(|file| FileRecord {
            path: format!("{}/{}", target.dataset, file.object_store_path()),
            rows: file.num_records().unwrap_or(0) as u64,
            bytes: u64::try_from(file.size()).unwrap_or(0),
        })
        .collect()
}

fn slash_dir(target: &PartitionTarget) -> String {
    crate::layout::slash(&target.relative_dir())
}

fn staged_files(staged: &StagedPartition) -> &[PartFile] {
    staged.uploaded_files().unwrap_or(&[])
}

fn sink_error(target: &PartitionTarget, error: SinkError) -> DeltaError {
    DeltaError::Location {
        location: target.to_string(),
        reason: error.to_string(),
    }
}

/// Drops staged files that no commit references.
fn discard(staged: Vec<StagedPartition>) {
    for partition in staged {
        if let Err(error) = partition.abort() {
            tracing::warn!(%error, "could not delete files of a discarded partition");
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}
