//! `cargo xtask`: project automation that needs no tools beyond cargo.
//!
//! * `cargo xtask generate` — regenerates the vendor clients from `specs/` with progenitor.
//! * `cargo xtask check` — fails when the committed generated code differs from the specs, then
//!   runs the tidy checks.
//! * `cargo xtask tidy` — the tidy checks alone: pipeline layers and module cycles, function
//!   size, module docs (see `tidy.rs`).

mod bench;
mod codegen;
mod tidy;

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("generate") => codegen::generate(),
        Some("check") => codegen::check().and_then(|()| tidy::tidy()),
        Some("tidy") => tidy::tidy(),
        Some("bench") => bench::bench(&args[1..]),
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
  check      fail if the committed generated code differs from what the specs produce, then tidy
  tidy       fail on imports into a higher pipeline layer, module cycles, functions over 80 lines
             or 6 parameters, and files without a `//!` module doc line
  bench      release-build custlake and custlake-sim, run the end-to-end benchmarks and write
             bench/results.json (--quick: small sizes on the debug build, for CI;
             sizes: --u8-customers N --ycm-customers N --latency-pages N --memory-small N
             --memory-large N --rate-pages N --repeat N)";

/// The workspace root (xtask lives one level below it).
///
/// Read at run time (`cargo run` sets `CARGO_MANIFEST_DIR`), so a binary built from another
/// checkout that shares the target folder still works on this one; the compile-time value is
/// only the fallback.
pub(crate) fn workspace_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}
