//! Delta Lake outputs written by many processes at once, as a scale-out user runs them:
//! `custlake export --shard K/4` processes started together into one output (a local folder and
//! moto's S3), two processes exporting the same sources at once, and a run killed with SIGKILL
//! while it commits, then resumed. Each table must equal the simulator's ground truth, hold
//! one row per key, and its log must show exactly one commit per partition.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use arrow::array::AsArray;
use custlake_pipeline::OutputLocation;
use custlake_pipeline::internals::delta_view;
use custlake_pipeline::internals::object_store::ObjectStoreExt;
use custlake_simulator::{Entity, GroundTruth, SimConfig, SimHandle};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use crate::moto;

/// (table, source, tenant) → (key, raw JSON) of every row.
type PartitionRows = BTreeMap<(String, String, String), Vec<(String, String)>>;

/// (table, source, tenant) → (commitInfo, txn actions) of every commit that names it.
type PartitionCommits = BTreeMap<(String, String, String), Vec<(Value, Vec<Value>)>>;

const SECRET_U8: &str = "u8-secret-for-delta-tests";
const SECRET_YCM: &str = "ycm-secret-for-delta-tests";

/// Three U8 tenants with contacts and two YCM clients.
fn sim_config(customers: u64) -> SimConfig {
    let mut config = SimConfig::demo(customers);
    // The demo's third tenant keeps no contacts; these tests want three full ones.
    config.u8_tenants.truncate(2);
    let mut third = config.u8_tenants[0].clone();
    third.name = "u8_demo_c".into();
    third.to_account = "demo_ent_c".into();
    config.u8_tenants.push(third);
    let mut second = config.ycm_clients[0].clone();
    second.name = "ycm_demo_2".into();
    second.client_id = "ycm-demo-client-2".into();
    second.customers = customers / 2;
    config.ycm_clients.push(second);
    for t in &mut config.u8_tenants {
        t.app_secret = SECRET_U8.into();
    }
    for c in &mut config.ycm_clients {
        c.client_secret = SECRET_YCM.into();
    }
    config
}

/// A delta-format config for every simulator tenant writing to `out`.
fn write_config(dir: &Path, sim: &SimConfig, base_url: &str, out: &str) -> PathBuf {
    let mut text = format!("[output]\npath = {out:?}\nformat = \"delta\"\nlinks = false\n");
    for t in &sim.u8_tenants {
        text.push_str(&format!(
            "\n[[sources]]\nname = {:?}\nkind = \"yonyou_u8\"\nbase_url = {base_url:?}\nfrom_account = {:?}\nto_account = {:?}\napp_key = {:?}\napp_secret = \"${{TEST_U8_SECRET}}\"\n{}page_size = 200\nconcurrency = 4\n",
            t.name,
            t.from_account,
            t.to_account,
            t.app_key,
            t.ds_sequence
                .map(|ds| format!("ds_sequence = {ds}\n"))
                .unwrap_or_default(),
        ));
    }
    for c in &sim.ycm_clients {
        text.push_str(&format!(
            "\n[[sources]]\nname = {:?}\nkind = \"yeastar_ycm\"\nbase_url = {base_url:?}\nclient_id = {:?}\nclient_secret = \"${{TEST_YCM_SECRET}}\"\nconcurrency = 4\n",
            c.name, c.client_id,
        ));
    }
    let path = dir.join("custlake.toml");
    std::fs::write(&path, text).expect("config written");
    path
}

fn custlake(config: &Path, extra_env: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("custlake"));
    for name in moto::Moto::FOREIGN_ENV {
        cmd.env_remove(name);
    }
    cmd.env_remove("CUSTLAKE_LOG")
        .env_remove("CUSTLAKE_SHARD")
        .env("TEST_U8_SECRET", SECRET_U8)
        .env("TEST_YCM_SECRET", SECRET_YCM)
        .args(["--no-progress", "-q", "export", "--config"])
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in extra_env {
        cmd.env(name, value);
    }
    cmd
}

/// Waits for every process; returns each one's exit code and output.
fn wait_all(children: Vec<Child>) -> Vec<(i32, String)> {
    children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().expect("wait");
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            (out.status.code().unwrap_or(-1), text)
        })
        .collect()
}

