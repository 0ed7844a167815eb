//! The run on top of every layer: [`export`], per [`source`] and per [`entity`], the output side
//! of a run ([`output`]) and what writing shares with [`compact`] ([`writing`]), [`check`] and
//! the errors a run can end with ([`error`]); [`guard`] refuses under-delivered listings and
//! unproven shrinks.

pub(crate) mod check;
pub(crate) mod compact;
pub(crate) mod delta;
pub(crate) mod delta_maintenance;
pub(crate) mod entity;
pub(crate) mod error;
pub(crate) mod export;
pub(crate) mod guard;
pub(crate) mod link;
pub(crate) mod options;
pub(crate) mod outcome;
pub(crate) mod output;
pub(crate) mod source;
pub(crate) mod writing;
