//! The publishing half of a snapshot: a finished, fsynced staging folder is swapped in place of
//! the live partition in one step, or thrown away. This is what guarantees that readers never see
//! a half-written snapshot or files of two runs, and that a failed run leaves the last good
//! snapshot untouched.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::swap::{SwapMethod, swap_into_place};
use crate::layout::{self, PartitionTarget, STAGING_DIR};
use crate::write::SinkError;
use crate::write::durable::sync_dir;
use crate::write::rotating::PartFile;

/// A complete snapshot waiting in staging: the pipeline commits it once its source finished
/// without error, and aborts it otherwise.
///
/// Dropping it without either deletes the staged files, like [`abort`](Self::abort).
#[must_use = "a staged snapshot is invisible until committed; call commit() or abort()"]
#[derive(Debug)]
pub struct StagedSnapshot {
    out_root: PathBuf,
    target: PartitionTarget,
    run_id: String,
    staging_dir: PathBuf,
    files: Vec<PartFile>,
    /// False once commit or abort has taken responsibility for the staging folder.
    owns_staging: bool,
}

impl StagedSnapshot {
    pub(crate) fn new(
        out_root: PathBuf,
        target: PartitionTarget,
        run_id: String,
        staging_dir: PathBuf,
        files: Vec<PartFile>,
    ) -> Self {
        Self {
            out_root,
            target,
            run_id,
            staging_dir,
            files,
            owns_staging: true,
        }
    }

    /// The partition this snapshot will replace.
    pub fn target(&self) -> &PartitionTarget {
        &self.target
    }

    /// Rows across all staged files.
    pub fn rows(&self) -> u64 {
        self.files.iter().map(|file| file.rows).sum()
    }

    /// The staged files, in write order.
    pub fn files(&self) -> &[PartFile] {
        &self.files
    }

    /// Where the files wait until commit.
    pub fn staging_dir(&self) -> &Path {
        &self.staging_dir
    }

    /// Makes this snapshot the live partition `<out>/<dataset>/source=<s>/tenant=<t>/`,
    /// replacing the previous one as a whole.
    ///
    /// On Linux the staged and live folders are exchanged atomically with
    /// `renameat2(RENAME_EXCHANGE)` and the previous snapshot (now in staging) is deleted. Without
    /// a previous snapshot the staged folder is simply renamed. Where the file system cannot
    /// exchange (`EINVAL`/`ENOSYS`, and on other systems) the previous snapshot is renamed aside
    /// and the new one renamed in: readers may then briefly find the partition missing, but
    /// never a mix, and [`CommittedSnapshot::swap`] says so. The affected folders are fsynced, so
    /// a committed snapshot survives a crash.
    ///
    /// On error before the swap the previous snapshot is untouched and the staged files are
    /// deleted. An error after it (only syncing the partition's parent folder can fail there)
    /// means the new snapshot is in place but may not survive a crash.
    pub fn commit(self) -> Result<CommittedSnapshot, SinkError> {
        Ok(self.swap_in()?.keep())
    }

    /// Puts this snapshot in place like [`commit`](Self::commit) but keeps the previous one
    /// aside, so the caller can still [roll back](SwappedSnapshot::roll_back) when another
    /// partition of the same source fails to publish.
    pub fn swap_in(mut self) -> Result<SwappedSnapshot, SinkError> {
        let live = self.target.live_dir(&self.out_root);
        let partition_parents = live
            .ancestors()
            .skip(1)
            .take_while(|dir| dir.starts_with(&self.out_root) && *dir != self.out_root)
            .map(Path::to_path_buf)
            .collect::<Vec<_>>();
        if let Some(parent) = partition_parents.first() {
            fs::create_dir_all(parent)
                .map_err(|error| SinkError::io("create folder", parent, error))?;
        }
        // Make the (possibly new) `dataset/source=..` chain durable before anything points into it.
        for dir in partition_parents
            .iter()
            .chain(std::iter::once(&self.out_root))
        {
            sync_dir(dir)?;
        }

        let aside = self.target.aside_dir(&self.out_root, &self.run_id);
        let swap = swap_into_place(&self.staging_dir, &live, &aside)?;
        self.owns_staging = false;

        if let Some(parent) = live.parent() {
            sync_dir(parent)?;
        }
        // The previous snapshot now sits at the staging path (exchange) or at `aside`
        // (fallback); it is no longer visible.
        let previous = match swap {
            SwapMethod::Renamed => None,
            SwapMethod::Exchanged => Some(self.staging_dir.clone()),
            SwapMethod::RenamedAside => Some(aside.clone()),
        };
        let relative_dir = self.target.relative_dir();
        let files = self
            .files
            .iter()
            .map(|file| CommittedFile {
                path: relative_dir.join(&file.file_name),
                rows: file.rows,
                bytes: file.bytes,
            })
            .collect();
        Ok(SwappedSnapshot {
            committed: CommittedSnapshot {
                target: self.target.clone(),
                run_id: std::mem::take(&mut self.run_id),
                files,
                swap,
            },
            live,
            previous,
            rollback_aside: aside.with_extension("rollback"),
        })
    }

    /// Moves `other`'s files (staged by the same run for the same partition under another
    /// writer id) into this snapshot, so both are published as one.
    pub fn absorb(&mut self, mut other: StagedSnapshot) -> Result<(), SinkError> {
        for file in std::mem::take(&mut other.files) {
            let from = other.staging_dir.join(&file.file_name);
            let to = self.staging_dir.join(&file.file_name);
            fs::rename(&from, &to).map_err(|error| SinkError::io("move", &from, error))?;
            self.files.push(file);
        }
        other.abort()
    }

