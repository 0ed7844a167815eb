//! The run manifest, `<out>/_manifests/<run_id>.json`: what one run fetched, wrote and skipped,
//! for people checking a run and for tools deciding whether to trust its output. The pipeline
//! fills it in; this module only defines its shape, derives the totals and writes it, atomically
//! into a local folder or as one object on an object store.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::layout::MANIFEST_DIR;
use crate::write::SinkError;
use crate::write::durable::write_file_atomically;
use crate::write::location::OutputLocation;
use crate::write::object_store::commit::put_object;

/// Everything a run reports about itself, serialized as the manifest JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunManifest {
    /// Identifies the run; also in every file name and in the files' metadata.
    pub run_id: String,
    /// Version of custlake that ran.
    pub custlake_version: String,
    /// Version of the unified schema the files follow.
    pub schema_version: u32,
    /// When the run started (UTC).
    pub started_at: DateTime<Utc>,
    /// When the run finished (UTC).
    pub finished_at: DateTime<Utc>,
    /// When this process continued the run, for a run resumed with `--resume` (`started_at`
    /// stays the interrupted run's start, as its rows' `extracted_at` do).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed_at: Option<DateTime<Utc>>,
    /// Wall-clock duration of this process's part in milliseconds: from `resumed_at` (or
    /// `started_at`) to `finished_at`.
    pub elapsed_ms: u64,
    /// Overall outcome: every source succeeded, some did, or none did.
    pub status: RunStatus,
    /// One entry per configured source (vendor × tenant).
    pub sources: Vec<SourceReport>,
    /// Every file this run published.
    pub files: Vec<ManifestFile>,
    /// Partitions (`dataset/source=../tenant=..`) whose new content equalled what they already
    /// held: nothing was published for them and their previous files stay current.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unchanged: Vec<String>,
    /// Things a person should look at even though the run went on (non-atomic swap, counts
    /// that disagree with the vendor's total, ...).
    pub warnings: Vec<String>,
    /// Sums over `sources` and `files`; see [`RunManifest::compute_totals`].
    pub totals: RunTotals,
    /// What the `customer_links` step found, when it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<LinkSummary>,
    /// A Delta output's commits: one entry per partition the run changed or left.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delta_commits: Vec<DeltaCommitRecord>,
    /// What each published partition of `customers` and `contacts` inserted, updated and
    /// deleted (by `row_hash`), one entry per partition the run published or found unchanged.
    #[serde(default)]
    pub changes: Vec<PartitionChanges>,
}

/// What became of one partition in a Delta output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeltaCommitRecord {
    /// The table (dataset).
    pub table: String,
    /// Source kind.
    pub source: String,
    /// Configured source name.
    pub tenant: String,
    /// `committed`, `unchanged` (the partition already held this content), `already_applied`
    /// (a repeated commit of this run, not applied twice) or `skipped` (no change to apply).
    pub outcome: String,
    /// The table version the commit created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// Commit attempts lost to other writers before this one.
    pub retries: u32,
    /// Rows of the partition after the commit.
    pub rows: u64,
}

/// How one committed partition changed, as the manifest and the summary report it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionChanges {
    /// Dataset (`customers`, `contacts`).
    pub dataset: String,
    /// Source kind.
    pub source: String,
    /// Configured source name.
    pub tenant: String,
    /// Keys the partition did not hold before.
    pub inserted: u64,
    /// Keys whose row changed (another `row_hash`).
    pub updated: u64,
    /// Keys the partition held that a full run no longer found; `null` when deletions were not
    /// counted (an incremental run, or a listing that ended early).
    pub deleted: Option<u64>,
    /// Milliseconds spent finding the changes and appending them to the history (what change
    /// detection costs the run).
    #[serde(default)]
    pub elapsed_ms: u64,
}

impl PartitionChanges {
    /// Whether anything changed.
    pub fn is_empty(&self) -> bool {
        self.inserted == 0 && self.updated == 0 && self.deleted.unwrap_or(0) == 0
    }
}

