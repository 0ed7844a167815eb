//! What the run hands a table format: who writes ([`RunIdentity`]), a finished source's
//! partitions ([`SourcePartitions`]) and how to publish them ([`PublishOptions`]).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::commit::catalog::FetchKind;
use crate::config::ParquetSinkConfig;
use crate::write::partition::StagedPartition;

/// Who writes: the run's id (in file names, the catalog and commit info), when it started
/// (rows' `extracted_at`; Delta Lake orders commits by it, and a resumed run keeps it) and
/// what it is (`export`, `compact`, `link`).
#[derive(Debug, Clone)]
pub(crate) struct RunIdentity {
    /// The run id.
    pub(crate) run_id: String,
    /// When the run started.
    pub(crate) started_at: DateTime<Utc>,
    /// What the run is.
    pub(crate) operation: &'static str,
}

/// A source's finished partitions, each with how the run fetched the entities governing its
/// rows: empty for a full run (the rows replace the partition), else the upsert's entities.
pub(crate) type SourcePartitions = Vec<(StagedPartition, BTreeMap<String, FetchKind>)>;

/// How a finished source's partitions are published, besides their rows.
pub(crate) struct PublishOptions<'a> {
    /// The change fetch found no record newer than the previous mark.
    pub(crate) nothing_new: bool,
    /// Append each partition's changes to `<dataset>_history` in the same step.
    pub(crate) history: bool,
    /// Datasets whose listing ended early (records missing against the vendor's total): keys
    /// they lack are not counted or recorded as deletions.
    pub(crate) incomplete: BTreeSet<String>,
    /// How files are written (rewrites, history).
    pub(crate) parquet: &'a ParquetSinkConfig,
}
