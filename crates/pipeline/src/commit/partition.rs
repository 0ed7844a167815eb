//! Publishing one staged partition: locally its folder is swapped in and a marker written; on
//! an object store its files, already under run-unique keys, become current with the catalog.
//! An unchanged content hash keeps the current files and drops the staged ones.

use crate::commit::catalog::{Content, FileRecord, Marker, marker_json};
use std::path::Path;

use crate::layout::{self, MARKER_FILE, slash};
use crate::write::SinkError;
use crate::write::durable::write_file_atomically;
use crate::write::object_store::UploadedSnapshot;
use crate::write::parquet::SwappedSnapshot;
use crate::write::partition::{PartitionPlace, StagedInner, StagedPartition};

/// A committed partition: what the catalog and the run manifest record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedPartition {
    /// Where it was written.
    pub place: PartitionPlace,
    /// Its files (the previous ones when `unchanged`).
    pub content: Content,
    /// The content equalled what the partition already held, so the staged files were dropped
    /// and the previous files stay in place (with their original `run_id`).
    pub unchanged: bool,
}

impl StagedPartition {
    /// Publishes the partition, unless `current` (what the partition holds now) has the same
    /// content hash: then the staged files are dropped and `current` is kept.
    ///
    /// Locally the partition folder is swapped in atomically (see
    /// [`StagedSnapshot::commit`]) and a `_SUCCESS` marker is written for it. On an object
    /// store the files are already in place under run-unique keys; they become current when
    /// the catalog is written (see [`crate::write::object_store::commit`]).
    pub fn commit(self, current: Option<&Content>) -> Result<CommittedPartition, SinkError> {
        Ok(self.publish(current)?.keep())
    }

    /// Publishes the partition like [`commit`](Self::commit), but so that it can still be
    /// rolled back while the other partitions of its source are published: a source's
    /// datasets become current together or not at all.
    pub fn publish(self, current: Option<&Content>) -> Result<PublishedPartition, SinkError> {
        let same =
            current.filter(|c| !c.content_hash.is_empty() && c.content_hash == self.content_hash);
        if let Some(current) = same {
            let committed = CommittedPartition {
                place: self.place.clone(),
                content: current.clone(),
                unchanged: true,
            };
            let out = match &self.inner {
                StagedInner::Local { out, .. } => Some(out.clone()),
                StagedInner::Object(_) => None,
            };
            self.abort()?;
            return Ok(PublishedPartition {
                committed,
                out,
                swapped: None,
            });
        }
        let rows = self.rows();
        let Self {
            place,
            content_hash,
            inner,
        } = self;
        let content = |files| Content {
            run_id: place.run_id.clone(),
            content_hash: content_hash.clone(),
            rows,
            files,
        };
        let (content, out, swapped) = match inner {
            StagedInner::Local { staged, out } => {
                let swapped = staged.swap_in()?;
                let files = swapped.committed().files.iter().map(|file| FileRecord {
                    path: slash(&file.path),
                    rows: file.rows,
                    bytes: file.bytes,
                });
                (content(files.collect()), Some(out), Some(swapped))
            }
            StagedInner::Object(uploaded) => (content(object_file_records(&uploaded)), None, None),
        };
        Ok(PublishedPartition {
            committed: CommittedPartition {
                content,
                place,
                unchanged: false,
            },
            out,
            swapped,
        })
    }
}

/// A partition published while the rest of its source is still being published: kept (the
/// previous files deleted, the marker written) once all of them are, rolled back otherwise.
#[derive(Debug)]
pub struct PublishedPartition {
    committed: CommittedPartition,
    /// The local output folder (markers live there); `None` on an object store.
    out: Option<std::path::PathBuf>,
    /// A local swap that can still be undone.
    swapped: Option<SwappedSnapshot>,
}

impl PublishedPartition {
    /// A partition whose current content stays (nothing new to publish).
    pub fn unchanged(committed: CommittedPartition) -> Self {
        Self {
            committed,
            out: None,
            swapped: None,
        }
    }

    /// Adds files that stay in place (already current, or uploaded beside this partition's)
    /// to what is published: an upsert on an object store. The content hash becomes unknown.
    pub fn with_more_files(mut self, files: Vec<FileRecord>) -> Self {
        let content = &mut self.committed.content;
        content.rows += files.iter().map(|f| f.rows).sum::<u64>();
        content.files.extend(files);
        content.content_hash = String::new();
        self
    }

    /// What was published.
    pub fn committed(&self) -> &CommittedPartition {
        &self.committed
    }

    /// Makes the publish final and writes the partition's marker.
    pub fn keep(self) -> CommittedPartition {
        if let Some(swapped) = self.swapped {
            swapped.keep();
        }
        // The snapshot is committed already; without its marker the catalog only forgets its
        // hash (the next run rewrites it instead of skipping it).
        if let Some(out) = &self.out
            && let Err(error) =
                write_local_marker(out, &self.committed.place, &self.committed.content)
        {
            tracing::warn!(%error, "could not write the partition's _SUCCESS marker");
        }
        self.committed
    }

    /// Puts back what the partition held before. On an object store nothing was visible yet:
    /// the uploads are removed by the run's clean-up, which deletes what the catalog does not
    /// reference.
    pub fn roll_back(self) -> Result<(), SinkError> {
        match self.swapped {
            Some(swapped) => swapped.roll_back(),
            None => Ok(()),
        }
    }
}

