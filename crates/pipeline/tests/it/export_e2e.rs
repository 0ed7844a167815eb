//! End to end against the simulator: what lands in Parquet equals the simulator's ground truth,
//! with and without faults; a failing source keeps its previous snapshot.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{Array, AsArray};
use custlake_pipeline::{ExportConfig, ExportOptions, NoProgress, RunManifest, RunStatus, export};
use custlake_simulator::{Entity, GroundTruth, SimConfig, SimHandle};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn config_toml(sim: &SimConfig, base_url: &str, out: &Path, bad_u8_secret: bool) -> String {
    let mut text = format!("[output]\npath = {:?}\n", out.display().to_string());
    for t in &sim.u8_tenants {
        let secret = if bad_u8_secret {
            "wrong".to_owned()
        } else {
            t.app_secret.clone()
        };
        text.push_str(&format!(
            "[[sources]]\nname = {:?}\nkind = \"yonyou_u8\"\nbase_url = {base_url:?}\nfrom_account = {:?}\nto_account = {:?}\napp_key = {:?}\napp_secret = {secret:?}\npage_size = 100\nconcurrency = 8\nrequests_per_second = 5000\n[sources.retry]\nmax_attempts = 10\ninitial_backoff_ms = 5\nmax_backoff_ms = 100\n",
            t.name, t.from_account, t.to_account, t.app_key
        ));
        if let Some(ds) = t.ds_sequence {
            text = text.replacen(
                &format!("to_account = {:?}\n", t.to_account),
                &format!("to_account = {:?}\nds_sequence = {ds}\n", t.to_account),
                1,
            );
        }
    }
    for c in &sim.ycm_clients {
        text.push_str(&format!(
            "[[sources]]\nname = {:?}\nkind = \"yeastar_ycm\"\nbase_url = {base_url:?}\nclient_id = {:?}\nclient_secret = {:?}\nconcurrency = 8\nrequests_per_second = 5000\n[sources.retry]\nmax_attempts = 10\ninitial_backoff_ms = 5\nmax_backoff_ms = 100\n",
            c.name, c.client_id, c.client_secret
        ));
    }
    text
}

async fn run_export(
    sim_config: &SimConfig,
    sim: &SimHandle,
    out: &Path,
    bad_u8_secret: bool,
) -> RunManifest {
    run_export_with(sim_config, sim, out, bad_u8_secret, |text| text).await
}

/// Like `run_export`, with the config text adjusted by `edit` first.
async fn run_export_with(
    sim_config: &SimConfig,
    sim: &SimHandle,
    out: &Path,
    bad_u8_secret: bool,
    edit: impl FnOnce(String) -> String,
) -> RunManifest {
    let text = edit(config_toml(sim_config, &sim.base_url(), out, bad_u8_secret));
    let config: ExportConfig = toml::from_str(&text).expect("test config parses");
    let sources = config.validate().expect("test config is valid");
    let options = ExportOptions {
        out: out.to_path_buf(),
        format: custlake_pipeline::OutputFormat::Parquet,
        include_raw: true,
        parquet: config.output.parquet.clone(),
        checkpoints: config.output.checkpoints,
        resume: false,
        history: false,
        links: None,
    };
    export(sources, options, Arc::new(NoProgress))
        .await
        .expect("export runs")
}

/// (dataset, source, tenant) of a partition.
type Partition = (String, String, String);
/// (key, raw JSON) of a row.
type KeyedRow = (String, Option<String>);

