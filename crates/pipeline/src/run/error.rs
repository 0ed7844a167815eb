//! `ExportError`: what stops a whole run (as opposed to one source, which the manifest reports).

use crate::config::ConfigError;
use crate::resume::checkpoint::CheckpointError;
use crate::write::SinkError;

/// A failure of the run as a whole.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The output folder cannot be used.
    #[error(
        "output folder {path}: {reason}; check that it exists or can be created and is writable"
    )]
    Output {
        /// The folder.
        path: String,
        /// The operating system's explanation.
        reason: String,
    },
    /// The output is not what the command needs: another format than the run's, or no custlake
    /// output at all for a command that reads one. Nothing was written.
    #[error("{path}: {reason}; nothing was written")]
    NotThisOutput {
        /// The output as the user named it.
        path: String,
        /// What it is, and the fix.
        reason: String,
    },
    /// Another process is writing to this (Parquet) output.
    #[error("{0}")]
    Busy(String),
    /// The run's checkpoints could not be created or taken over (another process works on the
    /// run, or the staging folder is unusable).
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The catalog `_current.json` could not be written. In a local folder the snapshots were
    /// swapped in already; on an object store nothing of this run became current.
    #[error(
        "committing the catalog _current.json failed: {0}; in a local folder the new snapshots \
         are in place, on an object store the previous ones stay current: run again"
    )]
    Catalog(#[source] SinkError),
    /// `custlake compact` could not merge a partition; nothing of that source was changed.
    #[error("compacting {partition} failed: {error}; its snapshot and deltas are unchanged")]
    Compaction {
        /// The partition, as `dataset/source=../tenant=..`.
        partition: String,
        /// What went wrong.
        #[source]
        error: SinkError,
    },
    /// The `customer_links` step could not read customers or write links; no link partition
    /// was changed.
    #[error("linking customers failed at {partition}: {error}; customer_links are unchanged")]
    Links {
        /// The partition being read or written, as `dataset/source=../tenant=..`.
        partition: String,
        /// What went wrong.
        #[source]
        error: SinkError,
    },
    /// The manifest could not be written (the snapshots themselves were committed).
    #[error("writing the run manifest failed: {0}")]
    Manifest(#[source] SinkError),
}
