//! Crash and resume, as a user meets them: `custlake export` is killed with SIGKILL at points
//! chosen from a seed, `custlake export --resume` continues, and the published dataset equals an
//! uninterrupted run's. Also: a resume after a config change or after the vendor's total
//! changed restarts the source, and nothing a killed run leaves on disk (spools, checkpoints,
//! logs) holds a secret or a token.
//!
//! `KILL_SEED=<n>` picks other kill points (the seed is printed).

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::ArrayRef;
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use custlake_simulator::{SimConfig, SimHandle};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::leaks::{Needles, assert_no_leaks};

const SECRET_U8: &str = "u8-secret-for-resume-tests";
const SECRET_YCM: &str = "ycm-secret-for-resume-tests";
const PAGE_SIZE: u64 = 50;

fn sim_config(customers: u64, faults: bool) -> SimConfig {
    let mut config = SimConfig::demo(customers);
    for t in &mut config.u8_tenants {
        t.app_secret = SECRET_U8.into();
    }
    for c in &mut config.ycm_clients {
        c.client_secret = SECRET_YCM.into();
    }
    if faults {
        config.faults.server_error_rate = 0.05;
        config.faults.drop_connection_rate = 0.03;
        config.faults.malformed_rate = 0.03;
        config.faults.too_many_requests_rate = 0.03;
        config.faults.retry_after_secs = 0;
        config.faults.token_expire_after_calls = Some(20);
    }
    config
}

/// Pages the whole export fetches at [`PAGE_SIZE`].
fn total_pages(sim: &SimConfig) -> u64 {
    let u8: u64 = sim
        .u8_tenants
        .iter()
        .map(|t| {
            t.customers.div_ceil(PAGE_SIZE)
                + (t.customers * u64::from(t.contacts_per_customer)).div_ceil(PAGE_SIZE)
        })
        .sum();
    let ycm: u64 = sim
        .ycm_clients
        .iter()
        .map(|c| c.customers.div_ceil(PAGE_SIZE))
        .sum();
    u8 + ycm
}

/// A config for every simulator tenant; `u8_a_page_size` overrides one source's page size.
fn write_config(
    dir: &Path,
    sim: &SimConfig,
    base_url: &str,
    out: &Path,
    u8_a_page_size: u64,
) -> PathBuf {
    let mut text = format!("[output]\npath = {:?}\n", out.display().to_string());
    for (i, t) in sim.u8_tenants.iter().enumerate() {
        let page_size = if i == 0 { u8_a_page_size } else { PAGE_SIZE };
        text.push_str(&format!(
            "\n[[sources]]\nname = {:?}\nkind = \"yonyou_u8\"\nbase_url = {base_url:?}\nfrom_account = {:?}\nto_account = {:?}\napp_key = {:?}\napp_secret = \"${{TEST_U8_SECRET}}\"\n{}page_size = {page_size}\nconcurrency = 4\nrequests_per_second = 80\n[sources.retry]\ninitial_backoff_ms = 5\nmax_backoff_ms = 50\nmax_attempts = 12\n",
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
            "\n[[sources]]\nname = {:?}\nkind = \"yeastar_ycm\"\nbase_url = {base_url:?}\nclient_id = {:?}\npage_size = {PAGE_SIZE}\nconcurrency = 4\nrequests_per_second = 80\n[sources.retry]\ninitial_backoff_ms = 5\nmax_backoff_ms = 50\nmax_attempts = 12\n",
            c.name, c.client_id
        ));
    }
    let path = dir.join("custlake.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// `custlake export` with the test secrets in the environment, logs into `log` (stderr) and
/// `log.out` (stdout).
fn spawn_export(config: &Path, resume: bool, log: &Path) -> Child {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("custlake"));
    cmd.env_remove("CUSTLAKE_LOG")
        .env("TEST_U8_SECRET", SECRET_U8)
        .env("CUSTLAKE_YCM_DEMO_CLIENT_SECRET", SECRET_YCM)
        .args(["--no-progress", "-vv", "export", "--config"])
        .arg(config)
        .stdout(Stdio::from(
            File::create(log.with_extension("out")).expect("log"),
        ))
        .stderr(Stdio::from(File::create(log).expect("log")));
    if resume {
        cmd.arg("--resume");
    }
    cmd.spawn().expect("custlake starts")
}

/// Runs an export to the end; returns (success, stdout, stderr).
fn export_to_end(config: &Path, resume: bool, log: &Path) -> (bool, String, String) {
    let mut child = spawn_export(config, resume, log);
    let status = child.wait().expect("custlake ends");
    let read = |p: PathBuf| std::fs::read_to_string(p).unwrap_or_default();
    (
        status.success(),
        read(log.with_extension("out")),
        read(log.to_path_buf()),
    )
}

/// Pages named by every checkpoint under `<out>/.staging`.
fn checkpointed_pages(out: &Path) -> u64 {
    let mut pages = 0;
    for run in read_dir(&out.join(".staging")) {
        for tenant in read_dir(&run.join("_checkpoints")) {
            for file in read_dir(&tenant) {
                if file.extension().is_none_or(|e| e != "json") {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&file) else {
                    continue;
                };
                let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
                    continue;
                };
                for range in json["pages"].as_array().into_iter().flatten() {
                    if let (Some(a), Some(b)) = (range[0].as_u64(), range[1].as_u64()) {
                        pages += b - a + 1;
                    }
                }
            }
        }
    }
    pages
}

