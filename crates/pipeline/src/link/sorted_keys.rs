//! Sorting match keys within a memory budget: entries are held until the budget is reached,
//! then sorted and written to a run file on disk; at the end the runs (and what is still in
//! memory) are merged back in key order, one group of equal keys at a time.
//!
//! Run files are a plain sequence of records (`u32` length-prefixed key, `u32` side, `u32`
//! length-prefixed customer id, `u8` column), read back through buffered readers, so the merge
//! holds one entry per run.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::link::keys::{KeyColumn, KeyEntry};

/// Sorts [`KeyEntry`]s, spilling sorted runs into `dir` above `budget_bytes`.
pub(crate) struct KeySorter {
    dir: PathBuf,
    budget_bytes: usize,
    held: Vec<KeyEntry>,
    held_bytes: usize,
    runs: Vec<PathBuf>,
}

impl KeySorter {
    /// A sorter whose run files go into `dir` (created on the first spill; removed by the
    /// caller when the merge is done).
    pub(crate) fn new(dir: PathBuf, budget_bytes: usize) -> Self {
        Self {
            dir,
            budget_bytes: budget_bytes.max(1),
            held: Vec::new(),
            held_bytes: 0,
            runs: Vec::new(),
        }
    }

    /// Run files written so far.
    pub(crate) fn spilled_runs(&self) -> usize {
        self.runs.len()
    }

    /// Adds entries; spills a sorted run when the held entries reach the budget.
    pub(crate) fn extend(&mut self, entries: Vec<KeyEntry>) -> io::Result<()> {
        for entry in entries {
            self.held_bytes += entry.footprint();
            self.held.push(entry);
        }
        if self.held_bytes >= self.budget_bytes {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        self.held.sort_unstable();
        let path = self.dir.join(format!("run-{:05}.keys", self.runs.len()));
        let mut out = BufWriter::with_capacity(1 << 16, File::create(&path)?);
        for entry in self.held.drain(..) {
            write_entry(&mut out, &entry)?;
        }
        out.flush()?;
        self.held_bytes = 0;
        self.runs.push(path);
        Ok(())
    }

    /// Every entry, in key order, grouped by key.
    pub(crate) fn finish(&mut self) -> io::Result<KeyGroups> {
        self.held.sort_unstable();
        let mut sources: Vec<RunSource> = Vec::with_capacity(self.runs.len() + 1);
        for path in &self.runs {
            sources.push(RunSource::File(BufReader::with_capacity(
                1 << 16,
                File::open(path)?,
            )));
        }
        sources.push(RunSource::Memory(
            std::mem::take(&mut self.held).into_iter(),
        ));
        let mut heap = BinaryHeap::new();
        for (index, source) in sources.iter_mut().enumerate() {
            if let Some(entry) = source.next_entry()? {
                heap.push(Reverse((entry, index)));
            }
        }
        Ok(KeyGroups { sources, heap })
    }
}

/// One sorted run being merged.
enum RunSource {
    File(BufReader<File>),
    Memory(std::vec::IntoIter<KeyEntry>),
}

impl RunSource {
    fn next_entry(&mut self) -> io::Result<Option<KeyEntry>> {
        match self {
            RunSource::File(reader) => read_entry(reader),
            RunSource::Memory(entries) => Ok(entries.next()),
        }
    }
}

/// The merged runs: [`KeyGroups::next_group`] yields the entries of one key at a time.
pub(crate) struct KeyGroups {
    sources: Vec<RunSource>,
    heap: BinaryHeap<Reverse<(KeyEntry, usize)>>,
}

impl KeyGroups {
    fn pop(&mut self) -> io::Result<Option<KeyEntry>> {
        let Some(Reverse((entry, index))) = self.heap.pop() else {
            return Ok(None);
        };
        if let Some(source) = self.sources.get_mut(index)
            && let Some(next) = source.next_entry()?
        {
            self.heap.push(Reverse((next, index)));
        }
        Ok(Some(entry))
    }

