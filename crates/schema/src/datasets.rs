//! The three datasets, the two sources, and their Arrow schemas (built once, then shared).
//!
//! Schemas are made from the column lists in `columns.rs`, carry each column's description as
//! field metadata and the schema version as schema metadata, and are cached so every batch of
//! a run shares one `SchemaRef`.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, LazyLock};

use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};

use crate::SCHEMA_VERSION;
use crate::columns::{
    CONTACTS, CUSTOMER_LINKS, CUSTOMERS, ColumnSpec, ColumnType, REJECTS, history_columns,
};

/// Field metadata key under which every column's description is stored.
pub const DESCRIPTION_KEY: &str = "description";
/// Schema metadata key holding [`SCHEMA_VERSION`], so a file says which schema it follows.
pub const SCHEMA_VERSION_KEY: &str = "custlake.schema_version";
/// Schema metadata key holding the dataset name (`customers`, `contacts`, `rejects`).
pub const DATASET_KEY: &str = "custlake.dataset";

/// The vendor a record comes from; written to every row's `source` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// Yonyou U8 OpenAPI (ERP).
    YonyouU8,
    /// Yeastar YCM (Yeastar Central Management).
    YeastarYcm,
}

impl SourceKind {
    /// Every source, in a fixed order.
    pub const ALL: [SourceKind; 2] = [SourceKind::YonyouU8, SourceKind::YeastarYcm];

    /// The name used in the `source` column and the `source=` partition.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::YonyouU8 => "yonyou_u8",
            SourceKind::YeastarYcm => "yeastar_ycm",
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the known sources (config files and partition paths name them).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown source {name:?}: expected yonyou_u8 or yeastar_ycm")]
pub struct UnknownSource {
    /// The name that was given.
    pub name: String,
}

impl FromStr for SourceKind {
    type Err = UnknownSource;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SourceKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| UnknownSource { name: s.to_owned() })
    }
}

/// One of the unified datasets; each is its own folder in the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dataset {
    /// One row per customer; key (source, tenant, customer_id).
    Customers,
    /// One row per contact person; key (source, tenant, contact_id).
    Contacts,
    /// One row per record or field that could not be mapped.
    Rejects,
    /// One row per pair of customers of different sources that share a match key (written
    /// after every source of a run, from `customers`).
    CustomerLinks,
    /// `customers_history`: one row per change of a customer (`[output] history = true`).
    CustomersHistory,
    /// `contacts_history`: one row per change of a contact (`[output] history = true`).
    ContactsHistory,
}

impl Dataset {
    /// Every dataset, in output order.
    pub const ALL: [Dataset; 4] = [
        Dataset::Customers,
        Dataset::Contacts,
        Dataset::Rejects,
        Dataset::CustomerLinks,
    ];

    /// The change logs kept beside the keyed datasets when history is on; not in [`Dataset::ALL`]
    /// (they are written only on request, and describe the others).
    pub const HISTORIES: [Dataset; 2] = [Dataset::CustomersHistory, Dataset::ContactsHistory];

    /// The dataset whose folder name is `name` (see [`Dataset::as_str`]).
    pub fn from_name(name: &str) -> Option<Dataset> {
        Dataset::ALL
            .into_iter()
            .chain(Dataset::HISTORIES)
            .find(|d| d.as_str() == name)
    }

    /// The change log of this dataset (`customers` → `customers_history`), for the keyed
    /// datasets.
    pub fn history(self) -> Option<Dataset> {
        match self {
            Dataset::Customers => Some(Dataset::CustomersHistory),
            Dataset::Contacts => Some(Dataset::ContactsHistory),
            _ => None,
        }
    }

    /// Whether this is a change log (`*_history`).
    pub fn is_history(self) -> bool {
        Dataset::HISTORIES.contains(&self)
    }

    /// The dataset's folder name and the `entity` written to rejects.
    pub fn as_str(self) -> &'static str {
        match self {
            Dataset::Customers => "customers",
            Dataset::Contacts => "contacts",
            Dataset::Rejects => "rejects",
            Dataset::CustomerLinks => "customer_links",
            Dataset::CustomersHistory => "customers_history",
            Dataset::ContactsHistory => "contacts_history",
        }
    }

    /// The dataset's Arrow schema (cached; cloning the `Arc` is cheap).
    pub fn schema(&self) -> SchemaRef {
        match self {
            Dataset::Customers => customers_schema(),
            Dataset::Contacts => contacts_schema(),
            Dataset::Rejects => rejects_schema(),
            Dataset::CustomerLinks => customer_links_schema(),
            Dataset::CustomersHistory => CUSTOMERS_HISTORY_SCHEMA.clone(),
            Dataset::ContactsHistory => CONTACTS_HISTORY_SCHEMA.clone(),
        }
    }

    pub(crate) fn columns(self) -> &'static [ColumnSpec] {
        match self {
            Dataset::Customers => CUSTOMERS,
            Dataset::Contacts => CONTACTS,
            Dataset::Rejects => REJECTS,
            Dataset::CustomerLinks => CUSTOMER_LINKS,
            Dataset::CustomersHistory => &CUSTOMERS_HISTORY,
            Dataset::ContactsHistory => &CONTACTS_HISTORY,
        }
    }
}

