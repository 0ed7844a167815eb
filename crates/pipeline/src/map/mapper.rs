//! The mapping stage: de-duplicates records on their key and maps them to Arrow batches.
//!
//! Runs on a blocking thread so mapping CPU never stalls the async runtime. Pages are gathered
//! into batches of a few thousand records before mapping, so the writers get reasonably sized
//! batches however small the vendor's pages are.

use arrow::record_batch::RecordBatch;
use custlake_schema::{
    MapContext, MapStats, MappedBatches, map_u8_contacts, map_u8_customers, map_ycm_customers,
    u8_contact_key, u8_customer_key, ycm_customer_key,
};
use tokio::sync::mpsc;

use crate::map::record_keys::{RecordKeySet, is_numbered_code};
use crate::sources::{FetchedPage, PageRecords};

/// Records gathered before a mapping call: enough for efficient Arrow batches, small enough that
/// decoded records waiting here stay a few MB.
const MAP_BATCH_RECORDS: usize = 2048;

/// Raw JSON bytes gathered before a mapping call, whatever the record count: a vendor sending
/// huge records (a 10 MB field) must not make the batch, and memory, grow by the same factor.
const MAP_BATCH_BYTES: usize = 32 << 20;

/// Most keys the de-duplication set reserves room for up front (about 90 MB at the cap).
const KEY_SET_PRESIZE_CAP: u64 = 10_000_000;

/// Where mapped batches go: one channel per dataset writer.
#[derive(Clone)]
pub struct DatasetSenders {
    /// `customers` writer, if this source produces customers.
    pub customers: Option<mpsc::Sender<RecordBatch>>,
    /// `contacts` writer, if this source produces contacts.
    pub contacts: Option<mpsc::Sender<RecordBatch>>,
    /// `rejects` writer.
    pub rejects: mpsc::Sender<RecordBatch>,
}

/// What the mapping stage counted.
#[derive(Debug, Default, Clone, Copy)]
pub struct MapSummary {
    /// Mapping counts (rows per dataset, rejects).
    pub stats: MapStats,
    /// Records dropped because their key was already seen in this run (page drift).
    pub duplicates: u64,
    /// Distinct keys seen.
    pub unique_keys: u64,
}

/// The mapping stage failed because a writer stopped (its own error is the one to report).
#[derive(Debug, thiserror::Error)]
#[error("a dataset writer stopped")]
pub struct WriterGone;

/// Consumes pages until the channel closes, mapping and forwarding batches.
pub fn run_mapper(
    ctx: MapContext,
    mut pages: mpsc::Receiver<FetchedPage>,
    out: DatasetSenders,
) -> Result<MapSummary, WriterGone> {
    let mut stage = MapperStage {
        ctx,
        out,
        seen: RecordKeySet::default(),
        presized: false,
        pending: None,
        summary: MapSummary::default(),
    };
    while let Some(page) = pages.blocking_recv() {
        if !stage.presized {
            stage.presized = true;
            // Numbered codes take a bit each; the hash set is sized once, from the announced
            // total and the share of the first page's keys that are not numbered codes, because
            // growing it doubles its memory briefly. Capped, so an absurd total reserves little.
            let expected = page.announced_records.min(KEY_SET_PRESIZE_CAP) as f64;
            stage
                .seen
                .reserve_hashed((expected * hashed_share(&page.records)) as usize);
        }
        stage.accept(page.records)?;
    }
    stage.flush()?;
    stage.summary.unique_keys = stage.seen.len() as u64;
    Ok(stage.summary)
}

struct MapperStage {
    ctx: MapContext,
    out: DatasetSenders,
    /// The keys seen: a bit per numbered code, about 9 bytes per other key.
    seen: RecordKeySet,
    /// Whether the key set was sized from the first page.
    presized: bool,
    pending: Option<PageRecords>,
    summary: MapSummary,
}

