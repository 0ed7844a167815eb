//! `custlake export`: run every configured source and print the summary.

use std::sync::Arc;

use anyhow::Result;
use custlake_pipeline::{
    JOB_COMPLETION_INDEX_ENV, ProgressObserver, RunOverrides, RunSettings, RunStatus, Shard,
    redact_secrets,
};

use crate::UsageError;
use crate::cli::ExportArgs;
use crate::commands::load_config;
use crate::summary;

/// Runs the export and prints the summary; the status says whether every source succeeded.
pub async fn run(
    args: ExportArgs,
    progress: Arc<dyn ProgressObserver>,
    quiet: bool,
) -> Result<RunStatus> {
    let config = load_config(&args.config.config)?;
    let overrides = RunOverrides {
        out: args.out,
        only: args.config.only,
        no_raw: args.no_raw,
        resume: args.resume,
        full: args.full,
        allow_shrink: args.allow_shrink,
        history: args.history,
        format: args.format.map(Into::into),
        shard: args
            .shard
            .as_deref()
            .map(|value| {
                let job_index = std::env::var(JOB_COMPLETION_INDEX_ENV).ok();
                Shard::parse(value, job_index.as_deref())
            })
            .transpose()
            .map_err(|e| UsageError::msg(e.to_string()))?,
    };
    let origin = args.config.config.display().to_string();
    let shard = overrides.shard;
    let settings = RunSettings::from_config(&config, &origin, overrides)?;
    if let (Some(shard), true) = (shard, settings.sources.is_empty()) {
        // Nothing to export, and nothing to report as an export of 0 records.
        if !quiet {
            println!(
                "shard {}/{}: none of the sources of {origin} falls in this shard (sources are \
                 assigned by a hash of their name); nothing to export",
                shard.index, shard.count
            );
        }
        return Ok(RunStatus::Succeeded);
    }
    run_export(settings, progress, quiet).await
}

/// Shared by `export` and `demo`: exports and prints the summary (not with `-q`: errors are
/// logged, the manifest holds the rest).
pub async fn run_export(
    settings: RunSettings,
    progress: Arc<dyn ProgressObserver>,
    quiet: bool,
) -> Result<RunStatus> {
    let outcome = settings.export(progress).await?;
    if !quiet {
        print!("{}", redact_secrets(&summary::render(&outcome)));
    }
    Ok(outcome.manifest.status)
}
