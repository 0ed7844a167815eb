//! One entity's run inside a source: a fetch task (async), with a resumed run's spool stage in
//! front of it, and a mapping thread, joined by bounded channels; the result is the entity's
//! report and warnings for the run manifest.

use std::collections::BTreeMap;
use std::sync::Arc;

use custlake_schema::MapContext;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::commit::manifest::EntityReport;
use crate::config::ValidatedSource;
use crate::fetch::budget::RequestBudget;
use crate::fetch::entity::{EntityPaging, FetchSummary};
use crate::fetch::page_set::PageSet;
use crate::fetch::{FetchFailure, fetch_entity_except};
use crate::map::mapper::{DatasetSenders, MapSummary, WriterGone, run_mapper};
use crate::model::VendorKind;
use crate::progress::{EntityLabel, ProgressObserver};
use crate::resume::spool::SpoolError;
use crate::resume::{EntitySpool, Replayed};
use crate::run::guard::under_delivery;
use crate::sources::{FetchedPage, PageSource};

/// An entity's report and warnings, or its report and error.
pub(crate) type EntityResult = Result<(EntityReport, Vec<String>), (EntityReport, String)>;

/// What every entity run of one source shares: the source, its request budget, how records
/// are mapped, where mapped batches go, and who hears about progress.
#[derive(Clone)]
pub(crate) struct EntityRun<'a> {
    pub(crate) source: &'a ValidatedSource,
    pub(crate) kind: VendorKind,
    pub(crate) budget: Arc<RequestBudget>,
    pub(crate) ctx: MapContext,
    pub(crate) senders: DatasetSenders,
    pub(crate) progress: &'a dyn ProgressObserver,
}

/// What fetching and mapping one entity counted.
struct EntityCounts {
    fetch: FetchSummary,
    map: MapSummary,
    replayed: Replayed,
}

/// Where fetched pages go: straight to the mapping stage, or through a spool stage first.
struct PageRoute {
    pages: mpsc::Sender<FetchedPage>,
    done: PageSet,
    replayed: Replayed,
    spooler: Option<JoinHandle<Result<(), SpoolError>>>,
}

impl EntityRun<'_> {
    /// Fetches and maps `page_source`'s entity; returns its report and warnings, or its report
    /// and error. With a `spool`, saved pages are replayed first and every fetched page is saved.
    pub(crate) async fn run(
        self,
        page_source: Arc<dyn PageSource>,
        spool: Option<EntitySpool>,
    ) -> EntityResult {
        let entity = page_source.entity();
        let label = EntityLabel {
            tenant: &self.source.name,
            source: self.kind.as_str(),
            entity: entity.as_str(),
        };
        let progress = self.progress;
        let where_ = format!(
            "{} {} {}",
            self.kind.as_str(),
            self.source.name,
            entity.as_str()
        );
        let mut report = EntityReport {
            entity: entity.as_str().to_owned(),
            ..Default::default()
        };
        let guard = self.source.guard;
        match self.fetch_and_map(page_source, spool, label).await {
            Ok(counts) => {
                fill_report(&mut report, &counts);
                if let Some(error) = under_delivery(&report, &guard) {
                    progress.entity_finished(label, Some(&error));
                    return Err((report, error));
                }
                let warnings = warnings(&where_, &report, &counts);
                progress.entity_finished(label, None);
                Ok((report, warnings))
            }
            Err(e) => {
                let error = format!("{}: {e}", entity.as_str());
                progress.entity_finished(label, Some(&error));
                Err((report, error))
            }
        }
    }

    /// Runs the stages to their end; the error says why the entity failed.
    async fn fetch_and_map(
        self,
        page_source: Arc<dyn PageSource>,
        spool: Option<EntitySpool>,
        label: EntityLabel<'_>,
    ) -> Result<EntityCounts, String> {
        // Pages in flight already buffer up to `concurrency` pages; the queue only smooths hand-over.
        let (pages_tx, pages_rx) = mpsc::channel(1);
        let (ctx, senders) = (self.ctx, self.senders);
        let mapper = tokio::task::spawn_blocking(move || run_mapper(ctx, pages_rx, senders));
        let route = match route_pages(pages_tx, spool).await {
            Ok(route) => route,
            Err(e) => {
                let _ = mapper.await;
                return Err(e.to_string());
            }
        };
        if route.replayed.pages > 0 {
            let replayed = route.replayed;
            self.progress
                .pages_replayed(label, replayed.pages, replayed.records);
        }
        let paging = EntityPaging {
            settings: &self.source.fetch,
            done: &route.done,
            progress: self.progress,
            label,
        };
        let fetched = fetch_entity_except(page_source, self.budget, route.pages, paging).await;
        let spooled = match route.spooler {
            Some(stage) => stage.await,
            None => Ok(Ok(())),
        };
        let mapped = mapper.await;
        // The spool's own failure (disk full, ...) explains a stopped fetch better than the fetch.
        match spooled {
            Ok(Ok(())) | Ok(Err(SpoolError::ConsumerGone)) => {}
            Ok(Err(e)) => return Err(e.to_string()),
            Err(join_error) => {
                return Err(format!("the spool thread ended abnormally: {join_error}"));
            }
        }
        let (fetch, map) = stages_outcome(fetched, mapped)?;
        Ok(EntityCounts {
            fetch,
            map,
            replayed: route.replayed,
        })
    }
}

