//! The Delta Lake tables of an output: where each dataset's table lives, how the `deltalake`
//! crate reaches it through custlake's own object store (so local folders, S3 and S3-compatible
//! stores, and the tests' in-memory store all work without deltalake's per-cloud crates), and
//! the table's schema, partitioning and metadata when the first writer creates it.

use std::path::Path;
use std::sync::Arc;

use custlake_schema::{DESCRIPTION_KEY, Dataset, SCHEMA_VERSION, SCHEMA_VERSION_KEY};
use deltalake::kernel::transaction::CommitProperties;
use deltalake::kernel::{DataType as DeltaType, MapType, StructField};
use deltalake::logstore::{LogStoreRef, StorageConfig, default_logstore};
use deltalake::operations::create::CreateBuilder;
use deltalake::protocol::SaveMode;
use deltalake::{DeltaTable, DeltaTableError};
use futures::StreamExt;
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use url::Url;

use crate::write::location::{DEFAULT_MULTIPART_THRESHOLD, ObjectStoreOutput, OutputLocation};

use super::DeltaError;

/// The partition columns of every table, in folder order.
pub(crate) const PARTITION_COLUMNS: [&str; 2] = ["source", "tenant"];

/// Table property naming the unified schema version the table was created with.
const SCHEMA_VERSION_PROPERTY: &str = "custlake.schemaVersion";

/// The tables of one output: a store whose root is the storage root (a bucket, or `/` for a
/// local folder) and the output's place in it.
#[derive(Clone)]
pub(crate) struct DeltaTables {
    output: ObjectStoreOutput,
    base_url: Url,
}

impl DeltaTables {
    /// The tables under `location`. A local folder is created if missing and reached through a
    /// local object store, like a bucket.
    pub(crate) fn at(location: &OutputLocation) -> Result<Self, DeltaError> {
        match location {
            OutputLocation::Local(dir) => Self::local(dir),
            OutputLocation::ObjectStore(output) => {
                let url = format!("{}/", output.url.trim_end_matches('/'));
                let base_url = Url::parse(&url).map_err(|e| DeltaError::Location {
                    location: output.url.clone(),
                    reason: e.to_string(),
                })?;
                Ok(Self {
                    output: output.clone(),
                    base_url,
                })
            }
        }
    }

    fn local(dir: &Path) -> Result<Self, DeltaError> {
        let unusable = |reason: String| DeltaError::Location {
            location: dir.display().to_string(),
            reason,
        };
        std::fs::create_dir_all(dir).map_err(|e| unusable(e.to_string()))?;
        let absolute = dir.canonicalize().map_err(|e| unusable(e.to_string()))?;
        let base_url = Url::from_directory_path(&absolute)
            .map_err(|()| unusable("not an absolute path".into()))?;
        let prefix =
            ObjectPath::from_absolute_path(&absolute).map_err(|e| unusable(e.to_string()))?;
        let output = ObjectStoreOutput {
            store: Arc::new(LocalFileSystem::new()),
            prefix,
            url: base_url.as_str().trim_end_matches('/').to_owned(),
            multipart_threshold: DEFAULT_MULTIPART_THRESHOLD,
        };
        Ok(Self { output, base_url })
    }

    /// The store and prefix the tables' data files are written under.
    pub(crate) fn output(&self) -> &ObjectStoreOutput {
        &self.output
    }

    /// `dataset`'s table, as readers address it.
    pub(crate) fn table_url(&self, dataset: Dataset) -> Result<Url, DeltaError> {
        self.base_url
            .join(&format!("{}/", dataset.as_str()))
            .map_err(|e| DeltaError::Location {
                location: self.output.display(dataset.as_str()),
                reason: e.to_string(),
            })
    }

    /// The deltalake log store of `dataset`'s table over custlake's store.
    fn log_store(&self, dataset: Dataset) -> Result<LogStoreRef, DeltaError> {
        let url = self.table_url(dataset)?;
        let table_root = self.output.key(dataset.as_str());
        let prefixed = Arc::new(PrefixStore::new(self.output.store.clone(), table_root));
        Ok(default_logstore(
            prefixed,
            self.output.store.clone(),
            &url,
            &StorageConfig::default(),
        ))
    }

    /// `dataset`'s table with its latest version loaded, or `None` when nobody created it yet.
    pub(crate) async fn open(&self, dataset: Dataset) -> Result<Option<DeltaTable>, DeltaError> {
        if !self.has_log(dataset).await? {
            return Ok(None);
        }
        let mut table = DeltaTable::new(self.log_store(dataset)?);
        match table.load().await {
            Ok(()) => Ok(Some(table)),
            Err(DeltaTableError::NotATable(_)) => Ok(None),
            Err(error) => Err(self.table_error(dataset, "read", error)),
        }
    }

