//! The Parquet snapshot sink: one [`SnapshotWriter`] per (dataset, source, tenant) per run writes
//! rotating Parquet files into a staging folder, and [`StagedSnapshot::commit`] swaps the whole
//! partition in atomically so readers only ever see complete snapshots.

mod commit;
mod sink;
mod swap;

pub use commit::{StagedSnapshot, SwappedSnapshot, remove_run_staging};
pub use sink::SnapshotWriter;
pub use swap::SwapMethod;
