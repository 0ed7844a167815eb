//! One source's run: builds its page sources, prepares its spools, opens a writer per dataset,
//! runs its entities and publishes its partitions (all together) only when all of them and
//! every writer succeeded; otherwise the new rows are discarded and the previous state stays.

use std::collections::BTreeMap;
use std::sync::Arc;

use custlake_schema::{Dataset, MapContext, SourceKind};

use crate::commit::manifest::{RunStatus, SourceReport};
use crate::config::{ValidatedSource, VendorSettings};
use crate::fetch::authenticate_source;
use crate::fetch::budget::RequestBudget;
use crate::incremental::{
    MarkWatcher, SourcePlan, missing_mark_warning, next_mark, plan_source, watch_customers,
};
use crate::layout::PartitionTarget;
use crate::map::mapper::DatasetSenders;
use crate::model::{Entity, VendorKind};
use crate::resume::{SourceSpools, prepare_source};
use crate::run::context::RunContext;
use crate::run::entity::{EntityResult, EntityRun};
use crate::run::guard::{Replacement, unproven_shrink};
use crate::sources::PageSource;
use crate::sources::build::build_filtered_page_sources;
use crate::table::PublishOptions;
use crate::write::file_metadata::file_metadata;
use crate::write::partition::StagedPartition;
use crate::write::writers::{DatasetWriter, close_writer, spawn_writer};

/// What one source produced.
pub(crate) struct SourceOutcome {
    pub(crate) report: SourceReport,
    pub(crate) warnings: Vec<String>,
}

/// Runs one source to the end and commits or discards its snapshots.
pub(crate) async fn run_source(source: ValidatedSource, run: Arc<RunContext>) -> SourceOutcome {
    let mut source_run = SourceRun::new(source, run);
    let result = source_run.steps().await;
    source_run.finish(result)
}

/// One source's run in progress, one method per step. A step that fails returns the source's
/// error message; whatever it had written is discarded by then.
struct SourceRun {
    source: ValidatedSource,
    kind: VendorKind,
    run: Arc<RunContext>,
    /// Full snapshot or incremental upsert.
    plan: SourcePlan,
    report: SourceReport,
    warnings: Vec<String>,
}

/// A source's page sources, ready to fetch under one request budget.
struct SourceFetch {
    sources: Vec<Arc<dyn PageSource>>,
    /// Watches U8 customers for the high-water mark, when the plan asks for it.
    mark_watcher: Option<Arc<MarkWatcher>>,
    budget: Arc<RequestBudget>,
}

/// What the source's entity runs take: one page source each, the shared budget, the spools.
struct SourceEntities {
    sources: Vec<Arc<dyn PageSource>>,
    budget: Arc<RequestBudget>,
    spools: SourceSpools,
}

/// A source's writer threads, by dataset name.
type SourceWriters = BTreeMap<&'static str, DatasetWriter>;

impl SourceRun {
    fn new(source: ValidatedSource, run: Arc<RunContext>) -> Self {
        let kind = source.vendor.kind();
        let report = SourceReport {
            source: kind.as_str().to_owned(),
            tenant: source.name.clone(),
            status: RunStatus::Succeeded,
            error: None,
            entities: Vec::new(),
        };
        let plan = plan_source(&source, run.output.current());
        Self {
            source,
            kind,
            run,
            plan,
            report,
            warnings: Vec::new(),
        }
    }

    /// Every step in order; the first error ends the source.
    async fn steps(&mut self) -> Result<(), String> {
        let fetch = self.build_sources().await?;
        let spools = self.prepare_spools(&fetch).await?;
        let (writers, senders) = self.open_writers().await?;
        let SourceFetch {
            sources,
            mark_watcher,
            budget,
        } = fetch;
        let entities = SourceEntities {
            sources,
            budget,
            spools,
        };
        let staged = self.run_entities(entities, writers, senders).await?;
        self.commit(staged, mark_watcher.as_deref()).await
    }

    /// The source's outcome: its report (failed, with `result`'s error) and warnings.
    fn finish(self, result: Result<(), String>) -> SourceOutcome {
        let mut report = self.report;
        if let Err(error) = result {
            tracing::error!(source = self.kind.as_str(), tenant = %report.tenant, %error, "source failed");
            report.status = RunStatus::Failed;
            report.error = Some(error);
        }
        SourceOutcome {
            report,
            warnings: self.warnings,
        }
    }

