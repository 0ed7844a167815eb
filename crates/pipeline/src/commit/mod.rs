//! Layer 5, commit: publishes staged partitions ([`partition`]), keeps the catalog of current
//! files, deltas and marks ([`catalog`]), writes the run manifest ([`manifest`]) and removes
//! what the committed catalog no longer references ([`cleanup`]).

pub(crate) mod catalog;
pub(crate) mod cleanup;
pub(crate) mod manifest;
pub(crate) mod partition;
