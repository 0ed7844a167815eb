//! `[output.parquet]` settings: how big files and row groups get and how hard they are compressed.
//! The defaults follow the output layout in the README (zstd, ~128k-row row groups) and keep the
//! writer's memory flat even when the `raw` JSON column is wide.

use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use serde::Deserialize;

/// An `[output.parquet]` setting out of range; found before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Parquet output setting `{setting}` in [output.parquet]: {reason}")]
pub struct InvalidParquetSetting {
    /// The setting's name as written in the config file.
    pub setting: &'static str,
    /// What is wrong and which values are accepted.
    pub reason: String,
}

/// How the Parquet snapshot sink sizes and encodes its files.
///
/// Every setting is optional; the defaults are what most readers (DuckDB, Spark, Trino, Polars,
/// pyarrow) handle best.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ParquetSinkConfig {
    /// Rows per row group (default 131072). Row groups are the unit readers skip with statistics
    /// and read in parallel; about 128k rows balances both.
    pub row_group_rows: usize,

    /// Rows per file before the sink starts the next `part-<run_id>-NNNNN.parquet`
    /// (default 1000000).
    pub max_rows_per_file: u64,

    /// Approximate bytes per file before the sink starts the next one (default 536870912,
    /// 512 MiB). Checked after each batch, so a file can exceed it by about one batch.
    pub max_bytes_per_file: u64,

    /// Zstandard compression level, 1 (fastest) to 22 (smallest) (default 1). Compression is
    /// the largest CPU cost of an export; level 1 keeps most of the size benefit.
    pub zstd_level: i32,

    /// Encoded size at which a row group is closed early, before reaching `row_group_rows`
    /// (default 8388608, 8 MiB). Bounds the writer's memory when rows are wide, for example
    /// with long `raw` JSON records.
    pub max_row_group_bytes: usize,

    /// Columns written without dictionary encoding or statistics (default `["raw"]`): values
    /// that are unique per row gain nothing from either and cost CPU to hash and compare.
    pub plain_columns: Vec<String>,

    /// Dictionary size, in bytes, at which a column chunk stops dictionary encoding and
    /// writes its remaining values plain (default 65536, 64 KiB). Columns with few distinct
    /// values (codes, flags, cities) stay well below it and keep their dictionary; columns
    /// that are unique per row (ids, names, phones) cross it after a few thousand values, so
    /// the writer stops hashing and storing every value twice. A larger limit spends CPU and
    /// memory on dictionaries that do not shrink the file.
    pub max_dictionary_bytes: usize,
}

impl Default for ParquetSinkConfig {
    fn default() -> Self {
        Self {
            row_group_rows: 131_072,
            max_rows_per_file: 1_000_000,
            max_bytes_per_file: 512 * 1024 * 1024,
            zstd_level: 1,
            max_row_group_bytes: 8 * 1024 * 1024,
            plain_columns: vec!["raw".to_owned()],
            max_dictionary_bytes: 64 * 1024,
        }
    }
}

impl ParquetSinkConfig {
    /// Checks every setting, so a bad value fails the run before any file is written.
    pub fn validate(&self) -> Result<(), InvalidParquetSetting> {
        let positive = |setting: &'static str, value: u64| {
            if value == 0 {
                Err(InvalidParquetSetting {
                    setting,
                    reason: "must be greater than 0".to_owned(),
                })
            } else {
                Ok(())
            }
        };
        positive("row_group_rows", self.row_group_rows as u64)?;
        positive("max_rows_per_file", self.max_rows_per_file)?;
        positive("max_bytes_per_file", self.max_bytes_per_file)?;
        positive("max_row_group_bytes", self.max_row_group_bytes as u64)?;
        positive("max_dictionary_bytes", self.max_dictionary_bytes as u64)?;
        self.zstd()?;
        Ok(())
    }

    fn zstd(&self) -> Result<ZstdLevel, InvalidParquetSetting> {
        ZstdLevel::try_new(self.zstd_level).map_err(|_| InvalidParquetSetting {
            setting: "zstd_level",
            reason: format!("{} is outside 1..=22", self.zstd_level),
        })
    }

    /// The Parquet writer properties for one file: zstd, dictionary encoding, page-level
    /// statistics, bounded row groups and the caller's key-value metadata.
    pub(crate) fn writer_properties(
        &self,
        metadata: &[(String, String)],
    ) -> Result<WriterProperties, InvalidParquetSetting> {
        self.validate()?;
        let key_values = metadata
            .iter()
            .map(|(key, value)| KeyValue::new(key.clone(), value.clone()))
            .collect();
        let mut builder = WriterProperties::builder()
            .set_compression(Compression::ZSTD(self.zstd()?))
            .set_dictionary_enabled(true)
            .set_dictionary_page_size_limit(self.max_dictionary_bytes)
            .set_statistics_enabled(EnabledStatistics::Page)
            .set_max_row_group_row_count(Some(self.row_group_rows))
            .set_max_row_group_bytes(Some(self.max_row_group_bytes))
            .set_key_value_metadata(Some(key_values));
        for column in &self.plain_columns {
            let path = ColumnPath::from(column.as_str());
            builder = builder
                .set_column_dictionary_enabled(path.clone(), false)
                .set_column_statistics_enabled(path, EnabledStatistics::None);
        }
        Ok(builder.build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documented_values() {
        let config: ParquetSinkConfig = serde_json::from_str("{}").expect("empty config parses");
        assert_eq!(config, ParquetSinkConfig::default());
        assert_eq!(config.row_group_rows, 131_072);
        assert_eq!(config.max_rows_per_file, 1_000_000);
        assert_eq!(config.max_bytes_per_file, 512 << 20);
        assert_eq!(config.zstd_level, 1);
        assert_eq!(config.max_row_group_bytes, 8 << 20);
        assert_eq!(config.max_dictionary_bytes, 64 << 10);
        config.validate().expect("defaults are valid");
    }

    #[test]
    fn zero_and_out_of_range_values_are_rejected_with_the_setting_name() {
        let config = ParquetSinkConfig {
            row_group_rows: 0,
            ..ParquetSinkConfig::default()
        };
        let message = config.validate().expect_err("0 rows").to_string();
        assert!(message.contains("`row_group_rows`"), "{message}");

        let config = ParquetSinkConfig {
            zstd_level: 23,
            ..ParquetSinkConfig::default()
        };
        let message = config.validate().expect_err("level 23").to_string();
        assert!(
            message.contains("`zstd_level`") && message.contains("1..=22"),
            "{message}"
        );
    }

    #[test]
    fn unknown_settings_are_rejected() {
        let result = serde_json::from_str::<ParquetSinkConfig>(r#"{"row_group_size": 10}"#);
        assert!(result.is_err());
    }
}
