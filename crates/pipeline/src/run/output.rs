//! The output side of one run (an export or a compaction): opens the output and its catalog,
//! hands out partition writers, commits partitions as their source finishes (with the
//! incremental publish rules), and at the end writes the catalog and has the run manifest
//! written ([`crate::commit::manifest`]) and what is no longer referenced removed
//! ([`crate::commit::cleanup`]).
//!
//! The order at the end is the commit protocol of both outputs:
//! catalog (`_current.json`) → run manifest → `_SUCCESS` markers (object stores) → clean-up.
//! In a local folder each partition was already swapped in atomically when its source finished,
//! and the catalog follows; on an object store the catalog write is the commit point (see
//! [`crate::write::object_store::commit`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use arrow::datatypes::SchemaRef;
use chrono::Utc;

use crate::commit::catalog::{Catalog, Content, DeltaKind, DeltaRecord, EntityMark};
use crate::commit::cleanup::CleanUp;
use crate::commit::manifest::{DeltaCommitRecord, ManifestFile, RunManifest, SourceReport};
use crate::commit::output_kind::{detect_format, record_format};
use crate::commit::partition::{CommittedPartition, PublishedPartition};
use crate::commit::writer_lock::{LockError, WriterLock};
use crate::config::ParquetSinkConfig;
use crate::config::ValidatedSource;
use crate::incremental::{MarkWatcher, SourcePlan, missing_mark_warning, next_mark, plan_source};
use crate::layout::PartitionTarget;
use crate::model::OutputFormat;
use crate::run::delta::DeltaRun;
use crate::run::error::ExportError;
use crate::write::SinkError;
use crate::write::location::OutputLocation;
use crate::write::object_store::commit::check_access;
use crate::write::parquet::remove_run_staging;
use crate::write::partition::{PartitionPlace, PartitionWriter, StagedPartition};

/// The output of one run.
pub struct RunOutput {
    location: OutputLocation,
    run_id: String,
    catalog: Catalog,
    pending: Mutex<Pending>,
    /// `Some` for a Delta output: partitions are committed to its tables, and `catalog` is
    /// the tables' current state read back.
    delta: Option<DeltaRun>,
    /// A local Parquet output's writer lock, held while the run has the output open.
    _lock: Option<WriterLock>,
}

/// What the run committed so far, applied to the catalog at the end.
#[derive(Default)]
struct Pending {
    partitions: Vec<(CommittedPartition, BTreeMap<String, DeltaKind>)>,
    marks: Vec<(String, String, EntityMark)>,
    /// Deltas folded into a new snapshot by a compaction, deleted after the catalog commit.
    consumed: Vec<DeltaRecord>,
    /// Every partition a writer was created for; on object stores, what the catalog does not
    /// reference there afterwards (replaced, unchanged or failed uploads) is deleted.
    touched: Vec<PartitionPlace>,
}

impl RunOutput {
    /// Opens an output of `format` the caller built, before the run id is known (a resumed run
    /// reads its id from its checkpoints); set it with [`RunOutput::set_run_id`]. An output
    /// that holds the other format is refused before anything is written; a new one records
    /// its format; a local Parquet output is locked against other writers for the run.
    pub async fn open_as(
        location: OutputLocation,
        format: OutputFormat,
    ) -> Result<Self, ExportError> {
        let unusable = |reason: String| ExportError::Output {
            path: location.to_string(),
            reason,
        };
        let recorded = detect_format(&location)
            .await
            .map_err(|e| unusable(e.to_string()))?;
        if let Some(recorded) = recorded.filter(|r| *r != format) {
            return Err(ExportError::NotThisOutput {
                path: location.to_string(),
                reason: format!(
                    "it holds a {recorded} output and this run writes {format}: pass --format \
                     {recorded} (or set [output] format = \"{recorded}\"), or write to another \
                     folder",
                    recorded = recorded.as_str(),
                    format = format.as_str(),
                ),
            });
        }
        match &location {
            OutputLocation::Local(dir) => {
                prepare_local(dir).map_err(|e| unusable(e.to_string()))?
            }
            OutputLocation::ObjectStore(store) => check_access(store)
                .await
                .map_err(|e| unusable(e.to_string()))?,
        }
        let lock = match (&location, format) {
            (OutputLocation::Local(dir), OutputFormat::Parquet) => {
                Some(WriterLock::acquire(dir).map_err(|e| match e {
                    LockError::Busy(_) => ExportError::Busy(e.to_string()),
                    LockError::Io(e) => unusable(e.to_string()),
                })?)
            }
            _ => None,
        };
        record_format(&location, format)
            .await
            .map_err(|e| unusable(e.to_string()))?;
        let (catalog, delta) = match format {
            OutputFormat::Parquet => {
                let catalog = Catalog::load(&location)
                    .await
                    .map_err(|e| unusable(e.to_string()))?;
                (catalog, None)
            }
            OutputFormat::Delta => {
                let (delta, catalog) = DeltaRun::open(&location)
                    .await
                    .map_err(|e| unusable(e.to_string()))?;
                (catalog, Some(delta))
            }
        };
        Ok(Self {
            location,
            run_id: String::new(),
            catalog,
            pending: Mutex::new(Pending::default()),
            delta,
            _lock: lock,
        })
    }

