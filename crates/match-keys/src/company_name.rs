//! Company names as match keys: `北京华信科技有限公司` and `Huaxin Technology Co., Ltd.` lose
//! what people write differently (width, case, punctuation, spacing, the legal form) and keep
//! what names the company.
//!
//! The key is for exact-match joins, not for fuzzy similarity: two names get the same key only
//! if they differ in nothing but those features.
//!
//! Most names are ASCII or Chinese (ASCII, CJK unified ideographs and a little CJK
//! punctuation). For those, NFKC changes nothing but the punctuation's width and the
//! character classes are known without Unicode tables, so [`NameWords::read`] takes a plain
//! path (see [`plain_char`] for why its answers are the Unicode path's); other names take the
//! Unicode path.

use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;

/// Legal forms removed from the end of a name, repeatedly (`Pte. Ltd.` loses `Ltd.`, then
/// `Pte.`).
///
/// Each entry is normalised like a name before use, so `Co., Ltd.` also removes `CO.,LTD`,
/// `co ltd` and `Ｃｏ．，Ｌｔｄ．`. Entries in Latin script match whole words only (`Inc.` is not
/// removed from `Zinc`); entries in CJK script match the end of the name without a word
/// boundary, as CJK names have none. The longest matching entry is removed first.
///
/// Deliberately absent: `分公司` and `子公司` (branch, subsidiary). A branch is a customer of its
/// own, with its own tax registration, so a name ending in one is kept whole (and its `公司`
/// is not read as a legal form). `厂` (factory) and `Group` name the business, not its legal
/// form. Ambiguous words (`SpA`, `AS`) are listed only in their dotted forms (`S.p.A.`, `A/S`).
pub const LEGAL_FORMS: &[&str] = &[
    // Chinese, simplified and traditional.
    "集团股份有限公司",
    "集團股份有限公司",
    "集团有限公司",
    "集團有限公司",
    "股份有限公司",
    "有限责任公司",
    "有限責任公司",
    "有限公司",
    "股份公司",
    "总公司",
    "總公司",
    "集团",
    "集團",
    "公司",
    // Japanese.
    "株式会社",
    "有限会社",
    "合同会社",
    // English.
    "Co., Ltd.",
    "Company Limited",
    "Limited",
    "Ltd.",
    "Company",
    "Co.",
    "Incorporated",
    "Inc.",
    "Corporation",
    "Corp.",
    "LLC",
    "L.L.C.",
    "LLP",
    "PLC",
    "Pte.",
    "Pty.",
    "Sdn. Bhd.",
    "Bhd.",
    // German, Dutch, Nordic.
    "GmbH",
    "mbH",
    "AG",
    "KG",
    "SE",
    "B.V.",
    "BV",
    "N.V.",
    "NV",
    "A/S",
    "AB",
    "Oy",
    // Romance languages.
    "S.A.",
    "SA",
    "S.A.S.",
    "SAS",
    "SARL",
    "S.r.l.",
    "SRL",
    "S.p.A.",
    // Japanese in Latin script.
    "K.K.",
];

/// Noise removed from the start of a name once: an English article, and the Japanese legal
/// form, which is often written first (`株式会社日立製作所`).
const NOISE_PREFIXES: &[&str] = &["The", "株式会社"];

/// Name endings that mark a branch or subsidiary: a name ending in one keeps its end whole.
const BRANCH_SUFFIXES: &[&str] = &["分公司", "子公司"];

/// A name, or an affix, shorter than this many characters after normalisation is too generic
/// to link two customers (`有限公司` alone, `A Ltd.`).
const MIN_KEY_CHARS: usize = 2;

