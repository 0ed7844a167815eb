//! Tests of the unified schema and the vendor mapping.
//!
//! One test binary per crate (each binary links the whole dependency tree; one link instead of
//! many keeps the build small and fast). Run one group with `cargo test -p <crate> --test it <module>::`.
#![recursion_limit = "256"]

mod common;
mod docs;
mod golden;
mod mapping;
mod properties;
mod schema;
