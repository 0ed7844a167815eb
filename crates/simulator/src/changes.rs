//! Revisions of records edited or added at the source between two exports, per tenant and
//! entity (which records a change call touches is `crate::change_request`'s job).
//!
//! A record is normally a pure function of its index. Editing one gives it a [`Revision`]: for
//! a U8 customer a row version (`timestamp`) above every version the tenant ever served, a
//! later `ModifyDate`, and a visibly different `memo`, exactly as an edit in U8 would bump the
//! SQL Server rowversion and the modification date; other entities show the edit in one
//! visible field (U8 contacts `favorite`, YCM `remark`). A record added by a change call gets a
//! revision with [`Revision::number`] 0: its own content, but a row version and `ModifyDate`
//! above everything served so far, so incremental filters find it. Revisions live in a small
//! map shared by the generator and the request handlers, so ground truth, `customer/get` and
//! `batch_get` all serve the edited record.

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
    /// How many times this record was edited (1 for the first edit; 0 for a record added by a
    /// change call and not edited since).
    pub(crate) number: u32,
    /// Its new row version (`timestamp`).
    pub(crate) version: i64,
    /// Its new modification time (`ModifyDate`).
    pub(crate) modified: DateTime,
}

/// The edits and additions applied to one tenant's entity so far.
#[derive(Debug, Default)]
pub(crate) struct ChangeLog {
    revisions: Mutex<Arc<HashMap<ItemId, Revision>>>,
    /// Revisions applied so far (edits and additions); also the sequence number of the latest.
    /// 0 means "none", which lets record generation skip the lock entirely in the common case.
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
        self.revise(items, |previous| previous.map_or(1, |r| r.number + 1));
    }

    /// Records `items` as added by a change call: each gets the next row version and
    /// modification time, and keeps its generated content (revision number 0).
    pub(crate) fn add(&self, items: &[ItemId]) {
        self.revise(items, |_| 0);
    }

    fn revise(&self, items: &[ItemId], number: impl Fn(Option<&Revision>) -> u32) {
        if items.is_empty() {
            return;
        }
        let mut guard = match self.revisions.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut next = HashMap::clone(&guard);
        let mut seq = self.edits.load(Ordering::Acquire);
        for &item in items {
            seq += 1;
            let number = number(next.get(&item));
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

/// The text an edited record carries in its edited field (U8 `memo`, U8 contact `favorite`,
/// YCM `remark`): which edit it is, so every edit changes the record's content.
pub(crate) fn edit_note(number: u32) -> String {
    format!("资料已更新（第{number}次）")
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

    #[test]
    fn added_records_get_number_zero_and_count_edits_from_there() {
        let log = ChangeLog::default();
        let added = ItemId::Inserted { before: 4, slot: 1 };
        log.edit(&[ItemId::Base(1)]);
        log.add(&[added]);
        let first = log.get(added).expect("added");
        assert_eq!(first.number, 0);
        assert!(first.version > log.get(ItemId::Base(1)).expect("edited").version);
        log.edit(&[added]);
        assert_eq!(log.get(added).expect("edited").number, 1);
        log.add(&[]);
        assert_eq!(log.generation(), 3);
    }
}