/// The rows of every partition of `location`'s tables: (table, source, tenant) → key → raw.
async fn table_rows(location: &OutputLocation) -> PartitionRows {
    let catalog = delta_view(location).await.expect("delta tables read");
    let mut rows = BTreeMap::new();
    for partition in &catalog.partitions {
        let key_column = match partition.dataset.as_str() {
            "customers" => "customer_id",
            "contacts" => "contact_id",
            _ => continue,
        };
        let entry: &mut Vec<(String, String)> = rows
            .entry((
                partition.dataset.clone(),
                partition.source.clone(),
                partition.tenant.clone(),
            ))
            .or_default();
        for file in &partition.snapshot.files {
            let bytes = read_object(location, &file.path).await;
            let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
                .expect("parquet")
                .build()
                .expect("reader");
            for batch in reader {
                let batch = batch.expect("batch");
                let keys = batch.column_by_name(key_column).expect("key column");
                let raw = batch.column_by_name("raw").expect("raw column");
                let (keys, raw) = (keys.as_string::<i32>(), raw.as_string::<i32>());
                for i in 0..batch.num_rows() {
                    entry.push((keys.value(i).to_owned(), raw.value(i).to_owned()));
                }
            }
        }
    }
    rows
}

async fn read_object(location: &OutputLocation, path: &str) -> bytes::Bytes {
    match location {
        OutputLocation::Local(dir) => std::fs::read(dir.join(path)).expect("file").into(),
        OutputLocation::ObjectStore(store) => store
            .store
            .get(&store.key(path))
            .await
            .expect("object")
            .bytes()
            .await
            .expect("body"),
    }
}

/// Every commit of `table`'s log, as (commitInfo, txn actions).
async fn commits(location: &OutputLocation, table: &str) -> Vec<(Value, Vec<Value>)> {
    let mut out = Vec::new();
    for version in 0.. {
        let path = format!("{table}/_delta_log/{version:020}.json");
        let exists = match location {
            OutputLocation::Local(dir) => dir.join(&path).exists(),
            OutputLocation::ObjectStore(store) => store.store.head(&store.key(&path)).await.is_ok(),
        };
        if !exists {
            break;
        }
        let bytes = read_object(location, &path).await;
        let mut info = Value::Null;
        let mut txns = Vec::new();
        for line in String::from_utf8_lossy(&bytes).lines() {
            let action: Value = serde_json::from_str(line).expect("log line is JSON");
            if let Some(commit) = action.get("commitInfo") {
                info = commit.clone();
            }
            if let Some(txn) = action.get("txn") {
                txns.push(txn.clone());
            }
        }
        out.push((info, txns));
    }
    out
}

/// Asserts every customers/contacts partition equals the ground truth, one row per key.
fn assert_equals_truth(rows: &PartitionRows, sim: &SimConfig, truth: &GroundTruth) {
    let mut expected = Vec::new();
    for t in &sim.u8_tenants {
        expected.push((
            "customers",
            "yonyou_u8",
            t.name.clone(),
            Entity::U8Customers,
        ));
        expected.push(("contacts", "yonyou_u8", t.name.clone(), Entity::U8Contacts));
    }
    for c in &sim.ycm_clients {
        expected.push((
            "customers",
            "yeastar_ycm",
            c.name.clone(),
            Entity::YcmCustomers,
        ));
    }
    for (table, source, tenant, entity) in expected {
        let set = truth.get(&tenant, entity).expect("truth of the tenant");
        let truth_rows: BTreeMap<&str, &str> = set
            .records
            .iter()
            .filter_map(|r| r.key.as_deref().map(|k| (k, r.json.as_str())))
            .collect();
        let got = rows
            .get(&(table.to_owned(), source.to_owned(), tenant.clone()))
            .unwrap_or_else(|| panic!("{table}/{source}/{tenant}: no partition"));
        let keys: BTreeSet<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys.len(), got.len(), "{table}/{tenant}: duplicate keys");
        let got: BTreeMap<&str, &str> = got.iter().map(|(k, r)| (k.as_str(), r.as_str())).collect();
        assert_eq!(got.len(), truth_rows.len(), "{table}/{tenant}: row count");
        assert!(
            got == truth_rows,
            "{table}/{tenant}: rows differ from the ground truth"
        );
    }
}

