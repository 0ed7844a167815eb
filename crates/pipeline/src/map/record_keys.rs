//! The set of record keys a run has passed on, exact, at about one bit per key for numbered
//! codes and about 9 bytes per key otherwise.
//!
//! ERP and PBX keys are mostly numbered codes: `00000123`, `C0042`, a decimal customerId. Such a
//! key splits into a *family* (the text before its trailing digits, and how many digits there
//! are) and a number, and the split is reversible: `C0042` is family (`C`, 4 digits), number 42.
//! The numbers of one family are dense, so they are kept as bits in 4,096-number chunks. Every
//! other key, and every key of a family whose numbers turn out sparse, is kept as its 64-bit
//! hash in a [`KeyHashSet`]. A key always lands in the same place for the whole run (a family
//! that moves to hashes moves all its keys), so the set stays exact.

use std::collections::HashMap;

use xxhash_rust::xxh3::xxh3_64;

use crate::map::key_set::KeyHashSet;

/// Numbers per bitmap chunk (64 words of 64 bits, 512 bytes).
const CHUNK_NUMBERS: u64 = 4096;
const CHUNK_WORDS: usize = (CHUNK_NUMBERS / 64) as usize;

/// Families kept as bitmaps at most; keys of further families are hashed.
const MAX_FAMILIES: usize = 16;

/// Trailing digits a numbered key may have (a `u64` holds every 19-digit number).
const MAX_DIGITS: usize = 19;

/// Bitmap bytes per key above which a family moves to hashes (the hash set needs about 9),
/// checked once a family holds this many chunks.
const MAX_BYTES_PER_KEY: usize = 12;
const CHUNKS_BEFORE_DENSITY_CHECK: usize = 16;

/// An insert-only, exact set of record keys.
#[derive(Debug, Default)]
pub struct RecordKeySet {
    families: Vec<Family>,
    hashes: KeyHashSet,
}

/// The keys of one (prefix, digit count) family.
#[derive(Debug)]
struct Family {
    prefix: Box<str>,
    digits: usize,
    /// `None` once the family moved to hashes.
    bits: Option<HashMap<u64, Box<[u64; CHUNK_WORDS]>>>,
    keys: usize,
}

impl RecordKeySet {
    /// Adds `key`; true when it was not in the set yet.
    pub fn insert(&mut self, key: &str) -> bool {
        let Some((prefix, digits, number)) = split_numbered(key) else {
            return self.hashes.insert(xxh3_64(key.as_bytes()));
        };
        let index = match self
            .families
            .iter()
            .position(|f| f.digits == digits && *f.prefix == *prefix)
        {
            Some(index) => index,
            None if self.families.len() < MAX_FAMILIES => {
                self.families.push(Family {
                    prefix: prefix.into(),
                    digits,
                    bits: Some(HashMap::new()),
                    keys: 0,
                });
                self.families.len() - 1
            }
            None => return self.hashes.insert(xxh3_64(key.as_bytes())),
        };
        let family = &mut self.families[index];
        let Some(bits) = family.bits.as_mut() else {
            return self.hashes.insert(xxh3_64(key.as_bytes()));
        };
        let chunk = bits
            .entry(number / CHUNK_NUMBERS)
            .or_insert_with(|| Box::new([0; CHUNK_WORDS]));
        let offset = number % CHUNK_NUMBERS;
        let (word, bit) = ((offset / 64) as usize, 1u64 << (offset % 64));
        if chunk[word] & bit != 0 {
            return false;
        }
        chunk[word] |= bit;
        family.keys += 1;
        if family.is_sparse() {
            family.move_to(&mut self.hashes);
        }
        true
    }

    /// Reserves hash-set room for `keys` keys that are not numbered codes.
    pub fn reserve_hashed(&mut self, keys: usize) {
        self.hashes.reserve(keys);
    }

    /// Keys in the set.
    pub fn len(&self) -> usize {
        let in_bitmaps: usize = self
            .families
            .iter()
            .filter(|f| f.bits.is_some())
            .map(|f| f.keys)
            .sum();
        in_bitmaps + self.hashes.len()
    }
}

impl Family {
    fn is_sparse(&self) -> bool {
        let chunks = self.bits.as_ref().map_or(0, HashMap::len);
        chunks >= CHUNKS_BEFORE_DENSITY_CHECK
            && chunks * CHUNK_WORDS * 8 > self.keys * MAX_BYTES_PER_KEY
    }

    /// Moves every key of this family into `hashes`, as the hash of its text, and sends the
    /// family's later keys there too.
    fn move_to(&mut self, hashes: &mut KeyHashSet) {
        let Some(bits) = self.bits.take() else {
            return;
        };
        hashes.reserve(hashes.len() + self.keys);
        let mut text = String::with_capacity(self.prefix.len() + self.digits);
        for (chunk_index, chunk) in bits {
            for (w, &word) in chunk.iter().enumerate() {
                let mut rest = word;
                while rest != 0 {
                    let bit = u64::from(rest.trailing_zeros());
                    rest &= rest - 1;
                    let number = chunk_index * CHUNK_NUMBERS + w as u64 * 64 + bit;
                    text.clear();
                    text.push_str(&self.prefix);
                    push_padded(&mut text, number, self.digits);
                    hashes.insert(xxh3_64(text.as_bytes()));
                }
            }
        }
    }
}

