//! Linking customers across sources: which customers of different sources (U8 ↔ YCM, U8
//! tenant ↔ U8 tenant) share a normalised phone number, e-mail address or company name.
//!
//! The step holds match keys, never rows: every customer contributes one entry per key
//! ([`keys`]), the entries are sorted in runs of bounded size that spill to disk above the
//! memory budget and are merged back in key order ([`sorted_keys`]), and each group of equal
//! keys becomes links between its customers ([`pairs`]). A sort groups every source at once —
//! a hash join would pair two sides at a time — and a key's fan-out is known when its group
//! is complete, so a switchboard number shared by hundreds of customers is dropped whole.

pub(crate) mod keys;
pub(crate) mod pairs;
pub(crate) mod rows;
pub(crate) mod sorted_keys;
