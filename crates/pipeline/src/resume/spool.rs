//! The page spool: an append-only file of every fetched page's raw records, so a resumed run can
//! rebuild its Parquet files without fetching those pages again.
//!
//! Why raw records and not Parquet: Parquet files are only valid once their footer is written,
//! and a run is killed at arbitrary moments; the vendor's exact JSON is also what the `raw`
//! column and the mapping need, so replaying it reproduces the uninterrupted run's rows exactly
//! (the mapping runs again with the current code and the run's original `extracted_at`).
//!
//! One frame per page:
//!
//! ```text
//! {"page":3,"announced_records":1200,"announced_pages":3,"records":2,"bytes":57,"xxh3":123}\n
//! [{"code":"0001",...},{"code":"0002",...}]\n
//! ```
//!
//! The header is one JSON line; the payload is the page's records as one JSON array, each
//! element byte for byte the vendor's text (records may span lines, hence the byte count).
//! The xxh3 checksum of the payload catches a torn or damaged frame. Reading never trusts a
//! length from the file without checking it against the durable prefix, so a corrupt spool
//! costs a clear error, never a huge allocation or a panic.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::sources::raw_texts;
use crate::sources::{FetchedPage, PageRecords};
use crate::write::SinkError;

/// Longest header line accepted when reading.
const MAX_HEADER_BYTES: u64 = 4096;

/// Which record type a spool holds (decided by vendor and entity).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// U8 customers.
    U8Customers,
    /// U8 customer contacts.
    U8Contacts,
    /// YCM customers.
    YcmCustomers,
}

/// Why a spool could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// A file operation failed.
    #[error(transparent)]
    Io(#[from] SinkError),
    /// The spool's durable part does not hold valid frames.
    #[error(
        "spool {} is damaged at byte {offset}: {reason}; run without --resume to fetch everything again",
        path.display()
    )]
    Corrupt {
        /// The spool file.
        path: PathBuf,
        /// Where the bad frame starts.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// The mapping stage stopped (its own error is the one to report).
    #[error("the mapping stage stopped")]
    ConsumerGone,
}

/// The header line of a frame.
#[derive(Debug, Serialize, Deserialize)]
struct FrameHeader {
    page: u64,
    announced_records: u64,
    announced_pages: u64,
    records: u64,
    bytes: u64,
    xxh3: u64,
}

/// The spool being appended to.
#[derive(Debug)]
pub struct SpoolWriter {
    path: PathBuf,
    file: File,
    len: u64,
    frame: Vec<u8>,
}

impl SpoolWriter {
    /// Opens (or creates) the spool at `path`, keeping its first `durable` bytes and dropping
    /// whatever a crash left after them.
    pub fn open(path: &Path, durable: u64) -> Result<Self, SpoolError> {
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| SinkError::io("open spool", path, e))?;
        file.set_len(durable)
            .map_err(|e| SinkError::io("truncate spool", path, e))?;
        file.seek(SeekFrom::Start(durable))
            .map_err(|e| SinkError::io("seek in spool", path, e))?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
            len: durable,
            frame: Vec::new(),
        })
    }

    /// Bytes written so far (durable only after [`sync`](Self::sync)).
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends one page as a frame.
    pub fn append(&mut self, page: &FetchedPage) -> Result<(), SpoolError> {
        let texts = raw_texts(&page.records);
        let mut payload = Vec::with_capacity(texts.iter().map(|t| t.len() + 1).sum::<usize>() + 2);
        payload.push(b'[');
        for (i, text) in texts.iter().enumerate() {
            if i > 0 {
                payload.push(b',');
            }
            payload.extend_from_slice(text.as_bytes());
        }
        payload.push(b']');
        let header = FrameHeader {
            page: page.page,
            announced_records: page.announced_records,
            announced_pages: page.announced_pages,
            records: texts.len() as u64,
            bytes: payload.len() as u64,
            xxh3: xxh3_64(&payload),
        };
        self.frame.clear();
        serde_json::to_writer(&mut self.frame, &header).map_err(|e| SpoolError::Corrupt {
            path: self.path.clone(),
            offset: self.len,
            reason: format!("cannot encode a frame header: {e}"),
        })?;
        self.frame.push(b'\n');
        self.file
            .write_all(&self.frame)
            .and_then(|()| self.file.write_all(&payload))
            .and_then(|()| self.file.write_all(b"\n"))
            .map_err(|e| SinkError::io("append to spool", &self.path, e))?;
        self.len += (self.frame.len() + payload.len() + 1) as u64;
        Ok(())
    }

    /// Makes everything appended so far durable; returns the durable length.
    pub fn sync(&mut self) -> Result<u64, SpoolError> {
        self.file
            .sync_data()
            .map_err(|e| SinkError::io("sync spool", &self.path, e))?;
        Ok(self.len)
    }
}

/// Reads the frames in the first `durable` bytes of the spool at `path`, handing each page to
/// `each` as it is decoded (one page in memory at a time).
pub fn read_frames(
    path: &Path,
    durable: u64,
    kind: RecordKind,
    mut each: impl FnMut(FetchedPage) -> Result<(), SpoolError>,
) -> Result<(), SpoolError> {
    let file = File::open(path).map_err(|e| SinkError::io("open spool", path, e))?;
    read_frames_from(file, path, durable, kind, &mut each)
}

