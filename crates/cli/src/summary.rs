//! The run summary printed after `export` and `demo`: rows, rejects, files, speed, and where to
//! read the results.

use std::collections::BTreeMap;
use std::fmt::Write;

use custlake_pipeline::{RunManifest, RunOutcome};

/// Renders the outcome as a human summary with a ready-to-run DuckDB query.
pub fn render(outcome: &RunOutcome) -> String {
    let mut s = String::new();
    headline(&mut s, &outcome.manifest);
    let _ = writeln!(s);
    source_table(&mut s, &outcome.manifest);
    let _ = writeln!(s);
    dataset_table(&mut s, &outcome.manifest);
    if let Some(links) = &outcome.manifest.links {
        let _ = writeln!(s);
        let _ = writeln!(s, "customer_links:");
        s.push_str(&crate::commands::link::describe(links));
    }
    for warning in &outcome.manifest.warnings {
        let _ = writeln!(s, "warning: {warning}");
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "manifest: {}", outcome.manifest_location);
    if outcome.manifest.delta_commits.is_empty() {
        let _ = writeln!(
            s,
            "try: duckdb -c \"SELECT source, tenant, count(*) AS customers FROM read_parquet('{}', hive_partitioning = true) GROUP BY ALL\"",
            outcome.customers_glob
        );
    } else {
        // A Delta table's folder also holds replaced files: read it as a table, never a glob.
        let table = outcome
            .customers_glob
            .trim_end_matches("/**/*.parquet")
            .to_owned();
        let _ = writeln!(
            s,
            "try: duckdb -c \"INSTALL delta; LOAD delta; SELECT source, tenant, count(*) AS customers FROM delta_scan('{table}') GROUP BY ALL\""
        );
    }
    s
}

/// `run <id> <status> in <secs> s: <records> records fetched (<rate> records/s), <pages> pages`.
fn headline(s: &mut String, manifest: &RunManifest) {
    let secs = manifest.elapsed_ms as f64 / 1000.0;
    let records = manifest.totals.records_fetched;
    let rate = if secs > 0.0 {
        records as f64 / secs
    } else {
        0.0
    };
    let _ = writeln!(
        s,
        "run {} {:?} in {secs:.1} s: {records} records fetched ({rate:.0} records/s), {} pages",
        manifest.run_id, manifest.status, manifest.totals.pages_fetched
    );
}

/// One row per source and entity, then each failed source's error.
fn source_table(s: &mut String, manifest: &RunManifest) {
    let _ = writeln!(
        s,
        "{:<12} {:<14} {:<10} {:>7} {:>9} {:>7} {:>7} {:>7} {:>8}  status",
        "source", "tenant", "entity", "pages", "records", "dupes", "missing", "retries", "rejects"
    );
    for source in &manifest.sources {
        for e in &source.entities {
            let _ = writeln!(
                s,
                "{:<12} {:<14} {:<10} {:>7} {:>9} {:>7} {:>7} {:>7} {:>8}  {:?}",
                source.source,
                source.tenant,
                e.entity,
                e.pages_fetched,
                e.records_fetched,
                e.duplicates_dropped,
                e.missing.unwrap_or(0).max(0),
                e.retries,
                e.rejects,
                source.status
            );
        }
        if let Some(error) = &source.error {
            let _ = writeln!(s, "  {} {}: {error}", source.source, source.tenant);
        }
    }
}

/// Rows, files and bytes this run published, and the keys it inserted, updated and deleted,
/// per dataset, source and tenant; `del` is `-` where deletions were not counted.
fn dataset_table(s: &mut String, manifest: &RunManifest) {
    #[derive(Default)]
    struct Line {
        rows: u64,
        files: u64,
        bytes: u64,
        changes: Option<(u64, u64, Option<u64>)>,
    }
    let mut per_dataset: BTreeMap<(&str, &str, &str), Line> = BTreeMap::new();
    for f in &manifest.files {
        let line = per_dataset
            .entry((f.dataset.as_str(), f.source.as_str(), f.tenant.as_str()))
            .or_default();
        line.rows += f.rows;
        line.files += 1;
        line.bytes += f.bytes;
    }
    for c in &manifest.changes {
        let line = per_dataset
            .entry((c.dataset.as_str(), c.source.as_str(), c.tenant.as_str()))
            .or_default();
        line.changes = Some((c.inserted, c.updated, c.deleted));
    }
    let _ = writeln!(
        s,
        "{:<17} {:<12} {:<14} {:>9} {:>6} {:>12} {:>7} {:>7} {:>7}",
        "dataset", "source", "tenant", "rows", "files", "bytes", "ins", "upd", "del"
    );
    let mut uncounted = false;
    for ((dataset, source, tenant), line) in &per_dataset {
        let (ins, upd, del) = match line.changes {
            Some((ins, upd, del)) => {
                uncounted |= del.is_none();
                let del = del.map_or_else(|| "-".to_owned(), |d| d.to_string());
                (ins.to_string(), upd.to_string(), del)
            }
            None => (String::new(), String::new(), String::new()),
        };
        let _ = writeln!(
            s,
            "{dataset:<17} {source:<12} {tenant:<14} {:>9} {:>6} {:>12} {ins:>7} {upd:>7} {del:>7}",
            line.rows, line.files, line.bytes
        );
    }
    if manifest.files.is_empty() && manifest.status != custlake_pipeline::RunStatus::Failed {
        let _ = writeln!(
            s,
            "nothing published: every partition already held this content ({} unchanged)",
            manifest.unchanged.len()
        );
    }
    if uncounted {
        let _ = writeln!(
            s,
            "del -: deletions not counted: an incremental run sees only changed records (U8 \
             reports no deletions; a periodic --full run records them), or a listing ended \
             early (see missing)"
        );
    }
}

#[cfg(test)]
mod tests {
    use custlake_pipeline::{ManifestFile, PartitionChanges, RunManifest};

    use super::*;

    fn file(dataset: &str, rows: u64) -> ManifestFile {
        ManifestFile {
            dataset: dataset.to_owned(),
            source: "yonyou_u8".to_owned(),
            tenant: "u8_demo_a".to_owned(),
            path: format!("{dataset}/x.parquet"),
            rows,
            bytes: 10,
        }
    }

    #[test]
    fn every_dataset_row_lines_up_with_the_header() {
        let mut manifest = RunManifest::empty("r1", chrono::Utc::now());
        for dataset in [
            "customers",
            "customer_links",
            "customers_history",
            "contacts_history",
        ] {
            manifest.files.push(file(dataset, 12345));
        }
        manifest.changes.push(PartitionChanges {
            dataset: "customers".into(),
            source: "yonyou_u8".into(),
            tenant: "u8_demo_a".into(),
            inserted: 3,
            updated: 2,
            deleted: None,
            elapsed_ms: 1,
        });
        let mut s = String::new();
        dataset_table(&mut s, &manifest);
        let lines: Vec<&str> = s.lines().collect();
        let rows_end = lines[0].find("rows").expect("header") + "rows".len();
        for line in lines.iter().skip(1).filter(|l| l.contains("yonyou_u8")) {
            assert_eq!(line.find("12345").map(|at| at + 5), Some(rows_end), "{s}");
        }
        assert!(s.contains("del -: deletions not counted"), "{s}");
    }
}
