//! The export configuration as a data engineer writes it (`custlake.toml`), and its validation.
//!
//! One flat `[[sources]]` table per tenant keeps the file simple; [`ExportConfig::validate`]
//! turns it into checked, vendor-specific settings and names the source, the setting and the fix
//! for every problem, before anything is fetched.

mod bounds;
mod file;
mod parquet;
mod secrets;
mod u8;
mod ycm;

pub use file::{ConfigFileError, config_from_toml, load_config_file};
pub use parquet::{InvalidParquetSetting, ParquetSinkConfig};

use std::time::Duration;

use custlake_client_kit::Secret;
use serde::Deserialize;

use crate::model::Entity;
use crate::model::ExportMode;
use crate::model::OutputFormat;
use crate::model::VendorKind;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportConfig {
    /// Where and how the dataset is written.
    pub output: OutputConfig,
    /// One table per (vendor, tenant).
    #[serde(default)]
    pub sources: Vec<SourceConfig>,
}

/// `[output]`: the dataset's location and file settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// A local folder (created if missing) or `s3://bucket/prefix`.
    pub path: String,
    /// `parquet` (default: Hive-style folders, one writer at a time) or `delta` (one Delta
    /// Lake table per dataset, many writers at once).
    #[serde(default)]
    pub format: OutputFormat,
    /// Keep each record's raw vendor JSON in the `raw` column (default true).
    #[serde(default = "default_true")]
    pub raw: bool,
    /// Parquet file settings.
    #[serde(default)]
    pub parquet: ParquetSinkConfig,
    /// Save every fetched page under `<path>/.staging/` and checkpoint it, so that an
    /// interrupted run can be continued with `custlake export --resume` (default true). The
    /// saved pages take about as much disk as the raw JSON and are deleted when the run ends.
    #[serde(default = "default_true")]
    pub checkpoints: bool,
    /// Write `customer_links` after every source finished (default true): customers of
    /// different sources that share a normalised phone, e-mail or company name.
    #[serde(default = "default_true")]
    pub links: bool,
    /// A match key shared by more customers than this gives no links (default 20).
    #[serde(default = "default_max_link_fanout")]
    pub max_link_fanout: usize,
}

fn default_max_link_fanout() -> usize {
    20
}

/// `[[sources]]`: one tenant of one vendor. Vendor-specific keys are optional here and required
/// by [`ExportConfig::validate`] for their vendor only.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// The tenant name: the `tenant` column and partition value. Letters, digits, `-`, `_`.
    pub name: String,
    /// `yonyou_u8` or `yeastar_ycm`.
    pub kind: VendorKind,
    /// The API's base URL (U8 `https://api.yonyouup.com`, YCM `https://<your-domain>`).
    pub base_url: String,
    /// Entities to export; default all of the vendor's (`customers`, and `contacts` for U8).
    pub entities: Option<Vec<Entity>>,
    /// `full` (default): a full snapshot every run. `incremental` (U8 only): after a first full
    /// snapshot, only customers changed since the last run, written as deltas that
    /// `custlake compact` folds into the snapshot.
    pub mode: Option<ExportMode>,

    /// U8: caller id.
    pub from_account: Option<String>,
    /// U8: provider id (the enterprise account).
    pub to_account: Option<String>,
    /// U8: application code.
    pub app_key: Option<String>,
    /// U8: application secret. Use `${ENV_VAR}`, or leave it out and set
    /// `CUSTLAKE_<NAME>_APP_SECRET`.
    pub app_secret: Option<Secret>,
    /// U8: data source number.
    pub ds_sequence: Option<i64>,
    /// U8: time zone of the server's local times (default Asia/Shanghai).
    pub timezone: Option<String>,
    /// Region (ISO 3166 code such as `CN`) that phone numbers written without a country code
    /// are read in for the `*_e164` columns; default `CN` for U8, none for YCM; `"none"` for no
    /// region (such numbers get no E.164 value).
    pub default_region: Option<String>,

    /// YCM: OpenAPI client id.
    pub client_id: Option<String>,
    /// YCM: client secret. Use `${ENV_VAR}`, or leave it out and set
    /// `CUSTLAKE_<NAME>_CLIENT_SECRET`.
    pub client_secret: Option<Secret>,
    /// YCM: User-Agent header (default `OpenAPI`).
    pub user_agent: Option<String>,

    /// Records per page (U8 default 500; YCM default and maximum 50).
    pub page_size: Option<u32>,
    /// Pages in flight at once per entity (default 8).
    pub concurrency: Option<i64>,
    /// Request budget per second for this account, all entities together (default 20).
    pub requests_per_second: Option<f64>,
    /// Requests that may go out at once above the steady rate (default 1, so the rate holds in
    /// every one-second window).
    pub burst: Option<i64>,
    /// Seconds before a request is abandoned (default 30).
    pub request_timeout_secs: Option<f64>,
    /// Retry settings.
    #[serde(default)]
    pub retry: RetryConfig,
    /// When a listing that delivered less than it announced, or a snapshot much smaller than
    /// the current one, is refused (`[sources.guard]`).
    #[serde(default)]
    pub guard: GuardConfig,
    /// Vendor error codes meaning "token expired or invalid", in addition to the known ones
    /// (U8 20003; YCM 40101, 40102; any YCM HTTP 401; a U8 errmsg naming the token). U8's 20002
    /// means "no matching record" and is refused here.
    pub token_expired_codes: Option<Vec<String>>,
    /// Vendor error codes meaning "busy, retry later" (default: the known ones).
    pub busy_codes: Option<Vec<String>>,
    /// Refuse a result announcing more pages than this (default 1000000); protects against a
    /// vendor answer claiming absurd sizes.
    pub max_pages: Option<u64>,
    /// Largest answer accepted, in bytes (default 64 MiB): a larger one fails its page without
    /// being read to its end, so a vendor cannot exhaust memory.
    pub max_response_bytes: Option<u64>,
}

