//! Making writes survive a crash: fsync of files and folders, and write-then-rename for small
//! files. A rename is only durable once the folder holding the new name is synced too. Also the
//! one advisory lock that a crash releases (`flock`), for whoever must be the only writer.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use crate::write::SinkError;

/// Flushes a folder's entries (new, renamed or removed names) to disk.
///
/// On non-Unix systems a folder cannot be opened as a file, so this does nothing there.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), SinkError> {
    #[cfg(unix)]
    {
        let handle = File::open(dir).map_err(|e| SinkError::io("open folder", dir, e))?;
        handle
            .sync_all()
            .map_err(|e| SinkError::io("sync folder", dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Writes `contents` to `path` so that a reader (or a crash) sees either the old file or the
/// complete new one: temp file beside it, fsync, rename over, fsync the folder.
pub(crate) fn write_file_atomically(path: &Path, contents: &[u8]) -> Result<(), SinkError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));

    let result = (|| {
        let mut file = File::create(&temp).map_err(|e| SinkError::io("create file", &temp, e))?;
        file.write_all(contents)
            .map_err(|e| SinkError::io("write file", &temp, e))?;
        file.sync_all()
            .map_err(|e| SinkError::io("sync file", &temp, e))?;
        fs::rename(&temp, path).map_err(|e| SinkError::io("rename file into", path, e))
    })();
    if result.is_err() {
        // Best effort: the original error is the one worth reporting.
        let _ = fs::remove_file(&temp);
    }
    result?;
    sync_dir(dir)
}

/// Takes an exclusive advisory lock (`flock`) on `file` without waiting: `false` when another
/// process holds it. The kernel drops the lock when the process ends in any way (`kill -9`
/// included), so a lock that can be taken means its previous holder is gone.
pub(crate) fn try_lock_exclusive(file: &std::fs::File, path: &Path) -> Result<bool, SinkError> {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: flock only reads the descriptor, which `file` keeps open.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let error = std::io::Error::last_os_error();
            if error.raw_os_error() == Some(libc::EWOULDBLOCK) {
                return Ok(false);
            }
            return Err(SinkError::io("lock file", path, error));
        }
    }
    #[cfg(not(unix))]
    let _ = (file, path);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("m.json");
        write_file_atomically(&path, b"one")?;
        write_file_atomically(&path, b"two")?;
        assert_eq!(fs::read(&path)?, b"two");
        assert_eq!(fs::read_dir(dir.path())?.count(), 1);
        Ok(())
    }
}
