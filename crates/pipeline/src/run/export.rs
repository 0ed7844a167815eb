//! `export`: runs every configured source and commits each source's snapshots when it finished.
//!
//! Per source: one HTTP client and one request budget; per entity: a fetch task (async), a
//! mapping thread and, per dataset, a writer thread, joined by bounded channels. A source's
//! snapshots are committed only when all its entities and writers succeeded; otherwise they are
//! discarded and the previous snapshots stay in place. Other sources carry on either way.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use custlake_schema::{Dataset, MapContext, SCHEMA_VERSION, SourceKind};
use tokio::sync::mpsc;

use crate::commit::manifest::{EntityReport, RunManifest, RunStatus, SourceReport};
use crate::config::ParquetSinkConfig;
use crate::config::{ValidatedSource, VendorSettings};
use crate::fetch::budget::RequestBudget;
use crate::fetch::page_set::PageSet;
use crate::fetch::{FetchFailure, authenticate_source, fetch_entity_except};
use crate::incremental::watch_customers;
use crate::layout::PartitionTarget;
use crate::map::mapper::{DatasetSenders, run_mapper};
use crate::model::Entity;
use crate::model::VendorKind;
use crate::progress::{EntityLabel, ProgressObserver};
use crate::resume::spool::SpoolError;
use crate::resume::{EntitySpool, Replayed, RunRecovery, SourceSpools, prepare_source};
use crate::run::error::ExportError;
use crate::run::output::RunOutput;
use crate::sources::PageSource;
use crate::sources::build::build_filtered_page_sources;
use crate::write::SinkError;
use crate::write::location::OutputLocation;
use crate::write::partition::StagedPartition;
use crate::write::writers::{DatasetWriter, spawn_writer};

/// How a run writes its output.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Local output folder, or an object store URL (`s3://bucket/prefix`; see
    /// [`crate::write::location`]).
    pub out: PathBuf,
    /// Keep raw vendor JSON in the `raw` column.
    pub include_raw: bool,
    /// Parquet file settings.
    pub parquet: ParquetSinkConfig,
    /// Spool every fetched page and checkpoint it, so an interrupted run can be resumed
    /// (`[output] checkpoints`, default true).
    pub checkpoints: bool,
    /// Continue the newest interrupted run in `out` instead of starting a new one (a new run
    /// starts when there is none).
    pub resume: bool,
}

/// The run's identity, shared by every source.
struct RunContext {
    run_id: String,
    started_at: DateTime<Utc>,
    options: ExportOptions,
    progress: Arc<dyn ProgressObserver>,
    /// The run's claim on its checkpoints; released when the run ends.
    recovery: RunRecovery,
    /// Where partitions are written and committed, and the catalog.
    output: RunOutput,
}

/// What one source produced.
struct SourceOutcome {
    report: SourceReport,
    warnings: Vec<String>,
}

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
    let location =
        OutputLocation::from_out_path(&options.out).map_err(|e| ExportError::Output {
            path: options.out.display().to_string(),
            reason: e.to_string(),
        })?;
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
    if let OutputLocation::Local(dir) = &location {
        options.out = dir.clone();
    }
    let mut output = RunOutput::open_location(location).await?;
    // Checkpoints live in a local staging folder, so object-store outputs run without them.
    let checkpoints = options.checkpoints && output.location().is_local();
    // A resumed run keeps its id and start time, so its rows read as one uninterrupted run.
    let recovery = RunRecovery::begin(&output.work_dir(), options.resume, checkpoints)?;
    output.set_run_id(&recovery.run_id);
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
    let mut manifest = RunManifest {
        run_id: run.run_id.clone(),
        custlake_version: env!("CARGO_PKG_VERSION").to_owned(),
        schema_version: SCHEMA_VERSION,
        started_at,
        finished_at: started_at,
        elapsed_ms: 0,
        status: RunStatus::Succeeded,
        sources: Vec::new(),
        files: Vec::new(),
        unchanged: Vec::new(),
        warnings: run.recovery.notes.clone(),
        totals: Default::default(),
    };
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
    run.output.commit_catalog().await?.record_in(&mut manifest);
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

