//! One module per subcommand; each returns the process exit status.

pub mod check;
pub mod compact;
pub mod demo;
pub mod export;
pub mod get;
pub mod schema;

use std::path::Path;

use anyhow::Result;
use custlake_pipeline::{ExportConfig, ValidatedSource};

use crate::UsageError;
use crate::cli::ConfigArgs;

/// Loads and validates the config, keeping only the `--only` sources. Problems are usage errors.
pub fn load_sources(args: &ConfigArgs) -> Result<(ExportConfig, Vec<ValidatedSource>)> {
    let config = crate::config_file::load(&args.config).map_err(UsageError::from)?;
    let sources = select(&config, &args.only, &args.config)?;
    Ok((config, sources))
}

/// Validates `config` and keeps the `only` sources (all when empty).
pub fn select(
    config: &ExportConfig,
    only: &[String],
    origin: &Path,
) -> Result<Vec<ValidatedSource>> {
    for name in only {
        if !config.sources.iter().any(|s| &s.name == name) {
            let known: Vec<_> = config.sources.iter().map(|s| s.name.as_str()).collect();
            return Err(UsageError::msg(format!(
                "--only {name}: no source of that name in {}; known sources: {}",
                origin.display(),
                known.join(", ")
            ))
            .into());
        }
    }
    let sources = config
        .validate()
        .map_err(|e| UsageError::msg(format!("config {}: {e}", origin.display())))?;
    Ok(sources
        .into_iter()
        .filter(|s| only.is_empty() || only.contains(&s.name))
        .collect())
}
