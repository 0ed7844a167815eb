//! What a command hands back to its caller: a finished export with the places to read its
//! results ([`RunOutcome`]), and for a failure, whose move it is ([`FailureKind`]) — the
//! request's (configuration, source names, output location) or the run's.

use std::sync::Arc;

use custlake_schema::Dataset;

use crate::commit::manifest::RunManifest;
use crate::layout::MANIFEST_DIR;
use crate::progress::ProgressObserver;
use crate::run::error::ExportError;
use crate::run::export::export_to;
use crate::run::options::{RunSettings, SettingsError};
use crate::run::writing::output_location;
use crate::write::location::OutputLocation;

/// Who can fix what stopped a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The request cannot be carried out as given: the configuration, a source name, the output
    /// location. Running it again unchanged fails the same way.
    Usage,
    /// The work failed on the way (a vendor, the disk, the object store): running it again may
    /// succeed.
    Run,
}

impl ExportError {
    /// Whether the request or the run is at fault.
    pub fn kind(&self) -> FailureKind {
        match self {
            ExportError::Config(_) => FailureKind::Usage,
            ExportError::Table(e) if e.is_usage() => FailureKind::Usage,
            ExportError::Table(_) | ExportError::Checkpoint(_) | ExportError::Links { .. } => {
                FailureKind::Run
            }
        }
    }
}

impl SettingsError {
    /// Always the request's: nothing ran yet.
    pub fn kind(&self) -> FailureKind {
        FailureKind::Usage
    }
}

/// A finished export: its manifest, and where its manifest and files are, named the way the
/// user named the output (a path, or `s3://bucket/prefix/...`).
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// What the run did; `manifest.status` says whether every source succeeded.
    pub manifest: RunManifest,
    /// The manifest written for this run: `<out>/_manifests/<run_id>.json`.
    pub manifest_location: String,
    /// Every Parquet file of the `customers` dataset, as a glob a query engine reads
    /// (`read_parquet('<glob>', hive_partitioning = true)`).
    pub customers_glob: String,
}

impl RunOutcome {
    /// The outcome of the run that wrote `manifest` to `location`.
    pub fn new(manifest: RunManifest, location: &OutputLocation) -> Self {
        let customers = Dataset::Customers.as_str();
        let (manifest_location, customers_glob) = match location {
            OutputLocation::Local(dir) => (
                manifest.path(dir).display().to_string(),
                dir.join(customers)
                    .join("**")
                    .join("*.parquet")
                    .display()
                    .to_string(),
            ),
            OutputLocation::ObjectStore(store) => (
                store.display(&format!("{MANIFEST_DIR}/{}.json", manifest.run_id)),
                store.display(&format!("{customers}/**/*.parquet")),
            ),
        };
        Self {
            manifest,
            manifest_location,
            customers_glob,
        }
    }
}

impl RunSettings {
    /// Runs the export these settings describe ([`crate::export`]) and says where its results
    /// are.
    pub async fn export(
        self,
        progress: Arc<dyn ProgressObserver>,
    ) -> Result<RunOutcome, ExportError> {
        let out = &self.options.out;
        let location = output_location(out)?;
        let manifest = export_to(self.sources, self.options, location.clone(), progress).await?;
        Ok(RunOutcome::new(manifest, &location))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use object_store::memory::InMemory;

    use super::*;
    use crate::commit::manifest::RunStatus;
    use crate::write::location::ObjectStoreOutput;

    fn manifest() -> RunManifest {
        let at =
            chrono::DateTime::<chrono::Utc>::from_timestamp(1_750_000_000, 0).unwrap_or_default();
        RunManifest {
            run_id: "0196a1b2-run".to_owned(),
            custlake_version: "0.1.0".to_owned(),
            schema_version: 1,
            started_at: at,
            finished_at: at,
            resumed_at: None,
            elapsed_ms: 0,
            status: RunStatus::Succeeded,
            sources: Vec::new(),
            files: Vec::new(),
            unchanged: Vec::new(),
            warnings: Vec::new(),
            totals: Default::default(),
            links: None,
            delta_commits: Vec::new(),
            changes: Vec::new(),
        }
    }

    #[test]
    fn a_local_outcome_names_paths_under_the_folder() {
        let dir = Path::new("lake");
        let outcome = RunOutcome::new(manifest(), &OutputLocation::Local(dir.into()));
        let expected = dir.join(MANIFEST_DIR).join("0196a1b2-run.json");
        assert_eq!(outcome.manifest_location, expected.display().to_string());
        let glob = dir.join("customers").join("**").join("*.parquet");
        assert_eq!(outcome.customers_glob, glob.display().to_string());
    }

    #[test]
    fn an_object_store_outcome_names_urls_under_the_prefix() {
        let store = ObjectStoreOutput::new(Arc::new(InMemory::new()), "lake", "s3://bucket/lake/");
        let outcome = RunOutcome::new(manifest(), &OutputLocation::ObjectStore(store));
        assert_eq!(
            outcome.manifest_location,
            "s3://bucket/lake/_manifests/0196a1b2-run.json"
        );
        assert_eq!(
            outcome.customers_glob,
            "s3://bucket/lake/customers/**/*.parquet"
        );
    }

    #[test]
    fn the_request_is_at_fault_for_configuration_and_output_only() {
        let output = ExportError::Table(crate::table::TableError::Output {
            path: "/nope".into(),
            reason: "denied".into(),
        });
        assert_eq!(output.kind(), FailureKind::Usage);
        let other = ExportError::Table(crate::table::TableError::NotThisOutput {
            path: "/lake".into(),
            reason: "it holds a delta output".into(),
        });
        assert_eq!(other.kind(), FailureKind::Usage);
        let busy = ExportError::Table(crate::table::TableError::Busy("another writer".into()));
        assert_eq!(busy.kind(), FailureKind::Run);
        let config = ExportError::Config(crate::config::ConfigError {
            location: "[output] path".into(),
            problem: "is empty".into(),
        });
        assert_eq!(config.kind(), FailureKind::Usage);
        let manifest = ExportError::Table(crate::table::TableError::Manifest(
            crate::write::SinkError::io(
                "write",
                Path::new("m.json"),
                std::io::Error::other("disk full"),
            ),
        ));
        assert_eq!(manifest.kind(), FailureKind::Run);
    }
}
