//! Validation of the Yonyou U8 settings of a `[[sources]]` table.

use super::bounds;
use super::codes::add_codes;
use super::error::ConfigError;
use super::toml_model::SourceConfig;
use super::validated::VendorSettings;

impl SourceConfig {
    /// The U8 half of a `[[sources]]` table: account, error codes and time zone.
    pub(super) fn u8_settings(&self) -> Result<VendorSettings, ConfigError> {
        self.not_for_this_vendor(&[
            ("client_id", self.client_id.is_some()),
            ("client_secret", self.client_secret.is_some()),
            ("user_agent", self.user_agent.is_some()),
        ])?;
        let mut account = yonyou_u8::U8Account::new(
            self.base_url.clone(),
            self.required("from_account", &self.from_account)?.clone(),
            self.required("to_account", &self.to_account)?.clone(),
            self.required("app_key", &self.app_key)?.clone(),
            self.secret("app_secret", &self.app_secret)?,
        );
        account.ds_sequence = self.ds_sequence;
        account.max_response_bytes = self.bounded(
            "max_response_bytes",
            self.max_response_bytes,
            &bounds::MAX_RESPONSE_BYTES,
        )?;
        if let Some(codes) = &self.token_expired_codes {
            if codes.iter().any(|c| c.trim() == yonyou_u8::NO_MATCH_CODE) {
                return Err(self.problem(
                    "token_expired_codes",
                    format!(
                        "lists {code}, which U8 answers for \"no matching record\" (未检索到匹配的[…]: an empty listing or an unknown code), not for a bad token; remove {code} (an errmsg naming the token is recognised without listing its code)",
                        code = yonyou_u8::NO_MATCH_CODE
                    ),
                ));
            }
            add_codes(&mut account.token_expired_codes, codes);
        }
        if let Some(codes) = &self.busy_codes {
            account.busy_codes = codes.clone();
        }
        let tz_name = self.timezone.as_deref().unwrap_or("Asia/Shanghai");
        let timezone = tz_name.parse::<chrono_tz::Tz>().map_err(|_| {
            self.problem(
                "timezone",
                format!("{tz_name:?} is not an IANA time zone; write it like \"Asia/Shanghai\""),
            )
        })?;
        Ok(VendorSettings::YonyouU8 {
            account: Box::new(account),
            timezone,
        })
    }
}
