//! Lenient coercion of vendor scalars into the unified column types.
//!
//! Every function takes a [`LooseString`] (the value as sent, with its JSON kind) and returns
//! `Ok(None)` for "no value" (JSON null, empty or blank text), `Ok(Some(_))` for a value it
//! understood, and a [`CoerceError`] saying why otherwise; the mapping turns that error into a
//! null field plus a `rejects` row. The functions are pure and allocation-free so the mapping
//! can call them for every field of every record.
//!
//! Date parsing is hand-written rather than chrono's format strings because the vendors mix
//! forms (`2023-01-05`, `2023/1/5`, `20230105`, `2023-01-05 08:30:00`,
//! `2023-01-05T08:30:00.000`) and trying one format string after another would cost several
//! failed parses per value.
//!
//! U8 servers backed by old MySQL-style gateways send the **zero date** `0000-00-00` (also
//! `0000-00-00 00:00:00`, `0000-00-00T00:00:00`, `0000/00/00` and the compact `00000000`) for
//! "no date". It is read as null, like an empty string, without a reject: it is the vendor's
//! way of saying nothing, not a bad value. A zero date with a time other than midnight is not
//! that convention and is rejected.

use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone,
    Utc,
};
use chrono_tz::Tz;
use custlake_client_kit::{LooseKind, LooseString};

/// Why a vendor value could not be coerced; its text is the reason written to `rejects`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CoerceError {
    /// A JSON object or array arrived where a single value belongs.
    #[error("expected a single value, got a JSON {0}")]
    NotScalar(&'static str),
    /// A JSON true/false arrived where a date, number or gender belongs.
    #[error("expected {0}, got a JSON boolean")]
    UnexpectedBoolean(&'static str),
    /// Text that is none of the accepted boolean spellings.
    #[error("not a boolean: expected 1/0, true/false, 是/否, Y/N or yes/no")]
    Boolean,
    /// Text that is not a valid calendar date in an accepted form.
    #[error(
        "not a valid date: expected YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD, optionally followed by \
         HH:MM[:SS]"
    )]
    Date,
    /// Text that is not an integer within the int64 range.
    #[error("not a whole number within the int64 range")]
    Integer,
    /// Text that is not a row version (see [`crate::row_version`]).
    #[error(
        "not a row version: expected a non-negative whole number in decimal or 0x-prefixed hex"
    )]
    RowVersion,
    /// Text that is none of the accepted gender spellings.
    #[error("unknown gender: expected 男/女/不详, male/female/unknown or M/F")]
    Gender,
}

/// A contact's gender, normalized from the vendors' spellings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Gender {
    /// 男, male, M.
    Male,
    /// 女, female, F.
    Female,
    /// 不详, 未知, unknown: the vendor says it is not known.
    Unknown,
}

impl Gender {
    /// The value written to the `gender` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
            Gender::Unknown => "unknown",
        }
    }
}

/// The trimmed text of a scalar, or `None` when it is null, empty or blank.
///
/// Numbers keep the digits they were sent with (`"mobile": 13811388661` → `"13811388661"`);
/// booleans become `true`/`false`; nested JSON is an error.
pub fn text(value: &LooseString) -> Result<Option<&str>, CoerceError> {
    scalar_text(value)
}

/// A flag from `1`/`0`, `true`/`false` (JSON or text, any case), `是`/`否`, `Y`/`N`, `yes`/`no`.
pub fn boolean(value: &LooseString) -> Result<Option<bool>, CoerceError> {
    let Some(text) = scalar_text(value)? else {
        return Ok(None);
    };
    const TRUE: [&str; 5] = ["1", "true", "y", "yes", "t"];
    const FALSE: [&str; 5] = ["0", "false", "n", "no", "f"];
    if TRUE.iter().any(|t| text.eq_ignore_ascii_case(t)) || text == "是" {
        Ok(Some(true))
    } else if FALSE.iter().any(|f| text.eq_ignore_ascii_case(f)) || text == "否" {
        Ok(Some(false))
    } else {
        Err(CoerceError::Boolean)
    }
}

