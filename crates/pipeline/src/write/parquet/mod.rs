//! The Parquet snapshot sink: one [`SnapshotWriter`] per (dataset, source, tenant) per run writes
//! rotating Parquet files into a staging folder, and [`StagedSnapshot::commit`] swaps the whole
//! partition in atomically so readers only ever see complete snapshots.

mod commit;
mod sink;
mod swap;

pub(crate) use commit::{CommittedSnapshot, StagedSnapshot, remove_run_staging};
pub(crate) use sink::SnapshotWriter;