    /// Opens an existing output of whatever format it records (`link`, `compact`): a path that
    /// holds no custlake output is refused before anything is created there.
    pub async fn open_existing(location: OutputLocation) -> Result<Self, ExportError> {
        let format = existing_format(&location).await?;
        Self::open_as(location, format).await
    }

    /// When the run started: a Delta output orders its commits by it (a resumed run keeps it).
    pub fn set_started_at(&mut self, started_at: chrono::DateTime<Utc>) {
        let run_id = self.run_id.clone();
        if let Some(delta) = self.delta.as_mut() {
            delta.set_run(&run_id, started_at);
        }
    }

    /// Names what this run's Delta commits are (`export`, `compact`, `link`).
    pub fn set_operation(&mut self, operation: &'static str) {
        if let Some(delta) = self.delta.as_mut() {
            delta.set_operation(operation);
        }
    }

    /// The Delta side of the output, for a Delta output.
    pub(crate) fn delta(&self) -> Option<&DeltaRun> {
        self.delta.as_ref()
    }

    /// Sets the run every writer and commit belongs to.
    pub fn set_run_id(&mut self, run_id: &str) {
        self.run_id = run_id.to_owned();
    }

    /// The local folder for the run's staging and checkpoints: the output folder itself, or for
    /// an object store a folder in the system's temporary directory named after its URL.
    pub fn work_dir(&self) -> PathBuf {
        match &self.location {
            OutputLocation::Local(dir) => dir.clone(),
            OutputLocation::ObjectStore(store) => store.local_work_dir(),
        }
    }

    /// Where the run writes.
    pub fn location(&self) -> &OutputLocation {
        &self.location
    }

    /// The catalog as it was when the run started.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// How `source` runs this time (full or incremental).
    pub fn plan(&self, source: &ValidatedSource) -> SourcePlan {
        plan_source(source, &self.catalog, &self.run_id)
    }

    /// A writer for `target` as `plan` places it (snapshot or delta).
    pub fn writer(
        &self,
        plan: &SourcePlan,
        target: PartitionTarget,
        schema: SchemaRef,
        metadata: Vec<(String, String)>,
        config: &ParquetSinkConfig,
    ) -> Result<PartitionWriter, SinkError> {
        let place = plan.place(target);
        if let Some(delta) = &self.delta {
            return delta.writer(place, schema, metadata, config);
        }
        self.pending().touched.push(place.clone());
        PartitionWriter::create(&self.location, place, schema, metadata, config)
    }

    /// A writer for a new snapshot of `target` (compaction).
    pub fn snapshot_writer(
        &self,
        target: PartitionTarget,
        schema: SchemaRef,
        metadata: Vec<(String, String)>,
        config: &ParquetSinkConfig,
    ) -> Result<PartitionWriter, SinkError> {
        let place = PartitionPlace::snapshot(target, &self.run_id);
        if let Some(delta) = &self.delta {
            return delta.writer(place, schema, metadata, config);
        }
        self.pending().touched.push(place.clone());
        PartitionWriter::create(&self.location, place, schema, metadata, config)
    }