/// A calendar date from `YYYY-MM-DD`, `YYYY/MM/DD` (month and day may have one digit) or
/// `YYYYMMDD`, optionally followed by a time part, which is checked and then dropped. The zero
/// date (`0000-00-00`, `00000000`, see the module docs) is `Ok(None)`.
pub fn date(value: &LooseString) -> Result<Option<NaiveDate>, CoerceError> {
    if value.kind() == LooseKind::Bool {
        return Err(CoerceError::UnexpectedBoolean("a date"));
    }
    let Some(text) = scalar_text(value)? else {
        return Ok(None);
    };
    match parse_date_time(text) {
        Some(DateText::At(parsed)) => Ok(Some(parsed.date)),
        Some(DateText::Zero) => Ok(None),
        None => Err(CoerceError::Date),
    }
}

/// A point in time from a vendor's local date-time (`YYYY-MM-DD HH:MM:SS`, or a date alone,
/// read as midnight; the date in any form [`date`] accepts), interpreted in `timezone` and
/// returned in UTC. The zero date (`0000-00-00 00:00:00`) is `Ok(None)`.
///
/// A value that carries its own offset (`Z`, `+08:00`) is read with that offset instead. In a
/// daylight-saving fold the earlier instant is taken; a time inside a daylight-saving gap is
/// read with the offset in force just before the gap.
pub fn local_date_time(
    value: &LooseString,
    timezone: Tz,
) -> Result<Option<DateTime<Utc>>, CoerceError> {
    if value.kind() == LooseKind::Bool {
        return Err(CoerceError::UnexpectedBoolean("a date-time"));
    }
    let Some(text) = scalar_text(value)? else {
        return Ok(None);
    };
    let parsed = match parse_date_time(text) {
        Some(DateText::At(parsed)) => parsed,
        Some(DateText::Zero) => return Ok(None),
        None => return Err(CoerceError::Date),
    };
    let naive = NaiveDateTime::new(parsed.date, parsed.time);
    if let Some(offset_seconds) = parsed.offset_seconds {
        let offset = FixedOffset::east_opt(offset_seconds).ok_or(CoerceError::Date)?;
        return match offset.from_local_datetime(&naive) {
            LocalResult::Single(at) => Ok(Some(at.with_timezone(&Utc))),
            _ => Err(CoerceError::Date),
        };
    }
    let at = match timezone.from_local_datetime(&naive) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.with_timezone(&Utc),
        LocalResult::None => {
            // Inside a gap (clocks jumped forward): read with the offset in force a day
            // earlier, i.e. before the jump, which moves the time forward past the gap as
            // most date libraries do.
            let day_before = naive
                .checked_sub_signed(chrono::TimeDelta::days(1))
                .ok_or(CoerceError::Date)?;
            let before = chrono::Offset::fix(&timezone.offset_from_utc_datetime(&day_before));
            match before.from_local_datetime(&naive) {
                LocalResult::Single(at) => at.with_timezone(&Utc),
                _ => return Err(CoerceError::Date),
            }
        }
    };
    Ok(Some(at))
}

/// A gender from 男/女/不详 (also 男性/女性/未知/保密), male/female/unknown or M/F/U (any case).
pub fn gender(value: &LooseString) -> Result<Option<Gender>, CoerceError> {
    if value.kind() == LooseKind::Bool {
        return Err(CoerceError::UnexpectedBoolean("a gender"));
    }
    let Some(text) = scalar_text(value)? else {
        return Ok(None);
    };
    const MALE: [&str; 4] = ["男", "男性", "male", "m"];
    const FEMALE: [&str; 4] = ["女", "女性", "female", "f"];
    const UNKNOWN: [&str; 5] = ["不详", "未知", "保密", "unknown", "u"];
    let is = |names: &[&str]| names.iter().any(|n| text.eq_ignore_ascii_case(n));
    if is(&MALE) {
        Ok(Some(Gender::Male))
    } else if is(&FEMALE) {
        Ok(Some(Gender::Female))
    } else if is(&UNKNOWN) {
        Ok(Some(Gender::Unknown))
    } else {
        Err(CoerceError::Gender)
    }
}

