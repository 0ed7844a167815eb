//! The paging plan of one entity: page 1 learns the size, pages 2..N go out concurrently.
//!
//! Pages are fetched with a bounded number in flight and handed on through a bounded channel,
//! so a slow writer slows the fetching instead of growing memory. When later pages announce
//! more pages than page 1 did (records added upstream), the extra pages are fetched too.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt;
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
    let first = fetch(1).await?;
    summary.announced_pages = first.announced_pages;
    summary.announced_records = first.announced_records;
    check_page_limit(first.announced_pages, settings.max_pages)?;
    progress.entity_planned(label, first.announced_pages.max(1), first.announced_records);
    guard.check(&first)?;
    if !done.contains(1) {
        deliver(&pages, first, &mut summary, progress, label).await?;
    }

    let mut next = 2;
    while next <= summary.announced_pages {
        let planned = summary.announced_pages;
        let mut in_flight = futures::stream::iter((next..=planned).filter(|p| !done.contains(*p)))
            .map(&fetch)
            .buffer_unordered(settings.concurrency);
        while let Some(page) = in_flight.next().await {
            let page = page?;
            if page.announced_pages > summary.announced_pages {
                check_page_limit(page.announced_pages, settings.max_pages)?;
                summary.announced_pages = page.announced_pages;
                progress.entity_replanned(label, page.announced_pages);
            }
            summary.announced_records = summary.announced_records.max(page.announced_records);
            guard.check(&page)?;
            deliver(&pages, page, &mut summary, progress, label).await?;
        }
        next = planned + 1;
    }
    summary.retries = retries.load(Ordering::Relaxed);
    Ok(summary)
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