fn read_dir(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

/// The Parquet files under `dir` (partitions also hold markers such as `_SUCCESS`).
fn parquet_under(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "parquet"))
        .collect()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in read_dir(dir) {
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Kills `child` with SIGKILL once `ready` holds; panics if it ends first.
fn kill_when(mut child: Child, log: &Path, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !ready() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "custlake ended ({status}) before the kill point: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(Instant::now() < deadline, "kill point never reached");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
}

/// No configured secret and no token the simulator issued so far in any byte under `dir`:
/// outputs, staging (spools, checkpoints, markers, lock) and the runs' logs.
fn assert_no_secrets(dir: &Path, sim: &SimHandle) {
    let needles = Needles::new(&[SECRET_U8, SECRET_YCM], sim.issued_tokens());
    assert_no_leaks(&needles, &[], &[dir]);
}

/// Every published row per partition, as JSON lines without `run_id` and `extracted_at`,
/// sorted: equal maps mean the same rows by key and content.
fn published_rows(out: &Path) -> BTreeMap<String, Vec<String>> {
    let mut partitions = BTreeMap::new();
    for dataset in ["customers", "contacts", "rejects"] {
        for file in parquet_under(&out.join(dataset)) {
            let partition = file
                .parent()
                .and_then(|p| p.strip_prefix(out).ok())
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&file).expect("open"))
                .expect("parquet")
                .build()
                .expect("reader");
            let rows: &mut Vec<String> = partitions.entry(partition).or_default();
            for batch in reader {
                rows.extend(json_lines(&batch.expect("batch")));
            }
        }
    }
    for rows in partitions.values_mut() {
        rows.sort();
    }
    partitions
}

fn json_lines(batch: &RecordBatch) -> Vec<String> {
    let keep: Vec<usize> = batch
        .schema()
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| f.name() != "run_id" && f.name() != "extracted_at")
        .map(|(i, _)| i)
        .collect();
    let batch = without_time_zones(&batch.project(&keep).expect("project"));
    let mut writer = arrow::json::LineDelimitedWriter::new(Vec::new());
    writer.write(&batch).expect("json");
    writer.finish().expect("json");
    String::from_utf8(writer.into_inner())
        .expect("utf8")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Time-zoned timestamps as plain integers: arrow's JSON writer and display only know
/// offset time zones without the chrono-tz feature, and the instant is what is compared.
fn without_time_zones(batch: &RecordBatch) -> RecordBatch {
    let schema = batch.schema();
    let (fields, columns): (Vec<Field>, Vec<ArrayRef>) = schema
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(field, column)| match field.data_type() {
            DataType::Timestamp(_, Some(_)) => (
                Field::new(field.name(), DataType::Int64, field.is_nullable()),
                arrow::compute::cast(column, &DataType::Int64).expect("cast"),
            ),
            _ => (field.as_ref().clone(), column.clone()),
        })
        .unzip();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("batch")
}

