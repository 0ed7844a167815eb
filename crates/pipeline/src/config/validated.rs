//! The validated form of a `[[sources]]` table: what a run reads instead of the TOML model.

use std::time::Duration;

use super::toml_model::{GuardConfig, RetryConfig};
use crate::model::Entity;
use crate::model::ExportMode;
use crate::model::VendorKind;

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
    /// Full snapshots or incremental upserts.
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
