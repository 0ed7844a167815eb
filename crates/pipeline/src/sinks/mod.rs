//! Sinks: where mapped Arrow batches end up. Today only local Parquet snapshots.

pub(crate) mod durable;
pub mod error;
pub mod parquet;

pub use error::SinkError;
