//! The run on top of every layer: [`export`] (per source and per entity), the output side of a
//! run ([`output`]), [`compact`], [`check`] and the errors a run can end with ([`error`]).

pub(crate) mod check;
pub(crate) mod compact;
pub(crate) mod error;
pub(crate) mod export;
pub(crate) mod output;
