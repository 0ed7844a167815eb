//! Resume after a crash: the checkpoint and spool file formats ([`checkpoint`], [`spool`]) and
//! the policy that decides, per source, whether saved pages are replayed or the source starts
//! over ([`policy`]).

pub(crate) mod checkpoint;
pub(crate) mod policy;
pub(crate) mod spool;

pub(crate) use policy::{EntitySpool, Replayed, RunRecovery, SourceSpools, prepare_source};
