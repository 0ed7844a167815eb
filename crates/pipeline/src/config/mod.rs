//! The export configuration as a data engineer writes it (`custlake.toml`), and its validation.
//!
//! One flat `[[sources]]` table ([`SourceConfig`]) per tenant, beside the `[output]` table
//! ([`OutputConfig`]), keeps the file simple; [`ExportConfig::validate`] turns it into checked,
//! vendor-specific settings and names the source, the setting and the fix for every problem,
//! before anything is fetched. Secrets left out of the file come from environment variables
//! named after the source ([`env_name`]).
//!
//! Inside, imports point one way: the TOML model (`toml_model`, `parquet`) at the bottom, then
//! the error (`error`), secrets (`secrets`) and ranges (`bounds`), and the validation
//! (`validate`, `u8`, `ycm`) into the validated form (`validated`) on top.

mod bounds;
mod codes;
mod error;
mod file;
mod parquet;
mod secrets;
mod toml_model;
mod u8;
mod validate;
mod validated;
mod ycm;

pub use error::ConfigError;
pub use file::{ConfigFileError, config_from_toml, load_config_file, load_output_config_file};
pub use parquet::{InvalidParquetSetting, ParquetSinkConfig};
pub use toml_model::{ExportConfig, GuardConfig, RetryConfig};
pub use validated::{FetchSettings, ValidatedSource, VendorSettings};
