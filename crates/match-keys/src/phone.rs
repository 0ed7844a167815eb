//! Phone numbers as match keys: any written form in, the E.164 string (`+8613811388661`) out.
//!
//! Parsing and validation are libphonenumber's (the `rlibphonenumber` port, see the crate docs
//! for why not the `phonenumber` crate). This module only does what libphonenumber leaves to the
//! caller: it reads the characters people and ERPs really type (full-width digits and brackets,
//! every kind of dash, ideographic spaces, Chinese extension markers) into a plain ASCII number,
//! splits off the extension, and rejects anything else (letters, `~` ranges, several numbers in
//! one field) before libphonenumber sees it, so that a vanity number or a note never turns into
//! a phone key.
//!
//! libphonenumber takes about a microsecond per number, and an export normalises millions, most
//! of them Chinese mobiles and landlines: the [`fast`] path answers those from the Chinese
//! metadata directly, with the same answer, and leaves every other number to libphonenumber. It
//! runs on the raw value when that is plain ASCII, else on what [`WrittenNumber`] made of it.

use std::fmt;
use std::str::FromStr;

use rlibphonenumber::{PHONE_NUMBER_UTIL, PhoneNumberFormat};

mod fast;

/// A raw value longer than this (in characters) is not one phone number; rejecting it early
/// bounds the work per record.
const MAX_RAW_CHARS: usize = 64;

/// The most digits an extension may have (libphonenumber's own parsing limit is 7 as well).
const MAX_EXTENSION_DIGITS: usize = 7;

/// The most digits a trailing `-NNNN` group may have to be read as an extension
/// (`010-62345678-8001`); Chinese PBX extensions have 2 to 5 digits.
const MAX_DASH_EXTENSION_DIGITS: usize = 6;

/// Words that introduce an extension, lower-case, longest first so that `extension` is not read
/// as `ext` followed by junk. `转`/`轉` ("transfer to") and `分机`/`分機` ("extension") are how
/// Chinese records write it.
const EXTENSION_MARKERS: &[&str] = &[
    "extension",
    "extn",
    "ext",
    "x",
    "#",
    "转",
    "轉",
    "分机",
    "分機",
];

/// The region a national-format number (one written without `+` or `00`) is read in.
///
/// A validated ISO 3166-1 alpha-2 code for which libphonenumber has metadata, so that a typo in
/// configuration (`"CH"` for China, `"ZZ"`) fails when the configuration is loaded instead of
/// silently producing no phone keys. It wraps the phone library's type so that the library can
/// be swapped without changing callers.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Region(rlibphonenumber::Region);

impl Region {
    /// China, the default region of U8 and YCM records.
    pub const CN: Region = Region(rlibphonenumber::Region::CN);
}

impl FromStr for Region {
    type Err = RegionError;

