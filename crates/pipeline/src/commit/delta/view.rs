//! A Delta output read back as a [`Catalog`]: every partition of every table (the change logs
//! included) with its current files (a Delta partition always holds its current state), and the sources'
//! marks. Planning (full or incremental), linking and compaction then read a Delta output the
//! way they read a Parquet one.

use custlake_schema::Dataset;
use deltalake::DeltaTable;
use std::collections::BTreeMap;

use crate::commit::catalog::{Catalog, Content, FileRecord, PartitionRecord};
use crate::commit::delta::partition_commit::current_content_hash;

use super::DeltaError;
use super::marks::load_marks;
use super::table::DeltaTables;

/// The catalog of the Delta output `tables` as it is now.
pub(crate) async fn load_view(tables: &DeltaTables) -> Result<Catalog, DeltaError> {
    let mut catalog = Catalog::default();
    for dataset in Dataset::ALL.into_iter().chain(Dataset::HISTORIES) {
        if let Some(table) = tables.open(dataset).await? {
            let partitions = partitions_of(&table, dataset)
                .map_err(|e| tables.table_error(dataset, "read", e))?;
            catalog.partitions.extend(partitions);
        }
    }
    catalog.sources = load_marks(tables.output()).await?;
    catalog.partitions.sort_by(|a, b| {
        (&a.dataset, &a.source, &a.tenant).cmp(&(&b.dataset, &b.source, &b.tenant))
    });
    Ok(catalog)
}

/// One record per partition of `table`, its current files as the snapshot.
fn partitions_of(
    table: &DeltaTable,
    dataset: Dataset,
) -> Result<Vec<PartitionRecord>, deltalake::DeltaTableError> {
    let mut groups: BTreeMap<(String, String), Vec<deltalake::kernel::LogicalFileView>> =
        BTreeMap::new();
    for file in table.snapshot()?.log_data().iter() {
        let values = file.partition_values_map();
        let value = |name: &str| values.get(name).cloned().flatten().unwrap_or_default();
        groups
            .entry((value("source"), value("tenant")))
            .or_default()
            .push(file);
    }
    Ok(groups
        .into_iter()
        .map(|((source, tenant), files)| {
            let records: Vec<FileRecord> = files
                .iter()
                .map(|file| FileRecord {
                    path: format!("{}/{}", dataset.as_str(), file.object_store_path()),
                    rows: file.num_records().unwrap_or(0) as u64,
                    bytes: u64::try_from(file.size()).unwrap_or(0),
                })
                .collect();
            PartitionRecord {
                dataset: dataset.as_str().to_owned(),
                source,
                tenant,
                snapshot: Content {
                    run_id: String::new(),
                    content_hash: current_content_hash(&files).unwrap_or_default(),
                    rows: records.iter().map(|f| f.rows).sum(),
                    files: records,
                },
                legacy: Default::default(),
            }
        })
        .collect())
}