/// Every partition's rows: key and raw JSON.
fn read_output(out: &Path) -> BTreeMap<Partition, Vec<KeyedRow>> {
    let mut rows = BTreeMap::new();
    for dataset in ["customers", "contacts", "rejects"] {
        for file in parquet_files(&out.join(dataset)) {
            let rel = file.strip_prefix(out).expect("under out");
            let parts: Vec<String> = rel
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            let key = (
                parts[0].clone(),
                parts[1].trim_start_matches("source=").to_owned(),
                parts[2].trim_start_matches("tenant=").to_owned(),
            );
            let reader =
                ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&file).expect("open"))
                    .expect("parquet")
                    .build()
                    .expect("reader");
            let key_column = match dataset {
                "customers" => "customer_id",
                "contacts" => "contact_id",
                _ => "raw",
            };
            let entry: &mut Vec<KeyedRow> = rows.entry(key).or_default();
            for batch in reader {
                let batch = batch.expect("batch");
                let keys = batch.column_by_name(key_column).expect("key column");
                let keys = keys.as_string::<i32>();
                let raw = batch.column_by_name("raw").expect("raw column");
                let raw = raw.as_string::<i32>();
                for i in 0..batch.num_rows() {
                    let raw_value = (!raw.is_null(i)).then(|| raw.value(i).to_owned());
                    entry.push((keys.value(i).to_owned(), raw_value));
                }
            }
        }
    }
    rows
}

fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(parquet_files(&path));
        } else if path.extension().is_some_and(|e| e == "parquet") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Asserts every keyed ground-truth record appears exactly once, with its exact raw JSON.
