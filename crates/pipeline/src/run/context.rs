//! What an export is asked to do ([`ExportOptions`]) and the run's identity and shared parts
//! handed to every source's run ([`RunContext`]).

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::ParquetSinkConfig;
use crate::model::OutputFormat;
use crate::progress::ProgressObserver;
use crate::resume::RunRecovery;
use crate::run::link::LinkSettings;
use crate::table::TableFormat;

/// How a run writes its output.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Local output folder, or an object store URL (`s3://bucket/prefix`; see
    /// [`crate::write::location`]).
    pub out: PathBuf,
    /// Parquet folders with custlake's catalog, or Delta Lake tables.
    pub format: OutputFormat,
    /// Keep raw vendor JSON in the `raw` column.
    pub include_raw: bool,
    /// Parquet file settings.
    pub parquet: ParquetSinkConfig,
    /// Spool every fetched page and checkpoint it, so an interrupted run can be resumed
    /// (`[output] checkpoints`, default true).
    pub checkpoints: bool,
    /// Continue the newest interrupted run in `out` instead of starting a new one (a new run
    /// starts when there is none).
    pub resume: bool,
    /// Append every partition's changes to `<dataset>_history` (`[output] history`).
    pub history: bool,
    /// Write `customer_links` after every source finished (`None`: do not).
    pub links: Option<LinkSettings>,
}

/// The run's identity, shared by every source.
pub(crate) struct RunContext {
    pub(crate) run_id: String,
    pub(crate) started_at: DateTime<Utc>,
    pub(crate) options: ExportOptions,
    pub(crate) progress: Arc<dyn ProgressObserver>,
    /// The run's claim on its checkpoints; released when the run ends.
    pub(crate) recovery: RunRecovery,
    /// Where partitions are written and published.
    pub(crate) output: TableFormat,
}