    /// The next key's entries (sorted by side and customer), or `None` at the end.
    pub(crate) fn next_group(&mut self) -> io::Result<Option<Vec<KeyEntry>>> {
        let Some(first) = self.pop()? else {
            return Ok(None);
        };
        let mut group = vec![first];
        while let Some(Reverse((next, _))) = self.heap.peek() {
            if next.key != group[0].key {
                break;
            }
            match self.pop()? {
                Some(entry) => group.push(entry),
                None => break,
            }
        }
        Ok(Some(group))
    }
}

fn write_text(out: &mut impl Write, text: &str) -> io::Result<()> {
    let len = u32::try_from(text.len()).map_err(|_| io::Error::other("key text too long"))?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(text.as_bytes())
}

fn write_entry(out: &mut impl Write, entry: &KeyEntry) -> io::Result<()> {
    write_text(out, &entry.key)?;
    out.write_all(&entry.side.to_le_bytes())?;
    write_text(out, &entry.customer_id)?;
    out.write_all(&[entry.column as u8])
}

fn read_u32(input: &mut impl Read) -> io::Result<Option<u32>> {
    let mut bytes = [0u8; 4];
    match input.read_exact(&mut bytes) {
        Ok(()) => Ok(Some(u32::from_le_bytes(bytes))),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

fn read_text(input: &mut impl Read, len: u32) -> io::Result<Box<str>> {
    let mut bytes = vec![0u8; len as usize];
    input.read_exact(&mut bytes)?;
    String::from_utf8(bytes)
        .map(String::into_boxed_str)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a spilled key is not UTF-8"))
}

fn read_entry(input: &mut impl Read) -> io::Result<Option<KeyEntry>> {
    let Some(key_len) = read_u32(input)? else {
        return Ok(None);
    };
    let truncated = || io::Error::new(io::ErrorKind::UnexpectedEof, "a spilled run is truncated");
    let key = read_text(input, key_len)?;
    let side = read_u32(input)?.ok_or_else(truncated)?;
    let id_len = read_u32(input)?.ok_or_else(truncated)?;
    let customer_id = read_text(input, id_len)?;
    let mut column = [0u8; 1];
    input.read_exact(&mut column)?;
    let column = KeyColumn::from_byte(column[0])
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "unknown key column"))?;
    Ok(Some(KeyEntry {
        key,
        side,
        customer_id,
        column,
    }))
}

/// Removes a sorter's run folder (best effort: it lives in a temporary or staging folder).
pub(crate) fn remove_runs(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, side: u32, id: &str) -> KeyEntry {
        KeyEntry {
            key: key.into(),
            side,
            customer_id: id.into(),
            column: KeyColumn::Mobile,
        }
    }

    fn groups(sorter: KeySorter) -> Vec<Vec<(String, u32, String)>> {
        let mut sorter = sorter;
        let mut groups = sorter.finish().expect("merge");
        let mut all = Vec::new();
        while let Some(group) = groups.next_group().expect("group") {
            all.push(
                group
                    .into_iter()
                    .map(|e| (e.key.to_string(), e.side, e.customer_id.to_string()))
                    .collect(),
            );
        }
        all
    }

    #[test]
    fn spilled_and_held_runs_merge_into_key_groups() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A tiny budget: every extend spills.
        let mut sorter = KeySorter::new(dir.path().join("runs"), 1);
        let keys = ["t+3", "t+1", "e@x", "t+1", "n华信", "t+3", "t+2"];
        for (i, key) in keys.iter().enumerate() {
            sorter
                .extend(vec![entry(key, i as u32, "c0")])
                .expect("extend");
        }
        assert!(sorter.spilled_runs() >= 1);
        let mut spilled = KeySorter::new(dir.path().join("runs2"), 1 << 30);
        for (i, key) in keys.iter().enumerate() {
            spilled
                .extend(vec![entry(key, i as u32, "c0")])
                .expect("extend");
        }
        assert_eq!(spilled.spilled_runs(), 0);
        let merged = groups(sorter);
        assert_eq!(merged, groups(spilled), "spilling changes nothing");
        let sizes: Vec<(String, usize)> =
            merged.iter().map(|g| (g[0].0.clone(), g.len())).collect();
        assert_eq!(
            sizes,
            [
                ("e@x".to_owned(), 1),
                ("n华信".to_owned(), 1),
                ("t+1".to_owned(), 2),
                ("t+2".to_owned(), 1),
                ("t+3".to_owned(), 2)
            ]
        );
    }

    #[test]
    fn many_spilled_runs_keep_every_entry_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut sorter = KeySorter::new(dir.path().join("runs"), 1 << 16);
        let mut expected = 0;
        for batch in 0..20u32 {
            let entries: Vec<KeyEntry> = (0..2_000u32)
                .map(|i| {
                    entry(
                        &format!("t+86{}", (i * 7919 + batch) % 3_000),
                        batch,
                        &format!("c{i}"),
                    )
                })
                .collect();
            expected += entries.len();
            sorter.extend(entries).expect("extend");
        }
        assert!(sorter.spilled_runs() > 3);
        let merged = groups(sorter);
        assert_eq!(merged.iter().map(Vec::len).sum::<usize>(), expected);
        let keys: Vec<&String> = merged.iter().map(|g| &g[0].0).collect();
        assert!(
            keys.windows(2).all(|w| w[0] < w[1]),
            "groups in key order, each key once"
        );
    }
}
