//! The Parquet format: Hive-style folders any reader globs, and custlake's catalog
//! `_current.json` of every partition's current files and every source's marks.
//!
//! A run opens the output (a local folder is locked against other writers for the run),
//! writes each partition's new rows into staging (locally) or under run-unique keys (object
//! stores), and publishes a finished source's partitions together ([`publish`]): a full run's
//! rows replace the partition, an incremental run's are upserted ([`upsert`]). At the end the
//! catalog is written — the commit point on object stores; locally each partition folder was
//! already swapped in atomically and the catalog follows — and what it no longer references is
//! removed. One run writes at a time: a local folder is locked for the run, and on an object
//! store the catalog is only written over the version the run read. `compact` folds the
//! increments older outputs hold ([`compact`]).

mod compact;
mod publish;
mod upsert;

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use arrow::datatypes::SchemaRef;
use chrono::Utc;

use crate::commit::catalog::{Catalog, EntityMark, FetchKind, Increment};
use crate::commit::catalog_version::{CatalogVersion, catalog_version, put_catalog_if_unchanged};
use crate::commit::cleanup::CleanUp;
use crate::commit::manifest::{ManifestFile, PartitionChanges};
use crate::commit::partition::CommittedPartition;
use crate::commit::writer_lock::WriterLock;
use crate::config::ParquetSinkConfig;
use crate::layout::PartitionTarget;
use crate::table::error::TableError;
use crate::table::inputs::RunIdentity;
use crate::table::report::Published;
use crate::write::SinkError;
use crate::write::location::OutputLocation;
use crate::write::partition::{PartitionPlace, PartitionWriter};

/// A Parquet output opened for one run.
pub(crate) struct ParquetTables {
    location: OutputLocation,
    identity: RunIdentity,
    /// The catalog as the run opened the output.
    catalog: Catalog,
    /// On an object store: the catalog's version when it was read; the run's catalog is only
    /// written over that version.
    catalog_version: Option<CatalogVersion>,
    pending: Mutex<Pending>,
    /// A local output's writer lock, held while the run has the output open.
    _lock: Option<WriterLock>,
}

/// What the run published so far, applied to the catalog at the end.
#[derive(Default)]
struct Pending {
    partitions: Vec<CommittedPartition>,
    marks: Vec<(String, String, EntityMark)>,
    /// Increments of an older output folded into published partitions: deleted after the
    /// catalog commit.
    consumed: Vec<Increment>,
    /// Every partition a writer was created for; on object stores, what the catalog does not
    /// reference there afterwards (replaced, unchanged or failed uploads) is deleted.
    touched: Vec<PartitionPlace>,
    /// What each published keyed partition changed.
    changes: Vec<PartitionChanges>,
}

impl ParquetTables {
    /// Opens the Parquet output at `location` (claimed, with its writer lock when local) and
    /// reads its catalog.
    pub(crate) async fn open(
        location: OutputLocation,
        identity: RunIdentity,
        lock: Option<WriterLock>,
    ) -> Result<Self, TableError> {
        let unusable = |e: SinkError| TableError::Output {
            path: location.to_string(),
            reason: e.to_string(),
        };
        // The version first: a catalog written between the two reads fails the run's write.
        let catalog_version = match &location {
            OutputLocation::ObjectStore(store) => {
                Some(catalog_version(store).await.map_err(unusable)?)
            }
            OutputLocation::Local(_) => None,
        };
        let catalog = Catalog::load(&location).await.map_err(unusable)?;
        Ok(Self {
            location,
            identity,
            catalog,
            catalog_version,
            pending: Mutex::new(Pending::default()),
            _lock: lock,
        })
    }

    /// Where the output is.
    pub(crate) fn location(&self) -> &OutputLocation {
        &self.location
    }

    /// The run writing.
    pub(crate) fn identity(&self) -> &RunIdentity {
        &self.identity
    }

    /// The catalog as the run opened the output.
    pub(crate) fn current(&self) -> &Catalog {
        &self.catalog
    }

