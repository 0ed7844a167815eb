//! Yeastar YCM OpenAPI client.
//!
//! `generated` is written by `cargo xtask generate` from `specs/yeastar-ycm.yaml` and never edited
//! by hand; the modules beside it add the OAuth token flow ([`YcmTokenIssuer`]), the bearer and
//! User-Agent headers on every call ([`auth`]), typed errors with redaction ([`YcmError`]) and
//! one-page fetches with the total parsed ([`YcmClient`], [`YcmPage`]).

mod account;
pub mod auth;
mod client;
mod error;
#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, unused, missing_docs)]
mod generated;
mod page;
mod token;

pub use account::{
    DEFAULT_BUSY_CODES, DEFAULT_TOKEN_EXPIRED_CODES, DEFAULT_USER_AGENT, YcmAccount,
};
pub use client::YcmClient;
pub use error::YcmError;
pub use generated::{Client as GeneratedClient, types};
pub use page::YcmPage;
pub use token::YcmTokenIssuer;

/// A YCM customer as received: raw JSON text plus the decoded fields.
pub type YcmCustomerRecord = custlake_client_kit::VendorRecord<types::YcmCustomer>;

/// The page size YCM allows at most.
pub const MAX_PAGE_SIZE: u32 = 50;
