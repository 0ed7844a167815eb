//! The change journal: every change call's sequence number and the records it inserted,
//! updated and deleted, so tests can ask "what changed between two points" and compare an
//! export's own account of its inserts, updates and deletes against the answer.
//!
//! Sequence numbers are global across tenants and entities, start at 1 and rise by one per
//! call; 0 means "before any change". A record's net change after a point folds its events:
//! added then edited is inserted, edited then deleted is deleted, added then deleted is
//! nothing. Keys are written as a client reads them (U8 `code`, YCM `customerId` in decimal),
//! whether or not messiness left the key out of the record. Page drift (a fault, not a source
//! change) is not journalled.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data::{ItemId, item_code, ycm};
use crate::ground_truth::Entity;

/// What one change call does to one tenant's entity: how many served records to edit and to
/// delete, and how many new records to add (see [`crate::SimHandle::change`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRequest {
    /// Records to edit (capped at the records served).
    pub update: u64,
    /// Records to delete, distinct from the edited ones (capped at what remains).
    pub delete: u64,
    /// New records to add, each with a key never used before.
    pub add: u64,
}

/// The records of one tenant's entity that changed, by key, each list in server order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntityChanges {
    /// The U8 tenant or YCM client name.
    pub tenant: String,
    /// Which entity.
    pub entity: Entity,
    /// Keys of records that are new.
    pub inserted: Vec<String>,
    /// Keys of records that existed before and were edited.
    pub updated: Vec<String>,
    /// Keys of records that existed before and are gone.
    pub deleted: Vec<String>,
}

impl EntityChanges {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.inserted.is_empty() && self.updated.is_empty() && self.deleted.is_empty()
    }
}

/// What one change call did: its sequence number and the records it changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChangeOutcome {
    /// The call's sequence number (see [`crate::SimHandle::changes_since`]).
    pub seq: u64,
    /// The records it inserted, updated and deleted.
    #[serde(flatten)]
    pub changes: EntityChanges,
}

/// The net changes after one sequence number, per tenant and entity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChangeSet {
    /// The sequence number asked about: changes with a higher number are included.
    pub since: u64,
    /// The latest sequence number (pass it as `since` next time).
    pub latest: u64,
    /// One entry per tenant and entity with a net change, ordered by tenant then entity.
    pub entities: Vec<EntityChanges>,
}

impl ChangeSet {
    /// The net change of `tenant`'s `entity`, if it has one.
    pub fn get(&self, tenant: &str, entity: Entity) -> Option<&EntityChanges> {
        self.entities
            .iter()
            .find(|e| e.tenant == tenant && e.entity == entity)
    }
}

/// The records one change call touched, each list in server order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct AppliedChange {
    pub(crate) inserted: Vec<ItemId>,
    pub(crate) updated: Vec<ItemId>,
    pub(crate) deleted: Vec<ItemId>,
}

#[derive(Debug)]
struct Entry {
    tenant: String,
    entity: Entity,
    change: AppliedChange,
}

/// Every change call so far, in order (entry `i` has sequence number `i + 1`).
#[derive(Debug, Default)]
pub(crate) struct ChangeJournal {
    entries: Vec<Entry>,
}

/// A record's net change over a span of calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Net {
    Inserted,
    Updated,
    Deleted,
}

type NetChanges = BTreeMap<(u64, u32), (ItemId, Net)>;

impl ChangeJournal {
    /// The latest sequence number (0 before any change).
    pub(crate) fn latest(&self) -> u64 {
        self.entries.len() as u64
    }

    /// Records one call and returns what it did, numbered.
    pub(crate) fn record(
        &mut self,
        tenant: &str,
        entity: Entity,
        change: AppliedChange,
    ) -> ChangeOutcome {
        let mut net = NetChanges::new();
        fold(&mut net, &change);
        self.entries.push(Entry {
            tenant: tenant.to_owned(),
            entity,
            change,
        });
        ChangeOutcome {
            seq: self.latest(),
            changes: entity_changes(tenant, entity, &net),
        }
    }

    /// The net changes of the calls numbered above `since`.
    pub(crate) fn since(&self, since: u64) -> ChangeSet {
        let skip = usize::try_from(since).unwrap_or(usize::MAX);
        let mut sets: BTreeMap<(&str, Entity), NetChanges> = BTreeMap::new();
        for entry in self.entries.iter().skip(skip) {
            let net = sets.entry((&entry.tenant, entry.entity)).or_default();
            fold(net, &entry.change);
        }
        ChangeSet {
            since,
            latest: self.latest(),
            entities: sets
                .into_iter()
                .map(|((tenant, entity), net)| entity_changes(tenant, entity, &net))
                .filter(|changes| !changes.is_empty())
                .collect(),
        }
    }
}

