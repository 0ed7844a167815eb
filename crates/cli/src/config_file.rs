//! Reads `custlake.toml`: TOML, `${ENV_VAR}` references, then the secrets the file leaves out
//! from the environment ([`ExportConfig::secrets_from_env`]).
//!
//! Interpolation works on parsed string values, never on the raw text, so a secret containing
//! quotes cannot change the file's structure. Every error names the file and the setting.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use custlake_pipeline::ExportConfig;
use toml::Value;

/// Loads, interpolates and deserializes the configuration file.
pub fn load(path: &Path) -> Result<ExportConfig> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read config file {}; pass --config PATH or copy custlake.example.toml",
            path.display()
        )
    })?;
    parse(&text, &path.display().to_string(), &|name| {
        std::env::var(name).ok()
    })
}

/// Parses configuration text; `env` looks up environment variables (injectable for tests).
pub fn parse(
    text: &str,
    origin: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ExportConfig> {
    let value: Value = toml::from_str(text).map_err(|e| anyhow!("config {origin}: {e}"))?;
    from_value(value, origin, env)
}

/// Interpolates and deserializes an already parsed configuration (the demo builds one).
pub fn from_value(
    mut value: Value,
    origin: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ExportConfig> {
    interpolate(&mut value, "", env).map_err(|e| anyhow!("config {origin}: {e}"))?;
    let mut config: ExportConfig = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        anyhow!("config {origin}: setting {path}: {}", e.into_inner())
    })?;
    config.secrets_from_env(env);
    Ok(config)
}

fn interpolate(value: &mut Value, at: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<()> {
    match value {
        Value::String(s) if s.contains("${") => *s = expand(s, at, env)?,
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                interpolate(item, &format!("{at}[{i}]"), env)?;
            }
        }
        Value::Table(table) => {
            for (key, item) in table.iter_mut() {
                let path = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                interpolate(item, &path, env)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn expand(text: &str, at: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            bail!("setting {at}: \"${{\" without a closing \"}}\"");
        };
        let name = &after[..end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            bail!("setting {at}: ${{{name}}} is not a valid environment variable name");
        }
        let value = env(name).ok_or_else(|| {
            anyhow!(
                "setting {at} refers to ${{{name}}}, which is not set; export {name} before running"
            )
        })?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
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

    fn env(name: &str) -> Option<String> {
        (name == "ACME_SECRET").then(|| "s\"3cr\"et".to_owned())
    }

    #[test]
    fn resolves_env_references_inside_values() {
        let config = parse(BASE, "test.toml", &env).expect("valid");
        let secret = config.sources[0].app_secret.as_ref().expect("resolved");
        assert_eq!(secret.expose(), "s\"3cr\"et");
    }

    #[test]
    fn missing_env_var_names_setting_and_variable() {
        let err = parse(BASE, "test.toml", &|_| None)
            .expect_err("missing")
            .to_string();
        assert!(
            err.contains("sources[0].app_secret") && err.contains("ACME_SECRET"),
            "{err}"
        );
    }

    #[test]
    fn unknown_key_names_its_path() {
        let text = BASE.replace("app_key = \"k\"", "app_key = \"k\"\nbogus = 1");
        let err = parse(&text, "test.toml", &env)
            .expect_err("unknown")
            .to_string();
        assert!(err.contains("sources[0]") && err.contains("bogus"), "{err}");
    }

    #[test]
    fn secret_falls_back_to_the_source_env_var() {
        let text = BASE.replace("app_secret = \"${ACME_SECRET}\"\n", "");
        let config = parse(&text, "t", &|n| {
            (n == "CUSTLAKE_ACME_APP_SECRET").then(|| "x".into())
        })
        .expect("valid");
        assert_eq!(
            config.sources[0].app_secret.as_ref().map(|s| s.expose()),
            Some("x")
        );
    }
}
