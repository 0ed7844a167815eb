//! Validation of the whole file and of the settings every `[[sources]]` table shares: the
//! output, the source names, the base URL, entities and mode, paging and rate limits, the
//! phone region and the snapshot guard. The vendor halves are in `u8` and `ycm`.

use std::time::Duration;

use super::bounds;
use super::error::ConfigError;
use super::toml_model::{ExportConfig, GuardConfig, SourceConfig};
use super::validated::{FetchSettings, ValidatedSource};
use crate::model::Entity;
use crate::model::ExportMode;
use crate::model::VendorKind;

impl ExportConfig {
    /// Checks everything and returns the sources ready to run.
    pub fn validate(&self) -> Result<Vec<ValidatedSource>, ConfigError> {
        if self.output.path.trim().is_empty() {
            return Err(ConfigError {
                location: "[output] path".into(),
                problem: "is empty; set it to the folder the dataset is written to".into(),
            });
        }
        self.output.parquet.validate().map_err(|e| ConfigError {
            location: "[output.parquet]".into(),
            problem: e.to_string(),
        })?;
        if self.sources.is_empty() {
            return Err(ConfigError {
                location: "[[sources]]".into(),
                problem:
                    "no source is configured; add a [[sources]] table (see custlake.example.toml)"
                        .into(),
            });
        }
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for source in &self.sources {
            if !seen.insert(source.name.as_str()) {
                return Err(ConfigError {
                    location: format!("source {:?}", source.name),
                    problem: "the name is used twice; every source needs its own name".into(),
                });
            }
            out.push(source.validate()?);
        }
        self.check_distinct_names()?;
        Ok(out)
    }
}

impl SourceConfig {
    /// The name becomes a folder name and the `tenant=` partition value.
    fn validate_name(&self) -> Result<(), ConfigError> {
        let name_ok = !self.name.is_empty()
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !name_ok {
            return Err(self.problem(
                "name",
                "must be non-empty and use only letters, digits, '-' and '_' (it becomes a folder name)",
            ));
        }
        self.check_name_length()?;
        if partition_value_reads_as_non_text(&self.name) {
            return Err(self.problem(
                "name",
                format!(
                    "{:?} would be read back as a number, date or boolean: it becomes the \
                     tenant= folder, whose type readers (DuckDB, Spark, pyarrow) infer from its \
                     text; add a letter, e.g. \"t{}\"",
                    self.name, self.name
                ),
            ));
        }
        Ok(())
    }

    /// Checks one `[[sources]]` table and returns its validated form.
    fn validate(&self) -> Result<ValidatedSource, ConfigError> {
        self.validate_name()?;
        let url = reqwest::Url::parse(&self.base_url).map_err(|e| {
            self.problem(
                "base_url",
                format!(
                    "{:?} is not a valid URL ({e}); write it like https://api.yonyouup.com",
                    self.base_url
                ),
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(self.problem(
                "base_url",
                "must start with https:// (or http:// for a local simulator)",
            ));
        }
        let fetch = self.fetch_settings()?;
        let vendor = match self.kind {
            VendorKind::YonyouU8 => self.u8_settings()?,
            VendorKind::YeastarYcm => self.ycm_settings(fetch.page_size)?,
        };
        let supported = Entity::supported_by(self.kind);
        let entities = match &self.entities {
            None => supported.to_vec(),
            Some(list) if list.is_empty() => {
                return Err(self.problem(
                    "entities",
                    "is empty; list at least one entity or remove the setting",
                ));
            }
            Some(list) => {
                if let Some(bad) = list.iter().find(|e| !supported.contains(e)) {
                    return Err(self.problem(
                        "entities",
                        format!(
                            "{} is not exported from {} sources",
                            bad.as_str(),
                            self.kind.as_str()
                        ),
                    ));
                }
                list.clone()
            }
        };
        let mode = self.mode.unwrap_or_default();
        if mode == ExportMode::Incremental && self.kind == VendorKind::YeastarYcm {
            return Err(self.problem(
                "mode",
                "\"incremental\" needs a change filter and the YCM API has none; remove the \
                 setting: YCM sources always export full snapshots, and a snapshot whose content \
                 did not change keeps its previous files",
            ));
        }
        Ok(ValidatedSource {
            name: self.name.clone(),
            entities,
            mode,
            vendor,
            fetch,
            default_region: self.default_region()?,
            guard: self.guard_settings()?,
        })
    }

    /// `[sources.guard]` with both shares within 0..=1.
    fn guard_settings(&self) -> Result<GuardConfig, ConfigError> {
        Ok(GuardConfig {
            max_missing_share: self.bounded(
                "guard.max_missing_share",
                Some(self.guard.max_missing_share),
                &bounds::MAX_MISSING_SHARE,
            )?,
            max_shrink: self.bounded(
                "guard.max_shrink",
                Some(self.guard.max_shrink),
                &bounds::MAX_SHRINK,
            )?,
        })
    }

    /// The region phone numbers without a country code are read in: the vendor's default, none
    /// for `"none"`, or the ISO 3166 code given.
    fn default_region(&self) -> Result<Option<custlake_schema::Region>, ConfigError> {
        let Some(text) = self.default_region.as_deref() else {
            return Ok(custlake_schema::default_region(match self.kind {
                VendorKind::YonyouU8 => custlake_schema::SourceKind::YonyouU8,
                VendorKind::YeastarYcm => custlake_schema::SourceKind::YeastarYcm,
            }));
        };
        if text.eq_ignore_ascii_case("none") {
            return Ok(None);
        }
        text.parse().map(Some).map_err(|error| {
            self.problem(
                "default_region",
                format!("{error}; write a two-letter ISO 3166 code such as \"CN\", or \"none\""),
            )
        })
    }

    /// Paging, concurrency, rate, timeout, retry and page-limit settings, each within its range.
    fn fetch_settings(&self) -> Result<FetchSettings, ConfigError> {
        let page_size = self.bounded(
            "page_size",
            self.page_size,
            bounds::page_size_bound(self.kind),
        )?;
        let concurrency = self.bounded("concurrency", self.concurrency, &bounds::CONCURRENCY)?;
        let rps = self.bounded(
            "requests_per_second",
            self.requests_per_second,
            &bounds::REQUESTS_PER_SECOND,
        )?;
        let burst = self.bounded("burst", self.burst, &bounds::BURST)?;
        let timeout = self.bounded(
            "request_timeout_secs",
            self.request_timeout_secs,
            &bounds::REQUEST_TIMEOUT_SECS,
        )?;
        self.check_retry_bounds()?;
        self.bounded(
            "retry.max_retry_after_secs",
            Some(self.retry.max_retry_after_secs),
            &bounds::MAX_RETRY_AFTER_SECS,
        )?;
        let max_pages = self.bounded("max_pages", self.max_pages, &bounds::MAX_PAGES)?;
        Ok(FetchSettings {
            page_size,
            concurrency: concurrency as usize,
            requests_per_second: rps,
            burst: burst as u32,
            request_timeout: Duration::from_secs_f64(timeout),
            retry: self.retry.clone(),
            max_pages,
        })
    }
}

/// Whether readers that infer Hive partition types would give `value` another type than text:
/// a number (`2024`, `1e5`, `-3`), a date (`2024-01-31`) or a boolean/null word.
fn partition_value_reads_as_non_text(value: &str) -> bool {
    let is_date = value.len() == 10
        && value.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            _ => c.is_ascii_digit(),
        });
    value.parse::<f64>().is_ok()
        || is_date
        || ["true", "false", "null"].contains(&value.to_ascii_lowercase().as_str())
}
