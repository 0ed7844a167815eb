//! `cargo xtask`: project automation that needs no tools beyond cargo.
//!
//! * `cargo xtask generate` — regenerates the vendor clients from `specs/` with progenitor.
//! * `cargo xtask check` — fails when the committed generated code differs from the specs.

mod codegen;

use anyhow::{Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("generate") => codegen::generate(),
        Some("check") => codegen::check(),
        Some(other) => bail!("unknown xtask command `{other}`\n\n{USAGE}"),
        None => {
            println!("{USAGE}");
            Ok(())
        }
    }
}

const USAGE: &str = "usage: cargo xtask <command>

commands:
  generate   regenerate crates/*/src/generated.rs from specs/*.yaml
  check      fail if the committed generated code differs from what the specs produce";
