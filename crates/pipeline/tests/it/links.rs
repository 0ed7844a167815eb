//! `customer_links` against the simulator's ground truth: the simulator makes a share of its
//! YCM customers (and a few U8 customers of a second tenant) the same companies as U8 customers,
//! and a share of a second YCM client's customers copies of the first's, with phone numbers,
//! e-mail addresses and names written differently, and says which pairs those are. Exact keys (phone, mobile, email) must link with precision 1.0 and recall ≥ 0.99,
//! names with precision ≥ 0.95. The figures are printed (BENCHMARKS.md quotes them).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, AsArray};
use custlake_pipeline::{
    ExportConfig, ExportOptions, LinkSettings, NoProgress, RunManifest, RunStatus, export,
};
use custlake_simulator::{GroundTruthLink, MessinessConfig, SimConfig, YcmClientConfig};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// (left source, left tenant, left id, right source, right tenant, right id).
type Pair = (String, String, String, String, String, String);

fn config_toml(sim: &SimConfig, base_url: &str, out: &Path) -> String {
    let mut text = format!("[output]\npath = {:?}\n", out.display().to_string());
    for t in &sim.u8_tenants {
        text.push_str(&format!(
            "[[sources]]\nname = {:?}\nkind = \"yonyou_u8\"\nbase_url = {base_url:?}\n\
             from_account = {:?}\nto_account = {:?}\napp_key = {:?}\napp_secret = {:?}\n\
             entities = [\"customers\"]\npage_size = 500\nconcurrency = 8\n\
             requests_per_second = 5000\n",
            t.name, t.from_account, t.to_account, t.app_key, t.app_secret
        ));
        if let Some(ds) = t.ds_sequence {
            text.push_str(&format!("ds_sequence = {ds}\n"));
        }
    }
    for c in &sim.ycm_clients {
        text.push_str(&format!(
            "[[sources]]\nname = {:?}\nkind = \"yeastar_ycm\"\nbase_url = {base_url:?}\n\
             client_id = {:?}\nclient_secret = {:?}\nconcurrency = 8\nrequests_per_second = 5000\n",
            c.name, c.client_id, c.client_secret
        ));
    }
    text
}

async fn export_with_links(sim: &SimConfig, base_url: &str, out: &Path) -> RunManifest {
    let config: ExportConfig =
        toml::from_str(&config_toml(sim, base_url, out)).expect("test config parses");
    let sources = config.validate().expect("test config is valid");
    let options = ExportOptions {
        out: out.to_path_buf(),
        format: custlake_pipeline::OutputFormat::Parquet,
        include_raw: false,
        parquet: config.output.parquet.clone(),
        checkpoints: false,
        resume: false,
        history: false,
        links: Some(LinkSettings::default()),
    };
    let manifest = export(sources, options, Arc::new(NoProgress))
        .await
        .expect("export runs");
    assert_eq!(
        manifest.status,
        RunStatus::Succeeded,
        "{:?}",
        manifest.warnings
    );
    manifest
}

/// Every `customer_links` row as (pair, match_key).
fn links(out: &Path) -> Vec<(Pair, String)> {
    let mut rows = Vec::new();
    let pattern = out.join("customer_links");
    for source in std::fs::read_dir(&pattern).expect("customer_links folder") {
        for tenant in std::fs::read_dir(source.expect("source").path()).expect("tenants") {
            for file in std::fs::read_dir(tenant.expect("tenant").path()).expect("files") {
                let file = std::fs::File::open(file.expect("file").path()).expect("open");
                let reader = ParquetRecordBatchReaderBuilder::try_new(file)
                    .expect("parquet")
                    .build()
                    .expect("reader");
                for batch in reader {
                    let batch = batch.expect("batch");
                    let column = |name: &str| {
                        let c = batch.column_by_name(name).expect(name);
                        let c = c.as_string::<i32>();
                        (0..c.len())
                            .map(|i| c.value(i).to_owned())
                            .collect::<Vec<_>>()
                    };
                    let cols = [
                        "left_source",
                        "left_tenant",
                        "left_customer_id",
                        "right_source",
                        "right_tenant",
                        "right_customer_id",
                        "match_key",
                    ]
                    .map(column);
                    rows.extend((0..batch.num_rows()).map(|i| {
                        let value = |column: usize| cols[column][i].clone();
                        let pair = (value(0), value(1), value(2), value(3), value(4), value(5));
                        (pair, value(6))
                    }));
                }
            }
        }
    }
    rows
}

/// A serde enum's name (`yonyou_u8`, `phone`, ...).
fn name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn pair(link: &GroundTruthLink) -> Pair {
    (
        name(&link.left_source),
        link.left_tenant.clone(),
        link.left_customer_id.clone(),
        name(&link.right_source),
        link.right_tenant.clone(),
        link.right_customer_id.clone(),
    )
}

/// The `match_key` a shared key shows as: a fax number shares the phone namespace.
fn label(shared: &str) -> &str {
    match shared {
        "fax" => "phone",
        other => other,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_match_the_simulators_ground_truth() {
    let mut sim_config = SimConfig::demo(6_000);
    sim_config.messiness = MessinessConfig::mild();
    // A second phone book holding copies of the first's companies: e-mail links (U8 customers
    // carry no e-mail address).
    sim_config.ycm_clients.push(YcmClientConfig {
        name: "ycm_demo_b".into(),
        client_id: "ycm-demo-client-b".into(),
        ..sim_config.ycm_clients[0].clone()
    });
    sim_config.ycm_overlap_share = 0.2;
    let sim = custlake_simulator::start(sim_config.clone())
        .await
        .expect("simulator starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = export_with_links(&sim_config, &sim.base_url(), dir.path()).await;

    let truth = sim.ground_truth_links();
    let true_pairs: BTreeSet<Pair> = truth.iter().map(pair).collect();
    assert!(
        true_pairs.len() > 1_000,
        "the simulator links {} pairs",
        true_pairs.len()
    );
    let found = links(dir.path());
    let summary = manifest.links.expect("the manifest counts the links");
    assert_eq!(summary.links.values().sum::<u64>(), found.len() as u64);

    let mut report = BTreeMap::new();
    for key in ["phone", "mobile", "email", "name"] {
        let ours: BTreeSet<&Pair> = found
            .iter()
            .filter(|(_, k)| k == key)
            .map(|(p, _)| p)
            .collect();
        let expected: BTreeSet<Pair> = truth
            .iter()
            .filter(|l| l.shared.iter().any(|s| label(&name(s)) == key))
            .map(pair)
            .collect();
        let correct = ours.iter().filter(|p| true_pairs.contains(**p)).count();
        let recalled = expected.iter().filter(|p| ours.contains(p)).count();
        let precision = correct as f64 / ours.len().max(1) as f64;
        let recall = recalled as f64 / expected.len().max(1) as f64;
        println!(
            "{key}: {} links, {} expected, precision {precision:.4}, recall {recall:.4}",
            ours.len(),
            expected.len()
        );
        report.insert(key, (ours.len(), expected.len(), precision, recall));
    }
    for key in ["phone", "mobile", "email"] {
        let (_, expected, precision, recall) = report[key];
        assert!(
            expected > 100,
            "{key}: too few expected links to measure: {report:?}"
        );
        assert_eq!(precision, 1.0, "{key}: {report:?}");
        assert!(recall >= 0.99, "{key}: {report:?}");
    }
    let (names, _, name_precision, _) = report["name"];
    assert!(names > 0, "no name links: {report:?}");
    assert!(name_precision >= 0.95, "name: {report:?}");
}
