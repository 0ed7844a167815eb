//! Marks the tests that need a moto S3 server (`moto_missing`) or util-linux `script` for a
//! pseudo-terminal (`script_missing`) as ignored when those cannot be found, so a bare
//! `cargo test` reports them as skipped instead of passing them unseen; under CI neither cfg
//! is set and a missing prerequisite fails its test (see the pipeline's
//! `tests/it/moto/detect.rs`, shared with the moto launcher).

#[path = "../pipeline/tests/it/moto/detect.rs"]
mod detect;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=../pipeline/tests/it/moto/detect.rs");
    println!("cargo::rustc-check-cfg=cfg(moto_missing, script_missing)");
    for folder in detect::moto_folders(&watched_env) {
        println!("cargo::rerun-if-changed={}", folder.display());
    }
    if detect::moto_ignored(&watched_env) {
        println!("cargo::rustc-cfg=moto_missing");
    }
    if !detect::ci(&watched_env) && detect::on_path("script", watched_env("PATH")).is_none() {
        println!("cargo::rustc-cfg=script_missing");
    }
}

/// Reads a variable and asks cargo to rerun this script when it changes.
fn watched_env(name: &str) -> Option<std::ffi::OsString> {
    println!("cargo::rerun-if-env-changed={name}");
    std::env::var_os(name)
}
