//! Checkpoints: what an interrupted run already has safely on disk, so that
//! `custlake export --resume` continues it instead of starting over.
//!
//! Everything lives inside the run's staging folder and disappears with it when the run ends:
//!
//! ```text
//! <out>/.staging/<run_id>/_checkpoints/run.json                 the run's identity (id, start time)
//! <out>/.staging/<run_id>/_checkpoints/run.lock                 locked while a process works on the run
//! <out>/.staging/<run_id>/_checkpoints/<tenant>/<entity>.spool  every fetched page's raw records
//! <out>/.staging/<run_id>/_checkpoints/<tenant>/<entity>.json   which pages of the spool are durable
//! ```
//!
//! JSON files are replaced atomically (temp file, fsync, rename, fsync of the folder), and an
//! entity checkpoint only names pages whose spool bytes were fsynced before it was written, so
//! after a crash at any instant the checkpoint and the first `spool_bytes` bytes of the spool
//! agree. Nothing here holds a secret: the source's settings are stored as hashes, and
//! credentials are not among them.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::config::{ValidatedSource, VendorSettings};
use crate::fetch::page_set::PageSet;
use crate::layout::CHECKPOINT_DIR;
use crate::layout::MANIFEST_DIR;
use crate::layout::STAGING_DIR;
use crate::layout::validate_run_id;
use crate::write::SinkError;
use crate::write::durable::{try_lock_exclusive, write_file_atomically};

/// Version of the checkpoint files; a run written by another version is not resumed.
pub const CHECKPOINT_FORMAT: u32 = 1;
const FORMAT: u32 = CHECKPOINT_FORMAT;

const RUN_FILE: &str = "run.json";
const LOCK_FILE: &str = "run.lock";

/// Why a checkpoint could not be read, written or used.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// Reading or writing a checkpoint file failed.
    #[error(transparent)]
    Io(#[from] SinkError),
    /// A checkpoint file exists but does not hold what this version writes.
    #[error(
        "checkpoint {} is unusable: {reason}; run without --resume to start a new run",
        path.display()
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Another process holds the run's lock.
    #[error(
        "run {run_id} in {} is being worked on by another custlake process; wait for it to \
         finish, or write to another output folder",
        out.display()
    )]
    InProgress {
        /// The locked run.
        run_id: String,
        /// The output folder.
        out: PathBuf,
    },
}

/// `run.json`: the identity a resumed run takes over, so its rows carry the same `run_id` and
/// `extracted_at` as if it had never been interrupted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMarker {
    /// Checkpoint format version.
    pub format: u32,
    /// The run id.
    pub run_id: String,
    /// When the run first started; the `extracted_at` of every row.
    pub started_at: DateTime<Utc>,
    /// The custlake version that started the run.
    pub custlake_version: String,
}

/// `<tenant>/<entity>.json`: which pages of one entity's spool are durable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityCheckpoint {
    /// Checkpoint format version.
    pub format: u32,
    /// The run.
    pub run_id: String,
    /// `yonyou_u8` or `yeastar_ycm`.
    pub source: String,
    /// The configured source name.
    pub tenant: String,
    /// `customers` or `contacts`.
    pub entity: String,
    /// Hashes of the settings that decide which records the pages hold (see
    /// [`source_settings`]); a resume with different values restarts the source.
    pub settings: BTreeMap<String, String>,
    /// Records the vendor announced on page 1 when the run fetched it; a resume that finds
    /// another total restarts the source, because the pages no longer line up.
    pub first_page_total: Option<u64>,
    /// Length of the spool's durable prefix; bytes after it are discarded on resume.
    pub spool_bytes: u64,
    /// Pages in that prefix.
    pub pages: PageSet,
    /// Records in that prefix.
    pub records: u64,
    /// When this checkpoint was written.
    pub updated_at: DateTime<Utc>,
}

impl EntityCheckpoint {
    /// An empty checkpoint for a fresh entity; `settings` from [`source_settings`].
    pub fn new(
        run_id: &str,
        source: &ValidatedSource,
        entity: &str,
        settings: BTreeMap<String, String>,
    ) -> Self {
        Self {
            format: FORMAT,
            run_id: run_id.to_owned(),
            source: source.vendor.kind().as_str().to_owned(),
            tenant: source.name.clone(),
            entity: entity.to_owned(),
            settings,
            first_page_total: None,
            spool_bytes: 0,
            pages: PageSet::default(),
            records: 0,
            updated_at: Utc::now(),
        }
    }

