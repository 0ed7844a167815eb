//! U8 row versions (`timestamp`, SQL Server's `rowversion`): the one parser behind the
//! `source_version` column and the pipeline's incremental high-water mark.
//!
//! Servers send a row version as a JSON number (`1000007`), as decimal text (`"1000007"`) or,
//! on accounts whose gateway renders SQL Server's `binary(8)` as text, as `0x`-prefixed hex
//! (`"0x00000000000F4247"`). All three name the same integer; a [`RowVersion`] keeps both that
//! integer (to compare) and the text exactly as sent (to send back in `timestamp_begin`, where
//! the server expects its own form, width and case).

use custlake_client_kit::{LooseKind, LooseString};

use crate::coerce::{CoerceError, trim};

/// A row version as the vendor sent it, with its integer value.
///
/// Ordered by value first, so the maximum of a set of versions is the newest one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RowVersion {
    value: i64,
    text: String,
}

impl RowVersion {
    /// The row version in `value`: `Ok(None)` for null and blank, an error for anything that
    /// is not a non-negative whole number in decimal or `0x`/`0X` hex within the int64 range.
    pub fn parse(value: &LooseString) -> Result<Option<Self>, CoerceError> {
        let Some(number) = value_of(value)? else {
            return Ok(None);
        };
        Ok(Some(Self {
            value: number,
            text: trim(value.as_str()).to_owned(),
        }))
    }

    /// The row version written as `text` (decimal or `0x` hex, surrounding blanks ignored).
    pub fn from_text(text: &str) -> Result<Self, CoerceError> {
        let text = trim(text);
        let value = parse_text(text).ok_or(CoerceError::RowVersion)?;
        Ok(Self {
            value,
            text: text.to_owned(),
        })
    }

    /// A row version known only by its value, written in decimal (catalogs written before
    /// custlake kept the vendor's text).
    pub fn from_value(value: i64) -> Self {
        Self {
            value,
            text: value.to_string(),
        }
    }

    /// The integer value.
    pub fn value(&self) -> i64 {
        self.value
    }

    /// The text as the vendor sent it (trimmed).
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// The integer value of a row version without keeping its text (allocation-free, for the
/// mapping of every record); same rules as [`RowVersion::parse`].
pub fn value_of(value: &LooseString) -> Result<Option<i64>, CoerceError> {
    match value.kind() {
        LooseKind::Null => Ok(None),
        LooseKind::Bool => Err(CoerceError::UnexpectedBoolean("a row version")),
        LooseKind::Nested if value.as_str().starts_with('[') => {
            Err(CoerceError::NotScalar("array"))
        }
        LooseKind::Nested => Err(CoerceError::NotScalar("object")),
        LooseKind::String | LooseKind::Number => {
            let text = trim(value.as_str());
            if text.is_empty() {
                return Ok(None);
            }
            parse_text(text).map(Some).ok_or(CoerceError::RowVersion)
        }
    }
}

/// Decimal digits, or `0x`/`0X` and 1 to 16 hex digits; the value must fit in an int64
/// (SQL Server's counter is far below 2^63). Signs, fractions and exponents are refused: a
/// row version is a counter, and a float would have rounded it.
fn parse_text(text: &str) -> Option<i64> {
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        if hex.is_empty() || hex.len() > 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        return i64::from_str_radix(hex, 16).ok();
    }
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<i64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> LooseString {
        LooseString::string(text)
    }

    fn json(text: &str) -> LooseString {
        serde_json::from_str(text).expect("test JSON is valid")
    }

    #[test]
    fn decimal_numbers_text_and_hex_name_the_same_version() -> Result<(), CoerceError> {
        for value in [json("1000007"), s("1000007"), s(" 1000007 ")] {
            let version = RowVersion::parse(&value)?.ok_or(CoerceError::RowVersion)?;
            assert_eq!(version.value(), 1_000_007);
            assert_eq!(version.text(), "1000007");
        }
        let hex = RowVersion::parse(&s("0x00000000000F4247"))?.ok_or(CoerceError::RowVersion)?;
        assert_eq!(hex.value(), 1_000_007);
        assert_eq!(
            hex.text(),
            "0x00000000000F4247",
            "kept as sent: width and case"
        );
        let lower = RowVersion::from_text("0Xf4247")?;
        assert_eq!((lower.value(), lower.text()), (1_000_007, "0Xf4247"));
        assert_eq!(RowVersion::from_value(42).text(), "42");
        assert!(RowVersion::from_text("0x10")? > RowVersion::from_text("15")?);
        Ok(())
    }

    #[test]
    fn blanks_are_no_version_and_everything_else_is_refused() {
        assert_eq!(RowVersion::parse(&s("")), Ok(None));
        assert_eq!(RowVersion::parse(&s("  ")), Ok(None));
        assert_eq!(RowVersion::parse(&json("null")), Ok(None));
        for bad in [
            "0x",
            "0x12345678901234567",
            "0x8000000000000000",
            "0xg1",
            "x10",
            "-7",
            "+7",
            "4.2e1",
            "42.0",
            "9223372036854775808",
            "AAAAAAAPQkA=",
            "not a number",
        ] {
            assert_eq!(
                RowVersion::parse(&s(bad)),
                Err(CoerceError::RowVersion),
                "{bad:?}"
            );
            assert!(RowVersion::from_text(bad).is_err(), "{bad:?}");
        }
        assert_eq!(RowVersion::from_text(" "), Err(CoerceError::RowVersion));
        assert_eq!(
            value_of(&json("true")),
            Err(CoerceError::UnexpectedBoolean("a row version"))
        );
        assert_eq!(value_of(&json("[1]")), Err(CoerceError::NotScalar("array")));
        assert_eq!(value_of(&json("{}")), Err(CoerceError::NotScalar("object")));
        assert_eq!(value_of(&json("7")), Ok(Some(7)));
        assert_eq!(value_of(&s("0x7FFFFFFFFFFFFFFF")), Ok(Some(i64::MAX)));
    }
}