    /// Accepts two ASCII letters in any case (`"CN"`, `"cn"`); anything else, or a code without
    /// phone-number metadata, is an error naming the input.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let bytes = input.as_bytes();
        if bytes.len() != 2 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(RegionError::Malformed {
                input: input.to_owned(),
            });
        }
        let code = input.to_ascii_uppercase();
        let unknown = || RegionError::Unknown { code: code.clone() };
        let region = rlibphonenumber::Region::from_str(&code).map_err(|_| unknown())?;
        match PHONE_NUMBER_UTIL.get_country_code_for_region(region) {
            Some(_) => Ok(Region(region)),
            None => Err(unknown()),
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Why a region code from configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionError {
    /// Not two ASCII letters.
    #[error("region {input:?} is not an ISO 3166-1 alpha-2 code (two letters, e.g. \"CN\")")]
    Malformed {
        /// The refused input, as given.
        input: String,
    },
    /// Two letters, but no region with phone-number metadata.
    #[error("region {code:?} is not a known ISO 3166-1 alpha-2 region with phone numbers")]
    Unknown {
        /// The refused code, upper-cased.
        code: String,
    },
}

/// Normalises a phone number to E.164 (`+<country code><national number>`), or `None`.
///
/// `None` unless libphonenumber says the number is *valid* (not merely possible) for its
/// region: a wrong key links two different customers, a missing key only fails to link.
/// Numbers written without `+` or an international prefix are read in `default_region`, whose
/// own international prefix applies (`00` in China, `011` in the US); without a default region,
/// only international numbers parse, and a leading `00` counts as `+`. The extension (`ext. 123`,
/// `x123`, `#123`, `转8001`, or a trailing `-8001` when the number is only valid without it) is
/// dropped: it is never part of E.164.
pub fn phone_e164(raw: &str, default_region: Option<Region>) -> Option<String> {
    let region = default_region.map(|r| r.0);
    fast::known_valid_e164_raw(raw, region).or_else(|| e164_with(raw, default_region, valid_e164))
}

/// [`phone_e164`] without the [`fast`] path: every number goes through libphonenumber. The same
/// answers, slower; it exists so that the two can be compared and timed.
pub(crate) fn phone_e164_full(raw: &str, default_region: Option<Region>) -> Option<String> {
    e164_with(raw, default_region, full_valid_e164)
}

/// The rules of [`phone_e164`], with `valid` deciding whether a plain number is valid.
fn e164_with(
    raw: &str,
    default_region: Option<Region>,
    valid: fn(&str, Option<rlibphonenumber::Region>) -> Option<String>,
) -> Option<String> {
    let written = WrittenNumber::read(raw)?;
    let has_marked_extension = written.has_marked_extension;
    let region = default_region.map(|r| r.0);
    let number = match region {
        Some(_) => written.number,
        None => written.into_number_with_idd_as_plus(),
    };
    if let Some(e164) = valid(&number, region) {
        return Some(e164);
    }
    if has_marked_extension {
        return None;
    }
    // `010-62345678-8001`: libphonenumber reads the last group as more digits of the number.
    valid(without_dash_extension(&number)?, region)
}

/// The E.164 form of `number` (already plain ASCII) if it is a valid number: from the [`fast`]
/// path if it knows the answer, else from libphonenumber.
fn valid_e164(number: &str, region: Option<rlibphonenumber::Region>) -> Option<String> {
    fast::known_valid_e164(number, region).or_else(|| full_valid_e164(number, region))
}

/// Parses `number` (already plain ASCII) with libphonenumber and returns its E.164 form if it
/// is a valid number.
fn full_valid_e164(number: &str, region: Option<rlibphonenumber::Region>) -> Option<String> {
    let parsed = PHONE_NUMBER_UTIL.parse(number, region).ok()?;
    parsed
        .is_valid()
        .then(|| parsed.format_as(PhoneNumberFormat::E164).into_owned())
}

/// A raw phone value read into plain ASCII, its extension split off.
struct WrittenNumber {
    /// Digits, at most one leading `+`, and separators normalised to `-`, `(`, `)` and space.
    number: String,
    /// Whether an explicit marker (`ext`, `x`, `#`, `转` …) introduced an extension.
    has_marked_extension: bool,
}

/// One character of the number part, classified.
enum NumberChar {
    /// A decimal digit, ASCII or full-width.
    Digit(char),
    /// `+` or full-width `＋`.
    Plus,
    /// Punctuation people put between digit groups, as the ASCII character that stands for it.
    Separator(char),
}

impl WrittenNumber {
    /// Reads `raw`, or `None` if it holds anything but one number and an optional extension.
    fn read(raw: &str) -> Option<WrittenNumber> {
        if raw.chars().nth(MAX_RAW_CHARS).is_some() {
            return None;
        }
        let mut number = String::with_capacity(raw.len());
        let mut seen_digit = false;
        let mut rest = raw;
        for (index, ch) in raw.char_indices() {
            match classify(ch) {
                Some(NumberChar::Digit(digit)) => {
                    seen_digit = true;
                    number.push(digit);
                }
                // A `+` after the first digit is a second number or junk, never a prefix.
                Some(NumberChar::Plus) if seen_digit || number.contains('+') => return None,
                Some(NumberChar::Plus) => number.push('+'),
                Some(NumberChar::Separator(sep)) => number.push(sep),
                None => {
                    rest = &raw[index..];
                    break;
                }
            }
            rest = &raw[index + ch.len_utf8()..];
        }
        if !seen_digit {
            return None;
        }
        let has_marked_extension = !rest.is_empty();
        if has_marked_extension && !is_extension(rest) {
            return None;
        }
        number.truncate(number.trim_end_matches([' ', '-']).len());
        Some(WrittenNumber {
            number,
            has_marked_extension,
        })
    }

    /// The number with a leading international prefix `00` written as `+`, for parsing without
    /// a default region (where libphonenumber knows no international prefix).
    fn into_number_with_idd_as_plus(self) -> String {
        let number = self.number;
        match number.find(|c: char| c.is_ascii_digit()) {
            Some(first) if !number.contains('+') && number[first..].starts_with("00") => {
                format!("{}+{}", &number[..first], &number[first + 2..])
            }
            _ => number,
        }
    }
}

/// Classifies one character of the number part; `None` ends the number part.
fn classify(ch: char) -> Option<NumberChar> {
    let class = match ch {
        '0'..='9' => NumberChar::Digit(ch),
        // Full-width digits ０-９.
        '\u{FF10}'..='\u{FF19}' => {
            NumberChar::Digit(char::from(b'0' + (u32::from(ch) - 0xFF10) as u8))
        }
        '+' | '\u{FF0B}' => NumberChar::Plus,
        '(' | '[' | '\u{FF08}' | '\u{FF3B}' => NumberChar::Separator('('),
        ')' | ']' | '\u{FF09}' | '\u{FF3D}' => NumberChar::Separator(')'),
        // Hyphen-minus, Unicode hyphens and dashes, minus sign, katakana-hiragana prolonged
        // sound mark (typed for a dash in CJK input methods), small and full-width hyphen-minus.
        '-'
        | '\u{2010}'..='\u{2015}'
        | '\u{2212}'
        | '\u{30FC}'
        | '\u{FE58}'
        | '\u{FE63}'
        | '\u{FF0D}' => NumberChar::Separator('-'),
        '.' | '/' | '\u{FF0E}' | '\u{FF0F}' | '\u{3002}' | '\u{00B7}' | '\u{30FB}' => {
            NumberChar::Separator(' ')
        }
        // Zero-width space and word joiner, soft hyphen: invisible junk from copy and paste.
        '\u{200B}' | '\u{2060}' | '\u{00AD}' | '\u{FEFF}' => NumberChar::Separator(' '),
        // Any Unicode white space, including the ideographic space U+3000 and no-break space.
        _ if ch.is_whitespace() => NumberChar::Separator(' '),
        _ => return None,
    };
    Some(class)
}

/// Whether `rest` (what follows the number part) is an extension marker and its digits.
fn is_extension(rest: &str) -> bool {
    let rest = rest.trim_start();
    let Some(after_marker) = EXTENSION_MARKERS
        .iter()
        .find_map(|marker| strip_prefix_ignore_case(rest, marker))
    else {
        return false;
    };
    let digits = after_marker
        .trim_start_matches(|c: char| {
            c.is_whitespace() || matches!(c, '.' | '．' | ':' | '：' | '-')
        })
        .trim_end_matches(|c: char| c.is_whitespace() || c == '#');
    let count = digits.chars().count();
    (1..=MAX_EXTENSION_DIGITS).contains(&count)
        && digits
            .chars()
            .all(|c| matches!(classify(c), Some(NumberChar::Digit(_))))
}

/// `text` without `prefix`, comparing ASCII letters case-insensitively (`EXT`, `Ext`) and
/// full-width letters as their ASCII forms (`ｅｘｔ`).
fn strip_prefix_ignore_case<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let mut chars = text.char_indices();
    for expected in prefix.chars() {
        let (_, ch) = chars.next()?;
        if fold_ascii(ch) != expected {
            return None;
        }
    }
    Some(chars.as_str())
}

