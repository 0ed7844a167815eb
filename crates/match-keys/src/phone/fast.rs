//! The fast path of [`phone_e164`](super::phone_e164): Chinese mobiles and landlines answered
//! without libphonenumber's parser, with exactly the answer libphonenumber would give.
//!
//! An export normalises millions of phone values, and libphonenumber spends about a
//! microsecond on each (extension, viability and pattern regexes before the metadata is even
//! consulted). Most values are Chinese mobiles and landlines in a handful of written forms, for
//! which the answer follows from a few lines of the Chinese metadata. This module answers those
//! and declines everything else, which then goes to libphonenumber as before. It never says a
//! number is invalid: a declined number may still be valid, the full rules decide.
//!
//! # Why the answers are libphonenumber's
//!
//! The fast path reads only strings of ASCII digits, `-`, `(`, `)`, spaces and at most one `+`
//! before the first digit, which is what [`WrittenNumber`](super::WrittenNumber) makes of most
//! values (full-width digits and other dashes and spaces included). On such a string
//! libphonenumber 2.2.15 (`parse`, `is_valid`, E.164 `format`) depends only on whether there is
//! a `+`, the digit string and the default region: it starts the number at the `+` or the first
//! digit and trims trailing separators; its second-number, extension and RFC 3966 rules look
//! for letters, `#`, `~`, `/`, `\`, `,` or `;`, and there are none; the number is viable
//! (three digits or more, separators from its punctuation set); then the part after `+`, or the
//! whole, is reduced to its digits before anything else is looked at. The digit strings
//! accepted here, with `N` a *known national number* (below), are:
//!
//! - `+86 N`, in any default region or none: `86` is the only country code that is a prefix of
//!   `86…` (`8` is none), so the country is China; `N` starts with neither `0` nor `1[12]`
//!   nor `179`, so China's national prefix for parsing (`(1(?:[12]\d|79)\d\d)|0`) leaves it
//!   alone, and its length (10 or 11) is possible: the national number is `N`.
//! - in default region CN (international prefix `00|1(?:[12]\d|79)\d\d00`):
//!   - `N`: no international prefix, no leading `86` (no known `N` starts with it), no
//!     national prefix: the national number is `N`;
//!   - `0 N`: `0` and a digit from 1 to 9 are no international prefix and no `86`; the whole
//!     matches no general pattern (none starts with `0`), so the national prefix `0` is
//!     stripped, leaving `N`;
//!   - `86 N`: no international prefix; the whole (12 or 13 digits starting `86`) matches no
//!     general pattern (none has 13 digits, those of 12 start with 1 or 2) while `N` does, so
//!     `86` is taken as the country code, leaving `N`;
//!   - `00 86 N`: the international prefix `00` is followed by 8, not 0, so it is stripped and
//!     the rest read as after `+`.
//! - `00 86 N` in another default region whose international prefix is exactly `00` (DE and
//!   most of Europe): as above. Other regions (`011` in the US) are declined.
//!
//! Raw values made only of ASCII digits, spaces, `-`, `.`, `/`, `(`, `)` and at most one `+`
//! before the first digit, 64 characters at most, skip `WrittenNumber` too
//! ([`known_valid_e164_raw`]): it would turn `.` and `/` into spaces, find no extension and
//! keep the same `+` and digits, so libphonenumber would see a number with the same answer.
//!
//! A known national number is valid: it matches the general pattern with a possible length,
//! and the mobile or the fixed-line pattern with one of their lengths (see [`is_mobile`] and
//! [`is_landline`]; the type does not matter, any type but unknown is valid). The E.164 form of
//! a valid Chinese number is `+86` and the national number, which has no leading zero.
//!
//! This argument reads the metadata of the pinned rlibphonenumber release. [`METADATA_AS_PROVEN`]
//! checks at first use that every piece of metadata it relies on is the one quoted here, and
//! turns the fast path off otherwise, so a metadata update can make it slower but never wrong.

use std::sync::LazyLock;

