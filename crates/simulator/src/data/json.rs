//! A minimal JSON writer that appends straight into a byte buffer.
//!
//! Pages are the simulator's hot path: writing bytes directly (no `serde_json::Value` tree, no
//! per-field allocation) keeps serving far faster than any client can download, and gives exact
//! control over what a messy vendor sends (a number here, a string there, keys left out).

use std::io::Write;

/// Appends `text` as a JSON string literal (quoted and escaped).
pub(crate) fn write_str(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0C => b"\\f",
            0x00..=0x1F => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            // Other control characters: \u00XX. Writing to a Vec cannot fail.
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends an unsigned integer.
pub(crate) fn write_u64(out: &mut Vec<u8>, n: u64) {
    let _ = write!(out, "{n}");
}

/// Appends a signed integer.
pub(crate) fn write_i64(out: &mut Vec<u8>, n: i64) {
    let _ = write!(out, "{n}");
}

/// Writes one JSON object's members, adding commas between them.
pub(crate) struct ObjectWriter<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> ObjectWriter<'a> {
    /// Opens an object.
    pub(crate) fn begin(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { out, first: true }
    }

    /// Writes `"key":` (with a comma when needed) and returns the buffer for the value.
    pub(crate) fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        write_str(self.out, key);
        self.out.push(b':');
        self.out
    }

    /// A string member.
    pub(crate) fn str(&mut self, key: &str, value: &str) {
        let out = self.key(key);
        write_str(out, value);
    }

    /// A member whose value is already JSON text (a number, `true`, `null`, ...).
    pub(crate) fn raw(&mut self, key: &str, json: &str) {
        self.key(key).extend_from_slice(json.as_bytes());
    }

    /// An unsigned integer member.
    pub(crate) fn u64(&mut self, key: &str, value: u64) {
        let out = self.key(key);
        write_u64(out, value);
    }

    /// Closes the object.
    pub(crate) fn end(self) {
        self.out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_serde_json() {
        for text in [
            "plain",
            "世纪天华 🚀",
            "quote \" backslash \\ newline \n tab \t",
            "bell \u{7} nul \u{0} unit \u{1f} del \u{7f}",
            "",
        ] {
            let mut out = Vec::new();
            write_str(&mut out, text);
            let back: String = serde_json::from_slice(&out).expect("valid JSON string");
            assert_eq!(back, text);
        }
    }

    #[test]
    fn writes_objects() {
        let mut out = Vec::new();
        let mut obj = ObjectWriter::begin(&mut out);
        obj.str("a", "x");
        obj.u64("b", 7);
        obj.raw("c", "null");
        obj.end();
        assert_eq!(out, br#"{"a":"x","b":7,"c":null}"#);
    }
}
