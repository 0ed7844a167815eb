//! A command's options built from the configuration and the caller's overrides (the command
//! line): which sources run, where the output goes, and the rules that hold for every command —
//! a source named by `only` must be configured, `full` turns incremental sources into full
//! snapshots for this run, the flags narrow what the file allows.

use std::path::PathBuf;

use crate::config::{ConfigError, ExportConfig, ParquetSinkConfig, ValidatedSource};
use crate::model::{ExportMode, OutputFormat, Shard};
use crate::run::compact::CompactOptions;
use crate::run::context::ExportOptions;
use crate::run::link::{LinkOptions, LinkSettings};

/// What the caller changes for one run of the configuration (`custlake export` flags).
#[derive(Debug, Clone, Default)]
pub struct RunOverrides {
    /// Write here instead of `[output] path`: a folder or `s3://bucket/prefix`.
    pub out: Option<PathBuf>,
    /// Only these sources (configured names); every source when empty.
    pub only: Vec<String>,
    /// Leave the `raw` column empty even where `[output] raw` keeps it.
    pub no_raw: bool,
    /// Continue the newest interrupted run (see [`ExportOptions::resume`]).
    pub resume: bool,
    /// Export full snapshots for `mode = "incremental"` sources too: their partitions are
    /// replaced, deletions at the source are picked up, the high-water mark restarts.
    pub full: bool,
    /// Write this format instead of `[output] format`.
    pub format: Option<OutputFormat>,
    /// Export only the sources of this shard (`--shard K/N`).
    pub shard: Option<Shard>,
    /// Let full snapshots shrink partitions by any amount this run (`--allow-shrink`): lifts
    /// every source's `[sources.guard] max_shrink`.
    pub allow_shrink: bool,
    /// Keep `<dataset>_history` this run even where `[output] history` is off (`--history`).
    pub history: bool,
}

/// A run ready to start: the selected, validated sources and how the run writes.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// The sources to export, in configuration order.
    pub sources: Vec<ValidatedSource>,
    /// Output, Parquet, raw column, checkpoints, resume.
    pub options: ExportOptions,
}

/// Why a configuration cannot be run as asked. `origin` names the configuration in messages
/// (its file, or `demo`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// `only` names a source the configuration does not have.
    #[error("--only {name}: no source of that name in {origin}; known sources: {}", known.join(", "))]
    UnknownSource {
        /// The name asked for.
        name: String,
        /// The configuration.
        origin: String,
        /// The names it has.
        known: Vec<String>,
    },
    /// The configuration does not validate.
    #[error("config {origin}: {error}")]
    Invalid {
        /// The configuration.
        origin: String,
        /// The problem (its message is part of this one, so it is not a `source` too).
        error: ConfigError,
    },
}

impl RunSettings {
    /// The run `overrides` ask of `config`: the `only` sources (all when empty), validated, and
    /// the options from `[output]` with the overrides applied.
    pub fn from_config(
        config: &ExportConfig,
        origin: &str,
        overrides: RunOverrides,
    ) -> Result<Self, SettingsError> {
        let mut sources = select_sources(config, origin, &overrides.only)?;
        if let Some(shard) = overrides.shard {
            sources.retain(|source| shard.owns(&source.name));
        }
        if overrides.full {
            for source in &mut sources {
                source.mode = ExportMode::Full;
            }
        }
        if overrides.allow_shrink {
            for source in &mut sources {
                source.guard.max_shrink = 1.0;
            }
        }
        let options = ExportOptions {
            out: overrides
                .out
                .unwrap_or_else(|| PathBuf::from(&config.output.path)),
            format: overrides.format.unwrap_or(config.output.format),
            include_raw: config.output.raw && !overrides.no_raw,
            parquet: config.output.parquet.clone(),
            checkpoints: config.output.checkpoints,
            resume: overrides.resume,
            history: config.output.history || overrides.history,
            // A shard sees only its own sources: `custlake link` runs once after every shard.
            links: (config.output.links && overrides.shard.is_none()).then(|| LinkSettings {
                max_link_fanout: config.output.max_link_fanout,
                ..LinkSettings::default()
            }),
        };
        Ok(Self { sources, options })
    }
}