    /// Commits the partitions of a source that finished without error; returns the errors of
    /// those that could not be committed.
    ///
    /// What is kept instead of published: a snapshot whose content equals the current one (with
    /// no deltas on top); a full-fetch delta (U8 contacts) equal to the latest full content; a
    /// change delta (U8 customers) when no fetched record is newer than the previous mark (the
    /// inclusive filter re-fetches the boundary record); and a mixed delta (rejects) when
    /// neither of those was published, since its rows then repeat known ones.
    pub async fn commit_source(
        &self,
        plan: &SourcePlan,
        staged: Vec<StagedPartition>,
        watcher: Option<&MarkWatcher>,
        parquet: &ParquetSinkConfig,
    ) -> Vec<String> {
        let nothing_new = plan.incremental.is_some() && watcher.is_some_and(|w| w.newer() == 0);
        if let Some(delta) = &self.delta {
            return delta
                .commit_source(plan, staged, nothing_new, parquet)
                .await;
        }
        let mut published: Vec<(PublishedPartition, BTreeMap<String, DeltaKind>)> = Vec::new();
        let mut failure = None;
        let mut published_delta = false;
        let mut mixed = Vec::new();
        let mut ordered = Vec::new();
        for partition in staged {
            let entities = plan.delta_entities(&partition.place().target.dataset);
            let kinds: BTreeSet<DeltaKind> = entities.values().copied().collect();
            if partition.place().delta && kinds.len() > 1 {
                mixed.push(partition);
            } else {
                ordered.push(partition);
            }
        }
        let first_pass = ordered.len();
        for (index, partition) in ordered.into_iter().chain(mixed).enumerate() {
            if failure.is_some() {
                discard_staged(partition);
                continue;
            }
            let entities = plan.delta_entities(&partition.place().target.dataset);
            let changes_only = entities.values().all(|k| *k == DeltaKind::Changes);
            let skip = partition.place().delta
                && nothing_new
                && if index < first_pass {
                    changes_only && !entities.is_empty()
                } else {
                    !published_delta
                };
            match self.publish_one(plan, partition, skip) {
                Ok(done) => {
                    let committed = done.committed();
                    published_delta |= committed.place.delta && !committed.unchanged;
                    published.push((done, entities));
                }
                Err(e) => failure = Some(e.to_string()),
            }
        }
        match failure {
            None => {
                let mut pending = self.pending();
                for (done, entities) in published {
                    pending.partitions.push((done.keep(), entities));
                }
                Vec::new()
            }
            Some(error) => vec![roll_back_source(error, published)],
        }
    }

    /// Publishes one partition of a source, or keeps the current content when `skip`; the
    /// caller keeps or rolls back every partition of the source together.
    fn publish_one(
        &self,
        plan: &SourcePlan,
        staged: StagedPartition,
        skip: bool,
    ) -> Result<PublishedPartition, SinkError> {
        let place = staged.place().clone();
        let entities = plan.delta_entities(&place.target.dataset);
        if skip {
            let content = Content {
                run_id: place.run_id.clone(),
                content_hash: staged.content_hash().to_owned(),
                rows: staged.rows(),
                files: Vec::new(),
            };
            staged.abort()?;
            return Ok(PublishedPartition::unchanged(CommittedPartition {
                place,
                content,
                unchanged: true,
            }));
        }
        let record = self.catalog.partition(&place.target);
        let current = if place.delta {
            let only_full = entities.len() == 1 && entities.values().all(|k| *k == DeltaKind::Full);
            match (only_full, entities.keys().next()) {
                (true, Some(entity)) => record.map(|r| r.latest_full(entity)),
                _ => None,
            }
        } else {
            record.filter(|r| r.deltas.is_empty()).map(|r| &r.snapshot)
        };
        staged.publish(current)
    }

    /// A compaction's new snapshot of `target` replaced `consumed` deltas: commit it and delete
    /// the deltas once the catalog points at the new snapshot.
    pub fn commit_compacted(
        &self,
        staged: StagedPartition,
        consumed: Vec<DeltaRecord>,
    ) -> Result<CommittedPartition, SinkError> {
        let committed = staged.commit(None)?;
        let mut pending = self.pending();
        pending
            .partitions
            .push((committed.clone(), BTreeMap::new()));
        pending.consumed.extend(consumed);
        Ok(committed)
    }

    /// Commits a snapshot derived from other datasets (`customer_links`); kept instead of
    /// published when its content equals the current one.
    pub async fn commit_derived(&self, staged: StagedPartition) -> Result<(), SinkError> {
        if let Some(delta) = &self.delta {
            let target = staged.place().target.to_string();
            return delta
                .replace(staged)
                .await
                .map_err(|error| SinkError::Catalog {
                    location: target,
                    detail: error.to_string(),
                });
        }
        let record = self.catalog.partition(&staged.place().target);
        let current = record.filter(|r| r.deltas.is_empty()).map(|r| &r.snapshot);
        let committed = staged.commit(current)?;
        self.pending().partitions.push((committed, BTreeMap::new()));
        Ok(())
    }

    /// The run id the output writes with.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The high-water mark of a source's entity as the run started.
    pub fn previous_mark(&self, source: &str, tenant: &str, entity: &str) -> Option<&EntityMark> {
        self.catalog.mark(source, tenant, entity)
    }

