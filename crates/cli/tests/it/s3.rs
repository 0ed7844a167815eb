//! `custlake demo --out s3://...` against a real S3 API (moto on 127.0.0.1): the binary takes
//! the endpoint and credentials from the environment, and what it wrote, read back through the
//! catalog, equals the simulator's ground truth. Reported as ignored when moto is not
//! installed; under `CI=true` (`.ci/run`, which installs it) a missing server fails it.

// The moto launcher is shared with the pipeline's object-store tests (declared in main.rs).
use crate::moto;

use std::collections::BTreeMap;

use arrow::array::AsArray;
use assert_cmd::Command;
use custlake_pipeline::OutputLocation;
use custlake_pipeline::internals::object_store::ObjectStoreExt;
use custlake_pipeline::internals::{Catalog, MARKER_FILE};
use custlake_simulator::{Entity, SimConfig};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

const RECORDS: u64 = 300;

fn custlake(moto: &moto::Moto) -> Command {
    let mut cmd = Command::cargo_bin("custlake").expect("binary built");
    cmd.env_remove("CUSTLAKE_LOG").arg("--no-progress");
    for name in moto::Moto::FOREIGN_ENV {
        cmd.env_remove(name);
    }
    for (name, value) in moto.env() {
        cmd.env(name, value);
    }
    cmd
}

#[test]
#[cfg_attr(
    moto_missing,
    ignore = "moto not found: set MOTO_SERVER or VENV (see README, CI)"
)]
fn demo_to_s3_reads_back_as_ground_truth() {
    let moto = moto::Moto::start("demo_to_s3_reads_back_as_ground_truth");
    moto.create_bucket("demo");
    let url = "s3://demo/lake";
    let assert = custlake(&moto)
        .args(["demo", "--records", &RECORDS.to_string(), "--out", url])
        .assert()
        .success();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&assert.get_output().stdout),
        String::from_utf8_lossy(&assert.get_output().stderr)
    );
    assert!(printed.contains("Succeeded"), "{printed}");
    assert!(!printed.contains(moto::SECRET_KEY), "the secret key leaked");
    assert!(
        printed.contains("manifest: s3://demo/lake/_manifests/")
            && printed.contains("read_parquet('s3://demo/lake/customers/**/*.parquet'"),
        "the summary names the object store's manifest and files: {printed}"
    );

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (rows, truth) = runtime.block_on(async {
        let env = moto.env();
        let location = OutputLocation::parse_with_env(url, &|name| {
            env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
        })
        .expect("location");
        let OutputLocation::ObjectStore(store) = &location else {
            panic!("expected an object store");
        };
        let catalog = Catalog::load(&location).await.expect("catalog");
        let mut rows: BTreeMap<(String, String, String), BTreeMap<String, String>> =
            BTreeMap::new();
        for partition in &catalog.partitions {
            let marker = format!(
                "_markers/{}/{MARKER_FILE}",
                partition.target().relative_dir().display()
            );
            store
                .store
                .head(&store.key(&marker))
                .await
                .unwrap_or_else(|e| panic!("{marker}: {e}"));
            let key_column = match partition.dataset.as_str() {
                "customers" => "customer_id",
                "contacts" => "contact_id",
                _ => continue,
            };
            let entry = rows
                .entry((
                    partition.dataset.clone(),
                    partition.source.clone(),
                    partition.tenant.clone(),
                ))
                .or_default();
            for file in &partition.snapshot.files {
                let bytes = store
                    .store
                    .get(&store.key(&file.path))
                    .await
                    .expect("file")
                    .bytes()
                    .await
                    .expect("body");
                let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
                    .expect("parquet")
                    .build()
                    .expect("reader");
                for batch in reader {
                    let batch = batch.expect("batch");
                    let keys = batch.column_by_name(key_column).expect("key");
                    let keys = keys.as_string::<i32>();
                    let raw = batch.column_by_name("raw").expect("raw");
                    let raw = raw.as_string::<i32>();
                    for i in 0..batch.num_rows() {
                        entry.insert(keys.value(i).to_owned(), raw.value(i).to_owned());
                    }
                }
            }
        }
        // The demo's data is a pure function of its configuration: the same simulator here
        // serves the same records.
        let sim = custlake_simulator::start(SimConfig::demo(RECORDS))
            .await
            .expect("simulator starts");
        let truth = sim.ground_truth();
        sim.shutdown().await;
        (rows, truth)
    });

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
            let expected: BTreeMap<String, String> = set
                .records
                .iter()
                .filter_map(|r| {
                    r.key
                        .as_ref()
                        .map(|k| (k.trim().to_owned(), r.json.clone()))
                })
                .collect();
            assert_eq!(rows.get(&key), Some(&expected), "{key:?}");
            compared += expected.len();
        }
    }
    assert!(compared as u64 >= 3 * RECORDS);

    // Nothing to fold in a full-snapshot output; the command says so and succeeds.
    let assert = custlake(&moto)
        .args(["compact", "--out", url])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains("nothing to compact"), "{stdout}");
}
