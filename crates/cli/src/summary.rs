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

/// Rows, files and bytes this run published, per dataset, source and tenant.
fn dataset_table(s: &mut String, manifest: &RunManifest) {
    let mut per_dataset: BTreeMap<(&str, &str, &str), (u64, u64, u64)> = BTreeMap::new();
    for f in &manifest.files {
        let entry = per_dataset
            .entry((f.dataset.as_str(), f.source.as_str(), f.tenant.as_str()))
            .or_default();
        entry.0 += f.rows;
        entry.1 += 1;
        entry.2 += f.bytes;
    }
    let _ = writeln!(
        s,
        "{:<10} {:<12} {:<14} {:>9} {:>6} {:>12}",
        "dataset", "source", "tenant", "rows", "files", "bytes"
    );
    for ((dataset, source, tenant), (rows, files, bytes)) in &per_dataset {
        let _ = writeln!(
            s,
            "{dataset:<10} {source:<12} {tenant:<14} {rows:>9} {files:>6} {bytes:>12}"
        );
    }
}
