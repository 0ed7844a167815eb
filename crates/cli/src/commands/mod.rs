//! One module per subcommand; each returns how it ended, which `main` turns into the exit
//! status.

pub mod check;
pub mod compact;
pub mod demo;
pub mod export;
pub mod get;
pub mod init;
pub mod link;
pub mod schema;
pub mod vacuum;

use std::path::Path;

use anyhow::Result;
use custlake_pipeline::{
    ExportConfig, ValidatedSource, load_config_file, load_output_config_file, select_sources,
};

use crate::UsageError;
use crate::cli::ConfigArgs;

/// Loads the configuration file, `${VAR}` references and secrets from the process environment;
/// every problem with it is a usage error.
pub fn load_config(path: &Path) -> Result<ExportConfig> {
    load_config_file(path, &|name| std::env::var(name).ok())
        .map_err(|e| UsageError::from(anyhow::Error::new(e)).into())
}

/// Loads the configuration file for a command that calls no vendor (`link`, `compact`,
/// `vacuum`): the sources' secrets need not be set.
pub fn load_output_config(path: &Path) -> Result<ExportConfig> {
    load_output_config_file(path, &|name| std::env::var(name).ok())
        .map_err(|e| UsageError::from(anyhow::Error::new(e)).into())
}

/// Loads and validates the config, keeping only the `--only` sources.
pub fn load_sources(args: &ConfigArgs) -> Result<Vec<ValidatedSource>> {
    let config = load_config(&args.config)?;
    Ok(select_sources(
        &config,
        &args.config.display().to_string(),
        &args.only,
    )?)
}
