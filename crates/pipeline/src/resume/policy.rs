//! Resuming interrupted runs: which run to continue, whether a source's checkpoints can be
//! trusted, and the spool stage that replays saved pages and saves new ones.
//!
//! The design is a per-entity page spool (see [`crate::resume::spool`]) rather than checkpointing
//! Parquet files: a Parquet file is only readable once its footer is written, and mapping is
//! cheap next to fetching, so a resumed run re-maps every saved page with the run's original
//! `run_id` and `extracted_at` and fetches only the pages it does not have. The result is the
//! same rows an uninterrupted run would have written, in a different order at most.
//!
//! What is trusted: a page is "done" once its spool frame was fsynced and a checkpoint naming
//! it was written atomically afterwards. A source is restarted from page 1 (never mixed) when
//! any setting that decides which records its pages hold changed, when its checkpoint or
//! spool is unusable, or when the vendor's page-1 total differs from the one the interrupted
//! run saw (records were added or removed, so page boundaries moved).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::ValidatedSource;
use crate::fetch::budget::RequestBudget;
use crate::fetch::page_set::PageSet;
use crate::fetch::retry::fetch_page_with_retries;
use crate::model::Entity;
use crate::model::VendorKind;
use crate::model::new_run_id;
use crate::resume::checkpoint::{
    CHECKPOINT_FORMAT, CheckpointError, EntityCheckpoint, InterruptedRun, RunLock, RunMarker,
    begin_run, checkpoints_dir, interrupted_runs, newest_finished_run, source_settings,
};
use crate::resume::spool::{RecordKind, SpoolError, SpoolWriter, read_frames};
use crate::sources::{FetchedPage, PageSource};
use crate::write::SinkError;
use crate::write::parquet::remove_run_staging;

/// Pages appended before the spool is fsynced and the checkpoint rewritten, at the latest.
const SYNC_EVERY_PAGES: usize = 64;
/// Time after which the next page triggers a sync. Grouping pages keeps fsyncs (three per
/// checkpoint: spool, temp file, folder) far below the page rate; a crash costs at most this
/// much refetching.
const SYNC_INTERVAL: Duration = Duration::from_millis(200);

/// The identity of this run, and its claim on the run's checkpoints folder.
#[derive(Debug)]
pub(crate) struct RunRecovery {
    /// The run id (taken over from the interrupted run when resuming).
    pub(crate) run_id: String,
    /// When the run first started; every row's `extracted_at`.
    pub(crate) started_at: DateTime<Utc>,
    /// Whether an interrupted run is being continued.
    pub(crate) resumed: bool,
    /// Whether pages are spooled (`[output] checkpoints`).
    spool: bool,
    dir: PathBuf,
    /// Held until the run ends; dropping it lets another process take the run over. `None`
    /// without checkpoints: such a run leaves nothing to take over.
    _lock: Option<RunLock>,
    /// Things to report in the manifest.
    pub(crate) notes: Vec<String>,
}

impl RunRecovery {
    /// Starts a new run, or with `resume` continues the newest interrupted run in `out` (a new
    /// run when there is none). Other interrupted runs are discarded: continuing one of them
    /// later would only publish older data over newer.
    pub(crate) fn begin(out: &Path, resume: bool, spool: bool) -> Result<Self, CheckpointError> {
        let mut notes = Vec::new();
        let chosen = settle_interrupted(out, resume && spool, &mut notes)?;
        if resume && !spool {
            tracing::warn!(
                "--resume has no effect: checkpoints are off ([output] checkpoints = false, or an object store output)"
            );
        }
        if !spool {
            // Nothing is written for this run's recovery (the output may be an object store).
            let started_at = Utc::now();
            let run_id = new_run_id(started_at);
            return Ok(Self {
                dir: checkpoints_dir(out, &run_id),
                run_id,
                started_at,
                resumed: false,
                spool,
                _lock: None,
                notes,
            });
        }
        let (run_id, started_at, lock, resumed) = match chosen {
            Some((run, lock)) => {
                let note = format!(
                    "resumed interrupted run {} (started {}): pages already on disk were replayed, the rest fetched",
                    run.marker.run_id,
                    run.marker.started_at.to_rfc3339()
                );
                tracing::info!("{note}");
                notes.push(note);
                (run.marker.run_id, run.marker.started_at, lock, true)
            }
            None => {
                let (marker, lock) = start_run(out, resume)?;
                (marker.run_id, marker.started_at, lock, false)
            }
        };
        Ok(Self {
            dir: checkpoints_dir(out, &run_id),
            run_id,
            started_at,
            resumed,
            spool,
            _lock: Some(lock),
            notes,
        })
    }
}

