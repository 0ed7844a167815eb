//! What every generated U8 call goes through: the bound on the size of its answer.
//!
//! The generated client reads a whole body before decoding it; its `exec` hook hands it the
//! response through [`execute_bounded`], so an answer above the account's
//! `max_response_bytes` fails (as [`crate::U8Error::ResponseTooLarge`]) without being read to
//! its end. The token call goes through the same hook.

use custlake_client_kit::{DEFAULT_MAX_RESPONSE_BYTES, execute_bounded};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};

use crate::generated::Client;

/// The generated client's inner value: what its hooks need.
#[derive(Clone, Copy, Debug)]
pub struct U8Hooks {
    max_response_bytes: u64,
}

impl U8Hooks {
    /// Hooks that refuse answers above `max_response_bytes`.
    pub fn new(max_response_bytes: u64) -> Self {
        Self { max_response_bytes }
    }
}

impl Default for U8Hooks {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_RESPONSE_BYTES)
    }
}

impl ClientHooks<U8Hooks> for Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        execute_bounded(self.client(), request, self.inner().max_response_bytes).await
    }
}
