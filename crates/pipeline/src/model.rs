//! The shared vocabulary of the pipeline: which vendor, which entity, which mode, which run.
//! Every layer names these; they depend on nothing else in the crate.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// The vendor a source talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VendorKind {
    /// Yonyou U8 OpenAPI.
    YonyouU8,
    /// Yeastar YCM OpenAPI.
    YeastarYcm,
}

impl VendorKind {
    /// The `source` column / partition value.
    pub fn as_str(self) -> &'static str {
        match self {
            VendorKind::YonyouU8 => "yonyou_u8",
            VendorKind::YeastarYcm => "yeastar_ycm",
        }
    }
}

/// What is exported from a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    /// Customers (U8 customer/batch_get, YCM customers list; YCM also yields contacts).
    Customers,
    /// U8 customer contacts (customercontacts/batch_get).
    Contacts,
}

impl Entity {
    /// Name in configs, manifests and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Customers => "customers",
            Entity::Contacts => "contacts",
        }
    }

    /// The entities a vendor offers.
    pub fn supported_by(kind: VendorKind) -> &'static [Entity] {
        match kind {
            VendorKind::YonyouU8 => &[Entity::Customers, Entity::Contacts],
            VendorKind::YeastarYcm => &[Entity::Customers],
        }
    }
}

/// How a source is exported (`mode` in `[[sources]]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportMode {
    /// A full snapshot on every run (default; the only mode for YCM).
    #[default]
    Full,
    /// After a first full snapshot, only records changed since the last run (U8 customers).
    Incremental,
}

/// A new run id: UTC start time plus random bits, sortable and unique.
pub fn new_run_id(started_at: DateTime<Utc>) -> String {
    let random = uuid::Uuid::now_v7().as_u128() as u32;
    format!("{}-{random:08x}", started_at.format("%Y%m%dT%H%M%SZ"))
}
