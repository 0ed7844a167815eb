//! Redaction of URLs and transport errors.
//!
//! U8 sends its token (and the token call its app_secret) in the URL query, and reqwest puts the
//! URL into its error messages. Everything that may reach a message goes through here first.

use std::fmt;

/// Query parameters whose values are secrets in either vendor's API.
pub const SENSITIVE_QUERY_KEYS: &[&str] = &[
    "token",
    "app_secret",
    "access_token",
    "refresh_token",
    "client_secret",
];

/// Replaces the value of every sensitive query parameter in `url` with `***`.
///
/// Works on text rather than a parsed URL so it also cleans URLs embedded in longer messages.
pub fn redact_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    while let Some(pos) = rest.find(['?', '&']) {
        out.push_str(&rest[..=pos]);
        rest = &rest[pos + 1..];
        let key_end = rest.find('=').unwrap_or(rest.len());
        let key = &rest[..key_end];
        let is_secret = SENSITIVE_QUERY_KEYS
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key));
        if is_secret && key_end < rest.len() {
            out.push_str(key);
            out.push_str("=***");
            let value = &rest[key_end + 1..];
            let value_end = value
                .find(|c: char| c == '&' || c == '#' || c == ')' || c.is_whitespace())
                .unwrap_or(value.len());
            rest = &value[value_end..];
        }
    }
    out.push_str(rest);
    out
}

/// How much of an answer's body an error message quotes.
const PREVIEW_BYTES: usize = 120;

/// The start of an answer's body, for an error message about it (e.g. a body that does not
/// decode). A token endpoint's answer is never quoted — a garbled one may still carry a live
/// token in its first bytes — and in any other body the values of sensitive JSON keys and URL
/// query parameters are replaced with `***`.
pub fn body_preview(operation: &str, body: &[u8]) -> String {
    if operation.to_ascii_lowercase().contains("token") {
        return format!(
            "<{} bytes, not shown: token answers carry credentials>",
            body.len()
        );
    }
    // Secrets are cut before the text is shortened, so a secret that straddles the cut cannot
    // leave its first half behind (the extra window is far longer than any credential).
    let window = &body[..body.len().min(PREVIEW_BYTES * 4 + 4096)];
    let text = crate::cut_known(&String::from_utf8_lossy(window));
    let end = text
        .char_indices()
        .nth(PREVIEW_BYTES)
        .map_or(text.len(), |(at, _)| at);
    format!("{:?}", mask_json_secrets(&redact_url(&text[..end])))
}

/// Replaces the string value of every `"<sensitive key>": "..."` pair with `***` (also a value
/// cut off by the end of the text).
fn mask_json_secrets(text: &str) -> String {
    let mut out = text.to_owned();
    for key in SENSITIVE_QUERY_KEYS {
        let quoted = format!("\"{key}\"");
        let mut from = 0;
        while let Some(found) = out[from..].find(&quoted) {
            let after_key = from + found + quoted.len();
            let rest = &out[after_key..];
            let trimmed = rest.trim_start_matches([' ', ':']);
            let Some(value) = trimmed.strip_prefix('"') else {
                from = after_key;
                continue;
            };
            let value_start = out.len() - value.len();
            let value_end = value.find('"').map_or(out.len(), |end| value_start + end);
            out.replace_range(value_start..value_end, "***");
            from = value_start + 3;
        }
    }
    out
}

/// Why a request got no usable HTTP answer, sorted for the retry policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportFailureKind {
    /// No answer within the configured timeout.
    Timeout,
    /// The connection could not be made.
    Connect,
    /// The answer started but its body broke off (a dropped connection).
    Body,
    /// Anything else reqwest reported.
    Other,
}

/// A transport error with the URL removed and the message redacted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportFailure {
    /// What kind of failure it was.
    pub kind: TransportFailureKind,
    /// reqwest's explanation, including its causes, without any URL or secret.
    pub message: String,
}

impl TransportFailure {
    /// Sorts and redacts a reqwest error.
    pub fn from_reqwest(error: reqwest::Error) -> Self {
        let kind = if error.is_timeout() {
            TransportFailureKind::Timeout
        } else if error.is_connect() {
            TransportFailureKind::Connect
        } else if error.is_body() || error.is_decode() {
            TransportFailureKind::Body
        } else {
            TransportFailureKind::Other
        };
        let error = error.without_url();
        let mut message = error.to_string();
        let mut previous = message.clone();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            // Body wrappers repeat their cause's text ("request or response body error" several
            // times over): each distinct text is said once.
            let text = cause.to_string();
            if text != previous {
                message.push_str(": ");
                message.push_str(&text);
                previous = text;
            }
            source = cause.source();
        }
        Self {
            kind,
            message: crate::redact(&message),
        }
    }

    /// Whether trying again may help (every transport failure may be passing).
    pub fn is_retryable(&self) -> bool {
        true
    }
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_secret_query_values_only() {
        let url = "https://api.yonyouup.com/api/customer/get?from_account=a&token=843d03f&id=17";
        assert_eq!(
            redact_url(url),
            "https://api.yonyouup.com/api/customer/get?from_account=a&token=***&id=17"
        );
        assert_eq!(
            redact_url("error for url (http://h/system/token?app_key=k&app_secret=s3cr3t)"),
            "error for url (http://h/system/token?app_key=k&app_secret=***)"
        );
        assert_eq!(redact_url("no query here"), "no query here");
        assert_eq!(
            redact_url("http://h/?TOKEN=x#frag"),
            "http://h/?TOKEN=***#frag"
        );
    }

    #[test]
    fn body_previews_never_show_tokens() {
        let token_answer = br#"{"errcode":"0","token":{"id":"6bc639ccadcc5087","appKey":"k"}}"#;
        let shown = body_preview("system/token", token_answer);
        assert!(!shown.contains("6bc639"), "{shown}");
        assert!(shown.contains("not shown"), "{shown}");
        let page = br#"{"status":"Failed","access_token": "abc123", "refresh_token":"def"#;
        let shown = body_preview("customers", page);
        assert!(
            !shown.contains("abc123") && !shown.contains("def\""),
            "{shown}"
        );
        assert!(shown.contains("Failed"), "{shown}");
        let url = br#"<a href="/x?token=sekrit&page=2">"#;
        assert!(!body_preview("customer/batch_get", url).contains("sekrit"));
    }
}
