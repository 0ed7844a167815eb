//! History survives a crash (issue 25): `custlake export --history` is killed with SIGKILL while
//! its second run commits — right after the first change-log append of that run became visible,
//! before the partition it describes — then continued with `--resume`. The history must hold
//! each of the run's changes exactly once (none lost, none appended twice), and the partitions
//! what the simulator serves; in both formats.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use arrow::array::AsArray;
use custlake_pipeline::OutputLocation;
use custlake_pipeline::internals::{Catalog, delta_view};
use custlake_simulator::{ChangeRequest, Entity, SimConfig, SimHandle, YcmClientConfig};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

const SECRET_U8: &str = "u8-secret-for-history-tests";
const SECRET_YCM: &str = "ycm-secret-for-history-tests";

fn sim_config() -> SimConfig {
    let mut config = SimConfig::demo(1500);
    config.u8_tenants.truncate(2);
    for t in &mut config.u8_tenants {
        t.app_secret = SECRET_U8.into();
        t.contacts_per_customer = 1;
    }
    config.ycm_clients = vec![YcmClientConfig {
        customers: 600,
        client_secret: SECRET_YCM.into(),
        ..config.ycm_clients[0].clone()
    }];
    // Sources finish one after another, so a kill lands between their commits.
    config.faults.latency = Duration::from_millis(2);
    config
}

fn write_config(dir: &Path, sim: &SimConfig, base_url: &str, out: &Path, format: &str) -> PathBuf {
    let mut text = format!(
        "[output]\npath = {:?}\nformat = {format:?}\nhistory = true\nlinks = false\n",
        out.display().to_string()
    );
    for t in &sim.u8_tenants {
        text.push_str(&format!(
            "\n[[sources]]\nname = {:?}\nkind = \"yonyou_u8\"\nbase_url = {base_url:?}\nfrom_account = {:?}\nto_account = {:?}\napp_key = {:?}\napp_secret = \"${{TEST_U8_SECRET}}\"\n{}page_size = 100\nconcurrency = 4\n",
            t.name,
            t.from_account,
            t.to_account,
            t.app_key,
            t.ds_sequence
                .map(|d| format!("ds_sequence = {d}\n"))
                .unwrap_or_default()
        ));
    }
    for c in &sim.ycm_clients {
        text.push_str(&format!(
            "\n[[sources]]\nname = {:?}\nkind = \"yeastar_ycm\"\nbase_url = {base_url:?}\nclient_id = {:?}\nclient_secret = \"${{TEST_YCM_SECRET}}\"\nconcurrency = 4\n",
            c.name, c.client_id
        ));
    }
    let path = dir.join("custlake.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

fn export(config: &Path, resume: bool) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("custlake"));
    cmd.env_remove("CUSTLAKE_LOG")
        .env("TEST_U8_SECRET", SECRET_U8)
        .env("TEST_YCM_SECRET", SECRET_YCM)
        .args(["--no-progress", "-q", "export", "--config"])
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if resume {
        cmd.arg("--resume");
    }
    cmd
}

fn export_to_end(config: &Path, resume: bool) {
    let out = export(config, resume).output().expect("custlake runs");
    assert!(
        out.status.success(),
        "export failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Files of `dir` and below whose name ends with `suffix`.
fn files_under(dir: &Path, suffix: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| e.path())
        .map(|p| {
            if p.is_dir() {
                files_under(&p, suffix)
            } else {
                usize::from(p.to_string_lossy().ends_with(suffix))
            }
        })
        .sum()
}

/// What shows that a change-log append became visible: history data files (Parquet: swapped in
/// with their partition folder) or history commits (Delta).
fn history_appends(out: &Path, format: &str) -> usize {
    match format {
        "delta" => ["customers_history", "contacts_history"]
            .iter()
            .map(|t| files_under(&out.join(t).join("_delta_log"), ".json"))
            .sum(),
        _ => ["customers_history", "contacts_history"]
            .iter()
            .map(|t| files_under(&out.join(t), ".parquet"))
            .sum(),
    }
}

/// Kills `child` once `ready` holds; panics if it ends first.
fn kill_when(mut child: Child, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !ready() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("custlake ended ({status}) before the kill point");
        }
        assert!(Instant::now() < deadline, "kill point never reached");
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
}

/// (dataset, tenant, key, change, changed_at µs) → how many history rows say so.
type HistoryCount = BTreeMap<(String, String, String, String, i64), usize>;

async fn history(out: &Path, format: &str) -> HistoryCount {
    let location = OutputLocation::Local(out.to_path_buf());
    let catalog = match format {
        "delta" => delta_view(&location).await.expect("delta view"),
        _ => Catalog::load(&location).await.expect("catalog"),
    };
    let mut count = HistoryCount::new();
    for partition in &catalog.partitions {
        let key = match partition.dataset.as_str() {
            "customers_history" => "customer_id",
            "contacts_history" => "contact_id",
            _ => continue,
        };
        for file in &partition.snapshot.files {
            let file = std::fs::File::open(out.join(&file.path)).expect("history file");
            let reader = ParquetRecordBatchReaderBuilder::try_new(file)
                .expect("parquet")
                .build()
                .expect("reader");
            for batch in reader {
                let batch = batch.expect("batch");
                let text = |name: &str| {
                    let column = batch.column_by_name(name).expect("column");
                    column.as_string::<i32>().clone()
                };
                let (keys, changes) = (text(key), text("change"));
                let at = batch.column_by_name("changed_at").expect("changed_at");
                let at = at.as_primitive::<arrow::datatypes::TimestampMicrosecondType>();
                for i in 0..batch.num_rows() {
                    let entry = (
                        partition.dataset.clone(),
                        partition.tenant.clone(),
                        keys.value(i).to_owned(),
                        changes.value(i).to_owned(),
                        at.value(i),
                    );
                    *count.entry(entry).or_default() += 1;
                }
            }
        }
    }
    count
}

