//! Incremental U8 exports: what a source does in a run ([`plan`]) and the high-water marks that
//! let the next run ask only for what changed.

pub(crate) mod plan;

pub use plan::*;
