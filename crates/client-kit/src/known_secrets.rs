//! Redaction by value: every secret and token this process holds is cut out of any text.
//!
//! Structural masking ([`crate::redact_url`], the JSON-key masking of [`crate::body_preview`])
//! only finds secrets where they are expected (`token=…`, `"app_secret": "…"`). A vendor that
//! echoes a credential in its own words (`"app_secret abc is wrong"`, an HTML page quoting the
//! request, `"bad request for session <token>"`) defeats it. So every [`crate::Secret`] and every
//! [`crate::AccessToken`] registers its value here when it is created, and [`redact`] replaces
//! each registered value — also in its URL-encoded and JSON-escaped forms — with `***`, wherever
//! it stands. Messages go through [`redact`] where vendor text enters an error, and the binary
//! passes its log lines, summary and manifest through it once more.
//!
//! Values shorter than [`MIN_SECRET_CHARS`] are not registered: cutting them out would mangle
//! ordinary words, and a credential that short is not one a vendor issues.

use std::sync::{PoisonError, RwLock};

/// Values shorter than this many characters are not treated as secrets.
pub const MIN_SECRET_CHARS: usize = 4;

/// What replaces a secret in text.
const MASK: &str = "***";

/// Every registered secret's forms, longest first (so a value that contains another is cut
/// whole).
static KNOWN: RwLock<Vec<Box<str>>> = RwLock::new(Vec::new());

/// Registers `value` (a configured secret or an issued token) and the forms it takes in URLs
/// and JSON, so [`redact`] cuts it out of any text from now on.
pub fn remember_secret(value: &str) {
    if value.chars().count() < MIN_SECRET_CHARS {
        return;
    }
    let mut forms = vec![value.to_owned(), percent_encoded(value)];
    if let Ok(json) = serde_json::to_string(value) {
        forms.push(json.trim_matches('"').to_owned());
    }
    let mut known = KNOWN.write().unwrap_or_else(PoisonError::into_inner);
    for form in forms {
        if !known.iter().any(|k| **k == *form) {
            known.push(form.into_boxed_str());
        }
    }
    known.sort_by_key(|k| std::cmp::Reverse(k.len()));
}

/// `text` with every registered secret replaced by `***`, then the structural masking of URL
/// query parameters (`token=`, `app_secret=`, ...) as a second layer.
pub fn redact(text: &str) -> String {
    crate::redact_url(&cut_known(text))
}

/// `text` with every registered secret replaced by `***`.
pub fn cut_known(text: &str) -> String {
    let known = KNOWN.read().unwrap_or_else(PoisonError::into_inner);
    let mut out = text.to_owned();
    for secret in known.iter() {
        if out.contains(&**secret) {
            out = out.replace(&**secret, MASK);
        }
    }
    out
}

/// `value` as a URL query carries it (RFC 3986 unreserved characters kept, the rest `%XX`).
fn percent_encoded(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registered_secret_is_cut_out_of_any_wrapping() {
        remember_secret("s3cr3t/with+chars\"q");
        let wrapped = [
            "app_secret s3cr3t/with+chars\"q is wrong",
            "<p>t=s3cr3t/with+chars\"q</p>",
            "GET /system/token?app_secret=s3cr3t%2Fwith%2Bchars%22q&x=1",
            r#"{"errmsg":"bad s3cr3t/with+chars\"q"}"#,
        ];
        for text in wrapped {
            let cut = redact(text);
            assert!(!cut.contains("s3cr3t"), "{text} -> {cut}");
            assert!(cut.contains("***"), "{cut}");
        }
    }

    #[test]
    fn short_values_and_other_text_are_left_alone() {
        remember_secret("abc");
        assert_eq!(cut_known("abc is a word"), "abc is a word");
        assert_eq!(cut_known("nothing secret here"), "nothing secret here");
    }

    #[test]
    fn a_secret_inside_a_longer_one_does_not_leave_a_tail() {
        remember_secret("tok-12345");
        remember_secret("tok-12345-extended");
        assert_eq!(cut_known("x tok-12345-extended y"), "x *** y");
    }
}
