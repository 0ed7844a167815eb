//! `LooseString`: a vendor scalar kept exactly as text, whatever JSON type it arrived as.
//!
//! Vendors document strings but send numbers (`"mobile": 13811388661`), booleans and nulls. A
//! strictly typed field would fail the whole page; this type accepts every JSON value so a page
//! always decodes, and the mapping decides later, field by field, what the text means.

use std::fmt;
use std::str::FromStr;

use compact_str::{CompactString, ToCompactString};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// The JSON type a [`LooseString`] arrived as, so the mapping can reject what is not a scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LooseKind {
    /// A JSON string.
    String,
    /// A JSON number; the text is its decimal form.
    Number,
    /// A JSON boolean; the text is `true` or `false`.
    Bool,
    /// JSON `null`; the text is empty.
    Null,
    /// A JSON array or object where a scalar was expected; the text is its compact JSON.
    Nested,
}

/// A scalar the vendor may send as string, number, boolean or null, kept as the text it sent.
///
/// The text is a `CompactString`: codes, phone numbers, dates and flags (most vendor fields) fit
/// inline in 24 bytes, which saves a heap allocation per field when decoding millions of records.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LooseString {
    text: CompactString,
    kind: LooseKind,
}

impl LooseString {
    /// A value that arrived as a JSON string.
    pub fn string(text: impl Into<String>) -> Self {
        Self {
            text: CompactString::from(text.into()),
            kind: LooseKind::String,
        }
    }

    /// A value that arrived as a JSON number written as `text`.
    pub fn number(text: impl Into<String>) -> Self {
        Self {
            text: CompactString::from(text.into()),
            kind: LooseKind::Number,
        }
    }

    /// The text as sent (numbers in decimal, booleans as `true`/`false`, null as empty).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Which JSON type the value arrived as.
    pub fn kind(&self) -> LooseKind {
        self.kind
    }

    /// Takes the text out without copying.
    pub fn into_string(self) -> String {
        self.text.into_string()
    }
}

impl fmt::Display for LooseString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for LooseString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}({:?})", self.kind, self.text)
    }
}

impl FromStr for LooseString {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::string(s))
    }
}

impl From<&str> for LooseString {
    fn from(s: &str) -> Self {
        Self::string(s)
    }
}

impl Serialize for LooseString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.kind {
            LooseKind::String => serializer.serialize_str(&self.text),
            LooseKind::Bool => serializer.serialize_bool(self.text == "true"),
            LooseKind::Null => serializer.serialize_none(),
            LooseKind::Number | LooseKind::Nested => {
                match serde_json::from_str::<serde_json::Value>(&self.text) {
                    Ok(value) => value.serialize(serializer),
                    Err(_) => serializer.serialize_str(&self.text),
                }
            }
        }
    }
}

impl<'de> Deserialize<'de> for LooseString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = LooseString;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(LooseString {
            text: CompactString::new(v),
            kind: LooseKind::String,
        })
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(LooseString::string(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(LooseString {
            text: v.to_compact_string(),
            kind: LooseKind::Number,
        })
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(LooseString {
            text: v.to_compact_string(),
            kind: LooseKind::Number,
        })
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // serde_json prints the shortest text that reads back as the same f64.
        let text = serde_json::Number::from_f64(v)
            .map(|n| n.to_string())
            .unwrap_or_else(|| v.to_string());
        Ok(LooseString::number(text))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(LooseString {
            text: CompactString::const_new(if v { "true" } else { "false" }),
            kind: LooseKind::Bool,
        })
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(LooseString {
            text: CompactString::const_new(""),
            kind: LooseKind::Null,
        })
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let value = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok(nested(value))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let value = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(nested(value))
    }
}

fn nested(value: serde_json::Value) -> LooseString {
    LooseString {
        text: CompactString::from(value.to_string()),
        kind: LooseKind::Nested,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> LooseString {
        serde_json::from_str(json).expect("test JSON is valid")
    }

    #[test]
    fn keeps_big_integers_exactly_as_sent() {
        let v = parse("13811388661");
        assert_eq!(v.as_str(), "13811388661");
        assert_eq!(v.kind(), LooseKind::Number);
    }

    #[test]
    fn accepts_every_json_type() {
        assert_eq!(parse("\"世纪天华\"").as_str(), "世纪天华");
        assert_eq!(parse("true").as_str(), "true");
        assert_eq!(parse("null").kind(), LooseKind::Null);
        assert_eq!(parse("-7").as_str(), "-7");
        assert_eq!(parse("1.5").as_str(), "1.5");
        let nested = parse("{\"a\": [1, 2]}");
        assert_eq!(nested.kind(), LooseKind::Nested);
        assert_eq!(nested.as_str(), "{\"a\":[1,2]}");
    }

    #[test]
    fn serializes_back_to_the_same_json_type() {
        for json in ["\"x\"", "13811388661", "true", "null", "[1,2]"] {
            assert_eq!(
                serde_json::to_string(&parse(json)).expect("serializes"),
                json
            );
        }
    }
}
