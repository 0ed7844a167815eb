//! Applying one change call to one tenant's entity: which served records to edit and delete,
//! and where to add new ones.
//!
//! Records are drawn from (seed, tenant, entity, round), the round counting this entity's
//! change calls, so the same sequence of calls changes the same records on every machine.
//! Deletions and additions go through the entity's [`Dataset`] as one published step, exactly
//! as page drift does: a deleted record leaves every listing (pages stay full, counts shrink),
//! an added one takes a slot between two records whose key was never used before (the slot
//! numbers of a position only grow). Additions and edits get revisions ([`ChangeLog`]), so a U8
//! customer added or edited carries a row version and `ModifyDate` above everything served.

use std::collections::BTreeSet;

use crate::changes::ChangeLog;
use crate::data::ItemId;
use crate::dataset::{Dataset, Overlay};
use crate::hash::key;
use crate::journal::{AppliedChange, ChangeRequest};

/// Separates the draws of added records' positions from those of edited and deleted records.
const ADD_STREAM: u64 = 0x00ad_d000;

/// One tenant's entity as a change call sees it.
pub(crate) struct ChangeTarget<'a> {
    /// The served records.
    pub(crate) dataset: &'a Dataset,
    /// Their revisions.
    pub(crate) revisions: &'a ChangeLog,
    /// Hash of the tenant and entity, so each draws its own records.
    pub(crate) salt: u64,
}

impl ChangeTarget<'_> {
    /// Edits, then deletes, then adds records as `request` asks; returns what it touched.
    /// Edited and deleted records are distinct; fewer are added only when every slot near the
    /// drawn position is taken.
    pub(crate) fn apply(&self, seed: u64, request: ChangeRequest) -> AppliedChange {
        let round = self.revisions.next_round();
        let max_slots = self.dataset.max_slots();
        self.dataset.modify(|overlay| {
            let len = overlay.len();
            let update = request.update.min(len);
            let delete = request.delete.min(len - update);
            let mut draws = (0u64..).map(|k| key(seed, &[self.salt, round, k]));
            let edited = distinct_positions(&mut draws, len, update, &BTreeSet::new());
            let doomed = distinct_positions(&mut draws, len, delete, &edited);
            let updated: Vec<ItemId> = edited.iter().filter_map(|&p| overlay.item_at(p)).collect();
            self.revisions.edit(&updated);
            // From the last position down, so the positions still to delete do not move.
            let mut deleted: Vec<ItemId> = doomed
                .iter()
                .rev()
                .filter_map(|&p| overlay.delete_at(p))
                .collect();
            deleted.reverse();
            let inserted = add(overlay, request.add, max_slots, |j| {
                key(seed, &[self.salt, round, ADD_STREAM, j])
            });
            self.revisions.add(&inserted);
            AppliedChange {
                inserted,
                updated,
                deleted,
            }
        })
    }
}

/// `count` distinct positions below `len` not in `taken`, from `draws` (`count` must not
/// exceed the free positions).
fn distinct_positions(
    draws: &mut impl Iterator<Item = u64>,
    len: u64,
    count: u64,
    taken: &BTreeSet<u64>,
) -> BTreeSet<u64> {
    let mut positions = BTreeSet::new();
    while (positions.len() as u64) < count {
        let Some(draw) = draws.next() else {
            break;
        };
        let p = draw % len;
        if !taken.contains(&p) {
            positions.insert(p);
        }
    }
    positions
}

/// Adds `count` records at positions drawn by `draw(j)`; returns them in server order.
fn add(
    overlay: &mut Overlay,
    count: u64,
    max_slots: u16,
    draw: impl Fn(u64) -> u64,
) -> Vec<ItemId> {
    let mut inserted: Vec<ItemId> = (0..count)
        .filter_map(|j| {
            let p = draw(j) % (overlay.len() + 1);
            overlay.insert_at(p, max_slots)
        })
        .collect();
    inserted.sort_by_key(|item| item.server_order());
    inserted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(dataset: &Dataset) -> Vec<ItemId> {
        let o = dataset.snapshot();
        (0..o.len()).filter_map(|p| o.item_at(p)).collect()
    }

    #[test]
    fn edits_deletes_and_adds_are_distinct_and_deterministic() {
        let run = || {
            let dataset = Dataset::new(50, 7);
            let revisions = ChangeLog::default();
            let target = ChangeTarget {
                dataset: &dataset,
                revisions: &revisions,
                salt: 9,
            };
            let request = ChangeRequest {
                update: 5,
                delete: 6,
                add: 4,
            };
            let first = target.apply(1, request);
            let second = target.apply(1, request);
            (first, second, served(&dataset))
        };
        let (first, second, items) = run();
        assert_eq!(run(), (first.clone(), second.clone(), items.clone()));
        assert_eq!(items.len(), 50 - 12 + 8);
        for change in [&first, &second] {
            assert_eq!(
                (
                    change.updated.len(),
                    change.deleted.len(),
                    change.inserted.len()
                ),
                (5, 6, 4)
            );
            assert!(change.updated.iter().all(|u| !change.deleted.contains(u)));
        }
        for item in first.deleted.iter().chain(&second.deleted) {
            assert!(!items.contains(item));
        }
        for item in second.inserted.iter().chain(&second.updated) {
            assert!(items.contains(item));
        }
        assert_ne!(
            first.updated, second.updated,
            "rounds draw different records"
        );
    }

    #[test]
    fn requests_are_capped_at_what_is_served() {
        let dataset = Dataset::new(3, 7);
        let revisions = ChangeLog::default();
        let target = ChangeTarget {
            dataset: &dataset,
            revisions: &revisions,
            salt: 1,
        };
        let change = target.apply(
            1,
            ChangeRequest {
                update: 2,
                delete: 9,
                add: 0,
            },
        );
        assert_eq!((change.updated.len(), change.deleted.len()), (2, 1));
        assert_eq!(served(&dataset).len(), 2);
    }
}
