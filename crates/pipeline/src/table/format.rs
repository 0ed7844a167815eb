//! [`TableFormat`]: the one place the run meets the output's format. Every method forwards to
//! the format's own folder; nothing else in the crate branches on the format.

use std::path::{Path, PathBuf};

use arrow::datatypes::SchemaRef;

use crate::commit::catalog::{Catalog, EntityMark};
use crate::commit::manifest::RunManifest;
use crate::commit::output_kind::{detect_format, record_format};
use crate::commit::writer_lock::{LockError, WriterLock};
use crate::config::ParquetSinkConfig;
use crate::layout::PartitionTarget;
use crate::model::OutputFormat;
use crate::table::delta::DeltaLakeTables;
use crate::table::error::TableError;
use crate::table::inputs::{PublishOptions, RunIdentity, SourcePartitions};
use crate::table::parquet::ParquetTables;
use crate::table::report::{CompactReport, Published, VacuumReport};
use crate::write::SinkError;
use crate::write::location::OutputLocation;
use crate::write::object_store::commit::check_access;
use crate::write::partition::{PartitionWriter, StagedPartition};

/// An output claimed for a run of one format ([`TableFormat::claim`]).
pub(crate) struct OutputClaim {
    location: OutputLocation,
    format: OutputFormat,
    /// A local Parquet output's writer lock.
    lock: Option<WriterLock>,
}

impl OutputClaim {
    /// The local folder for the run's staging and checkpoints.
    pub(crate) fn work_dir(&self) -> PathBuf {
        self.location.work_dir()
    }

    /// Whether the output is a local folder.
    pub(crate) fn is_local(&self) -> bool {
        self.location.is_local()
    }
}

/// An output of one format, opened for one run.
pub(crate) enum TableFormat {
    /// Hive-style Parquet folders with custlake's catalog.
    Parquet(Box<ParquetTables>),
    /// One Delta Lake table per dataset.
    Delta(Box<DeltaLakeTables>),
}

impl TableFormat {
    /// Refuses `location` when it holds an output of another format than `format`, before
    /// anything is written there.
    pub(crate) async fn refuse_other_format(
        location: &OutputLocation,
        format: OutputFormat,
    ) -> Result<(), TableError> {
        let recorded = detect_format(location)
            .await
            .map_err(|e| unusable(location, e))?;
        match recorded.filter(|r| *r != format) {
            None => Ok(()),
            Some(recorded) => Err(TableError::NotThisOutput {
                path: location.to_string(),
                reason: format!(
                    "it holds a {recorded} output and this run writes {format}: pass --format \
                     {recorded} (or set [output] format = \"{recorded}\"), or write to another \
                     folder",
                    recorded = recorded.as_str(),
                    format = format.as_str(),
                ),
            }),
        }
    }

    /// Claims the output at `location` for a run of `format`, before the run's identity is
    /// known (a resumed run reads it from its checkpoints): an output of the other format is
    /// refused before anything is written, a new one is created and records its format, and a
    /// local Parquet output is locked against other writers for as long as the claim (and the
    /// tables opened with it) live.
    pub(crate) async fn claim(
        location: OutputLocation,
        format: OutputFormat,
    ) -> Result<OutputClaim, TableError> {
        Self::refuse_other_format(&location, format).await?;
        match &location {
            OutputLocation::Local(dir) => prepare_local(dir).map_err(|e| unusable(&location, e))?,
            OutputLocation::ObjectStore(store) => check_access(store)
                .await
                .map_err(|e| unusable(&location, e))?,
        }
        let lock = match (&location, format) {
            (OutputLocation::Local(dir), OutputFormat::Parquet) => {
                Some(WriterLock::acquire(dir).map_err(|e| match e {
                    LockError::Busy(_) => TableError::Busy(e.to_string()),
                    LockError::Io(e) => unusable(&location, e),
                })?)
            }
            _ => None,
        };
        record_format(&location, format)
            .await
            .map_err(|e| unusable(&location, e))?;
        Ok(OutputClaim {
            location,
            format,
            lock,
        })
    }

    /// Opens the claimed output for the run `identity`: reads back its current state.
    pub(crate) async fn open(
        claim: OutputClaim,
        identity: RunIdentity,
    ) -> Result<Self, TableError> {
        let OutputClaim {
            location,
            format,
            lock,
        } = claim;
        Ok(match format {
            OutputFormat::Parquet => Self::Parquet(Box::new(
                ParquetTables::open(location, identity, lock).await?,
            )),
            OutputFormat::Delta => {
                Self::Delta(Box::new(DeltaLakeTables::open(location, identity).await?))
            }
        })
    }

    /// Opens the existing output at `location` as the format it records (`link`, `compact`,
    /// `vacuum`); a path that holds no custlake output is refused before anything is created.
    pub(crate) async fn open_existing(
        location: OutputLocation,
        identity: RunIdentity,
    ) -> Result<Self, TableError> {
        let format = existing_format(&location).await?;
        Self::open(Self::claim(location, format).await?, identity).await
    }

