//! Reading `custlake.toml`: TOML, `${ENV_VAR}` references, then the secrets the file leaves out
//! from the environment ([`ExportConfig::secrets_from_env`]).
//!
//! Interpolation works on parsed string values, never on the raw text, so a secret containing
//! quotes cannot change the file's structure. Every error names the file and the setting, and
//! none repeats a value taken from the environment.

use std::io;
use std::path::{Path, PathBuf};

use custlake_client_kit::MIN_SECRET_CHARS;
use toml::Value;

use crate::config::ExportConfig;

/// Why a configuration file could not be turned into an [`ExportConfig`]: each variant names the
/// file, the setting and the fix, and never a value read from the environment.
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    /// The file cannot be read (missing, a folder, no permission); the I/O error is the source.
    #[error(
        "cannot read config file {}; pass --config PATH or copy custlake.example.toml",
        path.display()
    )]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// The text is not TOML. Only the position and the parser's message are given, not the
    /// offending line, which may hold a secret written into the file.
    #[error("config {origin}: TOML parse error at line {line}, column {column}: {message}")]
    Toml {
        /// The file's path, or the name the caller gave the configuration (`demo`).
        origin: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column (in characters) of the error.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// A `${VAR}` reference names a variable that is not set.
    #[error(
        "config {origin}: setting {setting} refers to ${{{var}}}, which is not set; export {var} \
         before running"
    )]
    UnsetVar {
        /// The file's path, or the name the caller gave the configuration.
        origin: String,
        /// Where the reference stands, such as `sources[0].app_secret`.
        setting: String,
        /// The variable's name.
        var: String,
    },
    /// A `${` without its closing `}`.
    #[error(
        "config {origin}: setting {setting}: \"${{\" without a closing \"}}\"; write the \
         reference as ${{VAR}}"
    )]
    UnclosedReference {
        /// The file's path, or the name the caller gave the configuration.
        origin: String,
        /// Where the reference stands.
        setting: String,
    },
    /// A `${...}` whose name is not an environment variable name.
    #[error(
        "config {origin}: setting {setting}: ${{{name}}} is not a valid environment variable \
         name; use only letters, digits and '_'"
    )]
    InvalidVarName {
        /// The file's path, or the name the caller gave the configuration.
        origin: String,
        /// Where the reference stands.
        setting: String,
        /// The text between `${` and `}`, as written in the file.
        name: String,
    },
    /// A setting is unknown, missing or of the wrong type (the path comes from
    /// `serde_path_to_error`; `.` is the top level). A value taken from the environment is shown
    /// as the `${VAR}` reference it came from.
    #[error("config {origin}: setting {setting}: {message}")]
    Shape {
        /// The file's path, or the name the caller gave the configuration.
        origin: String,
        /// The setting's path, such as `sources[0].page_size`.
        setting: String,
        /// What is wrong (the valid choices, for an unknown key or variant).
        message: String,
    },
}

