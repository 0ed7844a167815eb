//! Writes one record's fields the way a messy vendor does, at the configured rates.
//!
//! The content of a field (a name, a phone number) comes from the record's content stream; the
//! mess (left out, null, wrong JSON type, odd boolean, odd date, Unicode edge case) comes from a
//! second stream, so turning messiness up or down never changes the underlying data.
//!
//! A record that is one side of a customer link is *protected* ([`MessyRecord::protect`]): its
//! key is never left out, and its match fields (phones, company name) are never left out or
//! null and only get Unicode edge cases that leave their match key alone (emoji, control and
//! zero-width characters, ideographic spaces). Protection draws exactly what an unprotected
//! record draws, so it changes nothing else in the record, and the links' ground truth says
//! precisely which values the two records share.

use super::dates::DateTime;
use super::json::{ObjectWriter, write_i64, write_str};
use crate::config::MessinessConfig;
use crate::hash::Stream;

/// Which vendor's unknown extra fields to invent.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Vendor {
    /// Yonyou U8.
    U8,
    /// Yeastar YCM.
    Ycm,
}

/// Whether a non-key field is written, written as `null`, or left out.
enum Presence {
    Write,
    Null,
    Omit,
}

/// One record being written.
pub(crate) struct MessyRecord<'a> {
    obj: ObjectWriter<'a>,
    rng: Stream,
    cfg: &'a MessinessConfig,
    protected: bool,
}

impl<'a> MessyRecord<'a> {
    /// Opens the record; `mess_key` seeds the messiness stream.
    pub(crate) fn begin(out: &'a mut Vec<u8>, cfg: &'a MessinessConfig, mess_key: u64) -> Self {
        Self {
            obj: ObjectWriter::begin(out),
            rng: Stream::new(mess_key),
            cfg,
            protected: false,
        }
    }

    /// Protects the record's key and match fields when `linked` (see the module docs).
    pub(crate) fn protect(&mut self, linked: bool) {
        self.protected = linked;
    }

    fn presence(&mut self) -> Presence {
        let u = self.rng.unit();
        if u < self.cfg.missing_field_rate {
            Presence::Omit
        } else if u < self.cfg.missing_field_rate + self.cfg.null_field_rate {
            Presence::Null
        } else {
            Presence::Write
        }
    }

    /// Writes the field or `null`; false when the field was left out or is null.
    fn begin_value(&mut self, key: &str) -> bool {
        self.begin_value_kept(key, false)
    }

    /// Like [`MessyRecord::begin_value`], but a protected match field (`is_match`) is always
    /// written (the presence is drawn all the same).
    fn begin_value_kept(&mut self, key: &str, is_match: bool) -> bool {
        match self.presence() {
            Presence::Write => true,
            _ if is_match && self.protected => true,
            Presence::Null => {
                self.obj.raw(key, "null");
                false
            }
            Presence::Omit => false,
        }
    }

    /// The key field as a string; left out at `missing_key_rate`. Returns whether written.
    pub(crate) fn key_text(&mut self, key: &str, value: &str) -> bool {
        if self.rng.chance(self.cfg.missing_key_rate) && !self.protected {
            return false;
        }
        self.obj.str(key, value);
        true
    }

    /// The key field as a number (YCM customerId); sometimes sent as a string. Returns whether
    /// written.
    pub(crate) fn key_number(&mut self, key: &str, value: u64) -> bool {
        if self.rng.chance(self.cfg.missing_key_rate) && !self.protected {
            return false;
        }
        let as_string = self.rng.chance(self.cfg.type_swap_rate);
        let text = value.to_string();
        if as_string {
            self.obj.str(key, &text);
        } else {
            self.obj.raw(key, &text);
        }
        true
    }

    /// A string that must stay exactly as given (codes, references): only presence varies.
    pub(crate) fn text(&mut self, key: &str, value: &str) {
        if self.begin_value(key) {
            self.obj.str(key, value);
        }
    }

    /// A match field written as given (phone numbers): only presence varies, and not when
    /// protected.
    pub(crate) fn match_text(&mut self, key: &str, value: &str) {
        if self.begin_value_kept(key, true) {
            self.obj.str(key, value);
        }
    }

    /// A field a source edit set (`crate::changes`): always written exactly as given, so an
    /// edited record differs from its previous version whatever the messiness.
    pub(crate) fn edited_text(&mut self, key: &str, value: &str) {
        self.obj.str(key, value);
    }

    /// Free text (names, addresses, remarks): may carry a Unicode edge case.
    pub(crate) fn free_text(&mut self, key: &str, value: &str) {
        self.free_text_as(key, value, false);
    }

    /// A match field of free text (YCM `company`): like [`MessyRecord::free_text`], but when
    /// protected always written, with only edge cases that keep its match key.
    pub(crate) fn match_free_text(&mut self, key: &str, value: &str) {
        self.free_text_as(key, value, true);
    }

