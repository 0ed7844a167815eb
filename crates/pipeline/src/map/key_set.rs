//! A set of 64-bit key hashes at about 9 bytes per key, for de-duplication over millions of records.
//!
//! The mapping stage remembers every record key it has passed on ([`crate::map::record_keys`]); keys
//! that are not dense numbered codes are kept here as hashes, so this set is the part of an
//! export's memory that can grow with the number of records. `std`'s `HashSet<u64>`
//! needs a power-of-two table with a control byte per slot (about 19 bytes per key at a million
//! keys); this table is a plain `Vec<u64>` sized to the expected count at 7/8 load, with linear
//! probing. The hashes are xxh3 output, uniformly spread, so the slot is the hash scaled to the
//! table length (no second hash) and probe runs stay short.

/// Slots per key at most: the table grows when it would become fuller than 7/8.
const LOAD_NUMERATOR: usize = 7;
const LOAD_DENOMINATOR: usize = 8;

/// Table length when nothing was reserved before the first insert.
const MIN_SLOTS: usize = 1024;

/// An insert-only set of `u64` hashes.
#[derive(Debug, Default)]
pub struct KeyHashSet {
    /// `0` marks an empty slot; the hash `0` itself is tracked by `holds_zero`.
    slots: Vec<u64>,
    /// Non-zero hashes stored in `slots`.
    stored: usize,
    holds_zero: bool,
}

impl KeyHashSet {
    /// An empty set with room for `keys` keys before it grows.
    #[cfg(test)]
    pub fn with_capacity(keys: usize) -> Self {
        let mut set = Self::default();
        set.reserve(keys);
        set
    }

    /// Makes room for `keys` keys in all (not additional ones) before the next growth.
    pub fn reserve(&mut self, keys: usize) {
        let wanted = slots_for(keys);
        if wanted > self.slots.len() {
            self.rebuild(wanted);
        }
    }

    /// Keys in the set.
    pub fn len(&self) -> usize {
        self.stored + usize::from(self.holds_zero)
    }

    /// Keys the set holds before it grows (0 before the first reserve or insert).
    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        self.slots.len() * LOAD_NUMERATOR / LOAD_DENOMINATOR
    }

    /// Adds `hash`; true when it was not in the set yet.
    pub fn insert(&mut self, hash: u64) -> bool {
        if hash == 0 {
            return !std::mem::replace(&mut self.holds_zero, true);
        }
        if (self.stored + 1) * LOAD_DENOMINATOR > self.slots.len() * LOAD_NUMERATOR {
            self.rebuild(slots_for(self.stored + 1).max(self.slots.len() * 2));
        }
        let inserted = place(&mut self.slots, hash);
        self.stored += usize::from(inserted);
        inserted
    }

    /// Moves every hash into a table of `len` slots.
    fn rebuild(&mut self, len: usize) {
        let mut slots = vec![0u64; len];
        for &hash in self.slots.iter().filter(|&&h| h != 0) {
            place(&mut slots, hash);
        }
        self.slots = slots;
    }
}

/// Table length for `keys` keys at the maximum load.
fn slots_for(keys: usize) -> usize {
    (keys.saturating_mul(LOAD_DENOMINATOR) / LOAD_NUMERATOR + 1).max(MIN_SLOTS)
}

/// Puts a non-zero `hash` into `slots` (which has a free slot); true when it was not there.
fn place(slots: &mut [u64], hash: u64) -> bool {
    let len = slots.len();
    // Scaling instead of `hash % len`: uniform for uniform hashes, and no division.
    let mut at = ((u128::from(hash) * len as u128) >> 64) as usize;
    loop {
        match slots[at] {
            0 => {
                slots[at] = hash;
                return true;
            }
            existing if existing == hash => return false,
            _ => at = if at + 1 == len { 0 } else { at + 1 },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn zero_and_max_are_ordinary_keys() {
        let mut set = KeyHashSet::default();
        assert!(set.insert(0));
        assert!(!set.insert(0));
        assert!(set.insert(u64::MAX));
        assert!(!set.insert(u64::MAX));
        assert_eq!(set.len(), 2);
    }

    #[test]
    fn grows_past_the_reserved_size_without_losing_keys() {
        let mut set = KeyHashSet::with_capacity(10);
        let keys: Vec<u64> = (1..=50_000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        for &k in &keys {
            assert!(set.insert(k));
        }
        for &k in &keys {
            assert!(!set.insert(k), "{k} was lost while growing");
        }
        assert_eq!(set.len(), keys.len());
    }

    #[test]
    fn a_presized_set_takes_about_nine_bytes_per_key() {
        let set = KeyHashSet::with_capacity(1_000_000);
        assert!(set.capacity() >= 1_000_000);
        assert!(set.slots.len() * 8 < 9_200_000, "{} slots", set.slots.len());
    }

    #[test]
    fn clustered_hashes_still_work() {
        // Hashes are normally uniform; small consecutive values all land in slot 0's run and
        // exercise the wrap-around.
        let mut set = KeyHashSet::default();
        for k in (u64::MAX - 2000)..=u64::MAX {
            assert!(set.insert(k));
        }
        for k in 1..2000u64 {
            assert!(set.insert(k));
        }
        assert_eq!(set.len(), 4000);
        assert!(!set.insert(u64::MAX - 1000));
        assert!(!set.insert(1999));
    }

    proptest! {
        #[test]
        fn behaves_like_a_hash_set(keys in prop::collection::vec(any::<u64>().prop_map(|k| (k % 5000).wrapping_mul(0x9E37_79B9_7F4A_7C15)), 0..3000), reserve in 0usize..4000) {
            let mut set = KeyHashSet::with_capacity(reserve);
            let mut model = HashSet::new();
            for k in keys {
                prop_assert_eq!(set.insert(k), model.insert(k));
            }
            prop_assert_eq!(set.len(), model.len());
        }
    }
}
