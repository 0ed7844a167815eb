//! `custlake vacuum`: delete the files of a Delta output that no table version within the
//! retention references.

use anyhow::Result;
use custlake_pipeline::{OutputLocation, RunStatus, vacuum};

use crate::UsageError;
use crate::cli::VacuumArgs;
use crate::commands::load_output_config;

/// Vacuums every table of the output and prints the files deleted per table.
pub async fn run(args: VacuumArgs) -> Result<RunStatus> {
    let out = match (&args.config, args.out) {
        (_, Some(out)) => out,
        (Some(path), None) => load_output_config(path)?.output.path.into(),
        (None, None) => {
            return Err(UsageError::msg(
                "vacuum needs the output: pass --config custlake.toml (its [output] path) or \
                 --out DIR|s3://bucket/prefix",
            )
            .into());
        }
    };
    let location =
        OutputLocation::from_out_path(&out).map_err(|e| UsageError::msg(e.to_string()))?;
    let report = vacuum(location, args.retain_hours).await?;
    if report.tables.is_empty() {
        println!(
            "nothing to vacuum in {}: it holds no Delta tables",
            out.display()
        );
    }
    for (table, deleted) in &report.tables {
        println!(
            "{table}: {deleted} files deleted (retention {} h)",
            args.retain_hours
        );
    }
    Ok(RunStatus::Succeeded)
}
