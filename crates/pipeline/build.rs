//! Marks the object-store tests as ignored when no moto server can be found (`moto_missing`),
//! so a bare `cargo test` reports them as skipped instead of passing them unseen; under CI the
//! cfg is never set and a missing server fails them (see `tests/it/moto/detect.rs`).

#[path = "tests/it/moto/detect.rs"]
mod detect;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=tests/it/moto/detect.rs");
    println!("cargo::rustc-check-cfg=cfg(moto_missing)");
    for folder in detect::moto_folders(&watched_env) {
        println!("cargo::rerun-if-changed={}", folder.display());
    }
    if detect::moto_ignored(&watched_env) {
        println!("cargo::rustc-cfg=moto_missing");
    }
}

/// Reads a variable and asks cargo to rerun this script when it changes.
fn watched_env(name: &str) -> Option<std::ffi::OsString> {
    println!("cargo::rerun-if-env-changed={name}");
    std::env::var_os(name)
}
