//! Layer 7, table: one table model for every output format. Every (dataset, source, tenant)
//! partition always holds the vendor's current state, one row per key: a full run replaces
//! it, an incremental run upserts it (the files holding older rows of re-fetched records are
//! rewritten without them and the new rows added, in one atomic step), so a reader's everyday
//! one-liner shows the current state in both formats.
//!
//! [`TableFormat`] is the seam: an enum with one arm per format, each in its own folder —
//! [`parquet`] (Hive folders, custlake's catalog, folder swaps or a catalog PUT) and [`delta`]
//! (Delta Lake tables, one commit per partition). Each owns, for its format: opening or creating
//! the output, the partition writer, publishing a source's partitions (replace or upsert, all or
//! nothing), derived partitions (`customer_links`), the high-water marks, the end of a run,
//! compaction, vacuum and reading its current files back as a
//! [`Catalog`](crate::commit::catalog::Catalog). The run code asks the seam and never checks
//! which format it has. What both formats share lives beside it: [`merge`] (which rows of which
//! file survive) and [`upsert`] (which current files an upsert rewrites) and [`changes`] (what a commit inserts, updates and
//! deletes, found by `row_hash`, and the rows of `<dataset>_history` it appends).
//!
//! A third format (Iceberg, once iceberg-rust can replace partitions) is one more folder and
//! one more arm: it implements the same methods as [`parquet::ParquetTables`] and
//! [`delta::DeltaLakeTables`].

pub(crate) mod changes;
pub(crate) mod delta;
pub(crate) mod error;
mod format;
mod inputs;
pub(crate) mod merge;
pub(crate) mod parquet;
mod report;
pub(crate) mod upsert;

pub use error::TableError;
pub(crate) use format::TableFormat;
pub(crate) use inputs::{PublishOptions, RunIdentity};
pub use report::{CompactReport, CompactedPartition, VacuumReport};
