//! Yonyou U8 OpenAPI client.
//!
//! `generated` is written by `cargo xtask generate` from `specs/yonyou-u8.yaml` and never edited
//! by hand; the modules beside it add what a spec cannot say: the token flow
//! ([`U8TokenIssuer`]), typed vendor errors with redaction ([`U8Error`]), one-page fetches
//! with parsed counters ([`U8Client`], [`U8Page`]), and the bound on an answer's size
//! ([`U8Hooks`]).

mod account;
mod client;
mod error;
#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, unused, missing_docs)]
mod generated;
mod hooks;
mod page;
mod token;

pub use account::{
    DEFAULT_BUSY_CODES, DEFAULT_TOKEN_EXPIRED_CODES, NO_MATCH_CODE, NO_MATCH_MESSAGE, U8Account,
};
pub use client::{U8Client, U8ContactFilter, U8CustomerFilter};
pub use error::U8Error;
pub use generated::{Client as GeneratedClient, types};
pub use hooks::U8Hooks;
pub use page::U8Page;
pub use token::U8TokenIssuer;

/// A U8 customer as received: raw JSON text plus the decoded fields.
pub type U8CustomerRecord = custlake_client_kit::VendorRecord<types::U8Customer>;
/// A U8 customer contact as received: raw JSON text plus the decoded fields.
pub type U8ContactRecord = custlake_client_kit::VendorRecord<types::U8CustomerContact>;
