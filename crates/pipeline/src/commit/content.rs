//! What a partition's files are: the run that published them, their content hash, rows and
//! paths. The catalog, the markers, the merge and the upsert all speak of partitions this way.

use serde::{Deserialize, Serialize};

/// Files that together hold one version of a partition's rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    /// The run that wrote the files.
    pub run_id: String,
    /// [`ContentHasher`](crate::write::content_hash::ContentHasher) hash of the rows; empty when
    /// unknown (partitions written before custlake recorded hashes).
    pub content_hash: String,
    /// Rows across the files.
    pub rows: u64,
    /// The files, paths relative to the output root with `/` separators.
    pub files: Vec<FileRecord>,
}

/// One Parquet file of the dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Path relative to the output root, e.g.
    /// `customers/source=yonyou_u8/tenant=east/part-<run_id>-00000.parquet`.
    pub path: String,
    /// Rows in the file.
    pub rows: u64,
    /// Size in bytes.
    pub bytes: u64,
}
