//! An output knows what it is: `<out>/_custlake.json` records its format when it is created,
//! so a run of the other format, or a command pointed at a folder that is no output, is refused
//! before anything is written. Outputs written before the record existed are recognised by
//! what they hold (`_current.json`: Parquet; a `_delta_log/` table: Delta) and get the record.

use object_store::path::Path as ObjectPath;
use serde::{Deserialize, Serialize};

use crate::layout::{CATALOG_FILE, OUTPUT_FILE};
use crate::model::OutputFormat;
use crate::write::SinkError;
use crate::write::durable::write_file_atomically;
use crate::write::location::OutputLocation;
use crate::write::object_store::commit::{get_object, put_object};

/// The datasets whose tables make a folder a Delta output.
const TABLE_NAMES: [&str; 4] = ["customers", "contacts", "rejects", "customer_links"];

/// The contents of `_custlake.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct OutputRecord {
    /// `parquet` or `delta`.
    format: String,
    /// The custlake version that created the output.
    created_by: String,
}

/// What the output at `location` is: its recorded format, else what it holds, else `None`
/// (nothing custlake wrote is there).
pub(crate) async fn detect_format(
    location: &OutputLocation,
) -> Result<Option<OutputFormat>, SinkError> {
    if let Some(bytes) = read(location, OUTPUT_FILE).await? {
        let record: OutputRecord =
            serde_json::from_slice(&bytes).map_err(|error| SinkError::Catalog {
                location: location.display_path(OUTPUT_FILE),
                detail: format!("not a custlake output record: {error}"),
            })?;
        return match record.format.as_str() {
            "parquet" => Ok(Some(OutputFormat::Parquet)),
            "delta" => Ok(Some(OutputFormat::Delta)),
            other => Err(SinkError::Catalog {
                location: location.display_path(OUTPUT_FILE),
                detail: format!("unknown output format {other:?} (written by a newer custlake?)"),
            }),
        };
    }
    if read(location, CATALOG_FILE).await?.is_some() {
        return Ok(Some(OutputFormat::Parquet));
    }
    for table in TABLE_NAMES {
        if has_delta_log(location, table).await? {
            return Ok(Some(OutputFormat::Delta));
        }
    }
    Ok(None)
}

/// Records `format` as what the output at `location` is (once; an existing record stays).
pub(crate) async fn record_format(
    location: &OutputLocation,
    format: OutputFormat,
) -> Result<(), SinkError> {
    if read(location, OUTPUT_FILE).await?.is_some() {
        return Ok(());
    }
    let record = OutputRecord {
        format: format.as_str().to_owned(),
        created_by: format!("custlake {}", env!("CARGO_PKG_VERSION")),
    };
    let mut json = serde_json::to_vec_pretty(&record).map_err(|error| SinkError::Catalog {
        location: location.display_path(OUTPUT_FILE),
        detail: error.to_string(),
    })?;
    json.push(b'\n');
    match location {
        OutputLocation::Local(root) => write_file_atomically(&root.join(OUTPUT_FILE), &json),
        OutputLocation::ObjectStore(store) => put_object(store, OUTPUT_FILE, json).await,
    }
}

async fn read(location: &OutputLocation, relative: &str) -> Result<Option<Vec<u8>>, SinkError> {
    match location {
        OutputLocation::Local(root) => {
            let path = root.join(relative);
            match std::fs::read(&path) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(error) if error.kind() == std::io::ErrorKind::NotADirectory => Ok(None),
                Err(error) => Err(SinkError::io("read", path, error)),
            }
        }
        OutputLocation::ObjectStore(store) => {
            Ok(get_object(store, relative).await?.map(|b| b.to_vec()))
        }
    }
}

async fn has_delta_log(location: &OutputLocation, table: &str) -> Result<bool, SinkError> {
    let log = format!("{table}/_delta_log");
    match location {
        OutputLocation::Local(root) => Ok(root.join(&log).is_dir()),
        OutputLocation::ObjectStore(store) => {
            let prefix: ObjectPath = store.key(&log);
            let listed = store
                .store
                .list_with_delimiter(Some(&prefix))
                .await
                .map_err(|error| SinkError::ObjectStore {
                    action: "list",
                    location: store.display(&log),
                    error,
                })?;
            Ok(!listed.objects.is_empty())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_new_output_records_its_format_and_an_old_one_is_recognised()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let location = OutputLocation::Local(dir.path().to_path_buf());
        assert_eq!(detect_format(&location).await?, None);
        record_format(&location, OutputFormat::Delta).await?;
        assert_eq!(detect_format(&location).await?, Some(OutputFormat::Delta));
        record_format(&location, OutputFormat::Parquet).await?;
        assert_eq!(
            detect_format(&location).await?,
            Some(OutputFormat::Delta),
            "the first record stays"
        );

        let old = tempfile::tempdir()?;
        let location = OutputLocation::Local(old.path().to_path_buf());
        std::fs::write(old.path().join(CATALOG_FILE), b"{}")?;
        assert_eq!(detect_format(&location).await?, Some(OutputFormat::Parquet));
        let old_delta = tempfile::tempdir()?;
        std::fs::create_dir_all(old_delta.path().join("contacts/_delta_log"))?;
        let location = OutputLocation::Local(old_delta.path().to_path_buf());
        assert_eq!(detect_format(&location).await?, Some(OutputFormat::Delta));
        Ok(())
    }
}
