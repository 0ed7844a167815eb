//! `custlake compact`: merge small files (Delta Lake) and fold the increments an older custlake
//! left beside the partitions (Parquet).

use anyhow::Result;
use custlake_pipeline::{CompactOptions, RunStatus, compact};

use crate::UsageError;
use crate::cli::CompactArgs;
use crate::commands::load_output_config;

/// Compacts and prints one line per new snapshot; `Succeeded` also when there was nothing to do.
pub async fn run(args: CompactArgs) -> Result<RunStatus> {
    let options = match (&args.config, args.out) {
        (Some(path), out) => {
            let config = load_output_config(path)?;
            let origin = path.display().to_string();
            CompactOptions::from_config(&config, &origin, out, args.only)?
        }
        (None, Some(out)) => CompactOptions::for_output(out, args.only),
        (None, None) => {
            return Err(UsageError::msg(
                "compact needs the output: pass --config custlake.toml (its [output] path and \
                 Parquet settings) or --out DIR|s3://bucket/prefix",
            )
            .into());
        }
    };
    let mut options = options;
    if let Some(format) = args.format {
        options.format = format.into();
    }
    let out = options.out.clone();
    let report = compact(options).await?;
    if report.partitions.is_empty() {
        println!(
            "nothing to compact in {}: every partition is current and has no small files to merge \
             (manifest: _manifests/{}.json)",
            out.display(),
            report.run_id
        );
        return Ok(RunStatus::Succeeded);
    }
    println!(
        "compaction {} into {} (manifest: _manifests/{}.json):",
        report.run_id,
        out.display(),
        report.run_id
    );
    println!(
        "{:<48} {:>7} {:>10} {:>6} {:>12}",
        "partition", "folded", "rows", "files", "bytes"
    );
    for p in &report.partitions {
        println!(
            "{:<48} {:>7} {:>10} {:>6} {:>12}",
            p.partition, p.increments, p.rows, p.files, p.bytes
        );
    }
    for warning in &report.warnings {
        println!("warning: {warning}");
    }
    Ok(RunStatus::Succeeded)
}
