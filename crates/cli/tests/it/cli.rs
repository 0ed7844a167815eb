//! The `custlake` binary as a user runs it: demo, export against the simulator, bad configs,
//! and a scan of everything a faulty run prints and writes for secrets.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use custlake_simulator::SimConfig;

use crate::leaks::{Needles, assert_no_leaks};

fn custlake() -> Command {
    let mut cmd = Command::cargo_bin("custlake").expect("binary built");
    cmd.env_remove("CUSTLAKE_LOG").arg("--no-progress");
    cmd
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(files_under(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

#[test]
fn demo_exports_and_prints_a_summary() {
    let out = tempfile::tempdir().expect("tempdir");
    let assert = custlake()
        .args(["demo", "--records", "300", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains("Succeeded"), "{stdout}");
    assert!(
        stdout.contains("records/s") && stdout.contains("duckdb -c"),
        "{stdout}"
    );
    // Customers and contacts hold rows for both vendors (rejects may be empty: an empty
    // partition has no file).
    for dataset in ["customers", "contacts"] {
        for source in ["yonyou_u8", "yeastar_ycm"] {
            let dir = out.path().join(dataset).join(format!("source={source}"));
            assert!(
                files_under(&dir)
                    .iter()
                    .any(|f| f.extension().is_some_and(|e| e == "parquet")),
                "{}",
                dir.display()
            );
        }
    }
    let manifests = files_under(&out.path().join("_manifests"));
    assert_eq!(manifests.len(), 1);
    let named = format!("manifest: {}\n", manifests[0].display());
    assert!(
        stdout.contains(&named),
        "the summary names {named:?}: {stdout}"
    );
}

const SECRET_U8: &str = "u8-secret-for-cli-tests";
const SECRET_YCM: &str = "ycm-secret-for-cli-tests";

/// A simulator whose tenants use the test secrets, optionally with faults.
fn sim_config(faults: bool) -> SimConfig {
    let mut config = SimConfig::demo(300);
    for t in &mut config.u8_tenants {
        t.app_secret = SECRET_U8.into();
    }
    for c in &mut config.ycm_clients {
        c.client_secret = SECRET_YCM.into();
    }
    if faults {
        config.faults.server_error_rate = 0.1;
        config.faults.drop_connection_rate = 0.05;
        config.faults.malformed_rate = 0.05;
        config.faults.too_many_requests_rate = 0.05;
        config.faults.retry_after_secs = 0;
        config.faults.token_expire_after_calls = Some(5);
    }
    config
}

fn write_config(dir: &Path, sim: &SimConfig, base_url: &str, out: &Path) -> PathBuf {
    let mut text = format!("[output]\npath = {:?}\n", out.display().to_string());
    for t in &sim.u8_tenants {
        text.push_str(&format!(
            "\n[[sources]]\nname = {:?}\nkind = \"yonyou_u8\"\nbase_url = {base_url:?}\nfrom_account = {:?}\nto_account = {:?}\napp_key = {:?}\napp_secret = \"${{TEST_U8_SECRET}}\"\n{}requests_per_second = 2000\n[sources.retry]\ninitial_backoff_ms = 5\nmax_backoff_ms = 50\nmax_attempts = 12\n",
            t.name, t.from_account, t.to_account, t.app_key,
            t.ds_sequence.map(|d| format!("ds_sequence = {d}\n")).unwrap_or_default()
        ));
    }
    for c in &sim.ycm_clients {
        // No client_secret: it comes from CUSTLAKE_<NAME>_CLIENT_SECRET.
        text.push_str(&format!(
            "\n[[sources]]\nname = {:?}\nkind = \"yeastar_ycm\"\nbase_url = {base_url:?}\nclient_id = {:?}\nrequests_per_second = 2000\n[sources.retry]\ninitial_backoff_ms = 5\nmax_backoff_ms = 50\nmax_attempts = 12\n",
            c.name, c.client_id
        ));
    }
    let path = dir.join("custlake.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

fn with_simulator<T: Send + 'static>(
    config: SimConfig,
    f: impl FnOnce(String) -> T + Send + 'static,
) -> T {
    with_simulator_tokens(config, f).0
}

/// [`with_simulator`], also returning every token the simulator issued while `f` ran.
fn with_simulator_tokens<T: Send + 'static>(
    config: SimConfig,
    f: impl FnOnce(String) -> T + Send + 'static,
) -> (T, Vec<String>) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async move {
        let sim = custlake_simulator::start(config)
            .await
            .expect("simulator starts");
        let url = sim.base_url();
        let result = tokio::task::spawn_blocking(move || f(url))
            .await
            .expect("test body ran");
        let tokens = sim.issued_tokens();
        sim.shutdown().await;
        (result, tokens)
    })
}

fn export_cmd(config: &Path) -> Command {
    let mut cmd = custlake();
    cmd.env("TEST_U8_SECRET", SECRET_U8)
        .env("CUSTLAKE_YCM_DEMO_CLIENT_SECRET", SECRET_YCM)
        .arg("export")
        .arg("--config")
        .arg(config);
    cmd
}

#[test]
fn export_writes_the_dataset_and_check_counts_pages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("lake");
    let sim = sim_config(false);
    let config_sim = sim.clone();
    let dir_path = dir.path().to_path_buf();
    let out_path = out.clone();
    with_simulator(sim, move |url| {
        let config = write_config(&dir_path, &config_sim, &url, &out_path);
        let assert = export_cmd(&config).assert().success();
        let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
        assert!(
            stdout.contains("u8_demo_a") && stdout.contains("ycm_demo"),
            "{stdout}"
        );
        let mut check = custlake();
        check
            .env("TEST_U8_SECRET", SECRET_U8)
            .env("CUSTLAKE_YCM_DEMO_CLIENT_SECRET", SECRET_YCM)
            .args(["check", "--config"])
            .arg(&config);
        let checked = check.assert().success();
        let stdout = String::from_utf8_lossy(&checked.get_output().stdout).into_owned();
        assert!(
            stdout.contains("contacts") && stdout.contains(" 300 "),
            "{stdout}"
        );
        let mut only = export_cmd(&config);
        only.args(["--only", "ycm_demo", "--no-raw"])
            .assert()
            .success();
    });
    let manifests = files_under(&out.join("_manifests"));
    assert_eq!(manifests.len(), 2);
}

#[test]
fn a_failing_source_exits_1_and_the_others_commit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("lake");
    let sim = sim_config(false);
    let config_sim = sim.clone();
    let dir_path = dir.path().to_path_buf();
    let out_path = out.clone();
    with_simulator(sim, move |url| {
        let config = write_config(&dir_path, &config_sim, &url, &out_path);
        let mut cmd = export_cmd(&config);
        cmd.env("TEST_U8_SECRET", "not-the-secret");
        let assert = cmd.assert().code(1);
        let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
        assert!(
            stdout.contains("20001"),
            "names the vendor's refusal: {stdout}"
        );
    });
    assert!(
        files_under(&out.join("customers").join("source=yeastar_ycm"))
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "parquet"))
    );
    assert!(!out.join("customers").join("source=yonyou_u8").exists());
}

