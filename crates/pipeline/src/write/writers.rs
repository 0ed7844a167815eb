//! Dataset writer threads: one blocking thread per (dataset, source, tenant) snapshot.
//!
//! Each thread owns a [`PartitionWriter`] (local Parquet or object store) and drains a small
//! bounded channel, so Parquet encoding runs beside fetching and mapping while memory stays
//! bounded by the channel depth.

use arrow::record_batch::RecordBatch;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::write::SinkError;
use crate::write::partition::{PartitionWriter, StagedPartition};

/// Batches queued per writer before the mapping stage waits.
const WRITER_QUEUE: usize = 1;

/// A running writer: send batches, then drop the sender and await the staged snapshot.
pub struct DatasetWriter {
    /// Where batches go.
    pub batches: mpsc::Sender<RecordBatch>,
    /// The thread; yields the staged snapshot once the sender side is dropped.
    pub done: JoinHandle<Result<StagedPartition, SinkError>>,
}

/// Starts a writer thread for `writer`'s partition.
pub fn spawn_writer(mut writer: PartitionWriter) -> DatasetWriter {
    let (batches, mut queue) = mpsc::channel::<RecordBatch>(WRITER_QUEUE);
    let done = tokio::task::spawn_blocking(move || {
        while let Some(batch) = queue.blocking_recv() {
            writer.write(&batch)?;
        }
        writer.finish()
    });
    DatasetWriter { batches, done }
}

/// Ends `writer`'s input and waits for its staged partition: the writer's own result, or the
/// reason its thread ended abnormally.
pub(crate) async fn close_writer(
    writer: DatasetWriter,
) -> Result<Result<StagedPartition, SinkError>, tokio::task::JoinError> {
    drop(writer.batches);
    writer.done.await
}