/// What one `customer_links` step found: the figures a data team checks before trusting links.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkSummary {
    /// Customers read, every source together.
    pub customers: u64,
    /// Links written, per match key (`phone`, `mobile`, `email`, `name`).
    pub links: BTreeMap<String, u64>,
    /// Keys shared by more than `max_link_fanout` customers, which gave no links, per match key.
    pub skipped_keys: BTreeMap<String, u64>,
    /// The fan-out limit the step ran with.
    pub max_link_fanout: usize,
    /// Sorted runs of match keys spilled to disk (0 when they fitted the memory budget).
    pub spilled_runs: usize,
    /// Wall-clock duration of the step in milliseconds.
    pub elapsed_ms: u64,
}

/// Outcome of a run or of one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Everything was exported and committed.
    Succeeded,
    /// Some sources or entities were committed, others failed and kept their previous snapshot.
    Partial,
    /// Nothing was committed.
    Failed,
}

/// What happened to one source (one vendor account, called a tenant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceReport {
    /// Source kind, as in the `source=` partition: `yonyou_u8` or `yeastar_ycm`.
    pub source: String,
    /// Configured source name, as in the `tenant=` partition.
    pub tenant: String,
    /// How this source ended.
    pub status: RunStatus,
    /// Why it failed, already redacted by the caller (no tokens or secrets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// One entry per entity fetched (`customers`, `contacts`).
    pub entities: Vec<EntityReport>,
}

impl SourceReport {
    /// The datasets written by an entity whose listing ended early (fewer unique records than
    /// the vendor announced): the keys they lack may still exist at the vendor, so they are not
    /// counted or recorded as deletions.
    pub fn incomplete_datasets(&self) -> std::collections::BTreeSet<String> {
        self.entities
            .iter()
            .filter(|entity| entity.missing.is_some_and(|missing| missing > 0))
            .flat_map(|entity| entity.rows.keys().cloned())
            .collect()
    }
}

/// Counts for one entity of one source, to check completeness against the vendor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityReport {
    /// The vendor entity (`customers`, `contacts`).
    pub entity: String,
    /// Pages fetched from the vendor by this process (a resumed run's pages taken from its
    /// checkpoint are `pages_replayed`, not counted here).
    pub pages_fetched: u64,
    /// Pages a resumed run took from its checkpoint instead of fetching them again.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pages_replayed: u64,
    /// Records received, duplicates included.
    pub records_fetched: u64,
    /// Total the vendor announced on the first page, if it announces one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_total: Option<u64>,
    /// Records dropped because their key was already seen (records shifting between pages).
    pub duplicates_dropped: u64,
    /// `vendor_total` minus unique records: positive when records went missing, negative when
    /// the vendor returned more than announced (records added during the run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<i64>,
    /// Requests retried (timeouts, 429, 5xx, busy codes).
    pub retries: u64,
    /// Rows written per dataset (`customers`, `contacts`, ...), rejects excluded.
    pub rows: BTreeMap<String, u64>,
    /// Rows written to `rejects` for this entity.
    pub rejects: u64,
}

impl EntityReport {
    /// Records left after dropping duplicates.
    pub fn unique_records(&self) -> u64 {
        self.records_fetched.saturating_sub(self.duplicates_dropped)
    }

    /// Sets [`missing`](Self::missing) from `vendor_total` and the unique records.
    pub fn compute_missing(&mut self) {
        self.missing = self.vendor_total.map(|total| {
            i64::try_from(total)
                .unwrap_or(i64::MAX)
                .saturating_sub(i64::try_from(self.unique_records()).unwrap_or(i64::MAX))
        });
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One published file, as listed in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Dataset (`customers`, `contacts`, `rejects`).
    pub dataset: String,
    /// Source kind.
    pub source: String,
    /// Configured source name.
    pub tenant: String,
    /// Path relative to the output root, with `/` separators on every system.
    pub path: String,
    /// Rows in the file.
    pub rows: u64,
    /// File size in bytes.
    pub bytes: u64,
}

/// Sums a reader would otherwise compute by hand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunTotals {
    /// Sources configured.
    pub sources: u64,
    /// Sources that failed.
    pub sources_failed: u64,
    /// Pages fetched across all sources.
    pub pages_fetched: u64,
    /// Records received across all sources, duplicates included.
    pub records_fetched: u64,
    /// Rows written per dataset, rejects excluded.
    pub rows: BTreeMap<String, u64>,
    /// Rows written to `rejects`.
    pub rejects: u64,
    /// Files published.
    pub files: u64,
    /// Bytes published.
    pub bytes: u64,
}

