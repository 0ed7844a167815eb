//! The Delta side of a run's output (`format = "delta"`): where partition writers put their
//! files (straight into the tables, under run-unique names) and how a finished source's
//! partitions become table commits.
//!
//! A source's partitions are committed one table at a time (no multi-table transaction exists
//! in Delta): `contacts`, `customers`, `rejects`. A full snapshot replaces its partition. An
//! incremental U8 run upserts: the current files holding rows of re-fetched records are
//! rewritten without them (copy-on-write) in the commit that adds the new rows, so the partition
//! holds one row per key after every commit. A change planned against files another writer
//! replaced meanwhile is planned again.

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard};

use arrow::datatypes::SchemaRef;
use chrono::{DateTime, Utc};
use custlake_schema::Dataset;
use deltalake::DeltaTable;
use tokio::sync::mpsc;

use crate::commit::catalog::SourceState;
use crate::commit::catalog::{Catalog, Content, DeltaKind, DeltaRecord, PartitionRecord};
use crate::commit::delta::DeltaError;
use crate::commit::delta::marks::store_mark;
use crate::commit::delta::partition_commit::{
    CommitIdentity, CommitOutcome, CommitUndo, PartitionChange, Removal, commit_partition,
    dataset_of, partition_files, revert_partition,
};
use crate::commit::delta::table::DeltaTables;
use crate::commit::delta::view::load_view;
use crate::commit::manifest::{DeltaCommitRecord, ManifestFile};
use crate::config::ParquetSinkConfig;
use crate::incremental::SourcePlan;
use crate::layout::PartitionTarget;
use crate::run::compact::{ChangedKeys, PartitionMerge, changed_keys, key_column};
use crate::run::writing::file_metadata;
use crate::write::SinkError;
use crate::write::location::OutputLocation;
use crate::write::partition::{PartitionPlace, PartitionWriter, StagedPartition};
use crate::write::rotating::PartFile;

/// How often an upsert is planned again after other writers replaced its files.
const MAX_REPLANS: u32 = 8;

/// A run's Delta output.
pub(crate) struct DeltaRun {
    tables: DeltaTables,
    /// The output as the run reads files back.
    location: OutputLocation,
    identity: CommitIdentity,
    pending: Mutex<Vec<DeltaCommitRecord>>,
    files: Mutex<Vec<ManifestFile>>,
}

impl DeltaRun {
    /// Opens the Delta output at `location` and reads its partitions and marks as a catalog.
    pub(crate) async fn open(location: &OutputLocation) -> Result<(Self, Catalog), DeltaError> {
        let tables = DeltaTables::at(location)?;
        let catalog = load_view(&tables).await?;
        let run = Self {
            tables,
            location: location.clone(),
            identity: CommitIdentity {
                run_id: String::new(),
                txn_version: 0,
                operation: "export",
            },
            pending: Mutex::new(Vec::new()),
            files: Mutex::new(Vec::new()),
        };
        Ok((run, catalog))
    }

    /// Sets the run the commits belong to; `started_at` orders runs (a resumed run keeps it).
    pub(crate) fn set_run(&mut self, run_id: &str, started_at: DateTime<Utc>) {
        self.identity.run_id = run_id.to_owned();
        self.identity.txn_version = started_at.timestamp_micros();
    }

    /// Names what this run's commits are (`export`, `compact`, `link`).
    pub(crate) fn set_operation(&mut self, operation: &'static str) {
        self.identity.operation = operation;
    }

    /// A writer of `place`'s rows into its table.
    pub(crate) fn writer(
        &self,
        place: PartitionPlace,
        schema: SchemaRef,
        metadata: Vec<(String, String)>,
        config: &ParquetSinkConfig,
    ) -> Result<PartitionWriter, SinkError> {
        PartitionWriter::create_in_table(self.tables.output(), place, schema, metadata, config)
    }