/// Days since 1970-01-01, the representation of Arrow's `date32`.
pub fn days_since_epoch(date: NaiveDate) -> i32 {
    // 719_163 = days from 0001-01-01 (CE day 1) to 1970-01-01.
    date.num_days_from_ce() - 719_163
}

fn not_scalar(value: &LooseString) -> CoerceError {
    if value.as_str().starts_with('[') {
        CoerceError::NotScalar("array")
    } else {
        CoerceError::NotScalar("object")
    }
}

/// The trimmed text of a string, number or boolean; `None` for null and blank.
fn scalar_text(value: &LooseString) -> Result<Option<&str>, CoerceError> {
    match value.kind() {
        LooseKind::Null => Ok(None),
        LooseKind::Nested => Err(not_scalar(value)),
        LooseKind::String | LooseKind::Number | LooseKind::Bool => Ok(non_blank(value.as_str())),
    }
}

fn non_blank(text: &str) -> Option<&str> {
    let trimmed = trim(text);
    (!trimmed.is_empty()).then_some(trimmed)
}

/// `str::trim`, but with a fast path for the usual case of nothing to trim: looking at the
/// first and last character only is several times cheaper than `trim` scanning both ends
/// through its generic pattern machinery, and this runs for every field of every record.
pub(crate) fn trim(text: &str) -> &str {
    let starts_blank = text.chars().next().is_some_and(char::is_whitespace);
    let ends_blank = text.chars().next_back().is_some_and(char::is_whitespace);
    if starts_blank || ends_blank {
        text.trim()
    } else {
        text
    }
}

/// A date with an optional time of day and UTC offset, as parsed from vendor text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ParsedDateTime {
    date: NaiveDate,
    /// Midnight when the text had no time part.
    time: NaiveTime,
    offset_seconds: Option<i32>,
}

/// What a vendor's date text says: a point in time, or the zero date ("no date").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DateText {
    At(ParsedDateTime),
    Zero,
}