/// Normalises a company name into a match key, or `None` if too little of it is left.
///
/// Rules, in order: Unicode NFKC (full-width and compatibility forms to their plain forms, `㈱`
/// to `(株)`); lower case per character (`char::to_lowercase`: simple lower-casing, not full
/// case folding, so `ß` stays `ß`, which is enough for the Latin and CJK names of U8 and YCM);
/// every character that is not a letter or digit is dropped (punctuation, symbols and spaces of
/// every script: `（）`, `·`, `&`, `-`), but what was inside brackets is kept
/// (`（北京）华信科技` gives `北京华信科技`); the [`LEGAL_FORMS`] are removed from the end
/// repeatedly and `The`/`株式会社` from the start; the rest is joined without separators. `None`
/// if fewer than 2 characters are left. Applying the function to its own output changes nothing.
pub fn company_name_key(raw: &str) -> Option<String> {
    key_with(raw, NameWords::read)
}

/// [`company_name_key`] without the plain path: every name goes through NFKC and the Unicode
/// character tables. The same answers, slower; it exists so that the two can be compared and
/// timed.
pub(crate) fn company_name_key_full(raw: &str) -> Option<String> {
    key_with(raw, NameWords::read_unicode)
}

/// The rules of [`company_name_key`], with `read` normalising the characters.
fn key_with(raw: &str, read: fn(&str) -> NameWords) -> Option<String> {
    let mut key = key_once(raw, read)?;
    // A second pass can still find a legal form whose word boundary was a removed space
    // (`C.O.` becomes `co`): repeat until nothing changes, so that the key is a fixed point.
    // Every pass that changes the key shortens it, so this ends.
    loop {
        let next = key_once(&key, read)?;
        if next == key {
            return Some(key);
        }
        key = next;
    }
}

/// One pass of the rules in [`company_name_key`].
fn key_once(raw: &str, read: fn(&str) -> NameWords) -> Option<String> {
    let mut name = read(raw);
    name.strip_prefixes(&AFFIXES.prefixes);
    if !BRANCH_SUFFIXES
        .iter()
        .any(|branch| name.text.ends_with(branch))
    {
        while name.strip_one_suffix(&AFFIXES.suffixes) {}
    }
    let key = name.text;
    (key.chars().count() >= MIN_KEY_CHARS).then_some(key)
}

/// The legal forms and noise prefixes, normalised once for the whole process.
static AFFIXES: LazyLock<Affixes> = LazyLock::new(|| Affixes {
    suffixes: compile_affixes(LEGAL_FORMS),
    prefixes: compile_affixes(NOISE_PREFIXES),
});

/// [`LEGAL_FORMS`] and [`NOISE_PREFIXES`], normalised like names.
struct Affixes {
    /// Legal forms, longest first.
    suffixes: Vec<Affix>,
    /// Noise prefixes, longest first.
    prefixes: Vec<Affix>,
}

/// One normalised affix.
enum Affix {
    /// CJK text, matched without word boundaries.
    Joined(String),
    /// Latin words, matched as whole words.
    Words(Vec<String>),
}

impl Affix {
    /// Length in characters, to try the longest affix first.
    fn chars(&self) -> usize {
        match self {
            Affix::Joined(text) => text.chars().count(),
            Affix::Words(words) => words.iter().map(|w| w.chars().count()).sum(),
        }
    }
}

/// Normalises `entries` like names, longest first.
fn compile_affixes(entries: &[&str]) -> Vec<Affix> {
    let mut affixes: Vec<Affix> = entries
        .iter()
        .map(|entry| {
            let words = NameWords::read(entry);
            if words.text.chars().all(is_cjk) {
                Affix::Joined(words.text)
            } else {
                Affix::Words(words.words().map(str::to_owned).collect())
            }
        })
        .collect();
    affixes.sort_by_key(|affix| std::cmp::Reverse(affix.chars()));
    affixes
}

/// A normalised name: its letters and digits joined, and where its words ended.
struct NameWords {
    /// Letters and digits only, NFKC and lower case.
    text: String,
    /// Byte offsets in `text` where a word ends, increasing; the last is `text.len()`.
    ends: Vec<usize>,
}

impl NameWords {
    /// Normalises `raw`; words end at every removed character and where CJK meets other text.
    /// Takes the plain path when every character of `raw` has a [`plain_char`] reading.
    fn read(raw: &str) -> NameWords {
        NameWords::read_plain(raw).unwrap_or_else(|| NameWords::read_unicode(raw))
    }

