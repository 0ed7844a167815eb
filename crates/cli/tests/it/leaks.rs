//! The secret scan shared by the CLI process tests: the configured secrets and every token the
//! simulator issued must not appear, literally, in anything a run printed or wrote — stdout,
//! stderr and every file under the given folders (recursively: data, manifests, catalog,
//! checkpoints, spools, logs). Parquet files are compressed, so their string values are also
//! decoded and scanned, not only their bytes.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// What must never be printed or written: secrets and tokens (the token itself, and its first
/// 16 characters so a truncated token in a log line counts too).
pub struct Needles(Vec<(String, &'static str)>);

impl Needles {
    /// The configured `secrets` and the `tokens` the simulator issued; panics when no token was
    /// issued (a scan for nothing proves nothing).
    pub fn new(secrets: &[&str], tokens: Vec<String>) -> Self {
        assert!(
            !tokens.is_empty(),
            "the simulator issued no token: nothing to scan for"
        );
        let mut needles: Vec<(String, &'static str)> = secrets
            .iter()
            .map(|s| ((*s).to_owned(), "configured secret"))
            .collect();
        for token in tokens {
            assert!(
                token.len() >= 32,
                "token {token:?} is shorter than expected"
            );
            needles.push((token[..16].to_owned(), "issued token (first 16 characters)"));
            needles.push((token, "issued token"));
        }
        Self(needles)
    }

    /// Panics naming the needle and where it was found, if any appears in `text`.
    fn assert_absent(&self, text: &str, place: &str) {
        for (needle, what) in &self.0 {
            if let Some(at) = text.find(needle.as_str()) {
                let mut start = at.saturating_sub(40);
                while !text.is_char_boundary(start) {
                    start -= 1;
                }
                let mut end = (at + needle.len() + 40).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                panic!(
                    "{what} {needle:?} leaked into {place}: …{}…",
                    &text[start..end]
                );
            }
        }
    }
}

/// Scans what a run printed (`printed`: name and bytes) and every file under `dirs`.
pub fn assert_no_leaks(needles: &Needles, printed: &[(&str, &[u8])], dirs: &[&Path]) {
    for (name, bytes) in printed {
        needles.assert_absent(&String::from_utf8_lossy(bytes), name);
    }
    let mut scanned = 0;
    for dir in dirs {
        for file in files_under(dir) {
            let bytes =
                std::fs::read(&file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
            let place = file.display().to_string();
            needles.assert_absent(&String::from_utf8_lossy(&bytes), &place);
            if file.extension().is_some_and(|e| e == "parquet") {
                for value in parquet_strings(&file) {
                    needles.assert_absent(&value, &format!("a value in {place}"));
                }
            }
            scanned += 1;
        }
    }
    assert!(
        dirs.is_empty() || scanned > 0,
        "no file under {dirs:?} to scan"
    );
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Every string value (strings, dictionary values, map keys and values) in a Parquet file. A
/// file still being written by a killed run has no footer yet: its bytes were scanned, which is
/// all there is.
fn parquet_strings(file: &Path) -> Vec<String> {
    let Ok(open) = File::open(file) else {
        return Vec::new();
    };
    let Ok(builder) = ParquetRecordBatchReaderBuilder::try_new(open) else {
        return Vec::new();
    };
    let Ok(reader) = builder.build() else {
        return Vec::new();
    };
    let mut values = Vec::new();
    for batch in reader.flatten() {
        for column in batch.columns() {
            strings_of(column, &mut values);
        }
    }
    values
}

fn strings_of(array: &ArrayRef, out: &mut Vec<String>) {
    match array.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let strings = arrow::compute::cast(array, &DataType::Utf8).expect("cast to utf8");
            let strings = strings.as_string::<i32>();
            out.extend(strings.iter().flatten().map(str::to_owned));
        }
        DataType::Dictionary(_, _) => {
            let values = arrow::compute::cast(array, &DataType::Utf8);
            if let Ok(values) = values {
                strings_of(&values, out);
            }
        }
        DataType::Map(_, _) => {
            let entries = array.as_map().entries();
            for column in entries.columns() {
                strings_of(column, out);
            }
        }
        DataType::Struct(_) => {
            for column in array.as_struct().columns() {
                strings_of(column, out);
            }
        }
        DataType::List(_) => strings_of(array.as_list::<i32>().values(), out),
        _ => {}
    }
}
