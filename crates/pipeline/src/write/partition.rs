//! One partition's writer, whatever the output: the local snapshot sink (staging and
//! `RENAME_EXCHANGE`) or the object-store sink (run-unique keys, catalog commit). Both hash the
//! rows they write, so a commit can keep the current files when nothing changed.
//!
//! A partition is written into `<dataset>/source=<s>/tenant=<t>/`; the table format decides
//! whether the new files replace the partition's or are merged into it.

use std::path::PathBuf;

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
    /// The run writing it (in file names).
    pub run_id: String,
}

impl PartitionPlace {
    /// New files of `target` written by `run_id`.
    pub fn snapshot(target: PartitionTarget, run_id: &str) -> Self {
        Self {
            target,
            run_id: run_id.to_owned(),
        }
    }

    /// The partition's folder relative to the output root, with `/` separators.
    pub fn relative_dir(&self) -> String {
        slash(&self.target.relative_dir())
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
                    out,
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

    /// Prepares a writer for the rows an upsert keeps of the partition's current files, beside
    /// the run's new rows of `target`: its files are named `part-<run>-r-NNNNN` so they never
    /// collide with the run's own, and locally it stages inside the run's staging folder (its
    /// files then join the new rows' folder, see [`StagedPartition::merge_local`]).
    pub fn create_rewrite(
        output: &OutputLocation,
        target: PartitionTarget,
        run_id: &str,
        schema: SchemaRef,
        metadata: Vec<(String, String)>,
        config: &ParquetSinkConfig,
    ) -> Result<Self, SinkError> {
        let writer_id = format!("{run_id}-r");
        let place = PartitionPlace::snapshot(target, &writer_id);
        match output {
            OutputLocation::Local(out) => {
                let root = layout::run_staging_dir(out, run_id).join("rewrite");
                let mut writer = Self::create(
                    &OutputLocation::Local(root),
                    place,
                    schema,
                    metadata,
                    config,
                )?;
                if let WriterInner::Local { out: root, .. } = &mut writer.inner {
                    *root = out.clone();
                }
                Ok(writer)
            }
            OutputLocation::ObjectStore(_) => Self::create(output, place, schema, metadata, config),
        }
    }

    /// Prepares a writer of `place`'s rows into its Delta Lake table (`output` holds the
    /// tables): files go straight into the table's partition folder under run-unique names,
    /// with the statistics their `add` actions carry (an upsert's rows are merged into the
    /// partition by its commit).
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

    /// Its files where they wait now, as (path relative to the output root, rows, bytes): in
    /// the run's staging folder locally, in the partition's folder on an object store.
    pub(crate) fn staged_files(&self) -> Vec<(String, u64, u64)> {
        match &self.inner {
            StagedInner::Local { staged, out } => {
                let dir = staged.staging_dir();
                let dir = slash(dir.strip_prefix(out).unwrap_or(dir));
                staged
                    .files()
                    .iter()
                    .map(|f| (format!("{dir}/{}", f.file_name), f.rows, f.bytes))
                    .collect()
            }
            StagedInner::Object(uploaded) => uploaded
                .files()
                .iter()
                .map(|f| {
                    (
                        format!("{}/{}", uploaded.relative_dir(), f.file_name),
                        f.rows,
                        f.bytes,
                    )
                })
                .collect(),
        }
    }

    /// Makes this local partition hold, besides its own rows, `rewritten`'s files and the live
    /// files `kept` (file name, rows, bytes): an upsert published as one folder swap. The
    /// content hash becomes unknown (it covered this run's rows only).
    pub(crate) fn merge_local(
        &mut self,
        rewritten: Option<StagedPartition>,
        kept: &[(String, u64, u64)],
    ) -> Result<(), SinkError> {
        let StagedInner::Local { staged, .. } = &mut self.inner else {
            return Err(SinkError::Catalog {
                location: self.place.relative_dir(),
                detail: "internal error: a local merge of object-store files".to_owned(),
            });
        };
        if let Some(rewritten) = rewritten {
            match rewritten.inner {
                StagedInner::Local { staged: other, .. } => staged.absorb(other)?,
                StagedInner::Object(_) => {
                    return Err(SinkError::Catalog {
                        location: self.place.relative_dir(),
                        detail: "internal error: a local merge of object-store files".to_owned(),
                    });
                }
            }
        }
        staged.keep_live_files(kept)?;
        self.content_hash = String::new();
        Ok(())
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
