//! custlake-pipeline: the engine behind `custlake export`.
//!
//! Sources ([`sources`]) fetch pages concurrently within a rate budget ([`budget`], [`retry`],
//! [`fetch`]); the mapping stage ([`mapper`]) de-duplicates and maps them to Arrow with
//! `custlake-schema`; writer threads ([`writers`], [`sinks`]) stage Parquet files that are
//! swapped in atomically per source when it finished ([`export`]), and a [`manifest`] records
//! the run. Fetched pages are spooled and checkpointed ([`checkpoint`], [`spool`]) so that an
//! interrupted run can be resumed.

pub mod budget;
pub mod catalog;
pub mod check;
pub mod checkpoint;
pub mod compact;
pub mod config;
pub mod error;
pub mod export;
pub mod fetch;
pub mod incremental;
pub mod key_set;
pub mod manifest;
pub mod mapper;
pub mod output;
mod page_guard;
pub mod progress;
pub mod record_keys;
mod resume;
pub mod retry;
pub mod run_output;
pub mod sinks;
pub mod sources;
pub mod spool;
pub mod writers;

pub use config::{ConfigError, ExportConfig, ValidatedSource};
pub use error::ExportError;
pub use export::{ExportOptions, export, export_to};
pub use manifest::{RunManifest, RunStatus};
pub use output::OutputLocation;
pub use progress::{EntityLabel, NoProgress, ProgressObserver};
