//! Dataset writer threads: one blocking thread per (dataset, source, tenant) snapshot.
//!
//! Each thread owns a [`SnapshotWriter`] and drains a small bounded channel, so Parquet encoding
//! runs beside fetching and mapping while memory stays bounded by the channel depth.

use std::path::Path;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::sinks::SinkError;
use crate::sinks::parquet::{ParquetSinkConfig, PartitionTarget, SnapshotWriter, StagedSnapshot};

/// Batches queued per writer before the mapping stage waits.
const WRITER_QUEUE: usize = 4;

/// A running writer: send batches, then drop the sender and await the staged snapshot.
pub struct DatasetWriter {
    /// Where batches go.
    pub batches: mpsc::Sender<RecordBatch>,
    /// The thread; yields the staged snapshot once the sender side is dropped.
    pub done: JoinHandle<Result<StagedSnapshot, SinkError>>,
}

/// Starts a writer thread for `target`.
pub fn spawn_writer(
    out_root: &Path,
    target: PartitionTarget,
    run_id: &str,
    schema: SchemaRef,
    metadata: Vec<(String, String)>,
    config: &ParquetSinkConfig,
) -> Result<DatasetWriter, SinkError> {
    let mut writer = SnapshotWriter::create(out_root, target, run_id, schema, metadata, config)?;
    let (batches, mut queue) = mpsc::channel::<RecordBatch>(WRITER_QUEUE);
    let done = tokio::task::spawn_blocking(move || {
        while let Some(batch) = queue.blocking_recv() {
            writer.write(&batch)?;
        }
        writer.finish()
    });
    Ok(DatasetWriter { batches, done })
}
