//! The live, ordered record set of one tenant and entity: the original records plus drift and
//! the deletions and additions of change calls.
//!
//! The original records are positions `0..n`. Drift inserts records between them and deletes
//! records, which an [`Overlay`] records sparsely (one entry per touched position) with a
//! prefix index, so finding the record at a position costs O(log drift events) however large the
//! tenant is. Readers take an `Arc` snapshot; drift replaces it, so a page is always served from
//! one consistent view and no lock is held while records are written.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::data::ItemId;

/// Drift at one original position: records inserted before it, and whether it was deleted.
#[derive(Clone, Debug, Default)]
struct Group {
    /// Slot numbers of the records inserted before the original record, ascending.
    inserted: Vec<u16>,
    /// The original record itself was deleted.
    base_deleted: bool,
    /// Highest slot number ever used here, so a deleted record's code or id is never reused.
    last_slot: u16,
}

/// The original records `0..base` with drift applied.
#[derive(Clone, Debug)]
pub(crate) struct Overlay {
    base: u64,
    groups: BTreeMap<u64, Group>,
    /// (group position, live position of the group's first record), ascending.
    index: Vec<(u64, u64)>,
    len: u64,
}

impl Overlay {
    /// `base` original records, no drift.
    pub(crate) fn new(base: u64) -> Self {
        Self {
            base,
            groups: BTreeMap::new(),
            index: Vec::new(),
            len: base,
        }
    }

    /// Records currently served.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// The record at live position `p`.
    pub(crate) fn item_at(&self, p: u64) -> Option<ItemId> {
        if p >= self.len {
            return None;
        }
        let j = self.index.partition_point(|&(_, start)| start <= p);
        if j == 0 {
            return Some(ItemId::Base(p));
        }
        let (g, start) = self.index[j - 1];
        let group = self.groups.get(&g)?;
        let mut offset = p - start;
        if let Some(&slot) = group.inserted.get(offset as usize) {
            return Some(ItemId::Inserted { before: g, slot });
        }
        offset -= group.inserted.len() as u64;
        if self.has_base(g, group) {
            if offset == 0 {
                return Some(ItemId::Base(g));
            }
            offset -= 1;
        }
        Some(ItemId::Base(g + 1 + offset))
    }

    /// Whether `item` is currently served.
    pub(crate) fn contains(&self, item: ItemId) -> bool {
        match item {
            ItemId::Base(i) => i < self.base && self.groups.get(&i).is_none_or(|g| !g.base_deleted),
            ItemId::Inserted { before, slot } => self
                .groups
                .get(&before)
                .is_some_and(|g| g.inserted.binary_search(&slot).is_ok()),
        }
    }

    fn has_base(&self, g: u64, group: &Group) -> bool {
        g < self.base && !group.base_deleted
    }

    /// Inserts a new record just before the one at position `p` (or at the end when `p` is the
    /// length), trying the next positions when `max_slots` records already sit there.
    pub(crate) fn insert_at(&mut self, p: u64, max_slots: u16) -> Option<ItemId> {
        let first = match self.item_at(p) {
            Some(ItemId::Base(i)) => i,
            Some(ItemId::Inserted { before, .. }) => before,
            None => self.base,
        };
        for g in first..first + 16 {
            if g > self.base {
                return None;
            }
            let group = self.groups.entry(g).or_default();
            let slot = group.last_slot + 1;
            if slot <= max_slots {
                group.last_slot = slot;
                group.inserted.push(slot);
                self.rebuild();
                return Some(ItemId::Inserted { before: g, slot });
            }
        }
        None
    }

    /// Deletes the record at position `p`.
    pub(crate) fn delete_at(&mut self, p: u64) -> Option<ItemId> {
        let item = self.item_at(p)?;
        match item {
            ItemId::Base(i) => self.groups.entry(i).or_default().base_deleted = true,
            ItemId::Inserted { before, slot } => {
                // The emptied group stays: it remembers `last_slot`.
                if let Some(group) = self.groups.get_mut(&before) {
                    group.inserted.retain(|s| *s != slot);
                }
            }
        }
        self.rebuild();
        Some(item)
    }

    fn rebuild(&mut self) {
        self.index.clear();
        let mut shift: i64 = 0;
        for (&g, group) in &self.groups {
            let start = g as i64 + shift;
            self.index.push((g, start as u64));
            shift += group.inserted.len() as i64;
            if self.has_base(g, group) || g >= self.base {
                // The original record is still there (or there is none: the end group).
            } else {
                shift -= 1;
            }
        }
        self.len = (self.base as i64 + shift) as u64;
    }
}

