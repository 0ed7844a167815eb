//! The writing half of a snapshot: Arrow batches in, rotating zstd Parquet files out, all inside
//! the run's staging folder. Nothing here is visible to readers until
//! [`StagedSnapshot::commit`](super::StagedSnapshot::commit).

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

use super::commit::{StagedFile, StagedSnapshot};
use crate::config::ParquetSinkConfig;
use crate::layout::{self, PartitionTarget};
use crate::write::SinkError;
use crate::write::durable::sync_dir;

/// Writes one (dataset, source, tenant) snapshot for one run.
///
/// Synchronous on purpose: Parquet encoding is CPU work, so the pipeline runs the writer on a
/// blocking thread fed by a bounded channel, which keeps memory flat. Files are named
/// `part-<run_id>-00000.parquet`, `-00001`, ... and a new one starts when `max_rows_per_file` or
/// (approximately) `max_bytes_per_file` is reached.
///
/// Dropping a writer without calling [`finish`](Self::finish) deletes what it staged.
pub struct SnapshotWriter {
    out_root: PathBuf,
    target: PartitionTarget,
    run_id: String,
    schema: SchemaRef,
    properties: WriterProperties,
    max_rows_per_file: u64,
    max_bytes_per_file: u64,
    staging_dir: PathBuf,
    current: Option<OpenPart>,
    closed: Vec<StagedFile>,
    /// False once `finish` handed the staged folder to a `StagedSnapshot`.
    owns_staging: bool,
}

/// The part file being written.
struct OpenPart {
    path: PathBuf,
    file_name: String,
    writer: ArrowWriter<File>,
    rows: u64,
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
        let properties = config.writer_properties(&metadata)?;

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

        Ok(Self {
            out_root: out_root.to_path_buf(),
            target,
            run_id: run_id.to_owned(),
            schema,
            properties,
            max_rows_per_file: config.max_rows_per_file,
            max_bytes_per_file: config.max_bytes_per_file,
            staging_dir,
            current: None,
            closed: Vec::new(),
            owns_staging: true,
        })
    }

    /// The partition this writer stages.
    pub fn target(&self) -> &PartitionTarget {
        &self.target
    }

    /// Rows written so far, across all files.
    pub fn rows(&self) -> u64 {
        let closed: u64 = self.closed.iter().map(|file| file.rows).sum();
        closed + self.current.as_ref().map_or(0, |part| part.rows)
    }

    /// Appends a batch, splitting it across files when it crosses `max_rows_per_file`.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        self.check_schema(batch)?;
        let total = batch.num_rows();
        let mut offset = 0;
        while offset < total {
            let (max_rows, max_bytes) = (self.max_rows_per_file, self.max_bytes_per_file);
            let part = self.open_part()?;
            // Never 0: a full file is closed below, so the next turn opens a fresh one.
            let room =
                usize::try_from(max_rows.saturating_sub(part.rows).max(1)).unwrap_or(usize::MAX);
            let take = room.min(total - offset);
            part.writer
                .write(&batch.slice(offset, take))
                .map_err(|error| SinkError::Parquet {
                    path: part.path.clone(),
                    error,
                })?;
            part.rows += take as u64;
            offset += take;

            let bytes = (part.writer.bytes_written() + part.writer.in_progress_size()) as u64;
            if part.rows >= max_rows || bytes >= max_bytes {
                self.close_part()?;
            }
        }
        Ok(())
    }

    /// Closes and fsyncs every file and hands the staged folder over for commit or abort.
    ///
    /// A snapshot without rows still gets one valid file holding just the schema, so readers
    /// see the partition, its schema, and that it is empty now.
    pub fn finish(mut self) -> Result<StagedSnapshot, SinkError> {
        if self.closed.is_empty() {
            self.open_part()?;
        }
        self.close_part()?;
        sync_dir(&self.staging_dir)?;

        self.owns_staging = false;
        Ok(StagedSnapshot::new(
            std::mem::take(&mut self.out_root),
            self.target.clone(),
            std::mem::take(&mut self.run_id),
            std::mem::take(&mut self.staging_dir),
            std::mem::take(&mut self.closed),
        ))
    }

    /// The part file to write into, opening the next one if none is open.
    fn open_part(&mut self) -> Result<&mut OpenPart, SinkError> {
        let part = match self.current.take() {
            Some(part) => part,
            None => self.new_part()?,
        };
        Ok(self.current.insert(part))
    }

    fn new_part(&self) -> Result<OpenPart, SinkError> {
        let index = u32::try_from(self.closed.len()).unwrap_or(u32::MAX);
        let file_name = layout::part_file_name(&self.run_id, index);
        let path = self.staging_dir.join(&file_name);
        let file =
            File::create(&path).map_err(|error| SinkError::io("create file", &path, error))?;
        let writer = ArrowWriter::try_new(file, self.schema.clone(), Some(self.properties.clone()))
            .map_err(|error| SinkError::Parquet {
                path: path.clone(),
                error,
            })?;
        Ok(OpenPart {
            path,
            file_name,
            writer,
            rows: 0,
        })
    }

    /// Writes the footer of the open file (if any) and fsyncs it.
    fn close_part(&mut self) -> Result<(), SinkError> {
        let Some(mut part) = self.current.take() else {
            return Ok(());
        };
        part.writer.finish().map_err(|error| SinkError::Parquet {
            path: part.path.clone(),
            error,
        })?;
        part.writer
            .inner()
            .sync_all()
            .map_err(|error| SinkError::io("sync file", &part.path, error))?;
        self.closed.push(StagedFile {
            file_name: part.file_name,
            rows: part.rows,
            bytes: part.writer.bytes_written() as u64,
        });
        Ok(())
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
        if self.owns_staging {
            // Close the handle before deleting; errors are moot for a snapshot being abandoned.
            self.current = None;
            let _ = fs::remove_dir_all(&self.staging_dir);
        }
    }
}
