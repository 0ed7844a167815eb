//! The catalog, `<out>/_current.json`: which files make up the dataset now, and what each
//! incremental source has seen so far. Readers of object stores use its file lists; the
//! pipeline uses it to skip unchanged snapshots and to plan incremental runs.
//!
//! * `partitions[]`: one entry per (dataset, source, tenant) with its current files (the
//!   `run_id` that last published it, its `content_hash`, its `files`); an output written by an
//!   older custlake may also list increments written since, which the next run folds in (see
//!   [`crate::commit::legacy_increments`]).
//! * `sources[]`: per source, the high-water marks of its incremental entities (see
//!   [`crate::incremental`]).
//!
//! Every run that commits anything rewrites the whole catalog in one atomic write (temp file and
//! rename locally, one PUT on object stores), after its files are in place. On object stores that
//! write is the commit point. In a local folder the partition folders themselves are swapped
//! atomically first, and each carries a `_SUCCESS` marker naming its run; on load, a folder whose
//! marker disagrees with the catalog (a crash between the swap and the catalog write) wins, and
//! the increments recorded against the replaced files are dropped, so the catalog can lag behind
//! the folders but never contradict them.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use custlake_schema::RowVersion;
use serde::{Deserialize, Serialize};

pub use crate::commit::content::{Content, FileRecord};
pub use crate::commit::increment::{FetchKind, Increment};
use crate::commit::legacy_increments::LegacyIncrements;
use crate::layout::CATALOG_FILE;
use crate::layout::PartitionTarget;
use crate::layout::slash;
use crate::layout::{self, MARKER_FILE};
use crate::write::SinkError;
use crate::write::durable::write_file_atomically;
use crate::write::location::OutputLocation;
use crate::write::object_store::commit::{get_object, put_object};

/// Version of the catalog format this build writes and reads.
const FORMAT_VERSION: u32 = 1;

/// The whole catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// Format version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// The run (export or compaction) that wrote this version of the catalog.
    #[serde(default)]
    pub updated_by_run: String,
    /// When it was written.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    /// Every partition of the dataset, sorted by dataset, source, tenant.
    #[serde(default)]
    pub partitions: Vec<PartitionRecord>,
    /// Incremental state per source, sorted by source, tenant.
    #[serde(default)]
    pub sources: Vec<SourceState>,
}

/// One (dataset, source, tenant) partition: its current files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionRecord {
    /// Dataset (`customers`, `contacts`, `rejects`).
    pub dataset: String,
    /// Source kind (`yonyou_u8`, `yeastar_ycm`).
    pub source: String,
    /// Configured source name.
    pub tenant: String,
    /// The partition's current files (one row per key).
    #[serde(flatten)]
    pub snapshot: Content,
    /// Increments an older custlake wrote beside the files, oldest first; folded in by the next
    /// run or `custlake compact`.
    #[serde(flatten)]
    pub legacy: LegacyIncrements,
}

/// What an incremental source remembers between runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceState {
    /// Source kind.
    pub source: String,
    /// Configured source name.
    pub tenant: String,
    /// One high-water mark per incremental entity.
    #[serde(default)]
    pub marks: Vec<EntityMark>,
}

/// The newest change an entity's committed data includes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredMark", into = "StoredMark")]
pub struct EntityMark {
    /// The entity (`customers`).
    pub entity: String,
    /// Highest row version (U8 `timestamp`) seen, as the server sent it, if the records carry
    /// one.
    pub max_timestamp: Option<RowVersion>,
    /// Latest modification time (U8 `ModifyDate`, `YYYY-MM-DD HH:MM:SS` local time) seen; the
    /// fallback when records carry no `timestamp`.
    pub max_modify_date: Option<String>,
    /// The run whose data established the mark.
    pub run_id: String,
}

/// [`EntityMark`] as `_current.json` holds it: the row version's integer value in
/// `max_timestamp` (what catalogs written before custlake kept the text hold, and what they
/// still read) and the vendor's text beside it in `max_timestamp_text`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredMark {
    entity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_timestamp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_timestamp_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_modify_date: Option<String>,
    run_id: String,
}

impl From<StoredMark> for EntityMark {
    fn from(stored: StoredMark) -> Self {
        let text = stored
            .max_timestamp_text
            .as_deref()
            .and_then(|t| RowVersion::from_text(t).ok());
        // The integer is authoritative: a text that names another number (an edited catalog)
        // is replaced by the decimal form of the integer.
        let max_timestamp = match (stored.max_timestamp, text) {
            (Some(value), Some(text)) if text.value() == value => Some(text),
            (Some(value), _) => Some(RowVersion::from_value(value)),
            (None, text) => text,
        };
        Self {
            entity: stored.entity,
            max_timestamp,
            max_modify_date: stored.max_modify_date,
            run_id: stored.run_id,
        }
    }
}

