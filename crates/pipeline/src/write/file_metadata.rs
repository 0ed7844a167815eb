//! The key-value metadata every Parquet file custlake writes carries, whatever wrote it (an
//! export, an upsert's rewrite, a compaction, the link step).

use custlake_schema::SCHEMA_VERSION;

use crate::layout::PartitionTarget;

/// The key-value metadata of every file a run writes into `target`: custlake's and the
/// schema's version, the run, and the partition's names.
pub(crate) fn file_metadata(run_id: &str, target: &PartitionTarget) -> Vec<(String, String)> {
    vec![
        (
            "custlake.version".to_owned(),
            env!("CARGO_PKG_VERSION").to_owned(),
        ),
        (
            "custlake.schema_version".to_owned(),
            SCHEMA_VERSION.to_string(),
        ),
        ("custlake.run_id".to_owned(), run_id.to_owned()),
        ("custlake.dataset".to_owned(), target.dataset.clone()),
        ("custlake.source".to_owned(), target.source.clone()),
        ("custlake.tenant".to_owned(), target.tenant.clone()),
    ]
}
