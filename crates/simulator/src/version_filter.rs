//! U8 customer/batch_get's change filters: `timestamp_begin`/`timestamp_end` (row version) and
//! `ModifyDate_begin`/`ModifyDate_end` (modification date), which make incremental exports
//! possible.
//!
//! Bounds are inclusive by default, as in U8's own query pages: a `ModifyDate_end` given as a bare
//! date includes that whole day. Whether real gateways include the `_begin` bounds is not public,
//! so [`crate::SimConfig::u8_exclusive_begin_bounds`] can make them exclusive (`>`), which is
//! also how an incremental run in which nothing changed meets an empty window. Row-version bounds are read in decimal or as `0x`-prefixed hex
//! (either case), the two forms servers send `timestamp` in, so a client can hand back the
//! form it received. A filtered listing is computed once per (filter, record set, edits)
//! and cached, so paging through it costs what paging the full list costs.

use std::sync::Arc;

use crate::data::ItemId;
use crate::data::dates::DateTime;
use crate::data::u8::U8Data;
use crate::dataset::Overlay;

/// The change filters of one request; at least one bound is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct VersionFilter {
    timestamp_begin: Option<i64>,
    timestamp_end: Option<i64>,
    /// Seconds since the epoch of the local time, inclusive.
    modified_begin: Option<i64>,
    modified_end: Option<i64>,
}

impl VersionFilter {
    /// Reads the four parameters through `get`; `Ok(None)` when none is set, `Err(name)` for a
    /// value that is not a whole number in decimal or `0x` hex (timestamps) or
    /// `YYYY-MM-DD[ HH:MM:SS]` (dates).
    /// With `exclusive_begin`, the `_begin` bounds exclude their value.
    pub(crate) fn from_params<'a>(
        get: impl Fn(&str) -> Option<&'a str>,
        exclusive_begin: bool,
    ) -> Result<Option<Self>, &'static str> {
        let number = |name: &'static str| -> Result<Option<i64>, &'static str> {
            match get(name).map(str::trim).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(text) => parse_row_version(text).map(Some).ok_or(name),
            }
        };
        let date = |name: &'static str, end: bool| -> Result<Option<i64>, &'static str> {
            match get(name).map(str::trim).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(text) => {
                    let at = DateTime::parse(text).ok_or(name)?.seconds_since_epoch();
                    // A bare date as the upper bound means "through the end of that day".
                    let whole_day = end && !text.contains([' ', 'T']);
                    Ok(Some(if whole_day { at + 86_399 } else { at }))
                }
            }
        };
        let after = |bound: Option<i64>| {
            if exclusive_begin {
                bound.map(|b| b.saturating_add(1))
            } else {
                bound
            }
        };
        let filter = Self {
            timestamp_begin: after(number("timestamp_begin")?),
            timestamp_end: number("timestamp_end")?,
            modified_begin: after(date("ModifyDate_begin", false)?),
            modified_end: date("ModifyDate_end", true)?,
        };
        let any = filter.timestamp_begin.is_some()
            || filter.timestamp_end.is_some()
            || filter.modified_begin.is_some()
            || filter.modified_end.is_some();
        Ok(any.then_some(filter))
    }

    fn has_date_bounds(&self) -> bool {
        self.modified_begin.is_some() || self.modified_end.is_some()
    }

    fn version_in(&self, version: i64) -> bool {
        self.timestamp_begin.is_none_or(|b| version >= b)
            && self.timestamp_end.is_none_or(|e| version <= e)
    }

    /// Whether a record with this modification time and row version passes.
    pub(crate) fn matches(&self, modified: DateTime, version: i64) -> bool {
        let at = modified.seconds_since_epoch();
        self.version_in(version)
            && self.modified_begin.is_none_or(|b| at >= b)
            && self.modified_end.is_none_or(|e| at <= e)
    }

    /// Decides a record whose version lies in `low..=high` without generating it, when that is
    /// possible: only version bounds are set, and the range is entirely in or out.
    fn decide_by_version_range(&self, low: i64, high: i64) -> Option<bool> {
        if self.has_date_bounds() {
            return None;
        }
        match (self.version_in(low), self.version_in(high)) {
            (true, true) => Some(true),
            (false, false)
                if self.timestamp_begin.is_some_and(|b| high < b)
                    || self.timestamp_end.is_some_and(|e| low > e) =>
            {
                Some(false)
            }
            _ => None,
        }
    }
}

