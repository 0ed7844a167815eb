//! Layer 5, write: where mapped Arrow batches end up — local Parquet snapshots ([`parquet`]) or
//! an S3-compatible object store ([`object_store`]) at an [`location::OutputLocation`], behind
//! one per-partition writer ([`partition`]) that hashes the rows ([`content_hash`]) so unchanged
//! snapshots are kept, and the writer threads of a run ([`writers`]).

pub(crate) mod content_hash;
pub(crate) mod durable;
pub(crate) mod error;
pub(crate) mod file_metadata;
pub(crate) mod file_stats;
pub(crate) mod location;
pub(crate) mod object_store;
pub(crate) mod parquet;
pub(crate) mod partition;
pub(crate) mod rotating;
pub(crate) mod writers;

pub use error::SinkError;
