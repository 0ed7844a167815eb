//! Why fetching an entity stopped: the one error the paging plan ([`super::entity`]) and the
//! repeated-page guard ([`super::page_guard`]) both return.

use crate::sources::FetchError;

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
