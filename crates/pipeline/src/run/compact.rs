//! `custlake compact` and `custlake vacuum`: housekeeping of an existing output, whatever its
//! format ([`crate::table::TableFormat::compact`], [`crate::table::TableFormat::vacuum`]).
//! Parquet: folds the increments an older custlake wrote beside the partitions (every
//! partition already holds one row per key); Delta Lake: merges each partition's small files
//! and vacuums files no table version within the retention references.

use std::path::PathBuf;

use chrono::Utc;

use crate::commit::manifest::RunManifest;
use crate::config::ParquetSinkConfig;
use crate::model::{OutputFormat, new_run_id};
use crate::run::error::ExportError;
use crate::run::writing::output_location;
use crate::table::{CompactReport, RunIdentity, TableFormat, VacuumReport};
use crate::write::location::OutputLocation;

/// What `compact` is asked to do.
#[derive(Debug, Clone)]
pub struct CompactOptions {
    /// The output, as for export: a folder or `s3://bucket/prefix`.
    pub out: PathBuf,
    /// Parquet file settings of the files written.
    pub parquet: ParquetSinkConfig,
    /// Only these tenants (configured source names); every source when empty.
    pub only: Vec<String>,
    /// The format the caller expects; the format the output records wins.
    pub format: OutputFormat,
}

/// Compacts every source (or the `only` ones) of the output `options.out` (a folder or
/// `s3://bucket/prefix` configured from the AWS environment).
pub async fn compact(options: CompactOptions) -> Result<CompactReport, ExportError> {
    let location = output_location(&options.out)?;
    compact_at(location, options).await
}

/// [`compact`] on an output built by the caller; `location` replaces `options.out`.
pub async fn compact_at(
    location: OutputLocation,
    options: CompactOptions,
) -> Result<CompactReport, ExportError> {
    let started_at = Utc::now();
    let identity = RunIdentity {
        run_id: new_run_id(started_at),
        started_at,
        operation: "compact",
    };
    let output = TableFormat::open_existing(location, identity).await?;
    let mut report = output.compact(&options.parquet, &options.only).await?;
    let mut manifest = RunManifest::empty(&report.run_id, started_at);
    output.finish().await?.record_in(&mut manifest);
    report.warnings.extend(manifest.warnings.iter().cloned());
    // Written whether or not anything needed compacting: the run is on record either way.
    manifest.finished_at = Utc::now();
    manifest.elapsed_ms = u64::try_from(
        (manifest.finished_at - started_at)
            .num_milliseconds()
            .max(0),
    )
    .unwrap_or(0);
    manifest.compute_totals();
    output.write_manifest(&manifest).await?;
    Ok(report)
}

/// Deletes the files of every table of the output at `location` that no version of the last
/// `retain_hours` hours references (a Delta Lake output; a Parquet output deletes replaced
/// files itself and has nothing to vacuum). A path that holds no output is refused.
pub async fn vacuum(
    location: OutputLocation,
    retain_hours: u64,
) -> Result<VacuumReport, ExportError> {
    let started_at = Utc::now();
    let identity = RunIdentity {
        run_id: new_run_id(started_at),
        started_at,
        operation: "vacuum",
    };
    let output = TableFormat::open_existing(location, identity).await?;
    Ok(output.vacuum(retain_hours).await?)
}