/// Writes the marker of a local partition under `_markers/`, and removes the marker an earlier
/// version wrote inside the partition folder (readers trip over non-data files there).
fn write_local_marker(
    out: &Path,
    place: &PartitionPlace,
    content: &Content,
) -> Result<(), SinkError> {
    let path = out.join(layout::marker_path(&place.relative_dir()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| SinkError::io("create folder", dir, e))?;
    }
    write_file_atomically(&path, &marker_json(&marker_of(place, content)))?;
    remove_legacy_marker(&out.join(place.target.relative_dir()));
    Ok(())
}

/// Removes a `_SUCCESS` left inside a partition folder by custlake before schema version 2.
pub(crate) fn remove_legacy_marker(partition_dir: &Path) {
    let legacy = partition_dir.join(MARKER_FILE);
    match std::fs::remove_file(&legacy) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            tracing::warn!(%error, path = %legacy.display(), "could not remove an old _SUCCESS marker")
        }
    }
}

/// The `_SUCCESS` marker of a partition committed at `place` with `content`.
pub(crate) fn marker_of(place: &PartitionPlace, content: &Content) -> Marker {
    Marker {
        dataset: place.target.dataset.clone(),
        source: place.target.source.clone(),
        tenant: place.target.tenant.clone(),
        content: content.clone(),
    }
}

/// The catalog records of an object-store partition's uploaded files.
fn object_file_records(uploaded: &UploadedSnapshot) -> Vec<FileRecord> {
    let dir = uploaded.relative_dir();
    uploaded
        .files()
        .iter()
        .map(|file| FileRecord {
            path: format!("{dir}/{}", file.file_name),
            rows: file.rows,
            bytes: file.bytes,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::record_batch::RecordBatch;
    use object_store::memory::InMemory;

    use super::*;
    use crate::config::ParquetSinkConfig;
    use crate::layout::PartitionTarget;
    use crate::write::location::ObjectStoreOutput;
    use crate::write::location::OutputLocation;
    use crate::write::object_store::commit::list_relative;
    use crate::write::partition::PartitionWriter;

    fn batch(ids: &[&str]) -> Result<RecordBatch, Box<dyn std::error::Error>> {
        let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Utf8, false)]));
        let column: ArrayRef = Arc::new(StringArray::from(ids.to_vec()));
        Ok(RecordBatch::try_new(schema, vec![column])?)
    }

    fn write(
        output: &OutputLocation,
        place: PartitionPlace,
        ids: &[&str],
    ) -> Result<StagedPartition, Box<dyn std::error::Error>> {
        let b = batch(ids)?;
        let config = ParquetSinkConfig {
            max_rows_per_file: 2,
            ..ParquetSinkConfig::default()
        };
        let mut writer = PartitionWriter::create(output, place, b.schema(), Vec::new(), &config)?;
        writer.write(&b)?;
        Ok(writer.finish()?)
    }

    #[test]
    fn local_commit_writes_a_marker_and_skips_identical_content()
    -> Result<(), Box<dyn std::error::Error>> {
        let out = tempfile::tempdir()?;
        let output = OutputLocation::Local(out.path().to_path_buf());
        let target = PartitionTarget::new("customers", "yonyou_u8", "t");
        let first = write(
            &output,
            PartitionPlace::snapshot(target.clone(), "r1"),
            &["a", "b", "c"],
        )?
        .commit(None)?;
        assert!(!first.unchanged);
        assert_eq!(first.content.files.len(), 2, "rotated at 2 rows");
        let marker =
            crate::commit::catalog::read_local_marker(out.path(), &slash(&target.relative_dir()))?
                .ok_or("marker")?;
        assert_eq!(marker.content, first.content);

        let second = write(
            &output,
            PartitionPlace::snapshot(target.clone(), "r2"),
            &["c", "a", "b"],
        )?
        .commit(Some(&first.content))?;
        assert!(second.unchanged);
        assert_eq!(second.content, first.content);
        assert!(
            out.path()
                .join(target.relative_dir())
                .join("part-r1-00000.parquet")
                .is_file()
        );

        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn object_store_files_stream_to_run_unique_keys() -> Result<(), Box<dyn std::error::Error>>
    {
        let store = Arc::new(InMemory::new());
        let mut object = ObjectStoreOutput::new(store, "lake", "s3://bucket/lake");
        object.multipart_threshold = 16; // every file goes through a multipart upload
        let output = OutputLocation::ObjectStore(object.clone());
        let target = PartitionTarget::new("customers", "yeastar_ycm", "t");
        let place = PartitionPlace::snapshot(target, "r1");
        let staged = {
            let output = output.clone();
            tokio::task::spawn_blocking(move || {
                write(&output, place, &["a", "b", "c"]).map_err(|e| e.to_string())
            })
            .await??
        };
        assert_eq!(staged.rows(), 3);
        let committed = staged.commit(None)?;
        let mut listed = list_relative(&object, "customers").await?;
        listed.sort();
        let mut expected: Vec<String> = committed
            .content
            .files
            .iter()
            .map(|f| f.path.clone())
            .collect();
        expected.sort();
        assert_eq!(listed, expected);
        assert_eq!(
            expected[0],
            "customers/source=yeastar_ycm/tenant=t/part-r1-00000.parquet"
        );
        Ok(())
    }
}
