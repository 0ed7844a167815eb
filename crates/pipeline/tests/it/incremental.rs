//! Incremental exports against the simulator, in a local folder: a full export, 1% of the U8
//! customers edited at the source, an incremental export that fetches only those (≤ 2% of the
//! customer pages) and upserts them, after which every partition holds the rows a fresh full
//! export holds (one row per key, no `_deltas/`); YCM and the unchanged contacts keep their
//! files by content hash. Also: an account that sends row versions as `0x` hex gets its mark
//! back in hex, and one that sends no versions at all gets a warning.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use arrow::array::AsArray;
use custlake_pipeline::internals::ContentHasher;
use custlake_pipeline::internals::{CATALOG_FILE, Catalog};
use custlake_pipeline::{CompactOptions, compact};
use custlake_pipeline::{
    ExportConfig, ExportOptions, NoProgress, OutputLocation, RunManifest, RunStatus, export,
};
use custlake_simulator::{
    Entity, MessinessConfig, SimConfig, SimHandle, U8TenantConfig, U8TimestampFormat,
    YcmClientConfig,
};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

const CUSTOMERS: u64 = 10_000;
const PAGE_SIZE: u32 = 200;

fn sim_config() -> SimConfig {
    let mut config = SimConfig::demo(CUSTOMERS);
    config.u8_tenants.truncate(1);
    config.u8_tenants[0].contacts_per_customer = 1;
    config.ycm_clients = vec![YcmClientConfig {
        customers: 300,
        ..config.ycm_clients[0].clone()
    }];
    config.messiness = MessinessConfig::mild();
    config
}

fn config_toml(sim: &SimConfig, base_url: &str, out: &Path, mode: &str) -> String {
    let t: &U8TenantConfig = &sim.u8_tenants[0];
    let c = &sim.ycm_clients[0];
    format!(
        "[output]\npath = {out:?}\n\
         [[sources]]\nname = {:?}\nkind = \"yonyou_u8\"\nmode = {mode:?}\nbase_url = {base_url:?}\n\
         from_account = {:?}\nto_account = {:?}\napp_key = {:?}\napp_secret = {:?}\n\
         page_size = {PAGE_SIZE}\nconcurrency = 8\nrequests_per_second = 5000\n\
         [[sources]]\nname = {:?}\nkind = \"yeastar_ycm\"\nbase_url = {base_url:?}\n\
         client_id = {:?}\nclient_secret = {:?}\nconcurrency = 8\nrequests_per_second = 5000\n",
        t.name,
        t.from_account,
        t.to_account,
        t.app_key,
        t.app_secret,
        c.name,
        c.client_id,
        c.client_secret,
        out = out.display().to_string(),
    )
}

async fn run(sim_config: &SimConfig, sim: &SimHandle, out: &Path, mode: &str) -> RunManifest {
    let text = config_toml(sim_config, &sim.base_url(), out, mode);
    let config: ExportConfig = toml::from_str(&text).expect("test config parses");
    let sources = config.validate().expect("test config is valid");
    let options = ExportOptions {
        out: out.to_path_buf(),
        format: custlake_pipeline::OutputFormat::Parquet,
        include_raw: true,
        parquet: config.output.parquet.clone(),
        checkpoints: false,
        resume: false,
        history: false,
        links: None,
    };
    let manifest = export(sources, options, Arc::new(NoProgress))
        .await
        .expect("export runs");
    assert_eq!(manifest.status, RunStatus::Succeeded, "{manifest:#?}");
    manifest
}

