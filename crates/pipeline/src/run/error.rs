//! `ExportError`: what stops a whole run (as opposed to one source, which the manifest reports).

use crate::config::ConfigError;
use crate::resume::checkpoint::CheckpointError;
use crate::table::TableError;
use crate::write::SinkError;

/// A failure of the run as a whole.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The output cannot be used, is not what the command needs, or could not be committed.
    #[error(transparent)]
    Table(#[from] TableError),
    /// The run's checkpoints could not be created or taken over (another process works on the
    /// run, or the staging folder is unusable).
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
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
}
