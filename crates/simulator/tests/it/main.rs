//! Tests of the simulator over HTTP and as a library.
//!
//! One test binary per crate (each binary links the whole dependency tree; one link instead of
//! many keeps the build small and fast). Run one group with `cargo test -p <crate> --test it <module>::`.

mod auth;
mod change_log;
mod changes;
mod clients;
mod common;
mod data;
mod faults;
mod links;