impl CompactOptions {
    /// Compaction of `config`'s output (or `out`), with its Parquet settings, for the `only`
    /// sources. The configuration is not validated: compaction reads no vendor, so it needs no
    /// secrets.
    pub fn from_config(
        config: &ExportConfig,
        origin: &str,
        out: Option<PathBuf>,
        only: Vec<String>,
    ) -> Result<Self, SettingsError> {
        check_only(config, origin, &only)?;
        Ok(Self {
            out: out.unwrap_or_else(|| PathBuf::from(&config.output.path)),
            parquet: config.output.parquet.clone(),
            only,
            format: config.output.format,
        })
    }

    /// Compaction of the output `out` when no configuration is given: default Parquet
    /// settings, and the `only` names are not checked (there is no list to check them against;
    /// a name that matches no partition compacts nothing).
    pub fn for_output(out: PathBuf, only: Vec<String>) -> Self {
        Self {
            out,
            parquet: ParquetSinkConfig::default(),
            only,
            format: OutputFormat::Parquet,
        }
    }
}

/// Validates `config` and keeps the `only` sources (all when empty). An unknown name is
/// reported before any validation problem: it is the likelier typo.
pub fn select_sources(
    config: &ExportConfig,
    origin: &str,
    only: &[String],
) -> Result<Vec<ValidatedSource>, SettingsError> {
    check_only(config, origin, only)?;
    let sources = config.validate().map_err(|error| SettingsError::Invalid {
        origin: origin.to_owned(),
        error,
    })?;
    Ok(sources
        .into_iter()
        .filter(|s| only.is_empty() || only.contains(&s.name))
        .collect())
}

/// Every name in `only` is a configured source.
fn check_only(config: &ExportConfig, origin: &str, only: &[String]) -> Result<(), SettingsError> {
    let configured = |name: &String| config.sources.iter().any(|s| &s.name == name);
    match only.iter().find(|name| !configured(name)) {
        Some(name) => Err(SettingsError::UnknownSource {
            name: name.clone(),
            origin: origin.to_owned(),
            known: config.sources.iter().map(|s| s.name.clone()).collect(),
        }),
        None => Ok(()),
    }
}

impl LinkOptions {
    /// Linking of `config`'s output (or `out`), with its Parquet settings and fan-out limit.
    pub fn from_config(config: &ExportConfig, out: Option<PathBuf>) -> Self {
        Self {
            out: out.unwrap_or_else(|| PathBuf::from(&config.output.path)),
            parquet: config.output.parquet.clone(),
            settings: LinkSettings {
                max_link_fanout: config.output.max_link_fanout,
                ..LinkSettings::default()
            },
        }
    }