    /// A writer of the run's new rows of `target`.
    pub(crate) fn writer(
        &self,
        target: PartitionTarget,
        schema: SchemaRef,
        metadata: Vec<(String, String)>,
        config: &ParquetSinkConfig,
    ) -> Result<PartitionWriter, SinkError> {
        let place = PartitionPlace::snapshot(target, &self.identity.run_id);
        self.pending().touched.push(place.clone());
        PartitionWriter::create(&self.location, place, schema, metadata, config)
    }

    /// Publishes a derived partition (`customer_links`) as the whole content of its partition;
    /// kept when its content equals the current one.
    pub(crate) fn publish_derived(
        &self,
        staged: crate::write::partition::StagedPartition,
    ) -> Result<(), SinkError> {
        let record = self.catalog.partition(&staged.place().target);
        let current = record
            .filter(|r| r.legacy.increments.is_empty())
            .map(|r| &r.snapshot);
        let committed = staged.commit(current)?;
        self.pending().partitions.push(committed);
        Ok(())
    }

    /// Records a source's new high-water mark; it is committed with the catalog.
    pub(crate) fn record_mark(&self, source: &str, tenant: &str, mark: EntityMark) {
        self.pending()
            .marks
            .push((source.to_owned(), tenant.to_owned(), mark));
    }

    /// Writes the catalog (the commit point on object stores) and removes the run's staging;
    /// returns the run's published files and unchanged partitions for the run manifest.
    /// Problems after the commit point become warnings.
    pub(crate) async fn finish(&self) -> Result<Published, TableError> {
        let Pending {
            partitions,
            marks,
            consumed,
            touched,
            changes,
        } = std::mem::take(&mut *self.pending());
        let mut published = Published {
            changes,
            ..Published::default()
        };
        let mut catalog = self.catalog.clone();
        let current = record_partitions(&mut catalog, &partitions, &mut published);
        for (source, tenant, mark) in marks {
            catalog.set_mark(&source, &tenant, mark);
        }
        if !current.is_empty() || catalog.sources != self.catalog.sources {
            catalog.updated_by_run = self.identity.run_id.clone();
            catalog.updated_at = Some(Utc::now());
            self.store_catalog(&catalog)
                .await
                .map_err(TableError::Catalog)?;
        }
        let clean_up = CleanUp {
            run_id: &self.identity.run_id,
            catalog: &catalog,
            published: &current,
            consumed: &consumed,
            touched: &touched,
        };
        published
            .warnings
            .extend(clean_up.run(&self.location).await);
        Ok(published)
    }

    /// Writes `catalog`: locally over the previous one (the run holds the writer lock), on an
    /// object store only over the version the run read.
    async fn store_catalog(&self, catalog: &Catalog) -> Result<(), SinkError> {
        match (&self.location, &self.catalog_version) {
            (OutputLocation::ObjectStore(store), Some(read)) => {
                put_catalog_if_unchanged(store, catalog.to_json()?, read).await
            }
            _ => catalog.store(&self.location).await,
        }
    }

    fn pending(&self) -> MutexGuard<'_, Pending> {
        match self.pending.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

/// Applies the run's published `partitions` to `catalog` (new content replaces a partition's,
/// and its older increments); lists the published files and unchanged partitions in
/// `published`; returns the partitions whose content became current.
fn record_partitions<'a>(
    catalog: &mut Catalog,
    partitions: &'a [CommittedPartition],
    published: &mut Published,
) -> Vec<&'a CommittedPartition> {
    let mut current = Vec::new();
    for committed in partitions {
        let target = &committed.place.target;
        if committed.unchanged {
            published.unchanged.push(target.to_string());
            continue;
        }
        catalog.set_snapshot(target, committed.content.clone());
        current.push(committed);
        published
            .files
            .extend(committed.content.files.iter().map(|file| ManifestFile {
                dataset: target.dataset.clone(),
                source: target.source.clone(),
                tenant: target.tenant.clone(),
                path: file.path.clone(),
                rows: file.rows,
                bytes: file.bytes,
            }));
    }
    current
}

/// How each entity of a source's partition was fetched: empty for a full run.
pub(crate) type Fetched = BTreeMap<String, FetchKind>;
