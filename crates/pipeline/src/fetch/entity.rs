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

use crate::config::FetchSettings;
use crate::fetch::budget::RequestBudget;
use crate::fetch::page_guard::RepeatedPageGuard;
use crate::fetch::page_set::PageSet;
use crate::fetch::retry::fetch_page_with_retries;
use crate::progress::{EntityLabel, ProgressObserver};
use crate::sources::{FetchedPage, PageSource};

// Defined in `failure` (which `page_guard` imports too); kept nameable here for callers that
// import it from this module.
use crate::fetch::failure::FetchFailure;

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

/// Logs in once for a whole source, before any of its entities fetches: every entity's page
/// source shares one vendor client and its token, and the token call is a request too, so it
/// takes one slot of the source's budget and the rate holds in every window. A failure here
/// surfaces again, classified, from each entity's page 1.
pub async fn authenticate_source(sources: &[Arc<dyn PageSource>], budget: &RequestBudget) {
    if let Some(first) = sources.first() {
        budget.acquire().await;
        let _ = first.authenticate().await;
    }
}

/// How one entity is paged: its fetch settings, the pages it already has, and who hears about
/// its progress (under which label).
#[derive(Clone, Copy)]
pub struct EntityPaging<'a> {
    /// The source's fetch settings (concurrency, retries, page limit).
    pub settings: &'a FetchSettings,
    /// Pages already safe in a resumed run's spool: neither fetched nor delivered again.
    pub done: &'a PageSet,
    /// Told about planned, retried and fetched pages.
    pub progress: &'a dyn ProgressObserver,
    /// The entity as progress reports name it.
    pub label: EntityLabel<'a>,
}

/// Fetches every page of `source`'s entity into `pages`, except the pages in `paging.done`
/// (already safe in a resumed run's spool). Page 1 is always fetched, to learn the current
/// size.
pub async fn fetch_entity_except(
    source: Arc<dyn PageSource>,
    budget: Arc<RequestBudget>,
    pages: mpsc::Sender<FetchedPage>,
    paging: EntityPaging<'_>,
) -> Result<FetchSummary, FetchFailure> {
    let EntityPaging {
        settings,
        done,
        progress,
        label,
    } = paging;
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

    // Page 1 tells how many pages there are, but waiting for it before asking for any other
    // page costs a whole round trip. So the first `concurrency` pages go out together, and
    // those that turn out to lie past the end are dropped unseen (vendors answer them with an
    // empty list or an error). That costs at most `concurrency - 1` requests on a small entity.
    let (numbers, queued_numbers) = futures::channel::mpsc::unbounded::<u64>();
    let mut state = EntityFetch {
        plan: PagePlan {
            numbers,
            queued_up_to: 0,
            outstanding: 0,
            dropped: BTreeSet::new(),
        },
        summary: FetchSummary::default(),
        guard: RepeatedPageGuard::default(),
        held: Vec::new(),
        first_seen: false,
        settings,
        done,
        progress,
        label,
        pages: &pages,
    };
    state
        .plan
        .queue_through(settings.concurrency.max(1) as u64, done, true);
    let mut in_flight = queued_numbers
        .map(|page| fetch(page).map(move |result| (page, result)))
        .buffer_unordered(settings.concurrency.max(1));
    while state.plan.outstanding > 0 {
        let Some((page_number, result)) = in_flight.next().await else {
            break;
        };
        state.plan.outstanding -= 1;
        state.handle(page_number, result).await?;
    }
    let mut summary = state.summary;
    summary.retries = retries.load(Ordering::Relaxed);
    Ok(summary)
}

/// One entity's paging in progress: the plan, what was counted, and where pages go.
struct EntityFetch<'a> {
    plan: PagePlan,
    summary: FetchSummary,
    guard: RepeatedPageGuard,
    /// Speculative pages that answered before page 1 (at most `concurrency - 1`).
    held: Vec<(u64, Result<FetchedPage, FetchFailure>)>,
    first_seen: bool,
    settings: &'a FetchSettings,
    done: &'a PageSet,
    progress: &'a dyn ProgressObserver,
    label: EntityLabel<'a>,
    pages: &'a mpsc::Sender<FetchedPage>,
}

impl EntityFetch<'_> {
    /// Handles one page's answer, whatever order the answers come in.
    async fn handle(
        &mut self,
        page_number: u64,
        result: Result<FetchedPage, FetchFailure>,
    ) -> Result<(), FetchFailure> {
        if page_number == 1 {
            self.first_seen = true;
            self.accept_first(result?).await?;
            for (page_number, result) in std::mem::take(&mut self.held) {
                self.accept(page_number, result).await?;
            }
            Ok(())
        } else if self.first_seen {
            self.accept(page_number, result).await
        } else {
            self.held.push((page_number, result));
            Ok(())
        }
    }

    /// Page 1: learns the totals, plans the remaining pages and passes the page on.
    async fn accept_first(&mut self, first: FetchedPage) -> Result<(), FetchFailure> {
        self.summary.announced_pages = first.announced_pages;
        self.summary.announced_records = first.announced_records;
        check_page_limit(first.announced_pages, self.settings.max_pages)?;
        self.progress.entity_planned(
            self.label,
            first.announced_pages.max(1),
            first.announced_records,
        );
        self.guard.check(&first)?;
        if !self.done.contains(1) {
            self.deliver(first).await?;
        }
        self.plan
            .queue_through(self.summary.announced_pages, self.done, false);
        Ok(())
    }

    /// Handles the answer for a page other than page 1.
    async fn accept(
        &mut self,
        page_number: u64,
        result: Result<FetchedPage, FetchFailure>,
    ) -> Result<(), FetchFailure> {
        if page_number > self.summary.announced_pages {
            // A speculative page past the end: whatever came back is not part of the result.
            self.plan.dropped.insert(page_number);
            return Ok(());
        }
        let page = result?;
        if page.announced_pages > self.summary.announced_pages {
            check_page_limit(page.announced_pages, self.settings.max_pages)?;
            self.summary.announced_pages = page.announced_pages;
            self.progress
                .entity_replanned(self.label, page.announced_pages);
            self.plan
                .queue_through(page.announced_pages, self.done, false);
        }
        self.summary.announced_records = self.summary.announced_records.max(page.announced_records);
        self.guard.check(&page)?;
        self.deliver(page).await
    }

    /// Counts `page` and passes it to the next stage.
    async fn deliver(&mut self, page: FetchedPage) -> Result<(), FetchFailure> {
        let records = page.records.len() as u64;
        self.summary.pages += 1;
        self.summary.records += records;
        self.progress.page_fetched(self.label, records);
        self.pages
            .send(page)
            .await
            .map_err(|_| FetchFailure::ConsumerGone)
    }
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

fn check_page_limit(announced: u64, limit: u64) -> Result<(), FetchFailure> {
    if announced > limit {
        Err(FetchFailure::TooManyPages { announced, limit })
    } else {
        Ok(())
    }
}