/// (pages, records) fetched for an entity of a source.
fn fetched(manifest: &RunManifest, source: &str, entity: &str) -> (u64, u64) {
    manifest
        .sources
        .iter()
        .filter(|s| s.source == source)
        .flat_map(|s| &s.entities)
        .filter(|e| e.entity == entity)
        .map(|e| (e.pages_fetched, e.records_fetched))
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

/// Per live partition: the content hash and rows of every Parquet file in its folder.
fn live_content(out: &Path) -> BTreeMap<String, (String, u64)> {
    let mut result = BTreeMap::new();
    for dataset in ["customers", "contacts", "rejects"] {
        for source_dir in dirs(&out.join(dataset)) {
            for tenant_dir in dirs(&source_dir) {
                let mut hasher: Option<ContentHasher> = None;
                let mut rows = 0;
                for file in parquet_files(&tenant_dir) {
                    let reader = ParquetRecordBatchReaderBuilder::try_new(
                        std::fs::File::open(&file).expect("open"),
                    )
                    .expect("parquet")
                    .build()
                    .expect("reader");
                    for batch in reader {
                        let batch = batch.expect("batch");
                        let h = hasher.get_or_insert_with(|| {
                            ContentHasher::new(&batch.schema()).expect("hashable")
                        });
                        h.update(&batch).expect("hash");
                        rows += batch.num_rows() as u64;
                    }
                }
                let key = tenant_dir
                    .strip_prefix(out)
                    .expect("under out")
                    .display()
                    .to_string();
                let hash = hasher.map(|h| h.finish()).unwrap_or_default();
                result.insert(key, (hash, rows));
            }
        }
    }
    result
}

/// customer_id → raw JSON of the U8 customers `tenant` serves now (the ground truth).
fn served_customers(sim: &SimHandle, tenant: &str) -> BTreeMap<String, String> {
    let truth = sim.entity_set(tenant, Entity::U8Customers).expect("truth");
    truth
        .records
        .iter()
        .filter_map(|r| {
            r.key
                .as_ref()
                .map(|k| (k.trim().to_owned(), r.json.clone()))
        })
        .collect()
}

/// customer_id → raw JSON of the live U8 customers partition.
pub(crate) fn u8_customers(out: &Path, tenant: &str) -> BTreeMap<String, String> {
    let dir = out
        .join("customers/source=yonyou_u8")
        .join(format!("tenant={tenant}"));
    let mut rows = BTreeMap::new();
    for file in parquet_files(&dir) {
        let reader =
            ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&file).expect("open"))
                .expect("parquet")
                .build()
                .expect("reader");
        for batch in reader {
            let batch = batch.expect("batch");
            let keys = batch.column_by_name("customer_id").expect("key");
            let keys = keys.as_string::<i32>();
            let raw = batch.column_by_name("raw").expect("raw");
            let raw = raw.as_string::<i32>();
            for i in 0..batch.num_rows() {
                let previous = rows.insert(keys.value(i).to_owned(), raw.value(i).to_owned());
                assert!(previous.is_none(), "duplicate key {}", keys.value(i));
            }
        }
    }
    rows
}

fn dirs(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn parquet_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The values of a string column across the Parquet files of `dir`.
fn string_column(dir: &Path, column: &str) -> Vec<Option<String>> {
    let mut values = Vec::new();
    for file in parquet_files(dir) {
        let reader =
            ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&file).expect("open"))
                .expect("parquet")
                .build()
                .expect("reader");
        for batch in reader {
            let batch = batch.expect("batch");
            let array = batch.column_by_name(column).expect("column");
            values.extend(
                array
                    .as_string::<i32>()
                    .iter()
                    .map(|v| v.map(str::to_owned)),
            );
        }
    }
    values
}

