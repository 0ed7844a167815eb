//! custlake-pipeline: the engine behind `custlake export`.
//!
//! The modules follow the data, each layer importing only the ones below it (a tidy test in
//! `xtask` keeps it so; ARCHITECTURE.md draws it):
//!
//! ```text
//! run          export, per-source and per-entity runs, compact, check
//! resume  incremental                checkpoints and spools; incremental plans and marks
//! table        TableFormat: one table model, one folder per format (parquet, delta)
//! commit       partition publish, catalog, manifest, Delta commits
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
mod link;
mod map;
mod model;
mod progress;
mod resume;
mod run;
mod sources;
mod table;
mod write;

pub use commit::manifest::{
    EntityReport, LinkSummary, ManifestFile, PartitionChanges, RunManifest, RunStatus, SourceReport,
};
pub use config::{ConfigError, ExportConfig, GuardConfig, ParquetSinkConfig, ValidatedSource};
pub use config::{ConfigFileError, config_from_toml, load_config_file, load_output_config_file};
pub use model::{
    Entity, ExportMode, JOB_COMPLETION_INDEX_ENV, OutputFormat, Shard, ShardError, VendorKind,
};
pub use progress::{EntityLabel, NoProgress, ProgressObserver};
pub use run::check::{EntityCheck, check_sources};
pub use run::compact::{CompactOptions, compact, compact_at, vacuum};
pub use run::context::ExportOptions;
pub use run::error::ExportError;
pub use run::export::{export, export_to};
pub use run::link::{LinkOptions, LinkReport, LinkSettings, link, link_at};
pub use run::options::{RunOverrides, RunSettings, SettingsError, select_sources};
pub use run::outcome::{FailureKind, RunOutcome};
pub use sources::build::fetch_one_customer;
pub use table::{CompactReport, CompactedPartition, TableError, VacuumReport};
pub use write::location::OutputLocation;

/// Cuts every secret and token this process knows out of `text` (and masks secret URL query
/// parameters): the binary passes its log lines, summaries and error messages through it.
pub use custlake_client_kit::redact as redact_secrets;

/// The building blocks this crate's own integration tests and benchmarks drive directly (the
/// Parquet and object-store sinks, the catalog, spools). Not a stable API: the CLI and other
/// callers use the items above.
#[doc(hidden)]
pub mod internals {
    pub use crate::commit::catalog::Catalog;

    /// A Delta output read back as a catalog: every partition's current files.
    pub async fn delta_view(location: &crate::OutputLocation) -> Result<Catalog, String> {
        let tables =
            crate::commit::delta::table::DeltaTables::at(location).map_err(|e| e.to_string())?;
        crate::commit::delta::view::load_view(&tables)
            .await
            .map_err(|e| e.to_string())
    }
    pub use crate::config::ParquetSinkConfig;
    pub use crate::fetch::page_set::PageSet;
    pub use crate::layout::{CATALOG_FILE, MARKER_FILE, PartitionTarget, STAGING_DIR};
    pub use crate::resume::spool::{RecordKind, SpoolWriter, read_frames_from};
    pub use crate::sources::{FetchedPage, PageRecords, raw_texts};
    pub use crate::write::SinkError;
    pub use crate::write::content_hash::ContentHasher;
    pub use crate::write::location::{ObjectStoreOutput, object_store};
    pub use crate::write::parquet::{
        SnapshotWriter, StagedSnapshot, SwapMethod, remove_run_staging,
    };
    pub use crate::write::partition::{PartitionPlace, PartitionWriter};
}