/// tenant → sorted customer ids of the `customers` dataset as the output holds it.
async fn customer_ids(out: &Path, format: &str) -> BTreeMap<String, Vec<String>> {
    let location = OutputLocation::Local(out.to_path_buf());
    let catalog = match format {
        "delta" => delta_view(&location).await.expect("delta view"),
        _ => Catalog::load(&location).await.expect("catalog"),
    };
    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for partition in catalog
        .partitions
        .iter()
        .filter(|p| p.dataset == "customers")
    {
        for file in &partition.snapshot.files {
            let file = std::fs::File::open(out.join(&file.path)).expect("customers file");
            let reader = ParquetRecordBatchReaderBuilder::try_new(file)
                .expect("parquet")
                .build()
                .expect("reader");
            for batch in reader {
                let batch = batch.expect("batch");
                let keys = batch.column_by_name("customer_id").expect("customer_id");
                let keys = keys.as_string::<i32>();
                let tenant = ids.entry(partition.tenant.clone()).or_default();
                tenant.extend(keys.iter().flatten().map(str::to_owned));
            }
        }
    }
    ids.values_mut().for_each(|keys| keys.sort());
    ids
}

/// tenant → sorted keys of the customers the simulator serves now.
fn served_ids(sim: &SimHandle, config: &SimConfig) -> BTreeMap<String, Vec<String>> {
    let u8 = config
        .u8_tenants
        .iter()
        .map(|t| (&t.name, Entity::U8Customers));
    let ycm = config
        .ycm_clients
        .iter()
        .map(|c| (&c.name, Entity::YcmCustomers));
    u8.chain(ycm)
        .map(|(tenant, entity)| {
            let set = sim.entity_set(tenant, entity).expect("tenant");
            let mut keys: Vec<String> = set.keys().into_iter().map(str::to_owned).collect();
            keys.sort();
            (tenant.clone(), keys)
        })
        .collect()
}

/// The customers changes the simulator made after `since`: (tenant, key, change).
fn made(sim: &SimHandle, since: u64) -> Vec<(String, String, String)> {
    let mut changes = Vec::new();
    for set in sim.changes_since(since).entities {
        if !matches!(set.entity, Entity::U8Customers | Entity::YcmCustomers) {
            continue;
        }
        let kinds = [
            ("insert", &set.inserted),
            ("update", &set.updated),
            ("delete", &set.deleted),
        ];
        for (kind, keys) in kinds {
            for key in keys {
                changes.push((set.tenant.clone(), key.clone(), kind.to_owned()));
            }
        }
    }
    changes.sort();
    changes
}

fn killed_mid_commit_then_resumed_records_each_change_once(format: &str) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let config = sim_config();
    let sim = runtime
        .block_on(custlake_simulator::start(config.clone()))
        .expect("simulator starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("lake");
    let config_path = write_config(dir.path(), &config, &sim.base_url(), &out, format);
    export_to_end(&config_path, false);
    let first = runtime.block_on(history(&out, format));
    let first_at: Vec<i64> = first.keys().map(|k| k.4).collect();

    let seq = sim.change_seq();
    let request = ChangeRequest {
        update: 40,
        delete: 15,
        add: 25,
    };
    for t in &config.u8_tenants {
        sim.change(&t.name, Entity::U8Customers, request)
            .expect("change");
    }
    sim.change(&config.ycm_clients[0].name, Entity::YcmCustomers, request)
        .expect("change");
    let appends = history_appends(&out, format);
    let child = export(&config_path, false)
        .spawn()
        .expect("custlake starts");
    kill_when(child, || history_appends(&out, format) > appends);
    export_to_end(&config_path, true);

    let after = runtime.block_on(history(&out, format));
    let twice: Vec<_> = after.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "changes recorded twice: {twice:?}");
    let second: Vec<(String, String, String)> = after
        .keys()
        .filter(|k| k.0 == "customers_history" && !first_at.contains(&k.4))
        .map(|k| (k.1.clone(), k.2.clone(), k.3.clone()))
        .collect();
    assert_eq!(second, made(&sim, seq), "the second run's customer changes");
    assert_eq!(
        runtime.block_on(customer_ids(&out, format)),
        served_ids(&sim, &config),
        "the partitions after the resume"
    );
    runtime.block_on(sim.shutdown());
}

#[test]
fn parquet_history_killed_mid_commit_then_resumed_records_each_change_once() {
    killed_mid_commit_then_resumed_records_each_change_once("parquet");
}

#[test]
fn delta_history_killed_mid_commit_then_resumed_records_each_change_once() {
    killed_mid_commit_then_resumed_records_each_change_once("delta");
}