/// `[sources.retry]`: exponential backoff with jitter for passing failures.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    /// Attempts per request including the first (default 8).
    pub max_attempts: u32,
    /// First backoff in milliseconds (default 200).
    pub initial_backoff_ms: u64,
    /// Longest backoff in milliseconds (default 20000); a longer Retry-After is still honoured.
    pub max_backoff_ms: u64,
    /// Longest Retry-After honoured, in seconds (default 300): a vendor asking to wait longer
    /// fails the page with a message naming this setting instead of being waited for.
    pub max_retry_after_secs: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            initial_backoff_ms: 200,
            max_backoff_ms: 20_000,
            max_retry_after_secs: 300,
        }
    }
}

/// `[sources.guard]`: a snapshot only shrinks on evidence. Both shares are fractions (0.01 is
/// 1 %); validation keeps them within 0..=1.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GuardConfig {
    /// Largest share of the vendor's announced total that may be missing from a listing
    /// (records that moved while paging) before the entity fails (default 0.01).
    pub max_missing_share: f64,
    /// Largest share of a partition's current rows a full snapshot may remove, unless the
    /// vendor's announced total agrees with the smaller size (default 0.5; `--allow-shrink`
    /// lifts it for one run).
    pub max_shrink: f64,
}

impl Default for GuardConfig {
    fn default() -> Self {
        Self {
            max_missing_share: 0.01,
            max_shrink: 0.5,
        }
    }
}

fn default_true() -> bool {
    true
}

/// A configuration problem: which source and setting, what is wrong, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {problem}")]
pub struct ConfigError {
    /// `source "acme" (yonyou_u8), setting app_key` or `[output] path`.
    pub location: String,
    /// What is wrong and the fix.
    pub problem: String,
}

/// Fetch settings shared by every vendor, after validation.
#[derive(Debug, Clone)]
pub struct FetchSettings {
    /// Records per page.
    pub page_size: u32,
    /// Pages in flight per entity.
    pub concurrency: usize,
    /// Steady request rate of the account.
    pub requests_per_second: f64,
    /// Burst above the steady rate.
    pub burst: u32,
    /// Request timeout.
    pub request_timeout: Duration,
    /// Retry settings.
    pub retry: RetryConfig,
    /// Largest result accepted, in pages.
    pub max_pages: u64,
}

/// A validated source: the tenant, its vendor settings, its fetch settings.
#[derive(Debug, Clone)]
pub struct ValidatedSource {
    /// Tenant name.
    pub name: String,
    /// Entities to export.
    pub entities: Vec<Entity>,
    /// Full snapshots or incremental deltas.
    pub mode: ExportMode,
    /// Vendor-specific settings.
    pub vendor: VendorSettings,
    /// Paging, concurrency, rate and retry.
    pub fetch: FetchSettings,
    /// Region of phone numbers without a country code (the `*_e164` columns).
    pub default_region: Option<custlake_schema::Region>,
    /// When under-delivery or a shrinking snapshot is refused.
    pub guard: GuardConfig,
}

/// Vendor-specific, validated settings.
#[derive(Debug, Clone)]
pub enum VendorSettings {
    /// A U8 account.
    YonyouU8 {
        /// Account and credentials.
        account: Box<yonyou_u8::U8Account>,
        /// Time zone of the server's local times.
        timezone: chrono_tz::Tz,
    },
    /// A YCM client.
    YeastarYcm {
        /// Account and credentials.
        account: Box<yeastar_ycm::YcmAccount>,
    },
}

