//! Object-store output against a real S3 API (moto on 127.0.0.1, see `moto/mod.rs`): the export
//! read back through the catalog equals the simulator's ground truth, an unchanged run uploads
//! nothing, a failed source never changes what the catalog points to, large files stream as
//! multipart uploads, and incremental runs upsert to what a full export writes. The moto
//! tests are ignored where moto is not installed (failed under CI); the export → commit path
//! also runs against object_store's in-memory store, which needs nothing installed.

use crate::moto;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{Array, ArrayRef, AsArray, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use custlake_pipeline::internals::ContentHasher;
use custlake_pipeline::internals::ObjectStoreOutput;
use custlake_pipeline::internals::{CATALOG_FILE, Catalog, MARKER_FILE};
use custlake_pipeline::internals::{ParquetSinkConfig, PartitionTarget};
use custlake_pipeline::internals::{PartitionPlace, PartitionWriter};
use custlake_pipeline::{CompactOptions, LinkOptions, compact_at, link_at};
use custlake_pipeline::{
    ExportConfig, ExportOptions, NoProgress, OutputLocation, RunManifest, RunStatus, export_to,
};
use custlake_simulator::{Entity, GroundTruth, MessinessConfig, SimConfig, SimHandle};
use futures::TryStreamExt;
use moto::Moto;
use object_store::ObjectStoreExt;
use object_store::memory::InMemory;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn location(moto: &Moto, url: &str) -> OutputLocation {
    let env = moto.env();
    OutputLocation::parse_with_env(url, &|name| {
        env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
    })
    .expect("valid s3 location")
}

fn store(location: &OutputLocation) -> ObjectStoreOutput {
    match location {
        OutputLocation::ObjectStore(output) => output.clone(),
        OutputLocation::Local(_) => panic!("expected an object store"),
    }
}

fn config_toml(sim: &SimConfig, base_url: &str, mode: &str, bad_u8_secret: bool) -> String {
    let mut text = String::from("[output]\npath = \"unused\"\n");
    for t in &sim.u8_tenants {
        let secret = if bad_u8_secret {
            "wrong"
        } else {
            &t.app_secret
        };
        let ds = t
            .ds_sequence
            .map(|ds| format!("ds_sequence = {ds}\n"))
            .unwrap_or_default();
        text.push_str(&format!(
            "[[sources]]\nname = {:?}\nkind = \"yonyou_u8\"\nmode = {mode:?}\nbase_url = {base_url:?}\n\
             from_account = {:?}\nto_account = {:?}\n{ds}app_key = {:?}\napp_secret = {secret:?}\n\
             page_size = 100\nconcurrency = 4\nrequests_per_second = 5000\n",
            t.name, t.from_account, t.to_account, t.app_key
        ));
    }
    for c in &sim.ycm_clients {
        text.push_str(&format!(
            "[[sources]]\nname = {:?}\nkind = \"yeastar_ycm\"\nbase_url = {base_url:?}\n\
             client_id = {:?}\nclient_secret = {:?}\nconcurrency = 4\nrequests_per_second = 5000\n",
            c.name, c.client_id, c.client_secret
        ));
    }
    text
}

async fn run(
    sim_config: &SimConfig,
    sim: &SimHandle,
    location: &OutputLocation,
    mode: &str,
    bad_u8_secret: bool,
) -> RunManifest {
    try_run(sim_config, sim, location, mode, bad_u8_secret)
        .await
        .expect("export runs")
}

/// [`run`], returning the run's error instead of failing the test.
async fn try_run(
    sim_config: &SimConfig,
    sim: &SimHandle,
    location: &OutputLocation,
    mode: &str,
    bad_u8_secret: bool,
) -> Result<RunManifest, custlake_pipeline::ExportError> {
    let text = config_toml(sim_config, &sim.base_url(), mode, bad_u8_secret);
    let config: ExportConfig = toml::from_str(&text).expect("test config parses");
    let sources = config.validate().expect("test config is valid");
    let options = ExportOptions {
        out: "unused".into(),
        format: custlake_pipeline::OutputFormat::Parquet,
        include_raw: true,
        parquet: config.output.parquet.clone(),
        checkpoints: true,
        resume: false,
        history: false,
        links: None,
    };
    export_to(sources, options, location.clone(), Arc::new(NoProgress)).await
}

async fn catalog(location: &OutputLocation) -> Catalog {
    Catalog::load(location).await.expect("catalog loads")
}

async fn read_parquet(output: &ObjectStoreOutput, relative: &str) -> Vec<RecordBatch> {
    let bytes = output
        .store
        .get(&output.key(relative))
        .await
        .unwrap_or_else(|e| panic!("{relative}: {e}"))
        .bytes()
        .await
        .expect("object body");
    ParquetRecordBatchReaderBuilder::try_new(bytes)
        .expect("parquet")
        .build()
        .expect("reader")
        .map(|b| b.expect("batch"))
        .collect()
}

/// (dataset, source, tenant) → key → raw JSON, read through the catalog's file lists.
async fn read_through_catalog(
    location: &OutputLocation,
) -> BTreeMap<(String, String, String), BTreeMap<String, String>> {
    let output = store(location);
    let mut result = BTreeMap::new();
    for partition in catalog(location).await.partitions {
        let key_column = match partition.dataset.as_str() {
            "customers" => "customer_id",
            "contacts" => "contact_id",
            _ => continue,
        };
        let rows: &mut BTreeMap<String, String> = result
            .entry((
                partition.dataset.clone(),
                partition.source.clone(),
                partition.tenant.clone(),
            ))
            .or_default();
        for file in &partition.snapshot.files {
            for batch in read_parquet(&output, &file.path).await {
                let keys = batch.column_by_name(key_column).expect("key column");
                let keys = keys.as_string::<i32>();
                let raw = batch.column_by_name("raw").expect("raw column");
                let raw = raw.as_string::<i32>();
                for i in 0..batch.num_rows() {
                    let old = rows.insert(keys.value(i).to_owned(), raw.value(i).to_owned());
                    assert!(old.is_none(), "duplicate key {}", keys.value(i));
                }
            }
        }
    }
    result
}

fn assert_equals_ground_truth(
    truth: &GroundTruth,
    got: &BTreeMap<(String, String, String), BTreeMap<String, String>>,
) {
    let cases = [
        ("customers", "yonyou_u8", Entity::U8Customers),
        ("contacts", "yonyou_u8", Entity::U8Contacts),
        ("customers", "yeastar_ycm", Entity::YcmCustomers),
        ("contacts", "yeastar_ycm", Entity::YcmCustomers),
    ];
    let mut compared = 0;
    for set in &truth.sets {
        for (dataset, source, entity) in cases {
            if set.entity != entity {
                continue;
            }
            let key = (dataset.to_owned(), source.to_owned(), set.tenant.clone());
            let rows = got
                .get(&key)
                .unwrap_or_else(|| panic!("no {key:?} in the catalog"));
            let expected: BTreeMap<String, String> = set
                .records
                .iter()
                .filter_map(|r| {
                    r.key
                        .as_ref()
                        .map(|k| (k.trim().to_owned(), r.json.clone()))
                })
                .collect();
            assert_eq!(rows, &expected, "{key:?}");
            compared += rows.len();
        }
    }
    assert!(compared > 0);
}

async fn all_keys(output: &ObjectStoreOutput) -> BTreeSet<String> {
    output
        .store
        .list(Some(&output.prefix))
        .map_ok(|meta| meta.location.to_string())
        .try_collect()
        .await
        .expect("list")
}

/// Per partition of the catalog: content hash and rows of its snapshot files.
async fn content_of(location: &OutputLocation) -> BTreeMap<String, (String, u64)> {
    let output = store(location);
    let mut result = BTreeMap::new();
    for partition in catalog(location).await.partitions {
        let mut hasher: Option<ContentHasher> = None;
        let mut rows = 0;
        for file in &partition.snapshot.files {
            for batch in read_parquet(&output, &file.path).await {
                let h = hasher
                    .get_or_insert_with(|| ContentHasher::new(&batch.schema()).expect("hashable"));
                h.update(&batch).expect("hash");
                rows += batch.num_rows() as u64;
            }
        }
        let hash = hasher.map(|h| h.finish()).unwrap_or_default();
        result.insert(partition.target().to_string(), (hash, rows));
    }
    result
}

/// An output on a fresh in-memory store. The URL only names the output in messages and its
/// local work folder (lock, staging), so it is unique per store.
fn in_memory_location(prefix: &str) -> OutputLocation {
    let url = format!("memory://{}/{prefix}", uuid::Uuid::now_v7());
    OutputLocation::ObjectStore(ObjectStoreOutput::new(
        Arc::new(InMemory::new()),
        prefix,
        url,
    ))
}

/// The commit protocol of object stores without moto: export from the simulator into an
/// in-memory store, then check `_current.json` and every file it names against the ground
/// truth; a second, unchanged run commits nothing new.
/// Two exports into one Parquet output on an object store at once: the catalog is only
/// written over the version a run read (a conditional PUT), so one run commits and the other
/// fails naming the reason (or, had they not overlapped, both land). Either way no manifest
/// lists a file that is gone, and every file the catalog lists exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_exports_into_one_object_store_output_never_leave_a_listed_file_missing() {
    let location = in_memory_location("lake");
    let output = store(&location);
    let sim_config = SimConfig::demo(300);
    let sim = custlake_simulator::start(sim_config.clone())
        .await
        .expect("simulator starts");
    let (a, b) = tokio::join!(
        try_run(&sim_config, &sim, &location, "full", false),
        try_run(&sim_config, &sim, &location, "full", false),
    );
    let results = [a, b];
    let landed: Vec<bool> = results.iter().map(Result::is_ok).collect();
    println!("runs that landed: {landed:?}");
    assert!(landed.contains(&true), "{results:?}");
    for result in &results {
        if let Err(error) = result {
            let message = error.to_string();
            assert!(
                message.contains("another custlake run committed this output"),
                "{message}"
            );
        }
    }
    let keys = all_keys(&output).await;
    for manifest in results.iter().flatten() {
        for file in &manifest.files {
            assert!(
                keys.contains(&format!("lake/{}", file.path)),
                "{}",
                file.path
            );
        }
    }
    for partition in catalog(&location).await.partitions {
        for file in &partition.snapshot.files {
            assert!(
                keys.contains(&format!("lake/{}", file.path)),
                "{}",
                file.path
            );
        }
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_export_commits_through_the_catalog() {
    let location = in_memory_location("lake");
    let output = store(&location);
    let sim_config = SimConfig::demo(300);
    let sim = custlake_simulator::start(sim_config.clone())
        .await
        .expect("simulator starts");

    let first = run(&sim_config, &sim, &location, "full", false).await;
    assert_eq!(first.status, RunStatus::Succeeded, "{first:#?}");
    let keys = all_keys(&output).await;
    assert!(keys.contains(&format!("lake/{CATALOG_FILE}")), "{keys:?}");
    assert!(keys.contains(&format!("lake/_manifests/{}.json", first.run_id)));
    let committed = catalog(&location).await;
    assert_eq!(committed.updated_by_run, first.run_id);
    let sources = sim_config.u8_tenants.len() + sim_config.ycm_clients.len();
    assert_eq!(
        committed.partitions.len(),
        3 * sources,
        "3 datasets × {sources} sources (one of them an empty contacts listing)"
    );
    let truth = sim.ground_truth();
    for partition in &committed.partitions {
        assert!(!partition.snapshot.files.is_empty() || partition.snapshot.rows == 0);
        let mut rows = 0;
        for file in &partition.snapshot.files {
            assert!(
                keys.contains(&format!("lake/{}", file.path)),
                "{}",
                file.path
            );
            let read: u64 = read_parquet(&output, &file.path)
                .await
                .iter()
                .map(|b| b.num_rows() as u64)
                .sum();
            assert_eq!(read, file.rows, "{}: rows as the catalog says", file.path);
            rows += read;
        }
        assert_eq!(rows, partition.snapshot.rows, "{:?}", partition.target());
    }
    let served = |dataset: &str, source: &str| -> u64 {
        committed
            .partitions
            .iter()
            .filter(|p| p.dataset == dataset && p.source == source)
            .map(|p| p.snapshot.rows)
            .sum()
    };
    let keyed = |entity: Entity| -> u64 {
        truth
            .sets
            .iter()
            .filter(|s| s.entity == entity)
            .flat_map(|s| &s.records)
            .filter(|r| r.key.is_some())
            .count() as u64
    };
    assert_eq!(served("customers", "yonyou_u8"), keyed(Entity::U8Customers));
    assert_eq!(served("contacts", "yonyou_u8"), keyed(Entity::U8Contacts));
    assert_eq!(
        served("customers", "yeastar_ycm"),
        keyed(Entity::YcmCustomers)
    );
    assert_equals_ground_truth(&truth, &read_through_catalog(&location).await);

    // Same data again: nothing uploaded, the catalog unchanged, only a manifest added.
    let second = run(&sim_config, &sim, &location, "full", false).await;
    assert_eq!(second.status, RunStatus::Succeeded, "{second:#?}");
    assert_eq!(
        second.unchanged.len(),
        3 * sources,
        "{:?}",
        second.unchanged
    );
    assert!(second.files.is_empty(), "{:?}", second.files);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = all_keys(&output).await;
        let added: Vec<&String> = now.difference(&keys).collect();
        let removed: Vec<&String> = keys.difference(&now).collect();
        let manifest = format!("lake/_manifests/{}.json", second.run_id);
        if removed.is_empty() && added == vec![&manifest] {
            break;
        }
        // Discarded uploads of the unchanged run are deleted in the background.
        assert!(
            Instant::now() < deadline,
            "the unchanged run changed the store: added {added:?}, removed {removed:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(catalog(&location).await.partitions, committed.partitions);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    moto_missing,
    ignore = "moto not found: set MOTO_SERVER or VENV (see README, CI)"
)]
async fn s3_export_equals_ground_truth_and_commits_atomically() {
    let moto = Moto::start("s3_export_equals_ground_truth_and_commits_atomically");
    moto.create_bucket("lake");
    let location = location(&moto, "s3://lake/custlake/demo");
    let output = store(&location);
    let sim_config = SimConfig::demo(300);
    let sim = custlake_simulator::start(sim_config.clone())
        .await
        .expect("simulator starts");

    let first = run(&sim_config, &sim, &location, "full", false).await;
    assert_eq!(first.status, RunStatus::Succeeded, "{first:#?}");
    assert!(first.warnings.is_empty(), "{:?}", first.warnings);
    assert_equals_ground_truth(&sim.ground_truth(), &read_through_catalog(&location).await);
    let keys = all_keys(&output).await;
    assert!(keys.contains(&format!("custlake/demo/_manifests/{}.json", first.run_id)));
    assert!(keys.contains(&format!("custlake/demo/{CATALOG_FILE}")));
    let committed = catalog(&location).await;
    let sources = sim_config.u8_tenants.len() + sim_config.ycm_clients.len();
    assert_eq!(
        committed.partitions.len(),
        3 * sources,
        "3 datasets × {sources} sources (one of them an empty contacts listing)"
    );
    for partition in &committed.partitions {
        let dir = partition.target().relative_dir().display().to_string();
        let marker = format!("custlake/demo/_markers/{dir}/{MARKER_FILE}");
        assert!(keys.contains(&marker), "{marker}");
        // Data folders hold data files only: readers list them.
        let prefix = format!("custlake/demo/{dir}/");
        let strays: Vec<_> = keys
            .iter()
            .filter(|k| k.starts_with(&prefix) && !k.ends_with(".parquet"))
            .collect();
        assert!(strays.is_empty(), "non-data files in {dir}: {strays:?}");
        for file in &partition.snapshot.files {
            assert!(keys.contains(&format!("custlake/demo/{}", file.path)));
        }
    }

    // Same data again: every partition is unchanged, nothing is uploaded.
    let second = run(&sim_config, &sim, &location, "full", false).await;
    assert_eq!(second.status, RunStatus::Succeeded);
    assert_eq!(
        second.unchanged.len(),
        3 * sources,
        "{:?}",
        second.unchanged
    );
    assert!(second.files.is_empty());
    let deadline = Instant::now() + Duration::from_secs(10);
    while all_keys(&output).await.len() != keys.len() + 1 {
        // + the second run's manifest; discarded uploads are deleted in the background.
        assert!(
            Instant::now() < deadline,
            "uploads of the unchanged run linger"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(catalog(&location).await.partitions, committed.partitions);

    // The U8 sources fail (wrong secret) after the data changed: the catalog still points at the
    // first run's U8 files, all of which are still there; YCM commits.
    sim.change_u8_customers("u8_demo_a", 5);
    let third = run(&sim_config, &sim, &location, "full", true).await;
    assert_eq!(third.status, RunStatus::Partial, "{third:#?}");
    let after = catalog(&location).await;
    let u8 = |c: &Catalog| {
        c.partitions
            .iter()
            .filter(|p| p.source == "yonyou_u8")
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(u8(&after), u8(&committed));
    let keys = all_keys(&output).await;
    for file in after.partitions.iter().flat_map(|p| &p.snapshot.files) {
        assert!(keys.contains(&format!("custlake/demo/{}", file.path)));
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    moto_missing,
    ignore = "moto not found: set MOTO_SERVER or VENV (see README, CI)"
)]
async fn large_files_stream_as_multipart_uploads() {
    let moto = Moto::start("large_files_stream_as_multipart_uploads");
    moto.create_bucket("big");
    let location = location(&moto, "s3://big/p");
    let output = store(&location);
    // Nearly incompressible rows: ~9 MiB of Parquet, above the 8 MiB single-PUT threshold, so
    // uploaded in 5 MiB parts as row groups close.
    let schema = Arc::new(Schema::new(vec![Field::new("blob", DataType::Utf8, false)]));
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let batches: Vec<RecordBatch> = (0..12)
        .map(|_| {
            let rows: Vec<String> = (0..1024)
                .map(|_| {
                    (0..1024)
                        .map(|_| char::from(ALPHABET[(next() % 64) as usize]))
                        .collect()
                })
                .collect();
            let column: ArrayRef = Arc::new(StringArray::from(rows));
            RecordBatch::try_new(schema.clone(), vec![column]).expect("batch")
        })
        .collect();
    let config = ParquetSinkConfig {
        max_row_group_bytes: 2 << 20,
        ..ParquetSinkConfig::default()
    };
    let target = PartitionTarget::new("blobs", "test", "t");
    let place = PartitionPlace::snapshot(target, "r1");
    let writer_location = location.clone();
    let written = batches.clone();
    let staged = tokio::task::spawn_blocking(move || {
        let mut writer =
            PartitionWriter::create(&writer_location, place, schema, Vec::new(), &config)?;
        for batch in &written {
            writer.write(batch)?;
        }
        writer.finish()
    })
    .await
    .expect("writer thread")
    .expect("written");
    let committed = staged.commit(None).expect("committed");
    assert_eq!(committed.content.files.len(), 1);
    let file = &committed.content.files[0];
    assert!(
        file.bytes > 8 << 20,
        "above the single-PUT threshold: {} bytes",
        file.bytes
    );
    let meta = output
        .store
        .head(&output.key(&file.path))
        .await
        .expect("uploaded");
    assert_eq!(meta.size, file.bytes);
    // S3 gives multipart objects an ETag of "<md5>-<parts>".
    let etag = meta.e_tag.unwrap_or_default();
    assert!(
        etag.trim_matches('"')
            .rsplit_once('-')
            .is_some_and(|(_, parts)| parts.parse::<u32>().is_ok_and(|n| n >= 2)),
        "not a multipart upload: ETag {etag}"
    );
    let read = read_parquet(&output, &file.path).await;
    let rows: usize = read.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 12 * 1024);
    let first = read[0].column(0).as_string::<i32>();
    assert_eq!(
        first.value(0),
        batches[0].column(0).as_string::<i32>().value(0)
    );
    assert!(!first.is_null(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    moto_missing,
    ignore = "moto not found: set MOTO_SERVER or VENV (see README, CI)"
)]
async fn s3_incremental_runs_upsert_to_what_a_full_export_holds() {
    let moto = Moto::start("s3_incremental_runs_upsert_to_what_a_full_export_holds");
    moto.create_bucket("inc");
    let incremental = location(&moto, "s3://inc/incremental");
    let fresh = location(&moto, "s3://inc/full");
    let mut sim_config = SimConfig::demo(2_000);
    sim_config.ycm_clients[0].customers = 200;
    sim_config.messiness = MessinessConfig::mild();
    let sim = custlake_simulator::start(sim_config.clone())
        .await
        .expect("simulator starts");

    let first = run(&sim_config, &sim, &incremental, "incremental", false).await;
    assert_eq!(first.status, RunStatus::Succeeded, "{first:#?}");
    for tenant in ["u8_demo_a", "u8_demo_b"] {
        sim.change_u8_customers(tenant, 20);
    }
    let second = run(&sim_config, &sim, &incremental, "incremental", false).await;
    assert_eq!(second.status, RunStatus::Succeeded, "{second:#?}");
    let customers_fetched: u64 = second
        .sources
        .iter()
        .filter(|s| s.source == "yonyou_u8")
        .flat_map(|s| &s.entities)
        .filter(|e| e.entity == "customers")
        .map(|e| e.records_fetched)
        .sum();
    // 20 changes per edited tenant plus the boundary record of each tenant's inclusive filter.
    let bound = 2 * 20 + sim_config.u8_tenants.len() as u64;
    assert!(customers_fetched <= bound, "{customers_fetched} > {bound}");
    // The changed customers were upserted: every partition holds its current state, with no
    // increments beside it, and compaction has nothing left to do.
    let upserted = catalog(&incremental).await;
    assert!(
        upserted
            .partitions
            .iter()
            .all(|p| p.legacy.increments.is_empty())
    );
    let keys = all_keys(&store(&incremental)).await;
    assert!(!keys.iter().any(|k| k.contains("_deltas/")), "{keys:?}");
    let options = CompactOptions {
        format: custlake_pipeline::OutputFormat::Parquet,
        out: "unused".into(),
        parquet: ParquetSinkConfig::default(),
        only: Vec::new(),
    };
    let report = compact_at(incremental.clone(), options)
        .await
        .expect("compaction runs");
    assert!(report.partitions.is_empty(), "{report:?}");

    let full = run(&sim_config, &sim, &fresh, "full", false).await;
    assert_eq!(full.status, RunStatus::Succeeded);
    assert_eq!(content_of(&incremental).await, content_of(&fresh).await);
    sim.shutdown().await;
}

/// `custlake link` on an object-store output: the links land beside the datasets, through the
/// catalog, with the same rows as on a local folder; an unchanged second run publishes nothing.
async fn links_on(location: OutputLocation) {
    let sim_config = SimConfig::demo(1_000);
    let sim = custlake_simulator::start(sim_config.clone())
        .await
        .expect("simulator starts");
    let first = run(&sim_config, &sim, &location, "full", false).await;
    assert_eq!(first.status, RunStatus::Succeeded, "{first:#?}");
    let options = LinkOptions::for_output("unused".into());
    let linked = link_at(location.clone(), options.clone())
        .await
        .expect("linking runs");
    let links: u64 = linked.summary.links.values().sum();
    assert!(links > 100, "{:?}", linked.summary);
    let committed = catalog(&location).await;
    let link_rows: u64 = committed
        .partitions
        .iter()
        .filter(|p| p.dataset == "customer_links")
        .map(|p| p.snapshot.rows)
        .sum();
    assert_eq!(link_rows, links, "the catalog holds every link");
    let output = store(&location);
    for partition in committed
        .partitions
        .iter()
        .filter(|p| p.dataset == "customer_links")
    {
        for file in &partition.snapshot.files {
            let rows: u64 = read_parquet(&output, &file.path)
                .await
                .iter()
                .map(|b| b.num_rows() as u64)
                .sum();
            assert_eq!(rows, file.rows, "{}", file.path);
        }
    }
    // The same customers linked in a local folder give the same links.
    let local = tempfile::tempdir().expect("tempdir");
    let local_location = OutputLocation::Local(local.path().to_path_buf());
    run(&sim_config, &sim, &local_location, "full", false).await;
    let local_links = link_at(local_location, options.clone())
        .await
        .expect("local link");
    assert_eq!(local_links.summary.links, linked.summary.links);
    // Nothing changed: nothing is published.
    let again = link_at(location.clone(), options)
        .await
        .expect("second link");
    assert_eq!(again.summary.links, linked.summary.links);
    assert_eq!(catalog(&location).await.partitions, committed.partitions);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_link_commits_through_the_catalog() {
    links_on(in_memory_location("lake")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    moto_missing,
    ignore = "moto not found: set MOTO_SERVER or VENV (see README, CI)"
)]
async fn s3_link_commits_through_the_catalog() {
    let moto = Moto::start("s3_link_commits_through_the_catalog");
    moto.create_bucket("links");
    links_on(location(&moto, "s3://links/lake")).await;
}