impl From<EntityMark> for StoredMark {
    fn from(mark: EntityMark) -> Self {
        Self {
            entity: mark.entity,
            max_timestamp: mark.max_timestamp.as_ref().map(RowVersion::value),
            max_timestamp_text: mark.max_timestamp.map(|v| v.text().to_owned()),
            max_modify_date: mark.max_modify_date,
            run_id: mark.run_id,
        }
    }
}

/// What a `_SUCCESS` marker holds: the partition and the content committed into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    /// Dataset.
    pub dataset: String,
    /// Source kind.
    pub source: String,
    /// Configured source name.
    pub tenant: String,
    /// The committed files.
    #[serde(flatten)]
    pub content: Content,
}

impl Default for Catalog {
    fn default() -> Self {
        Self {
            format_version: FORMAT_VERSION,
            updated_by_run: String::new(),
            updated_at: None,
            partitions: Vec::new(),
            sources: Vec::new(),
        }
    }
}

impl PartitionRecord {
    /// The partition this record describes.
    pub fn target(&self) -> PartitionTarget {
        PartitionTarget::new(&self.dataset, &self.source, &self.tenant)
    }
}

impl Catalog {
    /// Reads the catalog of `output`; an empty one when there is none yet. In a local folder
    /// the partition folders' markers are authoritative (see the module documentation).
    pub async fn load(output: &OutputLocation) -> Result<Self, SinkError> {
        match output {
            OutputLocation::Local(root) => {
                let path = root.join(CATALOG_FILE);
                let mut catalog = match std::fs::read(&path) {
                    Ok(bytes) => parse(&bytes, &path.display().to_string())?,
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => Self::default(),
                    Err(error) => return Err(SinkError::io("read", path, error)),
                };
                catalog.reconcile_with_folders(root)?;
                Ok(catalog)
            }
            OutputLocation::ObjectStore(store) => match get_object(store, CATALOG_FILE).await? {
                Some(bytes) => parse(&bytes, &store.display(CATALOG_FILE)),
                None => Ok(Self::default()),
            },
        }
    }

    /// The catalog as `_current.json` holds it.
    pub(crate) fn to_json(&self) -> Result<Vec<u8>, SinkError> {
        let mut json = serde_json::to_vec_pretty(self).map_err(|error| SinkError::Catalog {
            location: CATALOG_FILE.to_owned(),
            detail: error.to_string(),
        })?;
        json.push(b'\n');
        Ok(json)
    }

    /// Writes the catalog atomically: readers see the previous version or this one.
    pub async fn store(&self, output: &OutputLocation) -> Result<(), SinkError> {
        let json = self.to_json()?;
        match output {
            OutputLocation::Local(root) => write_file_atomically(&root.join(CATALOG_FILE), &json),
            OutputLocation::ObjectStore(store) => put_object(store, CATALOG_FILE, json).await,
        }
    }

    /// The record of `target`, if it was ever committed.
    pub fn partition(&self, target: &PartitionTarget) -> Option<&PartitionRecord> {
        self.partitions.iter().find(|p| {
            p.dataset == target.dataset && p.source == target.source && p.tenant == target.tenant
        })
    }

    fn partition_mut(&mut self, target: &PartitionTarget) -> Option<&mut PartitionRecord> {
        self.partitions.iter_mut().find(|p| {
            p.dataset == target.dataset && p.source == target.source && p.tenant == target.tenant
        })
    }

    /// Makes `content` the current files of `target`; older increments are dropped (the
    /// content includes what they held).
    pub fn set_snapshot(&mut self, target: &PartitionTarget, content: Content) {
        let record = PartitionRecord {
            dataset: target.dataset.clone(),
            source: target.source.clone(),
            tenant: target.tenant.clone(),
            snapshot: content,
            legacy: LegacyIncrements::default(),
        };
        match self.partition_mut(target) {
            Some(existing) => *existing = record,
            None => self.partitions.push(record),
        }
        self.sort();
    }

    /// The high-water mark of `entity` of a source, if one was recorded.
    pub fn mark(&self, source: &str, tenant: &str, entity: &str) -> Option<&EntityMark> {
        self.sources
            .iter()
            .find(|s| s.source == source && s.tenant == tenant)?
            .marks
            .iter()
            .find(|m| m.entity == entity)
    }