impl VendorSettings {
    /// Which vendor.
    pub fn kind(&self) -> VendorKind {
        match self {
            VendorSettings::YonyouU8 { .. } => VendorKind::YonyouU8,
            VendorSettings::YeastarYcm { .. } => VendorKind::YeastarYcm,
        }
    }
}

impl ExportConfig {
    /// Checks everything and returns the sources ready to run.
    pub fn validate(&self) -> Result<Vec<ValidatedSource>, ConfigError> {
        if self.output.path.trim().is_empty() {
            return Err(ConfigError {
                location: "[output] path".into(),
                problem: "is empty; set it to the folder the dataset is written to".into(),
            });
        }
        self.output.parquet.validate().map_err(|e| ConfigError {
            location: "[output.parquet]".into(),
            problem: e.to_string(),
        })?;
        if self.sources.is_empty() {
            return Err(ConfigError {
                location: "[[sources]]".into(),
                problem:
                    "no source is configured; add a [[sources]] table (see custlake.example.toml)"
                        .into(),
            });
        }
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for source in &self.sources {
            if !seen.insert(source.name.as_str()) {
                return Err(ConfigError {
                    location: format!("source {:?}", source.name),
                    problem: "the name is used twice; every source needs its own name".into(),
                });
            }
            out.push(source.validate()?);
        }
        self.check_distinct_names()?;
        Ok(out)
    }
}

impl SourceConfig {
    fn location(&self, setting: &str) -> String {
        format!(
            "source {:?} ({}), setting {setting}",
            self.name,
            self.kind.as_str()
        )
    }

    fn problem(&self, setting: &str, problem: impl Into<String>) -> ConfigError {
        ConfigError {
            location: self.location(setting),
            problem: problem.into(),
        }
    }

