//! The simulator's configuration: tenants, data sizes, messiness, faults, token lifetimes.
//!
//! Everything the server does is decided by this struct and the seed, so a test describes its
//! scenario here and the binary maps each command-line flag onto one field.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use crate::codes;
use crate::error::SimError;

/// The whole simulator configuration.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Seed of all synthetic data and of every fault decision.
    pub seed: u64,
    /// Yonyou U8 tenants (one enterprise data source each, chosen by to_account + ds_sequence).
    pub u8_tenants: Vec<U8TenantConfig>,
    /// Yeastar YCM API clients (one customer set each).
    pub ycm_clients: Vec<YcmClientConfig>,
    /// Fault injection knobs; all off by default.
    pub faults: FaultConfig,
    /// How messy the records are.
    pub messiness: MessinessConfig,
    /// Token lifetimes.
    pub tokens: TokenConfig,
    /// Largest `rows_per_page` U8 honours; larger requests are clamped (the vendor documents no
    /// maximum, so the simulator picks one and reports the clamped value in `rows_per_page`).
    pub u8_max_rows_per_page: u32,
    /// When set, YCM envelopes carry this Unix time in `time` instead of the clock, so whole
    /// responses are byte-identical across runs.
    pub frozen_time: Option<i64>,
    /// How U8 customers' `timestamp` (row version) is written (default: decimal numbers).
    pub u8_timestamp_format: U8TimestampFormat,
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Share of each YCM client's customers that are copies of U8 customers (the same company,
    /// written the way a YCM user types it), spread over all U8 tenants; rounded, and fewer
    /// when the U8 tenants have too few customers. Listed by [`crate::SimHandle::ground_truth_links`].
    pub link_share: f64,
    /// Share of each U8 tenant's customers, for every tenant after the first, that are copies of
    /// customers of the first tenant (one company kept in two U8 data sources); rounded.
    pub u8_overlap_share: f64,
    /// Share of each YCM client's customers, for every client after the first, that are copies
    /// of customers of the first client (not of its copies of U8 customers), always sharing the
    /// e-mail address; rounded, and fewer when the first client has too few customers.
    pub ycm_overlap_share: f64,
    /// The U8 errcode answered to an unknown or replaced token (errmsg "token无效"). The real
    /// code is not public, so it is a setting (`--u8-invalid-token-code`); the default,
    /// [`codes::U8_TOKEN_INVALID_CODE`], is none of the known codes.
    pub u8_invalid_token_code: String,
    /// Whether customer/batch_get's `timestamp_begin` and `ModifyDate_begin` exclude their value
    /// (`>` instead of `>=`). U8 does not publish which; inclusive by default. Exclusive bounds
    /// make a change window in which nothing changed empty (answered `20002`).
    pub u8_exclusive_begin_bounds: bool,
}