#[test]
fn no_secret_or_token_in_anything_a_faulty_run_prints_or_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("lake");
    let sim = sim_config(true);
    let config_sim = sim.clone();
    let dir_path = dir.path().to_path_buf();
    let out_path = out.clone();
    let (output, tokens) = with_simulator_tokens(sim, move |url| {
        let config = write_config(&dir_path, &config_sim, &url, &out_path);
        let mut cmd = export_cmd(&config);
        cmd.arg("-vv");
        cmd.output().expect("runs")
    });
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("retrying page"),
        "faults were injected and logged"
    );
    // Tokens expire every 5 calls: one token per source would mean no renewal was exercised.
    assert!(tokens.len() > 6, "tokens were renewed: {}", tokens.len());
    let needles = Needles::new(&[SECRET_U8, SECRET_YCM], tokens);
    assert_no_leaks(
        &needles,
        &[("stdout", &output.stdout), ("stderr", &output.stderr)],
        &[dir.path()],
    );
}

/// Runs `export` on a config that is wrong: exit 2, no panic; returns stderr.
fn config_error(config_text: &str, extra_args: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("custlake.toml");
    let text = config_text.replace("OUT", &dir.path().join("out").display().to_string());
    std::fs::write(&path, text).expect("write");
    let mut cmd = custlake();
    cmd.env("GOOD_SECRET", "s")
        .arg("export")
        .arg("--config")
        .arg(&path)
        .args(extra_args);
    let assert = cmd.assert().code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{stderr}"
    );
    stderr
}

const GOOD: &str = r#"
[output]
path = "OUT"

[[sources]]
name = "acme"
kind = "yonyou_u8"
base_url = "http://127.0.0.1:9"
from_account = "f"
to_account = "t"
app_key = "k"
app_secret = "${GOOD_SECRET}"
"#;

