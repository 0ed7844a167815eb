//! Yonyou U8 OpenAPI client.
//!
//! `generated` is written by `cargo xtask generate` from `specs/yonyou-u8.yaml` and never edited
//! by hand; the modules beside it add what a spec cannot say: token handling, typed vendor
//! errors, redaction and paging.

#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, unused, missing_docs)]
mod generated;

pub use generated::{Client, types};