impl SimConfig {
    /// Two U8 tenants (sharing one app) and one YCM client with `customers_per_tenant`
    /// customers each, 2 contacts per U8 customer, mild messiness and no faults; 30% of the YCM
    /// customers are copies of U8 customers and 5% of each later tenant's of the first's. A third,
    /// small U8 tenant (`u8_demo_c`, a quarter of the customers) keeps no contacts at all, as
    /// many real accounts do: its contact listing answers "no matching record" (20002).
    pub fn demo(customers_per_tenant: u64) -> Self {
        Self {
            seed: 42,
            u8_tenants: vec![
                U8TenantConfig {
                    name: "u8_demo_a".into(),
                    from_account: DEMO_U8_FROM_ACCOUNT.into(),
                    to_account: "demo_ent_a".into(),
                    app_key: DEMO_U8_APP_KEY.into(),
                    app_secret: DEMO_U8_APP_SECRET.into(),
                    ds_sequence: None,
                    customers: customers_per_tenant,
                    contacts_per_customer: 2,
                },
                U8TenantConfig {
                    name: "u8_demo_b".into(),
                    from_account: DEMO_U8_FROM_ACCOUNT.into(),
                    to_account: "demo_ent_b".into(),
                    app_key: DEMO_U8_APP_KEY.into(),
                    app_secret: DEMO_U8_APP_SECRET.into(),
                    ds_sequence: Some(1),
                    customers: customers_per_tenant,
                    contacts_per_customer: 2,
                },
                U8TenantConfig {
                    name: "u8_demo_c".into(),
                    from_account: DEMO_U8_FROM_ACCOUNT.into(),
                    to_account: "demo_ent_c".into(),
                    app_key: DEMO_U8_APP_KEY.into(),
                    app_secret: DEMO_U8_APP_SECRET.into(),
                    ds_sequence: None,
                    customers: customers_per_tenant.div_ceil(4),
                    contacts_per_customer: 0,
                },
            ],
            ycm_clients: vec![YcmClientConfig {
                name: "ycm_demo".into(),
                client_id: DEMO_YCM_CLIENT_ID.into(),
                client_secret: DEMO_YCM_CLIENT_SECRET.into(),
                customers: customers_per_tenant,
            }],
            faults: FaultConfig::default(),
            messiness: MessinessConfig::mild(),
            tokens: TokenConfig::default(),
            u8_max_rows_per_page: 500,
            frozen_time: None,
            u8_timestamp_format: U8TimestampFormat::default(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            link_share: 0.3,
            u8_overlap_share: 0.05,
            ycm_overlap_share: 0.0,
            u8_invalid_token_code: codes::U8_TOKEN_INVALID_CODE.into(),
            u8_exclusive_begin_bounds: false,
        }
    }

    /// Checks what the server relies on: unique tenant names, unique U8 data sources, unique
    /// YCM client ids, one secret per app, rates and shares within 0..=1.
    pub fn validate(&self) -> Result<(), SimError> {
        let mut names = BTreeSet::new();
        let all_names = self
            .u8_tenants
            .iter()
            .map(|t| &t.name)
            .chain(self.ycm_clients.iter().map(|c| &c.name));
        for name in all_names {
            if !names.insert(name.as_str()) {
                return Err(SimError::Config(format!(
                    "tenant name {name:?} is used twice"
                )));
            }
        }
        let mut sources = BTreeSet::new();
        for t in &self.u8_tenants {
            if !sources.insert((t.to_account.as_str(), t.effective_ds_sequence())) {
                return Err(SimError::Config(format!(
                    "U8 tenant {:?}: to_account {:?} with ds_sequence {} is used twice",
                    t.name,
                    t.to_account,
                    t.effective_ds_sequence()
                )));
            }
            let clash = self.u8_tenants.iter().any(|o| {
                o.app_key == t.app_key
                    && (o.app_secret != t.app_secret || o.from_account != t.from_account)
            });
            if clash {
                return Err(SimError::Config(format!(
                    "U8 app_key {:?} is configured with different secrets or from_accounts",
                    t.app_key
                )));
            }
        }
        let mut ids = BTreeSet::new();
        for c in &self.ycm_clients {
            if !ids.insert(c.client_id.as_str()) {
                return Err(SimError::Config(format!(
                    "YCM client_id {:?} is used twice",
                    c.client_id
                )));
            }
        }
        self.messiness.validate()?;
        self.faults.validate()?;
        check_rates(
            "links",
            &[
                ("link_share", self.link_share),
                ("u8_overlap_share", self.u8_overlap_share),
                ("ycm_overlap_share", self.ycm_overlap_share),
            ],
        )?;
        let code = self.u8_invalid_token_code.trim();
        if code.is_empty() || code == codes::U8_OK_CODE || code == codes::U8_NO_MATCH_CODE {
            return Err(SimError::Config(format!(
                "u8_invalid_token_code {code:?} must be a non-empty error code other than \"0\" and {} (no matching record)",
                codes::U8_NO_MATCH_CODE
            )));
        }
        if self.u8_max_rows_per_page == 0 {
            return Err(SimError::Config(
                "u8_max_rows_per_page must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// from_account of the demo U8 app.
pub const DEMO_U8_FROM_ACCOUNT: &str = "custlake_demo";
/// app_key of the demo U8 app.
pub const DEMO_U8_APP_KEY: &str = "opa_custlake_demo";
/// app_secret of the demo U8 app.
pub const DEMO_U8_APP_SECRET: &str = "demo-u8-secret";
/// client_id of the demo YCM client.
pub const DEMO_YCM_CLIENT_ID: &str = "ycm-demo-client";
/// client_secret of the demo YCM client.
pub const DEMO_YCM_CLIENT_SECRET: &str = "demo-ycm-secret";

/// How a U8 server writes customers' `timestamp` (SQL Server's rowversion).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum U8TimestampFormat {
    /// A JSON number (`1000007`); with type-swap messiness sometimes decimal text.
    #[default]
    Decimal,
    /// `0x`-prefixed hex text, 16 upper-case digits (`"0x00000000000F4247"`), as accounts whose
    /// gateway renders the `binary(8)` column as SQL Server shows it send it.
    Hex,
}

/// One U8 enterprise data source and the app allowed to read it.
#[derive(Clone, Debug)]
pub struct U8TenantConfig {
    /// Name used in ground truth and stats (the pipeline's source name).
    pub name: String,
    /// Caller id (调用方id) of the app.
    pub from_account: String,
    /// Provider id (提供方id): selects the tenant.
    pub to_account: String,
    /// Application code; tenants that share it share tokens.
    pub app_key: String,
    /// Application secret.
    pub app_secret: String,
    /// Data source number; `None` means the first data source (1).
    pub ds_sequence: Option<i64>,
    /// Customers in the tenant (before drift).
    pub customers: u64,
    /// Contacts of each customer.
    pub contacts_per_customer: u32,
}

impl U8TenantConfig {
    /// The data source number requests must name (or omit, when this is the lowest).
    pub fn effective_ds_sequence(&self) -> i64 {
        self.ds_sequence.unwrap_or(1)
    }
}

/// One YCM API client and its customer set.
#[derive(Clone, Debug)]
pub struct YcmClientConfig {
    /// Name used in ground truth and stats.
    pub name: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: String,
    /// Customers (before drift).
    pub customers: u64,
}

/// Token lifetimes.
#[derive(Clone, Debug)]
pub struct TokenConfig {
    /// U8 token lifetime (vendor: 7200 s).
    pub u8_lifetime: Duration,
    /// YCM access token lifetime (vendor: 30 minutes).
    pub ycm_access_lifetime: Duration,
    /// YCM refresh token lifetime (vendor: 15 days).
    pub ycm_refresh_lifetime: Duration,
}

impl Default for TokenConfig {
    fn default() -> Self {
        Self {
            u8_lifetime: Duration::from_secs(7200),
            ycm_access_lifetime: Duration::from_secs(1800),
            ycm_refresh_lifetime: Duration::from_secs(15 * 24 * 3600),
        }
    }
}

/// How messy the records are. Each rate is a probability per record or per field, drawn from
/// the seed, so the same seed always yields the same mess.
#[derive(Clone, Debug, PartialEq)]
pub struct MessinessConfig {
    /// Per field: a documented string sent as a JSON number (`"mobile": 13811388661`) or a
    /// documented number sent as a string (`"timestamp": "1234"`, YCM `"customerId": "5008"`).
    /// Only applied where the text survives the change (no leading zeros lost).
    pub type_swap_rate: f64,
    /// Per boolean: sent as `true`/`false`, `1`/`0`, `"是"`/`"否"` or `"True"` instead of
    /// `"1"`/`"0"`.
    pub bool_variant_rate: f64,
    /// Per date: sent as `""`, `"YYYY-MM-DD"` or `"YYYY-MM-DD HH:MM:SS"` instead of its usual
    /// form.
    pub date_variant_rate: f64,
    /// Per record: one to three unknown extra fields (some nested objects or arrays).
    pub extra_field_rate: f64,
    /// Per non-key field: the field is left out.
    pub missing_field_rate: f64,
    /// Per non-key field: the field is `null`.
    pub null_field_rate: f64,
    /// Per record: the key field (`code`, `customerId`) is left out.
    pub missing_key_rate: f64,
    /// Per free-text field: emoji, full-width characters, control characters, zero-width or
    /// bidi marks, or a very long string.
    pub unicode_edge_rate: f64,
}

impl MessinessConfig {
    /// Clean records: every field present with its documented type.
    pub fn none() -> Self {
        Self {
            type_swap_rate: 0.0,
            bool_variant_rate: 0.0,
            date_variant_rate: 0.0,
            extra_field_rate: 0.0,
            missing_field_rate: 0.0,
            null_field_rate: 0.0,
            missing_key_rate: 0.0,
            unicode_edge_rate: 0.0,
        }
    }

    /// What real exports look like: a little of everything, rarely a record without its key.
    pub fn mild() -> Self {
        Self {
            type_swap_rate: 0.05,
            bool_variant_rate: 0.1,
            date_variant_rate: 0.1,
            extra_field_rate: 0.05,
            missing_field_rate: 0.003,
            null_field_rate: 0.002,
            missing_key_rate: 0.001,
            unicode_edge_rate: 0.02,
        }
    }

    /// Stress: every kind of mess often.
    pub fn heavy() -> Self {
        Self {
            type_swap_rate: 0.3,
            bool_variant_rate: 0.5,
            date_variant_rate: 0.5,
            extra_field_rate: 0.3,
            missing_field_rate: 0.1,
            null_field_rate: 0.05,
            missing_key_rate: 0.02,
            unicode_edge_rate: 0.1,
        }
    }

    fn validate(&self) -> Result<(), SimError> {
        let rates = [
            ("type_swap_rate", self.type_swap_rate),
            ("bool_variant_rate", self.bool_variant_rate),
            ("date_variant_rate", self.date_variant_rate),
            ("extra_field_rate", self.extra_field_rate),
            ("missing_field_rate", self.missing_field_rate),
            ("null_field_rate", self.null_field_rate),
            ("missing_key_rate", self.missing_key_rate),
            ("unicode_edge_rate", self.unicode_edge_rate),
        ];
        check_rates("messiness", &rates)?;
        if self.missing_field_rate + self.null_field_rate > 1.0 {
            return Err(SimError::Config(
                "missing_field_rate + null_field_rate must not exceed 1".into(),
            ));
        }
        Ok(())
    }
}

impl Default for MessinessConfig {
    fn default() -> Self {
        Self::mild()
    }
}

/// Fault injection. Each injected fault is decided per request from a hash of (seed, request
/// identity, n-th attempt of that identity), so a retry gets a fresh decision and the outcome
/// does not depend on how requests interleave. The request identity is the path plus its query
/// (without secrets) and the caller. At most `max_consecutive_faults` injected faults in a row
/// hit one identity, so a retrying client always makes progress; with a rate of 1.0 and a cap
/// of 1 every first attempt fails and every retry succeeds (a schedule rather than a rate).
#[derive(Clone, Debug, PartialEq)]
pub struct FaultConfig {
    /// Fixed latency added to every vendor request.
    pub latency: Duration,
    /// Up to this much extra latency, drawn per request.
    pub latency_jitter: Duration,
    /// Rate of HTTP 429 answers (with `Retry-After`).
    pub too_many_requests_rate: f64,
    /// `Retry-After` seconds of injected 429 answers.
    pub retry_after_secs: u64,
    /// Rate of HTTP 500/502/503 answers.
    pub server_error_rate: f64,
    /// Rate of dropped connections: headers and part of the body are sent, then the
    /// connection is aborted.
    pub drop_connection_rate: f64,
    /// Rate of malformed bodies with HTTP 200 (truncated or corrupted JSON).
    pub malformed_rate: f64,
    /// Rate of vendor error answers: HTTP 200 with `errcode` (U8) or a Failed envelope (YCM).
    pub vendor_error_rate: f64,
    /// The U8 code the vendor-error fault sends (default: the busy code).
    pub u8_vendor_error_code: String,
    /// The YCM code the vendor-error fault sends (default: the busy code).
    pub ycm_vendor_error_code: String,
    /// Cap on injected faults in a row for one request identity (at least 1).
    pub max_consecutive_faults: u32,
    /// A token is rejected as expired once it was used for this many data calls.
    pub token_expire_after_calls: Option<u64>,
    /// Every data call's token is refused as invalid (U8 `u8_invalid_token_code` "token无效", YCM
    /// HTTP 401 40101), however fresh: a gateway whose tokens are never good (clock skew,
    /// missing permissions), which a client must give up on instead of renewing forever.
    pub reject_every_token: bool,
    /// What a token whose expiry was already answered gets on later calls (the requests that
    /// were in flight with it when the client renewed).
    pub stale_token_answer: StaleTokenAnswer,
    /// Per-client token bucket (U8: per app_key, YCM: per client_id); exceeding it answers
    /// HTTP 429 with `Retry-After`.
    pub rate_limit: Option<RateLimitConfig>,
    /// After every K page requests of one tenant and entity, a record is inserted before, or
    /// deleted from, the page just served, so a naive pager sees duplicates or skips.
    pub drift_every_pages: Option<u64>,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            latency_jitter: Duration::ZERO,
            too_many_requests_rate: 0.0,
            retry_after_secs: 1,
            server_error_rate: 0.0,
            drop_connection_rate: 0.0,
            malformed_rate: 0.0,
            vendor_error_rate: 0.0,
            u8_vendor_error_code: codes::U8_BUSY_CODE.into(),
            ycm_vendor_error_code: codes::YCM_BUSY_CODE.into(),
            max_consecutive_faults: 3,
            token_expire_after_calls: None,
            reject_every_token: false,
            stale_token_answer: StaleTokenAnswer::Invalid,
            rate_limit: None,
            drift_every_pages: None,
        }
    }
}

impl FaultConfig {
    /// Sum of the injected-fault rates (they exclude each other, so at most 1).
    pub fn injected_rate(&self) -> f64 {
        self.too_many_requests_rate
            + self.server_error_rate
            + self.drop_connection_rate
            + self.malformed_rate
            + self.vendor_error_rate
    }

    fn validate(&self) -> Result<(), SimError> {
        let rates = [
            ("too_many_requests_rate", self.too_many_requests_rate),
            ("server_error_rate", self.server_error_rate),
            ("drop_connection_rate", self.drop_connection_rate),
            ("malformed_rate", self.malformed_rate),
            ("vendor_error_rate", self.vendor_error_rate),
        ];
        check_rates("faults", &rates)?;
        if self.injected_rate() > 1.0 {
            return Err(SimError::Config(
                "the injected fault rates add up to more than 1".into(),
            ));
        }
        if self.max_consecutive_faults == 0 {
            return Err(SimError::Config(
                "max_consecutive_faults must be at least 1".into(),
            ));
        }
        if self.token_expire_after_calls == Some(0) {
            return Err(SimError::Config(
                "token_expire_after_calls must be at least 1".into(),
            ));
        }
        if self.drift_every_pages == Some(0) {
            return Err(SimError::Config(
                "drift_every_pages must be at least 1".into(),
            ));
        }
        if let Some(limit) = &self.rate_limit
            && (limit.burst == 0 || limit.per_second.is_nan() || limit.per_second <= 0.0)
        {
            return Err(SimError::Config(
                "rate_limit needs burst >= 1 and per_second > 0".into(),
            ));
        }
        Ok(())
    }
}

/// The answer to an old token: real gateways say "expired" once, then "invalid".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StaleTokenAnswer {
    /// U8 `20002` token无效, YCM HTTP 401 `40101` (the default).
    #[default]
    Invalid,
    /// The same answer as the first refusal: U8 `20003`, YCM HTTP 401 `40102`.
    Expired,
}

/// A token bucket: `burst` requests at once, refilled at `per_second`.
#[derive(Clone, Debug, PartialEq)]
pub struct RateLimitConfig {
    /// Bucket size.
    pub burst: u32,
    /// Refill rate in requests per second.
    pub per_second: f64,
}

fn check_rates(group: &str, rates: &[(&str, f64)]) -> Result<(), SimError> {
    for (name, rate) in rates {
        if !(0.0..=1.0).contains(rate) {
            return Err(SimError::Config(format!(
                "{group}.{name} must be between 0 and 1, got {rate}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_is_valid() {
        assert!(SimConfig::demo(10).validate().is_ok());
    }

    #[test]
    fn rejects_duplicate_names_and_bad_rates() {
        let mut config = SimConfig::demo(10);
        config.ycm_clients[0].name = "u8_demo_a".into();
        assert!(config.validate().is_err());
        let mut config = SimConfig::demo(10);
        config.faults.server_error_rate = 0.7;
        config.faults.malformed_rate = 0.7;
        assert!(config.validate().is_err());
        let mut config = SimConfig::demo(10);
        config.link_share = 1.5;
        assert!(config.validate().is_err());
        let mut config = SimConfig::demo(10);
        config.ycm_overlap_share = -0.1;
        assert!(config.validate().is_err());
    }
}