/// [`read_frames`] over any reader (the property tests feed arbitrary bytes).
pub fn read_frames_from(
    reader: impl Read,
    path: &Path,
    durable: u64,
    kind: RecordKind,
    each: &mut dyn FnMut(FetchedPage) -> Result<(), SpoolError>,
) -> Result<(), SpoolError> {
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let mut offset = 0u64;
    let corrupt = |offset: u64, reason: String| SpoolError::Corrupt {
        path: path.to_path_buf(),
        offset,
        reason,
    };
    let read_error = |e: io::Error| SpoolError::Io(SinkError::io("read spool", path, e));
    while offset < durable {
        let mut line = Vec::new();
        (&mut reader)
            .take(MAX_HEADER_BYTES.min(durable - offset))
            .read_until(b'\n', &mut line)
            .map_err(read_error)?;
        if line.last() != Some(&b'\n') {
            return Err(corrupt(offset, "a frame header is cut off".into()));
        }
        let header: FrameHeader = serde_json::from_slice(&line)
            .map_err(|e| corrupt(offset, format!("a frame header is not valid: {e}")))?;
        let payload_start = offset + line.len() as u64;
        let end = payload_start
            .checked_add(header.bytes)
            .and_then(|e| e.checked_add(1))
            .filter(|end| *end <= durable)
            .ok_or_else(|| {
                corrupt(
                    offset,
                    format!(
                        "a frame of {} bytes runs past the durable end",
                        header.bytes
                    ),
                )
            })?;
        let mut payload = Vec::new();
        (&mut reader)
            .take(header.bytes + 1)
            .read_to_end(&mut payload)
            .map_err(read_error)?;
        if payload.pop() != Some(b'\n') || payload.len() as u64 != header.bytes {
            return Err(corrupt(offset, "a frame is cut off".into()));
        }
        if xxh3_64(&payload) != header.xxh3 {
            return Err(corrupt(offset, "a frame's checksum does not match".into()));
        }
        let records = decode(kind, &payload)
            .map_err(|e| corrupt(offset, format!("a frame's records do not decode: {e}")))?;
        if records.len() as u64 != header.records {
            return Err(corrupt(
                offset,
                format!(
                    "a frame holds {} records, its header says {}",
                    records.len(),
                    header.records
                ),
            ));
        }
        each(FetchedPage {
            page: header.page,
            announced_records: header.announced_records,
            announced_pages: header.announced_pages,
            records,
        })?;
        offset = end;
    }
    Ok(())
}

/// Decodes a payload exactly as the vendor clients decode a page's record list, so each
/// record keeps its raw text and a record that does not decode still becomes a reject.
fn decode(kind: RecordKind, payload: &[u8]) -> Result<PageRecords, serde_json::Error> {
    Ok(match kind {
        RecordKind::U8Customers => PageRecords::U8Customers(serde_json::from_slice(payload)?),
        RecordKind::U8Contacts => PageRecords::U8Contacts(serde_json::from_slice(payload)?),
        RecordKind::YcmCustomers => PageRecords::YcmCustomers(serde_json::from_slice(payload)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use yonyou_u8::U8CustomerRecord;

    fn page(n: u64, raws: &[&str]) -> FetchedPage {
        FetchedPage {
            page: n,
            announced_records: 7,
            announced_pages: 3,
            records: PageRecords::U8Customers(
                raws.iter()
                    .map(|r| U8CustomerRecord::from_json(r).expect("valid JSON"))
                    .collect(),
            ),
        }
    }

    fn read_all(path: &Path, durable: u64) -> Result<Vec<(u64, Vec<String>)>, SpoolError> {
        let mut out = Vec::new();
        read_frames(path, durable, RecordKind::U8Customers, |p| {
            out.push((
                p.page,
                raw_texts(&p.records)
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            ));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn frames_round_trip_byte_for_byte_and_a_torn_tail_is_dropped()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("c.spool");
        let mut spool = SpoolWriter::open(&path, 0)?;
        let odd = "{ \"code\" : \"0001\",\n  \"name\": \"多行\" }";
        spool.append(&page(1, &[odd, r#"{"code":"0002"}"#]))?;
        spool.append(&page(3, &[]))?;
        let durable = spool.sync()?;
        spool.append(&page(2, &[r#"{"code":"0003"}"#]))?;
        drop(spool);

        let frames = read_all(&path, durable)?;
        assert_eq!(frames.len(), 2);
        assert_eq!(
            frames[0].1,
            vec![odd.to_owned(), r#"{"code":"0002"}"#.to_owned()]
        );
        assert_eq!((frames[1].0, frames[1].1.len()), (3, 0));

        // Reopening keeps the durable prefix only; appending continues after it.
        let mut spool = SpoolWriter::open(&path, durable)?;
        spool.append(&page(2, &[r#"{"code":"0003"}"#]))?;
        let durable = spool.sync()?;
        let frames = read_all(&path, durable)?;
        assert_eq!(frames.iter().map(|f| f.0).collect::<Vec<_>>(), [1, 3, 2]);
        Ok(())
    }

    #[test]
    fn damage_is_reported_with_its_offset() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("c.spool");
        let mut spool = SpoolWriter::open(&path, 0)?;
        spool.append(&page(1, &[r#"{"code":"0001"}"#]))?;
        let durable = spool.sync()?;
        drop(spool);
        let mut bytes = std::fs::read(&path)?;
        let last = bytes.len() - 3;
        bytes[last] ^= 0x20;
        std::fs::write(&path, &bytes)?;
        let error = read_all(&path, durable).expect_err("damaged");
        assert!(error.to_string().contains("at byte 0"), "{error}");
        assert!(read_all(&path, durable + 10).is_err(), "past the end");
        Ok(())
    }
}
