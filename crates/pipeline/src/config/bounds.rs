//! What validation refuses in a `[[sources]]` table beyond missing or unknown settings: every
//! number outside a range that keeps a run finite and panic-free, a name too long to become a
//! file name, and names that two sources would share as a folder or an environment variable.

use super::error::ConfigError;
use super::secrets::{env_name, secret_env_var};
use super::toml_model::{ExportConfig, SourceConfig};
use crate::model::VendorKind;

/// The longest source name: it becomes the `tenant=` folder and part of file names, which
/// file systems limit to 255 bytes.
pub(super) const MAX_NAME_CHARS: usize = 64;

/// The range a number setting must lie in, its default, and the unit the messages name.
pub(super) struct Bound<T> {
    pub(super) min: T,
    pub(super) max: T,
    pub(super) default: T,
    pub(super) unit: &'static str,
}

/// A setting's value as a message shows it: `1e300` rather than 301 digits.
pub(super) trait Shown: Copy + PartialOrd {
    fn shown(self) -> String;
}

impl Shown for f64 {
    fn shown(self) -> String {
        if self == 0.0 || (self.is_finite() && (1e-4..1e15).contains(&self.abs())) {
            format!("{self}")
        } else {
            format!("{self:?}")
        }
    }
}

macro_rules! shown_by_display {
    ($($t:ty),*) => {$(
        impl Shown for $t {
            fn shown(self) -> String {
                self.to_string()
            }
        }
    )*};
}
shown_by_display!(u32, u64, i64);

/// Seconds before a request is abandoned: at least 1 ms (a shorter one never succeeds), at most
/// 1 hour (also keeps `Duration::from_secs_f64` from panicking).
pub(super) const REQUEST_TIMEOUT_SECS: Bound<f64> = Bound {
    min: 0.001,
    max: 3600.0,
    default: 30.0,
    unit: "seconds (1 ms to 1 hour)",
};
/// A slower budget makes each request wait over 100 s for its turn: a run that looks hung.
pub(super) const REQUESTS_PER_SECOND: Bound<f64> = Bound {
    min: 0.01,
    max: 1_000_000.0,
    default: 20.0,
    unit: "requests per second",
};
pub(super) const BURST: Bound<i64> = Bound {
    min: 1,
    max: 10_000,
    default: 1,
    unit: "requests",
};
pub(super) const CONCURRENCY: Bound<i64> = Bound {
    min: 1,
    max: 256,
    default: 8,
    unit: "pages in flight",
};
/// U8 documents no maximum; larger pages only make single answers huge.
const U8_PAGE_SIZE: Bound<u32> = Bound {
    min: 1,
    max: 10_000,
    default: 500,
    unit: "records per page",
};
const YCM_PAGE_SIZE: Bound<u32> = Bound {
    min: 1,
    max: yeastar_ycm::MAX_PAGE_SIZE,
    default: yeastar_ycm::MAX_PAGE_SIZE,
    unit: "records per page (YCM's maximum is 50)",
};
/// Each planned page number is queued before it is fetched, so the limit also bounds memory.
pub(super) const MAX_PAGES: Bound<u64> = Bound {
    min: 1,
    max: 10_000_000,
    default: 1_000_000,
    unit: "pages",
};
const MAX_ATTEMPTS: Bound<u32> = Bound {
    min: 1,
    max: 100,
    default: 8,
    unit: "attempts per request (1 means no retries)",
};
/// A backoff that starts at 0 stays 0: retries would go out back to back.
const INITIAL_BACKOFF_MS: Bound<u64> = Bound {
    min: 1,
    max: 3_600_000,
    default: 200,
    unit: "milliseconds (1 ms to 1 hour)",
};
const MAX_BACKOFF_MS: Bound<u64> = Bound {
    min: 1,
    max: 3_600_000,
    default: 20_000,
    unit: "milliseconds (1 ms to 1 hour)",
};

