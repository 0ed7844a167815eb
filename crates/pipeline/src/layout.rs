//! Every on-disk name in one place: the Hive-style partition folders, staging, markers,
//! manifests, the catalog and part file names. Names are checked here once, so no other module
//! can build a path that escapes the output folder.

use std::fmt;
use std::path::{Path, PathBuf};

/// A dataset, source, tenant or run id that cannot be one path component.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {value:?} cannot be used in an output path: {reason}")]
pub struct InvalidName {
    /// Which name it is (`"tenant"`, `"run id"`, ...).
    pub what: &'static str,
    /// The offending value.
    pub value: String,
    /// Why it is rejected.
    pub reason: &'static str,
}

/// Folder inside the output root where runs write before they commit. Its leading dot makes
/// Spark, Hive and most glob-based readers skip it.
pub const STAGING_DIR: &str = ".staging";

/// The catalog's file name at the output root. The leading underscore keeps Spark, Hive and
/// pyarrow from reading it as data.
pub const CATALOG_FILE: &str = "_current.json";

/// What an output is, written when it is created: `<out>/_custlake.json` (its format).
pub const OUTPUT_FILE: &str = "_custlake.json";

/// The lock a Parquet output's writer holds for the whole run: `<out>/.custlake.lock`.
pub const WRITER_LOCK_FILE: &str = ".custlake.lock";

/// The marker of every committed partition, written after its commit and
/// holding the same record the catalog holds for it. It lives under [`MARKERS_DIR`], never in
/// the partition folder: readers that open `<out>/<dataset>` expect data files only there.
pub const MARKER_FILE: &str = "_SUCCESS";

/// Folder at the output root mirroring the partition folders, one marker each:
/// `_markers/<dataset>/source=<s>/tenant=<t>/_SUCCESS`.
pub const MARKERS_DIR: &str = "_markers";

/// Folder under the output root that holds one manifest per run. The leading underscore makes
/// Spark, Hive and DuckDB's hive globbing skip it.
pub const MANIFEST_DIR: &str = "_manifests";

/// Folder inside a run's staging folder that holds its checkpoints and spools.
pub const CHECKPOINT_DIR: &str = "_checkpoints";

/// Where a Delta output keeps each incremental source's high-water mark, one object per
/// source: `_marks/source=<s>/tenant=<t>.json` (beside the tables, never inside one).
pub const DELTA_MARKS_DIR: &str = "_marks";

/// Folder inside [`STAGING_DIR`] where the non-atomic fallback swap moves a previous snapshot
/// while the new one moves in. Run ids cannot start with '.', so it never collides with a run.
pub(crate) const ASIDE_DIR: &str = ".previous";

/// The partition a snapshot replaces: `<dataset>/source=<source>/tenant=<tenant>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PartitionTarget {
    /// Dataset name, the top-level folder (`customers`, `contacts`, `rejects`).
    pub dataset: String,
    /// Source kind, the `source=` partition value (`yonyou_u8`, `yeastar_ycm`).
    pub source: String,
    /// Configured source name, the `tenant=` partition value.
    pub tenant: String,
}

impl PartitionTarget {
    /// Builds a target from its three names.
    pub fn new(
        dataset: impl Into<String>,
        source: impl Into<String>,
        tenant: impl Into<String>,
    ) -> Self {
        Self {
            dataset: dataset.into(),
            source: source.into(),
            tenant: tenant.into(),
        }
    }

    /// The partition folder relative to the output root.
    pub fn relative_dir(&self) -> PathBuf {
        PathBuf::from(&self.dataset).join(self.partition_dir())
    }

    /// The partition folder inside its dataset (a Delta table's partition path),
    /// `source=<s>/tenant=<t>`.
    pub(crate) fn partition_dir(&self) -> String {
        format!("source={}/tenant={}", self.source, self.tenant)
    }

    /// The live partition folder readers see.
    pub(crate) fn live_dir(&self, out_root: &Path) -> PathBuf {
        out_root.join(self.relative_dir())
    }

    /// The folder this run writes the partition into before commit.
    pub(crate) fn staging_dir(&self, out_root: &Path, run_id: &str) -> PathBuf {
        run_staging_dir(out_root, run_id).join(self.relative_dir())
    }