impl fmt::Display for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

static CUSTOMERS_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| build_schema(Dataset::Customers));
static CONTACTS_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| build_schema(Dataset::Contacts));
static REJECTS_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| build_schema(Dataset::Rejects));
static CUSTOMER_LINKS_SCHEMA: LazyLock<SchemaRef> =
    LazyLock::new(|| build_schema(Dataset::CustomerLinks));
static CUSTOMERS_HISTORY_SCHEMA: LazyLock<SchemaRef> =
    LazyLock::new(|| build_schema(Dataset::CustomersHistory));
static CONTACTS_HISTORY_SCHEMA: LazyLock<SchemaRef> =
    LazyLock::new(|| build_schema(Dataset::ContactsHistory));
static CUSTOMERS_HISTORY: LazyLock<Vec<ColumnSpec>> = LazyLock::new(|| history_columns(CUSTOMERS));
static CONTACTS_HISTORY: LazyLock<Vec<ColumnSpec>> = LazyLock::new(|| history_columns(CONTACTS));

/// The Arrow schema of `customers`.
pub fn customers_schema() -> SchemaRef {
    CUSTOMERS_SCHEMA.clone()
}

/// The Arrow schema of `contacts`.
pub fn contacts_schema() -> SchemaRef {
    CONTACTS_SCHEMA.clone()
}

/// The Arrow schema of `rejects`.
pub fn rejects_schema() -> SchemaRef {
    REJECTS_SCHEMA.clone()
}

/// The Arrow schema of `customer_links`.
pub fn customer_links_schema() -> SchemaRef {
    CUSTOMER_LINKS_SCHEMA.clone()
}

fn build_schema(dataset: Dataset) -> SchemaRef {
    let fields: Vec<Field> = dataset
        .columns()
        .iter()
        .map(|column| {
            Field::new(column.name, data_type(column.ty), column.nullable).with_metadata(
                HashMap::from([(DESCRIPTION_KEY.to_owned(), column.description.to_owned())]),
            )
        })
        .collect();
    let metadata = HashMap::from([
        (SCHEMA_VERSION_KEY.to_owned(), SCHEMA_VERSION.to_string()),
        (DATASET_KEY.to_owned(), dataset.as_str().to_owned()),
    ]);
    Arc::new(Schema::new_with_metadata(fields, metadata))
}

pub(crate) fn data_type(ty: ColumnType) -> DataType {
    match ty {
        ColumnType::Dictionary => {
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
        }
        ColumnType::Utf8 => DataType::Utf8,
        ColumnType::Bool => DataType::Boolean,
        ColumnType::Int64 => DataType::Int64,
        ColumnType::Float64 => DataType::Float64,
        ColumnType::Date32 => DataType::Date32,
        ColumnType::TimestampUtc => DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into())),
        ColumnType::MapUtf8 => DataType::Map(map_entries_field(), false),
    }
}

/// The time zone name of every timestamp column.
pub(crate) const UTC: &str = "UTC";

/// The entries field of `map<utf8, utf8>`, with Arrow's canonical names (`entries`, `key`,
/// `value`) so pyarrow prints the type as plain `map<string, string>`.
/// Arrow's canonical names of a map's entries, key and value fields.
const MAP_ENTRIES: &str = "entries";
const MAP_KEY: &str = "key";
const MAP_VALUE: &str = "value";

pub(crate) fn map_entries_field() -> Arc<Field> {
    static ENTRIES: LazyLock<Arc<Field>> = LazyLock::new(|| {
        Arc::new(Field::new(
            MAP_ENTRIES,
            DataType::Struct(map_entry_fields()),
            false,
        ))
    });
    ENTRIES.clone()
}

pub(crate) fn map_entry_fields() -> Fields {
    Fields::from(vec![
        Field::new(MAP_KEY, DataType::Utf8, false),
        Field::new(MAP_VALUE, DataType::Utf8, true),
    ])
}