#[test]
fn bad_configs_exit_2_with_a_message_naming_the_problem() {
    let cases: Vec<(String, Vec<&str>, &str)> = vec![
        (
            GOOD.replace("app_key = \"k\"\n", ""),
            vec![],
            "setting app_key: is missing",
        ),
        (
            GOOD.replace("yonyou_u8", "sap"),
            vec![],
            "unknown variant `sap`",
        ),
        (
            GOOD.replace("http://127.0.0.1:9", "not a url"),
            vec![],
            r#"setting base_url: "not a url" is not a valid URL"#,
        ),
        (
            GOOD.replace("${GOOD_SECRET}", "${MISSING_SECRET_VAR}"),
            vec![],
            "${MISSING_SECRET_VAR}, which is not set",
        ),
        (
            format!("{GOOD}concurrency = -3\n"),
            vec![],
            "setting concurrency: -3 is outside 1..=256",
        ),
        (
            format!("{GOOD}bogus_key = 1\n"),
            vec![],
            "unknown field `bogus_key`",
        ),
        (
            GOOD.replace(
                "path = \"OUT\"",
                "path = \"/proc/custlake-cannot-write-here\"",
            ),
            vec![],
            "output folder /proc/custlake-cannot-write-here",
        ),
        (
            GOOD.replace("[output]\npath = \"OUT\"\n", ""),
            vec![],
            "missing field `output`",
        ),
        (
            GOOD.replace("name = \"acme\"", "name = \"2024\""),
            vec![],
            r#"setting name: "2024" would be read back as a number"#,
        ),
        (
            GOOD.replace("name = \"acme\"", "name = \"2024-01-31\""),
            vec![],
            r#"setting name: "2024-01-31" would be read back as a number, date"#,
        ),
        (
            format!("{GOOD}timezone = \"Mars/Olympus\"\n"),
            vec![],
            r#"setting timezone: "Mars/Olympus" is not an IANA time zone"#,
        ),
        (
            format!("{GOOD}client_id = \"x\"\n"),
            vec![],
            "setting client_id: does not apply to yonyou_u8 sources",
        ),
        (
            format!("{GOOD}page_size = 0\n"),
            vec![],
            "setting page_size: 0 is outside 1..=10000 records per page",
        ),
        (
            GOOD.replace("kind = \"yonyou_u8\"", "kind = \"yeastar_ycm\""),
            vec![],
            "setting from_account: does not apply to yeastar_ycm sources",
        ),
        (
            format!(
                "{GOOD}{}",
                GOOD.split("[[sources]]")
                    .nth(1)
                    .map(|s| format!("[[sources]]{s}"))
                    .unwrap_or_default()
            ),
            vec![],
            "the name is used twice",
        ),
        (
            GOOD.to_owned(),
            vec!["--only", "nope"],
            "--only nope: no source of that name",
        ),
        (
            "[output\npath = 1".to_owned(),
            vec![],
            "TOML parse error at line 1, column 8",
        ),
        (
            format!("{GOOD}requests_per_second = 0\n"),
            vec![],
            "setting requests_per_second: 0 is outside 0.01..=1000000 requests per second",
        ),
        (
            format!("{GOOD}request_timeout_secs = 1e300\n"),
            vec![],
            "setting request_timeout_secs: 1e300 is outside 0.001..=3600 seconds",
        ),
        (
            format!("{GOOD}max_pages = 0\n"),
            vec![],
            "setting max_pages: 0 is outside 1..=",
        ),
        (
            format!(
                "{GOOD}{}",
                GOOD.split("[[sources]]")
                    .nth(1)
                    .map(|s| format!("[[sources]]{s}"))
                    .unwrap_or_default()
                    .replace("\"acme\"", "\"Acme\"")
            ),
            vec![],
            r#"setting name: "Acme" differs from source "acme" only in letter case"#,
        ),
    ];
    // Each message names its own problem: the fragment expected for one case is in that
    // case's message and in no other's (so a fragment every message shares, such as the file
    // name, or two cases answered with each other's message, fail).
    let messages: Vec<String> = cases
        .iter()
        .map(|(text, args, _)| config_error(text, args))
        .collect();
    for (i, (_, args, expect)) in cases.iter().enumerate() {
        assert!(
            messages[i].contains(expect),
            "case {i} ({args:?}): expected {expect:?} in: {}",
            messages[i]
        );
        for (j, other) in messages.iter().enumerate() {
            assert!(
                j == i || !other.contains(expect),
                "case {i}'s fragment {expect:?} does not single out its problem: case {j} says it \
                 too: {other}"
            );
        }
    }
}