    /// Records (or replaces) a high-water mark.
    pub fn set_mark(&mut self, source: &str, tenant: &str, mark: EntityMark) {
        let index = match self
            .sources
            .iter()
            .position(|s| s.source == source && s.tenant == tenant)
        {
            Some(index) => index,
            None => {
                self.sources.push(SourceState {
                    source: source.to_owned(),
                    tenant: tenant.to_owned(),
                    marks: Vec::new(),
                });
                self.sources.len() - 1
            }
        };
        let marks = &mut self.sources[index].marks;
        marks.retain(|m| m.entity != mark.entity);
        marks.push(mark);
        marks.sort_by(|a, b| a.entity.cmp(&b.entity));
        self.sort();
    }

    /// The sequence an upsert's rows take after every recorded increment.
    pub fn next_increment_sequence(&self) -> u64 {
        self.partitions
            .iter()
            .flat_map(|p| &p.legacy.increments)
            .map(|d| d.sequence)
            .max()
            .unwrap_or(0)
            + 1
    }

    fn sort(&mut self) {
        self.partitions.sort_by(|a, b| {
            (&a.dataset, &a.source, &a.tenant).cmp(&(&b.dataset, &b.source, &b.tenant))
        });
        self.sources
            .sort_by(|a, b| (&a.source, &a.tenant).cmp(&(&b.source, &b.tenant)));
    }

    /// Brings the partition records in line with the live folders of a local output: a folder
    /// whose `_SUCCESS` names another run than the catalog replaces the record (its increments were
    /// recorded against the replaced snapshot); a folder without a marker, or whose marker names
    /// files it does not hold, is recorded with its files and an unknown hash; records without a
    /// folder are dropped.
    fn reconcile_with_folders(&mut self, root: &Path) -> Result<(), SinkError> {
        let mut live = Vec::new();
        for dataset in subdirs(root)? {
            let Some(dataset_name) = plain_name(&dataset) else {
                continue;
            };
            for source_dir in subdirs(&dataset)? {
                let Some(source) = hive_value(&source_dir, "source") else {
                    continue;
                };
                for tenant_dir in subdirs(&source_dir)? {
                    let Some(tenant) = hive_value(&tenant_dir, "tenant") else {
                        continue;
                    };
                    let target = PartitionTarget::new(&dataset_name, &source, &tenant);
                    live.push((target, tenant_dir));
                }
            }
        }
        let mut partitions = Vec::new();
        for (target, dir) in live {
            let marker = read_local_marker(root, &slash(&target.relative_dir()))?;
            // A run killed between swapping a folder in and writing its marker leaves a marker
            // (and catalog record) naming files the folder no longer holds: the folder wins.
            let marker = marker.filter(|m| holds_files(root, &m.content));
            let kept = self.partition(&target).filter(|record| {
                marker
                    .as_ref()
                    .is_some_and(|m| m.content.run_id == record.snapshot.run_id)
            });
            partitions.push(match (kept, marker) {
                (Some(record), _) => record.clone(),
                (None, Some(marker)) => PartitionRecord {
                    dataset: target.dataset,
                    source: target.source,
                    tenant: target.tenant,
                    snapshot: marker.content,
                    legacy: LegacyIncrements::default(),
                },
                (None, None) => PartitionRecord {
                    snapshot: unmarked_content(&target, &dir)?,
                    dataset: target.dataset,
                    source: target.source,
                    tenant: target.tenant,
                    legacy: LegacyIncrements::default(),
                },
            });
        }
        self.partitions = partitions;
        self.sort();
        Ok(())
    }
}

fn parse(bytes: &[u8], location: &str) -> Result<Catalog, SinkError> {
    let catalog: Catalog = serde_json::from_slice(bytes).map_err(|e| SinkError::Catalog {
        location: location.to_owned(),
        detail: e.to_string(),
    })?;
    if catalog.format_version != FORMAT_VERSION {
        return Err(SinkError::Catalog {
            location: location.to_owned(),
            detail: format!(
                "format version {} is not the {FORMAT_VERSION} this custlake reads (written by \
                 another version?)",
                catalog.format_version
            ),
        });
    }
    Ok(catalog)
}

