//! E-mail addresses as match keys: the address people typed in, one canonical spelling out.
//!
//! The domain is case-insensitive and has one ASCII form (IDNA, UTS 46), so it is lower-cased
//! and punycoded; the local part is kept exactly as written (see [`email_normalized`]). This is
//! a match key, not an RFC 5322 validator: it refuses what cannot be one address (no or several
//! `@`, white space or list separators inside, a domain that is not a host name) and keeps the
//! rest.

/// Characters that cannot occur in an unquoted local part (RFC 5322 `specials`, minus `.` and
/// `@`): seeing one means a display name, a list of addresses or junk, not one address.
/// Quoted local parts (`"john doe"@example.com`) are not supported; they are vanishingly rare in
/// customer master data.
const LOCAL_PART_SPECIALS: &[char] = &['<', '>', '(', ')', '[', ']', ',', ';', ':', '\\', '"'];

/// Normalises an e-mail address for matching, or `None` if it is not one address.
///
/// Rules, in order: trim white space (any Unicode white space, and zero-width junk); strip one
/// surrounding `<…>` and a leading `mailto:` (any case, its `?subject=…` query dropped); read a
/// full-width `＠` as `@`; require exactly one `@` with a non-empty local part and domain. The
/// local part is kept as written, case included: RFC 5321 makes it case-sensitive, and folding
/// it would link two mailboxes that a server may tell apart (precision over recall). The domain
/// loses one trailing dot, then is mapped to lower-case ASCII by IDNA (UTS 46 with the STD3
/// host-name rules and DNS length limits, `idna::domain_to_ascii_strict`), and must have at
/// least two labels.
pub fn email_normalized(raw: &str) -> Option<String> {
    let address = unwrap_address(raw);
    let (local, domain) = split_at_single_at(address)?;
    if !is_plausible_local_part(local) {
        return None;
    }
    let domain = ascii_domain(domain)?;
    let mut normalized = String::with_capacity(local.len() + 1 + domain.len());
    normalized.push_str(local);
    normalized.push('@');
    normalized.push_str(&domain);
    Some(normalized)
}

/// `raw` without surrounding white space, `<…>` and a `mailto:` scheme.
fn unwrap_address(raw: &str) -> &str {
    let mut address = trim(raw);
    address = strip_angle_brackets(address);
    if let Some(rest) = strip_mailto(address) {
        // In a mailto URI `?` starts the header fields (`?subject=…`).
        address = rest.split('?').next().unwrap_or(rest);
        address = strip_angle_brackets(trim(address));
    }
    address
}

/// Trims Unicode white space and the invisible characters that copy and paste leaves behind.
fn trim(text: &str) -> &str {
    text.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '\u{200B}' | '\u{2060}' | '\u{FEFF}')
    })
}

/// `text` without one pair of surrounding angle brackets (ASCII or full-width), trimmed.
fn strip_angle_brackets(text: &str) -> &str {
    let inner = text
        .strip_prefix(['<', '＜'])
        .and_then(|rest| rest.strip_suffix(['>', '＞']));
    inner.map_or(text, trim)
}

/// The rest of `text` after a leading `mailto:` in any case, trimmed.
fn strip_mailto(text: &str) -> Option<&str> {
    const SCHEME: &str = "mailto:";
    let head = text.get(..SCHEME.len())?;
    head.eq_ignore_ascii_case(SCHEME)
        .then(|| trim(&text[SCHEME.len()..]))
}

/// The local part and the domain of an address with exactly one `@` (or full-width `＠`),
/// both non-empty.
fn split_at_single_at(address: &str) -> Option<(&str, &str)> {
    let mut ats = address.match_indices(['@', '＠']);
    let (index, at) = ats.next()?;
    if ats.next().is_some() {
        return None;
    }
    let local = &address[..index];
    let domain = &address[index + at.len()..];
    (!local.is_empty() && !domain.is_empty()).then_some((local, domain))
}

/// Whether `local` can be an unquoted local part: no white space, control characters or
/// specials. Non-ASCII is allowed (RFC 6531, `用户@例子.测试`).
fn is_plausible_local_part(local: &str) -> bool {
    !local
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || LOCAL_PART_SPECIALS.contains(&c))
}