/// Full-width ASCII (U+FF01–U+FF5E) to ASCII, then ASCII lower case; other characters as is.
fn fold_ascii(ch: char) -> char {
    let ch = match ch {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(ch) - 0xFEE0).unwrap_or(ch),
        _ => ch,
    };
    ch.to_ascii_lowercase()
}

/// `number` without a trailing `-NNNN` group (the way Chinese records write an extension), or
/// `None` if it has none.
fn without_dash_extension(number: &str) -> Option<&str> {
    let head = number.trim_end_matches(|c: char| c.is_ascii_digit());
    let tail_digits = number.len() - head.len();
    let head = head.strip_suffix('-')?.trim_end_matches([' ', '-']);
    let head_has_digits = head.bytes().any(|b| b.is_ascii_digit());
    ((1..=MAX_DASH_EXTENSION_DIGITS).contains(&tail_digits) && head_has_digits).then_some(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cn(raw: &str) -> Option<String> {
        phone_e164(raw, Some(Region::CN))
    }

    fn none(raw: &str) -> Option<String> {
        phone_e164(raw, None)
    }

    #[test]
    fn chinese_landline_in_national_format() {
        assert_eq!(cn("010-62345678").as_deref(), Some("+861062345678"));
        assert_eq!(cn("01062345678").as_deref(), Some("+861062345678"));
        assert_eq!(cn("(010)62345678").as_deref(), Some("+861062345678"));
        assert_eq!(cn("010 6234 5678").as_deref(), Some("+861062345678"));
        assert_eq!(cn("010.6234.5678").as_deref(), Some("+861062345678"));
        assert_eq!(cn("010/62345678").as_deref(), Some("+861062345678"));
        assert_eq!(cn("0755-8888 8888").as_deref(), Some("+8675588888888"));
    }

    #[test]
    fn chinese_mobile_in_every_usual_form() {
        let expected = Some("+8613811388661");
        assert_eq!(cn("13811388661").as_deref(), expected);
        assert_eq!(cn("138 1138 8661").as_deref(), expected);
        assert_eq!(cn("138-1138-8661").as_deref(), expected);
        assert_eq!(cn("+86 138 1138 8661").as_deref(), expected);
        assert_eq!(cn("+86-138-1138-8661").as_deref(), expected);
        assert_eq!(cn("(+86) 138 1138 8661").as_deref(), expected);
        assert_eq!(cn("0086 138 1138 8661").as_deref(), expected);
        assert_eq!(cn("008613811388661").as_deref(), expected);
        assert_eq!(cn("+0086 13811388661").as_deref(), expected);
    }

    #[test]
    fn country_code_without_plus_is_stripped_by_libphonenumber() {
        // 13 digits are no possible CN number, but 86 + a valid mobile is: libphonenumber
        // takes the 86 as the country code.
        assert_eq!(cn("8613811388661").as_deref(), Some("+8613811388661"));
        assert_eq!(cn("86 10 62345678").as_deref(), Some("+861062345678"));
    }

    #[test]
    fn full_width_digits_and_punctuation() {
        assert_eq!(
            cn("１３８１１３８８６６１").as_deref(),
            Some("+8613811388661")
        );
        assert_eq!(
            cn("（010）６２３４５６７８").as_deref(),
            Some("+861062345678")
        );
        assert_eq!(
            cn("＋８６ １３８ １１３８ ８６６１").as_deref(),
            Some("+8613811388661")
        );
        assert_eq!(cn("010\u{3000}62345678").as_deref(), Some("+861062345678"));
        assert_eq!(cn("010－62345678").as_deref(), Some("+861062345678"));
        assert_eq!(
            cn("０１０．６２３４．５６７８").as_deref(),
            Some("+861062345678")
        );
        assert_eq!(cn("010／62345678").as_deref(), Some("+861062345678"));
        assert_eq!(cn("［010］62345678").as_deref(), Some("+861062345678"));
        assert_eq!(
            cn(" \u{200B}13811388661\u{FEFF} ").as_deref(),
            Some("+8613811388661")
        );
    }

    #[test]
    fn every_kind_of_dash() {
        for dash in [
            '-', '‐', '‑', '‒', '–', '—', '―', '−', 'ー', '﹘', '﹣', '－',
        ] {
            let raw = format!("010{dash}6234{dash}5678");
            assert_eq!(cn(&raw).as_deref(), Some("+861062345678"), "{raw}");
        }
    }

    #[test]
    fn marked_extensions_are_dropped() {
        let expected = Some("+861062345678");
        for raw in [
            "010-62345678 ext. 123",
            "010-62345678 ext 123",
            "010-62345678 EXT.123",
            "010-62345678 extn: 123",
            "010-62345678 extension 123",
            "010-62345678 x123",
            "010-62345678 X 123",
            "010-62345678#123",
            "010-62345678 #123#",
            "010-62345678转8001",
            "010-62345678 转 8001",
            "010-62345678分机8001",
            "010-62345678 ｅｘｔ．１２３",
        ] {
            assert_eq!(cn(raw).as_deref(), expected, "{raw}");
        }
    }

    #[test]
    fn trailing_dash_group_is_an_extension_only_if_the_rest_is_valid() {
        assert_eq!(cn("010-62345678-8001").as_deref(), Some("+861062345678"));
        assert_eq!(cn("010-6234-5678-8001").as_deref(), Some("+861062345678"));
        assert_eq!(cn("0755-88888888-12").as_deref(), Some("+8675588888888"));
        // The whole number is valid, so the last group stays part of it.
        assert_eq!(cn("138-1138-8661").as_deref(), Some("+8613811388661"));
        // Neither the whole nor the head is a valid number.
        assert_eq!(cn("010-6234-567").as_deref(), None);
        // A group too long for an extension is a second number, not an extension.
        assert_eq!(cn("010-62345678-62345679").as_deref(), None);
        // An explicit extension marker turns the retry off.
        assert_eq!(cn("010-62345678-8001 ext. 1").as_deref(), None);
    }

    #[test]
    fn numbers_of_other_regions_with_a_country_code() {
        assert_eq!(cn("+49 30 123456").as_deref(), Some("+4930123456"));
        assert_eq!(cn("+1 (415) 555-2671").as_deref(), Some("+14155552671"));
        assert_eq!(cn("+44 20 7946 0958").as_deref(), Some("+442079460958"));
        // Italy keeps the leading 0 of fixed lines in E.164.
        assert_eq!(cn("+39 06 1234 5678").as_deref(), Some("+390612345678"));
        // A trunk 0 written after the country code is dropped.
        assert_eq!(cn("+33 (0)6 31 96 65 43").as_deref(), Some("+33631966543"));
        assert_eq!(cn("0049 30 123456").as_deref(), Some("+4930123456"));
        let us: Region = "US".parse().unwrap();
        assert_eq!(
            phone_e164("(415) 555-2671", Some(us)).as_deref(),
            Some("+14155552671")
        );
        assert_eq!(
            phone_e164("011 86 138 1138 8661", Some(us)).as_deref(),
            Some("+8613811388661")
        );
    }

    #[test]
    fn without_default_region_only_international_numbers_parse() {
        assert_eq!(none("+86 138 1138 8661").as_deref(), Some("+8613811388661"));
        assert_eq!(
            none("0086 138 1138 8661").as_deref(),
            Some("+8613811388661")
        );
        assert_eq!(
            none("(0086) 10 6234 5678").as_deref(),
            Some("+861062345678")
        );
        assert_eq!(none("+49 30 123456").as_deref(), Some("+4930123456"));
        assert_eq!(
            none("+1 (415) 555-2671 x12").as_deref(),
            Some("+14155552671")
        );
        assert_eq!(none("13811388661"), None);
        assert_eq!(none("010-62345678"), None);
    }

    #[test]
    fn invalid_input_gives_none() {
        for raw in [
            "",
            "   ",
            "n/a",
            "N/A",
            "-",
            "123",
            "abc",
            "1-800-FLOWERS",
            "Tel: 010-62345678",
            "13811388661 (mobile)",
            "62345678",                   // local number without area code
            "+86 12345678901",            // possible length, not a valid range
            "+86 1381138866123456",       // too long
            "1381138866113811388661",     // too long
            "13811388661/13911112222",    // two numbers
            "13811388661, 13911112222",   // two numbers
            "62345678~9",                 // a range
            "138+11388661",               // a plus inside
            "++8613811388661",            // two pluses
            "+999 123456789",             // no such country code
            "010-62345678 ext.",          // marker without digits
            "010-62345678 ext. 12345678", // extension too long
            "010-62345678 ext. 12a",      // extension with letters
            "1".repeat(100).as_str(),     // far too long
        ] {
            assert_eq!(cn(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn region_parses_known_codes_and_names_bad_ones() {
        assert_eq!("CN".parse::<Region>(), Ok(Region::CN));
        assert_eq!("cn".parse::<Region>(), Ok(Region::CN));
        assert_eq!(Region::CN.to_string(), "CN");
        assert_eq!(
            "DE".parse::<Region>().map(|r| r.to_string()),
            Ok("DE".to_owned())
        );
        assert_eq!(
            "ZZ".parse::<Region>(),
            Err(RegionError::Unknown { code: "ZZ".into() })
        );
        assert_eq!(
            "xq".parse::<Region>(),
            Err(RegionError::Unknown { code: "XQ".into() })
        );
        for bad in ["", "C", "CHN", "001", "C1", " CN", "中国"] {
            assert_eq!(
                bad.parse::<Region>(),
                Err(RegionError::Malformed { input: bad.into() }),
                "{bad:?}"
            );
        }
        let message = "ZZ".parse::<Region>().unwrap_err().to_string();
        assert!(message.contains("\"ZZ\""), "{message}");
    }

    #[test]
    fn e164_output_is_a_fixed_point() {
        for raw in [
            "010-62345678",
            "+1 (415) 555-2671",
            "+39 06 1234 5678",
            "8613811388661",
        ] {
            let e164 = cn(raw).unwrap();
            assert_eq!(cn(&e164).as_deref(), Some(e164.as_str()));
            assert_eq!(none(&e164).as_deref(), Some(e164.as_str()));
        }
    }

    proptest! {
        #[test]
        fn never_panics_and_output_reparses_to_itself(raw in "\\PC{0,40}") {
            for region in [None, Some(Region::CN)] {
                if let Some(e164) = phone_e164(&raw, region) {
                    prop_assert!(e164.starts_with('+'));
                    prop_assert!(e164[1..].bytes().all(|b| b.is_ascii_digit()));
                    prop_assert_eq!(phone_e164(&e164, None), Some(e164.clone()));
                    prop_assert_eq!(phone_e164(&e164, Some(Region::CN)), Some(e164.clone()));
                }
            }
        }

        #[test]
        fn phone_like_strings_never_panic(raw in "[+＋(（]?[0-9０-９ ()（）\\-－./#x转]{0,30}") {
            for region in [None, Some(Region::CN)] {
                if let Some(e164) = phone_e164(&raw, region) {
                    prop_assert_eq!(phone_e164(&e164, None), Some(e164.clone()));
                }
            }
        }
    }
}
