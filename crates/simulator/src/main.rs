//! `custlake-sim`: runs the simulator as a standalone server.
//!
//! Parses the flags into a [`SimConfig`] (starting from [`SimConfig::demo`]), starts the server,
//! prints the base URL and the demo credentials, and serves until Ctrl-C.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use custlake_simulator::{
    FaultConfig, MessinessConfig, RateLimitConfig, SimConfig, StaleTokenAnswer, TokenConfig,
    U8TenantConfig, U8TimestampFormat, YcmClientConfig,
};

/// A server that behaves like Yonyou U8 OpenAPI and Yeastar YCM, on one base URL, with
/// deterministic synthetic customer data and fault injection.
///
/// Tenants: U8 tenants are u8_demo_a, u8_demo_b, u8_demo_c, ... (to_account demo_ent_a, ...;
/// tenant b has ds_sequence 1), all readable by the demo app; without --u8-tenants they are the
/// demo's three, of which u8_demo_c is a small account that keeps no contacts; YCM clients are ycm_demo,
/// ycm_demo_2, ... (client_id ycm-demo-client, ycm-demo-client-2, ...).
///
/// Admin API ({tenant} is the simulator's tenant name above, e.g. u8_demo_a or ycm_demo, not a
/// vendor account): GET /_sim/stats; GET /_sim/ground_truth; GET
/// /_sim/ground_truth/{tenant}/{entity} (entity u8_customers, u8_contacts or ycm_customers);
/// GET /_sim/ground_truth/links; POST /_sim/change/{tenant}?count=N&delete=D&add=A&entity=E
/// edits N records, deletes D and adds A (each default 0; entity customers (default),
/// contacts or an entity name) and answers the keys changed with the call's sequence number;
/// GET /_sim/changes?since=N answers the keys inserted, updated and deleted per tenant and
/// entity after change call N.
#[derive(Debug, Parser)]
#[command(name = "custlake-sim", version)]
struct Args {
    /// Address to listen on; port 0 picks a free port (printed on start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Seed of all data and fault decisions.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Number of U8 tenants, each with --customers and --contacts-per-customer [default: the
    /// demo's three: u8_demo_a and u8_demo_b with those, u8_demo_c with a quarter of the
    /// customers and no contacts].
    #[arg(long)]
    u8_tenants: Option<usize>,
    /// Customers per U8 tenant.
    #[arg(long, default_value_t = 1000)]
    customers: u64,
    /// Contacts per U8 customer.
    #[arg(long, default_value_t = 2)]
    contacts_per_customer: u32,
    /// Number of YCM clients.
    #[arg(long, default_value_t = 1)]
    ycm_clients: usize,
    /// Customers per YCM client (default: --customers).
    #[arg(long)]
    ycm_customers: Option<u64>,
    /// Largest U8 rows_per_page honoured; larger requests are clamped.
    #[arg(long, default_value_t = 500)]
    u8_max_rows_per_page: u32,
    /// Fix YCM's `time` field to this Unix time (byte-identical answers across runs).
    #[arg(long)]
    frozen_time: Option<i64>,
    /// How U8 customers' `timestamp` (row version) is sent: JSON numbers, or 0x-prefixed hex
    /// text as some accounts send SQL Server's rowversion.
    #[arg(long, value_enum, default_value_t = TimestampFormat::Decimal)]
    u8_timestamp_format: TimestampFormat,
    /// Share of each YCM client's customers that are copies of U8 customers (the same company,
    /// written differently), spread over all U8 tenants [default: 0.3].
    #[arg(long)]
    link_share: Option<f64>,
    /// Share of each later U8 tenant's customers that are copies of the first tenant's
    /// customers [default: 0.05].
    #[arg(long)]
    u8_overlap_share: Option<f64>,
    /// Share of each later YCM client's customers that are copies of the first client's
    /// customers, sharing the e-mail address [default: 0.0].
    #[arg(long)]
    ycm_overlap_share: Option<f64>,

    /// U8 token lifetime in seconds.
    #[arg(long, default_value_t = 7200)]
    u8_token_lifetime_secs: u64,
    /// YCM access token lifetime in seconds.
    #[arg(long, default_value_t = 1800)]
    ycm_token_lifetime_secs: u64,
    /// YCM refresh token lifetime in seconds.
    #[arg(long, default_value_t = 15 * 24 * 3600)]
    ycm_refresh_lifetime_secs: u64,