/// Loads the configuration file at `path`: its TOML, `${VAR}` references and missing secrets
/// resolved through `env` (`std::env::var` in the binary, a table in tests).
pub fn load_config_file(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ExportConfig, ConfigFileError> {
    let text = read_config_text(path)?;
    parse_config(&text, &path.display().to_string(), env)
}

fn read_config_text(path: &Path) -> Result<String, ConfigFileError> {
    std::fs::read_to_string(path).map_err(|source| ConfigFileError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Loads the configuration file for a command that calls no vendor (`link`, `compact`,
/// `vacuum`): as [`load_config_file`], except that a `${VAR}` under `[[sources]]` that is not
/// set stays as written — the secrets those name are not needed, so a job that only links or
/// compacts runs without them. `[output]` references must still be set.
pub fn load_output_config_file(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ExportConfig, ConfigFileError> {
    let text = read_config_text(path)?;
    parse_config_with(
        &text,
        &path.display().to_string(),
        env,
        References::SourcesOptional,
    )
}

/// Which `${VAR}` references must be set.
#[derive(Clone, Copy, PartialEq, Eq)]
enum References {
    /// Every one.
    AllRequired,
    /// Those outside `[[sources]]`; an unset one inside stays as written.
    SourcesOptional,
}

impl References {
    fn optional_at(self, setting: &str) -> bool {
        self == References::SourcesOptional && setting.starts_with("sources[")
    }
}

/// Parses configuration text; `origin` names it in errors.
fn parse_config(
    text: &str,
    origin: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ExportConfig, ConfigFileError> {
    parse_config_with(text, origin, env, References::AllRequired)
}

/// [`parse_config`] with `references` saying which `${VAR}` must be set.
fn parse_config_with(
    text: &str,
    origin: &str,
    env: &dyn Fn(&str) -> Option<String>,
    references: References,
) -> Result<ExportConfig, ConfigFileError> {
    let value: Value = toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map_or((1, 1), |span| line_and_column(text, span.start));
        ConfigFileError::Toml {
            origin: origin.to_owned(),
            line,
            column,
            message: e.message().trim_end().to_owned(),
        }
    })?;
    config_with_references(value, origin, env, references)
}

/// Interpolates and deserializes an already parsed configuration, for a caller that builds one
/// in memory (`custlake demo`); `origin` names it in errors.
pub fn config_from_toml(
    value: Value,
    origin: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ExportConfig, ConfigFileError> {
    config_with_references(value, origin, env, References::AllRequired)
}

fn config_with_references(
    mut value: Value,
    origin: &str,
    env: &dyn Fn(&str) -> Option<String>,
    references: References,
) -> Result<ExportConfig, ConfigFileError> {
    let mut resolved = Vec::new();
    interpolate(&mut value, "", env, references, &mut resolved)
        .map_err(|e| e.into_error(origin))?;
    let mut config: ExportConfig = serde_path_to_error::deserialize(value).map_err(|e| {
        let setting = e.path().to_string();
        ConfigFileError::Shape {
            origin: origin.to_owned(),
            setting,
            message: mask_resolved(e.into_inner().message().trim_end(), &resolved),
        }
    })?;
    config.secrets_from_env(env);
    Ok(config)
}

/// A string value that held `${VAR}` references: as written, and as resolved.
struct Resolved {
    written: String,
    value: String,
}

/// An interpolation problem, before the origin is known to it.
enum RefProblem {
    Unset { setting: String, var: String },
    Unclosed { setting: String },
    InvalidName { setting: String, name: String },
}

impl RefProblem {
    fn into_error(self, origin: &str) -> ConfigFileError {
        let origin = origin.to_owned();
        match self {
            RefProblem::Unset { setting, var } => ConfigFileError::UnsetVar {
                origin,
                setting,
                var,
            },
            RefProblem::Unclosed { setting } => {
                ConfigFileError::UnclosedReference { origin, setting }
            }
            RefProblem::InvalidName { setting, name } => ConfigFileError::InvalidVarName {
                origin,
                setting,
                name,
            },
        }
    }
}

/// Resolves every `${VAR}` in the string values under `value` (whose path is `at`), recording
/// each resolved string in `resolved`.
fn interpolate(
    value: &mut Value,
    at: &str,
    env: &dyn Fn(&str) -> Option<String>,
    references: References,
    resolved: &mut Vec<Resolved>,
) -> Result<(), RefProblem> {
    match value {
        Value::String(s) if s.contains("${") => {
            let expanded = expand(s, at, env, references)?;
            let written = std::mem::replace(s, expanded.clone());
            resolved.push(Resolved {
                written,
                value: expanded,
            });
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                interpolate(item, &format!("{at}[{i}]"), env, references, resolved)?;
            }
        }
        Value::Table(table) => {
            for (key, item) in table.iter_mut() {
                let path = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                interpolate(item, &path, env, references, resolved)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn expand(
    text: &str,
    at: &str,
    env: &dyn Fn(&str) -> Option<String>,
    references: References,
) -> Result<String, RefProblem> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(RefProblem::Unclosed { setting: at.into() });
        };
        let name = &after[..end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(RefProblem::InvalidName {
                setting: at.into(),
                name: name.into(),
            });
        }
        match env(name) {
            Some(value) => out.push_str(&value),
            None if references.optional_at(at) => out.push_str(&rest[start..start + end + 3]),
            None => {
                return Err(RefProblem::Unset {
                    setting: at.into(),
                    var: name.into(),
                });
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `message` with every resolved value replaced by the text it was written as (`${VAR}`), so a
/// secret put into a setting of the wrong type is not echoed by the deserializer's message
/// (`invalid type: string "…"`, ``unknown variant `…` ``). Bare occurrences are replaced only
/// for values of [`MIN_SECRET_CHARS`] or more, so short values do not mangle ordinary words.
fn mask_resolved(message: &str, resolved: &[Resolved]) -> String {
    let mut by_length: Vec<&Resolved> = resolved.iter().filter(|r| !r.value.is_empty()).collect();
    by_length.sort_by_key(|r| std::cmp::Reverse(r.value.len()));
    let mut out = message.to_owned();
    for r in &by_length {
        out = out
            .replace(&format!("{:?}", r.value), &format!("{:?}", r.written))
            .replace(&format!("`{}`", r.value), &format!("`{}`", r.written));
    }
    for r in by_length {
        if r.value.chars().count() >= MIN_SECRET_CHARS {
            out = out.replace(&r.value, &r.written);
        }
    }
    out
}

/// 1-based line and column (in characters) of byte `offset` in `text`, as `toml` counts them.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
[output]
path = "out"

[[sources]]
name = "acme"
kind = "yonyou_u8"
base_url = "https://api.yonyouup.com"
from_account = "f"
to_account = "t"
app_key = "k"
app_secret = "${ACME_SECRET}"
"#;

    const SECRET: &str = "s\"3cr\"et";

    fn env(name: &str) -> Option<String> {
        (name == "ACME_SECRET").then(|| SECRET.to_owned())
    }

    #[test]
    fn a_command_that_calls_no_vendor_needs_no_source_secret() {
        let text = format!(
            "{BASE}\n[[sources]]\nname = \"x\"\nkind = \"yeastar_ycm\"\nbase_url = \"https://x\"\nclient_id = \"c\"\nclient_secret = \"${{UNSET_SECRET}}\"\n"
        );
        let strict = parse_config(&text, "t.toml", &env);
        assert!(strict.is_err(), "export needs the secret");
        let config = parse_config_with(&text, "t.toml", &env, References::SourcesOptional)
            .expect("link/compact/vacuum load it");
        assert_eq!(config.sources.len(), 2);
        // [output] references stay required.
        let output = "[output]\npath = \"${UNSET_PATH}\"\n";
        let err = parse_config_with(output, "t.toml", &env, References::SourcesOptional)
            .expect_err("unset output reference");
        assert!(err.to_string().contains("UNSET_PATH"), "{err}");
    }

    #[test]
    fn resolves_env_references_inside_values() {
        let config = parse_config(BASE, "test.toml", &env).expect("valid");
        let secret = config.sources[0].app_secret.as_ref().expect("resolved");
        assert_eq!(secret.expose(), SECRET);
    }

    #[test]
    fn missing_env_var_names_setting_and_variable() {
        let err = parse_config(BASE, "test.toml", &|_| None).expect_err("missing");
        assert!(matches!(err, ConfigFileError::UnsetVar { .. }), "{err:?}");
        let err = err.to_string();
        assert!(
            err.contains("test.toml")
                && err.contains("sources[0].app_secret")
                && err.contains("${ACME_SECRET}, which is not set")
                && err.contains("export ACME_SECRET"),
            "{err}"
        );
    }

    #[test]
    fn unknown_key_names_its_path() {
        let text = BASE.replace("app_key = \"k\"", "app_key = \"k\"\nbogus = 1");
        let err = parse_config(&text, "test.toml", &env).expect_err("unknown");
        assert!(matches!(err, ConfigFileError::Shape { .. }), "{err:?}");
        let err = err.to_string();
        assert!(
            err.starts_with("config test.toml: setting sources[0].bogus: unknown field `bogus`"),
            "{err}"
        );
    }

    #[test]
    fn secret_falls_back_to_the_source_env_var() {
        let text = BASE.replace("app_secret = \"${ACME_SECRET}\"\n", "");
        let config = parse_config(&text, "t", &|n| {
            (n == "CUSTLAKE_ACME_APP_SECRET").then(|| "x".into())
        })
        .expect("valid");
        assert_eq!(
            config.sources[0].app_secret.as_ref().map(|s| s.expose()),
            Some("x")
        );
    }

    #[test]
    fn a_resolved_value_of_the_wrong_type_is_shown_as_its_reference() {
        let cases = [
            (
                BASE.replace(
                    "app_key = \"k\"",
                    "app_key = \"k\"\nds_sequence = \"${LONG}\"",
                ),
                "setting sources[0].ds_sequence: invalid type: string \"${LONG}\"",
            ),
            (
                BASE.replace("\"yonyou_u8\"", "\"${LONG}\""),
                "setting sources[0].kind: unknown variant `${LONG}`",
            ),
        ];
        for (text, expected) in cases {
            let err = parse_config(&text, "test.toml", &|n| match n {
                "LONG" => Some("hunter2-very-secret".into()),
                _ => env(n),
            })
            .expect_err("wrong type")
            .to_string();
            assert!(err.contains(expected) && !err.contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn a_short_resolved_value_is_masked_where_quoted_and_words_stay_intact() {
        let resolved = [Resolved {
            written: "${DS}".into(),
            value: "64".into(),
        }];
        assert_eq!(
            mask_resolved("invalid type: string \"64\", expected i64", &resolved),
            "invalid type: string \"${DS}\", expected i64"
        );
    }

    #[test]
    fn bad_references_name_the_setting_and_the_fix() {
        let unclosed = BASE.replace("${ACME_SECRET}", "${ACME_SECRET");
        let err = parse_config(&unclosed, "t.toml", &env)
            .expect_err("unclosed")
            .to_string();
        assert!(
            err.contains("setting sources[0].app_secret: \"${\" without a closing \"}\""),
            "{err}"
        );
        let invalid = BASE.replace("${ACME_SECRET}", "${ACME SECRET}");
        let err = parse_config(&invalid, "t.toml", &env)
            .expect_err("invalid name")
            .to_string();
        assert!(
            err.contains("${ACME SECRET} is not a valid environment variable name")
                && err.contains("letters, digits and '_'"),
            "{err}"
        );
    }

    #[test]
    fn invalid_toml_gives_the_position_but_not_the_line() {
        let err = parse_config("[output\npath = 1", "t.toml", &env).expect_err("not TOML");
        assert!(matches!(err, ConfigFileError::Toml { .. }), "{err:?}");
        assert!(
            err.to_string()
                .starts_with("config t.toml: TOML parse error at line 1, column 8: "),
            "{err}"
        );
        let text = "[output]\npath = \"out\"\n[[sources]]\napp_secret = \"hunter2-literal\n";
        let err = parse_config(text, "t.toml", &env)
            .expect_err("unterminated string")
            .to_string();
        assert!(err.contains("line 4") && !err.contains("hunter2"), "{err}");
    }

    #[test]
    fn an_unreadable_file_names_the_path_and_the_fix() {
        let path = Path::new("/nonexistent/custlake.toml");
        let err = load_config_file(path, &env).expect_err("missing file");
        assert!(matches!(err, ConfigFileError::Read { .. }), "{err:?}");
        let source = std::error::Error::source(&err).map(ToString::to_string);
        assert!(source.is_some_and(|s| !s.is_empty()));
        assert_eq!(
            err.to_string(),
            "cannot read config file /nonexistent/custlake.toml; pass --config PATH or copy \
             custlake.example.toml"
        );
    }

    #[test]
    fn line_and_column_count_characters_from_one() {
        assert_eq!(line_and_column("ab\ncé d", 7), (2, 4));
        assert_eq!(line_and_column("", 0), (1, 1));
        assert_eq!(line_and_column("x", 1), (1, 2));
    }
}
