//! The high-water marks of a Delta output's incremental sources: one small JSON object per
//! source (`_marks/source=<s>/tenant=<t>.json`), written after the source's commits landed.
//!
//! One object per source means shards never write the same object, so no catalog needs a
//! lock. A mark written late (a crash between the commits and the mark) only makes the next run
//! fetch more changes than needed; their upsert is idempotent.

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::commit::catalog::SourceState;
use crate::layout::{DELTA_MARKS_DIR, delta_mark_path};
use crate::write::location::ObjectStoreOutput;

use super::DeltaError;

/// Every source's marks found under `output`.
pub(crate) async fn load_marks(output: &ObjectStoreOutput) -> Result<Vec<SourceState>, DeltaError> {
    let prefix = output.key(DELTA_MARKS_DIR);
    let fail = |location: String, reason: String| DeltaError::Mark {
        action: "read",
        location,
        reason,
    };
    let listed: Vec<_> = output
        .store
        .list(Some(&prefix))
        .try_collect()
        .await
        .map_err(|e| fail(output.display(DELTA_MARKS_DIR), e.to_string()))?;
    let mut states = Vec::new();
    for object in listed {
        if !object.location.as_ref().ends_with(".json") {
            continue;
        }
        let location = object.location.to_string();
        let bytes = output
            .store
            .get(&object.location)
            .await
            .map_err(|e| fail(location.clone(), e.to_string()))?
            .bytes()
            .await
            .map_err(|e| fail(location.clone(), e.to_string()))?;
        let state: SourceState = serde_json::from_slice(&bytes).map_err(|e| {
            fail(
                location.clone(),
                format!("{e}; delete the object to export the source in full next time"),
            )
        })?;
        states.push(state);
    }
    Ok(states)
}

/// Writes one source's marks (replacing the previous object).
pub(crate) async fn store_mark(
    output: &ObjectStoreOutput,
    state: &SourceState,
) -> Result<(), DeltaError> {
    let relative = delta_mark_path(&state.source, &state.tenant);
    let fail = |reason: String| DeltaError::Mark {
        action: "write",
        location: output.display(&relative),
        reason,
    };
    let body = serde_json::to_vec_pretty(state).map_err(|e| fail(e.to_string()))?;
    output
        .store
        .put(&output.key(&relative), PutPayload::from(Bytes::from(body)))
        .await
        .map_err(|e| fail(e.to_string()))?;
    Ok(())
}
