//! The match-key columns: each phone number as E.164 and each e-mail address normalised, so
//! one customer joins across sources (`customer_links`, or a data team's own SQL).
//!
//! They are derived from the text columns the mapping already filled, once per batch, by the
//! `custlake-match-keys` normalisers; files written before these columns existed get them the
//! same way when read back ([`crate::dataset_batch_from_file`]), with the vendor's default
//! region. A value that does not normalise leaves the key null: it is not a reject, the text
//! column keeps what the vendor sent.

use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray, new_null_array};
use arrow_schema::{DataType, Field, Schema};
use custlake_match_keys::{Region, email_normalized, phone_e164};

use crate::datasets::{Dataset, SourceKind};

/// How a key column is derived from its text column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyKind {
    Phone,
    Email,
}

/// A match-key column and the text column it is derived from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DerivedColumn {
    pub(crate) name: &'static str,
    pub(crate) from: &'static str,
    kind: KeyKind,
}

const fn derived(name: &'static str, from: &'static str, kind: KeyKind) -> DerivedColumn {
    DerivedColumn { name, from, kind }
}

const CUSTOMER_KEYS: &[DerivedColumn] = &[
    derived("phone_e164", "phone", KeyKind::Phone),
    derived("mobile_e164", "mobile", KeyKind::Phone),
    derived("fax_e164", "fax", KeyKind::Phone),
    derived("email_normalized", "email", KeyKind::Email),
];

const CONTACT_KEYS: &[DerivedColumn] = &[
    derived("mobile_e164", "mobile", KeyKind::Phone),
    derived("office_phone_e164", "office_phone", KeyKind::Phone),
    derived("home_phone_e164", "home_phone", KeyKind::Phone),
    derived("email_normalized", "email", KeyKind::Email),
];

/// The match-key columns of `dataset` (none for `rejects` and `customer_links`).
pub(crate) fn derived_columns(dataset: Dataset) -> &'static [DerivedColumn] {
    match dataset {
        Dataset::Customers => CUSTOMER_KEYS,
        Dataset::Contacts => CONTACT_KEYS,
        // A change log copies its dataset's keys; it derives none of its own.
        Dataset::Rejects
        | Dataset::CustomerLinks
        | Dataset::CustomersHistory
        | Dataset::ContactsHistory => &[],
    }
}

/// The region national numbers of a vendor are read in when its source sets no
/// `default_region`: China for U8 (a Chinese ERP whose users type numbers without +86), none
/// for YCM (a phone system used worldwide, whose numbers usually carry their country code).
pub fn default_region(source: SourceKind) -> Option<Region> {
    match source {
        SourceKind::YonyouU8 => Some(Region::CN),
        SourceKind::YeastarYcm => None,
    }
}

/// The key column `column` of a batch whose text column `column.from` is `text`.
pub(crate) fn derive(
    column: &DerivedColumn,
    text: &StringArray,
    region: Option<Region>,
) -> ArrayRef {
    let mut keys = StringBuilder::with_capacity(text.len(), text.len() * 14);
    for value in text.iter() {
        let key = value.and_then(|value| match column.kind {
            KeyKind::Phone => phone_e164(value, region),
            KeyKind::Email => email_normalized(value),
        });
        keys.append_option(key);
    }
    Arc::new(keys.finish())
}

/// The default region of the vendor named `source` (a partition's `source=` value).
pub(crate) fn region_of(source: &str) -> Option<Region> {
    source.parse::<SourceKind>().ok().and_then(default_region)
}

/// The key column `column` derived from its text column in `batch`; `None` when `batch` has no
/// such text column, an error when it does not read as text.
pub(crate) fn derive_from_batch(
    column: &DerivedColumn,
    batch: &RecordBatch,
    region: Option<Region>,
) -> Result<Option<ArrayRef>, arrow_schema::ArrowError> {
    let Some(text) = batch.column_by_name(column.from) else {
        return Ok(None);
    };
    let text = arrow_cast::cast(text, &DataType::Utf8)?;
    Ok(Some(derive(column, text.as_string::<i32>(), region)))
}

/// Adds `dataset`'s key columns to the named columns of a batch being assembled, from the text
/// columns among them.
pub(crate) fn add_key_columns(
    dataset: Dataset,
    columns: &mut Vec<(&'static str, ArrayRef)>,
    region: Option<Region>,
) {
    let rows = columns.first().map_or(0, |(_, array)| array.len());
    for column in derived_columns(dataset) {
        let text = columns
            .iter()
            .find(|(name, _)| *name == column.from)
            .and_then(|(_, array)| array.as_any().downcast_ref::<StringArray>().cloned());
        let keys = match text {
            Some(text) => derive(column, &text, region),
            // Every builder has the text column; without it the key is simply unknown.
            None => new_null_array(&DataType::Utf8, rows),
        };
        columns.push((column.name, keys));
    }
}

/// `batch` (any columns of a `dataset` file) with every match-key column of `dataset` it lacks
/// derived from its text column (with the vendor's default region for `source`), or null when
/// that is missing too. For readers of older files that need only the keys.
pub fn with_match_keys(dataset: Dataset, batch: &RecordBatch, source: &str) -> RecordBatch {
    let region = region_of(source);
    let mut fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    let mut columns = batch.columns().to_vec();
    for column in derived_columns(dataset) {
        if batch.column_by_name(column.name).is_some() {
            continue;
        }
        let keys = match derive_from_batch(column, batch, region) {
            Ok(Some(keys)) => keys,
            Ok(None) | Err(_) => new_null_array(&DataType::Utf8, batch.num_rows()),
        };
        fields.push(Field::new(column.name, DataType::Utf8, true));
        columns.push(keys);
    }
    let schema = Arc::new(Schema::new(fields));
    // Every added column has the batch's length and the declared type.
    RecordBatch::try_new(schema, columns).unwrap_or_else(|_| batch.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_keys_use_the_region_and_emails_need_none() {
        let phones = StringArray::from(vec![Some("010-62345678"), Some("n/a"), None]);
        let keys = derive(&CUSTOMER_KEYS[0], &phones, Some(Region::CN));
        let keys = keys.as_any().downcast_ref::<StringArray>().expect("text");
        assert_eq!(
            keys.iter().collect::<Vec<_>>(),
            [Some("+861062345678"), None, None]
        );
        let without_region = derive(&CUSTOMER_KEYS[0], &phones, None);
        assert_eq!(without_region.null_count(), 3);
        let emails = StringArray::from(vec![" Sales@Example.COM "]);
        let keys = derive(&CUSTOMER_KEYS[3], &emails, None);
        let keys = keys.as_any().downcast_ref::<StringArray>().expect("text");
        assert_eq!(keys.value(0), "Sales@example.com");
    }

    #[test]
    fn every_key_column_is_in_its_schema_after_its_text_column() {
        for dataset in Dataset::ALL {
            let schema = dataset.schema();
            for column in derived_columns(dataset) {
                let key = schema.index_of(column.name).expect("key column");
                let text = schema.index_of(column.from).expect("text column");
                assert!(text < key, "{dataset}.{}", column.name);
            }
        }
    }
}