    /// Reads a checkpoint; `None` when there is none.
    pub fn load(path: &Path) -> Result<Option<Self>, CheckpointError> {
        let Some(checkpoint) = read_json::<Self>(path)? else {
            return Ok(None);
        };
        if checkpoint.format != FORMAT {
            return Err(CheckpointError::Corrupt {
                path: path.to_path_buf(),
                reason: format!(
                    "format {} was written by another custlake version",
                    checkpoint.format
                ),
            });
        }
        Ok(Some(checkpoint))
    }

    /// Replaces the checkpoint file atomically.
    pub fn store(&self, path: &Path) -> Result<(), CheckpointError> {
        write_json(path, self)
    }

    /// The names of the settings that differ from `current`, for the restart message.
    pub fn changed_settings(&self, current: &BTreeMap<String, String>) -> Vec<String> {
        let mut names: Vec<String> = current
            .iter()
            .filter(|(name, value)| self.settings.get(*name) != Some(*value))
            .map(|(name, _)| name.clone())
            .collect();
        names.extend(
            self.settings
                .keys()
                .filter(|name| !current.contains_key(*name))
                .cloned(),
        );
        names
    }
}

/// The settings that decide which records a source's pages hold, each as a hash of its value
/// (a URL may carry user info, so values are never stored). Rate, concurrency, retry and
/// timeout settings are left out on purpose: they change how pages are fetched, not what they
/// contain, so they may be tuned before a resume. Mapping settings (time zone, raw column) are
/// left out because a resumed run maps every record again from the spool. `filter` describes
/// the request filter this run applies (an incremental run's change filter), which decides
/// the pages' content as much as any setting.
pub fn source_settings(source: &ValidatedSource, filter: &str) -> BTreeMap<String, String> {
    let mut settings = BTreeMap::new();
    let mut put = |name: &str, value: &str| {
        settings.insert(
            name.to_owned(),
            format!("{:016x}", xxh3_64(value.as_bytes())),
        );
    };
    put("kind", source.vendor.kind().as_str());
    put("page_size", &source.fetch.page_size.to_string());
    put("mode", &format!("{:?}", source.mode));
    put("filter", filter);
    match &source.vendor {
        VendorSettings::YonyouU8 { account, .. } => {
            put("base_url", &account.base_url);
            put("from_account", &account.from_account);
            put("to_account", &account.to_account);
            put("app_key", &account.app_key);
            put(
                "ds_sequence",
                &account
                    .ds_sequence
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            );
        }
        VendorSettings::YeastarYcm { account } => {
            put("base_url", &account.base_url);
            put("client_id", &account.client_id);
        }
    }
    settings
}

/// `<out>/.staging/<run_id>/_checkpoints`.
pub fn checkpoints_dir(out: &Path, run_id: &str) -> PathBuf {
    out.join(STAGING_DIR).join(run_id).join(CHECKPOINT_DIR)
}

/// Held while this process works on a run: an exclusive `flock` on `run.lock`. The kernel
/// drops it when the process ends in any way (including `kill -9`), so a lock that can be
/// taken means nobody works on the run any more.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

impl RunLock {
    /// Takes the lock of the run whose checkpoints are in `dir`; `None` when another process
    /// holds it.
    pub fn try_acquire(dir: &Path) -> Result<Option<Self>, CheckpointError> {
        let path = dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| SinkError::io("open lock file", &path, e))?;
        if !try_lock_exclusive(&file, &path)? {
            return Ok(None);
        }
        Ok(Some(Self { _file: file }))
    }
}

/// An unfinished run found in the staging folder.
#[derive(Debug)]
pub struct InterruptedRun {
    /// Its identity.
    pub marker: RunMarker,
    /// Its checkpoints folder.
    pub dir: PathBuf,
    /// Whether its manifest was written (it finished; only the clean-up was interrupted).
    pub finished: bool,
}