/// One tenant's entity as served: the current overlay and the drift counter.
#[derive(Debug)]
pub(crate) struct Dataset {
    current: Mutex<Arc<Overlay>>,
    page_requests: AtomicU64,
    max_slots: u16,
}

impl Dataset {
    /// `base` original records; drift may insert up to `max_slots` records between two of them.
    pub(crate) fn new(base: u64, max_slots: u16) -> Self {
        Self {
            current: Mutex::new(Arc::new(Overlay::new(base))),
            page_requests: AtomicU64::new(0),
            max_slots,
        }
    }

    /// The records as they are now.
    pub(crate) fn snapshot(&self) -> Arc<Overlay> {
        match self.current.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Counts one page request and returns how many were served so far.
    pub(crate) fn count_page(&self) -> u64 {
        self.page_requests.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Drift and change calls may insert up to this many records between two original ones.
    pub(crate) fn max_slots(&self) -> u16 {
        self.max_slots
    }

    /// Applies `change` to a copy of the current records and publishes the copy, so readers
    /// see all of a change call's deletions and additions or none of them.
    pub(crate) fn modify<R>(&self, change: impl FnOnce(&mut Overlay) -> R) -> R {
        let mut guard = match self.current.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut next = Overlay::clone(&guard);
        let result = change(&mut next);
        *guard = Arc::new(next);
        result
    }

    /// Applies one drift event: inserts a record before position `p` or deletes the record at
    /// `p`. Returns the item inserted or deleted.
    pub(crate) fn drift(&self, p: u64, insert: bool) -> Option<ItemId> {
        let mut guard = match self.current.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut next = Overlay::clone(&guard);
        let changed = if insert || next.len() == 0 {
            next.insert_at(p.min(next.len()), self.max_slots)
        } else {
            next.delete_at(p.min(next.len() - 1))
        };
        if changed.is_some() {
            *guard = Arc::new(next);
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(o: &Overlay) -> Vec<ItemId> {
        (0..o.len()).filter_map(|p| o.item_at(p)).collect()
    }

    /// A plain Vec model of the same operations.
    fn model_check(ops: &[(bool, u64)]) {
        let mut o = Overlay::new(10);
        let mut model: Vec<ItemId> = (0..10).map(ItemId::Base).collect();
        for &(insert, p) in ops {
            if insert {
                let p = p % (model.len() as u64 + 1);
                if let Some(item) = o.insert_at(p, 3) {
                    // The model inserts where the overlay says the item now is.
                    let at = items(&o)
                        .iter()
                        .position(|x| *x == item)
                        .expect("inserted item is served");
                    model.insert(at, item);
                }
            } else if !model.is_empty() {
                let p = p % model.len() as u64;
                let removed = o.delete_at(p).expect("position exists");
                assert_eq!(model.remove(p as usize), removed);
            }
            assert_eq!(items(&o), model);
            assert_eq!(o.len(), model.len() as u64);
            for item in &model {
                assert!(o.contains(*item));
            }
        }
    }

    #[test]
    fn overlay_matches_a_vec_model() {
        model_check(&[
            (true, 0),
            (true, 3),
            (false, 3),
            (false, 0),
            (true, 11),
            (false, 9),
        ]);
        model_check(&[
            (false, 0),
            (false, 0),
            (true, 0),
            (true, 0),
            (true, 0),
            (true, 0),
        ]);
        let mut ops = Vec::new();
        let mut x = 12345u64;
        for _ in 0..300 {
            x = crate::hash::splitmix(x);
            ops.push((!x.is_multiple_of(3), x >> 8));
        }
        model_check(&ops);
    }

    #[test]
    fn inserted_before_position_shifts_the_rest() {
        let mut o = Overlay::new(5);
        let item = o.insert_at(2, 7).expect("inserted");
        assert_eq!(item, ItemId::Inserted { before: 2, slot: 1 });
        assert_eq!(o.item_at(2), Some(item));
        assert_eq!(o.item_at(3), Some(ItemId::Base(2)));
        assert_eq!(o.len(), 6);
        assert_eq!(o.delete_at(0), Some(ItemId::Base(0)));
        assert_eq!(o.item_at(0), Some(ItemId::Base(1)));
        assert!(!o.contains(ItemId::Base(0)));
    }
}
