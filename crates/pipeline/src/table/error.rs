//! `TableError`: what stops a run on the output side — the output cannot be used, is another
//! format or no output at all, has another writer, or its catalog, a merge or the manifest
//! could not be written.

use crate::write::SinkError;

/// A failure of the output as a whole (as opposed to one source, which the manifest reports).
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The output folder or bucket cannot be used.
    #[error(
        "output folder {path}: {reason}; check that it exists or can be created and is writable"
    )]
    Output {
        /// The output as the user named it.
        path: String,
        /// The operating system's or the store's explanation.
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
    /// The catalog `_current.json` could not be written. In a local folder the new partitions
    /// were swapped in already; on an object store nothing of this run became current.
    #[error(
        "committing the catalog _current.json failed: {0}; in a local folder the new partitions \
         are in place, on an object store the previous ones stay current: run again"
    )]
    Catalog(#[source] SinkError),
    /// Merging a partition's files (a compaction, a fold, reading keys) failed; nothing of that
    /// source was changed.
    #[error("merging {partition} failed: {error}; its current files are unchanged")]
    Merge {
        /// The partition, as `dataset/source=../tenant=..`.
        partition: String,
        /// What went wrong.
        #[source]
        error: SinkError,
    },
    /// The manifest could not be written (the partitions themselves were committed).
    #[error("writing the run manifest failed: {0}")]
    Manifest(#[source] SinkError),
}

impl TableError {
    /// Whether the request as given cannot be carried out (exit 2) rather than the work
    /// failing (exit 1).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            TableError::Output { .. } | TableError::NotThisOutput { .. }
        )
    }
}
