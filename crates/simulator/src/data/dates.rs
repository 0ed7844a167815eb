//! Calendar arithmetic for generated dates, without a time-zone library.
//!
//! U8 dates are local times of the U8 server with no zone attached, so plain civil dates are
//! exactly what is needed; Howard Hinnant's days-from-civil algorithm converts day numbers.

/// A civil date and time of day (no zone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DateTime {
    year: i64,
    month: u32,
    day: u32,
    seconds_of_day: u32,
}

impl DateTime {
    /// The date `days` after 1970-01-01, at `seconds_of_day` past midnight.
    pub(crate) fn from_days(days: i64, seconds_of_day: u32) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Self {
            year,
            month,
            day,
            seconds_of_day: seconds_of_day % 86_400,
        }
    }

    /// Days since 1970-01-01 of a calendar date.
    pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Seconds since 1970-01-01 00:00:00 of this civil time (no zone), for comparisons.
    pub(crate) fn seconds_since_epoch(&self) -> i64 {
        Self::days_from_civil(self.year, self.month, self.day) * 86_400
            + i64::from(self.seconds_of_day)
    }

    /// Parses `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS` (what U8 filters take); `None` otherwise.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (date, time) = match text.split_once([' ', 'T']) {
            Some((date, time)) => (date, Some(time)),
            None => (text, None),
        };
        let mut parts = date.split('-');
        let year: i64 = parts.next()?.parse().ok()?;
        let month: u32 = parts.next()?.parse().ok()?;
        let day: u32 = parts.next()?.parse().ok()?;
        if parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        let seconds = match time {
            None => 0,
            Some(time) => {
                let mut hms = time.split(':');
                let h: u32 = hms.next()?.parse().ok()?;
                let m: u32 = hms.next()?.parse().ok()?;
                let s: u32 = hms.next().map_or(Some(0), |s| s.parse().ok())?;
                if h > 23 || m > 59 || s > 59 {
                    return None;
                }
                h * 3600 + m * 60 + s
            }
        };
        let parsed = Self::from_days(Self::days_from_civil(year, month, day), seconds);
        // Rejects dates like 2024-02-30 that the arithmetic would roll over.
        (parsed.day == day && parsed.month == month).then_some(parsed)
    }

    /// `YYYY-MM-DD`.
    pub(crate) fn date_text(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// `YYYY-MM-DD HH:MM:SS`.
    pub(crate) fn date_time_text(&self) -> String {
        let s = self.seconds_of_day;
        format!(
            "{} {:02}:{:02}:{:02}",
            self.date_text(),
            s / 3600,
            s / 60 % 60,
            s % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_known_dates() {
        assert_eq!(DateTime::from_days(0, 0).date_text(), "1970-01-01");
        let days = DateTime::days_from_civil(2024, 2, 29);
        assert_eq!(
            DateTime::from_days(days, 3661).date_time_text(),
            "2024-02-29 01:01:01"
        );
        assert_eq!(DateTime::days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn parses_filter_dates_and_rejects_impossible_ones() {
        let d = DateTime::parse("2024-02-29 01:01:01").expect("valid");
        assert_eq!(d.date_time_text(), "2024-02-29 01:01:01");
        let day = DateTime::parse("2024-03-01").expect("valid");
        assert_eq!(
            day.seconds_since_epoch() - d.seconds_since_epoch(),
            86_400 - 3661
        );
        for bad in [
            "",
            "2024-02-30",
            "2024-13-01",
            "24-1",
            "2024-01-01 25:00:00",
            "x",
        ] {
            assert_eq!(DateTime::parse(bad), None, "{bad}");
        }
    }
}
