//! The error every validation step returns (which source and setting, what is wrong, the fix),
//! and how a `[[sources]]` table phrases one for a setting that is missing or not its vendor's.

use super::toml_model::SourceConfig;

/// A configuration problem: which source and setting, what is wrong, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {problem}")]
pub struct ConfigError {
    /// `source "acme" (yonyou_u8), setting app_key` or `[output] path`.
    pub location: String,
    /// What is wrong and the fix.
    pub problem: String,
}

impl SourceConfig {
    /// Where a problem with `setting` of this source is: `source "acme" (yonyou_u8), setting
    /// app_key`.
    fn location(&self, setting: &str) -> String {
        format!(
            "source {:?} ({}), setting {setting}",
            self.name,
            self.kind.as_str()
        )
    }

    /// A problem with `setting` of this source.
    pub(super) fn problem(&self, setting: &str, problem: impl Into<String>) -> ConfigError {
        ConfigError {
            location: self.location(setting),
            problem: problem.into(),
        }
    }

    /// The value of a setting its vendor requires, or a problem saying it is missing.
    pub(super) fn required<'a, T>(
        &self,
        setting: &str,
        value: &'a Option<T>,
    ) -> Result<&'a T, ConfigError> {
        value.as_ref().ok_or_else(|| {
            self.problem(
                setting,
                format!(
                    "is missing; {setting} is required for {} sources",
                    self.kind.as_str()
                ),
            )
        })
    }

    /// A problem for the first of `settings` that is present (`true`) though it belongs to the
    /// other vendor.
    pub(super) fn not_for_this_vendor(&self, settings: &[(&str, bool)]) -> Result<(), ConfigError> {
        match settings.iter().find(|(_, present)| *present) {
            Some((name, _)) => Err(self.problem(
                name,
                format!(
                    "does not apply to {} sources; remove it",
                    self.kind.as_str()
                ),
            )),
            None => Ok(()),
        }
    }
}