/// Per (table, source, tenant): the commits that carry it, from every table's log.
async fn commits_per_partition(location: &OutputLocation) -> PartitionCommits {
    let mut out: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for table in ["customers", "contacts", "rejects"] {
        for (info, txns) in commits(location, table).await {
            let (Some(source), Some(tenant)) = (
                info.get("custlake.source").and_then(Value::as_str),
                info.get("custlake.tenant").and_then(Value::as_str),
            ) else {
                continue;
            };
            out.entry((table.to_owned(), source.to_owned(), tenant.to_owned()))
                .or_default()
                .push((info.clone(), txns));
        }
    }
    out
}

/// The partitions every source of `sim` must have committed.
fn expected_partitions(sim: &SimConfig) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for table in ["customers", "contacts", "rejects"] {
        for t in &sim.u8_tenants {
            out.insert((table.to_owned(), "yonyou_u8".to_owned(), t.name.clone()));
        }
        for c in &sim.ycm_clients {
            out.insert((table.to_owned(), "yeastar_ycm".to_owned(), c.name.clone()));
        }
    }
    out
}

fn start_sim(config: SimConfig) -> (tokio::runtime::Runtime, SimHandle) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let sim = runtime
        .block_on(custlake_simulator::start(config))
        .expect("simulator starts");
    (runtime, sim)
}

/// Four shard processes started together into one output: every partition equals the ground
/// truth and has exactly one commit; none is lost.
fn four_shards_into_one_output(out: &str, env: &[(&str, String)], location: OutputLocation) {
    let config = sim_config(600);
    let (runtime, sim) = start_sim(config.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = write_config(dir.path(), &config, &sim.base_url(), out);
    let children: Vec<Child> = (0..4)
        .map(|k| {
            custlake(&config_path, env)
                .args(["--shard", &format!("{k}/4")])
                .spawn()
                .expect("custlake starts")
        })
        .collect();
    for (k, (code, text)) in wait_all(children).into_iter().enumerate() {
        assert_eq!(code, 0, "shard {k}/4 failed:\n{text}");
    }
    let truth = sim.ground_truth();
    runtime.block_on(async {
        assert_equals_truth(&table_rows(&location).await, &config, &truth);
        let per_partition = commits_per_partition(&location).await;
        let expected = expected_partitions(&config);
        let committed: BTreeSet<_> = per_partition.keys().cloned().collect();
        assert_eq!(committed, expected, "partitions committed vs expected");
        for (partition, list) in &per_partition {
            assert_eq!(list.len(), 1, "{partition:?}: {} commits", list.len());
        }
        // Besides one commit per partition, each log holds only the table's creation.
        for table in ["customers", "contacts", "rejects"] {
            let log = commits(&location, table).await;
            let others = log
                .iter()
                .filter(|(info, _)| info.get("custlake.source").is_none())
                .count();
            assert_eq!(
                others, 1,
                "{table}: {others} commits that name no partition"
            );
        }
    });
    runtime.block_on(sim.shutdown());
}

#[test]
fn four_shards_write_one_local_delta_output() {
    let out = tempfile::tempdir().expect("tempdir");
    let path = out.path().join("lake");
    let text = path.display().to_string();
    four_shards_into_one_output(&text, &[], OutputLocation::Local(path));
}

#[test]
#[cfg_attr(
    moto_missing,
    ignore = "moto not found: set MOTO_SERVER or VENV (see README, CI)"
)]
fn four_shards_write_one_s3_delta_output() {
    let moto = moto::Moto::start("four_shards_write_one_s3_delta_output");
    moto.create_bucket("shards");
    let env = moto.env();
    let url = "s3://shards/lake";
    let location = OutputLocation::parse_with_env(url, &|name| {
        env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
    })
    .expect("location");
    four_shards_into_one_output(url, &env, location);
}

/// The sources' reports of one process's newest manifest in `out`.
fn manifests(out: &Path) -> Vec<Value> {
    let mut list: Vec<PathBuf> = std::fs::read_dir(out.join("_manifests"))
        .expect("manifests")
        .flatten()
        .map(|e| e.path())
        .collect();
    list.sort();
    list.iter()
        .map(|p| serde_json::from_slice(&std::fs::read(p).expect("manifest")).expect("json"))
        .collect()
}