/// The distinct values of a column over every published file.
fn distinct(out: &Path, column: &str) -> Vec<String> {
    let mut values = std::collections::BTreeSet::new();
    for dataset in ["customers", "contacts", "rejects"] {
        for file in parquet_under(&out.join(dataset)) {
            let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&file).expect("open"))
                .expect("parquet")
                .build()
                .expect("reader");
            for batch in reader {
                let batch = without_time_zones(&batch.expect("batch"));
                let array = batch.column_by_name(column).expect("column");
                let formatter = arrow::util::display::ArrayFormatter::try_new(
                    array.as_ref(),
                    &Default::default(),
                )
                .expect("formatter");
                for i in 0..batch.num_rows() {
                    values.insert(formatter.value(i).to_string());
                }
            }
        }
    }
    values.into_iter().collect()
}

/// A deterministic random stream (splitmix64) so kill points follow the seed.
struct Seeded(u64);

impl Seeded {
    fn next_unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn manifest_of(out: &Path) -> serde_json::Value {
    let files = read_dir(&out.join("_manifests"));
    let last = files.last().expect("a manifest");
    serde_json::from_str(&std::fs::read_to_string(last).expect("manifest")).expect("JSON")
}

/// Pages replayed from the interrupted run's spools, per tenant, from a run manifest.
fn replayed_pages(manifest: &serde_json::Value) -> BTreeMap<String, u64> {
    let mut replayed = BTreeMap::new();
    for source in manifest["sources"].as_array().into_iter().flatten() {
        let tenant = source["tenant"].as_str().expect("tenant").to_owned();
        let pages: u64 = source["entities"]
            .as_array()
            .into_iter()
            .flatten()
            // Left out of the manifest when zero.
            .map(|e| e["pages_replayed"].as_u64().unwrap_or(0))
            .sum();
        replayed.insert(tenant, pages);
    }
    replayed
}

fn start_sim(runtime: &tokio::runtime::Runtime, config: SimConfig) -> SimHandle {
    runtime
        .block_on(custlake_simulator::start(config))
        .expect("simulator starts")
}

#[test]
fn killed_five_times_then_resumed_equals_an_uninterrupted_run() {
    let seed: u64 = std::env::var("KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_260_601);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let sim_config = sim_config(1_500, true);
    let sim = start_sim(&runtime, sim_config.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).expect("logs folder");

    // The reference: one uninterrupted run.
    let reference = dir.path().join("reference");
    let config = write_config(
        dir.path(),
        &sim_config,
        &sim.base_url(),
        &reference,
        PAGE_SIZE,
    );
    let (ok, _, stderr) = export_to_end(&config, false, &logs.join("reference.log"));
    assert!(ok, "{stderr}");

    // The same export, killed five times.
    let out = dir.path().join("lake");
    let config = write_config(dir.path(), &sim_config, &sim.base_url(), &out, PAGE_SIZE);
    let total = total_pages(&sim_config) as f64;
    let mut rng = Seeded(seed);
    let mut fractions: Vec<f64> = (0..4).map(|_| 0.45 + 0.5 * rng.next_unit()).collect();
    fractions.sort_by(f64::total_cmp);
    println!(
        "KILL_SEED={seed}: kill 1 while YCM commits, then at {fractions:.2?} of {total} pages"
    );

    // Kill 1: the first snapshot is being published while U8 is still fetching.
    let ycm_live = out
        .join("customers")
        .join("source=yeastar_ycm")
        .join("tenant=ycm_demo");
    let log = logs.join("kill-1.log");
    kill_when(spawn_export(&config, false, &log), &log, || {
        ycm_live.exists()
    });
    assert!(
        out.join(".staging").is_dir(),
        "the killed run left its staging"
    );
    assert_no_secrets(dir.path(), &sim);

    // Kills 2..5: at seeded fractions of all pages, some beyond what is saved already.
    for (i, fraction) in fractions.iter().enumerate() {
        let target = (fraction * total) as u64;
        // A little seeded delay past the threshold varies where in a sync interval it lands.
        let extra = Duration::from_millis((rng.next_unit() * 40.0) as u64);
        let log = logs.join(format!("kill-{}.log", i + 2));
        let child = spawn_export(&config, true, &log);
        let out_path = out.clone();
        let mut reached: Option<Instant> = None;
        kill_when(child, &log, move || {
            if checkpointed_pages(&out_path) >= target {
                let at = *reached.get_or_insert_with(Instant::now);
                at.elapsed() >= extra
            } else {
                false
            }
        });
        assert_no_secrets(dir.path(), &sim);
    }

    let (ok, stdout, stderr) = export_to_end(&config, true, &logs.join("final.log"));
    assert!(ok, "{stderr}");
    assert!(stdout.contains("resumed interrupted run"), "{stdout}");
    assert!(!out.join(".staging").exists(), "staging removed at the end");
    assert_no_secrets(dir.path(), &sim);
    runtime.block_on(sim.shutdown());

    let got = published_rows(&out);
    let want = published_rows(&reference);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (partition, rows) in &want {
        assert_eq!(got[partition].len(), rows.len(), "{partition} row count");
        assert!(got[partition] == *rows, "{partition}: rows differ");
    }
    // One run identity across all resumes: the id and start time of the first, killed run.
    let manifest = manifest_of(&out);
    let run_id = manifest["run_id"].as_str().expect("run id").to_owned();
    assert_eq!(distinct(&out, "run_id"), vec![run_id]);
    assert_eq!(distinct(&out, "extracted_at").len(), 1);
    let replayed: u64 = manifest["sources"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["entities"].as_array().into_iter().flatten())
        .filter_map(|e| e["pages_replayed"].as_u64())
        .sum();
    assert!(replayed > 0, "the last resume replayed saved pages");
}

/// Runs the export until `fraction` of its pages are checkpointed, then kills it.
fn interrupt(config: &Path, out: &Path, total: u64, fraction: f64, log: &Path) {
    let target = (total as f64 * fraction) as u64;
    let out = out.to_path_buf();
    kill_when(spawn_export(config, false, log), log, move || {
        checkpointed_pages(&out) >= target
    });
}

/// Every keyed ground-truth record of U8 customers appears once with its exact raw JSON.
fn assert_u8_customers_match(sim: &SimHandle, out: &Path) {
    for tenant in ["u8_demo_a", "u8_demo_b"] {
        let truth = sim
            .entity_set(tenant, custlake_simulator::Entity::U8Customers)
            .expect("tenant");
        let mut want: Vec<String> = truth
            .records
            .iter()
            .filter(|r| r.key.is_some())
            .map(|r| r.json.clone())
            .collect();
        want.sort();
        let dir = out
            .join("customers")
            .join("source=yonyou_u8")
            .join(format!("tenant={tenant}"));
        let mut got = Vec::new();
        for file in parquet_under(&dir) {
            let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&file).expect("open"))
                .expect("parquet")
                .build()
                .expect("reader");
            for batch in reader {
                let batch = batch.expect("batch");
                let raw = batch.column_by_name("raw").expect("raw");
                let formatter = arrow::util::display::ArrayFormatter::try_new(
                    raw.as_ref(),
                    &Default::default(),
                )
                .expect("formatter");
                got.extend((0..batch.num_rows()).map(|i| formatter.value(i).to_string()));
            }
        }
        got.sort();
        assert_eq!(got.len(), want.len(), "{tenant} rows");
        assert!(got == want, "{tenant}: rows differ from ground truth");
    }
}

