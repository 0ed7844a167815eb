//! What the run commands share about their output: the output an `out` path names.

use std::path::Path;

use crate::run::error::ExportError;
use crate::table::TableError;
use crate::write::location::OutputLocation;

/// The output `out` names: a folder, or `s3://bucket/prefix` configured from the AWS
/// environment variables (see [`crate::write::location`]).
#[expect(
    clippy::result_large_err,
    reason = "called once per run by functions that return ExportError themselves"
)]
pub(crate) fn output_location(out: &Path) -> Result<OutputLocation, ExportError> {
    OutputLocation::from_out_path(out).map_err(|e| {
        ExportError::Table(TableError::Output {
            path: out.display().to_string(),
            reason: e.to_string(),
        })
    })
}