#[test]
fn two_processes_exporting_the_same_sources_leave_one_copy_and_report_the_loser() {
    let config = sim_config(400);
    let (runtime, sim) = start_sim(config.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("lake");
    let config_path = write_config(
        dir.path(),
        &config,
        &sim.base_url(),
        &out.display().to_string(),
    );
    let children: Vec<Child> = (0..2)
        .map(|_| {
            custlake(&config_path, &[])
                .spawn()
                .expect("custlake starts")
        })
        .collect();
    let results = wait_all(children);
    let location = OutputLocation::Local(out.clone());
    let truth = sim.ground_truth();
    runtime.block_on(async {
        assert_equals_truth(&table_rows(&location).await, &config, &truth);
        for (partition, list) in commits_per_partition(&location).await {
            assert_eq!(list.len(), 1, "{partition:?}: applied {} times", list.len());
        }
    });
    // Per partition, one process committed; the other reports that the partition already held
    // its content, or fails the source because a later run committed it.
    let manifests = manifests(&out);
    assert_eq!(manifests.len(), 2, "one manifest per process");
    for partition in expected_partitions(&config) {
        let mut outcomes = Vec::new();
        for manifest in &manifests {
            let commit = manifest["delta_commits"].as_array().and_then(|list| {
                list.iter().find(|c| {
                    (
                        c["table"].as_str(),
                        c["source"].as_str(),
                        c["tenant"].as_str(),
                    ) == (Some(&partition.0), Some(&partition.1), Some(&partition.2))
                })
            });
            let outcome = match commit {
                Some(c) => c["outcome"].as_str().unwrap_or("").to_owned(),
                None => {
                    let failed = manifest["sources"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|s| {
                            s["tenant"].as_str() == Some(&partition.2) && s["status"] == "failed"
                        });
                    let error = failed.and_then(|s| s["error"].as_str()).unwrap_or("");
                    assert!(
                        error.contains("a later run already committed"),
                        "{partition:?}: neither a commit nor the loser's message: {manifest}"
                    );
                    "superseded".to_owned()
                }
            };
            outcomes.push(outcome);
        }
        outcomes.sort();
        assert!(
            outcomes == ["committed", "unchanged"] || outcomes == ["committed", "superseded"],
            "{partition:?}: {outcomes:?}"
        );
    }
    for (code, text) in &results {
        assert!(
            *code == 0 || text.contains("a later run already committed"),
            "{text}"
        );
    }
    runtime.block_on(sim.shutdown());
}

#[test]
fn a_run_killed_while_committing_resumes_without_applying_a_commit_twice() {
    let mut config = sim_config(1500);
    // The YCM clients finish (and commit) long before the U8 tenants' pages are all in.
    config.faults.latency = Duration::from_millis(3);
    let (runtime, sim) = start_sim(config.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("lake");
    let config_path = write_config(
        dir.path(),
        &config,
        &sim.base_url(),
        &out.display().to_string(),
    );
    let mut child = custlake(&config_path, &[])
        .spawn()
        .expect("custlake starts");
    let started = Instant::now();
    let first_commit = out.join("customers/_delta_log/00000000000000000001.json");
    while !first_commit.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no commit within 2 min"
        );
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!("the run ended ({status}) before it could be killed mid-commit");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let location = OutputLocation::Local(out.clone());
    let before = runtime.block_on(commits_per_partition(&location));
    assert!(
        before.len() < expected_partitions(&config).len(),
        "every partition was committed before the kill: {before:?}"
    );

    let resumed = custlake(&config_path, &[])
        .arg("--resume")
        .output()
        .expect("resume runs");
    assert!(
        resumed.status.success(),
        "resume failed: {}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let truth = sim.ground_truth();
    runtime.block_on(async {
        assert_equals_truth(&table_rows(&location).await, &config, &truth);
        let after = commits_per_partition(&location).await;
        let expected = expected_partitions(&config);
        assert_eq!(after.keys().cloned().collect::<BTreeSet<_>>(), expected);
        let mut versions = BTreeSet::new();
        let mut run_ids = BTreeSet::new();
        for (partition, list) in &after {
            assert_eq!(list.len(), 1, "{partition:?} applied {} times", list.len());
            let (info, txns) = &list[0];
            run_ids.insert(info["custlake.run_id"].as_str().unwrap_or("").to_owned());
            assert_eq!(txns.len(), 1, "{partition:?}: one txn per commit");
            versions.insert(txns[0]["version"].as_i64().expect("txn version"));
        }
        assert_eq!(run_ids.len(), 1, "the resumed run kept its id: {run_ids:?}");
        assert_eq!(
            versions.len(),
            1,
            "one txn version for the whole run: {versions:?}"
        );
    });
    // The resumed run reports the partitions committed before the kill as already applied.
    let resumed_manifest = manifests(&out).pop().expect("a manifest");
    let already: Vec<&Value> = resumed_manifest["delta_commits"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["outcome"] == "already_applied")
        .collect();
    assert_eq!(already.len(), before.len(), "{resumed_manifest}");
    runtime.block_on(sim.shutdown());
}

/// Parquet files under a table's partition folders (what is on disk, referenced or not).
fn data_files(table: &Path) -> usize {
    fn walk(dir: &Path, count: &mut usize) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() && !path.ends_with("_delta_log") {
                walk(&path, count);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                *count += 1;
            }
        }
    }
    let mut count = 0;
    walk(table, &mut count);
    count
}