impl MapperStage {
    fn accept(&mut self, mut records: PageRecords) -> Result<(), WriterGone> {
        self.summary.duplicates += self.drop_duplicates(&mut records);
        match (&mut self.pending, records) {
            (None, records) => self.pending = Some(records),
            (Some(PageRecords::U8Customers(acc)), PageRecords::U8Customers(mut r)) => {
                acc.append(&mut r)
            }
            (Some(PageRecords::U8Contacts(acc)), PageRecords::U8Contacts(mut r)) => {
                acc.append(&mut r)
            }
            (Some(PageRecords::YcmCustomers(acc)), PageRecords::YcmCustomers(mut r)) => {
                acc.append(&mut r)
            }
            (Some(_), records) => {
                // A source only ever yields one kind; map what we have and start over.
                self.flush()?;
                self.pending = Some(records);
            }
        }
        if self
            .pending
            .as_ref()
            .is_some_and(|p| p.len() >= MAP_BATCH_RECORDS || raw_bytes(p) >= MAP_BATCH_BYTES)
        {
            self.flush()?;
        }
        Ok(())
    }

    /// Removes records whose key was already seen; records without a key are kept (the
    /// mapping rejects them whole, with their raw JSON).
    fn drop_duplicates(&mut self, records: &mut PageRecords) -> u64 {
        let seen = &mut self.seen;
        let before = records.len();
        match records {
            PageRecords::U8Customers(r) => r.retain(|rec| first_time(seen, u8_customer_key(rec))),
            PageRecords::U8Contacts(r) => r.retain(|rec| first_time(seen, u8_contact_key(rec))),
            PageRecords::YcmCustomers(r) => r.retain(|rec| first_time(seen, ycm_customer_key(rec))),
        }
        (before - records.len()) as u64
    }

    fn flush(&mut self) -> Result<(), WriterGone> {
        let Some(records) = self.pending.take() else {
            return Ok(());
        };
        let mapped = match &records {
            PageRecords::U8Customers(r) => map_u8_customers(&self.ctx, r),
            PageRecords::U8Contacts(r) => map_u8_contacts(&self.ctx, r),
            PageRecords::YcmCustomers(r) => map_ycm_customers(&self.ctx, r),
        };
        drop(records);
        self.forward(mapped)
    }

    fn forward(&mut self, mapped: MappedBatches) -> Result<(), WriterGone> {
        self.summary.stats.add(mapped.stats);
        send(self.out.customers.as_ref(), mapped.customers)?;
        send(self.out.contacts.as_ref(), mapped.contacts)?;
        send(Some(&self.out.rejects), mapped.rejects)
    }
}

fn raw_bytes(records: &PageRecords) -> usize {
    crate::sources::raw_texts(records)
        .iter()
        .map(|t| t.len())
        .sum()
}

fn first_time(seen: &mut RecordKeySet, key: Option<&str>) -> bool {
    match key {
        Some(key) => seen.insert(key),
        None => true,
    }
}

/// The share of `records`' keys that the key set hashes (not numbered codes), 0.0 to 1.0.
fn hashed_share(records: &PageRecords) -> f64 {
    let (hashed, all) = match records {
        PageRecords::U8Customers(r) => count_hashed(r.iter().map(u8_customer_key)),
        PageRecords::U8Contacts(r) => count_hashed(r.iter().map(u8_contact_key)),
        PageRecords::YcmCustomers(r) => count_hashed(r.iter().map(ycm_customer_key)),
    };
    if all == 0 {
        1.0
    } else {
        hashed as f64 / all as f64
    }
}

fn count_hashed<'a>(keys: impl Iterator<Item = Option<&'a str>>) -> (usize, usize) {
    keys.flatten().fold((0, 0), |(hashed, all), key| {
        (hashed + usize::from(!is_numbered_code(key)), all + 1)
    })
}

fn send(
    to: Option<&mpsc::Sender<RecordBatch>>,
    batch: Option<RecordBatch>,
) -> Result<(), WriterGone> {
    match (to, batch) {
        (Some(to), Some(batch)) => to.blocking_send(batch).map_err(|_| WriterGone),
        _ => Ok(()),
    }
}
