//! `custlake check`: authenticate and count, write nothing.

use anyhow::Result;
use custlake_pipeline::{RunStatus, check_sources};

use crate::cli::ConfigArgs;
use crate::commands::load_sources;

/// Prints pages and records per source and entity; `Failed` when a source cannot be read.
pub async fn run(args: ConfigArgs) -> Result<RunStatus> {
    let sources = load_sources(&args)?;
    let results = check_sources(&sources).await;
    println!(
        "{:<12} {:<14} {:<10} {:>8} {:>10}  status",
        "source", "tenant", "entity", "pages", "records"
    );
    let mut failed = false;
    for r in &results {
        match &r.result {
            Ok((pages, records)) => println!(
                "{:<12} {:<14} {:<10} {pages:>8} {records:>10}  ok",
                r.source, r.tenant, r.entity
            ),
            Err(error) => {
                failed = true;
                println!(
                    "{:<12} {:<14} {:<10} {:>8} {:>10}  failed: {error}",
                    r.source, r.tenant, r.entity, "-", "-"
                );
            }
        }
    }
    Ok(if failed {
        RunStatus::Failed
    } else {
        RunStatus::Succeeded
    })
}
