//! The run on top of every layer: [`export`] (its options and shared parts in [`context`]), per
//! [`source`] and per [`entity`]; [`link`], [`compact`] (and vacuum), [`check`]; the output an
//! `out` path names ([`writing`]) and the errors a run can end with ([`error`]); [`guard`]
//! refuses under-delivered listings and unproven shrinks. The output itself is
//! [`crate::table::TableFormat`].

pub(crate) mod check;
pub(crate) mod compact;
pub(crate) mod context;
pub(crate) mod entity;
pub(crate) mod error;
pub(crate) mod export;
pub(crate) mod guard;
pub(crate) mod link;
pub(crate) mod options;
pub(crate) mod outcome;
pub(crate) mod source;
pub(crate) mod writing;