/// Goes through the interrupted runs in `out`, newest first: with `eligible`, the newest one no
/// later run has made stale is taken over and returned with its lock; every other one this
/// process can lock is discarded (its staging deleted, a note in `notes` unless it had
/// finished). Fails when the run to continue is locked by another process.
fn settle_interrupted(
    out: &Path,
    mut eligible: bool,
    notes: &mut Vec<String>,
) -> Result<Option<(InterruptedRun, RunLock)>, CheckpointError> {
    // A run that finished after an interrupted one started makes it stale: resuming it
    // would publish older data over newer.
    let newest_finished = newest_finished_run(out);
    let mut chosen = None;
    for run in interrupted_runs(out) {
        let run_id = run.marker.run_id.clone();
        let stale = run.finished
            || newest_finished
                .as_deref()
                .is_some_and(|finished| finished > run_id.as_str());
        let Some(lock) = RunLock::try_acquire(&run.dir)? else {
            if eligible && !stale {
                return Err(CheckpointError::InProgress {
                    run_id,
                    out: out.to_path_buf(),
                });
            }
            // Another process works on it; leave it alone.
            continue;
        };
        if eligible && !stale {
            chosen = Some((run, lock));
            eligible = false;
            continue;
        }
        // Runs older than one that is not continued are stale as well.
        eligible = false;
        if !run.finished {
            let note = if stale {
                format!("interrupted run {run_id} was discarded: a later run has finished since")
            } else {
                format!(
                    "interrupted run {run_id} was discarded (pass --resume to continue the latest interrupted run instead of starting over)"
                )
            };
            tracing::warn!("{note}");
            notes.push(note);
        }
        if let Err(error) = remove_run_staging(out, &run_id) {
            tracing::warn!(%error, "could not delete the staging folder of an earlier run");
        }
        drop(lock);
    }
    Ok(chosen)
}

/// Starts a new run with checkpoints: writes its marker and takes its lock.
fn start_run(out: &Path, resume: bool) -> Result<(RunMarker, RunLock), CheckpointError> {
    if resume {
        tracing::info!(
            out = %out.display(),
            "--resume: no interrupted run to continue, starting a new run"
        );
    }
    let started_at = Utc::now();
    let marker = RunMarker {
        format: CHECKPOINT_FORMAT,
        run_id: new_run_id(started_at),
        started_at,
        custlake_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let lock = begin_run(out, &marker)?;
    Ok((marker, lock))
}

/// The spools of one source's entities, ready to hand to their entity runs.
#[derive(Default)]
pub(crate) struct SourceSpools {
    entities: Vec<(Entity, EntitySpool)>,
}

impl SourceSpools {
    /// The spool of `entity`, if it has one.
    pub(crate) fn take(&mut self, entity: Entity) -> Option<EntitySpool> {
        let i = self.entities.iter().position(|(e, _)| *e == entity)?;
        Some(self.entities.swap_remove(i).1)
    }
}

/// Prepares the spools of `source`: keeps the interrupted run's pages when they can be
/// trusted (see the module docs), otherwise starts the source over and says why in `warnings`.
/// Fails only when the vendor cannot be asked for its current total, or the folder is unusable.
/// `filter` describes the request filter of this run (see [`source_settings`]).
pub(crate) async fn prepare_source(
    run: &RunRecovery,
    source: &ValidatedSource,
    filter: &str,
    page_sources: &[Arc<dyn PageSource>],
    budget: &RequestBudget,
    warnings: &mut Vec<String>,
) -> Result<SourceSpools, String> {
    if !run.spool {
        return Ok(SourceSpools::default());
    }
    let kind = source.vendor.kind();
    let dir = run.dir.join(&source.name);
    let settings = source_settings(source, filter);
    let mut kept: Vec<(Entity, Option<EntityCheckpoint>)> = Vec::new();
    let mut restart = None;
    if run.resumed {
        for page_source in page_sources {
            let entity = page_source.entity();
            match load_trusted(&dir, &run.run_id, source, entity, &settings) {
                Ok(checkpoint) => kept.push((entity, checkpoint)),
                Err(reason) => {
                    restart = Some(reason);
                    break;
                }
            }
        }
        if restart.is_none() {
            restart = vendor_total_changed(source, page_sources, &kept, budget).await?;
        }
    }
    if let Some(reason) = restart {
        let warning = format!(
            "{} {}: {reason}; restarting this source from page 1 (its saved pages are discarded so that data of two vendor states never mix)",
            kind.as_str(),
            source.name
        );
        tracing::warn!("{warning}");
        warnings.push(warning);
        kept.clear();
    }
    if !run.resumed || kept.is_empty() {
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(SinkError::io("clear folder", &dir, e).to_string()),
        }
    }
    std::fs::create_dir_all(&dir)
        .map_err(|e| SinkError::io("create folder", &dir, e).to_string())?;

    let mut spools = SourceSpools::default();
    for page_source in page_sources {
        let entity = page_source.entity();
        let Some(record_kind) = record_kind(kind, entity) else {
            continue;
        };
        let checkpoint = kept
            .iter_mut()
            .find(|(e, _)| *e == entity)
            .and_then(|(_, c)| c.take())
            .unwrap_or_else(|| {
                EntityCheckpoint::new(&run.run_id, source, entity.as_str(), settings.clone())
            });
        spools.entities.push((
            entity,
            EntitySpool {
                kind: record_kind,
                spool_path: dir.join(format!("{}.spool", entity.as_str())),
                checkpoint_path: dir.join(format!("{}.json", entity.as_str())),
                checkpoint,
            },
        ));
    }
    Ok(spools)
}