/// Folds one call into `net`. Within a call the edited and deleted records are distinct and
/// the added ones new, so the order edits, deletions, additions is the order they happened.
fn fold(net: &mut NetChanges, change: &AppliedChange) {
    for &item in &change.updated {
        // An inserted record edited later stays inserted.
        net.entry(item.server_order())
            .or_insert((item, Net::Updated));
    }
    for &item in &change.deleted {
        let at = item.server_order();
        match net.get(&at) {
            Some((_, Net::Inserted)) => {
                net.remove(&at);
            }
            _ => {
                net.insert(at, (item, Net::Deleted));
            }
        }
    }
    for &item in &change.inserted {
        net.insert(item.server_order(), (item, Net::Inserted));
    }
}

fn entity_changes(tenant: &str, entity: Entity, net: &NetChanges) -> EntityChanges {
    let mut changes = EntityChanges {
        tenant: tenant.to_owned(),
        entity,
        inserted: Vec::new(),
        updated: Vec::new(),
        deleted: Vec::new(),
    };
    for &(item, state) in net.values() {
        let list = match state {
            Net::Inserted => &mut changes.inserted,
            Net::Updated => &mut changes.updated,
            Net::Deleted => &mut changes.deleted,
        };
        list.push(key_of(entity, item));
    }
    changes
}

/// The key of `item` as a client reads it.
pub(crate) fn key_of(entity: Entity, item: ItemId) -> String {
    match entity {
        Entity::U8Customers | Entity::U8Contacts => item_code(item),
        Entity::YcmCustomers => ycm::customer_id(item).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inserted(before: u64, slot: u16) -> ItemId {
        ItemId::Inserted { before, slot }
    }

    fn call(inserted: &[ItemId], updated: &[ItemId], deleted: &[ItemId]) -> AppliedChange {
        AppliedChange {
            inserted: inserted.to_vec(),
            updated: updated.to_vec(),
            deleted: deleted.to_vec(),
        }
    }

    #[test]
    fn net_changes_fold_inserts_edits_and_deletes() {
        let mut journal = ChangeJournal::default();
        let (a, b, c) = (inserted(3, 1), inserted(5, 1), inserted(7, 1));
        let first = journal.record(
            "t",
            Entity::U8Customers,
            call(&[a, b, c], &[ItemId::Base(1)], &[ItemId::Base(2)]),
        );
        assert_eq!(first.seq, 1);
        assert_eq!(
            first.changes.inserted,
            ["00000003-001", "00000005-001", "00000007-001"]
        );
        // Added then edited: inserted. Edited then deleted: deleted. Added then deleted: nothing.
        journal.record(
            "t",
            Entity::U8Customers,
            call(&[], &[a, ItemId::Base(4)], &[]),
        );
        journal.record(
            "t",
            Entity::U8Customers,
            call(&[], &[], &[b, ItemId::Base(4)]),
        );
        let all = journal.since(0);
        assert_eq!(all.latest, 3);
        let t = all.get("t", Entity::U8Customers).expect("changes");
        assert_eq!(t.inserted, ["00000003-001", "00000007-001"]);
        assert_eq!(t.updated, ["00000002"]);
        assert_eq!(t.deleted, ["00000003", "00000005"]);

        let later = journal.since(1);
        let t = later.get("t", Entity::U8Customers).expect("changes");
        assert!(t.inserted.is_empty());
        assert_eq!(t.updated, ["00000003-001"]);
        assert_eq!(t.deleted, ["00000005", "00000005-001"]);
        assert_eq!(journal.since(3).entities, []);
        assert_eq!(journal.since(99).latest, 3);
    }

    #[test]
    fn entities_are_kept_apart_and_ycm_keys_are_ids() {
        let mut journal = ChangeJournal::default();
        journal.record(
            "y",
            Entity::YcmCustomers,
            call(&[], &[ItemId::Base(0)], &[]),
        );
        journal.record("t", Entity::U8Contacts, call(&[], &[], &[ItemId::Base(0)]));
        let all = journal.since(0);
        assert_eq!(all.entities.len(), 2);
        assert_eq!(all.entities[0].tenant, "t");
        let y = all.get("y", Entity::YcmCustomers).expect("ycm");
        assert_eq!(y.updated, [ycm::FIRST_ID.to_string()]);
    }
}