    /// Where the output is.
    pub(crate) fn location(&self) -> &OutputLocation {
        match self {
            Self::Parquet(tables) => tables.location(),
            Self::Delta(tables) => tables.location(),
        }
    }

    /// The run writing.
    pub(crate) fn identity(&self) -> &RunIdentity {
        match self {
            Self::Parquet(tables) => tables.identity(),
            Self::Delta(tables) => tables.identity(),
        }
    }

    /// Every partition's current files and every source's marks, as the run opened the output.
    pub(crate) fn current(&self) -> &Catalog {
        match self {
            Self::Parquet(tables) => tables.current(),
            Self::Delta(tables) => tables.current(),
        }
    }

    /// A writer of the run's new rows of `target`.
    pub(crate) fn writer(
        &self,
        target: PartitionTarget,
        schema: SchemaRef,
        metadata: Vec<(String, String)>,
        config: &ParquetSinkConfig,
    ) -> Result<PartitionWriter, SinkError> {
        match self {
            Self::Parquet(tables) => tables.writer(target, schema, metadata, config),
            Self::Delta(tables) => tables.writer(target, schema, metadata, config),
        }
    }

    /// Publishes a finished source's partitions together or not at all (replacing or
    /// upserting each, with their change counts and, when `options.history`, their history);
    /// returns the source's error, saying what the output holds now.
    pub(crate) async fn publish_source(
        &self,
        partitions: SourcePartitions,
        options: &PublishOptions<'_>,
    ) -> Result<(), String> {
        match self {
            Self::Parquet(tables) => tables.publish_source(partitions, options).await,
            Self::Delta(tables) => tables.publish_source(partitions, options).await,
        }
    }

    /// Publishes a partition derived from other datasets (`customer_links`) as the whole
    /// content of its partition; kept when its content equals the current one.
    pub(crate) async fn publish_derived(&self, staged: StagedPartition) -> Result<(), SinkError> {
        match self {
            Self::Parquet(tables) => tables.publish_derived(staged),
            Self::Delta(tables) => tables.publish_derived(staged).await,
        }
    }

    /// Records a source's new high-water mark; it is stored with the run's end.
    pub(crate) fn record_mark(&self, source: &str, tenant: &str, mark: EntityMark) {
        match self {
            Self::Parquet(tables) => tables.record_mark(source, tenant, mark),
            Self::Delta(tables) => tables.record_mark(source, tenant, mark),
        }
    }

    /// Ends the run's writing: stores what is left (the catalog, the marks) and removes the
    /// run's staging; returns what was published, for the manifest.
    pub(crate) async fn finish(&self) -> Result<Published, TableError> {
        match self {
            Self::Parquet(tables) => tables.finish().await,
            Self::Delta(tables) => Ok(tables.finish().await),
        }
    }

    /// Writes the run manifest `_manifests/<run_id>.json`.
    pub(crate) async fn write_manifest(&self, manifest: &RunManifest) -> Result<(), TableError> {
        manifest
            .write_to(self.location())
            .await
            .map_err(TableError::Manifest)
    }

    /// Compacts the partitions of the `only` tenants (every tenant when empty).
    pub(crate) async fn compact(
        &self,
        parquet: &ParquetSinkConfig,
        only: &[String],
    ) -> Result<CompactReport, TableError> {
        match self {
            Self::Parquet(tables) => tables.compact(parquet, only).await,
            Self::Delta(tables) => tables.compact(parquet, only).await,
        }
    }

    /// Deletes files no current state (within `retain_hours`, where the format keeps history)
    /// references.
    pub(crate) async fn vacuum(&self, retain_hours: u64) -> Result<VacuumReport, TableError> {
        match self {
            Self::Parquet(_) => Ok(VacuumReport::default()),
            Self::Delta(tables) => tables.vacuum(retain_hours).await,
        }
    }
}

/// The format the output at `location` records or holds; refused when it holds no output.
pub(crate) async fn existing_format(location: &OutputLocation) -> Result<OutputFormat, TableError> {
    let found = detect_format(location)
        .await
        .map_err(|e| unusable(location, e))?;
    found.ok_or_else(|| TableError::NotThisOutput {
        path: location.to_string(),
        reason: "no custlake output is there (no _custlake.json, _current.json or Delta table); \
                 check the path, or run `custlake export` into it first"
            .to_owned(),
    })
}

fn unusable(location: &OutputLocation, reason: impl std::fmt::Display) -> TableError {
    TableError::Output {
        path: location.to_string(),
        reason: reason.to_string(),
    }
}

/// Creates the folder and probes that it can be written (creating it may succeed on a
/// read-only mount that already has it).
fn prepare_local(out: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    let probe = out.join(format!(".custlake-write-probe-{}", std::process::id()));
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(&probe)
}
