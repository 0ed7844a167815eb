//! Layer 5, commit: publishes staged partitions ([`partition`]), keeps the catalog of current
//! files, deltas and marks ([`catalog`]), writes the run manifest ([`manifest`]) and removes
//! what the committed catalog no longer references ([`cleanup`]); or, for Delta Lake outputs,
//! commits each partition to its table ([`delta`]).

pub(crate) mod catalog;
pub(crate) mod cleanup;
pub(crate) mod delta;
pub(crate) mod manifest;
pub(crate) mod output_kind;
pub(crate) mod partition;
pub(crate) mod writer_lock;
