//! The paging plan of one entity: pages 1..=concurrency go out together (page 1 learns the size),
//! then the rest up to the announced end, all with a bounded number in flight.
//!
//! Pages are fetched with a bounded number in flight and handed on through a bounded channel,
//! so a slow writer slows the fetching instead of growing memory. When later pages announce
//! more pages than page 1 did (records added upstream), the extra pages are fetched too.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::{FutureExt, StreamExt};
use tokio::sync::mpsc;

use crate::budget::RequestBudget;
use crate::checkpoint::PageSet;
use crate::config::FetchSettings;
use crate::page_guard::RepeatedPageGuard;
use crate::progress::{EntityLabel, ProgressObserver};
use crate::retry::fetch_page_with_retries;
use crate::sources::{FetchError, FetchedPage, PageSource};

/// What fetching an entity observed.
#[derive(Debug, Default, Clone)]
pub struct FetchSummary {
    /// Pages fetched.
    pub pages: u64,
    /// Records received (before de-duplication).
    pub records: u64,
    /// The largest record total the vendor announced during the run.
    pub announced_records: u64,
    /// The largest page count the vendor announced during the run.
    pub announced_pages: u64,
    /// Retries made.
    pub retries: u64,
}

/// Why fetching an entity stopped.
#[derive(Debug, thiserror::Error)]
pub enum FetchFailure {
    /// A page failed for good (permanent error or retries exhausted).
    #[error("page {page}: {error}")]
    Page {
        /// The page number.
        page: u64,
        /// The last error.
        error: FetchError,
    },
    /// The vendor announced more pages than the configured limit.
    #[error(
        "the vendor announced {announced} pages, more than max_pages = {limit}; raise max_pages if this is real"
    )]
    TooManyPages {
        /// Pages announced.
        announced: u64,
        /// The configured limit.
        limit: u64,
    },
    /// The consumer of the pages went away (its own error is reported instead).
    #[error("the mapping stage stopped")]
    ConsumerGone,
    /// The vendor keeps answering with pages it already sent (see `page_guard`).
    #[error(
        "{repeats} pages were byte-for-byte copies of earlier pages (the latest: page {page}); \
         the vendor seems to ignore the page number, so paging would never end; check base_url \
         and the API version, or report it to the vendor"
    )]
    RepeatedPages {
        /// Pages that repeated an earlier one.
        repeats: u64,
        /// The last page that did.
        page: u64,
    },
}

/// Fetches every page of `source` into `pages`.
pub async fn fetch_entity(
    source: Arc<dyn PageSource>,
    settings: &FetchSettings,
    budget: Arc<RequestBudget>,
    pages: mpsc::Sender<FetchedPage>,
    progress: &dyn ProgressObserver,
    label: EntityLabel<'_>,
) -> Result<FetchSummary, FetchFailure> {
    let nothing_done = PageSet::default();
    fetch_entity_except(
        source,
        settings,
        budget,
        pages,
        progress,
        label,
        &nothing_done,
    )
    .await
}

/// Like [`fetch_entity`], but the pages in `done` (already safe in a resumed run's spool) are
/// neither fetched nor delivered. Page 1 is always fetched, to learn the current size.
pub async fn fetch_entity_except(
    source: Arc<dyn PageSource>,
    settings: &FetchSettings,
    budget: Arc<RequestBudget>,
    pages: mpsc::Sender<FetchedPage>,
    progress: &dyn ProgressObserver,
    label: EntityLabel<'_>,
    done: &PageSet,
) -> Result<FetchSummary, FetchFailure> {
    let retries = AtomicU64::new(0);
    let on_retry = || {
        retries.fetch_add(1, Ordering::Relaxed);
        progress.retried(label);
    };
    let fetch = |page: u64| {
        let source = source.clone();
        let budget = budget.clone();
        let on_retry = &on_retry;
        async move {
            fetch_page_with_retries(source.as_ref(), page, &budget, &settings.retry, on_retry)
                .await
                .map_err(|error| FetchFailure::Page { page, error })
        }
    };

    let mut summary = FetchSummary::default();
    let mut guard = RepeatedPageGuard::default();
    // The token call is a request too: it takes a slot of the budget, so the rate holds in
    // every window. A failure here surfaces again, classified, from page 1.
    budget.acquire().await;
    let _ = source.authenticate().await;

    // Page 1 tells how many pages there are, but waiting for it before asking for any other
    // page costs a whole round trip. So the first `concurrency` pages go out together, and
    // those that turn out to lie past the end are dropped unseen (vendors answer them with an
    // empty list or an error). That costs at most `concurrency - 1` requests on a small entity.
    let (numbers, queued_numbers) = futures::channel::mpsc::unbounded::<u64>();
    let mut plan = PagePlan {
        numbers,
        queued_up_to: 0,
        outstanding: 0,
        dropped: BTreeSet::new(),
    };
    plan.queue_through(settings.concurrency.max(1) as u64, done, true);
    let mut in_flight = queued_numbers
        .map(|page| fetch(page).map(move |result| (page, result)))
        .buffer_unordered(settings.concurrency.max(1));
    // Speculative pages that answer before page 1 wait here (at most `concurrency - 1`).
    let mut held = Vec::new();
    let mut first_seen = false;
    while plan.outstanding > 0 {
        let Some((page_number, result)) = in_flight.next().await else {
            break;
        };
        plan.outstanding -= 1;
        if !first_seen && page_number != 1 {
            held.push((page_number, result));
            continue;
        }
        if page_number == 1 {
            first_seen = true;
            let first = result?;
            summary.announced_pages = first.announced_pages;
            summary.announced_records = first.announced_records;
            check_page_limit(first.announced_pages, settings.max_pages)?;
            progress.entity_planned(label, first.announced_pages.max(1), first.announced_records);
            guard.check(&first)?;
            if !done.contains(1) {
                deliver(&pages, first, &mut summary, progress, label).await?;
            }
            plan.queue_through(summary.announced_pages, done, false);
            for (page_number, result) in std::mem::take(&mut held) {
                accept(
                    page_number,
                    result,
                    &mut plan,
                    &mut summary,
                    &mut guard,
                    settings,
                    done,
                    progress,
                    label,
                    &pages,
                )
                .await?;
            }
            continue;
        }
        accept(
            page_number,
            result,
            &mut plan,
            &mut summary,
            &mut guard,
            settings,
            done,
            progress,
            label,
            &pages,
        )
        .await?;
    }
    summary.retries = retries.load(Ordering::Relaxed);
    Ok(summary)
}

