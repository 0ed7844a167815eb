//! `custlake compact`: fold the incremental deltas of the output into new snapshots.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use custlake_pipeline::ExportError;
use custlake_pipeline::ParquetSinkConfig;
use custlake_pipeline::{CompactOptions, compact};

use crate::UsageError;
use crate::cli::CompactArgs;

/// Compacts and prints one line per new snapshot; exit 0 also when there was nothing to do.
pub async fn run(args: CompactArgs) -> Result<ExitCode> {
    let (out, parquet) = match (&args.config, &args.out) {
        (Some(path), out) => {
            let config = crate::config_file::load(path).map_err(UsageError::from)?;
            let out = out
                .clone()
                .unwrap_or_else(|| PathBuf::from(&config.output.path));
            (out, config.output.parquet.clone())
        }
        (None, Some(out)) => (out.clone(), ParquetSinkConfig::default()),
        (None, None) => {
            return Err(UsageError::msg(
                "compact needs the output: pass --config custlake.toml (its [output] path and \
                 Parquet settings) or --out DIR|s3://bucket/prefix",
            )
            .into());
        }
    };
    let options = CompactOptions {
        out: out.clone(),
        parquet,
        only: args.only.clone(),
    };
    let report = compact(options).await.map_err(|e| match e {
        ExportError::Output { .. } | ExportError::Config(_) => {
            anyhow::Error::from(UsageError::msg(e.to_string()))
        }
        other => anyhow::Error::from(other),
    })?;
    if report.partitions.is_empty() {
        println!(
            "nothing to compact in {}: no incremental deltas",
            out.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("compaction {} into {}:", report.run_id, out.display());
    println!(
        "{:<48} {:>7} {:>10} {:>6} {:>12}",
        "partition", "deltas", "rows", "files", "bytes"
    );
    for p in &report.partitions {
        println!(
            "{:<48} {:>7} {:>10} {:>6} {:>12}",
            p.partition, p.deltas, p.rows, p.files, p.bytes
        );
    }
    for warning in &report.warnings {
        println!("warning: {warning}");
    }
    Ok(ExitCode::SUCCESS)
}
