//! One writer at a time for a local Parquet output: a run holds an exclusive `flock` on
//! `<out>/.custlake.lock` from the moment it opens the output until it ends, so a second
//! export, compaction or link step into the same folder fails at once with a clear message
//! instead of replacing files the first run's manifest lists. The kernel drops the lock when
//! the process ends in any way (`kill -9` included), so a crashed run never blocks the next.
//!
//! Within one process the lock is shared: an export's link step opens the output again.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use crate::layout::WRITER_LOCK_FILE;
use crate::write::SinkError;
use crate::write::durable::try_lock_exclusive;

/// The held lock; released when the last clone is dropped.
#[derive(Debug, Clone)]
pub(crate) struct WriterLock {
    _file: Arc<File>,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LockError {
    /// Another process holds it.
    #[error(
        "another custlake process is writing to {0} (it holds {WRITER_LOCK_FILE}); a Parquet \
         output takes one writer at a time: wait for it to finish, or use format = \"delta\" \
         for many writers"
    )]
    Busy(String),
    /// The lock file could not be opened or locked.
    #[error(transparent)]
    Io(#[from] SinkError),
}

/// Locks held by this process, by output folder.
static HELD: Mutex<Option<HashMap<PathBuf, Weak<File>>>> = Mutex::new(None);

impl WriterLock {
    /// Takes the writer lock of the local output `out` (or shares the one this process holds).
    pub(crate) fn acquire(out: &Path) -> Result<Self, LockError> {
        let mut held = match HELD.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let held = held.get_or_insert_with(HashMap::new);
        if let Some(file) = held.get(out).and_then(Weak::upgrade) {
            return Ok(Self { _file: file });
        }
        let path = out.join(WRITER_LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| SinkError::io("open lock file", &path, e))?;
        if !try_lock_exclusive(&file, &path)? {
            return Err(LockError::Busy(out.display().to_string()));
        }
        let file = Arc::new(file);
        held.insert(out.to_path_buf(), Arc::downgrade(&file));
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_process_shares_its_lock_and_releases_it_when_done()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let first = WriterLock::acquire(dir.path())?;
        let again = WriterLock::acquire(dir.path())?;
        drop((first, again));
        // Released: taking it anew works (a fresh flock on a fresh descriptor).
        let _third = WriterLock::acquire(dir.path())?;
        Ok(())
    }
}
