//! One partition's writer and commit, whatever the output: the local snapshot sink (staging and
//! `RENAME_EXCHANGE`) or the object-store sink (run-unique keys, catalog commit). Both hash the
//! rows they write, so a commit can keep the current files when nothing changed.
//!
//! A partition is written either as a snapshot (`<dataset>/source=<s>/tenant=<t>/`, replacing the
//! current one) or as an incremental delta
//! (`_deltas/run_id=<run>/<dataset>/source=<s>/tenant=<t>/`, added beside it).

use std::path::{Path, PathBuf};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;

use crate::catalog::{Content, DELTAS_DIR, FileRecord, MARKER_FILE, Marker, marker_json, slash};
use crate::output::OutputLocation;
use crate::sinks::SinkError;
use crate::sinks::content_hash::ContentHasher;
use crate::sinks::durable::write_file_atomically;
use crate::sinks::object_store::{ObjectSnapshotWriter, UploadedSnapshot};
use crate::sinks::parquet::{
    ParquetSinkConfig, PartitionTarget, SnapshotWriter, StagedSnapshot, validate_run_id,
};

/// Where one run writes one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionPlace {
    /// The (dataset, source, tenant) partition.
    pub target: PartitionTarget,
    /// The run writing it (in file names and, for deltas, in the folder).
    pub run_id: String,
    /// `true`: an incremental delta beside the snapshot; `false`: a new snapshot.
    pub delta: bool,
}

impl PartitionPlace {
    /// A new snapshot of `target`.
    pub fn snapshot(target: PartitionTarget, run_id: &str) -> Self {
        Self {
            target,
            run_id: run_id.to_owned(),
            delta: false,
        }
    }

    /// An incremental delta of `target`.
    pub fn delta(target: PartitionTarget, run_id: &str) -> Self {
        Self {
            target,
            run_id: run_id.to_owned(),
            delta: true,
        }
    }

    /// The partition's folder relative to the output root, with `/` separators.
    pub fn relative_dir(&self) -> String {
        let partition = slash(&self.target.relative_dir());
        if self.delta {
            format!("{DELTAS_DIR}/run_id={}/{partition}", self.run_id)
        } else {
            partition
        }
    }

    /// The root a local snapshot writer works in: the output folder, or for a delta
    /// `<out>/_deltas/run_id=<run>` (so its staging and commit happen inside that folder).
    pub(crate) fn local_root(&self, out: &Path) -> PathBuf {
        if self.delta {
            out.join(DELTAS_DIR).join(format!("run_id={}", self.run_id))
        } else {
            out.to_path_buf()
        }
    }
}

/// Writes one partition for one run and hashes its rows.
pub struct PartitionWriter {
    place: PartitionPlace,
    hasher: ContentHasher,
    inner: WriterInner,
}

/// Boxed: both writers are large and differ in size.
enum WriterInner {
    Local {
        writer: Box<SnapshotWriter>,
        out: PathBuf,
    },
    Object(Box<ObjectSnapshotWriter>),
}

impl PartitionWriter {
    /// Prepares a writer for `place` in `output`. `metadata` becomes the files' key-value
    /// metadata (it must not hold secrets).
    pub fn create(
        output: &OutputLocation,
        place: PartitionPlace,
        schema: SchemaRef,
        metadata: Vec<(String, String)>,
        config: &ParquetSinkConfig,
    ) -> Result<Self, SinkError> {
        place.target.validate()?;
        validate_run_id(&place.run_id)?;
        let hasher = ContentHasher::new(&schema)?;
        let inner = match output {
            OutputLocation::Local(out) => WriterInner::Local {
                writer: Box::new(SnapshotWriter::create(
                    &place.local_root(out),
                    place.target.clone(),
                    &place.run_id,
                    schema,
                    metadata,
                    config,
                )?),
                out: out.clone(),
            },
            OutputLocation::ObjectStore(store) => {
                WriterInner::Object(Box::new(ObjectSnapshotWriter::create(
                    store,
                    place.target.clone(),
                    place.relative_dir(),
                    &place.run_id,
                    schema,
                    metadata,
                    config,
                )?))
            }
        };
        Ok(Self {
            place,
            hasher,
            inner,
        })
    }

    /// Where this writer writes.
    pub fn place(&self) -> &PartitionPlace {
        &self.place
    }

    /// Appends a batch (blocking; call from a blocking thread).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        match &mut self.inner {
            WriterInner::Local { writer, .. } => writer.write(batch)?,
            WriterInner::Object(writer) => writer.write(batch)?,
        }
        self.hasher.update(batch)
    }

    /// Closes every file and hands the partition over for commit or abort.
    pub fn finish(self) -> Result<StagedPartition, SinkError> {
        let content_hash = self.hasher.finish();
        let inner = match self.inner {
            WriterInner::Local { writer, out } => StagedInner::Local {
                staged: writer.finish()?,
                out,
            },
            WriterInner::Object(writer) => StagedInner::Object(writer.finish()?),
        };
        Ok(StagedPartition {
            place: self.place,
            content_hash,
            inner,
        })
    }
}

