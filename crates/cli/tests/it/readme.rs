//! The README's "Using it" block runs as written (issue 27): a newcomer pastes it and it works.
//! The block (marked `<!-- readme-test: using-it -->`) is run by bash with `set -e`, with the
//! built `custlake` and `custlake-sim` first on `PATH`, in an empty folder; the only change is
//! the simulator's port (`127.0.0.1:8080` becomes a free ephemeral one). Any command failing,
//! or the block missing, fails the test — so the README cannot drift from the binaries.

use std::path::{Path, PathBuf};
use std::process::Command;

const MARKER: &str = "<!-- readme-test: using-it -->";

/// The fenced block after `marker` in `readme`.
fn marked_block(readme: &str, marker: &str) -> String {
    let after = readme
        .split_once(marker)
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("README has no {marker}"));
    let body = after
        .trim_start()
        .strip_prefix("```sh\n")
        .expect("a ```sh block follows the marker");
    body.split_once("\n```")
        .map(|(block, _)| block.to_owned())
        .expect("the block is closed")
}

/// The folder holding the built `custlake-sim`, built here when a run of only this crate's
/// tests did not build it.
fn sim_bin_dir() -> PathBuf {
    let cli = assert_cmd::cargo::cargo_bin("custlake");
    let dir = cli.parent().expect("bin dir").to_path_buf();
    if !dir.join("custlake-sim").exists() {
        let built = Command::new(env!("CARGO"))
            .args([
                "build",
                "-q",
                "-p",
                "custlake-simulator",
                "--bin",
                "custlake-sim",
            ])
            .status()
            .expect("cargo runs");
        assert!(built.success(), "building custlake-sim failed");
    }
    dir
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

#[test]
fn the_readme_using_it_block_runs_as_written() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .expect("README.md");
    let block = marked_block(&readme, MARKER);
    assert!(
        block.contains("custlake init"),
        "the block starts a user off: {block}"
    );
    let port = free_port();
    let script = block.replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"));
    let dir = tempfile::tempdir().expect("tempdir");
    let bins = sim_bin_dir();
    let path = format!(
        "{}:{}",
        bins.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!("set -euo pipefail\n{script}\n"))
        .current_dir(dir.path())
        .env("PATH", path)
        .env_remove("CUSTLAKE_LOG")
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the README block failed ({}):\n{script}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    // It did what it says: an output with the datasets, a history, a summary with changes.
    for folder in [
        "customers",
        "contacts",
        "customer_links",
        "customers_history",
    ] {
        assert!(
            dir.path().join("lake").join(folder).is_dir(),
            "lake/{folder}\n{stdout}"
        );
    }
    assert!(stdout.contains("ins"), "{stdout}");
}
