//! The writing half of an object-store snapshot: Arrow batches in, rotating zstd Parquet files
//! streamed to the store, each under a run-unique key, so nothing a reader trusts changes before
//! the catalog commit.
//!
//! Synchronous like the local [`SnapshotWriter`](crate::write::parquet::SnapshotWriter): Parquet
//! encoding is CPU work, so the pipeline drives it from a blocking thread. Encoded bytes go through
//! [`UploadStream`] into object_store's `BufWriter`, which sends a small file as one PUT and
//! streams a large one as a multipart upload with a bounded number of parts in flight, so memory
//! stays bounded by the row group being encoded plus a few upload parts, never a whole file.

use std::io::{self, Write};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use object_store::buffered::BufWriter;
use tokio::io::AsyncWriteExt;
use tokio::runtime::Handle;

use super::commit::UploadedSnapshot;
use crate::config::ParquetSinkConfig;
use crate::write::SinkError;
use crate::write::location::ObjectStoreOutput;
use crate::write::rotating::{PartStore, RotatingWriter};

/// Encoded bytes collected before they are handed to the upload (the writer calls with small
/// slices; handing over fewer, larger chunks keeps the async hand-offs cheap).
const HANDOFF_BYTES: usize = 1 << 20;

/// Upload parts in flight per file.
const PARTS_IN_FLIGHT: usize = 2;

/// Writes one partition's files for one run straight to the object store.
///
/// Files are named `part-<run_id>-00000.parquet`, `-00001`, ... under `relative_dir` and rotate
/// like the local sink's ([`crate::write::rotating`]). Dropping the writer without
/// [`finish`](Self::finish) aborts the open upload and deletes the files already uploaded (best
/// effort; leftovers are removed by the next commit of the partition).
pub struct ObjectSnapshotWriter {
    /// `None` once `finish` handed the files to an [`UploadedSnapshot`].
    parts: Option<RotatingWriter<UploadPrefix>>,
}

/// Part files uploaded under one prefix of the store, each completed when sealed.
pub(crate) struct UploadPrefix {
    output: ObjectStoreOutput,
    runtime: Handle,
    relative_dir: String,
}

impl PartStore for UploadPrefix {
    type Sink = UploadStream;

    fn open(&mut self, file_name: &str) -> Result<UploadStream, SinkError> {
        let relative = format!("{}/{file_name}", self.relative_dir);
        let key = self.output.key(&relative);
        let upload = BufWriter::with_capacity(
            self.output.store.clone(),
            key,
            self.output.multipart_threshold,
        )
        .with_max_concurrency(PARTS_IN_FLIGHT);
        Ok(UploadStream {
            runtime: self.runtime.clone(),
            upload: Some(upload),
            pending: Vec::with_capacity(HANDOFF_BYTES),
            failure: None,
            location: self.output.display(&relative),
        })
    }

    fn seal(&mut self, _file_name: &str, stream: &mut UploadStream) -> Result<(), SinkError> {
        stream.complete()
    }

    fn explain(
        &mut self,
        _file_name: &str,
        stream: &mut UploadStream,
        error: parquet::errors::ParquetError,
    ) -> SinkError {
        stream.explain(error)
    }

    fn discard(&mut self, stream: &mut UploadStream) {
        stream.abort();
    }
}

impl ObjectSnapshotWriter {
    /// Prepares a writer whose files go under `relative_dir` (relative to the output's prefix,
    /// the partition's folder). Must be called inside a Tokio runtime: uploads run on it.
    pub fn create(
        output: &ObjectStoreOutput,
        relative_dir: String,
        run_id: &str,
        schema: SchemaRef,
        metadata: Vec<(String, String)>,
        config: &ParquetSinkConfig,
    ) -> Result<Self, SinkError> {
        let runtime = Handle::try_current().map_err(|_| SinkError::ObjectStore {
            action: "start uploads to",
            location: output.display(&relative_dir),
            error: object_store::Error::Generic {
                store: "S3",
                source: "no async runtime to run uploads on (a bug in the caller)".into(),
            },
        })?;
        let prefix = UploadPrefix {
            output: output.clone(),
            runtime,
            relative_dir,
        };
        Ok(Self {
            parts: Some(RotatingWriter::new(
                prefix, run_id, schema, &metadata, config,
            )?),
        })
    }

    /// Gathers each file's column statistics (for Delta Lake `add` actions).
    pub fn with_stats(mut self) -> Self {
        self.parts = self.parts.take().map(RotatingWriter::with_stats);
        self
    }