    /// Builds the page sources (U8 customers watched for the high-water mark) and logs in.
    async fn build_sources(&self) -> Result<SourceFetch, String> {
        let sources = build_filtered_page_sources(&self.source, self.plan.customer_filter())?;
        let (sources, mark_watcher) = watch_customers(sources, &self.plan);
        let budget = Arc::new(RequestBudget::new(
            self.source.fetch.requests_per_second,
            self.source.fetch.burst,
        ));
        authenticate_source(&sources, &budget).await;
        Ok(SourceFetch {
            sources,
            mark_watcher,
            budget,
        })
    }

    /// Before any writer starts: a resumed source either keeps its saved pages or starts over.
    async fn prepare_spools(&mut self, fetch: &SourceFetch) -> Result<SourceSpools, String> {
        prepare_source(
            &self.run.recovery,
            &self.source,
            &format!("{:?}", self.plan.customer_filter()),
            &fetch.sources,
            &fetch.budget,
            &mut self.warnings,
        )
        .await
    }

    /// One writer per dataset the source produces, and the senders the mapping stages feed.
    async fn open_writers(&self) -> Result<(SourceWriters, DatasetSenders), String> {
        let mut writers = SourceWriters::new();
        for dataset in datasets_of(self.kind, &self.source.entities) {
            let target = PartitionTarget::new(
                dataset.as_str(),
                self.kind.as_str(),
                self.source.name.as_str(),
            );
            let metadata = file_metadata(&self.run.run_id, &target);
            let writer = self.run.output.writer(
                target,
                dataset.schema(),
                metadata,
                &self.run.options.parquet,
            );
            match writer.map(spawn_writer) {
                Ok(writer) => {
                    writers.insert(dataset.as_str(), writer);
                }
                Err(e) => {
                    discard(finish_writers(writers).await);
                    return Err(e.to_string());
                }
            }
        }
        let Some(rejects) = writers.get("rejects").map(|w| w.batches.clone()) else {
            // `datasets_of` always includes rejects; this only guards the invariant.
            discard(finish_writers(writers).await);
            return Err("internal error: no rejects writer".into());
        };
        let senders = DatasetSenders {
            customers: writers.get("customers").map(|w| w.batches.clone()),
            contacts: writers.get("contacts").map(|w| w.batches.clone()),
            rejects,
        };
        Ok((writers, senders))
    }

    /// Runs every entity, closes the writers, and returns the staged snapshots when everything
    /// succeeded (the entities' reports go into the source's report either way).
    async fn run_entities(
        &mut self,
        entities: SourceEntities,
        writers: SourceWriters,
        senders: DatasetSenders,
    ) -> Result<Vec<StagedPartition>, String> {
        let SourceEntities {
            sources,
            budget,
            mut spools,
        } = entities;
        let entity_run = EntityRun {
            source: &self.source,
            kind: self.kind,
            budget,
            ctx: self.map_context(),
            senders,
            progress: self.run.progress.as_ref(),
        };
        let entity_runs = sources.into_iter().map(|page_source| {
            let spool = spools.take(page_source.entity());
            entity_run.clone().run(page_source, spool)
        });
        let entity_results = futures::future::join_all(entity_runs).await;
        drop(entity_run);
        let staged = finish_writers(writers).await;

        let mut errors = self.record_entities(entity_results);
        let mut snapshots = Vec::new();
        for result in staged {
            match result {
                Ok(snapshot) => snapshots.push(snapshot),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            discard(snapshots.into_iter().map(Ok).collect());
            return Err(format!("{}; {}", errors.join("; "), self.kept_state()));
        }
        Ok(snapshots)
    }

    /// What the output holds of this source after it failed: its previous snapshot, or
    /// nothing (a source that never published).
    fn kept_state(&self) -> &'static str {
        let tenant = &self.plan.tenant;
        let published = self.run.output.current().partitions.iter().any(|p| {
            p.source == self.plan.source && p.tenant == *tenant && !p.snapshot.files.is_empty()
        });
        if published {
            "the previous snapshot was kept"
        } else {
            "nothing was published for this source (it has no earlier snapshot)"
        }
    }