use rlibphonenumber::interfaces::AsOriginal;
use rlibphonenumber::{PHONE_NUMBER_UTIL, Region};

/// The most digits a fast-path number can have: `00 86` and an 11-digit national number.
const MAX_DIGITS: usize = 15;

/// China's country calling code.
const CN_COUNTRY_CODE: i32 = 86;

/// The metadata the module docs argue from, exactly as rlibphonenumber 2.2.15 holds it.
mod proven {
    /// China's international prefix.
    pub const CN_INTERNATIONAL_PREFIX: &str = r"^(?:00|1(?:[12]\d|79)\d\d00)$";
    /// China's national prefix for parsing (trunk `0` or a carrier-selection code).
    pub const CN_NATIONAL_PREFIX_FOR_PARSING: &str = r"^(?:(1(?:[12]\d|79)\d\d)|0)$";
    /// China's general number pattern and its possible lengths.
    pub const CN_GENERAL: (&str, &[i32]) = (
        r"^(?:(?:(?:1[03-689]|2\d)\d\d|6)\d{8}|1\d{10}|[126]\d{6}(?:\d(?:\d{2})?)?|86\d{5,6}|(?:[3-579]\d|8[0-57-9])\d{5,9})$",
        &[7, 8, 9, 10, 11, 12],
    );
    /// China's mobile pattern and its possible lengths.
    pub const CN_MOBILE: (&str, &[i32]) = (
        r"^(?:1(?:610\d|740[0-5])\d{6}|1(?:[38]\d|4[57]|[59][0-35-9]|6[25-7]|7[0-35-8])\d{8})$",
        &[11],
    );
    /// China's fixed-line pattern and its possible lengths.
    pub const CN_FIXED_LINE: (&str, &[i32]) = (
        concat!(
            r"^(?:(?:10(?:[02-79]\d\d|[18](?:0[1-9]|[1-9]\d))|2(?:[02-57-9]\d{3}|1(?:[18](?:0[1-9]|[1-9]\d)|[2-79]\d\d))|9(?:78|94)\d\d)\d{5}",
            r"|(?:43[35]|754|851)\d{7,8}",
            r"|(?:10|2[0-57-9])(?:1(?:00|23)\d\d|95\d{3,4})",
            r"|(?:43[35]|754|851)(?:1(?:00\d|23)\d|95\d{3,4})",
            r"|9(?:78|94)(?:100\d\d|95\d{3,4})",
            r"|(?:3(?:11|7[179])|4(?:[15]1|3[12])|5(?:1\d|2[37]|3[12]|51|7[13-79]|9[15])|7(?:[39]1|5[57]|6[09])|8(?:71|98))",
            r"(?:[02-8]\d{7}|1(?:0(?:0\d\d(?:\d{3})?|[1-9]\d{5})|[13-9]\d{6}|2(?:[0-24-9]\d{5}|3\d(?:\d{4})?))|9(?:[0-46-9]\d{6}|5\d{3}(?:\d(?:\d{2})?)?))",
            r"|(?:3(?:1[02-9]|35|49|5\d|7[02-6]|9[1-68])|4(?:1[25-9]|2[179]|3[46-9]|5[2-9]|6[47-9]|7\d|8[23])|5(?:3[03-9]|4[36]|5[02-9]|6[1-46]|7[028]|80|9[2-46-9])|6(?:3[1-35]|6[0238]|9[12])|7(?:01|[17]\d|2[248]|3[04-9]|4[3-6]|5[0-3689]|6[2368]|9[02-9])|8(?:1[236-8]|2[5-7]|3\d|5[4-9]|7[02-9]|8[36-8]|9[1-7])|9(?:0[1-3689]|1[1-79]|3\d|4[13]|5[1-5]|7[0-79]|9[0-35-9]))",
            r"(?:[02-8]\d{6}|1(?:0(?:0\d\d(?:\d{2})?|[1-9]\d{4})|[13-9]\d{5}|2(?:[0-24-9]\d{4}|3\d(?:\d{3})?))|9(?:[0-46-9]\d{5}|5\d{3,5})))$",
        ),
        &[7, 8, 9, 10, 11],
    );
    /// An international prefix that is `00` and nothing else.
    pub const INTERNATIONAL_PREFIX_00: &str = r"^(?:00)$";
}