    /// Linking of the output `out` when no configuration is given: default settings.
    pub fn for_output(out: PathBuf) -> Self {
        Self {
            out,
            parquet: ParquetSinkConfig::default(),
            settings: LinkSettings::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two U8 sources, `east` incremental, `west` full, with secrets so that they validate.
    fn config(output: &str) -> ExportConfig {
        let source = |name: &str, mode: &str| {
            format!(
                "[[sources]]\nname = \"{name}\"\nkind = \"yonyou_u8\"\n\
                 base_url = \"https://api.yonyouup.com\"\nfrom_account = \"f\"\n\
                 to_account = \"t\"\napp_key = \"k\"\napp_secret = \"s\"\nmode = \"{mode}\"\n"
            )
        };
        let text = format!(
            "[output]\npath = \"lake\"\n{output}\n{}{}",
            source("east", "incremental"),
            source("west", "full")
        );
        toml::from_str(&text).expect("test config")
    }

    fn names(sources: &[ValidatedSource]) -> Vec<&str> {
        sources.iter().map(|s| s.name.as_str()).collect()
    }

    #[test]
    fn options_come_from_the_output_section() {
        let settings = RunSettings::from_config(
            &config("raw = false\ncheckpoints = false"),
            "t.toml",
            RunOverrides::default(),
        )
        .expect("valid");
        assert_eq!(names(&settings.sources), ["east", "west"]);
        let options = &settings.options;
        assert_eq!(options.out, PathBuf::from("lake"));
        assert!(!options.include_raw && !options.checkpoints && !options.resume);
    }

    #[test]
    fn overrides_replace_the_output_and_narrow_raw() {
        let overrides = RunOverrides {
            out: Some("s3://bucket/lake".into()),
            no_raw: true,
            resume: true,
            ..RunOverrides::default()
        };
        let settings = RunSettings::from_config(&config(""), "t.toml", overrides).expect("valid");
        let options = &settings.options;
        assert_eq!(options.out, PathBuf::from("s3://bucket/lake"));
        assert!(!options.include_raw && options.checkpoints && options.resume);
        // `no_raw = false` never adds the column back when the file leaves it out.
        let settings =
            RunSettings::from_config(&config("raw = false"), "t.toml", RunOverrides::default())
                .expect("valid");
        assert!(!settings.options.include_raw);
    }

    #[test]
    fn full_turns_incremental_sources_into_full_snapshots() {
        let modes = |full| {
            let overrides = RunOverrides {
                full,
                ..RunOverrides::default()
            };
            let settings = RunSettings::from_config(&config(""), "t.toml", overrides);
            settings
                .expect("valid")
                .sources
                .iter()
                .map(|s| s.mode)
                .collect::<Vec<_>>()
        };
        assert_eq!(modes(false), [ExportMode::Incremental, ExportMode::Full]);
        assert_eq!(modes(true), [ExportMode::Full, ExportMode::Full]);
    }

    #[test]
    fn only_keeps_the_named_sources() {
        let overrides = RunOverrides {
            only: vec!["west".into()],
            ..RunOverrides::default()
        };
        let settings = RunSettings::from_config(&config(""), "t.toml", overrides).expect("valid");
        assert_eq!(names(&settings.sources), ["west"]);
    }

    #[test]
    fn an_unknown_source_is_named_with_the_configured_ones() {
        let only = vec!["west".to_owned(), "nope".to_owned()];
        let expected = SettingsError::UnknownSource {
            name: "nope".into(),
            origin: "t.toml".into(),
            known: vec!["east".into(), "west".into()],
        };
        let overrides = RunOverrides {
            only: only.clone(),
            ..RunOverrides::default()
        };
        let err = RunSettings::from_config(&config(""), "t.toml", overrides).expect_err("unknown");
        assert_eq!(err, expected);
        assert_eq!(
            err.to_string(),
            "--only nope: no source of that name in t.toml; known sources: east, west"
        );
        // Compaction checks the same way.
        let err =
            CompactOptions::from_config(&config(""), "t.toml", None, only).expect_err("unknown");
        assert_eq!(err, expected);
    }

    #[test]
    fn an_unknown_source_is_reported_before_an_invalid_config() {
        let mut config = config("");
        config.sources[0].app_key = None;
        let err = select_sources(&config, "t.toml", &["nope".into()]).expect_err("unknown");
        assert!(matches!(err, SettingsError::UnknownSource { .. }), "{err}");
        let err = select_sources(&config, "t.toml", &[]).expect_err("invalid");
        assert!(
            err.to_string()
                .starts_with("config t.toml: source \"east\""),
            "{err}"
        );
    }

    #[test]
    fn compaction_takes_output_and_parquet_settings_without_validating() {
        let mut config = config("[output.parquet]\nrow_group_rows = 1000");
        config.sources[0].app_secret = None;
        let options = CompactOptions::from_config(&config, "t.toml", None, vec!["east".into()])
            .expect("compaction needs no secrets");
        assert_eq!(options.out, PathBuf::from("lake"));
        assert_eq!(options.parquet, config.output.parquet);
        assert_eq!(options.only, ["east"]);
        let options =
            CompactOptions::from_config(&config, "t.toml", Some("s3://b/p".into()), vec![])
                .expect("valid");
        assert_eq!(options.out, PathBuf::from("s3://b/p"));
    }
}