#[test]
fn a_missing_config_file_is_a_usage_error() {
    let assert = custlake()
        .args(["export", "--config", "/nonexistent/custlake.toml"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("/nonexistent/custlake.toml") && stderr.contains("custlake.example.toml"),
        "{stderr}"
    );
}

#[test]
fn compact_only_names_a_configured_source_like_export_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("custlake.toml");
    // Compaction reads no vendor, so a source export would reject (no app_key) is fine here.
    let text = GOOD
        .replace("OUT", &dir.path().join("out").display().to_string())
        .replace("app_key = \"k\"\n", "");
    std::fs::write(&path, text).expect("write");
    // An empty Parquet output (a folder that is none is refused; see below).
    std::fs::create_dir_all(dir.path().join("out")).expect("out");
    std::fs::write(
        dir.path().join("out/_custlake.json"),
        r#"{"format":"parquet","created_by":"a test"}"#,
    )
    .expect("output record");
    let compact = |only: &str| {
        let mut cmd = custlake();
        cmd.env("GOOD_SECRET", "s")
            .args(["compact", "--only", only, "--config"])
            .arg(&path);
        cmd
    };
    let assert = compact("nope").assert().code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    let expected = format!(
        "--only nope: no source of that name in {}; known sources: acme",
        path.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    let assert = compact("acme").assert().success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains("nothing to compact"), "{stdout}");
}

#[test]
fn schema_json_lists_every_dataset_with_descriptions() {
    let assert = custlake()
        .args(["schema", "--format", "json"])
        .assert()
        .success();
    let json: serde_json::Value =
        serde_json::from_slice(&assert.get_output().stdout).expect("JSON");
    let text = json.to_string();
    for needle in [
        "customers",
        "contacts",
        "rejects",
        "customer_id",
        "timestamp[us, tz=UTC]",
        "description",
    ] {
        assert!(text.contains(needle), "{needle} missing");
    }
}

/// The whitespace-separated cells of the first summary line that starts with `cells`.
fn summary_row(stdout: &str, cells: &[&str]) -> Vec<String> {
    stdout
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .find(|row| row.starts_with(cells))
        .unwrap_or_else(|| panic!("no summary row with {cells:?}: {stdout}"))
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// A U8 account that keeps no contacts (the demo's u8_demo_c) answers its contact listing
/// `20002 未检索到匹配的[客户联系人]`: exit 0, and the summary reports 0 records and 0 rows.
#[test]
fn an_account_without_contacts_exits_0_and_the_summary_says_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("lake");
    let sim = sim_config(false);
    let empty = sim
        .u8_tenants
        .iter()
        .find(|t| t.contacts_per_customer == 0)
        .expect("the demo has a U8 tenant without contacts")
        .name
        .clone();
    let config_sim = sim.clone();
    let dir_path = dir.path().to_path_buf();
    let out_path = out.clone();
    let stdout = with_simulator(sim, move |url| {
        let config = write_config(&dir_path, &config_sim, &url, &out_path);
        let assert = export_cmd(&config).assert().success();
        String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
    });
    let fetched = summary_row(&stdout, &["yonyou_u8", &empty, "contacts"]);
    assert_eq!(fetched[4], "0", "records fetched: {fetched:?}");
    assert_eq!(fetched.last().map(String::as_str), Some("Succeeded"));
    let written = summary_row(&stdout, &["contacts", "yonyou_u8", &empty]);
    assert_eq!(written[3], "0", "rows written: {written:?}");
}

/// `custlake get u8-customer <code that does not exist>`: U8 answers `20002 未检索到匹配的[客户]`,
/// which is "not found" — exit 1 with a message naming the code and source, and one token call
/// (no renewal).
#[test]
fn get_of_an_unknown_u8_code_says_not_found_after_one_token_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut sim = sim_config(false);
    sim.u8_tenants.truncate(1);
    let source = sim.u8_tenants[0].name.clone();
    let config_sim = sim.clone();
    let dir_path = dir.path().to_path_buf();
    let out_path = dir.path().join("lake");
    let (output, tokens) = with_simulator_tokens(sim, move |url| {
        let config = write_config(&dir_path, &config_sim, &url, &out_path);
        let mut get = custlake();
        get.env("TEST_U8_SECRET", SECRET_U8)
            .env("CUSTLAKE_YCM_DEMO_CLIENT_SECRET", SECRET_YCM)
            .args(["get", "u8-customer", "99999999", "--config"])
            .arg(&config);
        get.output().expect("runs")
    });
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("no U8 customer with code 99999999 in {source}")),
        "{stderr}"
    );
    // Every token the simulator issued while `get` ran (it calls U8 only).
    assert!(tokens.len() <= 1, "token calls: {}", tokens.len());
}