fn schema_kind(kind: VendorKind) -> SourceKind {
    match kind {
        VendorKind::YonyouU8 => SourceKind::YonyouU8,
        VendorKind::YeastarYcm => SourceKind::YeastarYcm,
    }
}

/// The datasets a source writes: what its entities produce, plus rejects.
fn datasets_of(kind: VendorKind, entities: &[Entity]) -> Vec<Dataset> {
    let mut out = Vec::new();
    match kind {
        VendorKind::YonyouU8 => {
            if entities.contains(&Entity::Customers) {
                out.push(Dataset::Customers);
            }
            if entities.contains(&Entity::Contacts) {
                out.push(Dataset::Contacts);
            }
        }
        VendorKind::YeastarYcm => out.extend([Dataset::Customers, Dataset::Contacts]),
    }
    out.push(Dataset::Rejects);
    out
}

/// Runs one source to the end and commits or discards its snapshots.
async fn run_source(source: ValidatedSource, run: Arc<RunContext>) -> SourceOutcome {
    let kind = source.vendor.kind();
    let mut report = SourceReport {
        source: kind.as_str().to_owned(),
        tenant: source.name.clone(),
        status: RunStatus::Succeeded,
        error: None,
        entities: Vec::new(),
    };
    let mut outcome = SourceOutcome {
        report: report.clone(),
        warnings: Vec::new(),
    };
    let fail = |mut report: SourceReport, error: String| {
        tracing::error!(source = kind.as_str(), tenant = %report.tenant, %error, "source failed");
        report.status = RunStatus::Failed;
        report.error = Some(error);
        report
    };

    // Full snapshot or incremental delta; U8 customers are watched for the high-water mark.
    let plan = run.output.plan(&source);
    let sources = match build_filtered_page_sources(&source, plan.customer_filter()) {
        Ok(sources) => sources,
        Err(error) => {
            outcome.report = fail(report, error);
            return outcome;
        }
    };
    let (sources, mark_watcher) = watch_customers(sources, &plan);
    let budget = Arc::new(RequestBudget::new(
        source.fetch.requests_per_second,
        source.fetch.burst,
    ));
    authenticate_source(&sources, &budget).await;
    // Before any writer starts: a resumed source either keeps its saved pages or starts over.
    let mut spools: SourceSpools = match prepare_source(
        &run.recovery,
        &source,
        &format!("{:?}", plan.customer_filter()),
        &sources,
        &budget,
        &mut outcome.warnings,
    )
    .await
    {
        Ok(spools) => spools,
        Err(error) => {
            outcome.report = fail(report, error);
            return outcome;
        }
    };
    let mut writers = BTreeMap::new();
    for dataset in datasets_of(kind, &source.entities) {
        let target = PartitionTarget::new(dataset.as_str(), kind.as_str(), source.name.as_str());
        let metadata = vec![
            (
                "custlake.version".to_owned(),
                env!("CARGO_PKG_VERSION").to_owned(),
            ),
            (
                "custlake.schema_version".to_owned(),
                SCHEMA_VERSION.to_string(),
            ),
            ("custlake.run_id".to_owned(), run.run_id.clone()),
            ("custlake.dataset".to_owned(), dataset.as_str().to_owned()),
            ("custlake.source".to_owned(), kind.as_str().to_owned()),
            ("custlake.tenant".to_owned(), source.name.clone()),
        ];
        let writer = run.output.writer(
            &plan,
            target,
            dataset.schema(),
            metadata,
            &run.options.parquet,
        );
        match writer.map(spawn_writer) {
            Ok(writer) => {
                writers.insert(dataset.as_str(), writer);
            }
            Err(e) => {
                let writers = writers.into_values().collect();
                discard(finish_writers(writers).await);
                outcome.report = fail(report, e.to_string());
                return outcome;
            }
        }
    }
    let Some(rejects) = writers.get("rejects").map(|w| w.batches.clone()) else {
        // `datasets_of` always includes rejects; this only guards the invariant.
        discard(finish_writers(writers.into_values().collect()).await);
        outcome.report = fail(report, "internal error: no rejects writer".into());
        return outcome;
    };
    let senders = DatasetSenders {
        customers: writers.get("customers").map(|w| w.batches.clone()),
        contacts: writers.get("contacts").map(|w| w.batches.clone()),
        rejects,
    };

    let ctx = MapContext {
        source: schema_kind(kind),
        tenant: source.name.clone(),
        run_id: run.run_id.clone(),
        extracted_at: run.started_at,
        timezone: match &source.vendor {
            VendorSettings::YonyouU8 { timezone, .. } => *timezone,
            VendorSettings::YeastarYcm { .. } => custlake_schema::DEFAULT_TIMEZONE,
        },
        include_raw: run.options.include_raw,
    };
    let entity_runs = sources.into_iter().map(|page_source| {
        let spool = spools.take(page_source.entity());
        run_entity(
            page_source,
            spool,
            &source,
            kind,
            budget.clone(),
            ctx.clone(),
            senders.clone(),
            run.progress.as_ref(),
        )
    });
    let entity_results = futures::future::join_all(entity_runs).await;
    drop(senders);

    let writers: Vec<DatasetWriter> = writers.into_values().collect();
    let staged = finish_writers(writers).await;

    let mut errors = Vec::new();
    for result in entity_results {
        match result {
            Ok((entity_report, warnings)) => {
                report.entities.push(entity_report);
                outcome.warnings.extend(warnings);
            }
            Err((entity_report, error)) => {
                report.entities.push(entity_report);
                errors.push(error);
            }
        }
    }
    let mut snapshots = Vec::new();
    for result in staged {
        match result {
            Ok(snapshot) => snapshots.push(snapshot),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        discard(snapshots.into_iter().map(Ok).collect());
        let message = format!("{}; the previous snapshot was kept", errors.join("; "));
        outcome.report = fail(report, message);
        return outcome;
    }
    let watcher = mark_watcher.as_deref();
    errors.extend(run.output.commit_source(&plan, snapshots, watcher));
    if !errors.is_empty() {
        outcome.report = fail(report, errors.join("; "));
        return outcome;
    }
    outcome
        .warnings
        .extend(run.output.advance_mark(&plan, watcher, &report));
    outcome.report = report;
    outcome
}

/// Closes every writer and collects its staged snapshot or its error message.
async fn finish_writers(writers: Vec<DatasetWriter>) -> Vec<Result<StagedPartition, String>> {
    let mut out = Vec::new();
    for writer in writers {
        drop(writer.batches);
        out.push(match writer.done.await {
            Ok(result) => result.map_err(|e: SinkError| e.to_string()),
            Err(join_error) => Err(format!("a writer thread ended abnormally: {join_error}")),
        });
    }
    out
}

fn discard(staged: Vec<Result<StagedPartition, String>>) {
    for snapshot in staged.into_iter().flatten() {
        if let Err(e) = snapshot.abort() {
            tracing::warn!(error = %e, "could not delete a discarded staging folder");
        }
    }
}

type EntityResult = Result<(EntityReport, Vec<String>), (EntityReport, String)>;

/// Fetches and maps one entity; returns its report and warnings, or its report and error.
/// With a `spool`, saved pages are replayed first and every fetched page is saved.
#[allow(clippy::too_many_arguments)] // each is one stage's input; a struct would only rename them
async fn run_entity(
    page_source: Arc<dyn PageSource>,
    spool: Option<EntitySpool>,
    source: &ValidatedSource,
    kind: VendorKind,
    budget: Arc<RequestBudget>,
    ctx: MapContext,
    senders: DatasetSenders,
    progress: &dyn ProgressObserver,
) -> EntityResult {
    let entity = page_source.entity();
    let label = EntityLabel {
        tenant: &source.name,
        source: kind.as_str(),
        entity: entity.as_str(),
    };
    // Pages in flight already buffer up to `concurrency` pages; the queue only smooths hand-over.
    let (pages_tx, pages_rx) = mpsc::channel(1);
    let mapper = tokio::task::spawn_blocking(move || run_mapper(ctx, pages_rx, senders));
    let mut report = EntityReport {
        entity: entity.as_str().to_owned(),
        ..Default::default()
    };
    let describe = |e: &dyn std::fmt::Display| format!("{}: {e}", entity.as_str());
    let (fetch_tx, done, replayed, spooler) = match spool {
        None => (pages_tx, PageSet::default(), Replayed::default(), None),
        Some(spool) => match spool.start(pages_tx, 1).await {
            Ok(stage) => (
                stage.pages,
                stage.done,
                stage.replayed,
                Some(stage.finished),
            ),
            Err(e) => {
                let error = describe(&e);
                let _ = mapper.await;
                progress.entity_finished(label, Some(&error));
                return Err((report, error));
            }
        },
    };
    if replayed.pages > 0 {
        progress.pages_replayed(label, replayed.pages, replayed.records);
    }
    let fetched = fetch_entity_except(
        page_source,
        &source.fetch,
        budget,
        fetch_tx,
        progress,
        label,
        &done,
    )
    .await;
    let spooled = match spooler {
        Some(stage) => stage.await,
        None => Ok(Ok(())),
    };
    let mapped = mapper.await;
    // The spool's own failure (disk full, ...) explains a stopped fetch better than the fetch.
    let spool_error = match spooled {
        Ok(Ok(())) | Ok(Err(SpoolError::ConsumerGone)) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(join_error) => Some(format!("the spool thread ended abnormally: {join_error}")),
    };
    if let Some(e) = spool_error {
        let error = describe(&e);
        progress.entity_finished(label, Some(&error));
        return Err((report, error));
    }
    let summary = match (fetched, mapped) {
        (Ok(fetch), Ok(Ok(map))) => (fetch, map),
        (Err(FetchFailure::ConsumerGone), _) | (_, Ok(Err(_))) => {
            let error = describe(&"writing the dataset failed (see the writer error)");
            progress.entity_finished(label, Some(&error));
            return Err((report, error));
        }
        (Err(e), _) => {
            let error = describe(&e);
            progress.entity_finished(label, Some(&error));
            return Err((report, error));
        }
        (_, Err(join_error)) => {
            let error = describe(&format!(
                "the mapping thread ended abnormally: {join_error}"
            ));
            progress.entity_finished(label, Some(&error));
            return Err((report, error));
        }
    };
    let (fetch, map) = summary;
    report.pages_fetched = fetch.pages + replayed.pages;
    report.records_fetched = fetch.records + replayed.records;
    report.pages_replayed = replayed.pages;
    report.vendor_total = Some(fetch.announced_records);
    report.duplicates_dropped = map.duplicates;
    report.retries = fetch.retries;
    report.rows = BTreeMap::from([
        ("customers".to_owned(), map.stats.customer_rows as u64),
        ("contacts".to_owned(), map.stats.contact_rows as u64),
    ]);
    report.rows.retain(|_, rows| *rows > 0);
    report.rejects = map.stats.reject_rows() as u64;
    report.compute_missing();

    let mut warnings = Vec::new();
    let where_ = format!("{} {} {}", kind.as_str(), source.name, entity.as_str());
    if map.duplicates > 0 {
        warnings.push(format!(
            "{where_}: {} duplicate records were dropped (the same key on several pages; records moved between pages while paging)",
            map.duplicates
        ));
    }
    if let Some(missing) = report.missing.filter(|m| *m > 0) {
        warnings.push(format!(
            "{where_}: the vendor announced {} records but {} unique arrived ({missing} missing; records were deleted or moved while paging — rerun to pick them up)",
            fetch.announced_records,
            report.unique_records()
        ));
    }
    progress.entity_finished(label, None);
    Ok((report, warnings))
}