/// Whether the phone metadata in use is the one the module docs argue from; the fast path is
/// off if not.
pub(super) static METADATA_AS_PROVEN: LazyLock<bool> = LazyLock::new(metadata_as_proven);

/// Compares every piece of metadata the module docs rely on with [`proven`].
fn metadata_as_proven() -> bool {
    let util = PHONE_NUMBER_UTIL.as_original();
    let Some(cn) = util.get_metadata_for_region(Region::CN) else {
        return false;
    };
    let desc_is = |desc: &rlibphonenumber::PhoneNumberDesc,
                   pattern: &Option<String>,
                   proven: (&str, &[i32])| {
        pattern.as_deref() == Some(proven.0) && desc.possible_length == proven.1
    };
    let only_cn_has_86 = util
        .get_regions_for_country_calling_code(CN_COUNTRY_CODE)
        .is_some_and(|regions| regions.eq([Region::CN]));
    only_cn_has_86
        && util.get_region_for_country_code(8).is_none()
        && cn.original.country_code() == CN_COUNTRY_CODE
        && cn.international_prefix().pattern_base.as_deref()
            == Some(proven::CN_INTERNATIONAL_PREFIX)
        && cn.national_prefix_for_parsing().pattern_base.as_deref()
            == Some(proven::CN_NATIONAL_PREFIX_FOR_PARSING)
        && cn.original.national_prefix_transform_rule().is_empty()
        && desc_is(
            &cn.general_desc.original,
            &cn.general_desc.national_number_pattern().pattern_base,
            proven::CN_GENERAL,
        )
        && desc_is(
            &cn.mobile.original,
            &cn.mobile.national_number_pattern().pattern_base,
            proven::CN_MOBILE,
        )
        && desc_is(
            &cn.fixed_line.original,
            &cn.fixed_line.national_number_pattern().pattern_base,
            proven::CN_FIXED_LINE,
        )
}

/// The E.164 form of `number`, a plain number from [`WrittenNumber`](super::WrittenNumber), if
/// it is one of the forms in the module docs and a known national number; `None` means "ask
/// libphonenumber", not "invalid".
pub(super) fn known_valid_e164(number: &str, region: Option<Region>) -> Option<String> {
    known_valid_e164_with(number, PLAIN_SEPARATORS, region)
}

/// [`known_valid_e164`] for a raw value, before [`WrittenNumber`](super::WrittenNumber): the
/// same answer for the raw values described in the module docs, `None` for others.
pub(super) fn known_valid_e164_raw(raw: &str, region: Option<Region>) -> Option<String> {
    if raw.len() > super::MAX_RAW_CHARS {
        return None;
    }
    known_valid_e164_with(raw, RAW_SEPARATORS, region)
}

/// The separators in a plain number.
const PLAIN_SEPARATORS: &[u8] = b" -()";

/// The ASCII separators a raw value may have for [`known_valid_e164_raw`]: those of a plain
/// number, and `.` and `/`, which `WrittenNumber` turns into spaces.
const RAW_SEPARATORS: &[u8] = b" -()./";

/// [`known_valid_e164`] for a number with `separators` between its digits.
fn known_valid_e164_with(
    number: &str,
    separators: &[u8],
    region: Option<Region>,
) -> Option<String> {
    if !*METADATA_AS_PROVEN {
        return None;
    }
    let dialled = Dialled::read(number, separators)?;
    let national = chinese_national_number(&dialled, region)?;
    if !(is_mobile(national) || is_landline(national)) {
        return None;
    }
    let mut e164 = String::with_capacity(3 + national.len());
    e164.push_str("+86");
    e164.extend(national.iter().map(|&digit| char::from(b'0' + digit)));
    Some(e164)
}

