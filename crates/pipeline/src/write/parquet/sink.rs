//! The writing half of a snapshot: Arrow batches in, rotating zstd Parquet files out, all inside
//! the run's staging folder. Nothing here is visible to readers until
//! [`StagedSnapshot::commit`](super::StagedSnapshot::commit).

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::errors::ParquetError;

use super::commit::StagedSnapshot;
use crate::config::ParquetSinkConfig;
use crate::layout::{self, PartitionTarget};
use crate::write::SinkError;
use crate::write::durable::sync_dir;
use crate::write::rotating::{PartStore, RotatingWriter};

/// Writes one (dataset, source, tenant) snapshot for one run.
///
/// Synchronous on purpose: Parquet encoding is CPU work, so the pipeline runs the writer on a
/// blocking thread fed by a bounded channel, which keeps memory flat. Files rotate as described
/// in [`crate::write::rotating`].
///
/// Dropping a writer without calling [`finish`](Self::finish) deletes what it staged.
pub struct SnapshotWriter {
    out_root: PathBuf,
    target: PartitionTarget,
    run_id: String,
    schema: SchemaRef,
    /// `None` once `finish` handed the staged folder to a `StagedSnapshot`.
    parts: Option<RotatingWriter<StagingFolder>>,
}

/// Part files in a staging folder, fsynced when sealed.
pub(crate) struct StagingFolder {
    dir: PathBuf,
}

impl PartStore for StagingFolder {
    type Sink = File;

    fn open(&mut self, file_name: &str) -> Result<File, SinkError> {
        let path = self.dir.join(file_name);
        File::create(&path).map_err(|error| SinkError::io("create file", &path, error))
    }

    fn seal(&mut self, file_name: &str, file: &mut File) -> Result<(), SinkError> {
        file.sync_all()
            .map_err(|error| SinkError::io("sync file", self.dir.join(file_name), error))
    }

    fn explain(&mut self, file_name: &str, _file: &mut File, error: ParquetError) -> SinkError {
        SinkError::Parquet {
            path: self.dir.join(file_name),
            error,
        }
    }

    fn discard(&mut self, _file: &mut File) {
        // The staging folder is deleted whole when the writer is dropped.
    }
}

impl SnapshotWriter {
    /// Prepares an empty staging folder for `target` under `<out_root>/.staging/<run_id>/`.
    ///
    /// `metadata` becomes the files' key-value metadata (custlake version, schema version, run id,
    /// source, tenant); it is written as given, so it must not hold secrets. The Arrow `schema`
    /// is embedded too, so field metadata and dictionary types survive a round trip.
    pub fn create(
        out_root: &Path,
        target: PartitionTarget,
        run_id: &str,
        schema: SchemaRef,
        metadata: Vec<(String, String)>,
        config: &ParquetSinkConfig,
    ) -> Result<Self, SinkError> {
        target.validate()?;
        layout::validate_run_id(run_id)?;
        let out_root = if out_root.as_os_str().is_empty() {
            Path::new(".")
        } else {
            out_root
        };
        config.validate()?;

        let staging_dir = target.staging_dir(out_root, run_id);
        // A folder left by an earlier crashed attempt with the same run id must not leak into
        // this snapshot.
        match fs::remove_dir_all(&staging_dir) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(SinkError::io("clear folder", &staging_dir, error)),
        }
        fs::create_dir_all(&staging_dir)
            .map_err(|error| SinkError::io("create folder", &staging_dir, error))?;
        let folder = StagingFolder { dir: staging_dir };
        let parts = RotatingWriter::new(folder, run_id, schema.clone(), &metadata, config);
        let parts = match parts {
            Ok(parts) => parts,
            Err(error) => {
                let _ = fs::remove_dir_all(target.staging_dir(out_root, run_id));
                return Err(error);
            }
        };
        Ok(Self {
            out_root: out_root.to_path_buf(),
            target,
            run_id: run_id.to_owned(),
            schema,
            parts: Some(parts),
        })
    }

    /// Rows written so far, across all files.
    pub fn rows(&self) -> u64 {
        self.parts.as_ref().map_or(0, RotatingWriter::rows)
    }

    /// Appends a batch, splitting it across files when it crosses `max_rows_per_file`.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        self.check_schema(batch)?;
        match self.parts.as_mut() {
            Some(parts) => parts.write(batch),
            None => Err(SinkError::io(
                "write to",
                self.target.staging_dir(&self.out_root, &self.run_id),
                std::io::Error::other("the snapshot was already finished"),
            )),
        }
    }

    /// Closes and fsyncs every file and hands the staged folder over for commit or abort.
    ///
    /// A snapshot without rows still gets one valid file holding just the schema, so readers
    /// see the partition, its schema, and that it is empty now.
    pub fn finish(mut self) -> Result<StagedSnapshot, SinkError> {
        let staging_dir = self.target.staging_dir(&self.out_root, &self.run_id);
        let Some(parts) = self.parts.take() else {
            return Err(SinkError::io(
                "finish",
                &staging_dir,
                std::io::Error::other("the snapshot was already finished"),
            ));
        };
        let (folder, files) = match parts.finish() {
            Ok(done) => done,
            Err(error) => {
                let _ = fs::remove_dir_all(&staging_dir);
                return Err(error);
            }
        };
        if let Err(error) = sync_dir(&folder.dir) {
            let _ = fs::remove_dir_all(&folder.dir);
            return Err(error);
        }
        Ok(StagedSnapshot::new(
            std::mem::take(&mut self.out_root),
            self.target.clone(),
            std::mem::take(&mut self.run_id),
            folder.dir,
            files,
        ))
    }

    /// Compares names and types only: field metadata is taken from the writer's schema anyway.
    fn check_schema(&self, batch: &RecordBatch) -> Result<(), SinkError> {
        let expected = self.schema.fields();
        let found = batch.schema_ref().fields();
        let detail = if expected.len() != found.len() {
            Some(format!(
                "{} columns instead of {}",
                found.len(),
                expected.len()
            ))
        } else {
            expected
                .iter()
                .zip(found.iter())
                .find(|(e, f)| e.name() != f.name() || e.data_type() != f.data_type())
                .map(|(e, f)| {
                    format!(
                        "column `{}` ({}) where `{}` ({}) was expected",
                        f.name(),
                        f.data_type(),
                        e.name(),
                        e.data_type()
                    )
                })
        };
        match detail {
            Some(detail) => Err(SinkError::SchemaMismatch {
                target: self.target.to_string(),
                detail,
            }),
            None => Ok(()),
        }
    }
}

impl Drop for SnapshotWriter {
    fn drop(&mut self) {
        if let Some(parts) = self.parts.take() {
            // Close the handle before deleting; errors are moot for a snapshot being abandoned.
            let (folder, _) = parts.abandon();
            let _ = fs::remove_dir_all(&folder.dir);
        }
    }
}