    /// Appends a batch, splitting it across files when it crosses `max_rows_per_file`.
    /// Blocks while the upload catches up; call it from a blocking thread.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        match self.parts.as_mut() {
            Some(parts) => parts.write(batch),
            None => Err(finished()),
        }
    }

    /// Completes every upload and hands the files over for the catalog commit. A snapshot
    /// without rows still gets one file holding just the schema, as locally.
    pub fn finish(mut self) -> Result<UploadedSnapshot, SinkError> {
        let parts = self.parts.take().ok_or_else(finished)?;
        match parts.finish() {
            Ok((prefix, files)) => Ok(UploadedSnapshot::new(
                prefix.output,
                prefix.relative_dir,
                files,
            )),
            Err(error) => Err(error),
        }
    }
}

/// The error of using a writer after `finish`.
fn finished() -> SinkError {
    SinkError::ObjectStore {
        action: "write to",
        location: "a finished snapshot".into(),
        error: object_store::Error::Generic {
            store: "S3",
            source: "the snapshot was already finished".into(),
        },
    }
}

impl Drop for ObjectSnapshotWriter {
    fn drop(&mut self) {
        let Some(parts) = self.parts.take() else {
            return;
        };
        let (prefix, files) = parts.abandon();
        if !files.is_empty() {
            let runtime = prefix.runtime.clone();
            UploadedSnapshot::new(prefix.output, prefix.relative_dir, files)
                .delete_in_background(&runtime);
        }
    }
}

/// `std::io::Write` over an object-store upload, for the synchronous Parquet writer.
///
/// Hand-written because parquet's async writer would run the CPU-heavy encoding on the async
/// runtime; this keeps encoding on the caller's blocking thread and only the uploads async.
pub(crate) struct UploadStream {
    runtime: Handle,
    upload: Option<BufWriter>,
    pending: Vec<u8>,
    /// The store's error behind an `io::Error` returned to the Parquet writer, kept to report it
    /// with its real cause.
    failure: Option<SinkError>,
    location: String,
}

impl UploadStream {
    fn hand_off(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let Some(upload) = self.upload.as_mut() else {
            return Err(io::Error::other(
                "the upload was already completed or aborted",
            ));
        };
        let chunk = Bytes::from(std::mem::replace(
            &mut self.pending,
            Vec::with_capacity(HANDOFF_BYTES),
        ));
        match self.runtime.block_on(upload.put(chunk)) {
            Ok(()) => Ok(()),
            Err(error) => {
                let message = error.to_string();
                self.failure = Some(SinkError::ObjectStore {
                    action: "upload",
                    location: self.location.clone(),
                    error,
                });
                Err(io::Error::other(message))
            }
        }
    }

    /// Sends what is left and completes the upload (single PUT or multipart completion).
    fn complete(&mut self) -> Result<(), SinkError> {
        if self.hand_off().is_err() {
            return Err(self.take_failure("upload"));
        }
        let Some(mut upload) = self.upload.take() else {
            return Ok(());
        };
        match self.runtime.block_on(upload.shutdown()) {
            Ok(()) => Ok(()),
            Err(error) => Err(SinkError::ObjectStore {
                action: "complete the upload of",
                location: self.location.clone(),
                error: store_error(error),
            }),
        }
    }

    /// Aborts a multipart upload in progress (best effort: an abandoned upload is also
    /// expired by the bucket's lifecycle rules, if any).
    fn abort(&mut self) {
        if let Some(mut upload) = self.upload.take() {
            let _ = self.runtime.block_on(upload.abort());
        }
    }

    /// The error to report for a Parquet error raised while writing into this stream.
    fn explain(&mut self, error: parquet::errors::ParquetError) -> SinkError {
        self.failure.take().unwrap_or_else(|| SinkError::Parquet {
            path: self.location.clone().into(),
            error,
        })
    }

    fn take_failure(&mut self, action: &'static str) -> SinkError {
        self.failure
            .take()
            .unwrap_or_else(|| SinkError::ObjectStore {
                action,
                location: self.location.clone(),
                error: object_store::Error::Generic {
                    store: "S3",
                    source: "the upload failed".into(),
                },
            })
    }
}

impl Write for UploadStream {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(data);
        if self.pending.len() >= HANDOFF_BYTES {
            self.hand_off()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Parts go out as they fill; `complete` sends the rest.
        Ok(())
    }
}

/// The object_store error inside an `io::Error` from the async writer, or a generic one.
fn store_error(error: io::Error) -> object_store::Error {
    match error.into_inner() {
        Some(inner) => match inner.downcast::<object_store::Error>() {
            Ok(store) => *store,
            Err(other) => object_store::Error::Generic {
                store: "S3",
                source: other,
            },
        },
        None => object_store::Error::Generic {
            store: "S3",
            source: "the upload failed".into(),
        },
    }
}