    /// Whether `dataset`'s table has a log with at least one entry.
    async fn has_log(&self, dataset: Dataset) -> Result<bool, DeltaError> {
        let log = self.output.key(&format!("{}/_delta_log", dataset.as_str()));
        match self.output.store.list(Some(&log)).next().await {
            None => Ok(false),
            Some(Ok(_)) => Ok(true),
            Some(Err(object_store::Error::NotFound { .. })) => Ok(false),
            Some(Err(error)) => Err(DeltaError::Table {
                action: "read",
                table: self.output.display(dataset.as_str()),
                reason: error.to_string(),
            }),
        }
    }

    /// `dataset`'s table, created (version 0: schema, partitioning, metadata) when missing,
    /// given the columns a newer schema version added when an older custlake created it.
    /// Writers that race to create it all end up with the one table that won.
    pub(crate) async fn open_or_create(&self, dataset: Dataset) -> Result<DeltaTable, DeltaError> {
        if let Some(table) = self.open(dataset).await? {
            return self.add_missing_columns(dataset, table).await;
        }
        let created = CreateBuilder::new()
            .with_log_store(self.log_store(dataset)?)
            .with_table_name(dataset.as_str())
            .with_comment(dataset_comment(dataset))
            .with_columns(delta_columns(dataset))
            .with_partition_columns(PARTITION_COLUMNS)
            .with_configuration_property(deltalake::TableProperty::AppendOnly, Some("false"))
            .with_configuration([(SCHEMA_VERSION_PROPERTY, Some(SCHEMA_VERSION.to_string()))])
            .with_raise_if_key_not_exists(false)
            .with_save_mode(SaveMode::Ignore)
            // No retries: a writer that loses the race to create the table must not commit
            // its create again on top of the winner's (a second metadata commit); it opens the
            // winner's table below.
            .with_commit_properties(CommitProperties::default().with_max_retries(0))
            .await;
        match created {
            Ok(table) => Ok(table),
            // Another writer created it between our look and our commit: use theirs.
            Err(error) => match self.open(dataset).await? {
                Some(table) => Ok(table),
                None => Err(self.table_error(dataset, "create", error)),
            },
        }
    }

    /// Adds the columns of `dataset` that `table` lacks (`row_hash`, for a table created before
    /// schema version 4) in one metadata commit, nullable: the table's older files have no
    /// values for them. A writer that loses the race to another adding them reads theirs.
    async fn add_missing_columns(
        &self,
        dataset: Dataset,
        table: DeltaTable,
    ) -> Result<DeltaTable, DeltaError> {
        let missing: Vec<StructField> = {
            let snapshot = table
                .snapshot()
                .map_err(|e| self.table_error(dataset, "read", e))?;
            let schema = snapshot.schema();
            delta_columns(dataset)
                .into_iter()
                .filter(|column| schema.field(column.name()).is_none())
                .map(|column| {
                    StructField::new(column.name().clone(), column.data_type().clone(), true)
                        .with_metadata(column.metadata().clone())
                })
                .collect()
        };
        if missing.is_empty() {
            return Ok(table);
        }
        let added = table
            .add_columns()
            .with_fields(missing)
            .with_commit_properties(CommitProperties::default().with_max_retries(0))
            .await;
        match added {
            Ok(table) => Ok(table),
            Err(error) => match self.open(dataset).await? {
                Some(table) if self.lacks_no_column(dataset, &table)? => Ok(table),
                _ => Err(self.table_error(dataset, "add columns to", error)),
            },
        }
    }

    /// Whether `table` has every column of `dataset`.
    fn lacks_no_column(&self, dataset: Dataset, table: &DeltaTable) -> Result<bool, DeltaError> {
        let snapshot = table
            .snapshot()
            .map_err(|e| self.table_error(dataset, "read", e))?;
        let schema = snapshot.schema();
        Ok(delta_columns(dataset)
            .iter()
            .all(|column| schema.field(column.name()).is_some()))
    }

    /// A deltalake error on `dataset`'s table, naming the table.
    pub(crate) fn table_error(
        &self,
        dataset: Dataset,
        action: &'static str,
        error: DeltaTableError,
    ) -> DeltaError {
        DeltaError::Table {
            action,
            table: self.output.display(dataset.as_str()),
            reason: without_backtrace(&error.to_string()),
        }
    }
}