/// The checkpoint of `entity` if it can be continued, `None` if there is none, or the reason
/// the source must start over.
fn load_trusted(
    dir: &Path,
    run_id: &str,
    source: &ValidatedSource,
    entity: Entity,
    settings: &std::collections::BTreeMap<String, String>,
) -> Result<Option<EntityCheckpoint>, String> {
    let path = dir.join(format!("{}.json", entity.as_str()));
    let checkpoint = match EntityCheckpoint::load(&path) {
        Ok(Some(checkpoint)) => checkpoint,
        Ok(None) => return Ok(None),
        Err(error) => return Err(format!("its checkpoint cannot be used ({error})")),
    };
    if checkpoint.run_id != run_id
        || checkpoint.tenant != source.name
        || checkpoint.entity != entity.as_str()
        || checkpoint.source != source.vendor.kind().as_str()
    {
        return Err(format!(
            "checkpoint {} belongs to another run or source",
            path.display()
        ));
    }
    let changed = checkpoint.changed_settings(settings);
    if !changed.is_empty() {
        return Err(format!(
            "the configuration changed since the interrupted run (setting {})",
            changed.join(", ")
        ));
    }
    let spool = dir.join(format!("{}.spool", entity.as_str()));
    let on_disk = std::fs::metadata(&spool).map(|m| m.len()).unwrap_or(0);
    if on_disk < checkpoint.spool_bytes {
        return Err(format!(
            "spool {} is shorter ({on_disk} bytes) than its checkpoint says ({})",
            spool.display(),
            checkpoint.spool_bytes
        ));
    }
    Ok(Some(checkpoint))
}

/// Asks page 1 of every entity with saved pages for the vendor's current total; a total other
/// than the one the interrupted run saw is the reason to start over.
async fn vendor_total_changed(
    source: &ValidatedSource,
    page_sources: &[Arc<dyn PageSource>],
    kept: &[(Entity, Option<EntityCheckpoint>)],
    budget: &RequestBudget,
) -> Result<Option<String>, String> {
    for page_source in page_sources {
        let entity = page_source.entity();
        let saw = kept
            .iter()
            .find(|(e, _)| *e == entity)
            .and_then(|(_, c)| c.as_ref())
            .and_then(|c| c.first_page_total);
        let Some(saw) = saw else { continue };
        let page =
            fetch_page_with_retries(page_source.as_ref(), 1, budget, &source.fetch.retry, &|| {})
                .await
                .map_err(|e| {
                    format!(
                        "{}: asking the vendor for its current total before resuming failed: {e}",
                        entity.as_str()
                    )
                })?;
        if page.announced_records != saw {
            return Ok(Some(format!(
                "the vendor now announces {} {} where the interrupted run saw {saw}",
                page.announced_records,
                entity.as_str()
            )));
        }
    }
    Ok(None)
}