    fn free_text_as(&mut self, key: &str, value: &str, is_match: bool) {
        let edge = self.rng.chance(self.cfg.unicode_edge_rate);
        let edge_key = self.rng.next_u64();
        let keep_key = is_match && self.protected;
        if !self.begin_value_kept(key, is_match) {
            return;
        }
        if edge && !value.is_empty() {
            let edged = unicode_edge(&mut Stream::new(edge_key), value, keep_key);
            self.obj.str(key, &edged);
        } else {
            self.obj.str(key, value);
        }
    }

    /// A documented string made of digits (phones, QQ numbers): sometimes sent as a JSON
    /// number, but only when the number's text is the same as the string's.
    pub(crate) fn digits(&mut self, key: &str, value: &str) {
        self.digits_as(key, value, false);
    }

    /// A match field made of digits (mobiles): like [`MessyRecord::digits`], but always
    /// written when protected.
    pub(crate) fn match_digits(&mut self, key: &str, value: &str) {
        self.digits_as(key, value, true);
    }

    fn digits_as(&mut self, key: &str, value: &str, is_match: bool) {
        let swap = self.rng.chance(self.cfg.type_swap_rate);
        if !self.begin_value_kept(key, is_match) {
            return;
        }
        let number_safe = !value.is_empty()
            && value.len() <= 18
            && !value.starts_with('0')
            && value.bytes().all(|b| b.is_ascii_digit());
        if swap && number_safe {
            self.obj.raw(key, value);
        } else {
            self.obj.str(key, value);
        }
    }

    /// A documented number (U8 `timestamp`): sometimes sent as a string.
    pub(crate) fn number(&mut self, key: &str, value: i64) {
        let swap = self.rng.chance(self.cfg.type_swap_rate);
        if !self.begin_value(key) {
            return;
        }
        let out = self.obj.key(key);
        if swap {
            write_str(out, &value.to_string());
        } else {
            write_i64(out, value);
        }
    }

    /// A documented number the server renders as `0x`-prefixed hex text (U8 `timestamp` on
    /// some accounts): always a string, 16 upper-case digits. Draws the same mess as
    /// [`MessyRecord::number`], so the fields after it do not change with the form.
    pub(crate) fn hex_number(&mut self, key: &str, value: i64) {
        let _swap = self.rng.chance(self.cfg.type_swap_rate);
        if !self.begin_value(key) {
            return;
        }
        self.obj.str(key, &format!("0x{value:016X}"));
    }

    /// A boolean, usually `"1"`/`"0"`, sometimes `true`, `1`, `"是"`, `"True"`.
    pub(crate) fn boolean(&mut self, key: &str, value: bool) {
        let variant = if self.rng.chance(self.cfg.bool_variant_rate) {
            1 + self.rng.below(4)
        } else {
            self.rng.next_u64();
            0
        };
        if !self.begin_value(key) {
            return;
        }
        let json = match (variant, value) {
            (0, true) => "\"1\"",
            (0, false) => "\"0\"",
            (1, true) => "true",
            (1, false) => "false",
            (2, true) => "1",
            (2, false) => "0",
            (3, true) => "\"是\"",
            (3, false) => "\"否\"",
            (_, true) => "\"True\"",
            (_, false) => "\"False\"",
        };
        self.obj.raw(key, json);
    }

    /// A date or date-time; `None` is the vendor's empty string. At `date_variant_rate` the
    /// form changes to any of `""`, `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS`.
    pub(crate) fn date(&mut self, key: &str, value: Option<DateTime>, with_time: bool) {
        let variant = if self.rng.chance(self.cfg.date_variant_rate) {
            Some(self.rng.below(3))
        } else {
            self.rng.next_u64();
            None
        };
        if !self.begin_value(key) {
            return;
        }
        let text = match (value, variant) {
            (None, _) | (Some(_), Some(0)) => String::new(),
            (Some(d), Some(1)) => d.date_text(),
            (Some(d), Some(_)) => d.date_time_text(),
            (Some(d), None) if with_time => d.date_time_text(),
            (Some(d), None) => d.date_text(),
        };
        self.obj.str(key, &text);
    }

    /// At `extra_field_rate`, one to three fields the vendor never documented.
    pub(crate) fn extras(&mut self, vendor: Vendor) {
        if !self.rng.chance(self.cfg.extra_field_rate) {
            self.rng.next_u64();
            return;
        }
        let count = 1 + self.rng.below(3);
        let first = self.rng.below(EXTRA_KINDS);
        for k in 0..count {
            let kind = (first + k) % EXTRA_KINDS;
            let n = self.rng.range(1, 99_999);
            match (vendor, kind) {
                (Vendor::U8, 0) => self.obj.str("cCusDefine1", "扩展值"),
                (Vendor::U8, 1) => self.obj.u64("iCusCreLine", n * 100),
                (Vendor::U8, 2) => self.obj.str("dCusCreateDatetime", "2019-06-01 09:30:00"),
                (Vendor::U8, 3) => self.obj.raw("bCusState", "true"),
                (Vendor::U8, _) => self.obj.raw(
                    "cCusExtra",
                    &format!("{{\"iId\":{n},\"cTag\":[\"a\",\"b\"]}}"),
                ),
                (Vendor::Ycm, 0) => self.obj.u64("createTime", 1_600_000_000_000 + n * 1000),
                (Vendor::Ycm, 1) => self.obj.u64("ownerId", n),
                (Vendor::Ycm, 2) => self.obj.raw("tags", "[\"vip\",\"imported\"]"),
                (Vendor::Ycm, 3) => self.obj.str("source", "CSV import"),
                (Vendor::Ycm, _) => self.obj.raw("customFields", "{\"level\":2,\"note\":null}"),
            }
        }
    }

