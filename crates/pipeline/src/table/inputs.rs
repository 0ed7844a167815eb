//! What the run hands a table format: who writes ([`RunIdentity`]) and a finished source's
//! partitions ([`SourcePartitions`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::commit::catalog::FetchKind;
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