    /// [`NameWords::read`] for any text: NFKC, then lower case, then the Unicode classes.
    fn read_unicode(raw: &str) -> NameWords {
        let mut name = NameBuilder::new(raw.len());
        for ch in raw.nfkc().flat_map(char::to_lowercase) {
            if ch.is_alphanumeric() {
                name.push_kept(ch, is_cjk(ch));
            } else {
                name.push_removed();
            }
        }
        name.finish()
    }

    /// [`NameWords::read`] for text whose every character has a [`plain_char`] reading, or
    /// `None` for other text.
    fn read_plain(raw: &str) -> Option<NameWords> {
        let mut name = NameBuilder::new(raw.len());
        for ch in raw.chars() {
            match plain_char(ch)? {
                PlainChar::Kept { ch, cjk } => name.push_kept(ch, cjk),
                PlainChar::Removed => name.push_removed(),
            }
        }
        Some(name.finish())
    }

    /// Ends the current word, if one is open.
    fn end_word(&mut self) {
        if self.ends.last().copied().unwrap_or(0) < self.text.len() {
            self.ends.push(self.text.len());
        }
    }

    /// The words, in order.
    fn words(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(start, end)| &self.text[start..end])
    }

    /// Removes the longest of `affixes` that ends the name, if any; returns whether one was
    /// removed.
    fn strip_one_suffix(&mut self, affixes: &[Affix]) -> bool {
        let cut = affixes.iter().find_map(|affix| self.suffix_start(affix));
        match cut {
            Some(start) => {
                self.truncate(start);
                true
            }
            None => false,
        }
    }

    /// Where `affix` starts if it ends the name.
    fn suffix_start(&self, affix: &Affix) -> Option<usize> {
        match affix {
            Affix::Joined(text) => {
                let start = self.text.len().checked_sub(text.len())?;
                self.text.ends_with(text.as_str()).then_some(start)
            }
            Affix::Words(words) => {
                let first = self.ends.len().checked_sub(words.len())?;
                let tail = self.words().skip(first);
                if !tail.eq(words.iter().map(String::as_str)) {
                    return None;
                }
                Some(if first == 0 { 0 } else { self.ends[first - 1] })
            }
        }
    }

    /// Keeps the first `len` bytes of the name (a char boundary).
    fn truncate(&mut self, len: usize) {
        self.text.truncate(len);
        self.ends.retain(|&end| end < len);
        self.end_word();
    }

    /// Removes the first of `affixes` that starts the name, if more than it is left.
    fn strip_prefixes(&mut self, affixes: &[Affix]) {
        let cut = affixes.iter().find_map(|affix| self.prefix_end(affix));
        if let Some(end) = cut.filter(|&end| end < self.text.len()) {
            self.text.drain(..end);
            self.ends = self
                .ends
                .iter()
                .filter(|&&e| e > end)
                .map(|&e| e - end)
                .collect();
        }
    }

    /// Where `affix` ends if it starts the name.
    fn prefix_end(&self, affix: &Affix) -> Option<usize> {
        match affix {
            Affix::Joined(text) => self.text.starts_with(text.as_str()).then_some(text.len()),
            Affix::Words(words) => {
                let head = self.words().take(words.len());
                let matches =
                    self.ends.len() >= words.len() && head.eq(words.iter().map(String::as_str));
                matches.then(|| self.ends[words.len() - 1])
            }
        }
    }
}

/// A [`NameWords`] being built character by character.
struct NameBuilder {
    /// The name so far.
    name: NameWords,
    /// Whether the last kept character was CJK; `None` at the start and after a removed one.
    previous_cjk: Option<bool>,
}

impl NameBuilder {
    /// An empty name with room for `capacity` bytes.
    fn new(capacity: usize) -> NameBuilder {
        NameBuilder {
            name: NameWords {
                text: String::with_capacity(capacity),
                ends: Vec::new(),
            },
            previous_cjk: None,
        }
    }