    fn required<'a, T>(&self, setting: &str, value: &'a Option<T>) -> Result<&'a T, ConfigError> {
        value.as_ref().ok_or_else(|| {
            self.problem(
                setting,
                format!(
                    "is missing; {setting} is required for {} sources",
                    self.kind.as_str()
                ),
            )
        })
    }

    fn secret(&self, setting: &str, value: &Option<Secret>) -> Result<Secret, ConfigError> {
        let env = secrets::secret_env_var(&self.name, setting);
        match value {
            Some(secret) if !secret.expose().is_empty() => Ok(secret.clone()),
            _ => Err(self.problem(
                setting,
                format!("is missing; set {setting} = \"${{YOUR_ENV_VAR}}\" in the config or export {env}"),
            )),
        }
    }

    fn not_for_this_vendor(&self, settings: &[(&str, bool)]) -> Result<(), ConfigError> {
        match settings.iter().find(|(_, present)| *present) {
            Some((name, _)) => Err(self.problem(
                name,
                format!(
                    "does not apply to {} sources; remove it",
                    self.kind.as_str()
                ),
            )),
            None => Ok(()),
        }
    }

    /// The name becomes a folder name and the `tenant=` partition value.
    fn validate_name(&self) -> Result<(), ConfigError> {
        let name_ok = !self.name.is_empty()
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !name_ok {
            return Err(self.problem(
                "name",
                "must be non-empty and use only letters, digits, '-' and '_' (it becomes a folder name)",
            ));
        }
        self.check_name_length()?;
        if partition_value_reads_as_non_text(&self.name) {
            return Err(self.problem(
                "name",
                format!(
                    "{:?} would be read back as a number, date or boolean: it becomes the \
                     tenant= folder, whose type readers (DuckDB, Spark, pyarrow) infer from its \
                     text; add a letter, e.g. \"t{}\"",
                    self.name, self.name
                ),
            ));
        }
        Ok(())
    }

    fn validate(&self) -> Result<ValidatedSource, ConfigError> {
        self.validate_name()?;
        let url = reqwest::Url::parse(&self.base_url).map_err(|e| {
            self.problem(
                "base_url",
                format!(
                    "{:?} is not a valid URL ({e}); write it like https://api.yonyouup.com",
                    self.base_url
                ),
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(self.problem(
                "base_url",
                "must start with https:// (or http:// for a local simulator)",
            ));
        }
        let fetch = self.fetch_settings()?;
        let vendor = match self.kind {
            VendorKind::YonyouU8 => self.u8_settings()?,
            VendorKind::YeastarYcm => self.ycm_settings(fetch.page_size)?,
        };
        let supported = Entity::supported_by(self.kind);
        let entities = match &self.entities {
            None => supported.to_vec(),
            Some(list) if list.is_empty() => {
                return Err(self.problem(
                    "entities",
                    "is empty; list at least one entity or remove the setting",
                ));
            }
            Some(list) => {
                if let Some(bad) = list.iter().find(|e| !supported.contains(e)) {
                    return Err(self.problem(
                        "entities",
                        format!(
                            "{} is not exported from {} sources",
                            bad.as_str(),
                            self.kind.as_str()
                        ),
                    ));
                }
                list.clone()
            }
        };
        let mode = self.mode.unwrap_or_default();
        if mode == ExportMode::Incremental && self.kind == VendorKind::YeastarYcm {
            return Err(self.problem(
                "mode",
                "\"incremental\" needs a change filter and the YCM API has none; remove the \
                 setting: YCM sources always export full snapshots, and a snapshot whose content \
                 did not change keeps its previous files",
            ));
        }
        Ok(ValidatedSource {
            name: self.name.clone(),
            entities,
            mode,
            vendor,
            fetch,
            default_region: self.default_region()?,
            guard: self.guard_settings()?,
        })
    }

    /// `[sources.guard]` with both shares within 0..=1.
    fn guard_settings(&self) -> Result<GuardConfig, ConfigError> {
        Ok(GuardConfig {
            max_missing_share: self.bounded(
                "guard.max_missing_share",
                Some(self.guard.max_missing_share),
                &bounds::MAX_MISSING_SHARE,
            )?,
            max_shrink: self.bounded(
                "guard.max_shrink",
                Some(self.guard.max_shrink),
                &bounds::MAX_SHRINK,
            )?,
        })
    }

    fn default_region(&self) -> Result<Option<custlake_schema::Region>, ConfigError> {
        let Some(text) = self.default_region.as_deref() else {
            return Ok(custlake_schema::default_region(match self.kind {
                VendorKind::YonyouU8 => custlake_schema::SourceKind::YonyouU8,
                VendorKind::YeastarYcm => custlake_schema::SourceKind::YeastarYcm,
            }));
        };
        if text.eq_ignore_ascii_case("none") {
            return Ok(None);
        }
        text.parse().map(Some).map_err(|error| {
            self.problem(
                "default_region",
                format!("{error}; write a two-letter ISO 3166 code such as \"CN\", or \"none\""),
            )
        })
    }

    fn fetch_settings(&self) -> Result<FetchSettings, ConfigError> {
        let page_size = self.bounded(
            "page_size",
            self.page_size,
            bounds::page_size_bound(self.kind),
        )?;
        let concurrency = self.bounded("concurrency", self.concurrency, &bounds::CONCURRENCY)?;
        let rps = self.bounded(
            "requests_per_second",
            self.requests_per_second,
            &bounds::REQUESTS_PER_SECOND,
        )?;
        let burst = self.bounded("burst", self.burst, &bounds::BURST)?;
        let timeout = self.bounded(
            "request_timeout_secs",
            self.request_timeout_secs,
            &bounds::REQUEST_TIMEOUT_SECS,
        )?;
        self.check_retry_bounds()?;
        self.bounded(
            "retry.max_retry_after_secs",
            Some(self.retry.max_retry_after_secs),
            &bounds::MAX_RETRY_AFTER_SECS,
        )?;
        let max_pages = self.bounded("max_pages", self.max_pages, &bounds::MAX_PAGES)?;
        Ok(FetchSettings {
            page_size,
            concurrency: concurrency as usize,
            requests_per_second: rps,
            burst: burst as u32,
            request_timeout: Duration::from_secs_f64(timeout),
            retry: self.retry.clone(),
            max_pages,
        })
    }
}

/// `acme-prod` → `ACME_PROD`, for environment variable names.
pub fn env_name(source_name: &str) -> String {
    source_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Adds the configured `codes` to a vendor's default list (a source extends what is known, it
/// cannot forget a code the vendor is known to send).
fn add_codes(list: &mut Vec<String>, codes: &[String]) {
    for code in codes {
        let code = code.trim();
        if !list.iter().any(|known| known == code) {
            list.push(code.to_owned());
        }
    }
}

/// Whether readers that infer Hive partition types would give `value` another type than text:
/// a number (`2024`, `1e5`, `-3`), a date (`2024-01-31`) or a boolean/null word.
fn partition_value_reads_as_non_text(value: &str) -> bool {
    let is_date = value.len() == 10
        && value.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            _ => c.is_ascii_digit(),
        });
    value.parse::<f64>().is_ok()
        || is_date
        || ["true", "false", "null"].contains(&value.to_ascii_lowercase().as_str())
}
