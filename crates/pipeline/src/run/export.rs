//! `export`: runs every configured source and publishes each source's partitions when it
//! finished.
//!
//! Per source ([`crate::run::source`]): one HTTP client and one request budget; per entity
//! ([`crate::run::entity`]): a fetch task (async), a mapping thread and, per dataset, a writer
//! thread, joined by bounded channels. A source's partitions are published only when all its
//! entities and writers succeeded, and then all together; otherwise they are discarded and the
//! previous state stays in place. Other sources carry on either way.

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;

use crate::commit::manifest::{RunManifest, RunStatus};
use crate::config::ValidatedSource;
use crate::progress::ProgressObserver;
use crate::resume::RunRecovery;
use crate::run::context::{ExportOptions, RunContext};
use crate::run::error::ExportError;
use crate::run::link::{LinkSettings, link_output};
use crate::run::source::run_source;
use crate::run::writing::output_location;
use crate::table::{RunIdentity, TableFormat};
use crate::write::location::OutputLocation;

/// Exports every source in `sources`, commits each finished source's snapshots, and writes
/// the run manifest. Source failures are reported in the manifest (status `partial` or
/// `failed`); only problems with the output itself are errors.
///
/// The output is `options.out`: a folder, or `s3://bucket/prefix` configured from the AWS
/// environment variables (see [`crate::write::location`]).
pub async fn export(
    sources: Vec<ValidatedSource>,
    options: ExportOptions,
    progress: Arc<dyn ProgressObserver>,
) -> Result<RunManifest, ExportError> {
    let location = output_location(&options.out)?;
    export_to(sources, options, location, progress).await
}

/// [`export`] to an output built by the caller (an object store with explicit settings);
/// `location` replaces `options.out` as the destination.
pub async fn export_to(
    sources: Vec<ValidatedSource>,
    mut options: ExportOptions,
    location: OutputLocation,
    progress: Arc<dyn ProgressObserver>,
) -> Result<RunManifest, ExportError> {
    let clock = Instant::now();
    let process_started = Utc::now();
    if let OutputLocation::Local(dir) = &location {
        options.out = dir.clone();
    }
    let claim = TableFormat::claim(location, options.format).await?;
    // Checkpoints live in a local staging folder, so object-store outputs run without them.
    let checkpoints = options.checkpoints && claim.is_local();
    // A resumed run keeps its id and start time, so its rows read as one uninterrupted run.
    let recovery = RunRecovery::begin(&claim.work_dir(), options.resume, checkpoints)?;
    let identity = RunIdentity {
        run_id: recovery.run_id.clone(),
        started_at: recovery.started_at,
        operation: "export",
    };
    let output = TableFormat::open(claim, identity).await?;
    let started_at = recovery.started_at;
    let run = Arc::new(RunContext {
        run_id: recovery.run_id.clone(),
        started_at,
        options,
        progress,
        recovery,
        output,
    });
    tracing::info!(run_id = %run.run_id, sources = sources.len(), "export started");

    let tasks: Vec<_> = sources
        .into_iter()
        .map(|source| tokio::spawn(run_source(source, run.clone())))
        .collect();
    let mut manifest = RunManifest::empty(&run.run_id, started_at);
    // A resumed run keeps the interrupted run's start; this process's own start is beside it.
    manifest.resumed_at = (started_at < process_started).then_some(process_started);
    manifest.warnings = run.recovery.notes.clone();
    for task in tasks {
        let outcome = match task.await {
            Ok(outcome) => outcome,
            Err(join_error) => {
                manifest
                    .warnings
                    .push(format!("a source task ended abnormally: {join_error}"));
                continue;
            }
        };
        manifest.warnings.extend(outcome.warnings);
        manifest.sources.push(outcome.report);
    }
    // The commit point on object stores; also removes the run's staging folders.
    run.output.finish().await?.record_in(&mut manifest);
    if let Some(settings) = &run.options.links {
        link_after_export(&run, settings, &mut manifest).await?;
    }
    let failed = manifest
        .sources
        .iter()
        .filter(|s| s.status == RunStatus::Failed)
        .count();
    manifest.status = match failed {
        0 => RunStatus::Succeeded,
        n if n == manifest.sources.len() => RunStatus::Failed,
        _ => RunStatus::Partial,
    };
    manifest.finished_at = Utc::now();
    manifest.elapsed_ms = clock.elapsed().as_millis() as u64;
    manifest.compute_totals();
    run.output.write_manifest(&manifest).await?;
    tracing::info!(run_id = %run.run_id, status = ?manifest.status, elapsed_ms = manifest.elapsed_ms, "export finished");
    Ok(manifest)
}

/// The `customer_links` step of an export, on the output as the sources left it. A failure is a
/// warning: the sources' data is committed and the previous links stay.
async fn link_after_export(
    run: &RunContext,
    settings: &LinkSettings,
    manifest: &mut RunManifest,
) -> Result<(), ExportError> {
    let location = run.output.location().clone();
    let identity = RunIdentity {
        operation: "link",
        ..run.output.identity().clone()
    };
    let claim = TableFormat::claim(location, run.options.format).await?;
    let output = TableFormat::open(claim, identity).await?;
    match link_output(&output, &run.options.parquet, settings).await {
        Ok(summary) => {
            output.finish().await?.record_in(manifest);
            manifest.links = Some(summary);
        }
        Err(error) => manifest.warnings.push(error.to_string()),
    }
    Ok(())
}
