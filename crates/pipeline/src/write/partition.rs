//! One partition's writer, whatever the output: the local snapshot sink (staging and
//! `RENAME_EXCHANGE`) or the object-store sink (run-unique keys, catalog commit). Both hash the
//! rows they write, so a commit can keep the current files when nothing changed.
//!
//! A partition is written either as a snapshot (`<dataset>/source=<s>/tenant=<t>/`, replacing the
//! current one) or as an incremental delta
//! (`_deltas/run_id=<run>/<dataset>/source=<s>/tenant=<t>/`, added beside it).

use std::path::{Path, PathBuf};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;

use crate::config::ParquetSinkConfig;
use crate::layout::{self, PartitionTarget, slash, validate_run_id};
use crate::write::SinkError;
use crate::write::content_hash::ContentHasher;
use crate::write::location::{ObjectStoreOutput, OutputLocation};
use crate::write::object_store::{ObjectSnapshotWriter, UploadedSnapshot};
use crate::write::parquet::{SnapshotWriter, StagedSnapshot};
use crate::write::rotating::PartFile;

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
            format!("{}/{partition}", layout::delta_run_dir(&self.run_id))
        } else {
            partition
        }
    }

    /// The root a local snapshot writer works in: the output folder, or for a delta
    /// `<out>/_deltas/run_id=<run>` (so its staging and commit happen inside that folder).
    pub(crate) fn local_root(&self, out: &Path) -> PathBuf {
        if self.delta {
            out.join(layout::delta_run_dir(&self.run_id))
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

    /// Prepares a writer of `place`'s rows into its Delta Lake table (`output` holds the
    /// tables): files go straight into the table's partition folder under run-unique names,
    /// with the statistics their `add` actions carry, whether the place is a snapshot or a
    /// delta (a delta's rows are merged into the partition by its commit).
    pub fn create_in_table(
        output: &ObjectStoreOutput,
        place: PartitionPlace,
        schema: SchemaRef,
        metadata: Vec<(String, String)>,
        config: &ParquetSinkConfig,
    ) -> Result<Self, SinkError> {
        place.target.validate()?;
        validate_run_id(&place.run_id)?;
        let hasher = ContentHasher::new(&schema)?;
        // Unique per writer, not only per run: a resumed run or a re-planned upsert writes
        // beside files of the same run that a table version may already reference.
        let writer_id = format!(
            "{}-{:08x}",
            place.run_id,
            uuid::Uuid::now_v7().as_u128() as u32
        );
        let writer = ObjectSnapshotWriter::create(
            output,
            slash(&place.target.relative_dir()),
            &writer_id,
            schema,
            metadata,
            config,
        )?
        .with_stats();
        Ok(Self {
            place,
            hasher,
            inner: WriterInner::Object(Box::new(writer)),
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
    pub(crate) place: PartitionPlace,
    pub(crate) content_hash: String,
    pub(crate) inner: StagedInner,
}

#[derive(Debug)]
pub(crate) enum StagedInner {
    Local {
        staged: StagedSnapshot,
        out: PathBuf,
    },
    Object(UploadedSnapshot),
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

    /// Its files, when they were uploaded to an object store (Delta tables included).
    pub(crate) fn uploaded_files(&self) -> Option<&[PartFile]> {
        match &self.inner {
            StagedInner::Local { .. } => None,
            StagedInner::Object(uploaded) => Some(uploaded.files()),
        }
    }

    /// Rows across its files.
    pub fn rows(&self) -> u64 {
        match &self.inner {
            StagedInner::Local { staged, .. } => staged.rows(),
            StagedInner::Object(uploaded) => uploaded.files().iter().map(|f| f.rows).sum(),
        }
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
