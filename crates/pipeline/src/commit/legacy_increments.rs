//! Outputs written before every partition was kept current: an incremental run then wrote its
//! rows beside the snapshot as a "delta" (`_deltas/run_id=<run>/<dataset>/source=/tenant=/`,
//! listed under `deltas` in `_current.json`), and readers had to merge them. custlake no longer
//! writes them; this is the one place that still reads them, so that the next run or
//! `custlake compact` folds them into the partition (see [`crate::table::merge`]) and deletes
//! them.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::commit::increment::Increment;
use crate::write::SinkError;

/// The folder older outputs kept their increments in.
pub const LEGACY_DIR: &str = "_deltas";

/// A partition record's increments as `_current.json` stored them (never written again: the
/// list is empty once folded, and an empty list is left out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyIncrements {
    /// Oldest first.
    #[serde(rename = "deltas", default, skip_serializing_if = "Vec::is_empty")]
    pub increments: Vec<Increment>,
}

/// Deletes one folded increment's folder (`_deltas/run_id=<r>/<dataset>/source=/tenant=`) and
/// the folders above it that became empty, up to the legacy folder; anything else is left.
pub(crate) fn remove_local_increment(root: &Path, relative: &str) -> Result<(), SinkError> {
    if !relative.starts_with(&format!("{LEGACY_DIR}/")) || relative.contains("..") {
        return Ok(());
    }
    let dir = root.join(relative);
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(SinkError::io("remove folder", dir, error)),
    }
    for ancestor in dir.ancestors() {
        if ancestor == root || !ancestor.starts_with(root) {
            break;
        }
        // Fails (and stops) at the first folder that still holds something.
        if std::fs::remove_dir(ancestor).is_err() && ancestor.exists() {
            break;
        }
    }
    Ok(())
}
