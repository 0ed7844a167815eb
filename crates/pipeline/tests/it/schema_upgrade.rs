//! Outputs written by older custlake versions keep working:
//!
//! * schema version 1 (files that hold `source` and `tenant`): `custlake compact` folds a
//!   version-1 increment into a version-1 snapshot and writes today's layout, with the same rows
//!   a fresh full export had (`tests/fixtures/schema-v1/README.md`);
//! * an output whose incremental runs wrote increments beside the partitions (`_deltas/`, before
//!   every partition was kept current): `compact`, or simply the next incremental run, folds
//!   them in, after which the partitions hold what a full export holds and the increments are
//!   gone (`tests/fixtures/schema-v3-increments/README.md`).
//!
//! `--resume` never reads Parquet parts (it re-maps the raw pages it spooled), so what it reads
//! of an older output is the catalog, which compaction reads here too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use custlake_pipeline::internals::ContentHasher;
use custlake_pipeline::{CompactOptions, compact};
use custlake_schema::{Dataset, PARTITION_COLUMNS, SCHEMA_VERSION, dataset_batch_from_file};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::FileReader;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema-v1")
}

fn increments_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema-v3-increments")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

fn partition_value(dir: &Path, key: &str) -> String {
    let name = dir
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    name.strip_prefix(&format!("{key}="))
        .unwrap_or_else(|| panic!("{name} is not a {key}= folder"))
        .to_owned()
}

/// Per partition folder (`dataset/source=…/tenant=…`): the content hash of its rows, read as
/// today's batches whatever version wrote the files, and the schema versions of its files.
fn logical_content(out: &Path) -> BTreeMap<String, (String, Vec<String>)> {
    let mut content = BTreeMap::new();
    for dataset in Dataset::ALL {
        for source_dir in subdirs(&out.join(dataset.as_str())) {
            let source = partition_value(&source_dir, "source");
            for tenant_dir in subdirs(&source_dir) {
                let tenant = partition_value(&tenant_dir, "tenant");
                let mut hasher = ContentHasher::new(&dataset.schema()).expect("hasher");
                let mut versions = Vec::new();
                for file in std::fs::read_dir(&tenant_dir).expect("partition") {
                    let path = file.expect("file").path();
                    let builder = ParquetRecordBatchReaderBuilder::try_new(
                        std::fs::File::open(&path).expect("open"),
                    )
                    .expect("parquet");
                    versions.push(schema_version(&path));
                    for batch in builder.build().expect("reader") {
                        let batch = batch.expect("batch");
                        let batch = dataset_batch_from_file(dataset, &batch, &source, &tenant)
                            .expect("readable as today's schema");
                        hasher.update(&batch).expect("hash");
                    }
                }
                let key = format!("{dataset}/source={source}/tenant={tenant}");
                content.insert(key, (hasher.finish(), versions));
            }
        }
    }
    content
}

fn schema_version(path: &Path) -> String {
    let reader = parquet::file::serialized_reader::SerializedFileReader::new(
        std::fs::File::open(path).expect("open"),
    )
    .expect("parquet footer");
    reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .into_iter()
        .flatten()
        .find(|kv| kv.key == "custlake.schema_version")
        .and_then(|kv| kv.value.clone())
        .unwrap_or_default()
}