/// A finished partition waiting for its source to succeed: committed then, aborted otherwise.
#[must_use = "a staged partition is invisible until committed; call commit() or abort()"]
#[derive(Debug)]
pub struct StagedPartition {
    place: PartitionPlace,
    content_hash: String,
    inner: StagedInner,
}

#[derive(Debug)]
enum StagedInner {
    Local {
        staged: StagedSnapshot,
        out: PathBuf,
    },
    Object(UploadedSnapshot),
}

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
    /// Where it will be committed.
    pub fn place(&self) -> &PartitionPlace {
        &self.place
    }

    /// The hash of its rows.
    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }

    /// Rows across its files.
    pub fn rows(&self) -> u64 {
        match &self.inner {
            StagedInner::Local { staged, .. } => staged.rows(),
            StagedInner::Object(uploaded) => uploaded.files().iter().map(|f| f.rows).sum(),
        }
    }

    /// Publishes the partition, unless `current` (what the partition holds now) has the same
    /// content hash: then the staged files are dropped and `current` is kept.
    ///
    /// Locally the partition folder is swapped in atomically (see
    /// [`StagedSnapshot::commit`]) and a `_SUCCESS` marker is written into it. On an object
    /// store the files are already in place under run-unique keys; they become current when
    /// the catalog is written (see [`crate::sinks::object_store::commit`]).
    pub fn commit(self, current: Option<&Content>) -> Result<CommittedPartition, SinkError> {
        let same =
            current.filter(|c| !c.content_hash.is_empty() && c.content_hash == self.content_hash);
        if let Some(current) = same {
            let place = self.place.clone();
            let content = current.clone();
            self.abort()?;
            return Ok(CommittedPartition {
                place,
                content,
                unchanged: true,
            });
        }
        let rows = self.rows();
        let Self {
            place,
            content_hash,
            inner,
        } = self;
        let files = match inner {
            StagedInner::Local { staged, out } => {
                let committed = staged.commit()?;
                let prefix = if place.delta {
                    format!("{DELTAS_DIR}/run_id={}/", place.run_id)
                } else {
                    String::new()
                };
                let files: Vec<FileRecord> = committed
                    .files
                    .iter()
                    .map(|file| FileRecord {
                        path: format!("{prefix}{}", slash(&file.path)),
                        rows: file.rows,
                        bytes: file.bytes,
                    })
                    .collect();
                let marker = Marker {
                    dataset: place.target.dataset.clone(),
                    source: place.target.source.clone(),
                    tenant: place.target.tenant.clone(),
                    delta: place.delta,
                    content: Content {
                        run_id: place.run_id.clone(),
                        content_hash: content_hash.clone(),
                        rows,
                        files: files.clone(),
                    },
                };
                let live = place
                    .local_root(&out)
                    .join(place.target.relative_dir())
                    .join(MARKER_FILE);
                // The snapshot is committed already; without its marker the catalog only
                // forgets its hash (the next run rewrites it instead of skipping it).
                if let Err(error) = write_file_atomically(&live, &marker_json(&marker)) {
                    tracing::warn!(%error, "could not write the partition's _SUCCESS marker");
                }
                files
            }
            StagedInner::Object(uploaded) => {
                let dir = uploaded.relative_dir().to_owned();
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
        };
        Ok(CommittedPartition {
            content: Content {
                run_id: place.run_id.clone(),
                content_hash,
                rows,
                files,
            },
            place,
            unchanged: false,
        })
    }

    /// Drops the staged files; the current partition is untouched. Object-store uploads are
    /// deleted in the background (what a crash leaves is removed by the next commit).
    pub fn abort(self) -> Result<(), SinkError> {
        match self.inner {
            StagedInner::Local { staged, .. } => staged.abort(),
            StagedInner::Object(uploaded) => {
                match tokio::runtime::Handle::try_current() {
                    Ok(runtime) => uploaded.delete_in_background(&runtime),
                    Err(_) => tracing::warn!(
                        "uploads of a discarded snapshot are left for the next commit to remove"
                    ),
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use object_store::memory::InMemory;

    use super::*;
    use crate::output::ObjectStoreOutput;
    use crate::sinks::object_store::commit::list_relative;

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
        let marker = crate::catalog::read_local_marker(&out.path().join(target.relative_dir()))?
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

        let delta = write(&output, PartitionPlace::delta(target.clone(), "r3"), &["d"])?
            .commit(Some(&first.content))?;
        assert_eq!(
            delta.content.files[0].path,
            "_deltas/run_id=r3/customers/source=yonyou_u8/tenant=t/part-r3-00000.parquet"
        );
        assert!(out.path().join(&delta.content.files[0].path).is_file());
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
