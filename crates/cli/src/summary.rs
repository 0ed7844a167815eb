//! The run summary printed after `export` and `demo`: rows, rejects, files, speed.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use custlake_pipeline::RunManifest;

/// Renders the manifest as a human summary with a ready-to-run DuckDB query.
pub fn render(manifest: &RunManifest, out: &Path) -> String {
    let mut s = String::new();
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
    let _ = writeln!(s);
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
    let mut per_dataset: BTreeMap<(&str, &str, &str), (u64, u64, u64)> = BTreeMap::new();
    for f in &manifest.files {
        let entry = per_dataset
            .entry((f.dataset.as_str(), f.source.as_str(), f.tenant.as_str()))
            .or_default();
        entry.0 += f.rows;
        entry.1 += 1;
        entry.2 += f.bytes;
    }
    let _ = writeln!(s);
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
    for warning in &manifest.warnings {
        let _ = writeln!(s, "warning: {warning}");
    }
    let glob = out.join("customers").join("**").join("*.parquet");
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "manifest: {}",
        out.join("_manifests")
            .join(format!("{}.json", manifest.run_id))
            .display()
    );
    let _ = writeln!(
        s,
        "try: duckdb -c \"SELECT source, tenant, count(*) AS customers FROM read_parquet('{}', hive_partitioning = true) GROUP BY ALL\"",
        glob.display()
    );
    s
}