/// The query parameters of every U8 customer/batch_get request in the simulator's request log
/// (its recent requests, oldest first, without secrets).
fn customer_queries(sim: &SimHandle) -> Vec<BTreeMap<String, String>> {
    sim.stats()
        .request_log
        .iter()
        .filter_map(|entry| entry.strip_prefix("/api/customer/batch_get?"))
        .map(|query| {
            query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

async fn catalog(out: &Path) -> Catalog {
    Catalog::load(&OutputLocation::Local(out.to_path_buf()))
        .await
        .expect("catalog loads")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_fetches_only_changes_and_upserts_them_into_every_partition() {
    let sim_config = sim_config();
    let tenant = sim_config.u8_tenants[0].name.clone();
    let sim = custlake_simulator::start(sim_config.clone())
        .await
        .expect("simulator starts");
    let incremental = tempfile::tempdir().expect("tempdir");
    let out = incremental.path();

    // 1. The first run of an incremental source is a full snapshot and records the mark.
    let first = run(&sim_config, &sim, out, "incremental").await;
    let (full_pages, full_records) = fetched(&first, "yonyou_u8", "customers");
    assert_eq!(full_records, CUSTOMERS);
    let mark = catalog(out)
        .await
        .mark("yonyou_u8", &tenant, "customers")
        .cloned()
        .expect("a high-water mark after the full run");
    assert!(mark.max_timestamp.is_some(), "{mark:?}");
    let before_files: Vec<String> = catalog(out)
        .await
        .partitions
        .iter()
        .filter(|p| p.dataset == "customers" && p.source == "yonyou_u8")
        .flat_map(|p| p.snapshot.files.iter().map(|f| f.path.clone()))
        .collect();

    // 2. 1% of the customers change at the source.
    let changed = sim
        .change_u8_customers(&tenant, CUSTOMERS / 100)
        .expect("tenant");
    assert_eq!(changed.len() as u64, CUSTOMERS / 100);

    // 3. The incremental run fetches those (and the boundary record of the inclusive filter).
    let second = run(&sim_config, &sim, out, "incremental").await;
    let (delta_pages, delta_records) = fetched(&second, "yonyou_u8", "customers");
    let changed_count = changed.len() as u64;
    assert!(
        (changed_count..=changed_count + 1).contains(&delta_records),
        "fetched {delta_records} customers for {changed_count} changes"
    );
    assert!(
        delta_pages * 50 <= full_pages,
        "incremental run fetched {delta_pages} customer pages, the full run {full_pages}"
    );
    println!(
        "customers: full run {full_pages} pages / {full_records} records; incremental run \
         {delta_pages} pages / {delta_records} records ({changed_count} changed)"
    );
    // Every partition is current: no `_deltas/`, no increments in the catalog, unchanged
    // partitions (YCM, the contacts) kept their files.
    assert!(!out.join("_deltas").exists());
    assert!(
        second
            .unchanged
            .iter()
            .filter(|p| p.contains("source=yeastar_ycm"))
            .count()
            == 3,
        "YCM content did not change: {:?}",
        second.unchanged
    );
    assert!(
        second
            .unchanged
            .iter()
            .any(|p| p.starts_with("contacts/source=yonyou_u8")),
        "unchanged contacts keep their files: {:?}",
        second.unchanged
    );
    let after = catalog(out).await;
    assert!(
        after
            .partitions
            .iter()
            .all(|p| p.legacy.increments.is_empty())
    );
    let new_mark = after.mark("yonyou_u8", &tenant, "customers").expect("mark");
    assert!(new_mark.max_timestamp > mark.max_timestamp);
    // Only the files holding re-fetched customers were rewritten: most of the partition's
    // files are the first run's, untouched.
    let first_files = before_files.len();
    let kept = before_files
        .iter()
        .filter(|f| out.join(f.as_str()).is_file())
        .count();
    println!("customers files kept by the upsert: {kept} of {first_files}");

    // 4. Every reader now sees what a fresh full export holds; compaction has nothing to do.
    let fresh = tempfile::tempdir().expect("tempdir");
    run(&sim_config, &sim, fresh.path(), "full").await;
    assert_eq!(live_content(out), live_content(fresh.path()));
    let expected = served_customers(&sim, &tenant);
    let got = u8_customers(out, &tenant);
    assert_eq!(got, expected);
    assert!(out.join(CATALOG_FILE).is_file());
    let report = compact(CompactOptions {
        format: custlake_pipeline::OutputFormat::Parquet,
        out: out.to_path_buf(),
        parquet: Default::default(),
        only: Vec::new(),
    })
    .await
    .expect("compaction runs");
    assert!(report.partitions.is_empty(), "{report:?}");

    // 5. Nothing changed since: the next incremental run re-reads only the boundary record of
    // its inclusive filter and commits nothing.
    let third = run(&sim_config, &sim, out, "incremental").await;
    let (_, records) = fetched(&third, "yonyou_u8", "customers");
    assert!(
        records <= 1,
        "only the boundary record comes again: {records}"
    );
    assert!(third.files.is_empty(), "{:?}", third.files);
    assert_eq!(live_content(out), live_content(fresh.path()));
    assert!(!out.join("_deltas").exists());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hex_row_versions_go_back_in_hex_and_the_mark_advances() {
    let mut sim_config = sim_config();
    sim_config.u8_timestamp_format = U8TimestampFormat::Hex;
    let tenant = sim_config.u8_tenants[0].name.clone();
    let sim = custlake_simulator::start(sim_config.clone())
        .await
        .expect("simulator starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path();
    let is_sql_server_hex = |text: &str| {
        text.strip_prefix("0x").is_some_and(|digits| {
            digits.len() == 16 && digits.bytes().all(|b| b.is_ascii_hexdigit())
        })
    };

    // 1. The full run records a mark from the hex row versions, as text and integer.
    let first = run(&sim_config, &sim, out, "incremental").await;
    assert_eq!(fetched(&first, "yonyou_u8", "customers").1, CUSTOMERS);
    let mark = catalog(out)
        .await
        .mark("yonyou_u8", &tenant, "customers")
        .cloned()
        .expect("a high-water mark after the full run");
    let version = mark.max_timestamp.clone().expect("a row-version mark");
    assert!(is_sql_server_hex(version.text()), "{version:?}");
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join(CATALOG_FILE)).expect("catalog file"))
            .expect("catalog JSON");
    let stored_mark = &stored["sources"][0]["marks"][0];
    assert_eq!(
        stored_mark["max_timestamp_text"],
        version.text(),
        "{stored_mark}"
    );
    assert_eq!(
        stored_mark["max_timestamp"],
        version.value(),
        "{stored_mark}"
    );
    let rejects_dir = out.join(format!("rejects/source=yonyou_u8/tenant={tenant}"));
    let rejected_fields = string_column(&rejects_dir, "field");
    assert!(
        !rejected_fields.iter().flatten().any(|f| f == "timestamp"),
        "hex row versions are not rejected"
    );
    assert!(
        customer_queries(&sim)
            .iter()
            .all(|q| !q.contains_key("timestamp_begin")),
        "the full run sends no change filter"
    );

    // 2. Some customers change at the source.
    let changed = sim
        .change_u8_customers(&tenant, CUSTOMERS / 200)
        .expect("tenant");
    let changed: BTreeSet<String> = changed.iter().map(|c| c.trim().to_owned()).collect();

    // 3. The incremental run asks from the mark in hex and fetches only the changed customers
    // (and the boundary record of the inclusive filter).
    let second = run(&sim_config, &sim, out, "incremental").await;
    let begins: Vec<String> = customer_queries(&sim)
        .into_iter()
        .filter_map(|q| q.get("timestamp_begin").cloned())
        .collect();
    assert!(!begins.is_empty(), "run 2 sent no timestamp_begin");
    assert!(
        begins.iter().all(|b| b == version.text()),
        "timestamp_begin {begins:?}, mark {version:?}"
    );
    let (_, records) = fetched(&second, "yonyou_u8", "customers");
    let n = changed.len() as u64;
    assert!(
        (n..=n + 1).contains(&records),
        "fetched {records} for {n} changes"
    );
    // The upserted partition holds the re-fetched customers as rows of run 2.
    let live_dir = out.join(format!("customers/source=yonyou_u8/tenant={tenant}"));
    let keys = string_column(&live_dir, "customer_id");
    let runs = string_column(&live_dir, "run_id");
    let refetched: BTreeSet<String> = keys
        .into_iter()
        .zip(runs)
        .filter(|(_, run)| run.as_deref() == Some(second.run_id.as_str()))
        .filter_map(|(key, _)| key)
        .collect();
    assert!(refetched.is_superset(&changed), "{refetched:?}");
    assert!(refetched.len() as u64 <= n + 1, "{refetched:?}");

    // 4. The mark advanced and is still in the server's form.
    let new_mark = catalog(out)
        .await
        .mark("yonyou_u8", &tenant, "customers")
        .cloned()
        .expect("mark");
    let new_version = new_mark.max_timestamp.expect("a row-version mark");
    assert!(
        new_version.value() > version.value(),
        "{new_version:?} after {version:?}"
    );
    assert!(is_sql_server_hex(new_version.text()), "{new_version:?}");
    assert_eq!(new_mark.run_id, second.run_id);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incremental_source_without_versions_warns_instead_of_staying_full_silently() {
    let mut sim_config = sim_config();
    sim_config.u8_tenants[0].customers = 1_000;
    // Every field but the key is left out, so no customer carries `timestamp` or `ModifyDate`.
    sim_config.messiness = MessinessConfig {
        missing_field_rate: 1.0,
        ..MessinessConfig::none()
    };
    let tenant = sim_config.u8_tenants[0].name.clone();
    let sim = custlake_simulator::start(sim_config.clone())
        .await
        .expect("simulator starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path();

    for round in 1..=2 {
        let manifest = run(&sim_config, &sim, out, "incremental").await;
        assert_eq!(
            fetched(&manifest, "yonyou_u8", "customers").1,
            1_000,
            "run {round} is a full export"
        );
        let warnings: Vec<&String> = manifest
            .warnings
            .iter()
            .filter(|w| w.contains("no high-water mark"))
            .collect();
        assert_eq!(warnings.len(), 1, "run {round}: {:?}", manifest.warnings);
        for part in [
            format!("yonyou_u8 {tenant}"),
            "`timestamp`".to_owned(),
            "`ModifyDate`".to_owned(),
            "1000 customers".to_owned(),
        ] {
            assert!(warnings[0].contains(&part), "{part:?} in {}", warnings[0]);
        }
        // The manifest on disk (what the run summary is printed from) carries it too.
        let path = out.join(format!("_manifests/{}.json", manifest.run_id));
        let on_disk: RunManifest =
            serde_json::from_slice(&std::fs::read(&path).expect("manifest file"))
                .expect("manifest JSON");
        assert!(
            on_disk.warnings.contains(warnings[0]),
            "{:?}",
            on_disk.warnings
        );
        assert!(
            catalog(out)
                .await
                .mark("yonyou_u8", &tenant, "customers")
                .is_none()
        );
        assert!(
            customer_queries(&sim)
                .iter()
                .all(|q| !q.contains_key("timestamp_begin") && !q.contains_key("ModifyDate_begin")),
            "run {round} sent a change filter without a mark"
        );
    }
    sim.shutdown().await;
}

/// An incremental run in which no customer changed, against a gateway whose `_begin` bounds are
/// exclusive: the change window matches nothing, which U8 answers `20002 未检索到匹配的[客户]`.
/// That is an empty increment, not a token failure: the run succeeds with one token call, the
/// mark stays exactly as it was, and the output still equals what the source serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incremental_run_in_which_nothing_changed_is_an_empty_increment() {
    let mut sim_config = sim_config();
    sim_config.u8_exclusive_begin_bounds = true;
    let tenant = sim_config.u8_tenants[0].name.clone();
    let sim = custlake_simulator::start(sim_config.clone())
        .await
        .expect("simulator starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path();

    run(&sim_config, &sim, out, "incremental").await;
    let mark = catalog(out)
        .await
        .mark("yonyou_u8", &tenant, "customers")
        .cloned()
        .expect("a high-water mark after the full run");
    let before = live_content(out);
    let tokens_before = sim.stats().u8_tokens_issued;

    let second = run(&sim_config, &sim, out, "incremental").await;
    assert_eq!(second.status, RunStatus::Succeeded, "{second:#?}");
    assert_eq!(fetched(&second, "yonyou_u8", "customers").1, 0);
    let u8_source = second
        .sources
        .iter()
        .find(|s| s.source == "yonyou_u8")
        .expect("U8 source reported");
    let customers = u8_source
        .entities
        .iter()
        .find(|e| e.entity == "customers")
        .expect("customers reported");
    assert_eq!(
        (customers.vendor_total, customers.missing),
        (Some(0), Some(0)),
        "{customers:?}"
    );
    assert!(second.warnings.is_empty(), "{:?}", second.warnings);
    assert_eq!(
        sim.stats().u8_tokens_issued - tokens_before,
        1,
        "one log-in, no renewal"
    );
    assert!(
        customer_queries(&sim)
            .iter()
            .any(|q| q.contains_key("timestamp_begin")),
        "the second run asked for a change window"
    );
    let after = catalog(out).await;
    assert_eq!(
        after.mark("yonyou_u8", &tenant, "customers"),
        Some(&mark),
        "the mark is unchanged"
    );
    assert_eq!(live_content(out), before, "the snapshot is untouched");
    let expected = served_customers(&sim, &tenant);
    assert_eq!(u8_customers(out, &tenant), expected);
    sim.shutdown().await;
}
