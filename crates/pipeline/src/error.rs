//! `ExportError`: what stops a whole run (as opposed to one source, which the manifest reports).

use crate::config::ConfigError;
use crate::sinks::SinkError;

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
    /// The manifest could not be written (the snapshots themselves were committed).
    #[error("writing the run manifest failed: {0}")]
    Manifest(#[source] SinkError),
}
