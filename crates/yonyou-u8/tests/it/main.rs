//! Tests of the U8 client against the vendor's examples and the simulator.
//!
//! One test binary per crate (each binary links the whole dependency tree; one link instead of
//! many keeps the build small and fast). Run one group with `cargo test -p <crate> --test it <module>::`.

#[path = "../../../client-kit/testkit/recorded_answers.rs"]
mod recorded_answer_harness;
mod recorded_answers;
mod token_flow;
mod vendor_examples;