/// Which record type a vendor's entity yields; `None` for a combination no source builds.
fn record_kind(kind: VendorKind, entity: Entity) -> Option<RecordKind> {
    match (kind, entity) {
        (VendorKind::YonyouU8, Entity::Customers) => Some(RecordKind::U8Customers),
        (VendorKind::YonyouU8, Entity::Contacts) => Some(RecordKind::U8Contacts),
        (VendorKind::YeastarYcm, Entity::Customers) => Some(RecordKind::YcmCustomers),
        (VendorKind::YeastarYcm, Entity::Contacts) => None,
    }
}

/// One entity's spool and checkpoint, before its stage starts.
pub(crate) struct EntitySpool {
    kind: RecordKind,
    spool_path: PathBuf,
    checkpoint_path: PathBuf,
    checkpoint: EntityCheckpoint,
}

/// Pages and records replayed from a spool.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Replayed {
    /// Pages replayed.
    pub(crate) pages: u64,
    /// Records on them.
    pub(crate) records: u64,
}

/// A running spool stage: the fetcher sends into `pages`; the stage saves each page, then
/// hands it to the mapping stage.
pub(crate) struct SpoolStage {
    /// Where fetched pages go.
    pub(crate) pages: mpsc::Sender<FetchedPage>,
    /// Pages the spool already holds; the fetcher skips them.
    pub(crate) done: PageSet,
    /// What was replayed before fetching started.
    pub(crate) replayed: Replayed,
    /// Ends when the fetcher drops `pages`, after the final checkpoint.
    pub(crate) finished: JoinHandle<Result<(), SpoolError>>,
}

impl EntitySpool {
    /// Replays the saved pages into `to_mapper` (on a blocking thread, one page in memory at a
    /// time), then starts the stage that saves new pages.
    pub(crate) async fn start(
        self,
        to_mapper: mpsc::Sender<FetchedPage>,
        depth: usize,
    ) -> Result<SpoolStage, SpoolError> {
        let replay = tokio::task::spawn_blocking(move || self.replay(to_mapper)).await;
        let (spool, writer, replayed, to_mapper) = match replay {
            Ok(result) => result?,
            Err(join_error) => {
                return Err(SpoolError::Io(SinkError::io(
                    "replay spool",
                    PathBuf::new(),
                    std::io::Error::other(join_error.to_string()),
                )));
            }
        };
        let done = spool.checkpoint.pages.clone();
        let (pages, incoming) = mpsc::channel(depth.max(1));
        let finished =
            tokio::task::spawn_blocking(move || spool.record(writer, incoming, to_mapper));
        Ok(SpoolStage {
            pages,
            done,
            replayed,
            finished,
        })
    }

    #[allow(clippy::type_complexity)]
    fn replay(
        self,
        to_mapper: mpsc::Sender<FetchedPage>,
    ) -> Result<(Self, SpoolWriter, Replayed, mpsc::Sender<FetchedPage>), SpoolError> {
        let mut replayed = Replayed::default();
        if self.checkpoint.spool_bytes > 0 {
            read_frames(
                &self.spool_path,
                self.checkpoint.spool_bytes,
                self.kind,
                |page| {
                    replayed.pages += 1;
                    replayed.records += page.records.len() as u64;
                    to_mapper
                        .blocking_send(page)
                        .map_err(|_| SpoolError::ConsumerGone)
                },
            )?;
        }
        let writer = SpoolWriter::open(&self.spool_path, self.checkpoint.spool_bytes)?;
        Ok((self, writer, replayed, to_mapper))
    }

    /// Saves every page from `incoming` and passes it on. The checkpoint is rewritten after
    /// each fsync of the spool, at most every [`SYNC_INTERVAL`] or [`SYNC_EVERY_PAGES`].
    fn record(
        mut self,
        mut writer: SpoolWriter,
        mut incoming: mpsc::Receiver<FetchedPage>,
        to_mapper: mpsc::Sender<FetchedPage>,
    ) -> Result<(), SpoolError> {
        let mut unsynced: Vec<(u64, u64)> = Vec::new();
        let mut last_sync = Instant::now();
        while let Some(page) = incoming.blocking_recv() {
            writer.append(&page)?;
            unsynced.push((page.page, page.records.len() as u64));
            if page.page == 1 && self.checkpoint.first_page_total.is_none() {
                self.checkpoint.first_page_total = Some(page.announced_records);
            }
            to_mapper
                .blocking_send(page)
                .map_err(|_| SpoolError::ConsumerGone)?;
            if unsynced.len() >= SYNC_EVERY_PAGES || last_sync.elapsed() >= SYNC_INTERVAL {
                self.checkpoint(&mut writer, &mut unsynced)?;
                last_sync = Instant::now();
            }
        }
        self.checkpoint(&mut writer, &mut unsynced)
    }

