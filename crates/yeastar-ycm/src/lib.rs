//! Yeastar YCM OpenAPI client.
//!
//! `generated` is written by `cargo xtask generate` from `specs/yeastar-ycm.yaml` and never edited
//! by hand; the modules beside it add the OAuth token flow, the bearer and User-Agent headers,
//! typed errors and paging.

pub mod auth;
#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, unused, missing_docs)]
mod generated;

pub use generated::{Client, types};
