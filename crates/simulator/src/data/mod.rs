//! Synthetic vendor records, generated lazily by index.
//!
//! A record is a pure function of (seed, tenant, item, messiness), written straight into a byte
//! buffer, so ten million records cost no memory and the same seed gives the same bytes on every
//! machine. [`ItemId`] names a record: one of the tenant's original records, or one inserted
//! later by page drift.

pub(crate) mod company;
pub(crate) mod dates;
pub(crate) mod json;
pub(crate) mod messy;
pub(crate) mod people;
pub(crate) mod phones;
pub(crate) mod u8;
pub(crate) mod words;
pub(crate) mod ycm;

/// Which record of a tenant's entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ItemId {
    /// The i-th record of the original set (0-based).
    Base(u64),
    /// A record inserted by drift just before original record `before` (or at the end when
    /// `before` equals the original count); `slot` orders several such records (from 1).
    Inserted {
        /// The original record it sits before.
        before: u64,
        /// Its number among the records inserted there, from 1.
        slot: u16,
    },
}

impl ItemId {
    /// Two numbers that identify the item, for keying its random streams.
    pub(crate) fn stream_parts(self) -> [u64; 2] {
        match self {
            ItemId::Base(i) => [i, 0],
            ItemId::Inserted { before, slot } => [before, u64::from(slot)],
        }
    }

    /// A sort key giving the server's order: records inserted before original record `i` come
    /// before it, in slot order (used to report changed records in the order pages serve them).
    pub(crate) fn server_order(self) -> (u64, u32) {
        match self {
            ItemId::Base(i) => (i, u32::MAX),
            ItemId::Inserted { before, slot } => (before, u32::from(slot)),
        }
    }
}

/// A code of the form U8 uses (`00000017`), ordered like the items: an inserted item's code
/// extends the code of the original record before it (`00000017-001`), so sorting by code keeps
/// the server's order.
pub(crate) fn item_code(item: ItemId) -> String {
    match item {
        ItemId::Base(i) => format!("{:08}", i + 1),
        ItemId::Inserted { before, slot } => format!("{before:08}-{slot:03}"),
    }
}

/// The item a code names, when it is one [`item_code`] produces.
pub(crate) fn parse_item_code(code: &str) -> Option<ItemId> {
    let (number, slot) = match code.split_once('-') {
        Some((number, slot)) => (number, Some(slot)),
        None => (code, None),
    };
    if number.len() < 8 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = number.parse().ok()?;
    let item = match slot {
        None => ItemId::Base(n.checked_sub(1)?),
        Some(slot) => {
            if slot.len() != 3 || !slot.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let slot: u16 = slot.parse().ok()?;
            if slot == 0 {
                return None;
            }
            ItemId::Inserted { before: n, slot }
        }
    };
    (item_code(item) == code).then_some(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_sort_like_items() {
        let items = [
            ItemId::Inserted { before: 0, slot: 1 },
            ItemId::Base(0),
            ItemId::Inserted { before: 1, slot: 1 },
            ItemId::Inserted {
                before: 1,
                slot: 12,
            },
            ItemId::Base(1),
        ];
        let codes: Vec<String> = items.iter().map(|i| item_code(*i)).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        assert_eq!(codes, sorted);
        for (item, code) in items.iter().zip(&codes) {
            assert_eq!(parse_item_code(code), Some(*item));
        }
        for bad in [
            "",
            "17",
            "0000001x",
            "00000000",
            "00000001-1",
            "00000001-000",
            "000000001",
        ] {
            assert_eq!(parse_item_code(bad), None, "{bad}");
        }
    }
}