    /// Closes the record.
    pub(crate) fn end(self) {
        self.obj.end();
    }
}

const EXTRA_KINDS: u64 = 5;

/// Edge cases a company-name match key ignores (it drops every character that is not a
/// letter or digit): emoji, control characters, zero-width marks, ideographic spaces.
const KEY_KEEPING_EDGES: [u64; 4] = [0, 2, 3, 5];

/// Rewrites `value` with one Unicode edge case: emoji, full-width characters, control
/// characters, zero-width or bidi marks, ideographic spaces, or a very long string; only one of
/// [`KEY_KEEPING_EDGES`] when `keep_key`.
pub(crate) fn unicode_edge(rng: &mut Stream, value: &str, keep_key: bool) -> String {
    let kind = rng.below(7);
    let kind = if keep_key {
        KEY_KEEPING_EDGES[(kind % 4) as usize]
    } else {
        kind
    };
    match kind {
        0 => format!("{value}{}", rng.pick(&["🚀", "😀", "🏭", "👨‍👩‍👧", "🇨🇳"])),
        1 => {
            value
                .chars()
                .map(|c| match c {
                    '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
                    ' ' => '\u{3000}',
                    _ => c,
                })
                .collect::<String>()
                + "（总部）"
        }
        2 => {
            let ctl = rng.pick(&["\u{7}", "\t", "\r\n", "\u{1f}", "\u{0}", "\u{8}"]);
            let mid = value
                .char_indices()
                .nth(value.chars().count() / 2)
                .map_or(0, |(i, _)| i);
            format!("{}{ctl}{}", &value[..mid], &value[mid..])
        }
        3 => format!("\u{200b}{value}\u{200d}"),
        4 => format!("\u{202e}{value}\u{202c}e\u{301}"),
        5 => format!("\u{3000} {value} \u{3000}"),
        // At least 3000 characters: whole copies of the value (counted once, not per copy).
        _ => value.repeat(3000usize.div_ceil(value.chars().count().max(1))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_edge_case_is_valid_json() {
        let mut rng = Stream::new(1);
        for _ in 0..200 {
            let edged = unicode_edge(&mut rng, "世纪天华 Ltd.", false);
            let mut out = Vec::new();
            write_str(&mut out, &edged);
            let back: String = serde_json::from_slice(&out).expect("valid JSON");
            assert_eq!(back, edged);
        }
    }

    #[test]
    fn protection_keeps_key_and_match_fields_and_draws_the_same() {
        let mut cfg = MessinessConfig::none();
        cfg.missing_field_rate = 0.5;
        cfg.null_field_rate = 0.5;
        cfg.missing_key_rate = 1.0;
        cfg.unicode_edge_rate = 1.0;
        let write = |protected: bool| {
            let mut out = Vec::new();
            let mut rec = MessyRecord::begin(&mut out, &cfg, 3);
            rec.protect(protected);
            let has_key = rec.key_text("code", "0001");
            rec.match_text("phone", "010-62345678");
            rec.match_digits("mobile", "13811388661");
            rec.match_free_text("company", "华通电子有限公司");
            rec.text("other", "x");
            rec.end();
            let value: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
            (has_key, value)
        };
        let (has_key, free) = write(false);
        assert!(!has_key && free.get("code").is_none());
        assert!(
            ["phone", "mobile", "company"]
                .iter()
                .all(|f| !free[f].is_string())
        );
        let (has_key, kept) = write(true);
        assert!(has_key);
        assert_eq!(kept["phone"], "010-62345678");
        assert_eq!(kept["mobile"], "13811388661");
        let company = kept["company"].as_str().expect("company");
        let letters: String = company.chars().filter(|c| c.is_alphanumeric()).collect();
        assert_eq!(letters, "华通电子有限公司", "{company:?}");
        assert_eq!(
            kept.get("other"),
            free.get("other"),
            "later draws are unchanged"
        );
    }

    #[test]
    fn clean_config_writes_documented_types() {
        let cfg = MessinessConfig::none();
        let mut out = Vec::new();
        let mut rec = MessyRecord::begin(&mut out, &cfg, 9);
        rec.key_text("code", "0001");
        rec.digits("mobile", "13811388661");
        rec.number("timestamp", 12);
        rec.boolean("b", true);
        rec.date("d", None, false);
        rec.extras(Vendor::U8);
        rec.end();
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            r#"{"code":"0001","mobile":"13811388661","timestamp":12,"b":"1","d":""}"#
        );
    }
}
