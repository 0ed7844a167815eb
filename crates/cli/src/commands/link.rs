//! `custlake link`: write `customer_links` for the customers already in an output.

use anyhow::Result;
use custlake_pipeline::{LinkOptions, LinkSummary, RunStatus, link};

use crate::UsageError;
use crate::cli::LinkArgs;
use crate::commands::load_output_config;

/// Links and prints the counts per match key.
pub async fn run(args: LinkArgs) -> Result<RunStatus> {
    let mut options = match (&args.config, args.out) {
        (Some(path), out) => LinkOptions::from_config(&load_output_config(path)?, out),
        (None, Some(out)) => LinkOptions::for_output(out),
        (None, None) => {
            return Err(UsageError::msg(
                "link needs the output: pass --config custlake.toml (its [output] path) or \
                 --out DIR|s3://bucket/prefix",
            )
            .into());
        }
    };
    if let Some(fanout) = args.max_link_fanout {
        options.settings.max_link_fanout = fanout;
    }
    let out = options.out.clone();
    let report = link(options).await?;
    println!("customer_links {} in {}:", report.run_id, out.display());
    print!("{}", describe(&report.summary));
    for warning in &report.warnings {
        println!("warning: {warning}");
    }
    Ok(RunStatus::Succeeded)
}

/// The summary lines shared by `link`, `export` and `demo`.
pub fn describe(summary: &LinkSummary) -> String {
    let links: u64 = summary.links.values().sum();
    let by_key: Vec<String> = summary
        .links
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    let skipped: Vec<String> = summary
        .skipped_keys
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    let mut text = format!(
        "  {links} links among {} customers ({}) in {:.1} s\n",
        summary.customers,
        if by_key.is_empty() {
            "none".to_owned()
        } else {
            by_key.join(", ")
        },
        summary.elapsed_ms as f64 / 1000.0
    );
    if !skipped.is_empty() {
        text.push_str(&format!(
            "  keys shared by more than {} customers, not linked: {}\n",
            summary.max_link_fanout,
            skipped.join(", ")
        ));
    }
    text
}
