//! What a mapping call needs to know about its run, and what it hands back.

use std::borrow::Cow;
use std::ops::AddAssign;

use arrow_array::RecordBatch;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use custlake_match_keys::Region;

use crate::datasets::SourceKind;
use crate::match_columns::default_region;

/// The time zone U8 servers are assumed to run in when a source does not configure one.
pub const DEFAULT_TIMEZONE: Tz = chrono_tz::Asia::Shanghai;

/// The per-run, per-source facts every mapped row carries, plus the mapping options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapContext {
    /// The vendor. The `map_*` functions always label rows with their own vendor, even if
    /// this says otherwise; it matters when the row builders are used directly.
    pub source: SourceKind,
    /// The configured source name, written to the `tenant` column.
    pub tenant: String,
    /// The run's id, written to the `run_id` column.
    pub run_id: String,
    /// When the run started extracting, written to `extracted_at` (kept to the microsecond).
    pub extracted_at: DateTime<Utc>,
    /// The time zone the source's local date-times are in (U8 `ModifyDate`).
    pub timezone: Tz,
    /// Whether rows keep the vendor record's raw JSON in `raw`.
    pub include_raw: bool,
    /// The region phone numbers without a country code are read in (the `*_e164` columns);
    /// `None` leaves such numbers without a key.
    pub default_region: Option<Region>,
}

impl MapContext {
    /// A context with the default time zone ([`DEFAULT_TIMEZONE`]) and raw JSON kept.
    pub fn new(
        source: SourceKind,
        tenant: impl Into<String>,
        run_id: impl Into<String>,
        extracted_at: DateTime<Utc>,
    ) -> Self {
        Self {
            source,
            tenant: tenant.into(),
            run_id: run_id.into(),
            extracted_at,
            timezone: DEFAULT_TIMEZONE,
            include_raw: true,
            default_region: default_region(source),
        }
    }

    /// This context labelled with `source` (borrowed when it already is).
    pub(crate) fn for_source(&self, source: SourceKind) -> Cow<'_, MapContext> {
        if self.source == source {
            Cow::Borrowed(self)
        } else {
            Cow::Owned(MapContext {
                source,
                ..self.clone()
            })
        }
    }
}

/// Counts of one or more mapping calls, for the run summary and the manifest.
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapStats {
    /// Vendor records given to the mapping.
    pub input_records: usize,
    /// Rows produced for `customers`.
    pub customer_rows: usize,
    /// Rows produced for `contacts`.
    pub contact_rows: usize,
    /// Records rejected whole (no key, or not decodable); they produced no row.
    pub whole_record_rejects: usize,
    /// Single field values that were nulled and reported in `rejects`.
    pub field_rejects: usize,
}

impl MapStats {
    /// Adds another call's counts to these.
    pub fn add(&mut self, other: MapStats) {
        self.input_records += other.input_records;
        self.customer_rows += other.customer_rows;
        self.contact_rows += other.contact_rows;
        self.whole_record_rejects += other.whole_record_rejects;
        self.field_rejects += other.field_rejects;
    }

    /// Rows written to `rejects` (whole records and single fields).
    pub fn reject_rows(&self) -> usize {
        self.whole_record_rejects + self.field_rejects
    }
}

impl AddAssign for MapStats {
    fn add_assign(&mut self, other: MapStats) {
        self.add(other);
    }
}

/// What one mapping call produced: a batch per dataset (`None` when it would be empty) and
/// the counts.
#[derive(Clone, Debug, Default)]
pub struct MappedBatches {
    /// `customers` rows, in input order.
    pub customers: Option<RecordBatch>,
    /// `contacts` rows, in input order.
    pub contacts: Option<RecordBatch>,
    /// `rejects` rows, in input order.
    pub rejects: Option<RecordBatch>,
    /// The counts.
    pub stats: MapStats,
}
