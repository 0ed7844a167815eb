//! Sinks: where mapped Arrow batches end up: local Parquet snapshots ([`parquet`]) or an
//! S3-compatible object store ([`object_store`]), behind one per-partition writer and commit
//! ([`partition`]) that hashes the rows ([`content_hash`]) so unchanged snapshots are kept.

pub mod content_hash;
pub(crate) mod durable;
pub mod error;
pub mod object_store;
pub mod parquet;
pub mod partition;

pub use error::SinkError;
