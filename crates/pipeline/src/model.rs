//! The shared vocabulary of the pipeline: which vendor, which entity, which mode, which run.
//! Every layer names these; they depend on nothing else in the crate.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// The vendor a source talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VendorKind {
    /// Yonyou U8 OpenAPI.
    YonyouU8,
    /// Yeastar YCM OpenAPI.
    YeastarYcm,
}

impl VendorKind {
    /// The `source` column / partition value.
    pub fn as_str(self) -> &'static str {
        match self {
            VendorKind::YonyouU8 => "yonyou_u8",
            VendorKind::YeastarYcm => "yeastar_ycm",
        }
    }
}

/// What is exported from a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    /// Customers (U8 customer/batch_get, YCM customers list; YCM also yields contacts).
    Customers,
    /// U8 customer contacts (customercontacts/batch_get).
    Contacts,
}

impl Entity {
    /// Name in configs, manifests and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Customers => "customers",
            Entity::Contacts => "contacts",
        }
    }

    /// The entities a vendor offers.
    pub fn supported_by(kind: VendorKind) -> &'static [Entity] {
        match kind {
            VendorKind::YonyouU8 => &[Entity::Customers, Entity::Contacts],
            VendorKind::YeastarYcm => &[Entity::Customers],
        }
    }
}

/// How a source is exported (`mode` in `[[sources]]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportMode {
    /// A full snapshot on every run (default; the only mode for YCM).
    #[default]
    Full,
    /// After a first full snapshot, only records changed since the last run (U8 customers).
    Incremental,
}

/// A new run id: UTC start time plus random bits, sortable and unique.
pub fn new_run_id(started_at: DateTime<Utc>) -> String {
    let random = uuid::Uuid::now_v7().as_u128() as u32;
    format!("{}-{random:08x}", started_at.format("%Y%m%dT%H%M%SZ"))
}

/// How an output is laid out (`[output] format`, `--format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    /// Hive-style Parquet folders with custlake's own catalog; one writer at a time.
    #[default]
    Parquet,
    /// One Delta Lake table per dataset; many writers at once.
    Delta,
}

impl OutputFormat {
    /// Name in configs, flags and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Parquet => "parquet",
            OutputFormat::Delta => "delta",
        }
    }
}

/// Which share of the configured sources one worker exports (`--shard K/N`): the sources whose
/// name hashes to `index` modulo `count`. A source keeps its shard when others are added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This worker's shard, `0..count`.
    pub index: u32,
    /// How many shards there are.
    pub count: u32,
}

/// Environment variable a Kubernetes Indexed Job sets to the pod's index: `--shard /N` reads
/// `K` from it.
pub const JOB_COMPLETION_INDEX_ENV: &str = "JOB_COMPLETION_INDEX";

/// Why a `--shard` value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "--shard {value:?}: {problem}; write it as K/N with 0 <= K < N (e.g. 2/4), or /N to take K \
     from {JOB_COMPLETION_INDEX_ENV}"
)]
pub struct ShardError {
    /// The value as given.
    pub value: String,
    /// What is wrong with it.
    pub problem: String,
}

impl Shard {
    /// Parses `K/N`, or `/N` with `K` from `job_index` (the `JOB_COMPLETION_INDEX` variable).
    pub fn parse(value: &str, job_index: Option<&str>) -> Result<Self, ShardError> {
        let fail = |problem: String| ShardError {
            value: value.to_owned(),
            problem,
        };
        let (index, count) = value
            .trim()
            .split_once('/')
            .ok_or_else(|| fail("there is no '/'".into()))?;
        let count: u32 = count
            .trim()
            .parse()
            .map_err(|_| fail(format!("N {count:?} is not a whole number")))?;
        let index = match index.trim() {
            "" => job_index.ok_or_else(|| {
                fail(format!(
                    "K is empty and {JOB_COMPLETION_INDEX_ENV} is not set"
                ))
            })?,
            index => index,
        };
        let index: u32 = index
            .trim()
            .parse()
            .map_err(|_| fail(format!("K {index:?} is not a whole number")))?;
        if count == 0 {
            return Err(fail("N is 0".into()));
        }
        if index >= count {
            return Err(fail(format!("K {index} is not below N {count}")));
        }
        Ok(Self { index, count })
    }

    /// Whether the source named `name` belongs to this shard. The hash (xxh3 of the name) does
    /// not depend on the other sources, so adding one moves no other.
    pub fn owns(&self, name: &str) -> bool {
        let hash = xxhash_rust::xxh3::xxh3_64(name.as_bytes());
        hash % u64::from(self.count) == u64::from(self.index)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod shard_tests {
    use super::*;

    #[test]
    fn parses_k_of_n_and_takes_k_from_the_job_index() {
        assert_eq!(Shard::parse("2/4", None), Ok(Shard { index: 2, count: 4 }));
        assert_eq!(
            Shard::parse("/4", Some("3")),
            Ok(Shard { index: 3, count: 4 })
        );
        for bad in ["4/4", "1/0", "x/2", "2", "/3"] {
            let error = Shard::parse(bad, None).unwrap_err().to_string();
            assert!(error.contains("K/N"), "{bad}: {error}");
        }
    }

    #[test]
    fn every_source_has_exactly_one_shard_and_keeps_it_when_sources_are_added() {
        let names: Vec<String> = (0..200).map(|i| format!("tenant-{i}")).collect();
        for count in [1, 2, 4, 7] {
            for name in &names {
                let owners = (0..count)
                    .filter(|&index| Shard { index, count }.owns(name))
                    .count();
                assert_eq!(owners, 1, "{name} of {count} shards");
            }
        }
        let shards_of_4: Vec<u32> = (0..4)
            .map(|index| {
                names
                    .iter()
                    .filter(|n| Shard { index, count: 4 }.owns(n))
                    .count() as u32
            })
            .collect();
        assert!(
            shards_of_4.iter().all(|&n| n > 25),
            "uneven shards: {shards_of_4:?}"
        );
    }
}