/// Every run in `<out>/.staging` with a readable `run.json`, newest first. Folders without one
/// (another version's, or a run killed before its first checkpoint) are skipped.
pub fn interrupted_runs(out: &Path) -> Vec<InterruptedRun> {
    let staging = out.join(STAGING_DIR);
    let Ok(entries) = fs::read_dir(&staging) else {
        return Vec::new();
    };
    let mut runs: Vec<InterruptedRun> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            validate_run_id(&name).ok()?;
            let dir = entry.path().join(CHECKPOINT_DIR);
            let marker = match read_json::<RunMarker>(&dir.join(RUN_FILE)) {
                Ok(Some(marker)) if marker.format == FORMAT && marker.run_id == name => marker,
                Ok(_) => return None,
                Err(error) => {
                    tracing::warn!(%error, "ignoring an unreadable interrupted run");
                    return None;
                }
            };
            let finished = out
                .join(MANIFEST_DIR)
                .join(format!("{name}.json"))
                .is_file();
            Some(InterruptedRun {
                marker,
                dir,
                finished,
            })
        })
        .collect();
    runs.sort_by(|a, b| {
        (b.marker.started_at, &b.marker.run_id).cmp(&(a.marker.started_at, &a.marker.run_id))
    });
    runs
}

/// The newest run id with a manifest in `<out>/_manifests` (run ids sort by start time).
pub fn newest_finished_run(out: &Path) -> Option<String> {
    fs::read_dir(out.join(MANIFEST_DIR))
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let run_id = name.strip_suffix(".json")?;
            validate_run_id(run_id).ok()?;
            Some(run_id.to_owned())
        })
        .max()
}

/// Creates the checkpoints folder of a new run, takes its lock and writes `run.json`.
pub fn begin_run(out: &Path, marker: &RunMarker) -> Result<RunLock, CheckpointError> {
    let dir = checkpoints_dir(out, &marker.run_id);
    fs::create_dir_all(&dir).map_err(|e| SinkError::io("create folder", &dir, e))?;
    let lock = RunLock::try_acquire(&dir)?.ok_or_else(|| CheckpointError::InProgress {
        run_id: marker.run_id.clone(),
        out: out.to_path_buf(),
    })?;
    write_json(&dir.join(RUN_FILE), marker)?;
    Ok(lock)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, CheckpointError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(SinkError::io("read file", path, error).into()),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| CheckpointError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), CheckpointError> {
    let mut json = serde_json::to_vec_pretty(value).map_err(|e| CheckpointError::Corrupt {
        path: path.to_path_buf(),
        reason: format!("cannot encode: {e}"),
    })?;
    json.push(b'\n');
    write_file_atomically(path, &json)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_cannot_be_taken_twice() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let first = RunLock::try_acquire(dir.path())?;
        assert!(first.is_some());
        assert!(RunLock::try_acquire(dir.path())?.is_none());
        drop(first);
        assert!(RunLock::try_acquire(dir.path())?.is_some());
        Ok(())
    }

    #[test]
    fn runs_are_listed_newest_first_and_finished_ones_are_marked()
    -> Result<(), Box<dyn std::error::Error>> {
        let out = tempfile::tempdir()?;
        let at = |s: i64| DateTime::<Utc>::from_timestamp(1_750_000_000 + s, 0).unwrap_or_default();
        for (id, s) in [("run-a", 0), ("run-b", 10)] {
            let marker = RunMarker {
                format: FORMAT,
                run_id: id.into(),
                started_at: at(s),
                custlake_version: "test".into(),
            };
            drop(begin_run(out.path(), &marker)?);
        }
        fs::create_dir_all(out.path().join(MANIFEST_DIR))?;
        fs::write(out.path().join(MANIFEST_DIR).join("run-a.json"), b"{}")?;
        fs::create_dir_all(out.path().join(STAGING_DIR).join("no-marker"))?;
        let runs = interrupted_runs(out.path());
        let ids: Vec<_> = runs.iter().map(|r| r.marker.run_id.as_str()).collect();
        assert_eq!(ids, ["run-b", "run-a"]);
        assert!(!runs[0].finished && runs[1].finished);
        Ok(())
    }
}