/// Parses a date (`Y-M-D` or `Y/M/D` with a 4-digit year and 1–2 digit month and day, or
/// `YYYYMMDD`), then optionally a space or `T`, `H:MM[:SS[.fraction]]`, then optionally `Z` or
/// `±HH[:MM]`. An all-zero date followed by nothing or by a midnight time without offset is
/// the zero date.
fn parse_date_time(text: &str) -> Option<DateText> {
    let mut cursor = Cursor::new(text.as_bytes());
    let (year, month, day) = date_fields(&mut cursor)?;
    let (time, offset_seconds) = time_and_offset(&mut cursor)?;
    if (year, month, day) == (0, 0, 0) {
        return (time == NaiveTime::MIN && offset_seconds.is_none()).then_some(DateText::Zero);
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    Some(DateText::At(ParsedDateTime {
        date,
        time,
        offset_seconds,
    }))
}

/// Year, month and day of `Y-M-D`, `Y/M/D` or `YYYYMMDD`, not yet checked as a calendar date.
fn date_fields(cursor: &mut Cursor<'_>) -> Option<(u32, u32, u32)> {
    let start = cursor.pos;
    let lead = cursor.digits(4, 8)?;
    match cursor.pos - start {
        8 => Some((lead / 10_000, lead / 100 % 100, lead % 100)),
        4 => {
            let separator = cursor.next_if(|b| b == b'-' || b == b'/')?;
            let month = cursor.digits(1, 2)?;
            cursor.expect(separator)?;
            let day = cursor.digits(1, 2)?;
            Some((lead, month, day))
        }
        _ => None,
    }
}

/// The optional time part after a date, up to the end of the text: midnight and no offset when
/// there is none.
fn time_and_offset(cursor: &mut Cursor<'_>) -> Option<(NaiveTime, Option<i32>)> {
    if cursor.at_end() {
        return Some((NaiveTime::MIN, None));
    }
    if cursor.next_if(|b| b == b'T').is_none() {
        cursor.next_if(|b| b == b' ')?;
        while cursor.next_if(|b| b == b' ').is_some() {}
    }
    let hour = cursor.digits(1, 2)?;
    cursor.expect(b':')?;
    let minute = cursor.digits(2, 2)?;
    let mut second = 0;
    let mut micro = 0;
    if cursor.next_if(|b| b == b':').is_some() {
        second = cursor.digits(2, 2)?;
        if cursor.next_if(|b| b == b'.' || b == b',').is_some() {
            micro = cursor.fraction_micros()?;
        }
    }
    let time = NaiveTime::from_hms_micro_opt(hour, minute, second, micro)?;
    if cursor.at_end() {
        return Some((time, None));
    }
    let offset = utc_offset(cursor)?;
    cursor.at_end().then_some((time, Some(offset)))
}

/// `Z` or `±HH[:MM]` (after optional blanks), in seconds east of UTC.
fn utc_offset(cursor: &mut Cursor<'_>) -> Option<i32> {
    while cursor.next_if(|b| b == b' ').is_some() {}
    if cursor.next_if(|b| b == b'Z' || b == b'z').is_some() {
        return Some(0);
    }
    let sign = match cursor.next_if(|b| b == b'+' || b == b'-')? {
        b'-' => -1,
        _ => 1,
    };
    let hours = cursor.digits(2, 2)?;
    cursor.next_if(|b| b == b':');
    let minutes = if cursor.at_end() {
        0
    } else {
        cursor.digits(2, 2)?
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * i32::try_from(hours * 3600 + minutes * 60).ok()?)
}

/// A byte cursor for the date parser.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }

    fn next_if(&mut self, accept: impl FnOnce(u8) -> bool) -> Option<u8> {
        let b = *self.bytes.get(self.pos)?;
        if accept(b) {
            self.pos += 1;
            Some(b)
        } else {
            None
        }
    }

    fn expect(&mut self, wanted: u8) -> Option<u8> {
        self.next_if(|b| b == wanted)
    }

    /// Between `min` and `max` ASCII digits as a number.
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let mut value = 0u32;
        let mut count = 0;
        while count < max {
            match self.bytes.get(self.pos) {
                Some(b) if b.is_ascii_digit() => {
                    value = value * 10 + u32::from(b - b'0');
                    self.pos += 1;
                    count += 1;
                }
                _ => break,
            }
        }
        (count >= min).then_some(value)
    }

    /// One or more digits of a decimal fraction of a second, as microseconds (digits beyond
    /// the sixth are dropped, as the column holds microseconds).
    fn fraction_micros(&mut self) -> Option<u32> {
        let mut micros = 0u32;
        let mut count = 0;
        while let Some(b) = self.bytes.get(self.pos).filter(|b| b.is_ascii_digit()) {
            if count < 6 {
                micros = micros * 10 + u32::from(b - b'0');
            }
            count += 1;
            self.pos += 1;
        }
        if count == 0 {
            return None;
        }
        for _ in count..6 {
            micros *= 10;
        }
        Some(micros)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> LooseString {
        LooseString::string(text)
    }

    fn json(text: &str) -> LooseString {
        serde_json::from_str(text).expect("test JSON is valid")
    }

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    #[test]
    fn text_trims_keeps_number_digits_and_nulls_blank() {
        assert_eq!(text(&s("  世纪天华 ")), Ok(Some("世纪天华")));
        assert_eq!(text(&json("13811388661")), Ok(Some("13811388661")));
        assert_eq!(text(&json("true")), Ok(Some("true")));
        assert_eq!(text(&s("")), Ok(None));
        assert_eq!(text(&s(" \t\u{3000}")), Ok(None));
        assert_eq!(text(&json("null")), Ok(None));
        assert_eq!(
            text(&json("{\"a\":1}")),
            Err(CoerceError::NotScalar("object"))
        );
        assert_eq!(text(&json("[1]")), Err(CoerceError::NotScalar("array")));
    }

    #[test]
    fn booleans_in_every_vendor_spelling() {
        for t in ["1", "true", "TRUE", "True", "是", "Y", "y", "yes", " 1 "] {
            assert_eq!(boolean(&s(t)), Ok(Some(true)), "{t:?}");
        }
        for f in ["0", "false", "False", "否", "N", "n", "no"] {
            assert_eq!(boolean(&s(f)), Ok(Some(false)), "{f:?}");
        }
        assert_eq!(boolean(&json("true")), Ok(Some(true)));
        assert_eq!(boolean(&json("false")), Ok(Some(false)));
        assert_eq!(boolean(&json("1")), Ok(Some(true)));
        assert_eq!(boolean(&json("0")), Ok(Some(false)));
        assert_eq!(boolean(&s("")), Ok(None));
        assert_eq!(boolean(&json("null")), Ok(None));
        assert_eq!(boolean(&s("maybe")), Err(CoerceError::Boolean));
        assert_eq!(boolean(&json("2")), Err(CoerceError::Boolean));
        assert_eq!(
            boolean(&json("[true]")),
            Err(CoerceError::NotScalar("array"))
        );
    }

    #[test]
    fn dates_with_or_without_time() {
        let want = Ok(Some(ymd(2023, 1, 5)));
        for d in [
            "2023-01-05",
            "2023/01/05",
            "2023/1/5",
            "2023-1-5",
            "2023-01-05 00:00:00",
            "2023-01-05 13:45:09",
            "2023/01/05 13:45",
            "2023-01-05T13:45:09",
            "2023-01-05 13:45:09.123",
            "2023-01-05T13:45:09Z",
            "2023-01-05 8:05:00",
            " 2023-01-05 ",
        ] {
            assert_eq!(date(&s(d)), want, "{d:?}");
        }
        assert_eq!(date(&s("")), Ok(None));
        assert_eq!(date(&json("null")), Ok(None));
        for bad in [
            "2023-13-45",
            "2023-02-30",
            "2023-01-05 25:00:00",
            "2023-01-05 12:60",
            "2023-01/05",
            "23-01-05",
            "2023-01-05x",
            "yesterday",
            "2023-01-05 12:00:00 +25:00",
        ] {
            assert_eq!(date(&s(bad)), Err(CoerceError::Date), "{bad:?}");
        }
        assert_eq!(
            date(&json("true")),
            Err(CoerceError::UnexpectedBoolean("a date"))
        );
        assert_eq!(date(&json("{}")), Err(CoerceError::NotScalar("object")));
    }

    #[test]
    fn compact_dates_are_dates() {
        for d in [
            "20150101",
            " 20150101 ",
            "20150101 00:00:00",
            "20150101 12:30:00",
            "20150101T12:30:00",
            "20150101 12:30",
        ] {
            assert_eq!(date(&s(d)), Ok(Some(ymd(2015, 1, 1))), "{d:?}");
        }
        // The same digits as a JSON number, as U8 sends numbers for strings elsewhere.
        assert_eq!(date(&json("20150101")), Ok(Some(ymd(2015, 1, 1))));
        assert_eq!(date(&s("20240229")), Ok(Some(ymd(2024, 2, 29))));
        for bad in [
            "20151301", // month 13
            "20150230", // 30 February
            "20150001", // month 0
            "20150100", // day 0
            "20230229", // not a leap year
            "2015011",  // 7 digits
            "201501011",
            "20150101 25:00:00",
            "20150101 1230",
            "2015 0101",
        ] {
            assert_eq!(date(&s(bad)), Err(CoerceError::Date), "{bad:?}");
        }
    }

    #[test]
    fn the_zero_date_is_no_date_without_a_reject() {
        // `00000000` is the compact spelling of the same zero date, so it is read the same way.
        for zero in [
            "0000-00-00",
            "0000-00-00 00:00:00",
            "0000-00-00T00:00:00",
            "0000-00-00 00:00",
            "0000-00-00 00:00:00.000",
            "0000/00/00",
            "00000000",
            " 0000-00-00 ",
        ] {
            assert_eq!(date(&s(zero)), Ok(None), "{zero:?}");
            assert_eq!(
                local_date_time(&s(zero), chrono_tz::Asia::Shanghai),
                Ok(None),
                "{zero:?}"
            );
        }
        // Only the all-zero date at midnight is the convention; anything else is a bad value.
        for bad in [
            "0000-00-00 12:30:00",
            "0000-00-00 00:00:00Z",
            "0000-00-01",
            "0000-01-00",
            "2015-02-30",
            "0000-00-00x",
            "000-00-00",
        ] {
            assert_eq!(date(&s(bad)), Err(CoerceError::Date), "{bad:?}");
            assert_eq!(
                local_date_time(&s(bad), chrono_tz::Asia::Shanghai),
                Err(CoerceError::Date),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn local_date_times_become_utc() {
        let shanghai = chrono_tz::Asia::Shanghai;
        let utc = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .expect("valid test instant")
                .with_timezone(&Utc)
        };
        assert_eq!(
            local_date_time(&s("2023-01-05 08:30:00"), shanghai),
            Ok(Some(utc("2023-01-05T00:30:00Z")))
        );
        assert_eq!(
            local_date_time(&s("2023-01-05"), shanghai),
            Ok(Some(utc("2023-01-04T16:00:00Z")))
        );
        assert_eq!(
            local_date_time(&s("2023/1/5 8:30:00.250"), shanghai),
            Ok(Some(utc("2023-01-05T00:30:00.250Z")))
        );
        assert_eq!(
            local_date_time(&s("2023-01-05T08:30:00+09:00"), shanghai),
            Ok(Some(utc("2023-01-04T23:30:00Z")))
        );
        assert_eq!(
            local_date_time(&s("2023-01-05 08:30:00Z"), shanghai),
            Ok(Some(utc("2023-01-05T08:30:00Z")))
        );
        assert_eq!(local_date_time(&s(""), shanghai), Ok(None));
        assert_eq!(
            local_date_time(&s("2023-13-45"), shanghai),
            Err(CoerceError::Date)
        );
        assert_eq!(
            local_date_time(&s("20230105 08:30:00"), shanghai),
            Ok(Some(utc("2023-01-05T00:30:00Z")))
        );
    }

    #[test]
    fn daylight_saving_folds_and_gaps_do_not_fail() {
        let berlin = chrono_tz::Europe::Berlin;
        let utc = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .expect("valid test instant")
                .with_timezone(&Utc)
        };
        // 2023-10-29 02:30 happened twice in Berlin: the earlier (CEST, +02:00) is taken.
        assert_eq!(
            local_date_time(&s("2023-10-29 02:30:00"), berlin),
            Ok(Some(utc("2023-10-29T00:30:00Z")))
        );
        // 2023-03-26 02:30 never happened in Berlin: read with +01:00, the offset before.
        assert_eq!(
            local_date_time(&s("2023-03-26 02:30:00"), berlin),
            Ok(Some(utc("2023-03-26T01:30:00Z")))
        );
    }

    #[test]
    fn genders_normalize() {
        for (input, want) in [
            ("男", Gender::Male),
            ("male", Gender::Male),
            ("M", Gender::Male),
            ("女", Gender::Female),
            ("Female", Gender::Female),
            ("f", Gender::Female),
            ("不详", Gender::Unknown),
            ("未知", Gender::Unknown),
            ("UNKNOWN", Gender::Unknown),
        ] {
            assert_eq!(gender(&s(input)), Ok(Some(want)), "{input:?}");
        }
        assert_eq!(gender(&s(" ")), Ok(None));
        assert_eq!(gender(&s("robot")), Err(CoerceError::Gender));
        assert_eq!(Gender::Unknown.as_str(), "unknown");
    }

    #[test]
    fn date32_days() {
        assert_eq!(days_since_epoch(ymd(1970, 1, 1)), 0);
        assert_eq!(days_since_epoch(ymd(1970, 1, 2)), 1);
        assert_eq!(days_since_epoch(ymd(1969, 12, 31)), -1);
        assert_eq!(days_since_epoch(ymd(2023, 1, 5)), 19_362);
    }
}
