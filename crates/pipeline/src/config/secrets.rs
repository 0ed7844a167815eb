//! Secrets a configuration file leaves out: each source's `app_secret` (U8) or `client_secret`
//! (YCM) may come from the environment variable `CUSTLAKE_<NAME>_APP_SECRET` /
//! `CUSTLAKE_<NAME>_CLIENT_SECRET` instead, so a file can be shared without credentials in it.
//! A secret found in neither place is refused with a message naming both.

use custlake_client_kit::Secret;

use super::error::ConfigError;
use super::toml_model::{ExportConfig, SourceConfig};
use crate::model::VendorKind;

impl ExportConfig {
    /// Fills every source's missing secret from its environment variable ([`secret_env_var`]);
    /// a secret the file sets (directly or as `${VAR}`) is kept. `env` looks variables up
    /// (`std::env::var` in the binary, a table in tests).
    pub fn secrets_from_env(&mut self, env: &dyn Fn(&str) -> Option<String>) {
        for source in &mut self.sources {
            source.secret_from_env(env);
        }
    }
}

impl SourceConfig {
    /// `value` when it is set and not empty; else an error naming the environment variable
    /// that would have set it.
    pub(super) fn secret(
        &self,
        setting: &str,
        value: &Option<Secret>,
    ) -> Result<Secret, ConfigError> {
        let env = secret_env_var(&self.name, setting);
        match value {
            Some(secret) if !secret.expose().is_empty() => Ok(secret.clone()),
            _ => Err(self.problem(
                setting,
                format!("is missing; set {setting} = \"${{YOUR_ENV_VAR}}\" in the config or export {env}"),
            )),
        }
    }

    fn secret_from_env(&mut self, env: &dyn Fn(&str) -> Option<String>) {
        let (setting, slot) = match self.kind {
            VendorKind::YonyouU8 => ("app_secret", &mut self.app_secret),
            VendorKind::YeastarYcm => ("client_secret", &mut self.client_secret),
        };
        if slot.is_none() {
            *slot = env(&secret_env_var(&self.name, setting)).map(Into::into);
        }
    }
}

/// The environment variable holding `setting` (`app_secret`, `client_secret`) of the source
/// named `source_name`: `acme-prod`, `app_secret` → `CUSTLAKE_ACME_PROD_APP_SECRET`.
pub(crate) fn secret_env_var(source_name: &str, setting: &str) -> String {
    format!(
        "CUSTLAKE_{}_{}",
        env_name(source_name),
        setting.to_ascii_uppercase()
    )
}

/// `acme-prod` → `ACME_PROD`, for environment variable names.
pub fn env_name(source_name: &str) -> String {
    source_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(sources: &str) -> ExportConfig {
        toml::from_str(&format!("[output]\npath = \"out\"\n{sources}")).expect("test config")
    }

    const U8: &str = r#"
[[sources]]
name = "acme-prod"
kind = "yonyou_u8"
base_url = "https://api.yonyouup.com"
"#;

    const YCM: &str = r#"
[[sources]]
name = "call"
kind = "yeastar_ycm"
base_url = "https://ycm.example"
"#;

    fn env(name: &str) -> Option<String> {
        match name {
            "CUSTLAKE_ACME_PROD_APP_SECRET" => Some("u8-secret".into()),
            "CUSTLAKE_CALL_CLIENT_SECRET" => Some("ycm-secret".into()),
            _ => None,
        }
    }

    #[test]
    fn each_vendor_takes_its_own_secret_from_the_environment() {
        let mut config = config(&format!("{U8}{YCM}"));
        config.secrets_from_env(&env);
        let u8 = &config.sources[0];
        assert_eq!(
            u8.app_secret.as_ref().map(|s| s.expose()),
            Some("u8-secret")
        );
        assert!(u8.client_secret.is_none(), "a U8 source gets no YCM secret");
        let ycm = &config.sources[1];
        assert_eq!(
            ycm.client_secret.as_ref().map(|s| s.expose()),
            Some("ycm-secret")
        );
        assert!(ycm.app_secret.is_none(), "a YCM source gets no U8 secret");
    }

    #[test]
    fn a_secret_in_the_file_wins_over_the_environment() {
        let mut config = config(&format!("{U8}app_secret = \"from-file\"\n"));
        config.secrets_from_env(&env);
        assert_eq!(
            config.sources[0].app_secret.as_ref().map(|s| s.expose()),
            Some("from-file")
        );
    }

    #[test]
    fn without_the_variable_the_secret_stays_missing() {
        let mut config = config(U8);
        config.secrets_from_env(&|_| None);
        assert!(config.sources[0].app_secret.is_none());
    }

    #[test]
    fn the_variable_name_follows_the_source_name() {
        assert_eq!(
            secret_env_var("acme-prod.eu", "client_secret"),
            "CUSTLAKE_ACME_PROD_EU_CLIENT_SECRET"
        );
    }
}
