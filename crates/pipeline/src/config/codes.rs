//! Vendor error codes a source adds to its vendor's known lists.

/// Adds the configured `codes` to a vendor's default list (a source extends what is known, it
/// cannot forget a code the vendor is known to send).
pub(super) fn add_codes(list: &mut Vec<String>, codes: &[String]) {
    for code in codes {
        let code = code.trim();
        if !list.iter().any(|known| known == code) {
            list.push(code.to_owned());
        }
    }
}
