//! Where the test prerequisites are, and whether a missing one fails the suite: read by the test
//! crates' build scripts (which mark tests that cannot run as ignored) and by the moto launcher
//! (which names the fix when it cannot start a server).
//!
//! A build script cannot see the test harness, so the decision is a cfg: `moto_missing` /
//! `script_missing` make `#[cfg_attr(.., ignore = "..")]` report the test as ignored. Under CI
//! (`CI=true`, as `.ci/run` exports) or `CUSTLAKE_REQUIRE_MOTO=1` the cfgs are never set: the
//! tests run and fail with the reason instead of passing unseen.

#![allow(dead_code)]

use std::ffi::OsString;
use std::path::PathBuf;

/// Why a moto test cannot run, and the fix; shown as the ignore reason and in the failure.
pub const MOTO_MISSING: &str = "moto not found: set MOTO_SERVER to the moto_server binary or VENV to a \
     virtualenv with tests/requirements.txt installed (see README, CI)";

/// The moto server named by the environment, if that file exists.
pub fn moto_binary(env: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let candidates = [
        env("MOTO_SERVER").map(PathBuf::from),
        env("VENV").map(|v| PathBuf::from(v).join("bin").join("moto_server")),
    ];
    candidates.into_iter().flatten().find(|p| p.is_file())
}

/// Whether this is a CI run (`CI` set to anything but empty, `0` or `false`): a missing
/// prerequisite fails the tests rather than ignoring them.
pub fn ci(env: &dyn Fn(&str) -> Option<OsString>) -> bool {
    env("CI").is_some_and(|v| {
        let v = v.to_string_lossy().trim().to_ascii_lowercase();
        !(v.is_empty() || v == "0" || v == "false")
    })
}

/// Whether a missing moto server must fail the tests: under CI, or with the older
/// `CUSTLAKE_REQUIRE_MOTO` set.
pub fn moto_required(env: &dyn Fn(&str) -> Option<OsString>) -> bool {
    ci(env) || env("CUSTLAKE_REQUIRE_MOTO").is_some_and(|v| !v.is_empty())
}

/// Whether the moto tests are to be ignored: no server found, and not required.
pub fn moto_ignored(env: &dyn Fn(&str) -> Option<OsString>) -> bool {
    !moto_required(env) && moto_binary(env).is_none()
}

/// The existing folders a moto server would appear in (`$VENV/bin`, the folder of
/// `MOTO_SERVER`): a build script watches them so installing moto reruns it. Missing folders
/// are left out, as cargo reruns a script on every build while a watched path is missing.
pub fn moto_folders(env: &dyn Fn(&str) -> Option<OsString>) -> Vec<PathBuf> {
    let venv_bin = env("VENV").map(|v| PathBuf::from(v).join("bin"));
    let server_dir =
        env("MOTO_SERVER").and_then(|p| PathBuf::from(p).parent().map(|d| d.to_path_buf()));
    [venv_bin, server_dir]
        .into_iter()
        .flatten()
        .filter(|dir| dir.is_dir())
        .collect()
}

/// `program` in one of the folders of `path` (a `PATH` value), if it is there.
pub fn on_path(program: &str, path: Option<OsString>) -> Option<PathBuf> {
    let path = path?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}
