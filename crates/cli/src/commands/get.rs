//! `custlake get`: one record exactly as the vendor sends it.

use anyhow::{Result, anyhow};
use custlake_pipeline::fetch_one_customer;
use custlake_pipeline::{RunStatus, VendorKind};

use crate::UsageError;
use crate::cli::{ConfigArgs, GetArgs, GetTarget};
use crate::commands::{load_config, load_sources};

/// Prints the record's JSON exactly as the vendor sent it (keys in its order, the text the
/// `raw` column keeps); `Failed` when it does not exist, an error when the call fails.
pub async fn run(args: GetArgs) -> Result<RunStatus> {
    let sources = load_sources(&args.config)?;
    let kind = match args.what {
        GetTarget::U8Customer => VendorKind::YonyouU8,
        GetTarget::YcmCustomer => VendorKind::YeastarYcm,
    };
    let source = sources
        .iter()
        .find(|s| s.vendor.kind() == kind)
        .ok_or_else(|| no_source_of(kind, &args.config))?;
    match fetch_one_customer(source, &args.id)
        .await
        .map_err(|e| anyhow!("{} {}: {e}", kind.as_str(), source.name))?
    {
        Some(raw) => {
            // The record's own text: its keys in the vendor's order, its numbers as sent.
            println!("{raw}");
            Ok(RunStatus::Succeeded)
        }
        None => {
            let (vendor, key) = match kind {
                VendorKind::YonyouU8 => ("U8", "code"),
                VendorKind::YeastarYcm => ("YCM", "id"),
            };
            eprintln!(
                "no {vendor} customer with {key} {} in {}",
                args.id, source.name
            );
            Ok(RunStatus::Failed)
        }
    }
}

/// Why no source of `kind` can answer: none is configured, or `--only` left them out.
fn no_source_of(kind: VendorKind, args: &ConfigArgs) -> anyhow::Error {
    let configured: Vec<String> = load_config(&args.config)
        .map(|config| {
            config
                .sources
                .iter()
                .filter(|s| s.kind == kind)
                .map(|s| s.name.clone())
                .collect()
        })
        .unwrap_or_default();
    let message = if configured.is_empty() {
        format!(
            "no {} source is configured in {}",
            kind.as_str(),
            args.config.display()
        )
    } else {
        format!(
            "--only {} leaves out every {} source; pass --only {} (configured: {})",
            args.only.join(","),
            kind.as_str(),
            configured[0],
            configured.join(", ")
        )
    };
    UsageError::msg(message).into()
}