    /// Appends a letter or digit (already normalised); a word ends first where CJK meets
    /// other text.
    fn push_kept(&mut self, ch: char, cjk: bool) {
        if self.previous_cjk.is_some_and(|previous| previous != cjk) {
            self.name.end_word();
        }
        self.previous_cjk = Some(cjk);
        self.name.text.push(ch);
    }

    /// Records a removed character (punctuation, symbol, space): it ends the word.
    fn push_removed(&mut self) {
        self.name.end_word();
        self.previous_cjk = None;
    }

    /// The finished name.
    fn finish(mut self) -> NameWords {
        self.name.end_word();
        self.name
    }
}

/// How the plain path reads one character.
enum PlainChar {
    /// A letter or digit, as it appears in the key, and whether it is CJK.
    Kept {
        /// The character, lower-cased.
        ch: char,
        /// Whether [`is_cjk`] holds.
        cjk: bool,
    },
    /// Punctuation, symbol, space or control: removed, ending the word.
    Removed,
}

/// The plain-path reading of `ch`, or `None` if only the Unicode path can read it.
///
/// Readable are ASCII, the CJK unified ideographs U+4E00 to U+9FFF and the punctuation in
/// [`PLAIN_REMOVED`]. On text made only of them the Unicode path does exactly this: NFKC maps
/// each character on its own (each has no compatibility decomposition, or one into ASCII
/// punctuation or a space), reorders nothing (all have combining class 0) and composes nothing
/// (none is the second character of a canonical composition); `char::to_lowercase` changes
/// only `A`–`Z`; the ideographs are alphabetic and [`is_cjk`], ASCII letters and digits are
/// alphanumeric, and the rest (and what NFKC makes of it) is not. The tests check each of these
/// claims for every character concerned, and the composition claim against all of Unicode.
fn plain_char(ch: char) -> Option<PlainChar> {
    let plain = match ch {
        'A'..='Z' => PlainChar::Kept {
            ch: ch.to_ascii_lowercase(),
            cjk: false,
        },
        'a'..='z' | '0'..='9' => PlainChar::Kept { ch, cjk: false },
        '\0'..='\x7F' => PlainChar::Removed,
        '\u{4E00}'..='\u{9FFF}' => PlainChar::Kept { ch, cjk: true },
        _ if PLAIN_REMOVED.contains(&ch) => PlainChar::Removed,
        _ => return None,
    };
    Some(plain)
}

/// Non-ASCII punctuation common in Chinese names that the plain path reads (as removed):
/// ideographic space, comma and full stop, middle dot, angle and lenticular brackets, curly
/// quotes, and full-width `&`, `(`, `)`, `,`, `.`.
const PLAIN_REMOVED: &[char] = &[
    '\u{3000}', '、', '。', '·', '《', '》', '【', '】', '“', '”', '＆', '（', '）', '，', '．',
];

