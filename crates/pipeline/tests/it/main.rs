//! End-to-end tests of the pipeline against the simulator.
//!
//! One test binary per crate (each binary links the whole dependency tree; one link instead of
//! many keeps the build small and fast). Run one group with `cargo test -p <crate> --test it <module>::`.

mod bad_input;
mod decode_props;
mod export_e2e;
mod history;
mod incremental;
mod links;
mod moto;
mod object_store;
mod schema_upgrade;
mod sink_parquet;
mod soak;