impl RunManifest {
    /// The manifest of run `run_id` as it starts: succeeded, with nothing in it yet.
    pub fn empty(run_id: &str, started_at: DateTime<Utc>) -> Self {
        Self {
            run_id: run_id.to_owned(),
            custlake_version: env!("CARGO_PKG_VERSION").to_owned(),
            schema_version: custlake_schema::SCHEMA_VERSION,
            started_at,
            finished_at: started_at,
            resumed_at: None,
            elapsed_ms: 0,
            status: RunStatus::Succeeded,
            sources: Vec::new(),
            files: Vec::new(),
            unchanged: Vec::new(),
            warnings: Vec::new(),
            totals: RunTotals::default(),
            links: None,
            delta_commits: Vec::new(),
            changes: Vec::new(),
        }
    }

    /// Recomputes [`totals`](Self::totals) from `sources` and `files`.
    pub fn compute_totals(&mut self) {
        let mut totals = RunTotals {
            sources: self.sources.len() as u64,
            sources_failed: self
                .sources
                .iter()
                .filter(|source| source.status == RunStatus::Failed)
                .count() as u64,
            files: self.files.len() as u64,
            bytes: self.files.iter().map(|file| file.bytes).sum(),
            ..RunTotals::default()
        };
        for entity in self.sources.iter().flat_map(|source| &source.entities) {
            totals.pages_fetched += entity.pages_fetched;
            totals.records_fetched += entity.records_fetched;
            totals.rejects += entity.rejects;
            for (dataset, rows) in &entity.rows {
                *totals.rows.entry(dataset.clone()).or_default() += rows;
            }
        }
        self.totals = totals;
    }

    /// Where this run's manifest goes: `<out>/_manifests/<run_id>.json`.
    pub fn path(&self, out_root: &Path) -> PathBuf {
        out_root
            .join(MANIFEST_DIR)
            .join(format!("{}.json", self.run_id))
    }

    /// Writes the manifest as pretty JSON so that it appears whole or not at all: temp file,
    /// fsync, rename, fsync of the folder. Returns the path written.
    pub fn write_atomically(&self, out_root: &Path) -> Result<PathBuf, SinkError> {
        crate::layout::validate_run_id(&self.run_id)?;
        let path = self.path(out_root);
        let dir = out_root.join(MANIFEST_DIR);
        std::fs::create_dir_all(&dir)
            .map_err(|error| SinkError::io("create folder", &dir, error))?;
        let json = self.to_json(&path)?;
        write_file_atomically(&path, &json)?;
        Ok(path)
    }

    /// Writes the manifest into `location`: atomically into a local folder (see
    /// [`RunManifest::write_atomically`]), or as the object `_manifests/<run_id>.json`, which
    /// an object store makes visible whole or not at all.
    pub(crate) async fn write_to(&self, location: &OutputLocation) -> Result<(), SinkError> {
        match location {
            OutputLocation::Local(dir) => self.write_atomically(dir).map(|_| ()),
            OutputLocation::ObjectStore(store) => {
                crate::layout::validate_run_id(&self.run_id)?;
                let relative = format!("{MANIFEST_DIR}/{}.json", self.run_id);
                let json = self.to_json(Path::new(&relative))?;
                put_object(store, &relative, json).await
            }
        }
    }