    /// Records a source's new high-water mark; it is committed with the catalog.
    pub fn record_mark(&self, source: &str, tenant: &str, mark: EntityMark) {
        self.pending()
            .marks
            .push((source.to_owned(), tenant.to_owned(), mark));
    }

    /// After `report`'s source committed: records the new high-water mark `watcher` saw, or
    /// returns the warning explaining why the mark stays (or why an incremental source has
    /// none).
    pub fn advance_mark(
        &self,
        plan: &SourcePlan,
        watcher: Option<&MarkWatcher>,
        report: &SourceReport,
    ) -> Option<String> {
        let watcher = watcher?;
        let previous = self.previous_mark(plan.source, &plan.tenant, "customers");
        match next_mark(watcher, report, previous, &self.run_id) {
            Ok(Some(mark)) => {
                self.record_mark(plan.source, &plan.tenant, mark);
                None
            }
            Ok(None) => missing_mark_warning(plan, watcher),
            Err(warning) => Some(warning),
        }
    }

    /// Writes the catalog (the commit point on object stores) and removes the run's staging;
    /// returns the run's published files and unchanged partitions for the run manifest.
    /// Problems after the commit point become warnings.
    pub async fn commit_catalog(&self) -> Result<CatalogCommit, ExportError> {
        if let Some(delta) = &self.delta {
            return Ok(self.finish_delta(delta).await);
        }
        let Pending {
            partitions,
            marks,
            mut consumed,
            touched,
        } = std::mem::take(&mut *self.pending());
        let mut commit = CatalogCommit::default();
        let mut catalog = self.catalog.clone();
        let published = record_partitions(&mut catalog, &partitions, &mut consumed, &mut commit);
        for (source, tenant, mark) in marks {
            catalog.set_mark(&source, &tenant, mark);
        }
        let changed = !published.is_empty() || catalog.sources != self.catalog.sources;
        if changed {
            catalog.updated_by_run = self.run_id.clone();
            catalog.updated_at = Some(Utc::now());
            catalog
                .store(&self.location)
                .await
                .map_err(ExportError::Catalog)?;
        }
        let clean_up = CleanUp {
            run_id: &self.run_id,
            catalog: &catalog,
            published: &published,
            consumed: &consumed,
            touched: &touched,
        };
        commit.warnings.extend(clean_up.run(&self.location).await);
        Ok(commit)
    }

    /// The end of a run on a Delta output: every partition was committed as its source
    /// finished; what is left is each committed source's mark.
    async fn finish_delta(&self, delta: &DeltaRun) -> CatalogCommit {
        let marks = std::mem::take(&mut self.pending().marks);
        let mut catalog = Catalog::default();
        for (source, tenant, mark) in marks {
            catalog.set_mark(&source, &tenant, mark);
        }
        let mut warnings = delta.store_marks(&catalog.sources).await;
        // The run's spools and checkpoints: every partition is committed, nothing to resume.
        let work_dir = self.work_dir();
        if let Err(e) = remove_run_staging(&work_dir, &self.run_id) {
            warnings.push(format!("staging folder not cleaned up: {e}"));
        }
        if !self.location.is_local() {
            // Only succeeds once nothing else is left in it.
            let _ = std::fs::remove_dir(&work_dir);
        }
        let (delta_commits, files) = delta.take_report();
        let unchanged = delta_commits
            .iter()
            .filter(|c| c.outcome == "unchanged")
            .map(|c| PartitionTarget::new(&c.table, &c.source, &c.tenant).to_string())
            .collect();
        CatalogCommit {
            files,
            unchanged,
            warnings,
            delta_commits,
        }
    }

    /// Writes the run manifest `_manifests/<run_id>.json`.
    pub async fn write_manifest(&self, manifest: &RunManifest) -> Result<(), ExportError> {
        manifest
            .write_to(&self.location)
            .await
            .map_err(ExportError::Manifest)
    }