/// Whether `ch` is written without spaces between words: Han ideographs, kana and Hangul.
fn is_cjk(ch: char) -> bool {
    matches!(ch,
        '\u{3040}'..='\u{30FF}'     // hiragana, katakana
        | '\u{3400}'..='\u{4DBF}'   // CJK extension A
        | '\u{4E00}'..='\u{9FFF}'   // CJK unified ideographs
        | '\u{AC00}'..='\u{D7AF}'   // Hangul syllables
        | '\u{F900}'..='\u{FAFF}'   // CJK compatibility ideographs
        | '\u{20000}'..='\u{3134F}' // CJK extensions B to G
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(raw: &str) -> Option<String> {
        company_name_key(raw)
    }

    #[test]
    fn chinese_legal_forms_are_removed() {
        assert_eq!(key("北京华信科技有限公司").as_deref(), Some("北京华信科技"));
        assert_eq!(
            key("北京华信科技股份有限公司").as_deref(),
            Some("北京华信科技")
        );
        assert_eq!(
            key("北京华信科技有限责任公司").as_deref(),
            Some("北京华信科技")
        );
        assert_eq!(key("华信集团有限公司").as_deref(), Some("华信"));
        assert_eq!(key("华信集团股份有限公司").as_deref(), Some("华信"));
        assert_eq!(key("华信科技集团").as_deref(), Some("华信科技"));
        assert_eq!(key("华信科技公司").as_deref(), Some("华信科技"));
        assert_eq!(key("华信科技总公司").as_deref(), Some("华信科技"));
        assert_eq!(key("華信科技集團有限公司").as_deref(), Some("華信科技"));
        assert_eq!(key("华信科技有限責任公司").as_deref(), Some("华信科技"));
    }

    #[test]
    fn brackets_go_but_their_content_stays() {
        assert_eq!(
            key("（北京）华信科技股份有限公司").as_deref(),
            Some("北京华信科技")
        );
        assert_eq!(
            key("(北京)华信科技股份有限公司").as_deref(),
            Some("北京华信科技")
        );
        assert_eq!(
            key("华信科技（北京）有限公司").as_deref(),
            Some("华信科技北京")
        );
        assert_eq!(key("华信·科技 有限公司").as_deref(), Some("华信科技"));
        assert_eq!(key("【华信】科技有限公司").as_deref(), Some("华信科技"));
    }

    #[test]
    fn branches_and_factories_are_kept() {
        assert_eq!(
            key("华信科技有限公司北京分公司").as_deref(),
            Some("华信科技有限公司北京分公司")
        );
        assert_eq!(key("华信科技子公司").as_deref(), Some("华信科技子公司"));
        assert_eq!(key("上海第一机床厂").as_deref(), Some("上海第一机床厂"));
    }

    #[test]
    fn english_and_other_legal_forms_are_removed() {
        assert_eq!(
            key("Huaxin Technology Co., Ltd.").as_deref(),
            Some("huaxintechnology")
        );
        assert_eq!(
            key("HUAXIN TECHNOLOGY CO.,LTD").as_deref(),
            Some("huaxintechnology")
        );
        assert_eq!(
            key("Huaxin Technology Co Ltd").as_deref(),
            Some("huaxintechnology")
        );
        assert_eq!(
            key("Huaxin Technology Company Limited").as_deref(),
            Some("huaxintechnology")
        );
        assert_eq!(
            key("Ｈｕａｘｉｎ Ｔｅｃｈ Ｃｏ．，Ｌｔｄ．").as_deref(),
            Some("huaxintech")
        );
        assert_eq!(key("ACME GmbH").as_deref(), Some("acme"));
        assert_eq!(key("Acme GmbH & Co. KG").as_deref(), Some("acme"));
        assert_eq!(key("Acme Inc.").as_deref(), Some("acme"));
        assert_eq!(key("Acme, Incorporated").as_deref(), Some("acme"));
        assert_eq!(key("Acme Corp").as_deref(), Some("acme"));
        assert_eq!(key("Acme Corporation").as_deref(), Some("acme"));
        assert_eq!(key("Acme LLC").as_deref(), Some("acme"));
        assert_eq!(key("Acme Holdings PLC").as_deref(), Some("acmeholdings"));
        assert_eq!(key("Acme Asia Pte. Ltd.").as_deref(), Some("acmeasia"));
        assert_eq!(key("Acme S.A.").as_deref(), Some("acme"));
        assert_eq!(key("Acme SA").as_deref(), Some("acme"));
        assert_eq!(key("Acme S.p.A.").as_deref(), Some("acme"));
        assert_eq!(key("Acme B.V.").as_deref(), Some("acme"));
        assert_eq!(key("Acme A/S").as_deref(), Some("acme"));
        assert_eq!(key("The Acme Company").as_deref(), Some("acme"));
        assert_eq!(key("株式会社日立製作所").as_deref(), Some("日立製作所"));
        assert_eq!(key("华信科技Co.,Ltd").as_deref(), Some("华信科技"));
    }

    #[test]
    fn legal_forms_match_whole_words_only() {
        assert_eq!(key("Zinc").as_deref(), Some("zinc"));
        assert_eq!(key("Costco").as_deref(), Some("costco"));
        assert_eq!(key("Monaco Bag").as_deref(), Some("monacobag"));
        assert_eq!(key("Luxury Spa").as_deref(), Some("luxuryspa"));
        assert_eq!(key("The").as_deref(), Some("the"));
        assert_eq!(key("Theatre Royal").as_deref(), Some("theatreroyal"));
    }

    #[test]
    fn case_width_and_spacing_do_not_matter() {
        let expected = key("Huaxin Technology");
        for raw in [
            "huaxin technology",
            "HUAXIN-TECHNOLOGY",
            " Huaxin\u{3000}Technology ",
            "Ｈｕａｘｉｎ Ｔｅｃｈｎｏｌｏｇｙ",
        ] {
            assert_eq!(key(raw), expected, "{raw}");
        }
    }

    #[test]
    fn too_generic_names_give_none() {
        for raw in [
            "",
            "   ",
            "有限公司",
            "股份有限公司",
            "集团有限公司",
            "Co., Ltd.",
            "A Ltd.",
            "X 公司",
            "（）",
            "-",
            "&",
        ] {
            assert_eq!(key(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn key_is_a_fixed_point() {
        for raw in [
            "北京华信科技有限公司",
            "Huaxin Technology Co., Ltd.",
            "C.O.",
            "华信 a.b",
            "Acme A B",
        ] {
            if let Some(once) = key(raw) {
                assert_eq!(key(&once).as_deref(), Some(once.as_str()), "{raw}");
            }
        }
    }

    #[test]
    fn legal_forms_are_non_empty_after_normalisation() {
        assert_eq!(AFFIXES.suffixes.len(), LEGAL_FORMS.len());
        for affix in AFFIXES.suffixes.iter().chain(&AFFIXES.prefixes) {
            assert!(affix.chars() > 0);
        }
    }

    #[test]
    fn usual_names_take_the_plain_path() {
        for raw in [
            "北京华信科技有限公司",
            "（北京）华信科技股份有限公司",
            "【华信】科技·北京 有限公司",
            "Huaxin Technology Co., Ltd.",
            "HUAXIN TECHNOLOGY CO.,LTD",
            "华信科技Co.,Ltd",
        ] {
            assert!(NameWords::read_plain(raw).is_some(), "{raw}");
        }
        for raw in [
            "Ｈｕａｘｉｎ",
            "ソニー株式会社",
            "㈱华信",
            "Café",
            "\u{F900}",
        ] {
            assert!(NameWords::read_plain(raw).is_none(), "{raw}");
        }
    }

    /// Every character the plain path reads, with its reading.
    fn plain_characters() -> impl Iterator<Item = (char, PlainChar)> {
        ('\0'..='\u{7F}')
            .chain('\u{4E00}'..='\u{9FFF}')
            .chain(PLAIN_REMOVED.iter().copied())
            .filter_map(|ch| plain_char(ch).map(|plain| (ch, plain)))
    }

    /// For each plain character on its own, the Unicode path's NFKC, lower case and classes
    /// give what [`plain_char`] says, and NFKC reorders nothing (combining class 0 throughout).
    #[test]
    fn plain_characters_read_as_the_unicode_path_reads_them() {
        use unicode_normalization::char::canonical_combining_class;
        let mut count = 0;
        for (ch, plain) in plain_characters() {
            count += 1;
            let image: Vec<char> = ch.to_string().nfkc().collect();
            let lowered: Vec<char> = image.iter().copied().flat_map(char::to_lowercase).collect();
            match plain {
                PlainChar::Kept { ch: kept, cjk } => {
                    assert_eq!(lowered, [kept], "{ch:?}");
                    assert!(kept.is_alphanumeric(), "{ch:?}");
                    assert_eq!(is_cjk(kept), cjk, "{ch:?}");
                }
                PlainChar::Removed => {
                    assert!(!lowered.is_empty(), "{ch:?}");
                    assert!(lowered.iter().all(|c| !c.is_alphanumeric()), "{ch:?}");
                }
            }
            for part in std::iter::once(ch).chain(image) {
                assert_eq!(canonical_combining_class(part), 0, "{ch:?}");
            }
        }
        assert_eq!(count, 128 + 0x5200 + PLAIN_REMOVED.len());
    }

    /// NFKC composes nothing in plain text. Canonical composition joins a character to an
    /// earlier one only if it is the second character of a canonical decomposition pair (or a
    /// Hangul vowel or trailing consonant), and so the last character of that composite's full
    /// canonical decomposition; no character that NFKC makes of plain text is one.
    #[test]
    fn nfkc_composes_nothing_in_plain_text() {
        use unicode_normalization::char::{decompose_canonical, decompose_compatible};
        let mut decomposed = std::collections::HashSet::new();
        for (ch, _) in plain_characters() {
            decomposed.insert(ch);
            decompose_compatible(ch, |part| {
                decomposed.insert(part);
            });
        }
        for ch in (0..=0x10FFFF).filter_map(char::from_u32) {
            let (mut parts, mut last) = (0, ch);
            decompose_canonical(ch, |part| {
                parts += 1;
                last = part;
            });
            assert!(
                parts < 2 || !decomposed.contains(&last),
                "{ch:?} ends in {last:?}"
            );
        }
    }

    /// A company name made of pieces: ASCII and Chinese words, legal forms, digits,
    /// punctuation of both widths, and text only the Unicode path reads (full-width letters,
    /// kana, compatibility ideographs, combining marks, special cases of lower-casing).
    fn company_name() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            3 => "[A-Za-z]{1,8}",
            3 => "[华信科技北京上海深圳有限责任公司集团股份總團分子厂]{1,6}",
            2 => prop::sample::select(LEGAL_FORMS.to_vec()).prop_map(str::to_owned),
            2 => prop::sample::select(vec![
                " ", " ", ",", ".", "&", "-", "(", ")", "/", "'", "\t", "\u{3000}", "、", "。",
                "·", "（", "）", "【", "】", "《", "》", "“", "”", "＆", "，", "．",
            ])
            .prop_map(str::to_owned),
            1 => "[0-9]{1,4}",
            1 => prop::sample::select(vec![
                "Ｈｕａｘｉｎ", "ＡＢＣ", "株式会社", "ｶﾌﾞｼｷｶﾞｲｼｬ", "カ\u{3099}", "㈱", "㍿",
                "\u{F900}", "\u{2F800}", "\u{3400}", "한국", "é", "e\u{301}", "ß", "İ", "Ⅻ", "ﬁ",
                "The ", "the", "co", "C.O.", "分公司", "\u{200B}", "\u{A0}",
            ])
            .prop_map(str::to_owned),
        ];
        prop::collection::vec(piece, 0..7).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn plain_path_never_disagrees_with_unicode_path(raw in company_name()) {
            prop_assert_eq!(company_name_key(&raw), company_name_key_full(&raw), "{:?}", raw);
        }

        #[test]
        fn plain_path_never_disagrees_on_any_text(raw in "\\PC{0,30}") {
            prop_assert_eq!(company_name_key(&raw), company_name_key_full(&raw), "{:?}", raw);
        }
    }

    proptest! {
        #[test]
        fn never_panics_and_is_idempotent(raw in "\\PC{0,40}") {
            if let Some(once) = company_name_key(&raw) {
                prop_assert!(once.chars().count() >= MIN_KEY_CHARS);
                prop_assert_eq!(company_name_key(&once), Some(once.clone()));
            }
        }

        #[test]
        fn name_like_strings_are_idempotent(
            raw in "[a-zA-Z华信科技北京公司有限集团分 .,&()（）-]{0,30}"
        ) {
            if let Some(once) = company_name_key(&raw) {
                prop_assert_eq!(company_name_key(&once), Some(once.clone()));
            }
        }
    }
}
