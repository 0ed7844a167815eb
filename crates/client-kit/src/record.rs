//! `VendorRecord<T>`: one record as the vendor sent it (raw JSON text) and as decoded.
//!
//! The unified schema keeps every record's raw JSON so no information is lost by mapping, and a
//! record that cannot be decoded must still reach `rejects` with its raw text. Decoding each
//! record on its own means one bad record never costs the rest of its page.

use std::fmt;

use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

/// A record's exact JSON text plus its decoded form, or why it did not decode.
pub struct VendorRecord<T> {
    raw: Box<RawValue>,
    decoded: Result<T, String>,
}

impl<T> VendorRecord<T> {
    /// The record exactly as received, as JSON text.
    pub fn raw_json(&self) -> &str {
        self.raw.get()
    }

    /// The decoded record, or the decoder's explanation (e.g. the record was not an object).
    pub fn decoded(&self) -> Result<&T, &str> {
        self.decoded.as_ref().map_err(String::as_str)
    }
}

impl<T: DeserializeOwned> VendorRecord<T> {
    /// Decodes one record from its JSON text (tests and the simulator build records this way).
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        let raw = RawValue::from_string(json.to_owned())?;
        Ok(Self::from_raw(raw))
    }

    fn from_raw(raw: Box<RawValue>) -> Self {
        let decoded = serde_json::from_str::<T>(raw.get()).map_err(|e| e.to_string());
        Self { raw, decoded }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for VendorRecord<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Ok(Self::from_raw(raw))
    }
}

impl<T> Serialize for VendorRecord<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}

impl<T: DeserializeOwned> Clone for VendorRecord<T> {
    fn clone(&self) -> Self {
        Self::from_raw(self.raw.clone())
    }
}

impl<T: fmt::Debug> fmt::Debug for VendorRecord<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VendorRecord")
            .field("raw", &self.raw.get())
            .field("decoded", &self.decoded)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Named {
        name: String,
    }

    #[test]
    fn keeps_raw_text_and_decodes() {
        let records: Vec<VendorRecord<Named>> =
            serde_json::from_str(r#"[{"name": "a", "extra": 1}, 5]"#).expect("valid JSON");
        assert_eq!(records[0].raw_json(), r#"{"name": "a", "extra": 1}"#);
        assert_eq!(records[0].decoded().map(|n| n.name.as_str()), Ok("a"));
        assert_eq!(records[1].raw_json(), "5");
        assert!(records[1].decoded().is_err());
    }
}
