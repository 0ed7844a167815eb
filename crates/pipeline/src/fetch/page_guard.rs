//! Guards the paging loop against a vendor that keeps sending the same page.
//!
//! A server that ignores the page number answers every request with page 1, and one that
//! announces an absurd total (within `max_pages`) would then keep the run busy for hours while
//! every record is dropped as a duplicate. Two honest pages are never byte-for-byte identical
//! (every record has its own key), so a few identical non-empty pages are proof enough: the
//! guard stops the entity with an error naming the problem. It keeps an 8-byte hash per page.

use std::collections::HashSet;

use xxhash_rust::xxh3::Xxh3;

use crate::fetch::failure::FetchFailure;
use crate::sources::FetchedPage;
use crate::sources::raw_texts;

/// Identical pages tolerated before the entity is stopped. Above 1 because records that move
/// between pages while paging can, with tiny page sizes, make two pages look alike once.
pub const REPEATED_PAGES_LIMIT: u64 = 8;

/// Remembers the content hash of every non-empty page of one entity.
#[derive(Debug, Default)]
pub struct RepeatedPageGuard {
    seen: HashSet<u64>,
    repeats: u64,
}

impl RepeatedPageGuard {
    /// Records `page`; fails once more than [`REPEATED_PAGES_LIMIT`] pages repeated earlier
    /// ones.
    pub fn check(&mut self, page: &FetchedPage) -> Result<(), FetchFailure> {
        let texts = raw_texts(&page.records);
        if texts.is_empty() {
            return Ok(());
        }
        let mut hash = Xxh3::new();
        for text in texts {
            hash.update(text.as_bytes());
            // A separator byte that JSON text never contains keeps record boundaries apart.
            hash.update(&[0xff]);
        }
        if self.seen.insert(hash.digest()) {
            return Ok(());
        }
        self.repeats += 1;
        if self.repeats > REPEATED_PAGES_LIMIT {
            return Err(FetchFailure::RepeatedPages {
                repeats: self.repeats,
                page: page.page,
            });
        }
        Ok(())
    }
}
