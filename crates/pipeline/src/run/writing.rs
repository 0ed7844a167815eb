//! What an export and a compaction share when they write partitions: the output an `out` path
//! names, the key-value metadata every Parquet file carries, and closing a writer thread.

use std::path::Path;

use custlake_schema::SCHEMA_VERSION;
use tokio::task::JoinError;

use crate::layout::PartitionTarget;
use crate::run::error::ExportError;
use crate::write::SinkError;
use crate::write::location::OutputLocation;
use crate::write::partition::StagedPartition;
use crate::write::writers::DatasetWriter;

/// The output `out` names: a folder, or `s3://bucket/prefix` configured from the AWS
/// environment variables (see [`crate::write::location`]).
#[expect(
    clippy::result_large_err,
    reason = "called once per run by functions that return ExportError themselves"
)]
pub(crate) fn output_location(out: &Path) -> Result<OutputLocation, ExportError> {
    OutputLocation::from_out_path(out).map_err(|e| unusable_output(out, e))
}

/// The run's error for an output `out` that cannot be used, and why.
pub(crate) fn unusable_output(out: &Path, reason: impl std::fmt::Display) -> ExportError {
    ExportError::Output {
        path: out.display().to_string(),
        reason: reason.to_string(),
    }
}

/// The key-value metadata of every file a run writes into `target`: custlake's and the
/// schema's version, the run, and the partition's names.
pub(crate) fn file_metadata(run_id: &str, target: &PartitionTarget) -> Vec<(String, String)> {
    vec![
        (
            "custlake.version".to_owned(),
            env!("CARGO_PKG_VERSION").to_owned(),
        ),
        (
            "custlake.schema_version".to_owned(),
            SCHEMA_VERSION.to_string(),
        ),
        ("custlake.run_id".to_owned(), run_id.to_owned()),
        ("custlake.dataset".to_owned(), target.dataset.clone()),
        ("custlake.source".to_owned(), target.source.clone()),
        ("custlake.tenant".to_owned(), target.tenant.clone()),
    ]
}

/// Ends `writer`'s input and waits for its staged partition: the writer's own result, or the
/// reason its thread ended abnormally.
pub(crate) async fn close_writer(
    writer: DatasetWriter,
) -> Result<Result<StagedPartition, SinkError>, JoinError> {
    drop(writer.batches);
    writer.done.await
}