/// A plain number reduced to what libphonenumber reads from it: a leading `+` and the digits.
struct Dialled {
    /// Whether the number starts with `+`.
    plus: bool,
    /// Digit values (0 to 9), in order; `len` of them are used.
    digits: [u8; MAX_DIGITS],
    /// How many digits there are.
    len: usize,
}

impl Dialled {
    /// Reads `number`, or `None` if it has a character other than ASCII digits, `separators`
    /// and one `+` before the first digit, or more than [`MAX_DIGITS`] digits.
    fn read(number: &str, separators: &[u8]) -> Option<Dialled> {
        let mut dialled = Dialled {
            plus: false,
            digits: [0; MAX_DIGITS],
            len: 0,
        };
        for byte in number.bytes() {
            match byte {
                b'0'..=b'9' => {
                    *dialled.digits.get_mut(dialled.len)? = byte - b'0';
                    dialled.len += 1;
                }
                b'+' if !dialled.plus && dialled.len == 0 => dialled.plus = true,
                _ if separators.contains(&byte) => {}
                _ => return None,
            }
        }
        Some(dialled)
    }

    /// The digits read.
    fn digits(&self) -> &[u8] {
        &self.digits[..self.len]
    }
}

/// The national number libphonenumber reads from `dialled` as a Chinese number, for the forms
/// in the module docs (the caller still checks that it is a known national number).
fn chinese_national_number(dialled: &Dialled, region: Option<Region>) -> Option<&[u8]> {
    let digits = dialled.digits();
    if dialled.plus {
        return digits.strip_prefix(&[8, 6]);
    }
    match region {
        Some(Region::CN) => Some(
            digits
                .strip_prefix(&[0, 0, 8, 6])
                .or_else(|| digits.strip_prefix(&[8, 6]))
                .or_else(|| digits.strip_prefix(&[0]))
                .unwrap_or(digits),
        ),
        Some(other) if international_prefix_is_00(other) => digits.strip_prefix(&[0, 0, 8, 6]),
        _ => None,
    }
}

/// Whether `region`'s international prefix is exactly `00`.
fn international_prefix_is_00(region: Region) -> bool {
    PHONE_NUMBER_UTIL
        .as_original()
        .get_metadata_for_region(region)
        .is_some_and(|metadata| {
            metadata.international_prefix().pattern_base.as_deref()
                == Some(proven::INTERNATIONAL_PREFIX_00)
        })
}

/// Whether `national` is a valid Chinese mobile number: 11 digits matching the mobile pattern
/// `1(?:610\d|740[0-5])\d{6}|1(?:[38]\d|4[57]|[59][0-35-9]|6[25-7]|7[0-35-8])\d{8}` arm by
/// arm. Such a number also matches the general pattern (`1\d{10}`, length 11 possible).
fn is_mobile(national: &[u8]) -> bool {
    national.len() == 11
        && matches!(
            national,
            [1, 6, 1, 0, ..]
                | [1, 7, 4, 0, 0..=5, ..]
                | [1, 3 | 8, ..]
                | [1, 4, 5 | 7, ..]
                | [1, 5 | 9, 0..=3 | 5..=9, ..]
                | [1, 6, 2 | 5..=7, ..]
                | [1, 7, 0..=3 | 5..=8, ..]
        )
}

