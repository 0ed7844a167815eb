//! custlake-pipeline: the engine behind `custlake export`.
//!
//! Sources ([`sources`]) fetch pages concurrently within a rate budget ([`budget`], [`retry`],
//! [`fetch`]); the mapping stage ([`mapper`]) de-duplicates and maps them to Arrow with
//! `custlake-schema`; writer threads ([`writers`], [`sinks`]) stage Parquet files that are
//! swapped in atomically per source when it finished ([`export`]), and a [`manifest`] records
//! the run.

pub mod budget;
pub mod check;
pub mod config;
pub mod error;
pub mod export;
pub mod fetch;
pub mod manifest;
pub mod mapper;
pub mod progress;
pub mod retry;
pub mod sinks;
pub mod sources;
pub mod writers;

pub use config::{ConfigError, ExportConfig, ValidatedSource};
pub use error::ExportError;
pub use export::{ExportOptions, export};
pub use manifest::{RunManifest, RunStatus};
pub use progress::{EntityLabel, NoProgress, ProgressObserver};
