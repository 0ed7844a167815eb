//! Company names as match keys: `北京华信科技有限公司` and `Huaxin Technology Co., Ltd.` lose
//! what people write differently (width, case, punctuation, spacing, the legal form) and keep
//! what names the company.
//!
//! The key is for exact-match joins, not for fuzzy similarity: two names get the same key only
//! if they differ in nothing but those features.

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
    let mut key = key_once(raw)?;
    // A second pass can still find a legal form whose word boundary was a removed space
    // (`C.O.` becomes `co`): repeat until nothing changes, so that the key is a fixed point.
    // Every pass that changes the key shortens it, so this ends.
    loop {
        let next = key_once(&key)?;
        if next == key {
            return Some(key);
        }
        key = next;
    }
}

/// One pass of the rules in [`company_name_key`].
fn key_once(raw: &str) -> Option<String> {
    let mut name = NameWords::read(raw);
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
    fn read(raw: &str) -> NameWords {
        let mut name = NameWords {
            text: String::with_capacity(raw.len()),
            ends: Vec::new(),
        };
        let mut previous_cjk = None;
        for ch in raw.nfkc().flat_map(char::to_lowercase) {
            if !ch.is_alphanumeric() {
                name.end_word();
                previous_cjk = None;
                continue;
            }
            let cjk = is_cjk(ch);
            if previous_cjk.is_some_and(|previous| previous != cjk) {
                name.end_word();
            }
            previous_cjk = Some(cjk);
            name.text.push(ch);
        }
        name.end_word();
        name
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