/// Which page numbers have been handed to the fetchers, and which speculative ones were dropped.
struct PagePlan {
    numbers: futures::channel::mpsc::UnboundedSender<u64>,
    /// Every page up to this one has been queued (or is already safe in the spool).
    queued_up_to: u64,
    /// Pages queued whose answer has not been handled yet.
    outstanding: u64,
    /// Speculative pages answered while they lay past the announced end; queued again if the
    /// vendor later announces more pages.
    dropped: BTreeSet<u64>,
}

impl PagePlan {
    /// Queues every page through `last` not queued yet (page 1 only when `include_first`).
    fn queue_through(&mut self, last: u64, done: &PageSet, include_first: bool) {
        let again: Vec<u64> = self.dropped.range(..=last).copied().collect();
        for page in again {
            self.dropped.remove(&page);
            self.send(page);
        }
        for page in self.queued_up_to + 1..=last {
            if (page == 1 && include_first) || (page > 1 && !done.contains(page)) {
                self.send(page);
            }
        }
        self.queued_up_to = self.queued_up_to.max(last);
    }

    fn send(&mut self, page: u64) {
        // The receiver lives as long as the plan's user; a send cannot fail while it runs.
        if self.numbers.unbounded_send(page).is_ok() {
            self.outstanding += 1;
        }
    }
}

/// Handles the answer for a page other than page 1.
#[allow(clippy::too_many_arguments)]
async fn accept(
    page_number: u64,
    result: Result<FetchedPage, FetchFailure>,
    plan: &mut PagePlan,
    summary: &mut FetchSummary,
    guard: &mut RepeatedPageGuard,
    settings: &FetchSettings,
    done: &PageSet,
    progress: &dyn ProgressObserver,
    label: EntityLabel<'_>,
    pages: &mpsc::Sender<FetchedPage>,
) -> Result<(), FetchFailure> {
    if page_number > summary.announced_pages {
        // A speculative page past the end: whatever came back is not part of the result.
        plan.dropped.insert(page_number);
        return Ok(());
    }
    let page = result?;
    if page.announced_pages > summary.announced_pages {
        check_page_limit(page.announced_pages, settings.max_pages)?;
        summary.announced_pages = page.announced_pages;
        progress.entity_replanned(label, page.announced_pages);
        plan.queue_through(page.announced_pages, done, false);
    }
    summary.announced_records = summary.announced_records.max(page.announced_records);
    guard.check(&page)?;
    deliver(pages, page, summary, progress, label).await
}

fn check_page_limit(announced: u64, limit: u64) -> Result<(), FetchFailure> {
    if announced > limit {
        Err(FetchFailure::TooManyPages { announced, limit })
    } else {
        Ok(())
    }
}

async fn deliver(
    pages: &mpsc::Sender<FetchedPage>,
    page: FetchedPage,
    summary: &mut FetchSummary,
    progress: &dyn ProgressObserver,
    label: EntityLabel<'_>,
) -> Result<(), FetchFailure> {
    let records = page.records.len() as u64;
    summary.pages += 1;
    summary.records += records;
    progress.page_fetched(label, records);
    pages
        .send(page)
        .await
        .map_err(|_| FetchFailure::ConsumerGone)
}
