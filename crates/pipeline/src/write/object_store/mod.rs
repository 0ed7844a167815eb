//! The object-store snapshot sink (S3 and S3-compatible stores): one [`ObjectSnapshotWriter`] per
//! (dataset, source, tenant) per run streams rotating Parquet files to run-unique keys, and the
//! run commits by writing the catalog last (see [`commit`] for the protocol and its guarantees).

pub mod commit;
mod reader;
mod sink;

pub use commit::UploadedSnapshot;
pub use reader::ObjectFileReader;
pub use sink::ObjectSnapshotWriter;