    /// Where the fallback swap parks the previous snapshot: outside the run's staging folder, so
    /// that cleaning up the run can never delete a snapshot that still has to be restored.
    pub(crate) fn aside_dir(&self, out_root: &Path, run_id: &str) -> PathBuf {
        out_root
            .join(STAGING_DIR)
            .join(ASIDE_DIR)
            .join(run_id)
            .join(self.relative_dir())
    }

    /// Rejects names that would not make a single, plain path component.
    pub(crate) fn validate(&self) -> Result<(), InvalidName> {
        validate_component("dataset", &self.dataset)?;
        validate_component("source", &self.source)?;
        validate_component("tenant", &self.tenant)
    }
}

impl fmt::Display for PartitionTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/source={}/tenant={}",
            self.dataset, self.source, self.tenant
        )
    }
}

/// Everything one run has staged: `<out>/.staging/<run_id>`.
pub(crate) fn run_staging_dir(out_root: &Path, run_id: &str) -> PathBuf {
    out_root.join(STAGING_DIR).join(run_id)
}

/// `part-<run_id>-NNNNN.parquet`; the run id in the name means files of two runs never collide,
/// and a reader can tell which run wrote a file.
pub(crate) fn part_file_name(run_id: &str, index: u32) -> String {
    format!("part-{run_id}-{index:05}.parquet")
}

/// The marker of the partition folder `partition_dir` (relative to the output root, `/`
/// separators): `_markers/<partition_dir>/_SUCCESS`.
pub(crate) fn marker_path(partition_dir: &str) -> String {
    format!("{MARKERS_DIR}/{partition_dir}/{MARKER_FILE}")
}

/// The mark object of one source in a Delta output, relative to the output root.
pub(crate) fn delta_mark_path(source: &str, tenant: &str) -> String {
    format!("{DELTA_MARKS_DIR}/source={source}/tenant={tenant}.json")
}

/// Whether `name` is a part file this project writes (`part-<run_id>-NNNNN.parquet`).
pub(crate) fn is_part_file_name(name: &str) -> bool {
    name.starts_with("part-") && name.ends_with(".parquet")
}

/// Checks that a run id can name files and folders (uuid v7 text passes).
pub(crate) fn validate_run_id(run_id: &str) -> Result<(), InvalidName> {
    validate_component("run id", run_id)
}

/// Accepts Unicode letters and digits, `_`, `-` and `.` (not first), so the value is one path
/// component and a valid Hive partition value that no reader needs to unescape.
pub(crate) fn validate_component(what: &'static str, value: &str) -> Result<(), InvalidName> {
    let reason = if value.is_empty() {
        Some("it is empty")
    } else if value.len() > 200 {
        Some("it is longer than 200 bytes")
    } else if value.starts_with('.') {
        Some("it starts with '.'")
    } else if !value
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        Some("it contains a character other than a letter, digit, '_', '-' or '.'")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(InvalidName {
            what,
            value: value.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

/// `a/b/c` on every system.
pub(crate) fn slash(path: &Path) -> String {
    path.components()
        .map(|part| part.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_hive_layout() {
        let target = PartitionTarget::new("customers", "yonyou_u8", "east");
        let out = Path::new("/out");
        assert_eq!(
            target.live_dir(out),
            Path::new("/out/customers/source=yonyou_u8/tenant=east")
        );
        assert_eq!(
            target.staging_dir(out, "r1"),
            Path::new("/out/.staging/r1/customers/source=yonyou_u8/tenant=east")
        );
        assert_eq!(part_file_name("r1", 7), "part-r1-00007.parquet");
        assert_eq!(target.to_string(), "customers/source=yonyou_u8/tenant=east");
    }

    #[test]
    fn names_that_escape_or_confuse_paths_are_rejected() {
        for bad in ["", ".", "..", ".hidden", "a/b", "a\\b", "t=1", "a b", "x\0"] {
            assert!(validate_component("tenant", bad).is_err(), "{bad:?}");
        }
        for good in ["east", "华东", "tenant-1", "v1.2", "0196a1b2-7c3d"] {
            assert!(validate_component("tenant", good).is_ok(), "{good:?}");
        }
    }
}
