//! custlake-pipeline: the engine behind `custlake export`.
//!
//! The modules follow the data, each layer importing only the ones below it (a tidy test in
//! `xtask` keeps it so; ARCHITECTURE.md draws it):
//!
//! ```text
//! run          export, per-source and per-entity runs, compact, check
//! resume  incremental                checkpoints and spools; incremental plans and marks
//! commit       partition publish, catalog, manifest
//! write        writers, Parquet and object-store sinks, output location
//! map          de-duplication and mapping to Arrow
//! fetch        paging plan, budget, retries, page guard
//! sources      one PageSource per vendor entity
//! config       the TOML model and its validated form
//! model  layout  progress            shared vocabulary, on-disk names, progress observer
//! ```

mod commit;
mod config;
mod fetch;
mod incremental;
mod layout;
mod map;
mod model;
mod progress;
mod resume;
mod run;
mod sources;
mod write;

pub use config::{ConfigError, ExportConfig, ValidatedSource};
pub use model::{Entity, ExportMode, VendorKind};
pub use progress::{EntityLabel, NoProgress, ProgressObserver};
pub use run::error::ExportError;
pub use run::export::{ExportOptions, export, export_to};
pub use commit::manifest::{RunManifest, RunStatus};
pub use write::location::OutputLocation;