    fn pending(&self) -> MutexGuard<'_, Pending> {
        match self.pending.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

/// What a catalog commit published, for the run manifest.
#[derive(Debug, Default)]
pub struct CatalogCommit {
    /// Files that became current (snapshots) or were added (deltas).
    pub files: Vec<ManifestFile>,
    /// Partitions whose content did not change (`dataset/source=../tenant=..`).
    pub unchanged: Vec<String>,
    /// Housekeeping after the commit that did not succeed.
    pub warnings: Vec<String>,
    /// A Delta output's commits.
    pub delta_commits: Vec<DeltaCommitRecord>,
}

impl CatalogCommit {
    /// Adds the commit's files, unchanged partitions and warnings to `manifest`.
    pub fn record_in(self, manifest: &mut RunManifest) {
        manifest.files.extend(self.files);
        manifest.unchanged.extend(self.unchanged);
        manifest.warnings.extend(self.warnings);
        manifest.delta_commits.extend(self.delta_commits);
    }
}

/// Applies the run's committed `partitions` to `catalog`: a new snapshot replaces the
/// partition's snapshot (and supersedes its deltas, which join `consumed`), a delta is added
/// with the run's sequence. Lists the published files and unchanged partitions in `commit`;
/// returns the partitions whose content became current.
fn record_partitions<'a>(
    catalog: &mut Catalog,
    partitions: &'a [(CommittedPartition, BTreeMap<String, DeltaKind>)],
    consumed: &mut Vec<DeltaRecord>,
    commit: &mut CatalogCommit,
) -> Vec<&'a CommittedPartition> {
    let sequence = catalog.next_delta_sequence();
    let mut published = Vec::new();
    for (committed, entities) in partitions {
        let target = &committed.place.target;
        if committed.unchanged {
            if !committed.place.delta {
                commit.unchanged.push(target.to_string());
            }
            continue;
        }
        if committed.place.delta {
            let delta = DeltaRecord {
                sequence,
                entities: entities.clone(),
                content: committed.content.clone(),
            };
            if !catalog.add_delta(target, delta) {
                commit.warnings.push(format!(
                    "{target}: an incremental delta was written without a snapshot to add it \
                     to; run `custlake export --full` for this source"
                ));
            }
        } else {
            // A new full snapshot supersedes the deltas recorded against the old one (a
            // compaction lists them itself).
            if let Some(old) = catalog.partition(target) {
                let stale = old.deltas.iter().filter(|d| !consumed.contains(d));
                let stale: Vec<DeltaRecord> = stale.cloned().collect();
                consumed.extend(stale);
            }
            catalog.set_snapshot(target, committed.content.clone());
        }
        published.push(committed);
        commit
            .files
            .extend(committed.content.files.iter().map(|file| ManifestFile {
                dataset: target.dataset.clone(),
                source: target.source.clone(),
                tenant: target.tenant.clone(),
                path: file.path.clone(),
                rows: file.rows,
                bytes: file.bytes,
            }));
    }
    published
}

/// Rolls back every partition a failed source had published and says what the output holds
/// now: the previous state, or which partitions could not be put back.
fn roll_back_source(
    error: String,
    published: Vec<(PublishedPartition, BTreeMap<String, DeltaKind>)>,
) -> String {
    let mut stuck = Vec::new();
    let mut rolled_back = 0usize;
    for (done, _) in published.into_iter().rev() {
        let partition = done.committed().place.relative_dir();
        let was_published = !done.committed().unchanged;
        match done.roll_back() {
            Ok(()) => rolled_back += usize::from(was_published),
            Err(e) => stuck.push(format!("{partition} ({e})")),
        }
    }
    if stuck.is_empty() {
        let undone = match rolled_back {
            0 => String::new(),
            n => format!(" ({n} partition(s) already published were rolled back)"),
        };
        format!(
            "{error}; none of this source's datasets were published{undone}, the previous state is unchanged"
        )
    } else {
        format!(
            "{error}; could not roll back {}: those partitions hold this run's data while the \
             source's other datasets and its catalog entry keep the previous state; run the \
             export again to make them agree",
            stuck.join(", ")
        )
    }
}

fn discard_staged(staged: StagedPartition) {
    if let Err(error) = staged.abort() {
        tracing::warn!(%error, "could not delete a discarded staging folder");
    }
}

/// The format the output at `location` records or holds; refused when it holds no output.
pub(crate) async fn existing_format(
    location: &OutputLocation,
) -> Result<OutputFormat, ExportError> {
    let found = detect_format(location)
        .await
        .map_err(|e| ExportError::Output {
            path: location.to_string(),
            reason: e.to_string(),
        })?;
    found.ok_or_else(|| ExportError::NotThisOutput {
        path: location.to_string(),
        reason: "no custlake output is there (no _custlake.json, _current.json or Delta table); \
                 check the path, or run `custlake export` into it first"
            .to_owned(),
    })
}

/// Creates the folder and probes that it can be written (creating it may succeed on a
/// read-only mount that already has it).
fn prepare_local(out: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    let probe = out.join(format!(".custlake-write-probe-{}", std::process::id()));
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(&probe)
}
