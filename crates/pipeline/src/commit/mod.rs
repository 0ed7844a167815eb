//! Layer 5, commit: publishes staged partitions ([`partition`]), keeps the catalog of current
//! files, deltas and marks ([`catalog`]) and writes the run manifest ([`manifest`]).

pub(crate) mod catalog;
pub(crate) mod manifest;
pub(crate) mod partition;