    /// How messy records are: a preset, refined by the --*-rate flags below.
    #[arg(long, value_enum, default_value_t = Messiness::Mild)]
    messiness: Messiness,
    /// Per field: documented strings sent as numbers and numbers as strings.
    #[arg(long)]
    type_swap_rate: Option<f64>,
    /// Per boolean: true / 1 / "是" / "True" instead of "1"/"0".
    #[arg(long)]
    bool_variant_rate: Option<f64>,
    /// Per date: "", date-only or date-time instead of the usual form.
    #[arg(long)]
    date_variant_rate: Option<f64>,
    /// Per record: unknown extra fields.
    #[arg(long)]
    extra_field_rate: Option<f64>,
    /// Per non-key field: left out.
    #[arg(long)]
    missing_field_rate: Option<f64>,
    /// Per non-key field: null.
    #[arg(long)]
    null_field_rate: Option<f64>,
    /// Per record: key field (code / customerId) left out.
    #[arg(long)]
    missing_key_rate: Option<f64>,
    /// Per free-text field: emoji, full-width, control characters, bidi marks, very long text.
    #[arg(long)]
    unicode_edge_rate: Option<f64>,

    /// Fixed latency added to every vendor request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Up to this many extra milliseconds per request, drawn from the seed.
    #[arg(long, default_value_t = 0)]
    latency_jitter_ms: u64,
    /// Rate of injected HTTP 429 answers (with Retry-After).
    #[arg(long, default_value_t = 0.0)]
    too_many_requests_rate: f64,
    /// Retry-After seconds of injected 429 answers.
    #[arg(long, default_value_t = 1)]
    retry_after_secs: u64,
    /// Rate of injected HTTP 500/502/503 answers.
    #[arg(long, default_value_t = 0.0)]
    server_error_rate: f64,
    /// Rate of connections dropped after the headers and part of the body.
    #[arg(long, default_value_t = 0.0)]
    drop_connection_rate: f64,
    /// Rate of truncated or corrupted JSON bodies (HTTP 200).
    #[arg(long, default_value_t = 0.0)]
    malformed_rate: f64,
    /// Rate of vendor error answers (U8 errcode with HTTP 200, YCM Failed envelope).
    #[arg(long, default_value_t = 0.0)]
    vendor_error_rate: f64,
    /// U8 errcode answered to an unknown or replaced token (errmsg "token无效"); the real code is
    /// not public. Must not be 0 or 20002 (no matching record).
    #[arg(long, default_value = custlake_simulator::U8_TOKEN_INVALID_CODE)]
    u8_invalid_token_code: String,
    /// Make customer/batch_get's timestamp_begin and ModifyDate_begin exclusive (`>`); U8 does
    /// not publish whether they are, and inclusive is the default.
    #[arg(long)]
    u8_exclusive_begin_bounds: bool,
    /// U8 code sent by the vendor-error fault.
    #[arg(long, default_value = custlake_simulator::U8_BUSY_CODE)]
    u8_vendor_error_code: String,
    /// YCM code sent by the vendor-error fault.
    #[arg(long, default_value = custlake_simulator::YCM_BUSY_CODE)]
    ycm_vendor_error_code: String,
    /// Most injected faults in a row for one request identity (page); retries then succeed.
    #[arg(long, default_value_t = 3)]
    max_consecutive_faults: u32,
    /// Reject a token as expired after it was used for this many data calls.
    #[arg(long)]
    token_expire_after_calls: Option<u64>,
    /// Refuse every token on every data call, however fresh (a gateway whose tokens are never
    /// good).
    #[arg(long)]
    reject_every_token: bool,
    /// What later calls with an expired token get, once its expiry was answered: `invalid`
    /// (U8 --u8-invalid-token-code, YCM 401 40101; what gateways send to requests that raced a renewal) or
    /// `expired` (the expiry answer again).
    #[arg(long, default_value = "invalid", value_parser = ["invalid", "expired"])]
    stale_token_answer: String,
    /// Per-client token bucket size (enables the rate limit together with --rate-limit-per-second).
    #[arg(long, requires = "rate_limit_per_second")]
    rate_limit_burst: Option<u32>,
    /// Per-client token bucket refill rate, requests per second.
    #[arg(long, requires = "rate_limit_burst")]
    rate_limit_per_second: Option<f64>,
    /// After every K page requests of a tenant and entity, insert or delete a record in the page
    /// just served (page drift).
    #[arg(long)]
    drift_every_pages: Option<u64>,
}

