//! The file rotation both sinks share: Arrow batches in, `part-<run_id>-NNNNN.parquet` files out,
//! a new file when `max_rows_per_file` or (approximately) `max_bytes_per_file` is reached, and at
//! least one file (holding just the schema) for a partition without rows.
//!
//! What differs between a staging folder and an object store — where a part's bytes go and how
//! a finished part is made durable — is a [`PartStore`]; the rotation itself is written once.

use std::io::Write;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;

use crate::config::ParquetSinkConfig;
use crate::layout;
use crate::write::SinkError;
use crate::write::file_stats::FileStats;

/// One finished part file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartFile {
    /// `part-<run_id>-NNNNN.parquet`.
    pub file_name: String,
    /// Rows in the file.
    pub rows: u64,
    /// Size in bytes.
    pub bytes: u64,
    /// Delta Lake `add` statistics (JSON), when the writer gathers them.
    pub stats: Option<String>,
}

/// Where a rotating writer's part files go.
pub(crate) trait PartStore {
    /// The byte sink of one open part.
    type Sink: Write + Send;

    /// Opens part `file_name` for writing.
    fn open(&mut self, file_name: &str) -> Result<Self::Sink, SinkError>;

    /// Makes a part whose Parquet footer was written durable (fsync, upload completion).
    fn seal(&mut self, file_name: &str, sink: &mut Self::Sink) -> Result<(), SinkError>;

    /// The error to report for `error`, raised by the Parquet writer while writing into `sink`.
    fn explain(&mut self, file_name: &str, sink: &mut Self::Sink, error: ParquetError)
    -> SinkError;

    /// Gives up the open part after a failure (e.g. aborts its upload).
    fn discard(&mut self, sink: &mut Self::Sink);
}

/// The part being written.
struct OpenPart<S: Write + Send> {
    file_name: String,
    writer: ArrowWriter<S>,
    rows: u64,
    stats: Option<FileStats>,
}

/// Writes rotating Parquet part files into a [`PartStore`].
pub(crate) struct RotatingWriter<P: PartStore> {
    store: P,
    run_id: String,
    /// The schema of the files: the batches' schema without the partition columns.
    file_schema: SchemaRef,
    /// The batch columns that go into the files, in file order.
    file_columns: Vec<usize>,
    properties: WriterProperties,
    max_rows_per_file: u64,
    max_bytes_per_file: u64,
    current: Option<OpenPart<P::Sink>>,
    closed: Vec<PartFile>,
    /// Gather Delta Lake statistics per file.
    collect_stats: bool,
}

impl<P: PartStore> RotatingWriter<P> {
    /// A writer of `run_id`'s parts from batches of `schema` into `store`; `metadata` becomes
    /// every file's key-value metadata. The files leave out the partition columns (`source`,
    /// `tenant`: their folders hold them, see `custlake_schema::file_schema`).
    pub(crate) fn new(
        store: P,
        run_id: &str,
        schema: SchemaRef,
        metadata: &[(String, String)],
        config: &ParquetSinkConfig,
    ) -> Result<Self, SinkError> {
        let (file_schema, file_columns) = custlake_schema::file_schema(&schema);
        Ok(Self {
            store,
            run_id: run_id.to_owned(),
            file_schema,
            file_columns,
            properties: config.writer_properties(metadata)?,
            max_rows_per_file: config.max_rows_per_file,
            max_bytes_per_file: config.max_bytes_per_file,
            current: None,
            closed: Vec::new(),
            collect_stats: false,
        })
    }

    /// Gathers each file's column statistics for its Delta Lake `add` action.
    pub(crate) fn with_stats(mut self) -> Self {
        self.collect_stats = true;
        self
    }

    /// Rows written so far, across all files.
    pub(crate) fn rows(&self) -> u64 {
        let closed: u64 = self.closed.iter().map(|file| file.rows).sum();
        closed + self.current.as_ref().map_or(0, |part| part.rows)
    }