    /// Adds files of the live partition to this snapshot unchanged: hard links where the file
    /// system has them (no bytes copied), copies otherwise. `files` are (file name, rows,
    /// bytes) of files in the live partition folder.
    pub fn keep_live_files(&mut self, files: &[(String, u64, u64)]) -> Result<(), SinkError> {
        let live = self.target.live_dir(&self.out_root);
        for (name, rows, bytes) in files {
            let (from, to) = (live.join(name), self.staging_dir.join(name));
            if fs::hard_link(&from, &to).is_err() {
                fs::copy(&from, &to).map_err(|error| SinkError::io("copy", &from, error))?;
            }
            self.files.push(PartFile {
                file_name: name.clone(),
                rows: *rows,
                bytes: *bytes,
                stats: None,
            });
        }
        sync_dir(&self.staging_dir)
    }

    /// Deletes the staged files; the live partition is not touched.
    pub fn abort(mut self) -> Result<(), SinkError> {
        self.owns_staging = false;
        remove_if_present(&self.staging_dir)
    }
}

impl Drop for StagedSnapshot {
    fn drop(&mut self) {
        if self.owns_staging {
            let _ = fs::remove_dir_all(&self.staging_dir);
        }
    }
}

/// A snapshot that is live while the previous one still waits aside: [`keep`](Self::keep)
/// deletes the previous one, [`roll_back`](Self::roll_back) puts it back. Dropped without
/// either, the new snapshot stays and the previous one is removed with the run's staging.
#[derive(Debug)]
pub struct SwappedSnapshot {
    committed: CommittedSnapshot,
    live: PathBuf,
    /// Where the previous snapshot waits; `None` when the partition had none.
    previous: Option<PathBuf>,
    /// Where a roll-back without `RENAME_EXCHANGE` moves the new snapshot aside.
    rollback_aside: PathBuf,
}

impl SwappedSnapshot {
    /// What is live now.
    pub fn committed(&self) -> &CommittedSnapshot {
        &self.committed
    }

    /// Makes the swap final: the previous snapshot is deleted. Failing to delete it only
    /// wastes space until `remove_run_staging` runs; the commit itself has succeeded.
    pub fn keep(self) -> CommittedSnapshot {
        if let Some(previous) = &self.previous {
            let _ = fs::remove_dir_all(previous);
        }
        self.committed
    }

    /// Undoes the swap: the previous snapshot is live again (or the partition absent again, if
    /// it had none) and the new one is deleted.
    pub fn roll_back(self) -> Result<(), SinkError> {
        match &self.previous {
            Some(previous) => {
                let swap = swap_into_place(previous, &self.live, &self.rollback_aside)?;
                // The new snapshot now sits where the previous one waited (exchange) or aside.
                let _ = fs::remove_dir_all(previous);
                if swap == SwapMethod::RenamedAside {
                    let _ = fs::remove_dir_all(&self.rollback_aside);
                }
            }
            None => {
                // Renamed away first, so readers never see the folder half deleted.
                if let Some(parent) = self.rollback_aside.parent() {
                    fs::create_dir_all(parent)
                        .map_err(|error| SinkError::io("create folder", parent, error))?;
                }
                fs::rename(&self.live, &self.rollback_aside)
                    .map_err(|error| SinkError::io("move aside", &self.live, error))?;
                remove_if_present(&self.rollback_aside)?;
            }
        }
        if let Some(parent) = self.live.parent() {
            sync_dir(parent)?;
        }
        Ok(())
    }
}

/// What a commit published: the manifest lists these files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedSnapshot {
    /// The partition that was replaced.
    pub target: PartitionTarget,
    /// The run that wrote it.
    pub run_id: String,
    /// Its files, in write order.
    pub files: Vec<CommittedFile>,
    /// How it was put in place.
    pub swap: SwapMethod,
}

impl CommittedSnapshot {
    /// Rows across all files.
    pub fn rows(&self) -> u64 {
        self.files.iter().map(|file| file.rows).sum()
    }

    /// Bytes across all files.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|file| file.bytes).sum()
    }
}

/// One published Parquet file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedFile {
    /// Path relative to the output root, e.g.
    /// `customers/source=yonyou_u8/tenant=east/part-<run_id>-00000.parquet`.
    pub path: PathBuf,
    /// Rows in the file.
    pub rows: u64,
    /// Size of the file in bytes.
    pub bytes: u64,
}

/// Deletes `<out>/.staging/<run_id>` (and `.staging` itself once empty).
///
/// A previous snapshot that a failed fallback swap could not restore (see
/// [`SinkError::SwapIncomplete`]) is kept elsewhere and survives this.
///
/// The pipeline calls it once at the end of a run, after every snapshot is committed or aborted:
/// it removes what crashed writers or failed deletions left behind. Per-snapshot commit and
/// abort do not remove the shared run folder, because other writers of the same run may still
/// be creating folders in it.
pub fn remove_run_staging(out_root: &Path, run_id: &str) -> Result<(), SinkError> {
    layout::validate_run_id(run_id)?;
    remove_if_present(&layout::run_staging_dir(out_root, run_id))?;
    let staging_root = out_root.join(STAGING_DIR);
    remove_empty_dirs(&staging_root.join(layout::ASIDE_DIR));
    // Fails while other runs still stage here, which is fine.
    let _ = fs::remove_dir(&staging_root);
    Ok(())
}

fn remove_if_present(dir: &Path) -> Result<(), SinkError> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(SinkError::io("remove folder", dir, error)),
    }
}

/// Removes the empty folders of a tree bottom-up and leaves any folder that still holds a file.
fn remove_empty_dirs(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                remove_empty_dirs(&entry.path());
            }
        }
    }
    // Fails when something is left inside (or the folder is gone), both fine.
    let _ = fs::remove_dir(dir);
}
