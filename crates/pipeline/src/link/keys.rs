//! The match keys of a `customers` batch: one [`KeyEntry`] per customer and key.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use custlake_match_keys::company_name_key;

/// The column a key was taken from; decides its `match_key` label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum KeyColumn {
    /// `phone_e164`.
    Phone = 0,
    /// `mobile_e164`.
    Mobile = 1,
    /// `fax_e164`.
    Fax = 2,
    /// `email_normalized`.
    Email = 3,
    /// The company-name key of `name`.
    Name = 4,
}

impl KeyColumn {
    pub(crate) fn from_byte(byte: u8) -> Option<Self> {
        [
            Self::Phone,
            Self::Mobile,
            Self::Fax,
            Self::Email,
            Self::Name,
        ]
        .into_iter()
        .find(|c| *c as u8 == byte)
    }

    /// The namespace byte the key text starts with: every phone column shares one, so a number
    /// in one customer's `phone` meets the same number in another's `mobile`.
    fn namespace(self) -> char {
        match self {
            Self::Phone | Self::Mobile | Self::Fax => 't',
            Self::Email => 'e',
            Self::Name => 'n',
        }
    }
}

/// One customer's key: `key` is the namespace letter followed by the normalised value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct KeyEntry {
    pub(crate) key: Box<str>,
    /// Index of the customer's (source, tenant) in the run's side list.
    pub(crate) side: u32,
    pub(crate) customer_id: Box<str>,
    pub(crate) column: KeyColumn,
}

impl KeyEntry {
    /// The normalised value, without its namespace letter.
    pub(crate) fn value(&self) -> &str {
        self.key.get(1..).unwrap_or_default()
    }

    /// Approximate heap and inline bytes, for the memory budget.
    pub(crate) fn footprint(&self) -> usize {
        self.key.len() + self.customer_id.len() + std::mem::size_of::<Self>()
    }
}

/// The text values of column `name` of `batch` (`None` when absent or null).
fn text_values(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let Some(column) = batch.column_by_name(name) else {
        return vec![None; batch.num_rows()];
    };
    let Ok(text) = cast(column, &DataType::Utf8) else {
        return vec![None; batch.num_rows()];
    };
    let text = text.as_string::<i32>();
    (0..text.len())
        .map(|i| (!text.is_null(i)).then(|| text.value(i).to_owned()))
        .collect()
}

/// Every key of every customer in `batch` (a `customers` batch of today's schema) of `side`.
pub(crate) fn key_entries(batch: &RecordBatch, side: u32) -> Vec<KeyEntry> {
    let ids = text_values(batch, "customer_id");
    let columns = [
        (KeyColumn::Phone, text_values(batch, "phone_e164")),
        (KeyColumn::Mobile, text_values(batch, "mobile_e164")),
        (KeyColumn::Fax, text_values(batch, "fax_e164")),
        (KeyColumn::Email, text_values(batch, "email_normalized")),
        (
            KeyColumn::Name,
            text_values(batch, "name")
                .into_iter()
                .map(|name| name.and_then(|n| company_name_key(&n)))
                .collect(),
        ),
    ];
    let mut entries = Vec::with_capacity(ids.len() * 3);
    for (row, id) in ids.iter().enumerate() {
        let Some(id) = id else { continue };
        for (column, values) in &columns {
            if let Some(Some(value)) = values.get(row) {
                let mut key = String::with_capacity(value.len() + 1);
                key.push(column.namespace());
                key.push_str(value);
                entries.push(KeyEntry {
                    key: key.into(),
                    side,
                    customer_id: id.as_str().into(),
                    column: *column,
                });
            }
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::StringArray;
    use arrow::datatypes::{Field, Schema};

    use super::*;

    #[test]
    fn each_present_key_becomes_an_entry_and_phones_share_a_namespace() {
        let text = |values: Vec<Option<&str>>| Arc::new(StringArray::from(values)) as _;
        let schema = Arc::new(Schema::new(
            [
                "customer_id",
                "phone_e164",
                "mobile_e164",
                "email_normalized",
                "name",
            ]
            .map(|n| Field::new(n, DataType::Utf8, true))
            .to_vec(),
        ));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                text(vec![Some("c1"), Some("c2")]),
                text(vec![Some("+861062345678"), None]),
                text(vec![None, Some("+861062345678")]),
                text(vec![None, Some("a@b.cn")]),
                text(vec![Some("北京华信科技有限公司"), Some("有限公司")]),
            ],
        )
        .expect("batch");
        let entries = key_entries(&batch, 7);
        let keys: Vec<(&str, &str)> = entries.iter().map(|e| (&*e.customer_id, &*e.key)).collect();
        assert_eq!(
            keys,
            [
                ("c1", "t+861062345678"),
                ("c1", "n北京华信科技"),
                ("c2", "t+861062345678"),
                ("c2", "ea@b.cn"),
            ]
        );
        assert!(entries.iter().all(|e| e.side == 7));
    }
}