/// Messiness presets.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Messiness {
    /// Clean records.
    None,
    /// Like real exports.
    Mild,
    /// Everything, often.
    Heavy,
}

/// `--u8-timestamp-format` values.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum TimestampFormat {
    /// JSON numbers (`1000007`).
    Decimal,
    /// `"0x00000000000F4247"`.
    Hex,
}

impl From<TimestampFormat> for U8TimestampFormat {
    fn from(format: TimestampFormat) -> Self {
        match format {
            TimestampFormat::Decimal => U8TimestampFormat::Decimal,
            TimestampFormat::Hex => U8TimestampFormat::Hex,
        }
    }
}

impl Args {
    fn messiness(&self) -> MessinessConfig {
        let mut m = match self.messiness {
            Messiness::None => MessinessConfig::none(),
            Messiness::Mild => MessinessConfig::mild(),
            Messiness::Heavy => MessinessConfig::heavy(),
        };
        let overrides = [
            (self.type_swap_rate, &mut m.type_swap_rate),
            (self.bool_variant_rate, &mut m.bool_variant_rate),
            (self.date_variant_rate, &mut m.date_variant_rate),
            (self.extra_field_rate, &mut m.extra_field_rate),
            (self.missing_field_rate, &mut m.missing_field_rate),
            (self.null_field_rate, &mut m.null_field_rate),
            (self.missing_key_rate, &mut m.missing_key_rate),
            (self.unicode_edge_rate, &mut m.unicode_edge_rate),
        ];
        for (value, field) in overrides {
            if let Some(value) = value {
                *field = value;
            }
        }
        m
    }

    fn config(&self) -> SimConfig {
        let mut config = SimConfig::demo(self.customers);
        config.seed = self.seed;
        config.listen = self.listen;
        config.frozen_time = self.frozen_time;
        config.u8_max_rows_per_page = self.u8_max_rows_per_page;
        config.u8_timestamp_format = self.u8_timestamp_format.into();
        config.messiness = self.messiness();
        config.link_share = self.link_share.unwrap_or(config.link_share);
        config.u8_overlap_share = self.u8_overlap_share.unwrap_or(config.u8_overlap_share);
        config.ycm_overlap_share = self.ycm_overlap_share.unwrap_or(config.ycm_overlap_share);
        config.u8_invalid_token_code = self.u8_invalid_token_code.clone();
        config.u8_exclusive_begin_bounds = self.u8_exclusive_begin_bounds;
        self.set_u8_tenants(&mut config);
        let ycm_template = config.ycm_clients[0].clone();
        config.ycm_clients = (0..self.ycm_clients)
            .map(|i| {
                let suffix = if i == 0 {
                    String::new()
                } else {
                    format!("_{}", i + 1)
                };
                let id_suffix = if i == 0 {
                    String::new()
                } else {
                    format!("-{}", i + 1)
                };
                YcmClientConfig {
                    name: format!("{}{suffix}", ycm_template.name),
                    client_id: format!("{}{id_suffix}", ycm_template.client_id),
                    customers: self.ycm_customers.unwrap_or(self.customers),
                    ..ycm_template.clone()
                }
            })
            .collect();
        config.tokens = TokenConfig {
            u8_lifetime: Duration::from_secs(self.u8_token_lifetime_secs),
            ycm_access_lifetime: Duration::from_secs(self.ycm_token_lifetime_secs),
            ycm_refresh_lifetime: Duration::from_secs(self.ycm_refresh_lifetime_secs),
        };
        config.faults = FaultConfig {
            latency: Duration::from_millis(self.latency_ms),
            latency_jitter: Duration::from_millis(self.latency_jitter_ms),
            too_many_requests_rate: self.too_many_requests_rate,
            retry_after_secs: self.retry_after_secs,
            server_error_rate: self.server_error_rate,
            drop_connection_rate: self.drop_connection_rate,
            malformed_rate: self.malformed_rate,
            vendor_error_rate: self.vendor_error_rate,
            u8_vendor_error_code: self.u8_vendor_error_code.clone(),
            ycm_vendor_error_code: self.ycm_vendor_error_code.clone(),
            max_consecutive_faults: self.max_consecutive_faults,
            token_expire_after_calls: self.token_expire_after_calls,
            reject_every_token: self.reject_every_token,
            stale_token_answer: match self.stale_token_answer.as_str() {
                "expired" => StaleTokenAnswer::Expired,
                _ => StaleTokenAnswer::Invalid,
            },
            rate_limit: match (self.rate_limit_burst, self.rate_limit_per_second) {
                (Some(burst), Some(per_second)) => Some(RateLimitConfig { burst, per_second }),
                _ => None,
            },
            drift_every_pages: self.drift_every_pages,
        };
        config
    }

