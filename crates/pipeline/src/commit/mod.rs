//! Layer 6, commit: the primitives that change what readers see. For Parquet outputs: publishing
//! staged partitions ([`partition`]), the catalog of current files and marks ([`catalog`]),
//! removing what it no longer references ([`cleanup`]), one writer at a time (the lock of a local
//! folder, [`writer_lock`]; the catalog's conditional PUT on object stores, [`catalog_version`]) and
//! the increments older outputs hold ([`legacy_increments`]). For Delta Lake outputs: each
//! partition's commit to its table ([`delta`]). For both: the run manifest ([`manifest`]) and
//! what an output records about itself ([`output_kind`]). The table formats (`crate::table`)
//! compose them.

pub(crate) mod catalog;
pub(crate) mod catalog_version;
pub(crate) mod cleanup;
pub(crate) mod content;
pub(crate) mod delta;
pub(crate) mod increment;
pub(crate) mod legacy_increments;
pub(crate) mod manifest;
pub(crate) mod output_kind;
pub(crate) mod partition;
pub(crate) mod writer_lock;