/// Whether `national` is one of the Chinese landline numbers the fast path knows, a subset of
/// the fixed-line pattern ([`proven::CN_FIXED_LINE`]):
///
/// - area code `10` or `2[0-57-9]` and 8 digits, exactly as the arm
///   `(?:10(?:[02-79]\d\d|[18](?:0[1-9]|[1-9]\d))|2(?:[02-57-9]\d{3}|1(?:[18](?:0[1-9]|[1-9]\d)|[2-79]\d\d))|…)\d{5}`
///   allows; 10 digits starting with 1 or 2 match the general `[126]\d{6}\d\d{2}`;
/// - a 3-digit area code and 7 digits starting `[02-8]`, see [`has_7_digit_subscribers`];
/// - a 3-digit area code and 8 digits starting `[02-8]`, see [`has_8_digit_subscribers`].
///
/// The 3-digit codes start with 3 to 9 but never `86`, so 10 or 11 digits match the general
/// `(?:[3-579]\d|8[0-57-9])\d{5,9}`, or for `6…` codes (10 digits) `[126]\d{6}\d\d{2}`.
fn is_landline(national: &[u8]) -> bool {
    match *national {
        // 10(?:[02-79]\d\d|[18](?:0[1-9]|[1-9]\d))\d{5}
        [1, 0, first, second, third, _, _, _, _, _] => match first {
            1 | 8 => (second, third) != (0, 0),
            _ => true,
        },
        // 21(?:[18](?:0[1-9]|[1-9]\d)|[2-79]\d\d)\d{5}
        [2, 1, first, second, third, _, _, _, _, _] => match first {
            0 => false,
            1 | 8 => (second, third) != (0, 0),
            _ => true,
        },
        // 2[02-57-9]\d{3}\d{5}
        [2, 0 | 2..=5 | 7..=9, _, _, _, _, _, _, _, _] => true,
        [a, b, c, 0 | 2..=8, _, _, _, _, _, _] => has_7_digit_subscribers(a, b, c),
        [a, b, c, 0 | 2..=8, _, _, _, _, _, _, _] => has_8_digit_subscribers(a, b, c),
        _ => false,
    }
}

/// Whether area code `abc` is followed by 7-digit subscriber numbers starting `[02-8]`:
/// the codes of the fixed-line arm that ends `(?:[02-8]\d{6}|…)`, and `43[35]`, `754`, `851`
/// (`\d{7,8}`) and `9(?:78|94)` (`\d\d\d{5}`).
fn has_7_digit_subscribers(a: u8, b: u8, c: u8) -> bool {
    matches!(
        (a, b, c),
        // 3(?:1[02-9]|35|49|5\d|7[02-6]|9[1-68])
        (3, 1, 0 | 2..=9)
            | (3, 3, 5)
            | (3, 4, 9)
            | (3, 5, _)
            | (3, 7, 0 | 2..=6)
            | (3, 9, 1..=6 | 8)
            // 4(?:1[25-9]|2[179]|3[46-9]|5[2-9]|6[47-9]|7\d|8[23])
            | (4, 1, 2 | 5..=9)
            | (4, 2, 1 | 7 | 9)
            | (4, 3, 4 | 6..=9)
            | (4, 5, 2..=9)
            | (4, 6, 4 | 7..=9)
            | (4, 7, _)
            | (4, 8, 2 | 3)
            // 5(?:3[03-9]|4[36]|5[02-9]|6[1-46]|7[028]|80|9[2-46-9])
            | (5, 3, 0 | 3..=9)
            | (5, 4, 3 | 6)
            | (5, 5, 0 | 2..=9)
            | (5, 6, 1..=4 | 6)
            | (5, 7, 0 | 2 | 8)
            | (5, 8, 0)
            | (5, 9, 2..=4 | 6..=9)
            // 6(?:3[1-35]|6[0238]|9[12])
            | (6, 3, 1..=3 | 5)
            | (6, 6, 0 | 2 | 3 | 8)
            | (6, 9, 1 | 2)
            // 7(?:01|[17]\d|2[248]|3[04-9]|4[3-6]|5[0-3689]|6[2368]|9[02-9])
            | (7, 0, 1)
            | (7, 1 | 7, _)
            | (7, 2, 2 | 4 | 8)
            | (7, 3, 0 | 4..=9)
            | (7, 4, 3..=6)
            | (7, 5, 0..=3 | 6 | 8 | 9)
            | (7, 6, 2 | 3 | 6 | 8)
            | (7, 9, 0 | 2..=9)
            // 8(?:1[236-8]|2[5-7]|3\d|5[4-9]|7[02-9]|8[36-8]|9[1-7])
            | (8, 1, 2 | 3 | 6..=8)
            | (8, 2, 5..=7)
            | (8, 3, _)
            | (8, 5, 4..=9)
            | (8, 7, 0 | 2..=9)
            | (8, 8, 3 | 6..=8)
            | (8, 9, 1..=7)
            // 9(?:0[1-3689]|1[1-79]|3\d|4[13]|5[1-5]|7[0-79]|9[0-35-9])
            | (9, 0, 1..=3 | 6 | 8 | 9)
            | (9, 1, 1..=7 | 9)
            | (9, 3, _)
            | (9, 4, 1 | 3)
            | (9, 5, 1..=5)
            | (9, 7, 0..=7 | 9)
            | (9, 9, 0..=3 | 5..=9)
            // (?:43[35]|754|851)\d{7,8} and 9(?:78|94)\d\d\d{5}
            | (4, 3, 3 | 5)
            | (7, 5, 4)
            | (8, 5, 1)
            | (9, 7, 8)
            | (9, 9, 4)
    )
}