fn assert_matches_ground_truth(truth: &GroundTruth, out: &Path) {
    let rows = read_output(out);
    let cases = [
        ("customers", "yonyou_u8", Entity::U8Customers),
        ("contacts", "yonyou_u8", Entity::U8Contacts),
        ("customers", "yeastar_ycm", Entity::YcmCustomers),
        ("contacts", "yeastar_ycm", Entity::YcmCustomers),
    ];
    let mut checked = 0;
    for set in &truth.sets {
        for (dataset, source, entity) in cases {
            if set.entity != entity {
                continue;
            }
            // An empty partition has no file, so no rows read.
            let none = Vec::new();
            let got = rows
                .get(&(dataset.to_owned(), source.to_owned(), set.tenant.clone()))
                .unwrap_or(&none);
            let expected: BTreeMap<&str, &str> = set
                .records
                .iter()
                .filter_map(|r| r.key.as_deref().map(|k| (k.trim(), r.json.as_str())))
                .collect();
            assert_eq!(
                got.len(),
                expected.len(),
                "{dataset} {} row count",
                set.tenant
            );
            let got_keys: BTreeSet<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(
                got_keys.len(),
                got.len(),
                "{dataset} {}: duplicate keys",
                set.tenant
            );
            for (key, raw) in got {
                let want = expected
                    .get(key.as_str())
                    .unwrap_or_else(|| panic!("unexpected key {key}"));
                assert_eq!(
                    raw.as_deref(),
                    Some(*want),
                    "{dataset} {} raw of {key}",
                    set.tenant
                );
            }
            checked += got.len();
        }
    }
    assert!(checked > 0, "nothing was compared");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_equals_ground_truth() {
    let sim_config = SimConfig::demo(600);
    let sim = custlake_simulator::start(sim_config.clone())
        .await
        .expect("simulator starts");
    let out = tempfile::tempdir().expect("tempdir");
    let manifest = run_export(&sim_config, &sim, out.path(), false).await;
    assert_eq!(manifest.status, RunStatus::Succeeded, "{manifest:#?}");
    assert!(manifest.warnings.is_empty(), "{:?}", manifest.warnings);
    assert_matches_ground_truth(&sim.ground_truth(), out.path());
    assert!(
        out.path()
            .join("_manifests")
            .join(format!("{}.json", manifest.run_id))
            .is_file()
    );
    assert!(!out.path().join(".staging").exists(), "staging cleaned up");
    // Data folders hold data files only (markers live under `_markers/`): readers list them.
    for dataset in ["customers", "contacts", "rejects"] {
        let strays = non_parquet_files(&out.path().join(dataset));
        assert!(strays.is_empty(), "non-data files in {dataset}: {strays:?}");
    }
    assert!(
        out.path()
            .join("_markers/customers/source=yonyou_u8/tenant=u8_demo_a/_SUCCESS")
            .is_file()
    );
    sim.shutdown().await;
}

fn non_parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(non_parquet_files(&path));
        } else if path.extension().is_none_or(|e| e != "parquet") {
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_are_retried_and_nothing_is_lost() {
    let mut sim_config = SimConfig::demo(400);
    // The mix: 10% 5xx, 5% 429 with Retry-After, 2% dropped connections, latency
    // jitter, token expiry every 50 calls.
    sim_config.faults.server_error_rate = 0.10;
    sim_config.faults.too_many_requests_rate = 0.05;
    sim_config.faults.retry_after_secs = 1;
    sim_config.faults.drop_connection_rate = 0.02;
    sim_config.faults.latency_jitter = Duration::from_millis(5);
    sim_config.faults.token_expire_after_calls = Some(50);
    let sim = custlake_simulator::start(sim_config.clone())
        .await
        .expect("simulator starts");
    let out = tempfile::tempdir().expect("tempdir");
    let manifest = run_export(&sim_config, &sim, out.path(), false).await;
    assert_eq!(manifest.status, RunStatus::Succeeded, "{manifest:#?}");
    let retries: u64 = manifest
        .sources
        .iter()
        .flat_map(|s| &s.entities)
        .map(|e| e.retries)
        .sum();
    assert!(
        retries > 0,
        "faults were injected, so something was retried"
    );
    assert_matches_ground_truth(&sim.ground_truth(), out.path());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_source_keeps_its_previous_snapshot_and_others_commit() {
    let sim_config = SimConfig::demo(200);
    let sim = custlake_simulator::start(sim_config.clone())
        .await
        .expect("simulator starts");
    let out = tempfile::tempdir().expect("tempdir");
    let first = run_export(&sim_config, &sim, out.path(), false).await;
    assert_eq!(first.status, RunStatus::Succeeded);
    let before = read_output(out.path());

    let second = run_export(&sim_config, &sim, out.path(), true).await;
    assert_eq!(second.status, RunStatus::Partial, "{second:#?}");
    let u8_failed = second.sources.iter().filter(|s| s.source == "yonyou_u8");
    for source in u8_failed {
        assert_eq!(source.status, RunStatus::Failed);
        let error = source.error.as_deref().unwrap_or_default();
        assert!(
            error.contains("20001"),
            "names the vendor's refusal: {error}"
        );
        assert!(!error.contains("wrong"), "no secret in the error: {error}");
    }
    let after = read_output(out.path());
    for (key, rows) in &before {
        if key.1 == "yonyou_u8" {
            assert_eq!(after.get(key), Some(rows), "U8 snapshot {key:?} unchanged");
        }
    }
    // YCM succeeded; its data did not change, so its partitions kept the first run's files.
    let ycm = second.sources.iter().find(|s| s.source == "yeastar_ycm");
    assert_eq!(ycm.map(|s| s.status), Some(RunStatus::Succeeded));
    let ycm_unchanged: Vec<_> = second
        .unchanged
        .iter()
        .filter(|p| p.contains("source=yeastar_ycm"))
        .collect();
    assert_eq!(ycm_unchanged.len(), 3, "{:?}", second.unchanged);
    assert!(second.files.iter().all(|f| f.source != "yeastar_ycm"));
    for (key, rows) in &before {
        if key.1 == "yeastar_ycm" {
            assert_eq!(after.get(key), Some(rows), "YCM snapshot {key:?} kept");
        }
    }
    sim.shutdown().await;
}

/// One U8 tenant only, so the simulator's per-path and per-second counters see one source.
fn single_u8_tenant(customers: u64) -> SimConfig {
    let mut config = SimConfig::demo(customers);
    config.u8_tenants.truncate(1);
    config.ycm_clients.clear();
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_is_real_and_bounded() {
    let mut sim_config = single_u8_tenant(2_000);
    sim_config.faults.latency = Duration::from_millis(30);
    let sim = custlake_simulator::start(sim_config.clone())
        .await
        .expect("simulator starts");
    let out = tempfile::tempdir().expect("tempdir");
    let manifest = run_export(&sim_config, &sim, out.path(), false).await;
    assert_eq!(manifest.status, RunStatus::Succeeded, "{manifest:#?}");
    let stats = sim.stats();
    for path in ["/api/customer/batch_get", "/api/customercontacts/batch_get"] {
        let max = stats.max_in_flight_by_path.get(path).copied();
        assert_eq!(
            max,
            Some(8),
            "{path}: 8 pages in flight at once, never more ({stats:#?})"
        );
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_is_never_exceeded() {
    let sim_config = single_u8_tenant(1_500);
    let sim = custlake_simulator::start(sim_config.clone())
        .await
        .expect("simulator starts");
    let out = tempfile::tempdir().expect("tempdir");
    let manifest = run_export_with(&sim_config, &sim, out.path(), false, |text| {
        text.replace("requests_per_second = 5000", "requests_per_second = 20")
    })
    .await;
    assert_eq!(manifest.status, RunStatus::Succeeded, "{manifest:#?}");
    let stats = sim.stats();
    assert!(
        stats.total_requests > 40,
        "enough requests to fill several windows: {stats:#?}"
    );
    assert!(stats.max_requests_per_second <= 20, "{stats:#?}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_failing_mid_run_keeps_its_previous_snapshot() {
    let mut sim_config = SimConfig::demo(2_000);
    // Two tenants whose first pages the seeded fault spares (the third's page 1 is hit).
    sim_config.u8_tenants.truncate(2);
    // Each tenant logs in as its own app: the demo tenants share one, so their token requests
    // are the same request to the simulator, and which of them drew a seeded fault depended on
    // which log-in arrived first.
    sim_config.u8_tenants[1].from_account = "custlake_demo_b".into();
    sim_config.u8_tenants[1].app_key = "opa_custlake_demo_b".into();
    let sim = custlake_simulator::start(sim_config.clone())
        .await
        .expect("simulator starts");
    let out = tempfile::tempdir().expect("tempdir");
    let first = run_export(&sim_config, &sim, out.path(), false).await;
    assert_eq!(first.status, RunStatus::Succeeded);
    let before = read_output(out.path());
    sim.shutdown().await;

    // Same data, but U8 now answers some pages with 30021 (app not online): a permanent error
    // after page 1 succeeded.
    let mut failing = sim_config.clone();
    failing.faults.vendor_error_rate = 0.3;
    failing.faults.u8_vendor_error_code = "30021".into();
    let sim = custlake_simulator::start(failing.clone())
        .await
        .expect("simulator starts");
    let second = run_export(&failing, &sim, out.path(), false).await;
    assert_ne!(second.status, RunStatus::Succeeded, "{second:#?}");
    let u8_sources: Vec<_> = second
        .sources
        .iter()
        .filter(|s| s.source == "yonyou_u8")
        .collect();
    assert!(!u8_sources.is_empty());
    for source in &u8_sources {
        assert_eq!(source.status, RunStatus::Failed);
        let error = source.error.as_deref().unwrap_or_default();
        assert!(
            error.contains("30021"),
            "the manifest names the failure: {error}"
        );
        assert!(
            (2..=40).any(|page| error.contains(&format!("page {page}:"))),
            "it failed mid-run, after page 1 succeeded: {error}"
        );
    }
    let after = read_output(out.path());
    for (key, rows) in &before {
        if key.1 == "yonyou_u8" {
            assert_eq!(after.get(key), Some(rows), "U8 snapshot {key:?} unchanged");
        }
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_asked_for_past_the_end_are_dropped_and_cost_at_most_concurrency_requests() {
    // 250 customers and 1 contact each at 100 per page: 3 pages per entity, while 8 pages go
    // out together with page 1 before the page count is known.
    let mut sim_config = single_u8_tenant(250);
    sim_config.u8_tenants[0].contacts_per_customer = 1;
    let sim = custlake_simulator::start(sim_config.clone())
        .await
        .expect("simulator starts");
    let out = tempfile::tempdir().expect("tempdir");
    let manifest = run_export(&sim_config, &sim, out.path(), false).await;
    assert_eq!(manifest.status, RunStatus::Succeeded, "{manifest:#?}");
    assert_matches_ground_truth(&sim.ground_truth(), out.path());
    let source = &manifest.sources[0];
    for entity in &source.entities {
        assert_eq!(
            entity.pages_fetched, 3,
            "{}: only real pages count",
            entity.entity
        );
    }
    let stats = sim.stats();
    for path in ["/api/customer/batch_get", "/api/customercontacts/batch_get"] {
        let requests = stats.requests_by_path.get(path).copied().unwrap_or(0);
        assert_eq!(
            requests, 8,
            "{path}: pages 1..=8 asked once each ({stats:#?})"
        );
    }
    sim.shutdown().await;
}

/// The race real gateways produce: a token expires after 40 calls, the first request answered
/// "expired" renews it, and the requests still in flight with the old token are answered
/// "invalid" (U8 20002 token无效, YCM HTTP 401 40101). With `max_attempts = 1` any of those
/// answers reaching the retry policy would fail its source, so success proves that stale
/// rejections are resent with the current token for free and that each expiry renews once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_tokens_answered_invalid_are_resent_not_renewed_or_failed() {
    let mut sim_config = SimConfig::demo(300);
    sim_config.faults.token_expire_after_calls = Some(40);
    sim_config.faults.stale_token_answer = custlake_simulator::StaleTokenAnswer::Invalid;
    let sim = custlake_simulator::start(sim_config.clone())
        .await
        .expect("simulator starts");
    let out = tempfile::tempdir().expect("tempdir");
    let manifest = run_export_with(&sim_config, &sim, out.path(), false, |text| {
        // U8: 10 rows per page; YCM (no page_size line of its own): 3.
        text.replace("page_size = 100\n", "")
            .replace(
                "kind = \"yonyou_u8\"\n",
                "kind = \"yonyou_u8\"\npage_size = 10\n",
            )
            .replace(
                "kind = \"yeastar_ycm\"\n",
                "kind = \"yeastar_ycm\"\npage_size = 3\n",
            )
            .replace(
                "[sources.retry]\nmax_attempts = 10\n",
                "[sources.retry]\nmax_attempts = 1\n",
            )
    })
    .await;
    assert_eq!(manifest.status, RunStatus::Succeeded, "{manifest:#?}");
    assert_matches_ground_truth(&sim.ground_truth(), out.path());

    let stats = sim.stats();
    let sources = (sim_config.u8_tenants.len() + sim_config.ycm_clients.len()) as u64;
    let token_calls = stats.u8_tokens_issued + stats.ycm_tokens_issued;
    eprintln!(
        "token race: {token_calls} token calls, {} expiries, {} stale answers, {sources} sources",
        stats.tokens_expired, stats.stale_tokens_refused
    );
    assert!(
        stats.tokens_expired >= sources,
        "every account's token expired at least once: {stats:?}"
    );
    assert!(
        stats.stale_tokens_refused > 0,
        "requests raced the renewals (old tokens were answered invalid): {stats:?}"
    );
    assert!(
        token_calls <= stats.tokens_expired + sources,
        "one log-in per source plus one renewal per expiry: {token_calls} token calls, {stats:?}"
    );
    sim.shutdown().await;
}

/// The manifest's report of `entity` of the source named `tenant`.
fn entity_report<'m>(
    manifest: &'m RunManifest,
    tenant: &str,
    entity: &str,
) -> &'m custlake_pipeline::EntityReport {
    manifest
        .sources
        .iter()
        .filter(|s| s.tenant == tenant)
        .flat_map(|s| &s.entities)
        .find(|e| e.entity == entity)
        .unwrap_or_else(|| panic!("no {entity} report for {tenant}: {manifest:#?}"))
}

/// Rows in the Parquet files of one partition folder.
fn partition_rows(out: &Path, dataset: &str, tenant: &str) -> usize {
    let dir = out
        .join(dataset)
        .join("source=yonyou_u8")
        .join(format!("tenant={tenant}"));
    parquet_files(&dir)
        .iter()
        .map(|file| {
            ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(file).expect("open"))
                .expect("parquet")
                .metadata()
                .file_metadata()
                .num_rows() as usize
        })
        .sum()
}

/// A U8 account that keeps no contacts answers its contact listing the way real accounts do,
/// `20002 未检索到匹配的[客户联系人]。`: the entity succeeds with 0 rows and its partition is
/// committed empty, with one token call per source. When an account's contacts are all gone,
/// the next full run empties its partition the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_u8_account_without_contacts_commits_an_empty_contacts_partition() {
    let sim_config = SimConfig::demo(300);
    let empty = sim_config
        .u8_tenants
        .iter()
        .find(|t| t.contacts_per_customer == 0)
        .expect("the demo has a U8 tenant without contacts")
        .name
        .clone();
    let sim = custlake_simulator::start(sim_config.clone())
        .await
        .expect("simulator starts");
    let out = tempfile::tempdir().expect("tempdir");
    let manifest = run_export(&sim_config, &sim, out.path(), false).await;
    assert_eq!(manifest.status, RunStatus::Succeeded, "{manifest:#?}");
    assert!(manifest.warnings.is_empty(), "{:?}", manifest.warnings);
    let contacts = entity_report(&manifest, &empty, "contacts");
    assert_eq!(
        (
            contacts.records_fetched,
            contacts.vendor_total,
            contacts.missing
        ),
        (0, Some(0), Some(0)),
        "{contacts:?}"
    );
    assert_matches_ground_truth(&sim.ground_truth(), out.path());
    assert_eq!(partition_rows(out.path(), "contacts", &empty), 0);
    assert!(
        out.path()
            .join(format!(
                "_markers/contacts/source=yonyou_u8/tenant={empty}/_SUCCESS"
            ))
            .is_file(),
        "the empty contacts partition was committed"
    );
    // An empty partition is an empty folder, as Spark and Delta Lake leave one: no 0-row file.
    let folder = out
        .path()
        .join(format!("contacts/source=yonyou_u8/tenant={empty}"));
    assert!(folder.is_dir(), "{}", folder.display());
    assert!(
        parquet_files(&folder).is_empty(),
        "{:?}",
        parquet_files(&folder)
    );
    assert_eq!(
        sim.stats().u8_tokens_issued,
        sim_config.u8_tenants.len() as u64,
        "one token per source, no renewal"
    );
    sim.shutdown().await;

    // The first tenant's contacts are all deleted at the source: its partition becomes empty.
    let mut emptied = sim_config.clone();
    emptied.u8_tenants[0].contacts_per_customer = 0;
    let first = emptied.u8_tenants[0].name.clone();
    assert!(partition_rows(out.path(), "contacts", &first) > 0);
    let sim = custlake_simulator::start(emptied.clone())
        .await
        .expect("simulator starts");
    let second = run_export(&emptied, &sim, out.path(), false).await;
    assert_eq!(second.status, RunStatus::Succeeded, "{second:#?}");
    assert_eq!(partition_rows(out.path(), "contacts", &first), 0);
    assert_eq!(
        entity_report(&second, &first, "contacts").records_fetched,
        0
    );
    sim.shutdown().await;
}

/// A gateway that rejects every token ("token无效" on every data call, however fresh): with 8
/// pages in flight the source fails after at most four
/// token calls — the log-in and three replacements — counted at the simulator, and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_that_rejects_every_token_fails_after_at_most_four_token_calls() {
    let mut sim_config = single_u8_tenant(2_000);
    sim_config.faults.reject_every_token = true;
    sim_config.faults.latency = Duration::from_millis(20);
    let sim = custlake_simulator::start(sim_config.clone())
        .await
        .expect("simulator starts");
    let out = tempfile::tempdir().expect("tempdir");
    let manifest = run_export(&sim_config, &sim, out.path(), false).await;
    assert_eq!(manifest.status, RunStatus::Failed, "{manifest:#?}");
    let stats = sim.stats();
    let token_calls = stats
        .requests_by_path
        .get("/system/token")
        .copied()
        .unwrap_or(0);
    assert!(
        (1..=4).contains(&token_calls),
        "{token_calls} token calls: {stats:#?}"
    );
    assert_eq!(
        stats
            .max_in_flight_by_path
            .get("/api/customer/batch_get")
            .copied(),
        Some(8),
        "8 pages were in flight: {stats:#?}"
    );
    let error = manifest.sources[0].error.as_deref().unwrap_or_default();
    assert!(
        error.contains(&format!("after {token_calls} token calls")),
        "the failure says how many token calls it made: {error}"
    );
    sim.shutdown().await;
}
