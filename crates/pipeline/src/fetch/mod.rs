//! Layer 2, fetch: turns a [`crate::sources::PageSource`] into a stream of pages — the paging
//! plan ([`entity`]), the request budget ([`budget`]), retries ([`retry`]), the guard against a
//! vendor repeating pages ([`page_guard`]), the set of pages already fetched ([`page_set`]) and
//! why an entity's fetching stopped ([`failure`]).

pub(crate) mod budget;
pub(crate) mod entity;
pub(crate) mod failure;
pub(crate) mod page_guard;
pub(crate) mod page_set;
pub(crate) mod retry;

pub use entity::{authenticate_source, fetch_entity_except};
pub use failure::FetchFailure;