/// A Retry-After above this fails the page; 0 would refuse every Retry-After, more than a day
/// is a run that looks hung.
/// `[sources.guard] max_missing_share`: a fraction of the announced total.
pub(super) const MAX_MISSING_SHARE: Bound<f64> = Bound {
    min: 0.0,
    max: 1.0,
    default: 0.01,
    unit: "(a fraction: 0.01 is 1 %)",
};
/// `[sources.guard] max_shrink`: a fraction of a partition's current rows.
pub(super) const MAX_SHRINK: Bound<f64> = Bound {
    min: 0.0,
    max: 1.0,
    default: 0.5,
    unit: "(a fraction: 0.5 is 50 %)",
};
pub(super) const MAX_RETRY_AFTER_SECS: Bound<u64> = Bound {
    min: 1,
    max: 86_400,
    default: 300,
    unit: "seconds (1 s to 1 day)",
};
/// Below 1 KiB even a token answer does not fit; a page is held about ten times over while it
/// is decoded and mapped, so more than 1 GiB exhausts memory before it protects it.
pub(super) const MAX_RESPONSE_BYTES: Bound<u64> = Bound {
    min: 1024,
    max: 1024 * 1024 * 1024,
    default: custlake_client_kit::DEFAULT_MAX_RESPONSE_BYTES,
    unit: "bytes (1 KiB to 1 GiB)",
};

/// The page size range of a vendor.
pub(super) fn page_size_bound(kind: VendorKind) -> &'static Bound<u32> {
    match kind {
        VendorKind::YonyouU8 => &U8_PAGE_SIZE,
        VendorKind::YeastarYcm => &YCM_PAGE_SIZE,
    }
}

impl SourceConfig {
    /// `value` (or the default when it is not set) if it lies in `bound`; NaN and infinities
    /// never do.
    pub(super) fn bounded<T: Shown>(
        &self,
        setting: &str,
        value: Option<T>,
        bound: &Bound<T>,
    ) -> Result<T, ConfigError> {
        let value = value.unwrap_or(bound.default);
        if bound.min <= value && value <= bound.max {
            return Ok(value);
        }
        Err(self.problem(
            setting,
            format!(
                "{} is outside {}..={} {}; set a value in that range, or remove it for the \
                 default ({})",
                value.shown(),
                bound.min.shown(),
                bound.max.shown(),
                bound.unit,
                bound.default.shown()
            ),
        ))
    }

    /// Every `[sources.retry]` number within its range.
    pub(super) fn check_retry_bounds(&self) -> Result<(), ConfigError> {
        let retry = &self.retry;
        self.bounded(
            "retry.max_attempts",
            Some(retry.max_attempts),
            &MAX_ATTEMPTS,
        )?;
        self.bounded(
            "retry.initial_backoff_ms",
            Some(retry.initial_backoff_ms),
            &INITIAL_BACKOFF_MS,
        )?;
        self.bounded(
            "retry.max_backoff_ms",
            Some(retry.max_backoff_ms),
            &MAX_BACKOFF_MS,
        )?;
        Ok(())
    }

    /// The name fits in a file name.
    pub(super) fn check_name_length(&self) -> Result<(), ConfigError> {
        let chars = self.name.chars().count();
        if chars <= MAX_NAME_CHARS {
            return Ok(());
        }
        Err(self.problem(
            "name",
            format!(
                "{:?} has {chars} characters; use at most {MAX_NAME_CHARS} (it becomes the \
                 tenant= folder and part of file names)",
                self.name
            ),
        ))
    }

    /// Whether `self` would share a partition folder (names differing only in case, the same
    /// folder on case-insensitive file systems) or its secret variables with `earlier`.
    fn clashes_with(&self, earlier: &SourceConfig) -> Result<(), ConfigError> {
        if self.name.eq_ignore_ascii_case(&earlier.name) {
            return Err(self.problem(
                "name",
                format!(
                    "{:?} differs from source {:?} only in letter case, so their tenant= \
                     folders differ only in case (and are one folder on case-insensitive file \
                     systems); rename one of them",
                    self.name, earlier.name
                ),
            ));
        }
        if env_name(&self.name) == env_name(&earlier.name) {
            let variable = secret_env_var(&self.name, self.secret_setting());
            return Err(self.problem(
                "name",
                format!(
                    "{:?} and source {:?} would both read their secrets from {variable} (names \
                     become variable names in upper case with '_' for '-'); rename one of them",
                    self.name, earlier.name
                ),
            ));
        }
        Ok(())
    }

    fn secret_setting(&self) -> &'static str {
        match self.kind {
            VendorKind::YonyouU8 => "app_secret",
            VendorKind::YeastarYcm => "client_secret",
        }
    }
}