/// Whether area code `abc` is followed by 8-digit subscriber numbers starting `[02-8]`:
/// the codes of the fixed-line arm that ends `(?:[02-8]\d{7}|…)`, and `43[35]`, `754`, `851`
/// (`\d{7,8}`).
fn has_8_digit_subscribers(a: u8, b: u8, c: u8) -> bool {
    matches!(
        (a, b, c),
        // 3(?:11|7[179])
        (3, 1, 1)
            | (3, 7, 1 | 7 | 9)
            // 4(?:[15]1|3[12])
            | (4, 1 | 5, 1)
            | (4, 3, 1 | 2)
            // 5(?:1\d|2[37]|3[12]|51|7[13-79]|9[15])
            | (5, 1, _)
            | (5, 2, 3 | 7)
            | (5, 3, 1 | 2)
            | (5, 5, 1)
            | (5, 7, 1 | 3..=7 | 9)
            | (5, 9, 1 | 5)
            // 7(?:[39]1|5[57]|6[09])
            | (7, 3 | 9, 1)
            | (7, 5, 5 | 7)
            | (7, 6, 0 | 9)
            // 8(?:71|98)
            | (8, 7, 1)
            | (8, 9, 8)
            // (?:43[35]|754|851)\d{7,8}
            | (4, 3, 3 | 5)
            | (7, 5, 4)
            | (8, 5, 1)
    )
}

#[cfg(test)]
mod tests {
    use super::super::{Region as KeyRegion, full_valid_e164, phone_e164, phone_e164_full};
    use super::*;
    use proptest::prelude::*;

    /// The default regions the equality tests run in: China, two regions with other
    /// international prefixes (`011`, `00`), and none.
    fn regions() -> [Option<KeyRegion>; 4] {
        let parse = |code: &str| code.parse::<KeyRegion>().ok();
        [Some(KeyRegion::CN), parse("US"), parse("DE"), None]
    }

    /// Checks the fast path on one plain number, read as a plain number and as a raw value:
    /// where it answers, libphonenumber gives the same answer. Returns whether it answered.
    fn assert_fast_agrees(number: &str, region: Option<Region>) -> bool {
        let fast = known_valid_e164(number, region);
        if fast.is_some() {
            assert_eq!(
                fast,
                full_valid_e164(number, region),
                "{number:?} in {region:?}"
            );
        }
        let fast_raw = known_valid_e164_raw(number, region);
        assert_eq!(fast_raw, fast, "{number:?} in {region:?}");
        fast.is_some()
    }

    #[test]
    fn metadata_is_the_one_the_fast_path_was_proven_against() {
        assert!(
            *METADATA_AS_PROVEN,
            "the phone metadata changed: re-check the fast path against it, then update `proven`"
        );
    }

