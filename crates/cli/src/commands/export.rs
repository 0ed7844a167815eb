//! `custlake export`: run every configured source and print the summary.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use custlake_pipeline::ExportMode;
use custlake_pipeline::{ExportOptions, ProgressObserver, RunStatus, export};

use crate::cli::ExportArgs;
use crate::commands::load_sources;
use crate::{UsageError, summary};

/// Runs the export; exit 0 when every source succeeded, 1 when one failed.
pub async fn run(args: ExportArgs, progress: Arc<dyn ProgressObserver>) -> Result<ExitCode> {
    let (config, mut sources) = load_sources(&args.config)?;
    if args.full {
        for source in &mut sources {
            source.mode = ExportMode::Full;
        }
    }
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from(&config.output.path));
    let options = ExportOptions {
        out: out.clone(),
        include_raw: config.output.raw && !args.no_raw,
        parquet: config.output.parquet.clone(),
        checkpoints: config.output.checkpoints,
        resume: args.resume,
    };
    run_export(sources, options, progress).await
}

/// Shared by `export` and `demo`: exports, prints the summary, maps the status to an exit code.
pub async fn run_export(
    sources: Vec<custlake_pipeline::ValidatedSource>,
    options: ExportOptions,
    progress: Arc<dyn ProgressObserver>,
) -> Result<ExitCode> {
    let out = options.out.clone();
    let manifest = export(sources, options, progress)
        .await
        .map_err(|e| match e {
            custlake_pipeline::ExportError::Config(c) => UsageError::msg(c.to_string()).into(),
            custlake_pipeline::ExportError::Output { .. } => {
                anyhow::Error::from(UsageError::msg(e.to_string()))
            }
            other => anyhow::Error::from(other),
        })?;
    print!("{}", summary::render(&manifest, &out));
    Ok(match manifest.status {
        RunStatus::Succeeded => ExitCode::SUCCESS,
        RunStatus::Partial | RunStatus::Failed => ExitCode::from(1),
    })
}
