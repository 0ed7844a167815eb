//! The unified customer datasets of custlake: `customers`, `contacts` and `rejects`.
//!
//! This crate is the single source of truth for what the output looks like: the Arrow schemas
//! (column names, types, nullability and a description of every column), the row types and
//! their Arrow builders, and the mapping from each vendor's records (the generated client types
//! inside [`VendorRecord`](custlake_client_kit::VendorRecord)) to unified rows. The mapping is
//! lenient, coercing what the vendors really send, and never loses a value silently: what it
//! cannot map is nulled and reported in `rejects`.
//!
//! It knows nothing of HTTP, paging or files: the pipeline hands it decoded pages and writes
//! the batches it returns.

#![warn(missing_docs)]

mod columns;
mod common;
mod contacts;
mod context;
mod customers;
mod datasets;
mod describe;
mod file_layout;
mod mapping;
mod match_columns;
mod rejects;
mod row_hash;
mod u8_contacts;
mod u8_customers;
mod ycm_customers;

pub mod coerce;
pub mod row_version;

pub use contacts::{ContactRow, ContactsBuilder};
pub use context::{DEFAULT_TIMEZONE, MapContext, MapStats, MappedBatches};
pub use custlake_match_keys::{Region, RegionError};
pub use customers::{CustomerRow, CustomersBuilder};
pub use datasets::{
    DATASET_KEY, DESCRIPTION_KEY, Dataset, SCHEMA_VERSION_KEY, SourceKind, UnknownSource,
    contacts_schema, customer_links_schema, customers_schema, rejects_schema,
};
pub use describe::{describe_json, pyarrow_type};
pub use file_layout::{FileBatchError, PARTITION_COLUMNS, dataset_batch_from_file, file_schema};
pub use match_columns::{default_region, with_match_keys};
pub use rejects::{RejectRow, RejectsBuilder};
pub use row_hash::{ROW_HASH_COLUMN, has_row_hash, hashed_columns, row_hashes_of};
pub use row_version::RowVersion;
pub use u8_contacts::{map_u8_contacts, u8_contact_key};
pub use u8_customers::{map_u8_customers, u8_customer_key};
pub use ycm_customers::{map_ycm_customers, ycm_customer_key};

/// Version of the unified schema; bumped whenever a column is added, removed or changes type
/// or meaning, or the files' layout changes, and written into every file's metadata.
///
/// 2: `source` and `tenant` are left out of the files (their folders carry them); see
/// [`file_schema`]. 3: match keys (`*_e164`, `email_normalized`) and `customer_links`. 4:
/// `row_hash` on `customers` and `contacts` (change detection). Files of versions 1 to 3 still
/// read through [`dataset_batch_from_file`], which derives what they lack.
pub const SCHEMA_VERSION: u32 = 4;