#[test]
fn a_resume_with_a_changed_config_restarts_that_source_only() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let sim_config = sim_config(1_000, false);
    let sim = start_sim(&runtime, sim_config.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("lake");
    let config = write_config(dir.path(), &sim_config, &sim.base_url(), &out, PAGE_SIZE);
    let log = dir.path().join("first.log");
    interrupt(&config, &out, total_pages(&sim_config), 0.5, &log);

    // u8_demo_a now pages by 40: its saved pages would not line up.
    let config = write_config(dir.path(), &sim_config, &sim.base_url(), &out, 40);
    let (ok, stdout, stderr) = export_to_end(&config, true, &dir.path().join("resume.log"));
    assert!(ok, "{stderr}");
    let restart = "yonyou_u8 u8_demo_a: the configuration changed since the interrupted run (setting page_size); restarting this source from page 1";
    assert!(stdout.contains(restart), "{stdout}");
    assert!(stderr.contains(restart), "logged too: {stderr}");
    assert!(
        !stdout.contains("u8_demo_b: the configuration changed"),
        "{stdout}"
    );
    // The changed source fetched every page anew; the others replayed what the killed run
    // saved (the manifest counts replayed pages per entity, the log says so per entity).
    let replayed = replayed_pages(&manifest_of(&out));
    assert_eq!(
        replayed.keys().map(String::as_str).collect::<Vec<_>>(),
        ["u8_demo_a", "u8_demo_b", "u8_demo_c", "ycm_demo"],
        "{replayed:?}"
    );
    for (tenant, pages) in &replayed {
        if tenant == "u8_demo_a" {
            assert_eq!(*pages, 0, "u8_demo_a restarted from page 1: {replayed:?}");
        } else {
            assert!(
                *pages > 0,
                "{tenant} replayed its saved pages: {replayed:?}"
            );
            let logged = format!("tenant=\"{tenant}\"");
            assert!(
                stderr.lines().any(|l| {
                    l.contains("replayed pages saved by the interrupted run") && l.contains(&logged)
                }),
                "{tenant}: the log says it replayed pages: {stderr}"
            );
        }
    }
    assert_pages_counted_once(&manifest_of(&out));
    assert_u8_customers_match(&sim, &out);
    runtime.block_on(sim.shutdown());
}