/// The delta kernel's errors end with a captured backtrace (lines `   0: frame`); an operator
/// needs only the message before it.
pub(crate) fn without_backtrace(text: &str) -> String {
    let frame = |line: &str| {
        let line = line.trim_start();
        line.split_once(": ")
            .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    let kept: Vec<&str> = text.lines().take_while(|line| !frame(line)).collect();
    kept.join("\n").trim_end().to_owned()
}

/// The table description readers show (`DESCRIBE DETAIL`, the `deltalake` package).
fn dataset_comment(dataset: Dataset) -> String {
    format!(
        "custlake {} (unified schema v{SCHEMA_VERSION}), partitioned by source and tenant",
        dataset.as_str()
    )
}

/// The table's columns: the dataset's schema, with each column's description as its Delta
/// `comment` (what Spark's `DESCRIBE` prints) and the schema version on every column.
pub(crate) fn delta_columns(dataset: Dataset) -> Vec<StructField> {
    dataset
        .schema()
        .fields()
        .iter()
        .map(|field| {
            let mut metadata = vec![(
                SCHEMA_VERSION_KEY.to_owned(),
                deltalake::kernel::MetadataValue::Number(i64::from(SCHEMA_VERSION)),
            )];
            if let Some(description) = field.metadata().get(DESCRIPTION_KEY) {
                metadata.push((
                    "comment".to_owned(),
                    deltalake::kernel::MetadataValue::String(description.clone()),
                ));
            }
            StructField::new(
                field.name().clone(),
                delta_type(field.data_type()),
                field.is_nullable(),
            )
            .with_metadata(metadata)
        })
        .collect()
}

/// The Delta type of an Arrow column type of the unified schema.
fn delta_type(kind: &arrow::datatypes::DataType) -> DeltaType {
    use arrow::datatypes::DataType as A;
    match kind {
        A::Dictionary(_, value) => delta_type(value),
        A::Utf8 | A::LargeUtf8 | A::Utf8View => DeltaType::STRING,
        A::Int64 => DeltaType::LONG,
        A::Int32 => DeltaType::INTEGER,
        A::Float64 => DeltaType::DOUBLE,
        A::Boolean => DeltaType::BOOLEAN,
        A::Date32 => DeltaType::DATE,
        A::Timestamp(..) => DeltaType::TIMESTAMP,
        A::Map(entries, _) => match entries.data_type() {
            A::Struct(fields) if fields.len() == 2 => MapType::new(
                delta_type(fields[0].data_type()),
                delta_type(fields[1].data_type()),
                fields[1].is_nullable(),
            )
            .into(),
            _ => DeltaType::STRING,
        },
        // The unified schema has no other types; a new one fails the schema test below.
        _ => DeltaType::STRING,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_kernel_backtrace_is_cut_from_the_reason() {
        let text = "Kernel error: Json error: bad\n   0: buoyant_kernel::error\n   1: x\n             at y";
        assert_eq!(
            super::without_backtrace(text),
            "Kernel error: Json error: bad"
        );
        assert_eq!(super::without_backtrace("plain: 1 thing"), "plain: 1 thing");
    }

    use super::*;

    #[tokio::test]
    async fn a_table_an_older_custlake_created_gains_the_new_columns() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tables =
            DeltaTables::at(&OutputLocation::Local(dir.path().to_path_buf())).expect("tables");
        // A customers table as schema version 3 created it: no row_hash.
        let older: Vec<StructField> = delta_columns(Dataset::Customers)
            .into_iter()
            .filter(|c| c.name() != "row_hash")
            .collect();
        CreateBuilder::new()
            .with_log_store(tables.log_store(Dataset::Customers).expect("log store"))
            .with_columns(older)
            .with_partition_columns(PARTITION_COLUMNS)
            .await
            .expect("older table created");
        let table = tables
            .open_or_create(Dataset::Customers)
            .await
            .expect("opened");
        let snapshot = table.snapshot().expect("snapshot");
        let row_hash = snapshot
            .schema()
            .field("row_hash")
            .cloned()
            .expect("row_hash added");
        assert!(row_hash.is_nullable(), "older files have no row_hash");
        assert_eq!(table.version(), Some(1), "one metadata commit");
        // Opening again adds nothing.
        let again = tables
            .open_or_create(Dataset::Customers)
            .await
            .expect("opened");
        assert_eq!(again.version(), Some(1));
    }

    #[test]
    fn every_column_of_every_dataset_has_a_delta_type_of_its_own_kind() {
        for dataset in Dataset::ALL {
            let schema = dataset.schema();
            for (field, column) in schema.fields().iter().zip(delta_columns(dataset)) {
                let arrow_kind = match field.data_type() {
                    arrow::datatypes::DataType::Dictionary(_, value) => value.as_ref().clone(),
                    other => other.clone(),
                };
                let expected_string = matches!(arrow_kind, arrow::datatypes::DataType::Utf8);
                assert_eq!(
                    *column.data_type() == DeltaType::STRING,
                    expected_string,
                    "{}.{}: {arrow_kind:?} became {:?}",
                    dataset.as_str(),
                    field.name(),
                    column.data_type()
                );
            }
        }
    }
}
