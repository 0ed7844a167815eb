//! `custlake get`: one record exactly as the vendor sends it.

use anyhow::{Result, anyhow};
use custlake_pipeline::fetch_one_customer;
use custlake_pipeline::{RunStatus, VendorKind};

use crate::UsageError;
use crate::cli::{GetArgs, GetTarget};
use crate::commands::load_sources;

/// Prints the record as pretty JSON; `Failed` when it does not exist, an error when the call
/// fails.
pub async fn run(args: GetArgs) -> Result<RunStatus> {
    let sources = load_sources(&args.config)?;
    let kind = match args.what {
        GetTarget::U8Customer => VendorKind::YonyouU8,
        GetTarget::YcmCustomer => VendorKind::YeastarYcm,
    };
    let source = sources
        .iter()
        .find(|s| s.vendor.kind() == kind)
        .ok_or_else(|| {
            UsageError::msg(format!(
                "no {} source is configured (use --only to pick one)",
                kind.as_str()
            ))
        })?;
    match fetch_one_customer(source, &args.id)
        .await
        .map_err(|e| anyhow!("{} {}: {e}", kind.as_str(), source.name))?
    {
        Some(raw) => {
            let pretty = serde_json::from_str::<serde_json::Value>(&raw)
                .and_then(|v| serde_json::to_string_pretty(&v))
                .unwrap_or(raw);
            println!("{pretty}");
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