fn arrow_columns(path: &Path) -> Vec<String> {
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).expect("open"))
            .expect("parquet");
    builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compact_folds_a_version_1_output_into_todays_layout_with_the_same_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("output");
    copy_dir(&fixture().join("output"), &out);
    let before = logical_content(&out);
    assert!(
        before
            .values()
            .all(|(_, versions)| versions.iter().all(|v| v == "1")),
        "the fixture is version 1: {before:?}"
    );

    let report = compact(CompactOptions {
        format: custlake_pipeline::OutputFormat::Parquet,
        out: out.clone(),
        parquet: Default::default(),
        only: Vec::new(),
    })
    .await
    .expect("compaction of a version-1 output runs");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert!(
        !report.partitions.is_empty(),
        "the fixture has a delta to fold"
    );

    let after = logical_content(&out);
    let fresh = logical_content(&fixture().join("fresh"));
    assert_eq!(
        hashes(&after),
        hashes(&fresh),
        "compacted rows equal a full export's"
    );

    // The compacted partitions are written in today's layout: no partition columns in them.
    for partition in &report.partitions {
        // (A partition left without rows has no file at all.)
        let (_, versions) = &after[&partition.partition];
        assert!(
            versions.iter().all(|v| *v == SCHEMA_VERSION.to_string()),
            "{}: {versions:?}",
            partition.partition
        );
        let folder = out.join(&partition.partition);
        for file in std::fs::read_dir(&folder).expect("partition") {
            let columns = arrow_columns(&file.expect("file").path());
            for name in PARTITION_COLUMNS {
                assert!(
                    !columns.iter().any(|c| c == name),
                    "{}: {columns:?}",
                    partition.partition
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_reads_the_customers_of_a_version_1_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("output");
    copy_dir(&fixture().join("output"), &out);
    let report = custlake_pipeline::link(custlake_pipeline::LinkOptions::for_output(out.clone()))
        .await
        .expect("linking a version-1 output runs");
    // Every current customer of both sources was read: the snapshot with its delta folded in.
    let fresh = logical_content(&fixture().join("fresh"));
    assert!(fresh.contains_key("customers/source=yonyou_u8/tenant=u8_demo_a"));
    assert_eq!(report.summary.customers, 200 + 30, "{:?}", report.summary);
    for side in [
        "source=yonyou_u8/tenant=u8_demo_a",
        "source=yeastar_ycm/tenant=ycm_demo",
    ] {
        assert!(out.join("customer_links").join(side).is_dir(), "{side}");
    }
    assert!(
        out.join("_manifests")
            .join(format!("{}.json", report.run_id))
            .is_file()
    );

    // Compaction folds the delta and leaves the links, which already saw it, as they are.
    let links_of = |content: BTreeMap<String, (String, Vec<String>)>| {
        content
            .into_iter()
            .filter(|(k, _)| k.starts_with("customer_links"))
            .collect::<BTreeMap<_, _>>()
    };
    let links_before = links_of(logical_content(&out));
    let compacted = compact(CompactOptions {
        format: custlake_pipeline::OutputFormat::Parquet,
        out: out.clone(),
        parquet: Default::default(),
        only: Vec::new(),
    })
    .await
    .expect("compaction runs beside customer_links");
    assert!(!compacted.partitions.is_empty());
    assert!(
        compacted
            .partitions
            .iter()
            .all(|p| !p.partition.starts_with("customer_links")),
        "{compacted:?}"
    );
    assert_eq!(links_of(logical_content(&out)), links_before);
    assert_eq!(links_before.len(), 2);
}

/// The content hashes of `content`'s partitions.
fn hashes(content: &BTreeMap<String, (String, Vec<String>)>) -> BTreeMap<String, String> {
    content
        .iter()
        .map(|(k, (hash, _))| (k.clone(), hash.clone()))
        .collect()
}

/// Whether `out` still holds increments: a `_deltas` folder or catalog entries listing them.
fn holds_increments(out: &Path) -> bool {
    let catalog = std::fs::read_to_string(out.join("_current.json")).expect("catalog");
    out.join("_deltas").exists() || catalog.contains("\"deltas\"")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compact_folds_the_increments_an_older_output_holds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("output");
    copy_dir(&increments_fixture().join("output"), &out);
    assert!(holds_increments(&out), "the fixture holds an increment");

    let report = compact(CompactOptions {
        format: custlake_pipeline::OutputFormat::Parquet,
        out: out.clone(),
        parquet: Default::default(),
        only: Vec::new(),
    })
    .await
    .expect("compaction runs");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(
        report
            .partitions
            .iter()
            .map(|p| p.increments)
            .sum::<usize>(),
        2,
        "customers and rejects each had one: {report:?}"
    );
    assert!(!holds_increments(&out));
    let fresh = logical_content(&increments_fixture().join("fresh"));
    assert_eq!(hashes(&logical_content(&out)), hashes(&fresh));
}

/// A changed customer for the stub vendor of [`run_incremental_against_stub`] to serve.
const CHANGED: &str = r#"{"code":"00000001","name":"改名后的客户","timestamp":"9000000000000000000","ModifyDate":"2030-01-01 00:00:00"}"#;

/// A customer the fixtures do not hold, for the stub vendor to serve.
const ADDED: &str = r#"{"code":"99999999","name":"新增的客户","timestamp":"9000000000000000001","ModifyDate":"2030-01-01 00:00:00"}"#;

/// Runs an incremental export of `u8_demo_a` (customers only) into `out` against a vendor that
/// now serves `record` as its only change since the mark; the run must succeed.
async fn run_incremental_against_stub(out: &Path, record: &'static str) {
    use crate::bad_input::{json_response, page_body, start_stub};
    let page: crate::bad_input::PageFn = std::sync::Arc::new(move |_| {
        json_response(page_body(&[record.to_owned()], "\"1\"", "\"1\""))
    });
    let (url, server) = start_stub(page).await;
    let text = format!(
        "[output]\npath = {out:?}\n[[sources]]\nname = \"u8_demo_a\"\nkind = \"yonyou_u8\"\n\
         mode = \"incremental\"\nbase_url = {url:?}\nfrom_account = \"f\"\nto_account = \"t\"\n\
         app_key = \"k\"\napp_secret = \"stub-secret-value\"\nentities = [\"customers\"]\n",
        out = out.display().to_string()
    );
    let config: custlake_pipeline::ExportConfig = toml::from_str(&text).expect("config");
    let options = custlake_pipeline::ExportOptions {
        out: out.to_path_buf(),
        format: custlake_pipeline::OutputFormat::Parquet,
        include_raw: true,
        parquet: Default::default(),
        checkpoints: true,
        resume: false,
        history: false,
        links: None,
    };
    let sources = config.validate().expect("valid");
    let manifest = custlake_pipeline::export(
        sources,
        options,
        std::sync::Arc::new(custlake_pipeline::NoProgress),
    )
    .await
    .expect("the run runs");
    server.abort();
    assert_eq!(
        manifest.status,
        custlake_pipeline::RunStatus::Succeeded,
        "{manifest:#?}"
    );
}

/// customer_id → raw JSON of the `u8_demo_a` customers partition under `root`, whatever
/// schema version wrote its files; a key twice fails.
fn u8_customers(root: &Path) -> BTreeMap<String, String> {
    crate::incremental::u8_customers(root, "u8_demo_a")
}

/// The next incremental run after an upgrade folds the older output's increments into the
/// partitions it publishes: a vendor that now serves one more changed customer leaves the
/// customers partition holding the full export's rows with that one replaced, and nothing
/// under `_deltas/`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_incremental_run_folds_the_increments_an_older_output_holds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("output");
    copy_dir(&increments_fixture().join("output"), &out);
    run_incremental_against_stub(&out, CHANGED).await;
    assert!(!holds_increments(&out));
    let mut expected = u8_customers(&increments_fixture().join("fresh"));
    assert!(expected.contains_key("00000001"));
    expected.insert("00000001".to_owned(), CHANGED.to_owned());
    assert_eq!(u8_customers(&out), expected);
}

/// An upsert into a partition whose files an older schema version wrote (version 1: files
/// that hold the partition columns) rewrites those files too, although none of their rows
/// changed (the vendor only added a customer): a partition never mixes two layouts, which
/// readers cannot combine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upsert_into_version_1_files_rewrites_them_in_todays_layout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("output");
    copy_dir(&fixture().join("output"), &out);
    // Only the version-1 snapshot, with its mark: no increment to fold.
    std::fs::remove_dir_all(out.join("_deltas")).expect("remove the increment");
    let catalog_path = out.join("_current.json");
    let mut catalog: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&catalog_path).expect("catalog")).expect("json");
    for partition in catalog["partitions"].as_array_mut().expect("partitions") {
        if let Some(object) = partition.as_object_mut() {
            object.remove("deltas");
        }
    }
    std::fs::write(&catalog_path, catalog.to_string()).expect("write catalog");
    let mut expected = u8_customers(&out);
    assert!(!expected.contains_key("99999999"));

    run_incremental_against_stub(&out, ADDED).await;
    expected.insert("99999999".to_owned(), ADDED.to_owned());
    assert_eq!(u8_customers(&out), expected);
    let folder = out.join("customers/source=yonyou_u8/tenant=u8_demo_a");
    for file in std::fs::read_dir(&folder).expect("partition") {
        let path = file.expect("file").path();
        assert_eq!(
            schema_version(&path),
            SCHEMA_VERSION.to_string(),
            "{}",
            path.display()
        );
        let columns = arrow_columns(&path);
        for name in PARTITION_COLUMNS {
            assert!(
                !columns.iter().any(|c| c == name),
                "{}: {columns:?}",
                path.display()
            );
        }
    }
}