#[test]
fn compact_merges_small_files_without_changing_rows_and_vacuum_deletes_the_replaced_ones() {
    let config = sim_config(600);
    let (runtime, sim) = start_sim(config.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("lake");
    let config_path = write_config(
        dir.path(),
        &config,
        &sim.base_url(),
        &out.display().to_string(),
    );
    let text = std::fs::read_to_string(&config_path).expect("config");
    let small = text.replacen(
        "links = false\n",
        "links = false\n[output.parquet]\nmax_rows_per_file = 100\n",
        1,
    );
    std::fs::write(&config_path, small).expect("config");
    let export = custlake(&config_path, &[]).output().expect("export runs");
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let location = OutputLocation::Local(out.clone());
    let files_before = runtime
        .block_on(delta_view(&location))
        .expect("view")
        .partitions
        .iter()
        .map(|p| p.snapshot.files.len())
        .sum::<usize>();

    std::fs::write(&config_path, text).expect("config");
    let compact = Command::new(assert_cmd::cargo::cargo_bin("custlake"))
        .env("TEST_U8_SECRET", SECRET_U8)
        .env("TEST_YCM_SECRET", SECRET_YCM)
        .args(["--no-progress", "compact", "--config"])
        .arg(&config_path)
        .output()
        .expect("compact runs");
    assert!(
        compact.status.success(),
        "{}",
        String::from_utf8_lossy(&compact.stderr)
    );
    let truth = sim.ground_truth();
    runtime.block_on(async {
        assert_equals_truth(&table_rows(&location).await, &config, &truth);
        let view = delta_view(&location).await.expect("view");
        let files_after: usize = view.partitions.iter().map(|p| p.snapshot.files.len()).sum();
        assert!(
            files_after < files_before,
            "{files_after} files after, {files_before} before"
        );
        let (info, _) = commits(&location, "customers")
            .await
            .pop()
            .expect("a commit");
        assert_eq!(info["operation"], "OPTIMIZE", "{info}");
        assert_eq!(info["custlake.operation"], "compact", "{info}");
    });
    let customers = out.join("customers");
    let on_disk = data_files(&customers);
    let vacuum = Command::new(assert_cmd::cargo::cargo_bin("custlake"))
        .args(["--no-progress", "vacuum", "--retain-hours", "0", "--out"])
        .arg(&out)
        .output()
        .expect("vacuum runs");
    assert!(
        vacuum.status.success(),
        "{}",
        String::from_utf8_lossy(&vacuum.stderr)
    );
    runtime.block_on(async {
        let view = delta_view(&location).await.expect("view");
        let referenced: usize = view
            .partitions
            .iter()
            .filter(|p| p.dataset == "customers")
            .map(|p| p.snapshot.files.len())
            .sum();
        assert!(referenced < on_disk, "nothing was left to vacuum");
        assert_eq!(
            data_files(&customers),
            referenced,
            "vacuum left unreferenced files"
        );
        assert_equals_truth(&table_rows(&location).await, &config, &truth);
    });
    runtime.block_on(sim.shutdown());
}
