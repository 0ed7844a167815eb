//! Layer 3, map: de-duplicates fetched records by key ([`record_keys`], [`key_set`]) and maps
//! them to the unified schema's Arrow batches on a blocking thread ([`mapper`]).

pub(crate) mod key_set;
pub(crate) mod mapper;
pub(crate) mod record_keys;
