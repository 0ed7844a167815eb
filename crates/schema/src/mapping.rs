//! What the three vendor mappings share: the key rule, the whole-record rejects and a field
//! reader that coerces one vendor field and reports a failure to `rejects`.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use custlake_client_kit::{LooseKind, LooseString, VendorRecord};

use crate::MapContext;
use crate::coerce::{self, CoerceError, Gender};
use crate::datasets::Dataset;
use crate::rejects::{RejectRow, RejectsBuilder};

/// Why a record has no usable key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyIssue {
    Missing,
    Blank,
    Nested,
    Boolean,
}

impl KeyIssue {
    fn describe(self) -> &'static str {
        match self {
            KeyIssue::Missing => "is missing",
            KeyIssue::Blank => "is empty",
            KeyIssue::Nested => "is nested JSON, not a single value",
            KeyIssue::Boolean => "is a JSON boolean",
        }
    }
}

/// The key rule of every dataset: a JSON string or number whose trimmed text is not empty.
pub(crate) fn key_text(value: Option<&LooseString>) -> Result<&str, KeyIssue> {
    let value = value.ok_or(KeyIssue::Missing)?;
    match value.kind() {
        LooseKind::Null => Err(KeyIssue::Missing),
        LooseKind::Nested => Err(KeyIssue::Nested),
        LooseKind::Bool => Err(KeyIssue::Boolean),
        LooseKind::String | LooseKind::Number => {
            let text = coerce::trim(value.as_str());
            if text.is_empty() {
                Err(KeyIssue::Blank)
            } else {
                Ok(text)
            }
        }
    }
}

/// Runs `map_row` for every record that decodes and has a key, and rejects the others whole.
///
/// `key_field` is the vendor's name of the key field; `key_of` picks it from a decoded record.
/// `map_row` gets the rejects builder (for field rejects), the decoded record, its key and
/// the record itself.
pub(crate) fn for_each_keyed<'r, T>(
    records: &'r [VendorRecord<T>],
    entity: Dataset,
    key_field: &'static str,
    key_of: impl Fn(&T) -> Option<&LooseString>,
    rejects: &mut RejectsBuilder,
    mut map_row: impl FnMut(&mut RejectsBuilder, &'r T, &'r str, &'r VendorRecord<T>),
) {
    for record in records {
        let decoded = match record.decoded() {
            Ok(decoded) => decoded,
            Err(error) => {
                let reason = format!("record could not be decoded: {error}");
                rejects.append(&RejectRow {
                    entity,
                    record_key: None,
                    field: None,
                    value: None,
                    reason: &reason,
                    raw: Some(record.raw_json()),
                });
                continue;
            }
        };
        let key_value = key_of(decoded);
        match key_text(key_value) {
            Ok(key) => map_row(rejects, decoded, key, record),
            Err(issue) => {
                let reason = format!("record has no key: {key_field} {}", issue.describe());
                let value = key_value
                    .map(LooseString::as_str)
                    .filter(|text| !text.is_empty());
                rejects.append(&RejectRow {
                    entity,
                    record_key: None,
                    field: None,
                    value,
                    reason: &reason,
                    raw: Some(record.raw_json()),
                });
            }
        }
    }
}

/// The sum of the raw JSON lengths, to pre-size the `raw` column (0 when raw is off).
pub(crate) fn raw_bytes<T>(ctx: &MapContext, records: &[VendorRecord<T>]) -> usize {
    if ctx.include_raw {
        records.iter().map(|r| r.raw_json().len()).sum()
    } else {
        0
    }
}

/// Coerces the fields of one keyed record, nulling and reporting each value that fails.
pub(crate) struct FieldReader<'b, 'r> {
    rejects: &'b mut RejectsBuilder,
    entity: Dataset,
    key: &'r str,
    raw: Option<&'r str>,
    timezone: Tz,
    rejected: usize,
}

impl<'b, 'r> FieldReader<'b, 'r> {
    /// A reader for the record with `key`; `raw` goes into its field rejects.
    pub(crate) fn new(
        rejects: &'b mut RejectsBuilder,
        ctx: &MapContext,
        entity: Dataset,
        key: &'r str,
        raw: Option<&'r str>,
    ) -> Self {
        Self {
            rejects,
            entity,
            key,
            raw,
            timezone: ctx.timezone,
            rejected: 0,
        }
    }

    /// How many field rejects this reader wrote.
    pub(crate) fn rejected(&self) -> usize {
        self.rejected
    }

    fn coerce<'v, T>(
        &mut self,
        field: &'static str,
        value: &'v Option<LooseString>,
        convert: impl FnOnce(&'v LooseString) -> Result<Option<T>, CoerceError>,
    ) -> Option<T> {
        let value = value.as_ref()?;
        match convert(value) {
            Ok(converted) => converted,
            Err(error) => {
                self.reject(field, value, error);
                None
            }
        }
    }

    fn reject(&mut self, field: &'static str, value: &LooseString, error: CoerceError) {
        self.rejected += 1;
        let reason = error.to_string();
        self.rejects.append(&RejectRow {
            entity: self.entity,
            record_key: Some(self.key),
            field: Some(field),
            value: Some(value.as_str()),
            reason: &reason,
            raw: self.raw,
        });
    }

    /// Trimmed text; null for null/blank.
    pub(crate) fn text<'v>(
        &mut self,
        field: &'static str,
        value: &'v Option<LooseString>,
    ) -> Option<&'v str> {
        self.coerce(field, value, coerce::text)
    }

    /// A flag.
    pub(crate) fn boolean(
        &mut self,
        field: &'static str,
        value: &Option<LooseString>,
    ) -> Option<bool> {
        self.coerce(field, value, coerce::boolean)
    }

    /// A calendar date.
    pub(crate) fn date(
        &mut self,
        field: &'static str,
        value: &Option<LooseString>,
    ) -> Option<NaiveDate> {
        self.coerce(field, value, coerce::date)
    }

    /// A local date-time of the source, in UTC.
    pub(crate) fn local_date_time(
        &mut self,
        field: &'static str,
        value: &Option<LooseString>,
    ) -> Option<DateTime<Utc>> {
        let timezone = self.timezone;
        self.coerce(field, value, |v| coerce::local_date_time(v, timezone))
    }

    /// A row version's integer value (decimal or `0x` hex, see [`crate::row_version`]).
    pub(crate) fn row_version(
        &mut self,
        field: &'static str,
        value: &Option<LooseString>,
    ) -> Option<i64> {
        self.coerce(field, value, crate::row_version::value_of)
    }

    /// A normalized gender.
    pub(crate) fn gender(
        &mut self,
        field: &'static str,
        value: &Option<LooseString>,
    ) -> Option<Gender> {
        self.coerce(field, value, coerce::gender)
    }
}