    fn checkpoint(
        &mut self,
        writer: &mut SpoolWriter,
        unsynced: &mut Vec<(u64, u64)>,
    ) -> Result<(), SpoolError> {
        if unsynced.is_empty() {
            return Ok(());
        }
        let durable = writer.sync()?;
        for (page, records) in unsynced.drain(..) {
            if self.checkpoint.pages.insert(page) {
                self.checkpoint.records += records;
            }
        }
        self.checkpoint.spool_bytes = durable;
        self.checkpoint.updated_at = Utc::now();
        self.checkpoint
            .store(&self.checkpoint_path)
            .map_err(|e| match e {
                CheckpointError::Io(io) => SpoolError::Io(io),
                other => SpoolError::Corrupt {
                    path: self.checkpoint_path.clone(),
                    offset: 0,
                    reason: other.to_string(),
                },
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::MANIFEST_DIR;

    fn interrupted(out: &Path, run_id: &str, seconds: i64) -> Result<RunLock, CheckpointError> {
        let started_at =
            DateTime::<Utc>::from_timestamp(1_750_000_000 + seconds, 0).unwrap_or_default();
        begin_run(
            out,
            &RunMarker {
                format: CHECKPOINT_FORMAT,
                run_id: run_id.to_owned(),
                started_at,
                custlake_version: "test".to_owned(),
            },
        )
    }

    #[test]
    fn resume_takes_over_the_newest_interrupted_run_and_discards_older_ones()
    -> Result<(), Box<dyn std::error::Error>> {
        let out = tempfile::tempdir()?;
        drop(interrupted(out.path(), "20250101T000000Z-aaaaaaaa", 0)?);
        drop(interrupted(out.path(), "20250101T000100Z-bbbbbbbb", 60)?);
        let run = RunRecovery::begin(out.path(), true, true)?;
        assert!(run.resumed);
        assert_eq!(run.run_id, "20250101T000100Z-bbbbbbbb");
        assert_eq!(run.started_at.timestamp(), 1_750_000_060);
        assert!(
            !out.path()
                .join(".staging/20250101T000000Z-aaaaaaaa")
                .exists()
        );
        assert!(
            run.notes
                .iter()
                .any(|n| n.contains("aaaaaaaa was discarded"))
        );
        Ok(())
    }

    #[test]
    fn a_fresh_run_discards_interrupted_runs_and_a_finished_run_makes_them_stale()
    -> Result<(), Box<dyn std::error::Error>> {
        let out = tempfile::tempdir()?;
        drop(interrupted(out.path(), "20250101T000000Z-aaaaaaaa", 0)?);
        let fresh = RunRecovery::begin(out.path(), false, true)?;
        assert!(!fresh.resumed);
        assert!(
            !out.path()
                .join(".staging/20250101T000000Z-aaaaaaaa")
                .exists()
        );
        // That run ends normally: its staging goes.
        remove_run_staging(out.path(), &fresh.run_id)?;
        drop(fresh);

        drop(interrupted(out.path(), "20250101T000200Z-cccccccc", 120)?);
        std::fs::create_dir_all(out.path().join(MANIFEST_DIR))?;
        std::fs::write(
            out.path()
                .join(MANIFEST_DIR)
                .join("20250101T000300Z-dddddddd.json"),
            b"{}",
        )?;
        let run = RunRecovery::begin(out.path(), true, true)?;
        assert!(
            !run.resumed,
            "a later run finished, so the older one is stale"
        );
        assert!(
            run.notes
                .iter()
                .any(|n| n.contains("a later run has finished"))
        );
        Ok(())
    }

    #[test]
    fn a_run_another_process_works_on_is_not_taken_over() -> Result<(), Box<dyn std::error::Error>>
    {
        let out = tempfile::tempdir()?;
        let held = interrupted(out.path(), "20250101T000000Z-aaaaaaaa", 0)?;
        let error = RunRecovery::begin(out.path(), true, true).expect_err("locked");
        assert!(
            error.to_string().contains("another custlake process"),
            "{error}"
        );
        // A fresh run leaves it alone.
        let fresh = RunRecovery::begin(out.path(), false, true)?;
        assert!(
            out.path()
                .join(".staging/20250101T000000Z-aaaaaaaa")
                .exists()
        );
        drop((held, fresh));
        Ok(())
    }
}
