//! A snapshot only shrinks on evidence (`[sources.guard]`).
//!
//! Two checks stand between a vendor that under-delivers and the partition readers trust:
//! an entity whose listing delivered noticeably fewer records than the vendor announced fails
//! (page drift explains a few; an empty page where records were promised does not), and a full
//! snapshot that would remove more than `max_shrink` of a partition's rows is refused unless the
//! vendor's announced total agrees with the smaller size. Either way the source fails and the
//! previous state stays. An empty listing the vendor announces as empty (U8's "no matching
//! record") delivers what it announced, so it passes both.

use crate::commit::manifest::EntityReport;
use crate::config::GuardConfig;

/// Why `report`'s listing is refused as under-delivered, or `None` when what arrived is within
/// `max_missing_share` of what the vendor announced.
pub(crate) fn under_delivery(report: &EntityReport, guard: &GuardConfig) -> Option<String> {
    let announced = report.vendor_total?;
    let received = report.unique_records();
    let missing = announced.checked_sub(received).filter(|m| *m > 0)?;
    if missing as f64 <= guard.max_missing_share * announced as f64 {
        return None;
    }
    Some(format!(
        "{}: the vendor announced {announced} records but only {received} arrived ({missing} \
         missing, {:.1} %, more than [sources.guard] max_missing_share = {} allows); the \
         previous state is kept. Records that move while paging explain a few; if the vendor \
         really lost them, run again or raise max_missing_share",
        report.entity,
        100.0 * missing as f64 / announced as f64,
        guard.max_missing_share
    ))
}

/// A full snapshot about to replace a partition: its size, the size it replaces, and what the
/// vendor announced for the entity it comes from.
pub(crate) struct Replacement<'a> {
    /// The partition, as messages name it (`customers/source=…/tenant=…`).
    pub(crate) partition: &'a str,
    /// Rows in the current state.
    pub(crate) current_rows: u64,
    /// Rows in the new snapshot.
    pub(crate) new_rows: u64,
    /// The vendor's announced total of the entity the rows come from, if known.
    pub(crate) announced: Option<u64>,
}

/// Why the replacement is refused as a shrink without evidence, or `None` when it may go ahead.
pub(crate) fn unproven_shrink(
    replacement: &Replacement<'_>,
    guard: &GuardConfig,
) -> Option<String> {
    let Replacement {
        partition,
        current_rows,
        new_rows,
        announced,
    } = *replacement;
    let removed = current_rows.checked_sub(new_rows).filter(|r| *r > 0)?;
    if removed as f64 <= guard.max_shrink * current_rows as f64 {
        return None;
    }
    // The vendor itself says it now holds about this many: the shrink is real.
    if announced.is_some_and(|total| total <= new_rows) {
        return None;
    }
    let announced = announced.map_or("no total".to_owned(), |t| format!("a total of {t}"));
    Some(format!(
        "{partition}: the new snapshot has {new_rows} rows where the current one has \
         {current_rows} ({removed} fewer, more than [sources.guard] max_shrink = {} allows), and \
         the vendor announced {announced}; refused, the current state is kept. If the source \
         really lost them, run with --allow-shrink (or raise max_shrink)",
        guard.max_shrink
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(announced: Option<u64>, fetched: u64) -> EntityReport {
        EntityReport {
            entity: "customers".into(),
            records_fetched: fetched,
            vendor_total: announced,
            ..EntityReport::default()
        }
    }

    #[test]
    fn a_listing_short_by_more_than_the_share_is_refused() {
        let guard = GuardConfig::default();
        let refused = under_delivery(&report(Some(9), 0), &guard).expect("refused");
        assert!(
            refused.contains("announced 9 records but only 0 arrived"),
            "{refused}"
        );
        assert!(under_delivery(&report(Some(9), 3), &guard).is_some());
        // Page drift: 10 of 100,000 missing is within 1 %.
        assert!(under_delivery(&report(Some(100_000), 99_990), &guard).is_none());
        // What the vendor announced as empty, or more than announced, is not under-delivery.
        assert!(under_delivery(&report(Some(0), 0), &guard).is_none());
        assert!(under_delivery(&report(Some(5), 7), &guard).is_none());
        assert!(under_delivery(&report(None, 0), &guard).is_none());
    }

    #[test]
    fn a_shrink_needs_the_vendors_total_or_an_allowance() {
        let guard = GuardConfig::default();
        let shrink = |new_rows, announced| Replacement {
            partition: "customers/source=yonyou_u8/tenant=t",
            current_rows: 9,
            new_rows,
            announced,
        };
        assert!(unproven_shrink(&shrink(3, Some(9)), &guard).is_some());
        assert!(unproven_shrink(&shrink(3, None), &guard).is_some());
        // The vendor says it holds 3 now; losing 4 of 9 is within 50 %.
        assert!(unproven_shrink(&shrink(3, Some(3)), &guard).is_none());
        assert!(unproven_shrink(&shrink(5, Some(9)), &guard).is_none());
        let allowed = GuardConfig {
            max_shrink: 1.0,
            ..guard
        };
        assert!(unproven_shrink(&shrink(0, Some(9)), &allowed).is_none());
        // Growing or an empty current state never shrinks.
        let grow = Replacement {
            current_rows: 0,
            ..shrink(3, None)
        };
        assert!(unproven_shrink(&grow, &guard).is_none());
    }
}