/// A row version in decimal or `0x`/`0X` hex.
fn parse_row_version(text: &str) -> Option<i64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            i64::from_str_radix(hex, 16).ok()
        }
        Some(_) => None,
        None => text.parse().ok(),
    }
}

/// A cached filtered listing and what it was computed from.
#[derive(Debug)]
pub(crate) struct FilteredListing {
    filter: VersionFilter,
    overlay: Arc<Overlay>,
    generation: u64,
    /// The matching records in server order.
    pub(crate) items: Arc<Vec<ItemId>>,
}

impl FilteredListing {
    /// Whether this listing answers `filter` over `overlay` after `generation` edits.
    pub(crate) fn answers(
        &self,
        filter: &VersionFilter,
        overlay: &Arc<Overlay>,
        generation: u64,
    ) -> bool {
        self.filter == *filter
            && Arc::ptr_eq(&self.overlay, overlay)
            && self.generation == generation
    }

    /// Scans `overlay` for the customers of `data` that pass `filter`.
    pub(crate) fn compute(
        filter: VersionFilter,
        overlay: Arc<Overlay>,
        data: &U8Data,
        generation: u64,
    ) -> Self {
        let mut scratch = Vec::with_capacity(2048);
        let items = (0..overlay.len())
            .filter_map(|p| overlay.item_at(p))
            .filter(|&item| {
                let quick = data
                    .base_version_bounds(item)
                    .and_then(|(low, high)| filter.decide_by_version_range(low, high));
                quick.unwrap_or_else(|| {
                    let (modified, version) = data.customer_version(item, &mut scratch);
                    filter.matches(modified, version)
                })
            })
            .collect();
        Self {
            filter,
            overlay,
            generation,
            items: Arc::new(items),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(pairs: &[(&str, &str)]) -> Result<Option<VersionFilter>, &'static str> {
        VersionFilter::from_params(
            |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v),
            false,
        )
    }

    #[test]
    fn parses_bounds_and_names_the_bad_parameter() {
        assert_eq!(filter(&[]), Ok(None));
        assert_eq!(filter(&[("timestamp_begin", "")]), Ok(None));
        assert_eq!(filter(&[("timestamp_begin", "x1")]), Err("timestamp_begin"));
        assert_eq!(
            filter(&[("ModifyDate_end", "2024-02-30")]),
            Err("ModifyDate_end")
        );
        let f = filter(&[("timestamp_begin", "100"), ("timestamp_end", "200")])
            .expect("valid")
            .expect("set");
        assert_eq!(f.decide_by_version_range(120, 127), Some(true));
        assert_eq!(f.decide_by_version_range(40, 47), Some(false));
        assert_eq!(f.decide_by_version_range(96, 103), None);
        let hex = filter(&[
            ("timestamp_begin", "0x0000000000000064"),
            ("timestamp_end", "0XC8"),
        ]);
        assert_eq!(hex, Ok(Some(f)), "hex bounds mean the same numbers");
        for bad in ["0x", "0xZZ", "0x+1", "0x8000000000000000"] {
            assert_eq!(filter(&[("timestamp_begin", bad)]), Err("timestamp_begin"));
        }
    }

    #[test]
    fn a_bare_end_date_includes_the_whole_day() {
        let f = filter(&[
            ("ModifyDate_begin", "2024-01-02"),
            ("ModifyDate_end", "2024-01-02"),
        ])
        .expect("valid")
        .expect("set");
        let at = |text| DateTime::parse(text).expect("date");
        assert!(f.matches(at("2024-01-02 23:59:59"), 1));
        assert!(f.matches(at("2024-01-02 00:00:00"), 1));
        assert!(!f.matches(at("2024-01-03 00:00:00"), 1));
        assert!(!f.matches(at("2024-01-01 23:59:59"), 1));
        assert_eq!(f.decide_by_version_range(0, 10), None);
    }
}