/// The lower-case ASCII form of `domain`, or `None` if it is not a host name with a dot.
fn ascii_domain(domain: &str) -> Option<String> {
    if domain.chars().any(char::is_whitespace) {
        return None;
    }
    // A fully qualified `example.com.` is the same domain; IDNA would keep the root label.
    let domain = domain
        .strip_suffix(['.', '。', '．', '｡'])
        .unwrap_or(domain);
    let ascii = idna::domain_to_ascii_strict(domain).ok()?;
    let has_two_labels = ascii.contains('.') && ascii.split('.').all(|label| !label.is_empty());
    has_two_labels.then_some(ascii)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn norm(raw: &str) -> Option<String> {
        email_normalized(raw)
    }

    #[test]
    fn trims_and_lower_cases_the_domain_only() {
        assert_eq!(
            norm("  Zhang.San@Example.COM ").as_deref(),
            Some("Zhang.San@example.com")
        );
        assert_eq!(
            norm("\u{3000}li.si@qq.com\u{00A0}\t").as_deref(),
            Some("li.si@qq.com")
        );
        assert_eq!(norm("\u{FEFF}a@b.cn\u{200B}").as_deref(), Some("a@b.cn"));
        assert_eq!(
            norm("USER@EXAMPLE.COM").as_deref(),
            Some("USER@example.com")
        );
    }

    #[test]
    fn strips_mailto_and_angle_brackets() {
        assert_eq!(norm("<zs@example.com>").as_deref(), Some("zs@example.com"));
        assert_eq!(
            norm("  < zs@example.com >  ").as_deref(),
            Some("zs@example.com")
        );
        assert_eq!(
            norm("＜zs@example.com＞").as_deref(),
            Some("zs@example.com")
        );
        assert_eq!(
            norm("mailto:zs@example.com").as_deref(),
            Some("zs@example.com")
        );
        assert_eq!(
            norm("MAILTO:zs@Example.com").as_deref(),
            Some("zs@example.com")
        );
        assert_eq!(
            norm("<mailto:zs@example.com>").as_deref(),
            Some("zs@example.com")
        );
        assert_eq!(
            norm("mailto:<zs@example.com>").as_deref(),
            Some("zs@example.com")
        );
        assert_eq!(
            norm("mailto:zs@example.com?subject=Hello").as_deref(),
            Some("zs@example.com")
        );
    }

    #[test]
    fn full_width_at_and_dots() {
        assert_eq!(norm("zs＠example.com").as_deref(), Some("zs@example.com"));
        // UTS 46 maps full-width letters and ideographic full stops in the domain.
        assert_eq!(
            norm("zs@ＥＸＡＭＰＬＥ。ｃｏｍ").as_deref(),
            Some("zs@example.com")
        );
    }

    #[test]
    fn trailing_dot_of_the_domain_is_removed() {
        assert_eq!(norm("zs@example.com.").as_deref(), Some("zs@example.com"));
    }

    #[test]
    fn international_domains_are_punycoded() {
        assert_eq!(
            norm("user@bücher.de").as_deref(),
            Some("user@xn--bcher-kva.de")
        );
        assert_eq!(
            norm("user@BÜCHER.de").as_deref(),
            Some("user@xn--bcher-kva.de")
        );
        assert_eq!(
            norm("user@xn--bcher-kva.de").as_deref(),
            Some("user@xn--bcher-kva.de")
        );
        assert_eq!(
            norm("用户@例子.测试").as_deref(),
            Some("用户@xn--fsqu00a.xn--0zwm56d")
        );
        assert_eq!(
            norm("info@中国移动.中国").as_deref(),
            Some("info@xn--fiq02ib9d179b.xn--fiqs8s")
        );
    }

    #[test]
    fn invalid_addresses_give_none() {
        for raw in [
            "",
            "   ",
            "n/a",
            "zhangsan",
            "zhangsan.example.com",
            "@example.com",
            "zs@",
            "zs@@example.com",
            "zs@a@example.com",
            "zs＠a@example.com",
            "zhang san@example.com",
            "zs@exam ple.com",
            "zs@localhost",
            "zs@example..com",
            "zs@.example.com",
            "zs@example.com..",
            "zs@exa_mple.com",
            "zs@[192.168.0.1]",
            "Zhang San <zs@example.com>",
            "a@b.com;c@d.com",
            "a@b.com, c@d.com",
            "zs\u{0007}@example.com",
            "mailto:",
            "<>",
            "zs@-example.com",
            "zs@xn--a.com",
        ] {
            assert_eq!(norm(raw), None, "{raw:?}");
        }
        let long_label = format!("zs@{}.com", "a".repeat(64));
        assert_eq!(norm(&long_label), None);
    }

    #[test]
    fn normalized_address_is_a_fixed_point() {
        for raw in [
            "  Zhang.San@Example.COM ",
            "user@bücher.de",
            "<mailto:用户@例子.测试>",
        ] {
            let once = norm(raw).unwrap();
            assert_eq!(norm(&once).as_deref(), Some(once.as_str()));
        }
    }

    proptest! {
        #[test]
        fn never_panics_and_is_idempotent(raw in "\\PC{0,40}") {
            if let Some(once) = email_normalized(&raw) {
                prop_assert_eq!(email_normalized(&once), Some(once.clone()));
            }
        }

        #[test]
        fn address_like_strings_are_idempotent(
            raw in "[ <]?(mailto:)?[a-zA-Z0-9._%+ü用-]{1,12}[@＠][a-zA-Z0-9.ü例-]{1,16}[ >.]?"
        ) {
            if let Some(once) = email_normalized(&raw) {
                prop_assert_eq!(email_normalized(&once), Some(once.clone()));
            }
        }
    }
}