    /// Adds the entities' reports and warnings to the source's; returns their errors.
    fn record_entities(&mut self, results: Vec<EntityResult>) -> Vec<String> {
        let mut errors = Vec::new();
        for result in results {
            match result {
                Ok((entity_report, warnings)) => {
                    self.report.entities.push(entity_report);
                    self.warnings.extend(warnings);
                }
                Err((entity_report, error)) => {
                    self.report.entities.push(entity_report);
                    errors.push(error);
                }
            }
        }
        errors
    }

    /// Commits the staged snapshots and advances the high-water mark; refuses them all when
    /// one would shrink its partition without evidence.
    async fn commit(
        &mut self,
        snapshots: Vec<StagedPartition>,
        watcher: Option<&MarkWatcher>,
    ) -> Result<(), String> {
        let refusals: Vec<String> = snapshots
            .iter()
            .filter_map(|snapshot| self.unproven_shrink(snapshot))
            .collect();
        if !refusals.is_empty() {
            discard(snapshots.into_iter().map(Ok).collect());
            return Err(refusals.join("; "));
        }
        let nothing_new =
            self.plan.incremental.is_some() && watcher.is_some_and(|w| w.newer() == 0);
        let partitions = snapshots
            .into_iter()
            .map(|staged| {
                let fetched = self.plan.fetched(&staged.place().target.dataset);
                (staged, fetched)
            })
            .collect();
        let options = PublishOptions {
            nothing_new,
            history: self.run.options.history,
            incomplete: self.report.incomplete_datasets(),
            parquet: &self.run.options.parquet,
        };
        self.run.output.publish_source(partitions, &options).await?;
        self.warnings.extend(self.advance_mark(watcher));
        Ok(())
    }

    /// After the source published: records the new high-water mark `watcher` saw, or returns
    /// the warning explaining why the mark stays (or why an incremental source has none).
    fn advance_mark(&self, watcher: Option<&MarkWatcher>) -> Option<String> {
        let watcher = watcher?;
        let (source, tenant) = (self.plan.source, &self.plan.tenant);
        let previous = self.run.output.current().mark(source, tenant, "customers");
        match next_mark(watcher, &self.report, previous, &self.run.run_id) {
            Ok(Some(mark)) => {
                self.run.output.record_mark(source, tenant, mark);
                None
            }
            Ok(None) => missing_mark_warning(&self.plan, watcher),
            Err(warning) => Some(warning),
        }
    }

    /// Why `snapshot` may not replace its partition (see [`unproven_shrink`]): only full
    /// snapshots of customers and contacts are checked; upserts never remove rows, and
    /// rejects shrink whenever the data gets cleaner.
    fn unproven_shrink(&self, snapshot: &StagedPartition) -> Option<String> {
        let place = snapshot.place();
        let dataset = place.target.dataset.as_str();
        let upsert = !self.plan.fetched(dataset).is_empty();
        if upsert || !matches!(dataset, "customers" | "contacts") {
            return None;
        }
        let current = self.run.output.current().partition(&place.target)?;
        let entity = match (self.kind, dataset) {
            (VendorKind::YonyouU8, "contacts") => "contacts",
            _ => "customers",
        };
        let announced = self
            .report
            .entities
            .iter()
            .find(|e| e.entity == entity)
            .and_then(|e| e.vendor_total);
        let partition = place.target.relative_dir().display().to_string();
        unproven_shrink(
            &Replacement {
                partition: &partition,
                current_rows: current.snapshot.rows,
                new_rows: snapshot.rows(),
                announced,
            },
            &self.source.guard,
        )
    }

    /// How the source's records are mapped.
    fn map_context(&self) -> MapContext {
        MapContext {
            source: schema_kind(self.kind),
            tenant: self.source.name.clone(),
            run_id: self.run.run_id.clone(),
            extracted_at: self.run.started_at,
            timezone: match &self.source.vendor {
                VendorSettings::YonyouU8 { timezone, .. } => *timezone,
                VendorSettings::YeastarYcm { .. } => custlake_schema::DEFAULT_TIMEZONE,
            },
            include_raw: self.run.options.include_raw,
            default_region: self.source.default_region,
        }
    }
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

/// Closes every writer and collects its staged snapshot or its error message.
async fn finish_writers(writers: SourceWriters) -> Vec<Result<StagedPartition, String>> {
    let mut out = Vec::new();
    for writer in writers.into_values() {
        out.push(match close_writer(writer).await {
            Ok(result) => result.map_err(|e| e.to_string()),
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