    /// The manifest as pretty JSON with a final newline; `path` names it in an error. Every
    /// secret and token the process knows is cut out of it, whichever message carried it.
    fn to_json(&self, path: &Path) -> Result<Vec<u8>, SinkError> {
        let json =
            serde_json::to_string_pretty(self).map_err(|error| SinkError::ManifestEncode {
                path: path.to_path_buf(),
                error,
            })?;
        let mut json = custlake_client_kit::cut_known(&json).into_bytes();
        json.push(b'\n');
        Ok(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_entity_missing_records_makes_its_datasets_incomplete() {
        let entity = |name: &str, missing: Option<i64>, datasets: &[&str]| EntityReport {
            entity: name.to_owned(),
            missing,
            rows: datasets.iter().map(|d| ((*d).to_owned(), 5)).collect(),
            ..EntityReport::default()
        };
        let report = SourceReport {
            source: "yeastar_ycm".to_owned(),
            tenant: "t".to_owned(),
            status: RunStatus::Succeeded,
            error: None,
            entities: vec![
                entity("customers", Some(2), &["customers", "contacts"]),
                entity("other", Some(-3), &["rejects"]),
                entity("more", None, &["x"]),
            ],
        };
        let incomplete: Vec<String> = report.incomplete_datasets().into_iter().collect();
        // More records than announced (records added while paging) lose nothing.
        assert_eq!(incomplete, ["contacts", "customers"]);
    }

    fn manifest() -> RunManifest {
        let at = DateTime::<Utc>::from_timestamp(1_750_000_000, 0).unwrap_or_default();
        RunManifest {
            run_id: "0196a1b2-run".to_owned(),
            custlake_version: "0.1.0".to_owned(),
            schema_version: 1,
            started_at: at,
            finished_at: at,
            resumed_at: None,
            elapsed_ms: 1500,
            status: RunStatus::Partial,
            sources: vec![
                SourceReport {
                    source: "yonyou_u8".to_owned(),
                    tenant: "east".to_owned(),
                    status: RunStatus::Succeeded,
                    error: None,
                    entities: vec![EntityReport {
                        entity: "customers".to_owned(),
                        pages_fetched: 3,
                        records_fetched: 250,
                        vendor_total: Some(251),
                        duplicates_dropped: 2,
                        retries: 1,
                        rows: BTreeMap::from([("customers".to_owned(), 245)]),
                        rejects: 3,
                        ..EntityReport::default()
                    }],
                },
                SourceReport {
                    source: "yeastar_ycm".to_owned(),
                    tenant: "west".to_owned(),
                    status: RunStatus::Failed,
                    error: Some("token request refused: check YCM client id".to_owned()),
                    entities: Vec::new(),
                },
            ],
            files: Vec::new(),
            unchanged: Vec::new(),
            warnings: vec!["west: previous snapshot kept".to_owned()],
            totals: RunTotals::default(),
            links: None,
            delta_commits: Vec::new(),
            changes: Vec::new(),
        }
    }

    #[test]
    fn missing_counts_unique_records_against_the_vendor_total() {
        let mut entity = manifest().sources[0].entities[0].clone();
        entity.compute_missing();
        assert_eq!(entity.unique_records(), 248);
        assert_eq!(entity.missing, Some(3));
        entity.vendor_total = Some(240);
        entity.compute_missing();
        assert_eq!(entity.missing, Some(-8));
    }

    #[test]
    fn totals_and_files_are_derived() {
        let mut manifest = manifest();
        manifest.files.push(ManifestFile {
            dataset: "customers".into(),
            source: "yonyou_u8".into(),
            tenant: "east".into(),
            path: "customers/source=yonyou_u8/tenant=east/part-r-00000.parquet".into(),
            rows: 245,
            bytes: 4096,
        });
        manifest.compute_totals();
        assert_eq!(manifest.files[0].tenant, "east");
        assert_eq!(
            manifest.files[0].path,
            "customers/source=yonyou_u8/tenant=east/part-r-00000.parquet"
        );
        let totals = &manifest.totals;
        assert_eq!((totals.sources, totals.sources_failed), (2, 1));
        assert_eq!((totals.pages_fetched, totals.records_fetched), (3, 250));
        assert_eq!(totals.rows.get("customers"), Some(&245));
        assert_eq!((totals.rejects, totals.files, totals.bytes), (3, 1, 4096));
    }

    #[test]
    fn written_manifest_round_trips_with_lowercase_statuses()
    -> Result<(), Box<dyn std::error::Error>> {
        let out = tempfile::tempdir()?;
        let manifest = manifest();
        let path = manifest.write_atomically(out.path())?;
        assert_eq!(path, out.path().join("_manifests/0196a1b2-run.json"));
        let text = std::fs::read_to_string(&path)?;
        assert!(text.contains(r#""status": "partial""#), "{text}");
        assert!(text.contains(r#""status": "failed""#), "{text}");
        let read: RunManifest = serde_json::from_str(&text)?;
        assert_eq!(read, manifest);
        Ok(())
    }

    #[test]
    fn run_id_cannot_escape_the_manifest_folder() -> Result<(), Box<dyn std::error::Error>> {
        let out = tempfile::tempdir()?;
        let mut manifest = manifest();
        manifest.run_id = "../evil".to_owned();
        assert!(manifest.write_atomically(out.path()).is_err());
        Ok(())
    }
}
