//! Replacing one folder with another so that readers see the old one or the new one, never a mix
//! and never half of either. Only this file knows about `renameat2`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::write::SinkError;

/// How a staged snapshot was put in place; the run manifest may report a non-atomic swap as a
/// warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwapMethod {
    /// There was no previous snapshot; the staged folder was renamed into place.
    Renamed,
    /// The previous snapshot was replaced in one atomic `renameat2(RENAME_EXCHANGE)`.
    Exchanged,
    /// The file system cannot exchange folders, so the previous snapshot was renamed aside and
    /// the new one renamed in: for that moment the partition is missing (never mixed).
    RenamedAside,
}

/// Puts `staged` at `live`. Afterwards whatever was at `live` before is at `staged` (after an
/// exchange) or at `aside` (after the fallback), or nowhere; the caller deletes it.
///
/// Both paths must be on one file system: the staging folder lives inside the output root.
pub(crate) fn swap_into_place(
    staged: &Path,
    live: &Path,
    aside: &Path,
) -> Result<SwapMethod, SinkError> {
    match exchange(staged, live) {
        Ok(()) => Ok(SwapMethod::Exchanged),
        Err(error) if error.kind() == io::ErrorKind::NotFound && !exists(live)? => {
            fs::rename(staged, live).map_err(|error| swap_error(staged, live, error))?;
            Ok(SwapMethod::Renamed)
        }
        Err(error) if exchange_unsupported(&error) => {
            rename_aside_then_in(staged, live, aside)?;
            Ok(SwapMethod::RenamedAside)
        }
        Err(error) => Err(swap_error(staged, live, error)),
    }
}

/// The fallback where `RENAME_EXCHANGE` is missing (non-Linux, old kernels, some network and
/// overlay file systems): move the live folder aside, move the new one in, and if that fails,
/// move the old one back. Not atomic: between the two renames the partition folder is absent,
/// so a reader sees no data for it, but still never a mix of two runs.
pub(crate) fn rename_aside_then_in(
    staged: &Path,
    live: &Path,
    aside: &Path,
) -> Result<(), SinkError> {
    if !exists(live)? {
        return fs::rename(staged, live).map_err(|error| swap_error(staged, live, error));
    }
    if let Some(parent) = aside.parent() {
        fs::create_dir_all(parent)
            .map_err(|error| SinkError::io("create folder", parent, error))?;
    }
    fs::rename(live, aside).map_err(|error| swap_error(staged, live, error))?;
    if let Err(error) = fs::rename(staged, live) {
        return match fs::rename(aside, live) {
            Ok(()) => Err(swap_error(staged, live, error)),
            Err(restore_error) => Err(SinkError::SwapIncomplete {
                live: live.to_path_buf(),
                aside: aside.to_path_buf(),
                error,
                restore_error,
            }),
        };
    }
    Ok(())
}

fn swap_error(staged: &Path, live: &Path, error: io::Error) -> SinkError {
    SinkError::Swap {
        from: staged.to_path_buf(),
        to: live.to_path_buf(),
        error,
    }
}

fn exists(path: &Path) -> Result<bool, SinkError> {
    path.try_exists()
        .map_err(|error| SinkError::io("check", PathBuf::from(path), error))
}

/// Errors meaning "this kernel or file system cannot exchange", as opposed to a real failure.
fn exchange_unsupported(error: &io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)
    ) || error.kind() == io::ErrorKind::Unsupported
}

/// Atomically exchanges two existing paths with `renameat2(RENAME_EXCHANGE)`.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;

    let to_c = |path: &Path| {
        CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
    };
    let (a, b) = (to_c(a)?, to_c(b)?);
    // SAFETY: both pointers come from CStrings that outlive the call; AT_FDCWD makes relative
    // paths resolve like every other std::fs call; renameat2 does not keep the pointers.
    let result = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// No atomic exchange outside Linux: always take the documented fallback.
#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder_with(path: &Path, name: &str, contents: &str) -> io::Result<()> {
        fs::create_dir_all(path)?;
        fs::write(path.join(name), contents)
    }

    #[test]
    fn exchange_swaps_two_folders_or_reports_unsupported() -> Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let (staged, live) = (dir.path().join("new"), dir.path().join("live"));
        folder_with(&staged, "b", "new")?;
        folder_with(&live, "a", "old")?;
        let method = swap_into_place(&staged, &live, &dir.path().join("aside"))?;
        assert!(matches!(
            method,
            SwapMethod::Exchanged | SwapMethod::RenamedAside
        ));
        assert_eq!(fs::read_to_string(live.join("b"))?, "new");
        assert!(!live.join("a").exists());
        Ok(())
    }

    #[test]
    fn missing_live_folder_is_a_plain_rename() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let (staged, live) = (dir.path().join("new"), dir.path().join("live"));
        folder_with(&staged, "b", "new")?;
        let method = swap_into_place(&staged, &live, &dir.path().join("aside"))?;
        assert_eq!(method, SwapMethod::Renamed);
        assert_eq!(fs::read_to_string(live.join("b"))?, "new");
        assert!(!staged.exists());
        Ok(())
    }

    #[test]
    fn fallback_moves_old_aside_and_new_in() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let (staged, live, aside) = (
            dir.path().join("new"),
            dir.path().join("live"),
            dir.path().join("aside"),
        );
        folder_with(&staged, "b", "new")?;
        folder_with(&live, "a", "old")?;
        rename_aside_then_in(&staged, &live, &aside)?;
        assert_eq!(fs::read_to_string(live.join("b"))?, "new");
        assert_eq!(fs::read_to_string(aside.join("a"))?, "old");
        assert!(!staged.exists());
        Ok(())
    }

    #[test]
    fn fallback_restores_the_old_folder_when_the_new_one_cannot_move()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let (staged, live, aside) = (
            dir.path().join("missing"),
            dir.path().join("live"),
            dir.path().join("aside"),
        );
        folder_with(&live, "a", "old")?;
        let error = rename_aside_then_in(&staged, &live, &aside).expect_err("nothing staged");
        assert!(matches!(error, SinkError::Swap { .. }), "{error}");
        assert_eq!(fs::read_to_string(live.join("a"))?, "old");
        assert!(!aside.exists());
        Ok(())
    }
}