/// The output's files, recursively, with their bytes: to show a refused run wrote nothing.
fn snapshot_of(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = files_under(dir)
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap_or_default();
            (path, bytes)
        })
        .collect();
    files.sort();
    files
}

/// An output records its format: a demo of the other format into it exits 2, names both
/// formats and the fix, and changes no byte of it — in both directions.
#[test]
fn an_output_of_one_format_refuses_a_run_of_the_other() {
    for (first, second) in [("parquet", "delta"), ("delta", "parquet")] {
        let out = tempfile::tempdir().expect("tempdir");
        custlake()
            .args(["demo", "--records", "50", "--format", first, "--out"])
            .arg(out.path())
            .assert()
            .success();
        let before = snapshot_of(out.path());
        let refused = custlake()
            .args(["demo", "--records", "50", "--format", second, "--out"])
            .arg(out.path())
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
        assert!(
            stderr.contains(&format!("holds a {first} output"))
                && stderr.contains(&format!("--format {first}"))
                && stderr.contains("nothing was written"),
            "{stderr}"
        );
        assert_eq!(snapshot_of(out.path()), before, "{first} then {second}");
    }
}

/// `link`, `compact` and `vacuum` pointed at a path that holds no output exit 2 and create
/// nothing there.
#[test]
fn commands_that_read_an_output_refuse_a_path_that_is_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let typo = dir.path().join("typo");
    for command in ["link", "compact", "vacuum"] {
        let refused = custlake()
            .args([command, "--out"])
            .arg(&typo)
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
        assert!(
            stderr.contains("no custlake output is there"),
            "{command}: {stderr}"
        );
        assert!(!typo.exists(), "{command} created {}", typo.display());
    }
}

/// Two processes export into one Parquet output at once: one holds the writer lock and
/// commits, the other fails at once naming the lock and the fix (exit 1), or, if the first
/// finished before the second started, both land. Either way every file a manifest lists
/// exists afterwards.
#[test]
fn two_parquet_exports_into_one_output_never_leave_a_manifest_listing_a_missing_file() {
    let mut config = sim_config(false);
    config.faults.latency = std::time::Duration::from_millis(20);
    with_simulator(config.clone(), move |url| {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("lake");
        let config_path = write_config(dir.path(), &config, &url, &out);
        let children: Vec<std::process::Child> = (0..2)
            .map(|_| {
                std::process::Command::new(assert_cmd::cargo::cargo_bin("custlake"))
                    .env_remove("CUSTLAKE_LOG")
                    .env("TEST_U8_SECRET", SECRET_U8)
                    .env("CUSTLAKE_YCM_DEMO_CLIENT_SECRET", SECRET_YCM)
                    .args(["--no-progress", "export", "--config"])
                    .arg(&config_path)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("custlake starts")
            })
            .collect();
        let results: Vec<(i32, String)> = children
            .into_iter()
            .map(|child| {
                let output = child.wait_with_output().expect("custlake ends");
                let text = String::from_utf8_lossy(&output.stderr).into_owned();
                (output.status.code().unwrap_or(-1), text)
            })
            .collect();
        let succeeded = results.iter().filter(|(code, _)| *code == 0).count();
        assert!(succeeded >= 1, "{results:?}");
        for (code, text) in &results {
            assert!(
                *code == 0
                    || (*code == 1
                        && text.contains("another custlake process is writing")
                        && text.contains("format = \"delta\"")),
                "{results:?}"
            );
        }
        let manifests = std::fs::read_dir(out.join("_manifests")).expect("manifests");
        for manifest in manifests.flatten() {
            let text = std::fs::read_to_string(manifest.path()).expect("manifest");
            let manifest: serde_json::Value = serde_json::from_str(&text).expect("json");
            for file in manifest["files"].as_array().into_iter().flatten() {
                let path = file["path"].as_str().expect("path");
                assert!(out.join(path).is_file(), "{path} is listed but gone");
            }
        }
    });
}