    /// The demo's U8 tenants with `--customers` / `--contacts-per-customer` applied, or
    /// `--u8-tenants` tenants made alike.
    fn set_u8_tenants(&self, config: &mut SimConfig) {
        let template = config.u8_tenants[0].clone();
        let Some(count) = self.u8_tenants else {
            for tenant in config.u8_tenants.iter_mut() {
                if tenant.contacts_per_customer > 0 {
                    tenant.customers = self.customers;
                    tenant.contacts_per_customer = self.contacts_per_customer;
                } else {
                    tenant.customers = self.customers.div_ceil(4);
                }
            }
            return;
        };
        config.u8_tenants = (0..count)
            .map(|i| {
                let letter = tenant_suffix(i);
                U8TenantConfig {
                    name: format!("u8_demo_{letter}"),
                    to_account: format!("demo_ent_{letter}"),
                    ds_sequence: (i == 1).then_some(1),
                    customers: self.customers,
                    contacts_per_customer: self.contacts_per_customer,
                    ..template.clone()
                }
            })
            .collect();
    }
}

/// `a`, `b`, ..., `z`, `aa`, `ab`, ...
fn tenant_suffix(mut i: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(char::from(b'a' + (i % 26) as u8));
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    letters.iter().rev().collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let config = args.config();
    let sim = custlake_simulator::start(config)
        .await
        .context("starting the simulator")?;
    let c = sim.config();
    println!("custlake-sim listening on {}", sim.base_url());
    for t in &c.u8_tenants {
        println!(
            "U8  tenant {}: from_account={} to_account={} ds_sequence={} app_key={} app_secret={} ({} customers, {} contacts each)",
            t.name,
            t.from_account,
            t.to_account,
            t.effective_ds_sequence(),
            t.app_key,
            t.app_secret,
            t.customers,
            t.contacts_per_customer
        );
    }
    for y in &c.ycm_clients {
        println!(
            "YCM client {}: client_id={} client_secret={} ({} customers)",
            y.name, y.client_id, y.client_secret, y.customers
        );
    }
    println!(
        "admin: {0}/_sim/stats {0}/_sim/ground_truth {0}/_sim/ground_truth/links {0}/_sim/changes (POST {0}/_sim/change/{{tenant}}?count=N&delete=D&add=A&entity=E)",
        sim.base_url()
    );
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    sim.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_count_like_spreadsheet_columns() {
        assert_eq!(tenant_suffix(0), "a");
        assert_eq!(tenant_suffix(25), "z");
        assert_eq!(tenant_suffix(26), "aa");
    }

    #[test]
    fn default_flags_give_a_valid_config() {
        let args = Args::parse_from(["custlake-sim"]);
        assert!(args.config().validate().is_ok());
        assert_eq!(args.config().u8_tenants[0].name, "u8_demo_a");
        assert_eq!(
            args.config().u8_timestamp_format,
            U8TimestampFormat::Decimal
        );
        let hex = Args::parse_from(["custlake-sim", "--u8-timestamp-format", "hex"]);
        assert_eq!(hex.config().u8_timestamp_format, U8TimestampFormat::Hex);
        assert_eq!(args.config().link_share, SimConfig::demo(1).link_share);
        let links = Args::parse_from(["custlake-sim", "--link-share", "0.5"]);
        assert_eq!(links.config().link_share, 0.5);
        let overlap = Args::parse_from(["custlake-sim", "--ycm-overlap-share", "0.2"]);
        assert_eq!(overlap.config().ycm_overlap_share, 0.2);
        assert_eq!(args.config().ycm_overlap_share, 0.0);
        let tenants = args.config().u8_tenants;
        assert_eq!(tenants.len(), 3, "the demo's tenants by default");
        assert_eq!(tenants[2].contacts_per_customer, 0);
        let code = Args::parse_from(["custlake-sim", "--u8-invalid-token-code", "31000"]);
        assert_eq!(code.config().u8_invalid_token_code, "31000");
        let no_match = Args::parse_from(["custlake-sim", "--u8-invalid-token-code", "20002"]);
        assert!(no_match.config().validate().is_err());
    }
}