    /// Commits a finished source's partitions, one table at a time; returns the errors of those
    /// that could not be committed. `nothing_new`: the change fetch found no record newer than
    /// the previous mark, so its customers need no commit.
    pub(crate) async fn commit_source(
        &self,
        plan: &SourcePlan,
        staged: Vec<StagedPartition>,
        nothing_new: bool,
        parquet: &ParquetSinkConfig,
    ) -> Vec<String> {
        let records: Vec<PartitionRecord> = staged
            .iter()
            .map(|partition| delta_record(plan, partition))
            .collect();
        let changed = match changed_keys(&self.location, &records).await {
            Ok(changed) => changed,
            Err(error) => {
                discard(staged);
                return vec![error.to_string()];
            }
        };
        let mut committed = Vec::new();
        let mut staged = staged.into_iter();
        while let Some(partition) = staged.next() {
            let target = partition.place().target.clone();
            let entities = plan.delta_entities(&target.dataset);
            let upsert = entities.values().any(|kind| *kind == DeltaKind::Changes);
            let result = if !upsert {
                self.commit_replacement(partition).await
            } else if nothing_new && entities.len() == 1 {
                discard(vec![partition]);
                self.record_skipped(&target).await.map(|()| None)
            } else {
                self.upsert(partition, &entities, &changed, parquet).await
            };
            match result {
                Ok(Some(undo)) => committed.push((target, undo)),
                Ok(None) => {}
                Err(error @ DeltaError::Superseded { .. }) => {
                    // A later run of this source commits every partition after this one: its
                    // commits replace this run's, so taking them back could only undo what the
                    // later run found already in place.
                    discard(staged.collect());
                    return vec![superseded_message(&error, &committed)];
                }
                Err(error) => {
                    discard(staged.collect());
                    return vec![self.roll_back(error, committed).await];
                }
            }
        }
        Vec::new()
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
                    revert_partition(&self.tables, &mut table, &target, &undo, &self.identity).await
                }
                Err(error) => Err(error),
            };
            match reverted {
                Ok(version) => self.mark_rolled_back(&target, version),
                Err(revert_error) => stuck.push(format!("{target} ({revert_error})")),
            }
        }
        if stuck.is_empty() {
            let undone = match count {
                0 => String::new(),
                n => format!(" ({n} partition commit(s) of this source were rolled back)"),
            };
            format!(
                "{error}; none of this source's datasets were published{undone}, the previous \
                 state is unchanged"
            )
        } else {
            format!(
                "{error}; could not roll back {}: those partitions hold this run's data while \
                 the source's other datasets keep the previous state; run the export again to \
                 make them agree",
                stuck.join(", ")
            )
        }
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
        let outcome =
            commit_partition(&self.tables, &mut table, &target, &change, &self.identity).await;
        self.settle(staged, &target, outcome)
    }

    /// Commits `staged` (rows of re-fetched records) into its partition, rewriting the current
    /// files that hold older rows of the same records.
    async fn upsert(
        &self,
        staged: StagedPartition,
        entities: &std::collections::BTreeMap<String, DeltaKind>,
        changed: &ChangedKeys,
        parquet: &ParquetSinkConfig,
    ) -> Result<Option<CommitUndo>, DeltaError> {
        let target = staged.place().target.clone();
        let mut table = self.open_table(&target).await?;
        for attempt in 0..MAX_REPLANS {
            if attempt > 0 {
                table
                    .update_state()
                    .await
                    .map_err(|e| self.table_error(&target, e))?;
            }
            let scope = UpsertScope {
                target: &target,
                dataset: dataset_of(&target)?,
                entities,
                changed,
            };
            let plan = self.plan_upsert(&table, &scope, attempt, parquet).await;
            let (change, rewritten) = match plan {
                Ok(Some(rewrite)) => rewrite.into_change(staged_files(&staged)),
                Ok(None) if staged.rows() == 0 => {
                    discard(vec![staged]);
                    return self.record_skipped(&target).await.map(|()| None);
                }
                Ok(None) => UpsertPlan::default().into_change(staged_files(&staged)),
                Err(error) => {
                    discard(vec![staged]);
                    return Err(error);
                }
            };
            let outcome =
                commit_partition(&self.tables, &mut table, &target, &change, &self.identity).await;
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

    /// Which current files of the partition hold rows the upsert replaces, and their surviving
    /// rows written anew; `None` when no current file holds such rows.
    async fn plan_upsert(
        &self,
        table: &DeltaTable,
        scope: &UpsertScope<'_>,
        attempt: u32,
        parquet: &ParquetSinkConfig,
    ) -> Result<Option<UpsertPlan>, DeltaError> {
        let target = scope.target;
        let files = partition_files(table, target).map_err(|e| self.table_error(target, e))?;
        let mut plan = UpsertPlan::default();
        let mut touched = Vec::new();
        for file in &files {
            let relative = file.object_store_path().to_string();
            let record = FileRecordRef {
                path: format!("{}/{relative}", target.dataset),
                rows: file.num_records().unwrap_or(0) as u64,
                bytes: u64::try_from(file.size()).unwrap_or(0),
            };
            let survivors = self
                .surviving_rows(scope, &record)
                .await
                .map_err(|e| sink_error(target, e))?;
            if survivors == record.rows {
                plan.kept.insert(relative);
            } else {
                plan.removed.insert(relative);
                touched.push(record);
            }
        }
        if touched.is_empty() {
            return Ok(None);
        }
        let rewrite = self
            .rewrite(scope, touched, attempt, parquet)
            .await
            .map_err(|e| sink_error(target, e))?;
        plan.rewritten = Some(rewrite);
        Ok(Some(plan))
    }

    /// Rows of `file` that the upsert keeps (its key columns only are read).
    async fn surviving_rows(
        &self,
        scope: &UpsertScope<'_>,
        file: &FileRecordRef,
    ) -> Result<u64, SinkError> {
        let record = merge_record(scope.target, scope.entities, vec![file.clone()]);
        let merge = PartitionMerge::new(&record, scope.changed, scope.dataset);
        let key = key_column(&scope.target.dataset).unwrap_or("record_key");
        let columns: Vec<&str> = if scope.dataset == Dataset::Rejects {
            vec!["entity", key]
        } else {
            vec![key]
        };
        let (tx, mut rx) = mpsc::channel(2);
        let counter = tokio::spawn(async move {
            let mut rows = 0u64;
            while let Some(batch) = rx.recv().await {
                let batch: arrow::record_batch::RecordBatch = batch;
                rows += batch.num_rows() as u64;
            }
            rows
        });
        merge
            .copy_columns(&self.location, Some(&columns), &tx)
            .await?;
        drop(tx);
        counter.await.map_err(|e| SinkError::Catalog {
            location: file.path.clone(),
            detail: format!("counting rows ended abnormally: {e}"),
        })
    }

    /// Writes the surviving rows of `touched` into new files of the partition.
    async fn rewrite(
        &self,
        scope: &UpsertScope<'_>,
        touched: Vec<FileRecordRef>,
        attempt: u32,
        parquet: &ParquetSinkConfig,
    ) -> Result<StagedPartition, SinkError> {
        let (target, dataset) = (scope.target, scope.dataset);
        let record = merge_record(target, scope.entities, touched);
        let merge = PartitionMerge::new(&record, scope.changed, dataset);
        // The rewritten files get names of their own beside the run's new rows.
        let writer_id = format!("{}-u{attempt}", self.identity.run_id);
        let place = PartitionPlace::snapshot(target.clone(), &writer_id);
        let metadata = file_metadata(&self.identity.run_id, target);
        let writer = self.writer(place, dataset.schema(), metadata, parquet)?;
        merge.write_into(&self.location, writer).await
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

    /// Writes the marks of sources that committed, one object each.
    pub(crate) async fn store_marks(&self, states: &[SourceState]) -> Vec<String> {
        let mut warnings = Vec::new();
        for state in states {
            if let Err(error) = store_mark(self.tables.output(), state).await {
                warnings.push(error.to_string());
            }
        }
        warnings
    }

    /// The run's commits and the files they added, for the manifest.
    pub(crate) fn take_report(&self) -> (Vec<DeltaCommitRecord>, Vec<ManifestFile>) {
        let commits = std::mem::take(&mut *lock(&self.pending));
        let files = std::mem::take(&mut *lock(&self.files));
        (commits, files)
    }

    /// The tables (compaction, vacuum).
    pub(crate) fn tables(&self) -> &DeltaTables {
        &self.tables
    }

    /// The identity commits are made under.
    pub(crate) fn identity(&self) -> &CommitIdentity {
        &self.identity
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

/// What one partition's upsert merges against: the partition, how this run fetched each
/// entity, and the keys it re-fetched.
struct UpsertScope<'a> {
    target: &'a PartitionTarget,
    dataset: Dataset,
    entities: &'a std::collections::BTreeMap<String, DeltaKind>,
    changed: &'a ChangedKeys,
}

/// A file of a partition as the merge reads it.
type FileRecordRef = crate::commit::catalog::FileRecord;

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

/// The merge of `files` (as the snapshot) against this run's delta of `entities`: rows of
/// records re-fetched as changes, and every row of entities re-fetched in full, do not survive.
fn merge_record(
    target: &PartitionTarget,
    entities: &std::collections::BTreeMap<String, DeltaKind>,
    files: Vec<FileRecordRef>,
) -> PartitionRecord {
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
        deltas: vec![DeltaRecord {
            sequence: 1,
            entities: entities.clone(),
            content: Content {
                run_id: String::new(),
                content_hash: String::new(),
                rows: 0,
                files: Vec::new(),
            },
        }],
    }
}

/// `staged`'s rows as a delta of sequence 1, for reading the keys it re-fetched.
fn delta_record(plan: &SourcePlan, staged: &StagedPartition) -> PartitionRecord {
    let target = &staged.place().target;
    let dir = slash_dir(target);
    let files = staged_files(staged)
        .iter()
        .map(|file| FileRecordRef {
            path: format!("{dir}/{}", file.file_name),
            rows: file.rows,
            bytes: file.bytes,
        })
        .collect();
    let mut record = merge_record(target, &plan.delta_entities(&target.dataset), Vec::new());
    if let Some(delta) = record.deltas.first_mut() {
        delta.content.files = files;
    }
    record
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