    #[test]
    fn usual_chinese_forms_take_the_fast_path() {
        let cn = Some(Region::CN);
        for (number, region, expected) in [
            ("13811388661", cn, "+8613811388661"),
            ("138 1138 8661", cn, "+8613811388661"),
            ("(+86) 138-1138-8661", None, "+8613811388661"),
            ("+86 138 1138 8661", Some(Region::US), "+8613811388661"),
            ("0086 138 1138 8661", cn, "+8613811388661"),
            ("0086 138 1138 8661", Some(Region::DE), "+8613811388661"),
            ("8613811388661", cn, "+8613811388661"),
            ("010-62345678", cn, "+861062345678"),
            ("(021)12345678", cn, "+862112345678"),
            ("0755 8888 6666", cn, "+8675588886666"),
            ("+86 10 6234 5678", None, "+861062345678"),
            ("0571 8888 6666", cn, "+8657188886666"),
            ("0351 888 6666", cn, "+863518886666"),
        ] {
            assert_eq!(
                known_valid_e164(number, region).as_deref(),
                Some(expected),
                "{number:?} in {region:?}"
            );
            assert!(assert_fast_agrees(number, region));
        }
    }

    #[test]
    fn doubtful_forms_are_declined() {
        let cn = Some(Region::CN);
        for (number, region) in [
            // `0086` is no international prefix in the US (`011` is).
            ("0086 138 1138 8661", Some(Region::US)),
            // National numbers outside China, and without a default region.
            ("13811388661", Some(Region::US)),
            ("13811388661", None),
            // Foreign numbers, a trunk 0 after the country code, `+` before `00`.
            ("+49 30 123456", cn),
            ("+86 (0)10 6234 5678", cn),
            ("+0086 13811388661", cn),
            // Carrier-selection code, and ranges the metadata does not (or not simply) cover.
            ("17951 13811388661", cn),
            ("17912345678", cn),
            ("15412345678", cn),
            ("010-1234567", cn),
            ("010 8001 2345", cn),
            ("021 0123 4567", cn),
            ("0351 123 4567", cn),
            ("0260 1234 5678", cn),
            // Not a plain number.
            ("138１1388661", cn),
            ("138.1138.8661", cn),
        ] {
            assert_eq!(
                known_valid_e164(number, region),
                None,
                "{number:?} in {region:?}"
            );
        }
    }

    #[test]
    fn raw_values_take_the_fast_path_only_when_plain_ascii() {
        let cn = Some(Region::CN);
        for raw in ["138.1138.8661", "010/6234 5678", " (0755) 8888-6666 "] {
            let expected = phone_e164_full(raw, Some(KeyRegion::CN));
            assert!(expected.is_some(), "{raw:?}");
            assert_eq!(known_valid_e164_raw(raw, cn), expected, "{raw:?}");
        }
        let too_long = format!("{:70}", "13811388661");
        for raw in [
            "138１1388661",
            "13811388661 ext. 1",
            "010-62345678-8001",
            "13811388661\t",
            too_long.as_str(),
        ] {
            assert_eq!(known_valid_e164_raw(raw, cn), None, "{raw:?}");
        }
        assert_eq!(phone_e164(&too_long, Some(KeyRegion::CN)), None);
    }