impl ExportConfig {
    /// No two sources share a folder or secret variables (exact repeats are reported before).
    pub(super) fn check_distinct_names(&self) -> Result<(), ConfigError> {
        for (i, source) in self.sources.iter().enumerate() {
            for earlier in &self.sources[..i] {
                source.clashes_with(earlier)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::ExportConfig;

    fn source(name: &str, extra: &str) -> String {
        format!(
            "[[sources]]\nname = {name:?}\nkind = \"yonyou_u8\"\nbase_url = \"https://api.yonyouup.com\"\n\
             from_account = \"f\"\nto_account = \"t\"\napp_key = \"k\"\napp_secret = \"s\"\n{extra}\n"
        )
    }

    fn validate(sources: &str) -> Result<(), String> {
        let text = format!("[output]\npath = \"out\"\n{sources}");
        let config: ExportConfig = toml::from_str(&text).map_err(|e| format!("parse: {e}"))?;
        config.validate().map(|_| ()).map_err(|e| e.to_string())
    }

    /// `extra` (lines of the source table) is refused with a message naming the source, the
    /// setting, the value as `shown`, and the default as the fix.
    fn refused(extra: &str, setting: &str, shown: &str) -> String {
        let message =
            validate(&source("acme", extra)).expect_err(&format!("{extra:?} must be refused"));
        let named = format!("source \"acme\" (yonyou_u8), setting {setting}: {shown} is outside ");
        assert!(
            message.starts_with(&named) && message.contains("remove it for the default"),
            "{extra:?}: expected {named:?}… and the fix in: {message}"
        );
        message
    }

    #[test]
    fn request_timeouts_outside_1_ms_to_1_hour_are_refused() {
        for (value, shown) in [
            ("1e300", "1e300"),
            ("1e-300", "1e-300"),
            ("0.0005", "0.0005"),
            ("3601", "3601"),
            ("0", "0"),
            ("-1", "-1"),
            ("nan", "NaN"),
            ("inf", "inf"),
            ("-inf", "-inf"),
        ] {
            let message = refused(
                &format!("request_timeout_secs = {value}"),
                "request_timeout_secs",
                shown,
            );
            assert!(message.contains("0.001..=3600 seconds"), "{message}");
        }
        for edge in ["0.001", "3600"] {
            validate(&source("acme", &format!("request_timeout_secs = {edge}")))
                .expect("the edges are accepted");
        }
    }

    #[test]
    fn request_rates_below_one_per_100_seconds_or_not_finite_are_refused() {
        for (value, shown) in [
            ("1e-300", "1e-300"),
            ("0.001", "0.001"),
            ("1e300", "1e300"),
            ("0", "0"),
            ("-5", "-5"),
            ("nan", "NaN"),
            ("inf", "inf"),
        ] {
            refused(
                &format!("requests_per_second = {value}"),
                "requests_per_second",
                shown,
            );
        }
        for edge in ["0.01", "1000000"] {
            validate(&source("acme", &format!("requests_per_second = {edge}")))
                .expect("the edges are accepted");
        }
    }

    #[test]
    fn page_size_concurrency_and_burst_are_refused_outside_their_ranges_with_the_fix() {
        refused("page_size = 0", "page_size", "0");
        refused("page_size = 10001", "page_size", "10001");
        refused("page_size = 4294967295", "page_size", "4294967295");
        refused("concurrency = 0", "concurrency", "0");
        refused("concurrency = -3", "concurrency", "-3");
        refused("concurrency = 257", "concurrency", "257");
        refused("burst = 0", "burst", "0");
        refused("burst = -1", "burst", "-1");
        refused("burst = 10001", "burst", "10001");
        validate(&source(
            "acme",
            "page_size = 10000\nconcurrency = 256\nburst = 10000",
        ))
        .expect("the edges are accepted");
    }

    #[test]
    fn retry_after_caps_and_answer_bounds_outside_their_ranges_are_refused() {
        for (value, shown) in [("0", "0"), ("86401", "86401"), ("999999999", "999999999")] {
            let message = refused(
                &format!("[sources.retry]\nmax_retry_after_secs = {value}"),
                "retry.max_retry_after_secs",
                shown,
            );
            assert!(message.contains("1..=86400 seconds"), "{message}");
        }
        for (value, shown) in [("0", "0"), ("1023", "1023"), ("1073741825", "1073741825")] {
            let message = refused(
                &format!("max_response_bytes = {value}"),
                "max_response_bytes",
                shown,
            );
            assert!(message.contains("1024..=1073741824 bytes"), "{message}");
        }
        // Negative numbers do not fit the settings' type: the parser names the key.
        for extra in [
            "max_response_bytes = -1",
            "[sources.retry]\nmax_retry_after_secs = -300",
        ] {
            let message = validate(&source("acme", extra)).expect_err(extra);
            let key = extra.rsplit('\n').next().and_then(|l| l.split(' ').next());
            assert!(message.contains(key.unwrap_or_default()), "{message}");
        }
        validate(&source(
            "acme",
            "max_response_bytes = 1024\n[sources.retry]\nmax_retry_after_secs = 1",
        ))
        .expect("the low edges are accepted");
        validate(&source(
            "acme",
            "max_response_bytes = 1073741824\n[sources.retry]\nmax_retry_after_secs = 86400",
        ))
        .expect("the high edges are accepted");
        // The YCM account gets the bound too.
        let ycm = "[output]\npath = \"out\"\n[[sources]]\nname = \"y\"\nkind = \"yeastar_ycm\"\n\
                   base_url = \"https://ycm.example\"\nclient_id = \"c\"\nclient_secret = \"s\"\n\
                   max_response_bytes = 100";
        let config: ExportConfig = toml::from_str(ycm).expect("parses");
        let message = config.validate().expect_err("too small").to_string();
        assert!(
            message.starts_with("source \"y\" (yeastar_ycm), setting max_response_bytes: 100"),
            "{message}"
        );
    }

    #[test]
    fn retry_settings_that_would_never_end_or_never_wait_are_refused() {
        refused(
            "[sources.retry]\nmax_attempts = 0",
            "retry.max_attempts",
            "0",
        );
        refused(
            "[sources.retry]\nmax_attempts = 101",
            "retry.max_attempts",
            "101",
        );
        refused(
            "[sources.retry]\nmax_attempts = 4294967295",
            "retry.max_attempts",
            "4294967295",
        );
        refused(
            "[sources.retry]\ninitial_backoff_ms = 0",
            "retry.initial_backoff_ms",
            "0",
        );
        refused(
            "[sources.retry]\ninitial_backoff_ms = 18446744073709551615",
            "retry.initial_backoff_ms",
            "18446744073709551615",
        );
        refused(
            "[sources.retry]\nmax_backoff_ms = 3600001",
            "retry.max_backoff_ms",
            "3600001",
        );
        let negative = validate(&source("acme", "[sources.retry]\nmax_backoff_ms = -1"));
        assert!(
            negative.as_ref().is_err_and(|e| e.starts_with("parse: ")),
            "{negative:?}"
        );
        validate(&source(
            "acme",
            "[sources.retry]\nmax_attempts = 100\ninitial_backoff_ms = 1\nmax_backoff_ms = 3600000",
        ))
        .expect("the edges are accepted");
    }

    #[test]
    fn max_pages_must_be_at_least_1_and_bounded() {
        refused("max_pages = 0", "max_pages", "0");
        refused("max_pages = 1000000000000", "max_pages", "1000000000000");
        let negative = validate(&source("acme", "max_pages = -1"));
        assert!(
            negative.as_ref().is_err_and(|e| e.starts_with("parse: ")),
            "{negative:?}"
        );
        validate(&source("acme", "max_pages = 1")).expect("1 is accepted");
    }

    #[test]
    fn a_name_longer_than_64_characters_is_refused() {
        let long = "a".repeat(65);
        let message = validate(&source(&long, "")).expect_err("65 characters");
        assert!(
            message.starts_with(&format!("source {long:?} (yonyou_u8), setting name: "))
                && message.contains("65 characters")
                && message.contains("at most 64"),
            "{message}"
        );
        validate(&source(&"a".repeat(64), "")).expect("64 characters are accepted");
    }

    #[test]
    fn names_differing_only_in_case_are_refused() {
        let message =
            validate(&format!("{}{}", source("Dup", ""), source("dup", ""))).expect_err("Dup/dup");
        assert!(
            message.starts_with("source \"dup\" (yonyou_u8), setting name: ")
                && message.contains("\"Dup\"")
                && message.contains("only in letter case"),
            "{message}"
        );
    }

    #[test]
    fn names_sharing_their_environment_variables_are_refused() {
        let message =
            validate(&format!("{}{}", source("a-b", ""), source("a_b", ""))).expect_err("a-b/a_b");
        assert!(
            message.starts_with("source \"a_b\" (yonyou_u8), setting name: ")
                && message.contains("\"a-b\"")
                && message.contains("CUSTLAKE_A_B_APP_SECRET"),
            "{message}"
        );
        validate(&format!("{}{}", source("a-b", ""), source("a-c", "")))
            .expect("distinct names are accepted");
    }
}