    /// Appends a batch, splitting it across files when it crosses `max_rows_per_file`.
    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        let batch = self.file_batch(batch)?;
        let total = batch.num_rows();
        let mut offset = 0;
        while offset < total {
            let (max_rows, max_bytes) = (self.max_rows_per_file, self.max_bytes_per_file);
            let part = self.open_part()?;
            // Never 0: a full file is closed below, so the next turn opens a fresh one.
            let room =
                usize::try_from(max_rows.saturating_sub(part.rows).max(1)).unwrap_or(usize::MAX);
            let take = room.min(total - offset);
            let slice = batch.slice(offset, take);
            if let Err(error) = part.writer.write(&slice) {
                return Err(self.fail(error));
            }
            if let Some(stats) = part.stats.as_mut() {
                stats.update(&slice);
            }
            let part = self.current.as_mut().ok_or_else(no_open_part)?;
            part.rows += take as u64;
            offset += take;
            let bytes = (part.writer.bytes_written() + part.writer.in_progress_size()) as u64;
            if part.rows >= max_rows || bytes >= max_bytes {
                self.close_part()?;
            }
        }
        Ok(())
    }

    /// Closes the last part and hands the finished parts over, with the store. A partition
    /// without rows has no file: an empty partition is an empty folder (Parquet) or has no
    /// files (Delta Lake), as Spark and Delta Lake leave one.
    pub(crate) fn finish(mut self) -> Result<(P, Vec<PartFile>), SinkError> {
        self.close_part()?;
        Ok((self.store, self.closed))
    }

    /// Gives up the open part (if any) and hands the store and the closed parts back, for the
    /// owner to delete.
    pub(crate) fn abandon(mut self) -> (P, Vec<PartFile>) {
        if let Some(mut part) = self.current.take() {
            self.store.discard(part.writer.inner_mut());
        }
        (self.store, self.closed)
    }

    /// `batch` as it goes into the files: without the partition columns.
    fn file_batch(&self, batch: &RecordBatch) -> Result<RecordBatch, SinkError> {
        let columns = self
            .file_columns
            .iter()
            .filter_map(|&i| batch.columns().get(i).cloned())
            .collect();
        // A batch of another schema than the writer's fails here, naming the run's parts.
        RecordBatch::try_new(self.file_schema.clone(), columns).map_err(|error| {
            SinkError::Parquet {
                path: layout::part_file_name(&self.run_id, 0).into(),
                error: error.into(),
            }
        })
    }

    fn open_part(&mut self) -> Result<&mut OpenPart<P::Sink>, SinkError> {
        let part = match self.current.take() {
            Some(part) => part,
            None => self.new_part()?,
        };
        Ok(self.current.insert(part))
    }

    fn new_part(&mut self) -> Result<OpenPart<P::Sink>, SinkError> {
        let index = u32::try_from(self.closed.len()).unwrap_or(u32::MAX);
        let file_name = layout::part_file_name(&self.run_id, index);
        let sink = self.store.open(&file_name)?;
        let writer = ArrowWriter::try_new(
            sink,
            self.file_schema.clone(),
            Some(self.properties.clone()),
        )
        .map_err(|error| SinkError::Parquet {
            path: file_name.clone().into(),
            error,
        })?;
        Ok(OpenPart {
            file_name,
            writer,
            rows: 0,
            stats: self
                .collect_stats
                .then(|| FileStats::new(self.file_schema.clone())),
        })
    }

    /// Writes the footer of the open part (if any) and seals it.
    fn close_part(&mut self) -> Result<(), SinkError> {
        let Some(mut part) = self.current.take() else {
            return Ok(());
        };
        if let Err(error) = part.writer.finish() {
            let error = self
                .store
                .explain(&part.file_name, part.writer.inner_mut(), error);
            self.store.discard(part.writer.inner_mut());
            return Err(error);
        }
        let bytes = part.writer.bytes_written() as u64;
        if let Err(error) = self.store.seal(&part.file_name, part.writer.inner_mut()) {
            self.store.discard(part.writer.inner_mut());
            return Err(error);
        }
        self.closed.push(PartFile {
            file_name: part.file_name,
            rows: part.rows,
            bytes,
            stats: part.stats.map(|stats| stats.to_json()),
        });
        Ok(())
    }

    /// Reports `error` of the open part after discarding it.
    fn fail(&mut self, error: ParquetError) -> SinkError {
        match self.current.take() {
            Some(mut part) => {
                let error = self
                    .store
                    .explain(&part.file_name, part.writer.inner_mut(), error);
                self.store.discard(part.writer.inner_mut());
                error
            }
            None => SinkError::Parquet {
                path: "(no open part)".into(),
                error,
            },
        }
    }
}

fn no_open_part() -> SinkError {
    SinkError::Parquet {
        path: "(no open part)".into(),
        error: ParquetError::General("the part being written was closed".into()),
    }
}