/// Whether `key` is a numbered code, kept as one bit when its family is dense.
pub fn is_numbered_code(key: &str) -> bool {
    split_numbered(key).is_some()
}

/// Splits `key` into the text before its trailing ASCII digits, their count and their value;
/// `None` when it has no trailing digits or too many for a `u64`.
fn split_numbered(key: &str) -> Option<(&str, usize, u64)> {
    let bytes = key.as_bytes();
    let start = bytes
        .iter()
        .rposition(|b| !b.is_ascii_digit())
        .map_or(0, |i| i + 1);
    let digits = bytes.len() - start;
    if digits == 0 || digits > MAX_DIGITS {
        return None;
    }
    let number = key[start..].parse().ok()?;
    Some((&key[..start], digits, number))
}

/// Appends `number` zero-padded to `digits` characters (the inverse of [`split_numbered`]).
fn push_padded(text: &mut String, number: u64, digits: usize) {
    use std::fmt::Write;
    // Writing to a String cannot fail.
    let _ = write!(text, "{number:0digits$}");
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn numbered_codes_split_reversibly() {
        assert_eq!(split_numbered("00000123"), Some(("", 8, 123)));
        assert_eq!(split_numbered("C0042"), Some(("C", 4, 42)));
        assert_eq!(split_numbered("00000012-003"), Some(("00000012-", 3, 3)));
        assert_eq!(split_numbered("客户7"), Some(("客户", 1, 7)));
        assert_eq!(split_numbered("abc"), None);
        assert_eq!(split_numbered(""), None);
        assert_eq!(split_numbered("12345678901234567890"), None);
        let mut text = String::from("C");
        push_padded(&mut text, 42, 4);
        assert_eq!(text, "C0042");
    }

    #[test]
    fn codes_differing_only_in_zero_padding_are_different_keys() {
        let mut set = RecordKeySet::default();
        assert!(set.insert("12"));
        assert!(set.insert("012"));
        assert!(set.insert("0012"));
        assert!(!set.insert("012"));
        assert_eq!(set.len(), 3);
    }

    #[test]
    fn a_million_sequential_codes_take_well_under_a_megabyte() {
        let mut set = RecordKeySet::default();
        for i in 1..=1_000_000u64 {
            assert!(set.insert(&format!("{i:08}")));
        }
        assert!(!set.insert("00000001"));
        assert!(!set.insert("01000000"));
        assert!(set.insert("01000001"));
        assert_eq!(set.len(), 1_000_001);
        let family = &set.families[0];
        let bytes = family
            .bits
            .as_ref()
            .map_or(0, |b| b.len() * CHUNK_WORDS * 8);
        assert!(bytes < 200_000, "{bytes} bytes of bitmap");
        assert_eq!(set.hashes.len(), 0);
    }

    #[test]
    fn a_sparse_family_moves_to_hashes_without_losing_keys() {
        let mut set = RecordKeySet::default();
        let keys: Vec<String> = (0..5_000u64)
            .map(|i| format!("ID{:012}", i.wrapping_mul(7_919_191)))
            .collect();
        for key in &keys {
            assert!(set.insert(key));
        }
        assert!(set.families[0].bits.is_none(), "the family stayed a bitmap");
        for key in &keys {
            assert!(!set.insert(key), "{key} was lost in the move");
        }
        assert_eq!(set.len(), keys.len());
    }

    #[test]
    fn families_past_the_limit_are_hashed() {
        let mut set = RecordKeySet::default();
        for family in 0..(MAX_FAMILIES + 5) {
            for i in 0..10 {
                assert!(set.insert(&format!("F{family}-{i}")));
            }
        }
        for family in 0..(MAX_FAMILIES + 5) {
            for i in 0..10 {
                assert!(!set.insert(&format!("F{family}-{i}")));
            }
        }
        assert_eq!(set.len(), (MAX_FAMILIES + 5) * 10);
        assert_eq!(set.hashes.len(), 5 * 10);
    }

    fn key_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            (0u64..3000).prop_map(|n| format!("{n:05}")),
            (0u64..50, 0u64..3).prop_map(|(n, p)| format!("P{p}-{n}")),
            (0u64..200_000).prop_map(|n| format!("S{:08}", n * 4099)),
            "[a-c0-9]{0,4}",
        ]
    }

    proptest! {
        #[test]
        fn behaves_like_a_hash_set_of_strings(keys in prop::collection::vec(key_strategy(), 0..3000)) {
            let mut set = RecordKeySet::default();
            let mut model = HashSet::new();
            for key in keys {
                prop_assert_eq!(set.insert(&key), model.insert(key.clone()), "{}", key);
            }
            prop_assert_eq!(set.len(), model.len());
        }
    }
}
