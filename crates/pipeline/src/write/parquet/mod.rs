//! The Parquet snapshot sink: one [`SnapshotWriter`] per (dataset, source, tenant) per run writes
//! rotating Parquet files into a staging folder, and [`StagedSnapshot::commit`] swaps the whole
//! partition in atomically so readers only ever see complete snapshots.

mod commit;
mod config;
mod layout;
mod sink;
mod swap;

pub use commit::{CommittedFile, CommittedSnapshot, StagedSnapshot, remove_run_staging};
pub use config::ParquetSinkConfig;
pub(crate) use layout::validate_run_id;
pub use layout::{PartitionTarget, STAGING_DIR};
pub use sink::SnapshotWriter;
pub use swap::SwapMethod;
