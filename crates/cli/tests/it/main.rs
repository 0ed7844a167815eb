//! End-to-end tests of the `custlake` binary against the simulator.
//!
//! One test binary per crate (each binary links the whole dependency tree; one link instead of
//! many keeps the build small and fast). Run one group with `cargo test -p <crate> --test it <module>::`.

mod cli;
mod delta;
mod deploy;
mod echo;
mod first_hour;
mod history;
mod leaks;
#[path = "../../../pipeline/tests/it/moto/mod.rs"]
mod moto;
mod progress_pty;
mod readme;
mod resume;
mod s3;
