//! How an incremental run fetched each entity ([`FetchKind`]), and an incremental run's rows as
//! one step of a merge ([`Increment`]): the rows an upsert adds, or what an older output wrote
//! beside a partition.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::commit::content::Content;

/// One incremental run's rows for a partition, as an older custlake recorded them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Increment {
    /// Commit order of the run that wrote it: every increment of one run has the same number,
    /// and later runs higher ones (run ids alone do not order runs started within one second).
    pub sequence: u64,
    /// How each entity was fetched in that run: rows of a `changes` entity replace the rows with
    /// the same key; a `full` entity's rows replace all its rows.
    pub entities: BTreeMap<String, FetchKind>,
    /// The increment's files.
    #[serde(flatten)]
    pub content: Content,
}

/// How an entity was fetched by an incremental run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FetchKind {
    /// Only records changed since the previous high-water mark (U8 customers).
    Changes,
    /// Every record (entities without a change filter, such as U8 contacts).
    Full,
}