/// Reads the marker of the local partition folder `partition_dir` (relative to `root`): under
/// `_markers/`, else where custlake wrote it before schema version 2 (inside the folder);
/// `None` when absent or unreadable as a marker (an empty Spark-style marker, for instance).
pub(crate) fn read_local_marker(
    root: &Path,
    partition_dir: &str,
) -> Result<Option<Marker>, SinkError> {
    let current = root.join(layout::marker_path(partition_dir));
    let legacy = root.join(partition_dir).join(MARKER_FILE);
    for path in [current, legacy] {
        match std::fs::read(&path) {
            Ok(bytes) => return Ok(serde_json::from_slice(&bytes).ok()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(SinkError::io("read", path, error)),
        }
    }
    Ok(None)
}

/// Serializes a marker.
pub(crate) fn marker_json(marker: &Marker) -> Vec<u8> {
    let mut json = serde_json::to_vec_pretty(marker).unwrap_or_default();
    json.push(b'\n');
    json
}

/// Whether every file `content` names is on disk under `root`.
fn holds_files(root: &Path, content: &Content) -> bool {
    content
        .files
        .iter()
        .all(|file| root.join(&file.path).is_file())
}

/// A partition folder written before markers existed: its Parquet files, hash unknown.
fn unmarked_content(target: &PartitionTarget, dir: &Path) -> Result<Content, SinkError> {
    let relative = slash(&target.relative_dir());
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| SinkError::io("list", dir, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".parquet") && !name.starts_with(['.', '_']) {
            let bytes = entry.metadata().map(|m| m.len()).unwrap_or(0);
            files.push(FileRecord {
                path: format!("{relative}/{name}"),
                rows: 0,
                bytes,
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Content {
        run_id: String::new(),
        content_hash: String::new(),
        rows: 0,
        files,
    })
}

fn subdirs(dir: &Path) -> Result<Vec<PathBuf>, SinkError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(SinkError::io("list", dir, error)),
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    out.sort();
    Ok(out)
}

/// A dataset folder name: not hidden (`.staging`) and not metadata (`_manifests`, `_markers`).
fn plain_name(dir: &Path) -> Option<String> {
    let name = dir.file_name()?.to_str()?;
    (!name.starts_with(['.', '_'])).then(|| name.to_owned())
}

/// `value` of a `key=value` folder.
fn hive_value(dir: &Path, key: &str) -> Option<String> {
    let name = dir.file_name()?.to_str()?;
    name.strip_prefix(key)?.strip_prefix('=').map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(run: &str) -> Content {
        Content {
            run_id: run.to_owned(),
            content_hash: format!("h-{run}"),
            rows: 1,
            files: vec![FileRecord {
                path: format!("customers/source=yonyou_u8/tenant=t/part-{run}-00000.parquet"),
                rows: 1,
                bytes: 10,
            }],
        }
    }

    #[tokio::test]
    async fn local_folders_win_over_a_stale_catalog() -> Result<(), Box<dyn std::error::Error>> {
        let out = tempfile::tempdir()?;
        let location = OutputLocation::Local(out.path().to_path_buf());
        let target = PartitionTarget::new("customers", "yonyou_u8", "t");
        let mut catalog = Catalog::default();
        catalog.set_snapshot(&target, content("r1"));
        // An increment an older custlake recorded on top of r1.
        catalog.partitions[0].legacy.increments.push(Increment {
            sequence: 1,
            entities: std::collections::BTreeMap::from([(
                "customers".to_owned(),
                FetchKind::Changes,
            )]),
            content: content("r2"),
        });
        catalog.set_mark(
            "yonyou_u8",
            "t",
            EntityMark {
                entity: "customers".into(),
                max_timestamp: Some(RowVersion::from_value(7)),
                max_modify_date: None,
                run_id: "r2".into(),
            },
        );
        catalog.store(&location).await?;

        // The folder holds r1's snapshot: catalog kept as is.
        let dir = out.path().join(target.relative_dir());
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("part-r1-00000.parquet"), b"")?;
        let marker = Marker {
            dataset: "customers".into(),
            source: "yonyou_u8".into(),
            tenant: "t".into(),
            content: content("r1"),
        };
        std::fs::write(dir.join(MARKER_FILE), marker_json(&marker))?;
        assert_eq!(Catalog::load(&location).await?, catalog);

        // A later full run swapped r3 in and crashed before the catalog write.
        let newer = Marker {
            content: content("r3"),
            ..marker
        };
        std::fs::write(dir.join(MARKER_FILE), marker_json(&newer))?;
        std::fs::rename(
            dir.join("part-r1-00000.parquet"),
            dir.join("part-r3-00000.parquet"),
        )?;
        let loaded = Catalog::load(&location).await?;
        let record = loaded.partition(&target).ok_or("partition")?;
        assert_eq!(record.snapshot.run_id, "r3");
        assert!(
            record.legacy.increments.is_empty(),
            "increments of the replaced files are dropped"
        );
        assert_eq!(
            loaded
                .mark("yonyou_u8", "t", "customers")
                .and_then(|m| m.max_timestamp.as_ref())
                .map(RowVersion::value),
            Some(7)
        );

        // The folder is gone: so is the record.
        std::fs::remove_dir_all(&dir)?;
        assert!(Catalog::load(&location).await?.partitions.is_empty());
        Ok(())
    }

    #[tokio::test]
    async fn a_folder_swapped_in_before_its_marker_is_read_as_it_holds()
    -> Result<(), Box<dyn std::error::Error>> {
        let out = tempfile::tempdir()?;
        let location = OutputLocation::Local(out.path().to_path_buf());
        let target = PartitionTarget::new("customers", "yonyou_u8", "t");
        let mut catalog = Catalog::default();
        catalog.set_snapshot(&target, content("r3"));
        catalog.store(&location).await?;
        let dir = out.path().join(target.relative_dir());
        std::fs::create_dir_all(&dir)?;
        let marker = Marker {
            dataset: "customers".into(),
            source: "yonyou_u8".into(),
            tenant: "t".into(),
            content: content("r3"),
        };
        std::fs::write(dir.join(MARKER_FILE), marker_json(&marker))?;
        // A run swapped r4's folder in and was killed before writing its marker: the marker
        // still names r3's files, which the folder no longer holds, so the folder is read.
        std::fs::write(dir.join("part-r4-00000.parquet"), b"")?;
        let loaded = Catalog::load(&location).await?;
        let record = loaded.partition(&target).ok_or("partition")?;
        assert_eq!(record.snapshot.run_id, "", "hash and run unknown");
        let files: Vec<&str> = record
            .snapshot
            .files
            .iter()
            .map(|f| f.path.as_str())
            .collect();
        assert_eq!(
            files,
            ["customers/source=yonyou_u8/tenant=t/part-r4-00000.parquet"]
        );
        Ok(())
    }

    #[test]
    fn marks_keep_the_vendor_text_and_old_integer_marks_still_load()
    -> Result<(), Box<dyn std::error::Error>> {
        let hex = EntityMark {
            entity: "customers".into(),
            max_timestamp: Some(RowVersion::from_text("0x00000000000F4247")?),
            max_modify_date: Some("2024-01-02 03:04:05".into()),
            run_id: "r1".into(),
        };
        let json = serde_json::to_value(&hex)?;
        assert_eq!(json["max_timestamp"], 1_000_007);
        assert_eq!(json["max_timestamp_text"], "0x00000000000F4247");
        assert_eq!(serde_json::from_value::<EntityMark>(json)?, hex);

        // What custlake wrote before it kept the text: the integer alone, read as decimal.
        let old: Catalog = serde_json::from_str(
            r#"{"format_version":1,"sources":[{"source":"yonyou_u8","tenant":"t",
                "marks":[{"entity":"customers","max_timestamp":1000007,"run_id":"r0"}]}]}"#,
        )?;
        let mark = old.mark("yonyou_u8", "t", "customers").ok_or("mark")?;
        let version = mark.max_timestamp.as_ref().ok_or("version")?;
        assert_eq!((version.value(), version.text()), (1_000_007, "1000007"));
        assert_eq!(mark.max_modify_date, None);

        // A text that disagrees with the integer loses to it; a text alone is enough.
        let edited: EntityMark = serde_json::from_str(
            r#"{"entity":"customers","max_timestamp":8,"max_timestamp_text":"0x09","run_id":"r"}"#,
        )?;
        assert_eq!(edited.max_timestamp, Some(RowVersion::from_value(8)));
        let text_only: EntityMark = serde_json::from_str(
            r#"{"entity":"customers","max_timestamp_text":"0x09","run_id":"r"}"#,
        )?;
        assert_eq!(
            text_only.max_timestamp,
            Some(RowVersion::from_text("0x09")?)
        );
        let dated: EntityMark = serde_json::from_str(
            r#"{"entity":"customers","max_modify_date":"2024-01-02 03:04:05","run_id":"r"}"#,
        )?;
        assert_eq!(dated.max_timestamp, None);
        assert!(!serde_json::to_string(&dated)?.contains("max_timestamp"));
        Ok(())
    }
}