    /// Pseudo-random subscriber digits after a first digit, varied by `seed`.
    fn subscriber(first: u8, len: usize, seed: usize) -> String {
        let mut digits = String::from(char::from(b'0' + first));
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(len) | 1;
        while digits.len() < len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            digits.push(char::from(b'0' + (state % 10) as u8));
        }
        digits
    }

    #[test]
    fn every_area_code_agrees_with_libphonenumber() {
        let area_codes = (10..30).chain(100..1000).map(|code| code.to_string());
        let mut answered = 0;
        for (index, code) in area_codes.enumerate() {
            for first in 0..=9 {
                for len in [7, 8] {
                    for seed in 0..3 {
                        let national = format!("{code}{}", subscriber(first, len, index + seed));
                        answered += usize::from(assert_fast_agrees(
                            &format!("0{national}"),
                            Some(Region::CN),
                        ));
                        for (prefix, region) in [
                            ("+86 ", None),
                            ("0086 ", Some(Region::DE)),
                            ("86", Some(Region::CN)),
                            ("", Some(Region::CN)),
                        ] {
                            assert_fast_agrees(&format!("{prefix}{national}"), region);
                        }
                    }
                }
            }
        }
        // Most area codes are known: the fast path is not idle.
        assert!(answered > 10_000, "{answered}");
    }

    #[test]
    fn every_mobile_prefix_agrees_with_libphonenumber() {
        let mut answered = 0;
        for prefix in 10_000..20_000 {
            let national = format!("{prefix}{}", &subscriber(0, 7, prefix)[1..]);
            answered += usize::from(assert_fast_agrees(&national, Some(Region::CN)));
            assert_fast_agrees(&format!("+86{national}"), None);
        }
        // 13, 18, 145, 147, 15 and 19 without 4, 162, 165-167, 1610, 170-173, 175-178, 17400-5.
        assert_eq!(answered, 2_000 + 200 + 1_800 + 400 + 10 + 800 + 6);
    }

    /// A national number: mobile-shaped, landline-shaped, or any digits.
    fn national_number() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "1[3-9][0-9]{9}",
            2 => "(10|2[0-9])[0-9]{8}",
            2 => "[3-9][0-9]{2}[0-9]{7,8}",
            1 => "[0-9]{3,14}",
        ]
    }

    /// What people write before the national number: mostly nothing, trunk 0, or the country
    /// code with `+` or `00`; sometimes the code without either, other countries' codes,
    /// carrier codes and junk.
    fn written_prefix() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            3 => prop::sample::select(vec!["", "0", "+86", "+86 ", "0086", "0086 "]),
            2 => prop::sample::select(vec![
                "86", "86 ", "+86-", "(+86)", "(+86) ", "＋８６ ", "00 86 ", "(0086)", "+0086 ",
                "+86 0", "+86 (0)", "86 0", "0 ", "011 86 ", "+1 ", "+49 ", "0049 ", "+44",
                "17951", "12593 ", "+", "00", "(", " ", "Tel: ", "\u{200B}",
            ]),
        ]
    }

    /// What people write after the number: mostly nothing; sometimes extensions, second
    /// numbers, junk.
    fn written_suffix() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            3 => Just(""),
            1 => prop::sample::select(vec![
                " ext. 12", "-8001", "-12", "#123", "转8001", " x9", "abc", ")", "/13911112222",
                " (mobile)", "~9", "-", " ", "8", "0",
            ]),
        ]
    }

    /// Separators people put between digits (often none).
    fn separator() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "", "", "", "", "", "", " ", "-", ".", "(", ")", "/", "\u{3000}", "－", "—", "  ",
        ])
    }

    /// A phone value as people write it: prefix, digits (some full-width) with separators,
    /// suffix.
    fn written_number() -> impl Strategy<Value = String> {
        (
            written_prefix(),
            national_number(),
            prop::collection::vec((separator(), any::<bool>()), 16),
            written_suffix(),
        )
            .prop_map(|(prefix, national, layout, suffix)| {
                let mut raw = prefix.to_owned();
                for (digit, &(separator, full_width)) in national.chars().zip(layout.iter().cycle())
                {
                    raw.push_str(separator);
                    match (full_width, digit.to_digit(10)) {
                        (true, Some(value)) => raw.extend(char::from_u32(0xFF10 + value)),
                        _ => raw.push(digit),
                    }
                }
                raw.push_str(suffix);
                raw
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn fast_path_never_disagrees_with_libphonenumber(raw in written_number()) {
            for region in regions() {
                prop_assert_eq!(
                    phone_e164(&raw, region),
                    phone_e164_full(&raw, region),
                    "{:?} in {:?}", raw, region
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn fast_path_never_disagrees_on_any_text(raw in "[+＋0-9０-９ ()（）\\-－./#x转]{0,24}|\\PC{0,24}") {
            for region in regions() {
                prop_assert_eq!(phone_e164(&raw, region), phone_e164_full(&raw, region));
            }
        }
    }
}
