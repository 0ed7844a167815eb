//! The publishing half of an object-store snapshot.
//!
//! Object stores cannot rename a folder, so the commit protocol is "write everything under new
//! keys, then publish one small object that points at it":
//!
//! 1. every Parquet file is uploaded under a run-unique key
//!    (`<dataset>/source=<s>/tenant=<t>/part-<run_id>-NNNNN.parquet`); nothing existing changes;
//! 2. the catalog `_current.json` is written with one PUT — **the commit point**: a reader that
//!    uses its file lists sees the previous snapshot before this PUT and the new one after it,
//!    never a mix, and a run that fails before it changes nothing readers rely on;
//! 3. the run manifest `_manifests/<run_id>.json` is written;
//! 4. a `_SUCCESS` marker is written into each committed partition;
//! 5. files no longer referenced by the catalog (replaced snapshots, uploads of failed runs) are
//!    deleted from the committed partitions.
//!
//! Steps 3 to 5 follow the commit: if they fail, the run still committed.

use std::collections::BTreeSet;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, PutPayload};
use tokio::runtime::Handle;

use crate::layout;
use crate::write::SinkError;
use crate::write::location::ObjectStoreOutput;
use crate::write::rotating::PartFile;

/// A partition's files, uploaded but not yet referenced by the catalog.
#[must_use = "uploaded files are invisible until the catalog commit; commit or delete them"]
#[derive(Debug)]
pub struct UploadedSnapshot {
    output: ObjectStoreOutput,
    relative_dir: String,
    files: Vec<PartFile>,
}

impl UploadedSnapshot {
    pub(crate) fn new(
        output: ObjectStoreOutput,
        relative_dir: String,
        files: Vec<PartFile>,
    ) -> Self {
        Self {
            output,
            relative_dir,
            files,
        }
    }

    /// The files, in write order.
    pub fn files(&self) -> &[PartFile] {
        &self.files
    }

    /// The partition folder relative to the output root.
    pub fn relative_dir(&self) -> &str {
        &self.relative_dir
    }

    /// Deletes the uploaded files (the run failed, or the content did not change).
    pub async fn delete(self) -> Result<(), SinkError> {
        let keys: Vec<String> = self
            .files
            .iter()
            .map(|f| format!("{}/{}", self.relative_dir, f.file_name))
            .collect();
        delete_all(&self.output, &keys).await
    }

    /// Deletes the files on `runtime` without waiting (from `Drop` or synchronous callers).
    /// What a crash leaves behind is removed by the next commit of the partition.
    pub fn delete_in_background(self, runtime: &Handle) {
        runtime.spawn(async move {
            if let Err(error) = self.delete().await {
                tracing::warn!(%error, "could not delete the uploads of a discarded snapshot");
            }
        });
    }
}

/// Writes a small object (catalog, manifest, marker) with one PUT, which S3 applies atomically:
/// readers see the previous object or the new one.
pub async fn put_object(
    output: &ObjectStoreOutput,
    relative: &str,
    contents: Vec<u8>,
) -> Result<(), SinkError> {
    output
        .store
        .put(
            &output.key(relative),
            PutPayload::from(Bytes::from(contents)),
        )
        .await
        .map(|_| ())
        .map_err(|error| SinkError::ObjectStore {
            action: "write",
            location: output.display(relative),
            error,
        })
}

/// Reads a small object; `None` when it does not exist.
pub async fn get_object(
    output: &ObjectStoreOutput,
    relative: &str,
) -> Result<Option<Bytes>, SinkError> {
    let fail = |error| SinkError::ObjectStore {
        action: "read",
        location: output.display(relative),
        error,
    };
    match output.store.get(&output.key(relative)).await {
        Ok(result) => result.bytes().await.map(Some).map_err(fail),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(error) => Err(fail(error)),
    }
}

/// Checks that the bucket answers and the credentials may list it, so a wrong bucket or key
/// fails the run before anything is fetched.
pub async fn check_access(output: &ObjectStoreOutput) -> Result<(), SinkError> {
    let prefix = (!output.prefix.as_ref().is_empty()).then_some(&output.prefix);
    output
        .store
        .list_with_delimiter(prefix)
        .await
        .map(|_| ())
        .map_err(|error| SinkError::ObjectStore {
            action: "list",
            location: output.url.clone(),
            error,
        })
}

/// Relative paths (to the output root) of every object under `relative_dir`.
pub async fn list_relative(
    output: &ObjectStoreOutput,
    relative_dir: &str,
) -> Result<Vec<String>, SinkError> {
    let dir = output.key(relative_dir);
    let root = output.prefix.clone();
    let metas: Vec<_> = output
        .store
        .list(Some(&dir))
        .try_collect()
        .await
        .map_err(|error| SinkError::ObjectStore {
            action: "list",
            location: output.display(relative_dir),
            error,
        })?;
    Ok(metas
        .into_iter()
        .filter_map(|meta| relative_to(&root, &meta.location))
        .collect())
}

/// Deletes the Parquet part files under `relative_dir` that `keep` (relative paths) does not
/// name: replaced snapshots and uploads of failed or crashed runs.
pub async fn remove_unreferenced(
    output: &ObjectStoreOutput,
    relative_dir: &str,
    keep: &BTreeSet<String>,
) -> Result<usize, SinkError> {
    let stale: Vec<String> = list_relative(output, relative_dir)
        .await?
        .into_iter()
        .filter(|path| {
            let name = path.rsplit('/').next().unwrap_or_default();
            (layout::is_part_file_name(name) && !keep.contains(path)) || name == layout::MARKER_FILE
        })
        .collect();
    let count = stale.len();
    delete_all(output, &stale).await?;
    Ok(count)
}

/// Deletes objects by relative path; missing ones are fine.
pub async fn delete_all(output: &ObjectStoreOutput, relative: &[String]) -> Result<(), SinkError> {
    let results: Vec<_> = futures::stream::iter(relative.iter().cloned())
        .map(|path| async move {
            match output.store.delete(&output.key(&path)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(error) => Err(SinkError::ObjectStore {
                    action: "delete",
                    location: output.display(&path),
                    error,
                }),
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    results.into_iter().collect()
}

fn relative_to(root: &ObjectPath, key: &ObjectPath) -> Option<String> {
    if root.as_ref().is_empty() {
        return Some(key.as_ref().to_owned());
    }
    let parts: Vec<String> = key
        .prefix_match(root)?
        .map(|part| part.as_ref().to_owned())
        .collect();
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use object_store::memory::InMemory;

    use super::*;

    #[tokio::test]
    async fn unreferenced_part_files_are_removed_and_others_kept() -> Result<(), SinkError> {
        let output = ObjectStoreOutput::new(Arc::new(InMemory::new()), "lake", "s3://b/lake");
        for name in ["part-r1-00000.parquet", "part-r2-00000.parquet", "_SUCCESS"] {
            put_object(&output, &format!("customers/s/{name}"), b"x".to_vec()).await?;
        }
        let keep = BTreeSet::from(["customers/s/part-r2-00000.parquet".to_owned()]);
        assert_eq!(remove_unreferenced(&output, "customers/s", &keep).await?, 2);
        let mut left = list_relative(&output, "customers").await?;
        left.sort();
        // A marker left in the data folder by an older version goes too.
        assert_eq!(left, ["customers/s/part-r2-00000.parquet"]);
        assert!(get_object(&output, "customers/s/nope").await?.is_none());
        Ok(())
    }
}
