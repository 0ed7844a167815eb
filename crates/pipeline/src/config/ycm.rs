//! Validation of the Yeastar YCM settings of a `[[sources]]` table.

use super::bounds;
use super::codes::add_codes;
use super::error::ConfigError;
use super::toml_model::SourceConfig;
use super::validated::VendorSettings;

impl SourceConfig {
    /// The YCM half of a `[[sources]]` table: client, User-Agent, error codes and page size.
    pub(super) fn ycm_settings(&self, page_size: u32) -> Result<VendorSettings, ConfigError> {
        self.not_for_this_vendor(&[
            ("from_account", self.from_account.is_some()),
            ("to_account", self.to_account.is_some()),
            ("app_key", self.app_key.is_some()),
            ("app_secret", self.app_secret.is_some()),
            ("ds_sequence", self.ds_sequence.is_some()),
            ("timezone", self.timezone.is_some()),
        ])?;
        if page_size > yeastar_ycm::MAX_PAGE_SIZE {
            return Err(self.problem(
                "page_size",
                format!(
                    "{} is above YCM's maximum of {}",
                    page_size,
                    yeastar_ycm::MAX_PAGE_SIZE
                ),
            ));
        }
        let mut account = yeastar_ycm::YcmAccount::new(
            self.base_url.clone(),
            self.required("client_id", &self.client_id)?.clone(),
            self.secret("client_secret", &self.client_secret)?,
        );
        account.max_response_bytes = self.bounded(
            "max_response_bytes",
            self.max_response_bytes,
            &bounds::MAX_RESPONSE_BYTES,
        )?;
        if let Some(ua) = &self.user_agent {
            account.user_agent = ua.clone();
        }
        if let Some(codes) = &self.token_expired_codes {
            add_codes(&mut account.token_expired_codes, codes);
        }
        if let Some(codes) = &self.busy_codes {
            account.busy_codes = codes.clone();
        }
        Ok(VendorSettings::YeastarYcm {
            account: Box::new(account),
        })
    }
}
