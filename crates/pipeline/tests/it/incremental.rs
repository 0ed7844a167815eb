//! Incremental exports against the simulator, in a local folder: a full export, 1% of the U8
//! customers edited at the source, an incremental export that fetches only those (≤ 2% of the
//! customer pages), and `compact` output that equals a fresh full export; YCM and the unchanged
//! contacts keep their files by content hash.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use arrow::array::AsArray;
use custlake_pipeline::catalog::{CATALOG_FILE, Catalog};
use custlake_pipeline::compact::{CompactOptions, compact};
use custlake_pipeline::sinks::content_hash::ContentHasher;
use custlake_pipeline::{
    ExportConfig, ExportOptions, NoProgress, OutputLocation, RunManifest, RunStatus, export,
};
use custlake_simulator::{
    Entity, MessinessConfig, SimConfig, SimHandle, U8TenantConfig, YcmClientConfig,
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
        include_raw: true,
        parquet: config.output.parquet.clone(),
        checkpoints: false,
        resume: false,
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

/// customer_id → raw JSON of the live U8 customers partition.
fn u8_customers(out: &Path, tenant: &str) -> BTreeMap<String, String> {
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

async fn catalog(out: &Path) -> Catalog {
    Catalog::load(&OutputLocation::Local(out.to_path_buf()))
        .await
        .expect("catalog loads")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_fetches_only_changes_and_compact_equals_a_full_export() {
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
    let before = live_content(out);

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
    // The snapshot is untouched; the delta sits beside it; unchanged partitions kept their files.
    assert_eq!(live_content(out), before);
    assert!(
        out.join("_deltas")
            .join(format!("run_id={}", second.run_id))
            .is_dir()
    );
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
    let after_delta = catalog(out).await;
    let customers = after_delta
        .partitions
        .iter()
        .find(|p| p.dataset == "customers" && p.source == "yonyou_u8")
        .expect("customers partition");
    assert_eq!(customers.deltas.len(), 1);
    let contacts = after_delta
        .partitions
        .iter()
        .find(|p| p.dataset == "contacts" && p.source == "yonyou_u8")
        .expect("contacts partition");
    assert!(
        contacts.deltas.is_empty(),
        "unchanged contacts add no delta"
    );
    let new_mark = after_delta
        .mark("yonyou_u8", &tenant, "customers")
        .expect("mark");
    assert!(new_mark.max_timestamp > mark.max_timestamp);

    // 4. Compaction folds the delta in; the result equals a fresh full export.
    let report = compact(CompactOptions {
        out: out.to_path_buf(),
        parquet: Default::default(),
        only: Vec::new(),
    })
    .await
    .expect("compaction runs");
    assert_eq!(report.partitions.len(), 3, "{report:?}");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert!(!out.join("_deltas").exists(), "consumed deltas are deleted");
    assert!(
        catalog(out)
            .await
            .partitions
            .iter()
            .all(|p| p.deltas.is_empty())
    );

    let fresh = tempfile::tempdir().expect("tempdir");
    run(&sim_config, &sim, fresh.path(), "full").await;
    assert_eq!(live_content(out), live_content(fresh.path()));

    // And it is what the source serves now, edited records included.
    let truth = sim.entity_set(&tenant, Entity::U8Customers).expect("truth");
    let expected: BTreeMap<String, String> = truth
        .records
        .iter()
        .filter_map(|r| {
            r.key
                .as_ref()
                .map(|k| (k.trim().to_owned(), r.json.clone()))
        })
        .collect();
    let got = u8_customers(out, &tenant);
    assert_eq!(
        got.keys().collect::<BTreeSet<_>>(),
        expected.keys().collect::<BTreeSet<_>>()
    );
    assert_eq!(got, expected);
    assert!(out.join(CATALOG_FILE).is_file());

    // 5. Nothing changed since: the next incremental run re-reads only the boundary record of
    // its inclusive filter and commits nothing.
    let third = run(&sim_config, &sim, out, "incremental").await;
    let (_, records) = fetched(&third, "yonyou_u8", "customers");
    assert!(
        records <= 1,
        "only the boundary record comes again: {records}"
    );
    assert!(third.files.is_empty(), "{:?}", third.files);
    assert!(
        catalog(out)
            .await
            .partitions
            .iter()
            .all(|p| p.deltas.is_empty())
    );
    assert!(!out.join("_deltas").exists());
    sim.shutdown().await;
}
