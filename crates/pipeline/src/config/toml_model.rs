//! The export configuration as a data engineer writes it (`custlake.toml`): the TOML tables,
//! their serde model and the defaults of settings left out. Nothing here is checked yet; see
//! [`ExportConfig::validate`].

use custlake_client_kit::Secret;
use serde::Deserialize;

use super::parquet::ParquetSinkConfig;
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
    /// Keep `<dataset>_history` beside `customers` and `contacts` (default false): an
    /// append-only change log of every insert, update and delete a run found, for SCD2 and
    /// "as of" queries.
    #[serde(default)]
    pub history: bool,
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
    /// snapshot, only customers changed since the last run, upserted into the partitions
    /// (one row per key after every run).
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