/// Starts the spool stage in front of the mapping stage when there is a spool.
async fn route_pages(
    pages: mpsc::Sender<FetchedPage>,
    spool: Option<EntitySpool>,
) -> Result<PageRoute, SpoolError> {
    Ok(match spool {
        None => PageRoute {
            pages,
            done: PageSet::default(),
            replayed: Replayed::default(),
            spooler: None,
        },
        Some(spool) => {
            let stage = spool.start(pages, 1).await?;
            PageRoute {
                pages: stage.pages,
                done: stage.done,
                replayed: stage.replayed,
                spooler: Some(stage.finished),
            }
        }
    })
}

/// The fetch's and the mapping's summaries, or why the entity failed.
fn stages_outcome(
    fetched: Result<FetchSummary, FetchFailure>,
    mapped: Result<Result<MapSummary, WriterGone>, tokio::task::JoinError>,
) -> Result<(FetchSummary, MapSummary), String> {
    match (fetched, mapped) {
        (Ok(fetch), Ok(Ok(map))) => Ok((fetch, map)),
        (Err(FetchFailure::ConsumerGone), _) | (_, Ok(Err(_))) => {
            Err("writing the dataset failed (see the writer error)".to_owned())
        }
        (Err(e), _) => Err(e.to_string()),
        (_, Err(join_error)) => Err(format!("the mapping thread ended abnormally: {join_error}")),
    }
}

/// What a person should look at although the entity succeeded (`where_` names it).
fn warnings(where_: &str, report: &EntityReport, counts: &EntityCounts) -> Vec<String> {
    let mut warnings = Vec::new();
    if counts.map.duplicates > 0 {
        warnings.push(format!(
            "{where_}: {} duplicate records were dropped (the same key on several pages; records moved between pages while paging)",
            counts.map.duplicates
        ));
    }
    if let Some(missing) = report.missing.filter(|m| *m > 0) {
        warnings.push(format!(
            "{where_}: the vendor announced {} records but {} unique arrived ({missing} missing; records were deleted or moved while paging — rerun to pick them up)",
            counts.fetch.announced_records,
            report.unique_records()
        ));
    }
    warnings
}

/// Fills an entity's report from what its stages counted.
fn fill_report(report: &mut EntityReport, counts: &EntityCounts) {
    let EntityCounts {
        fetch,
        map,
        replayed,
    } = counts;
    report.pages_fetched = fetch.pages;
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
}
