//! A new user's first hour (issue 27): what the commands print and refuse, each item as the
//! issue found it, against the simulator. (The README's getting-started block has its own test,
//! `readme.rs`.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use custlake_simulator::{SimConfig, SimHandle};

const SECRET_U8: &str = "u8-secret-for-first-hour";
const SECRET_YCM: &str = "ycm-secret-for-first-hour";

/// The simulator (kept alive with its runtime) and a config for it in a temp folder.
struct Setup {
    runtime: tokio::runtime::Runtime,
    sim: Option<SimHandle>,
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Setup {
    fn new(customize: impl FnOnce(&mut SimConfig)) -> Self {
        let mut config = SimConfig::demo(200);
        config.u8_tenants.truncate(1);
        for t in &mut config.u8_tenants {
            t.app_secret = SECRET_U8.into();
        }
        for c in &mut config.ycm_clients {
            c.client_secret = SECRET_YCM.into();
        }
        customize(&mut config);
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let sim = runtime
            .block_on(custlake_simulator::start(config.clone()))
            .expect("simulator starts");
        let dir = tempfile::tempdir().expect("tempdir");
        let config_path = write_config(dir.path(), &config, &sim.base_url());
        Setup {
            runtime,
            sim: Some(sim),
            dir,
            config: config_path,
        }
    }

    fn sim(&self) -> &SimHandle {
        self.sim.as_ref().expect("running until dropped")
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("lake")
    }

    /// `custlake ARGS` with the secrets set (`with_secrets`) or not.
    fn run(&self, args: &[&str], with_secrets: bool) -> Output {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("custlake"));
        cmd.env_remove("CUSTLAKE_LOG")
            .env_remove("TEST_U8_SECRET")
            .env_remove("CUSTLAKE_YCM_DEMO_CLIENT_SECRET")
            .arg("--no-progress")
            .args(args)
            .current_dir(self.dir.path());
        if with_secrets {
            cmd.env("TEST_U8_SECRET", SECRET_U8)
                .env("CUSTLAKE_YCM_DEMO_CLIENT_SECRET", SECRET_YCM);
        }
        cmd.output().expect("custlake runs")
    }

    fn export(&self, extra: &[&str]) -> Output {
        let config = self.config.display().to_string();
        let mut args = vec!["export", "--config", config.as_str()];
        args.extend_from_slice(extra);
        let out = self.run(&args, true);
        assert!(out.status.success(), "export failed: {}", text(&out.stderr));
        out
    }

    fn manifests(&self) -> usize {
        std::fs::read_dir(self.out().join("_manifests")).map_or(0, |d| d.count())
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        if let Some(sim) = self.sim.take() {
            self.runtime.block_on(sim.shutdown());
        }
    }
}

fn write_config(dir: &Path, sim: &SimConfig, base_url: &str) -> PathBuf {
    let mut text = "[output]\npath = \"lake\"\n".to_owned();
    for t in &sim.u8_tenants {
        text.push_str(&format!(
            "\n[[sources]]\nname = {:?}\nkind = \"yonyou_u8\"\nbase_url = {base_url:?}\nfrom_account = {:?}\nto_account = {:?}\napp_key = {:?}\napp_secret = \"${{TEST_U8_SECRET}}\"\n{}[sources.retry]\ninitial_backoff_ms = 5\nmax_backoff_ms = 50\nmax_attempts = 3\n",
            t.name, t.from_account, t.to_account, t.app_key,
            t.ds_sequence.map(|d| format!("ds_sequence = {d}\n")).unwrap_or_default()
        ));
    }
    for c in &sim.ycm_clients {
        text.push_str(&format!(
            "\n[[sources]]\nname = {:?}\nkind = \"yeastar_ycm\"\nbase_url = {base_url:?}\nclient_id = {:?}\n",
            c.name, c.client_id
        ));
    }
    let path = dir.join("custlake.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn quiet_prints_no_summary_and_an_unchanged_run_says_so() {
    let setup = Setup::new(|_| {});
    let quiet = setup.export(&["-q"]);
    assert_eq!(text(&quiet.stdout), "", "-q prints nothing on success");
    // The same data again: the summary says nothing was published instead of an empty table.
    let again = text(&setup.export(&[]).stdout);
    assert!(again.contains("nothing published"), "{again}");
    assert!(again.contains("ins") && again.contains("upd"), "{again}");
}

#[test]
fn link_compact_and_vacuum_need_no_source_secrets() {
    let setup = Setup::new(|_| {});
    setup.export(&["-q"]);
    let config = setup.config.display().to_string();
    let before = setup.manifests();
    for command in ["link", "compact"] {
        let out = setup.run(&[command, "--config", &config], false);
        assert!(
            out.status.success(),
            "{command} without secrets: {}",
            text(&out.stderr)
        );
    }
    assert_eq!(
        setup.manifests(),
        before + 2,
        "link and compact each leave a manifest"
    );
    // export still needs them, and says which.
    let refused = setup.run(&["export", "--config", &config], false);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("TEST_U8_SECRET"));
}

