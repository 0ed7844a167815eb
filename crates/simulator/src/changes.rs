//! Records edited at the source between two exports: the "change N records" knob.
//!
//! A U8 customer is normally a pure function of its index. Editing one gives it a
//! [`Revision`]: a row version (`timestamp`) above every version the tenant ever served, a
//! later `ModifyDate`, and a visibly different `memo`, exactly as an edit in U8 would bump the
//! SQL Server rowversion and the modification date. Revisions live in a small map shared by
//! the generator and the request handlers, so ground truth, `customer/get` and `batch_get`
//! all serve the edited record.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::data::ItemId;
use crate::data::dates::DateTime;

/// Row versions of edited records start here: above every version an original record
/// (`1_000_000 + 8 i`) or a drift-inserted one (`… + 1000 · index`) can have for any tenant
/// size the simulator serves.
const EDITED_VERSION_BASE: i64 = 1 << 44;

/// One edit of one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Revision {
    /// How many times this record was edited (1 for the first edit).
    pub(crate) number: u32,
    /// Its new row version (`timestamp`).
    pub(crate) version: i64,
    /// Its new modification time (`ModifyDate`).
    pub(crate) modified: DateTime,
}

/// The edits applied to one tenant's records so far.
#[derive(Debug, Default)]
pub(crate) struct ChangeLog {
    revisions: Mutex<Arc<HashMap<ItemId, Revision>>>,
    /// Edits applied so far; also the sequence number of the latest edit. 0 means "none", which
    /// lets record generation skip the lock entirely in the common case.
    edits: AtomicU64,
    /// Calls of [`ChangeLog::edit`], so successive calls choose different records.
    rounds: AtomicU64,
}

impl ChangeLog {
    /// The latest revision of `item`, if it was ever edited.
    pub(crate) fn get(&self, item: ItemId) -> Option<Revision> {
        if self.edits.load(Ordering::Acquire) == 0 {
            return None;
        }
        self.current().get(&item).copied()
    }

    /// Edits applied so far; changes whenever any record is edited (cache key for filtered
    /// listings).
    pub(crate) fn generation(&self) -> u64 {
        self.edits.load(Ordering::Acquire)
    }

    /// The number of the next call of [`ChangeLog::edit`] (0 for the first), to vary the
    /// records chosen.
    pub(crate) fn next_round(&self) -> u64 {
        self.rounds.fetch_add(1, Ordering::Relaxed)
    }

    /// Edits `items` once each, in order: every edit gets the next row version and a later
    /// modification time than all earlier edits.
    pub(crate) fn edit(&self, items: &[ItemId]) {
        let mut guard = match self.revisions.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut next = HashMap::clone(&guard);
        let mut seq = self.edits.load(Ordering::Acquire);
        for &item in items {
            seq += 1;
            let number = next.get(&item).map_or(1, |r| r.number + 1);
            next.insert(item, revision(seq, number));
        }
        *guard = Arc::new(next);
        self.edits.store(seq, Ordering::Release);
    }

    fn current(&self) -> Arc<HashMap<ItemId, Revision>> {
        match self.revisions.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

/// The revision of the `seq`-th edit: versions rise by one per edit, modification times by a
/// minute, from 2025-06-01 on (later than every original or inserted record's).
fn revision(seq: u64, number: u32) -> Revision {
    let minutes = seq as i64;
    let day = DateTime::days_from_civil(2025, 6, 1) + minutes / 1440;
    Revision {
        number,
        version: EDITED_VERSION_BASE + seq as i64,
        modified: DateTime::from_days(day, ((minutes % 1440) * 60) as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_get_rising_versions_and_count_repeats() {
        let log = ChangeLog::default();
        assert_eq!(log.get(ItemId::Base(3)), None);
        log.edit(&[ItemId::Base(3), ItemId::Base(7)]);
        log.edit(&[ItemId::Base(3)]);
        let third = log.get(ItemId::Base(3)).expect("edited");
        let seventh = log.get(ItemId::Base(7)).expect("edited");
        assert_eq!(third.number, 2);
        assert_eq!(seventh.number, 1);
        assert!(third.version > seventh.version);
        assert!(third.modified.seconds_since_epoch() > seventh.modified.seconds_since_epoch());
        assert_eq!(log.generation(), 3);
    }
}