/// A resumed run's manifest counts every page once: fetched by this process
/// (`pages_fetched`) or taken from the checkpoint (`pages_replayed`), never both; and its
/// `elapsed_ms` is this process's time, from `resumed_at` (issue 27).
fn assert_pages_counted_once(manifest: &serde_json::Value) {
    for source in manifest["sources"].as_array().into_iter().flatten() {
        for entity in source["entities"].as_array().into_iter().flatten() {
            let total = entity["vendor_total"].as_u64().expect("vendor_total");
            let fetched = entity["pages_fetched"].as_u64().expect("pages_fetched");
            let replayed = entity["pages_replayed"].as_u64().unwrap_or(0);
            if source["tenant"] != "u8_demo_a" {
                assert_eq!(
                    fetched + replayed,
                    total.div_ceil(PAGE_SIZE).max(1),
                    "{source}"
                );
            }
        }
    }
    let at = |name: &str| {
        manifest[name]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .unwrap_or_else(|| panic!("{name} in {manifest}"))
    };
    let own = (at("finished_at") - at("resumed_at")).num_milliseconds();
    let elapsed = manifest["elapsed_ms"].as_i64().expect("elapsed_ms");
    assert!(
        (own - elapsed).abs() < 1_000,
        "{own} ms vs elapsed_ms {elapsed}"
    );
    assert!(at("started_at") < at("resumed_at"));
}

#[test]
fn a_resume_after_the_vendor_total_changed_restarts_the_source() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let before = sim_config(1_000, false);
    let sim = start_sim(&runtime, before.clone());
    let addr = sim.addr();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("lake");
    let config = write_config(dir.path(), &before, &sim.base_url(), &out, PAGE_SIZE);
    interrupt(
        &config,
        &out,
        total_pages(&before),
        0.5,
        &dir.path().join("first.log"),
    );
    runtime.block_on(sim.shutdown());

    // The vendor gained records while the run was down; same address, same settings.
    let mut after = sim_config(1_030, false);
    after.listen = addr;
    let sim = start_sim(&runtime, after);
    let (ok, stdout, stderr) = export_to_end(&config, true, &dir.path().join("resume.log"));
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("yonyou_u8 u8_demo_a: the vendor now announces 1030 customers where the interrupted run saw 1000; restarting this source from page 1"),
        "{stdout}"
    );
    assert_u8_customers_match(&sim, &out);
    runtime.block_on(sim.shutdown());
}

/// The secret scan of `cli.rs`, extended to what only a killed run leaves behind: spools,
/// checkpoints, the run marker and lock, and the `-vv` logs of a faulty run (token renewals,
/// retries).
#[test]
fn no_secret_or_token_in_the_checkpoints_spools_and_logs_of_a_killed_faulty_run() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut sim_config = sim_config(600, true);
    sim_config.faults.token_expire_after_calls = Some(3);
    let sim = start_sim(&runtime, sim_config.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("lake");
    let config = write_config(dir.path(), &sim_config, &sim.base_url(), &out, PAGE_SIZE);
    let log = dir.path().join("killed.log");
    interrupt(&config, &out, total_pages(&sim_config), 0.4, &log);
    let saved: Vec<PathBuf> = files_under(&out.join(".staging"))
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "spool" || e == "json"))
        .collect();
    assert!(
        saved
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "spool")),
        "the killed run left spools: {saved:?}"
    );
    let stderr = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(stderr.contains("retrying page"), "faults were logged");
    assert_no_secrets(dir.path(), &sim);
    runtime.block_on(sim.shutdown());
}
