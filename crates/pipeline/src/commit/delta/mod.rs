//! Delta Lake outputs (`[output] format = "delta"`): one table per dataset, partitioned by
//! `source` and `tenant`, written by any number of processes at once.
//!
//! [`table`] finds and creates the tables; [`partition_commit`] commits one partition's change
//! with optimistic concurrency, back-off and an application transaction per partition;
//! [`view`] reads the tables back as a [`Catalog`](crate::commit::catalog::Catalog) (the
//! current files of every partition), so planning and reading are shared with the Parquet
//! output; [`marks`] keeps each incremental source's high-water mark beside the tables, one
//! object per source, so shards never write the same object.

pub(crate) mod marks;
pub(crate) mod partition_commit;
pub(crate) mod table;
pub(crate) mod view;

/// Why a Delta output could not be read or committed.
#[derive(Debug, thiserror::Error)]
pub enum DeltaError {
    /// The output location cannot hold Delta tables.
    #[error("delta output {location}: {reason}")]
    Location {
        /// The location as given.
        location: String,
        /// What is wrong.
        reason: String,
    },
    /// The deltalake crate failed on a table.
    #[error("delta table {table}: cannot {action} it: {reason}")]
    Table {
        /// What was being done (`read`, `create`, `commit to`).
        action: &'static str,
        /// The table, as `s3://bucket/prefix/customers` or a `file://` URL.
        table: String,
        /// deltalake's explanation (never holds credentials).
        reason: String,
    },
    /// A later run already committed this partition; this run's older data is not applied.
    #[error(
        "{partition}: a later run already committed this partition to {table}; this run's \
         (older) data was not applied; nothing to do unless that run's data is wrong"
    )]
    Superseded {
        /// `dataset/source=../tenant=..`.
        partition: String,
        /// The table.
        table: String,
    },
    /// Every commit attempt lost a race to another writer.
    #[error(
        "{partition}: {attempts} commit attempts to {table} all lost to other writers; the \
         files were written but not committed; run the source again (fewer concurrent writers \
         of one table help)"
    )]
    GaveUp {
        /// `dataset/source=../tenant=..`.
        partition: String,
        /// The table.
        table: String,
        /// Attempts made.
        attempts: u32,
    },
    /// A mark file could not be read or written.
    #[error("delta output {location}: cannot {action} the high-water mark: {reason}")]
    Mark {
        /// `read` or `write`.
        action: &'static str,
        /// The mark object.
        location: String,
        /// What went wrong.
        reason: String,
    },
}
