//! custlake-simulator: one HTTP server that behaves like both vendors custlake reads.
//!
//! It serves Yonyou U8 OpenAPI (`/system/token`, `/api/customer/get`,
//! `/api/customer/batch_get`, `/api/customercontacts/batch_get`) and Yeastar YCM
//! (`/dm/open_api/oauth/token`, `/dm/open_api/v1/customers`, `/dm/open_api/v1/customers/{id}`)
//! from one base URL, exactly as `specs/yonyou-u8.yaml` and `specs/yeastar-ycm.yaml` describe
//! them, over deterministic synthetic data, and tells tests the ground truth of what it served.
//!
//! * Data: every record is a pure function of (seed, tenant, index) written straight into the
//!   response buffer, so ten million records cost no memory and the same seed gives the same
//!   bytes on every machine. Messiness ([`MessinessConfig`]) makes records look like the real
//!   vendors' (numbers for strings, `"是"` for booleans, missing fields, emoji, ...).
//! * Credentials and tokens are checked; tokens expire ([`TokenConfig`]); YCM's refresh grant
//!   works.
//! * Faults ([`FaultConfig`]): latency, HTTP 429 with `Retry-After`, HTTP 5xx, dropped
//!   connections, malformed JSON, vendor error codes, token expiry after N calls, a per-client
//!   token bucket, and page drift (records inserted or deleted between page requests). Each is
//!   decided from a hash of (seed, request identity, attempt), so runs are reproducible.
//! * Source changes between exports ([`SimHandle::change`], `POST /_sim/change/{tenant}`):
//!   edits, deletions and additions of U8 customers, U8 contacts and YCM customers. Edited and
//!   added U8 customers get a `timestamp` and `ModifyDate` above everything served so far (an
//!   edit also a new `memo`), and customer/batch_get honours `timestamp_begin`/`_end` and
//!   `ModifyDate_begin`/`_end`, so incremental exports can be tested. Every change call is
//!   numbered, and [`SimHandle::changes_since`] (`GET /_sim/changes?since=N`) answers exactly
//!   which keys were inserted, updated and deleted after a point.
//! * Row versions as the account sends them ([`SimConfig::u8_timestamp_format`],
//!   `--u8-timestamp-format decimal|hex`): `timestamp` as a JSON number or as `0x`-prefixed hex
//!   text; `timestamp_begin`/`_end` accept either form.
//! * Customer links ([`SimConfig::link_share`], [`SimConfig::u8_overlap_share`],
//!   [`SimConfig::ycm_overlap_share`]): some YCM customers are copies of U8 customers, some U8
//!   customers of another tenant's and some YCM customers of the first client's, the same
//!   company written differently (phone formats, legal form, brackets); everything else never
//!   shares a phone number, mobile, e-mail or company-name key with another source, so
//!   [`SimHandle::ground_truth_links`] (`GET /_sim/ground_truth/links`) is the exact answer a
//!   `customer_links` dataset should give.
//! * Ground truth ([`SimHandle::ground_truth`], `GET /_sim/ground_truth/{tenant}/{entity}`) and
//!   statistics ([`SimHandle::stats`], `GET /_sim/stats`), including the query strings of the
//!   latest U8 list requests without their secrets ([`SimStats::request_log`]).
//!
//! # Admin API
//!
//! For tests, demos and benchmarks that run the simulator as a separate process (`custlake-sim`),
//! on the same base URL as the vendors' APIs. `{tenant}` is always the simulator's tenant
//! name (U8 `u8_demo_a`, YCM `ycm_demo`), not a vendor account:
//!
//! * `GET /_sim/stats`: [`SimStats`] as JSON.
//! * `GET /_sim/ground_truth`: `[{"tenant","entity","count"}]`, one per set served.
//! * `GET /_sim/ground_truth/{tenant}/{entity}`: NDJSON `{"key","json"}` per record, in server
//!   order (`entity`: `u8_customers`, `u8_contacts`, `ycm_customers`).
//! * `GET /_sim/ground_truth/links`: NDJSON, one [`GroundTruthLink`] per line.
//! * `POST /_sim/change/{tenant}?count=N&delete=D&add=A&entity=E`: [`SimHandle::change`];
//!   edits N records, deletes D, adds A (each default 0); `entity` is `customers` (default; a U8
//!   tenant's or a YCM client's), `contacts` (U8) or an entity name. Answers the
//!   [`ChangeOutcome`] as JSON plus `changed` (the edited keys).
//! * `GET /_sim/changes?since=N`: [`SimHandle::changes_since`] as JSON ([`ChangeSet`]).
//!
//! # Error codes
//!
//! U8 errors are HTTP 200 with `{"errcode":"<code>","errmsg":"..."}`; YCM errors are
//! `{"status":"Failed","requestId","time","errcode":<number>,"errmsg"}` with HTTP 200, 400
//! (no User-Agent, bad grant type), 401 (missing, unknown or expired bearer token) or 429.
//! The codes are the constants in [`codes`]:
//!
//! | situation | U8 | YCM |
//! |---|---|---|
//! | app unknown (此应用未上线) | `30021` (the real one) | — |
//! | bad app_secret / client credentials | `20001` | `40003` (HTTP 200) |
//! | token expired (first refusal) | `20003` | `40102` (HTTP 401) |
//! | token unknown, or expired and already refused (`stale_token_answer = invalid`) | `20009` ([`SimConfig::u8_invalid_token_code`], errmsg `token无效`) | `40101` (HTTP 401) |
//! | busy, retry later | `90001` | `50300` (HTTP 200) |
//! | rate limited (HTTP 429 + Retry-After) | `90002` | `42900` |
//! | unknown to_account / ds_sequence | `20004` | — |
//! | missing / malformed parameter | `10001` / `10002` | `40000` (HTTP 400) / `40001` |
//! | no matching record: empty listing or page, unknown code (recorded from real accounts) | `20002` `未检索到匹配的[客户]。` | `40400` (get) |
//! | refresh token invalid | — | `40004` |
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() -> Result<(), custlake_simulator::SimError> {
//! let sim = custlake_simulator::start(custlake_simulator::SimConfig::demo(1_000)).await?;
//! println!("U8 and YCM at {}", sim.base_url());
//! let truth = sim.ground_truth();
//! # let _ = truth;
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod change_request;
mod changes;
pub mod codes;
mod config;
mod data;
mod dataset;
mod error;
mod faults;
mod ground_truth;
mod hash;
mod journal;
mod links;
mod permutation;
mod rate_limit;
mod reply;
mod routes;
mod server;
mod state;
mod stats;
mod tokens;
mod version_filter;

pub use codes::{
    U8_APP_NOT_ONLINE_CODE, U8_BAD_CREDENTIALS_CODE, U8_BUSY_CODE, U8_NO_MATCH_CODE,
    U8_RATE_LIMITED_CODE, U8_TOKEN_EXPIRED_CODE, U8_TOKEN_INVALID_CODE, YCM_BAD_CREDENTIALS_CODE,
    YCM_BUSY_CODE, YCM_RATE_LIMITED_CODE, YCM_TOKEN_EXPIRED_CODE, YCM_TOKEN_INVALID_CODE,
};
pub use config::{
    DEMO_U8_APP_KEY, DEMO_U8_APP_SECRET, DEMO_U8_FROM_ACCOUNT, DEMO_YCM_CLIENT_ID,
    DEMO_YCM_CLIENT_SECRET, FaultConfig, MessinessConfig, RateLimitConfig, SimConfig,
    StaleTokenAnswer, TokenConfig, U8TenantConfig, U8TimestampFormat, YcmClientConfig,
};
pub use error::{ChangeError, SimError};
pub use ground_truth::{
    Entity, EntitySet, GroundTruth, GroundTruthLink, GroundTruthRecord, SharedKey, SourceKind,
};
pub use journal::{ChangeOutcome, ChangeRequest, ChangeSet, EntityChanges};
pub use server::{SimHandle, start};
pub use stats::{REQUEST_LOG_LIMIT, SimStats};

/// Serialization throughput hooks for the benchmark (`examples/throughput.rs`); not a stable
/// API.
#[doc(hidden)]
pub mod bench {
    use crate::config::MessinessConfig;
    use crate::data::ItemId;
    use crate::data::u8::U8Data;

    /// Writes U8 customers `first..first + count` of tenant `tenant` into `out` as one JSON
    /// array, exactly as a page carries them.
    pub fn write_u8_customers(
        seed: u64,
        tenant: &str,
        messiness: &MessinessConfig,
        first: u64,
        count: u64,
        out: &mut Vec<u8>,
    ) {
        let data = U8Data::new(seed, tenant, first + count, 2, messiness.clone());
        out.push(b'[');
        for i in first..first + count {
            if i > first {
                out.push(b',');
            }
            data.write_customer(ItemId::Base(i), out);
        }
        out.push(b']');
    }
}
