//! The one error type of the sinks and the manifest writer. Every message names the path involved
//! and says what the user can do about it, because these errors end up in front of a data engineer
//! reading a failed cron log, not in front of the programmer.

use std::io;
use std::path::PathBuf;

use parquet::errors::ParquetError;

use crate::config::InvalidParquetSetting;
use crate::layout::InvalidName;

/// Why writing, committing or cleaning up a snapshot (or the run manifest) failed.
///
/// The underlying error is part of the message rather than a `source()`, so a log line printed
/// with `{}` or with anyhow's `{:#}` says everything once, without repeating it.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// An `[output.parquet]` setting is out of range; found before anything is written.
    #[error("invalid Parquet output setting `{setting}` in [output.parquet]: {reason}")]
    InvalidConfig {
        /// The setting's name as written in the config file.
        setting: &'static str,
        /// What is wrong and which values are accepted.
        reason: String,
    },

    /// A dataset, source, tenant or run id cannot be used as a folder or file name.
    #[error(
        "{what} {value:?} cannot be used in an output path: {reason}; use letters, digits, '_', \
         '-' or '.' (not first)"
    )]
    InvalidPathComponent {
        /// Which name it is (`"tenant"`, `"run id"`, ...).
        what: &'static str,
        /// The offending value.
        value: String,
        /// Why it is rejected.
        reason: &'static str,
    },

    /// A file system operation on one path failed.
    #[error("cannot {action} {}: {error}; {}", path.display(), io_hint(error))]
    Io {
        /// What was being done, as a verb phrase ("create folder", "sync file", ...).
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The operating system's error.
        error: io::Error,
    },

    /// Moving a snapshot folder into its live place failed; the previous snapshot is untouched.
    #[error(
        "cannot move snapshot {} into place at {}: {error}; the previous snapshot is unchanged, {}",
        from.display(), to.display(), io_hint(error)
    )]
    Swap {
        /// The staged folder.
        from: PathBuf,
        /// The live partition folder.
        to: PathBuf,
        /// The operating system's error.
        error: io::Error,
    },

    /// The non-atomic fallback swap failed half way and could not put the old snapshot back.
    #[error(
        "snapshot swap into {} did not complete ({error}) and the previous snapshot could not be \
         restored ({restore_error}); it is at {}: move it back to {} by hand",
        live.display(), aside.display(), live.display()
    )]
    SwapIncomplete {
        /// The live partition folder, now missing.
        live: PathBuf,
        /// Where the previous snapshot was moved aside to.
        aside: PathBuf,
        /// Why moving the new snapshot in failed.
        error: io::Error,
        /// Why moving the previous snapshot back failed.
        restore_error: io::Error,
    },

    /// The Parquet encoder rejected a batch or could not write a file.
    #[error("cannot write Parquet file {}: {error}", path.display())]
    Parquet {
        /// The staging file being written.
        path: PathBuf,
        /// The encoder's error.
        error: ParquetError,
    },

    /// A batch's columns differ from the schema the snapshot was created with (a bug in the
    /// caller, reported instead of writing a file readers would reject).
    #[error(
        "a batch for {target} does not match the snapshot's schema: {detail}; every batch of a \
         snapshot must use the schema given to SnapshotWriter::create"
    )]
    SchemaMismatch {
        /// The partition, as `dataset/source=../tenant=..`.
        target: String,
        /// The first difference found.
        detail: String,
    },

    /// An object store request failed (S3 and S3-compatible outputs).
    #[error(
        "cannot {action} {location}: {error}; check the bucket, the AWS_* credentials and \
         CUSTLAKE_S3_ENDPOINT, and that only one custlake run writes to this output at a time"
    )]
    ObjectStore {
        /// What was being done ("upload", "delete", "read", ...).
        action: &'static str,
        /// The object, as `s3://bucket/key`.
        location: String,
        /// The store's error (it never holds credentials).
        error: object_store::Error,
    },

    /// A catalog, marker or state file exists but cannot be understood.
    #[error(
        "cannot read {location}: {detail}; it is written by custlake only: restore it from a \
         backup, or delete it to make the next run export full snapshots"
    )]
    Catalog {
        /// The file or object.
        location: String,
        /// What is wrong with it.
        detail: String,
    },

    /// Rows could not be hashed to compare snapshots (a bug: every schema custlake writes is
    /// hashable).
    #[error("cannot compute the content hash of a snapshot: {detail}")]
    ContentHash {
        /// Arrow's explanation.
        detail: String,
    },

    /// The run manifest could not be encoded as JSON.
    #[error("cannot encode run manifest {}: {error}", path.display())]
    ManifestEncode {
        /// Where the manifest was to be written.
        path: PathBuf,
        /// The encoder's error.
        error: serde_json::Error,
    },
}

impl SinkError {
    /// Wraps an I/O error with the action and path it happened on.
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, error: io::Error) -> Self {
        SinkError::Io {
            action,
            path: path.into(),
            error,
        }
    }
}

/// What a user can do about an I/O error, by kind.
fn io_hint(error: &io::Error) -> &'static str {
    match error.kind() {
        io::ErrorKind::PermissionDenied => {
            "check that the output folder is writable by the user running custlake"
        }
        io::ErrorKind::ReadOnlyFilesystem => {
            "the output folder is on a read-only file system; choose a writable one"
        }
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            "free disk space or choose an output folder with more room"
        }
        io::ErrorKind::NotFound => {
            "check that the output folder exists and nothing else removes files in it during a run"
        }
        io::ErrorKind::CrossesDevices => {
            "keep the whole output folder on one file system (staging happens inside it)"
        }
        io::ErrorKind::DirectoryNotEmpty | io::ErrorKind::AlreadyExists => {
            "make sure only one custlake run writes to this output folder at a time"
        }
        _ => "check the output folder and run again",
    }
}

impl From<InvalidParquetSetting> for SinkError {
    fn from(e: InvalidParquetSetting) -> Self {
        SinkError::InvalidConfig {
            setting: e.setting,
            reason: e.reason,
        }
    }
}

impl From<InvalidName> for SinkError {
    fn from(e: InvalidName) -> Self {
        SinkError::InvalidPathComponent {
            what: e.what,
            value: e.value,
            reason: e.reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_error_names_path_action_and_fix() {
        let error = SinkError::io(
            "create folder",
            "/x/y",
            io::Error::from(io::ErrorKind::PermissionDenied),
        );
        let message = error.to_string();
        assert!(
            message.starts_with("cannot create folder /x/y: "),
            "{message}"
        );
        assert!(message.contains("writable"), "{message}");
    }
}