#[test]
fn a_shard_without_sources_says_so_and_writes_nothing() {
    let setup = Setup::new(|c| c.ycm_clients.clear());
    let config = setup.config.display().to_string();
    // One source: exactly one of the two shards has it.
    let outs: Vec<Output> = ["0/2", "1/2"]
        .iter()
        .map(|shard| setup.run(&["export", "--config", &config, "--shard", shard], true))
        .collect();
    let empty: Vec<&Output> = outs
        .iter()
        .filter(|o| text(&o.stdout).contains("none of the sources"))
        .collect();
    assert_eq!(
        empty.len(),
        1,
        "{:?}",
        outs.iter().map(|o| text(&o.stdout)).collect::<Vec<_>>()
    );
    assert!(empty[0].status.success());
    assert!(!text(&empty[0].stdout).contains("read_parquet"));
    assert_eq!(setup.manifests(), 1, "only the shard with the source ran");
}

#[test]
fn get_prints_the_record_as_the_vendor_sent_it_and_explains_only() {
    let setup = Setup::new(|_| {});
    let tenant = setup.sim().config().u8_tenants[0].name.clone();
    let set = setup
        .sim()
        .entity_set(&tenant, custlake_simulator::Entity::U8Customers)
        .expect("tenant");
    let record = set
        .records
        .iter()
        .find(|r| r.key.is_some())
        .expect("a keyed record");
    let key = record.key.clone().expect("key");
    let config = setup.config.display().to_string();
    let out = setup.run(&["get", "u8-customer", &key, "--config", &config], true);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim_end(),
        record.json,
        "keys in the vendor's order"
    );
    let only = setup.run(
        &[
            "get",
            "u8-customer",
            &key,
            "--config",
            &config,
            "--only",
            "ycm_demo",
        ],
        true,
    );
    assert_eq!(only.status.code(), Some(2));
    let stderr = text(&only.stderr);
    assert!(
        stderr.contains("--only ycm_demo leaves out every yonyou_u8 source")
            && stderr.contains(&tenant),
        "{stderr}"
    );
}

#[test]
fn a_first_run_whose_source_failed_claims_no_previous_snapshot() {
    let setup = Setup::new(|c| c.faults.reject_every_token = true);
    let config = setup.config.display().to_string();
    let out = setup.run(&["export", "--config", &config], true);
    assert_eq!(out.status.code(), Some(1));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains("previous snapshot was kept"), "{all}");
    assert!(
        all.contains("nothing was published for this source"),
        "{all}"
    );
}

#[test]
fn check_verbose_writes_json_log_lines() {
    let setup = Setup::new(|_| {});
    let config = setup.config.display().to_string();
    let out = setup.run(
        &["-v", "--log-format", "json", "check", "--config", &config],
        true,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stderr)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        lines.iter().any(|l| l["fields"]["message"] == "checked"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn schema_lists_every_dataset_in_every_format() {
    let setup = Setup::new(|_| {});
    for format in ["table", "arrow", "json"] {
        let out = setup.run(&["schema", "--format", format], false);
        assert!(out.status.success());
        let stdout = text(&out.stdout);
        for dataset in [
            "customers",
            "contacts",
            "rejects",
            "customer_links",
            "customers_history",
            "contacts_history",
        ] {
            assert!(stdout.contains(dataset), "{format}: {dataset}");
        }
        assert!(!stdout.contains("Dictionary"), "{format}: {stdout}");
    }
}

#[test]
fn a_delta_demo_logs_no_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(assert_cmd::cargo::cargo_bin("custlake"))
        .env_remove("CUSTLAKE_LOG")
        .args([
            "--no-progress",
            "demo",
            "--records",
            "200",
            "--format",
            "delta",
            "--out",
        ])
        .arg(dir.path().join("lake"))
        .output()
        .expect("custlake runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        !stderr.contains("WARN") && !stderr.contains("ERROR") && !stderr.contains("max_retries"),
        "{stderr}"
    );
}
