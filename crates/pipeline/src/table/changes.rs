//! What a commit changes in a partition: which keys it inserts, updates and (a full run that
//! listed everything) deletes, found by comparing each key's `row_hash` with the state the
//! commit replaces — and, with history on, the rows of those changes for `<dataset>_history`.
//!
//! Both sides are read as (key, row hash) pairs only: two columns of the current files and of
//! the run's new files (a file older than schema version 4 is read whole once, its hashes
//! derived). The pairs are sorted and merged, so memory holds 16 bytes per row of the partition
//! and an entry per changed key, never the rows. The history rows are then copied from the new
//! files (inserts and updates, the row as it became) and, for deletions, from the current files
//! (the last row known), each with `change`, `changed_at` and `previous_row_hash`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, AsArray, BooleanArray, Int64Array, StringArray, TimestampMicrosecondArray,
};
use arrow::datatypes::Int64Type;
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};
use custlake_schema::{Dataset, ROW_HASH_COLUMN, dataset_batch_from_file, has_row_hash};
use parquet::arrow::arrow_reader::RowSelection;
use tokio::sync::mpsc;
use xxhash_rust::xxh3::xxh3_64;

use crate::commit::catalog::FileRecord;
use crate::commit::manifest::PartitionChanges;
use crate::layout::PartitionTarget;
use crate::table::merge::{key_column, read_file, read_file_rows, text_column};
use crate::write::SinkError;
use crate::write::location::OutputLocation;
use crate::write::partition::{PartitionWriter, StagedPartition};
use crate::write::writers::{close_writer, spawn_writer};

/// What happened to one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Insert,
    Update,
    Delete,
}

impl Change {
    fn as_str(self) -> &'static str {
        match self {
            Change::Insert => "insert",
            Change::Update => "update",
            Change::Delete => "delete",
        }
    }
}

/// A partition's changes: the counts and, per changed key (by its hash), what happened and the
/// row hash before.
pub(crate) struct PartitionDiff {
    /// The counts.
    pub(crate) counts: PartitionChanges,
    /// What its history records.
    recorded: Recorded,
}

/// The rows a partition's history gets from one commit.
enum Recorded {
    /// The keys that changed, by hash: what happened and the row hash before.
    Changes(HashMap<u64, (Change, Option<i64>)>),
    /// Every row of the partition after the commit, as an insert: the partition had no history
    /// yet (a new partition, or history just turned on). With `kept`, an upsert's: the new rows
    /// and the current rows of the keys not fetched again (those not in the set).
    Everything { kept: Option<HashSet<u64>> },
}

/// One side of the comparison: a partition's files, where they are read from.
#[derive(Clone, Copy)]
pub(crate) struct RowsAt<'a> {
    /// The output (or its staging) the paths are relative to.
    pub(crate) location: &'a OutputLocation,
    /// The files, paths relative to `location`.
    pub(crate) files: &'a [FileRecord],
}

/// Whether a partition's history is kept, and whether it exists yet.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum HistoryState {
    /// History is off.
    Off,
    /// History is on and the partition has none yet: it starts with every row.
    Absent,
    /// History is on and the partition has one: it gets the changes.
    Kept,
}

impl HistoryState {
    /// The state of a partition's history: `on` (`[output] history`), `absent` (the partition
    /// has none yet).
    pub(crate) fn of(on: bool, absent: bool) -> Self {
        match (on, absent) {
            (false, _) => HistoryState::Off,
            (true, true) => HistoryState::Absent,
            (true, false) => HistoryState::Kept,
        }
    }
}

/// The change log of `target`'s dataset and its partition of it (`customers` of a source →
/// `customers_history` of that source); `None` for a dataset without one.
pub(crate) fn history_of(target: &PartitionTarget) -> Option<(Dataset, PartitionTarget)> {
    let history = Dataset::from_name(&target.dataset)?.history()?;
    let partition = PartitionTarget::new(history.as_str(), &target.source, &target.tenant);
    Some((history, partition))
}

/// How a commit's changes are found.
#[derive(Clone, Copy)]
pub(crate) struct ChangeRules {
    /// The new rows are the partition's whole content (a full run).
    pub(crate) replaces: bool,
    /// Keys the new rows lack are deletions (the listing was complete).
    pub(crate) count_deletes: bool,
    /// The new rows' content hash equals the current one: nothing to compare.
    pub(crate) same_content: bool,
    /// The partition's history.
    pub(crate) history: HistoryState,
}

/// What committing `new` over `current` changes in `target`, and what its history records
/// (`None` for none); `None` for a dataset without row hashes. Both formats call this with the
/// files they replace.
pub(crate) async fn partition_changes(
    target: &PartitionTarget,
    current: RowsAt<'_>,
    new: RowsAt<'_>,
    rules: ChangeRules,
) -> Result<Option<(PartitionChanges, Option<PartitionDiff>)>, SinkError> {
    let diff = if rules.same_content {
        None
    } else {
        diff_partition(target, current, new, rules.replaces, rules.count_deletes).await?
    };
    let counts = match &diff {
        Some(diff) => Some(diff.counts.clone()),
        None => no_changes(target, rules.count_deletes),
    };
    let Some(counts) = counts else {
        return Ok(None);
    };
    let recorded = match rules.history {
        HistoryState::Off => None,
        HistoryState::Absent => Some(baseline(target, new, rules.replaces, counts.clone()).await?),
        HistoryState::Kept => diff.filter(|d| !d.records_nothing()),
    };
    Ok(Some((counts, recorded)))
}

/// What a partition whose history is new records: every row it holds after the commit, as an
/// insert, with `counts` (the commit's real changes) for the manifest. `replaces`: the new rows
/// are the whole partition; otherwise (an upsert) the current rows of keys not fetched again
/// are recorded too.
pub(crate) async fn baseline(
    target: &PartitionTarget,
    new: RowsAt<'_>,
    replaces: bool,
    counts: PartitionChanges,
) -> Result<PartitionDiff, SinkError> {
    let kept = if replaces {
        None
    } else {
        let dataset = Dataset::from_name(&target.dataset).unwrap_or(Dataset::Customers);
        let fetched = fingerprints(target, dataset, &new).await?;
        Some(fetched.into_iter().map(|(key, _)| key).collect())
    };
    Ok(PartitionDiff {
        counts,
        recorded: Recorded::Everything { kept },
    })
}

impl PartitionDiff {
    /// Whether the history gets no row from this commit.
    pub(crate) fn records_nothing(&self) -> bool {
        match &self.recorded {
            Recorded::Changes(changes) => changes.is_empty(),
            Recorded::Everything { .. } => false,
        }
    }
}

/// Milliseconds since `started`, for [`PartitionChanges::elapsed_ms`].
pub(crate) fn elapsed_ms(started: std::time::Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The counts of a partition whose content did not change (`deletes`: deletions were looked
/// for); `None` for a dataset without row hashes.
pub(crate) fn no_changes(target: &PartitionTarget, deletes: bool) -> Option<PartitionChanges> {
    let dataset = Dataset::from_name(&target.dataset)?;
    has_row_hash(dataset).then(|| PartitionChanges {
        dataset: target.dataset.clone(),
        source: target.source.clone(),
        tenant: target.tenant.clone(),
        inserted: 0,
        updated: 0,
        deleted: deletes.then_some(0),
        elapsed_ms: 0,
    })
}

/// Compares the run's new rows of `target` with the current ones. `replaces`: the new rows are
/// the partition's whole new content (a full run), so keys they lack are deletions — counted
/// only when `count_deletes` (the listing was complete). `None` for a dataset without row
/// hashes.
pub(crate) async fn diff_partition(
    target: &PartitionTarget,
    current: RowsAt<'_>,
    new: RowsAt<'_>,
    replaces: bool,
    count_deletes: bool,
) -> Result<Option<PartitionDiff>, SinkError> {
    let Some(dataset) = Dataset::from_name(&target.dataset).filter(|d| has_row_hash(*d)) else {
        return Ok(None);
    };
    let counts = PartitionChanges {
        dataset: target.dataset.clone(),
        source: target.source.clone(),
        tenant: target.tenant.clone(),
        ..PartitionChanges::default()
    };
    if current.files.is_empty() {
        // A new partition: its rows (one per key) are all inserts, nothing to compare.
        return Ok(Some(PartitionDiff {
            counts: PartitionChanges {
                inserted: new.files.iter().map(|f| f.rows).sum(),
                deleted: (replaces && count_deletes).then_some(0),
                ..counts
            },
            recorded: Recorded::Everything { kept: None },
        }));
    }
    let before = fingerprints(target, dataset, &current).await?;
    let after = fingerprints(target, dataset, &new).await?;
    Ok(Some(compare(
        &before,
        &after,
        replaces && count_deletes,
        counts,
    )))
}

/// Merges the sorted (key, hash) pairs of the current rows (`before`) and the new ones
/// (`after`) into `counts` and the changed keys; keys only `before` holds are deletions when
/// `deletes` is set, and not counted otherwise.
fn compare(
    before: &[(u64, i64)],
    after: &[(u64, i64)],
    deletes: bool,
    mut counts: PartitionChanges,
) -> PartitionDiff {
    counts.deleted = deletes.then_some(0);
    let mut changes = HashMap::new();
    let (mut b, mut a) = (before.iter().peekable(), after.iter().peekable());
    loop {
        match (b.peek(), a.peek()) {
            (None, None) => break,
            (Some(&&(old_key, old_hash)), Some(&&(new_key, new_hash))) if old_key == new_key => {
                if old_hash != new_hash {
                    counts.updated += 1;
                    changes.insert(new_key, (Change::Update, Some(old_hash)));
                }
                b.next();
                a.next();
            }
            (Some(&&(old_key, old_hash)), next) if next.is_none_or(|(k, _)| old_key < *k) => {
                if let Some(deleted) = counts.deleted.as_mut() {
                    *deleted += 1;
                    changes.insert(old_key, (Change::Delete, Some(old_hash)));
                }
                b.next();
            }
            (_, Some(&&(new_key, _))) => {
                counts.inserted += 1;
                changes.insert(new_key, (Change::Insert, None));
                a.next();
            }
            (_, None) => break,
        }
    }
    PartitionDiff {
        counts,
        recorded: Recorded::Changes(changes),
    }
}

/// The (key hash, row hash) of every row of `rows`, sorted by key.
async fn fingerprints(
    target: &PartitionTarget,
    dataset: Dataset,
    rows: &RowsAt<'_>,
) -> Result<Vec<(u64, i64)>, SinkError> {
    let key = key_column(dataset.as_str()).unwrap_or("customer_id");
    let mut pairs = Vec::with_capacity(rows.files.iter().map(|f| f.rows as usize).sum());
    for file in rows.files {
        let mut batches =
            read_file(rows.location, &file.path, Some(&[key, ROW_HASH_COLUMN])).await?;
        let mut whole = false;
        while let Some(batch) = batches.recv().await {
            let batch = batch?;
            if batch.column_by_name(ROW_HASH_COLUMN).is_none() {
                whole = true;
                break;
            }
            push_pairs(&batch, key, &file.path, &mut pairs)?;
        }
        if whole {
            // Written before row hashes existed: read it whole and derive them.
            drop(batches);
            let mut batches = read_file(rows.location, &file.path, None).await?;
            while let Some(batch) = batches.recv().await {
                let batch = dataset_batch(dataset, target, &batch?, &file.path)?;
                push_pairs(&batch, key, &file.path, &mut pairs)?;
            }
        }
    }
    pairs.sort_unstable();
    Ok(pairs)
}

fn push_pairs(
    batch: &RecordBatch,
    key: &str,
    path: &str,
    pairs: &mut Vec<(u64, i64)>,
) -> Result<(), SinkError> {
    let keys = text_column(batch, key, path)?;
    let hashes = row_hash_column(batch, path)?;
    for (key, hash) in keys.iter().zip(hashes.iter()) {
        if let (Some(key), Some(hash)) = (key, hash) {
            pairs.push((key_hash(key), hash));
        }
    }
    Ok(())
}

fn row_hash_column(batch: &RecordBatch, path: &str) -> Result<Int64Array, SinkError> {
    let column = batch
        .column_by_name(ROW_HASH_COLUMN)
        .ok_or_else(|| SinkError::Catalog {
            location: path.to_owned(),
            detail: format!("column {ROW_HASH_COLUMN} is missing"),
        })?;
    match column.as_primitive_opt::<Int64Type>() {
        Some(hashes) => Ok(hashes.clone()),
        None => Err(SinkError::Catalog {
            location: path.to_owned(),
            detail: format!("column {ROW_HASH_COLUMN} is not int64"),
        }),
    }
}

fn key_hash(key: &str) -> u64 {
    xxh3_64(key.as_bytes())
}

fn dataset_batch(
    dataset: Dataset,
    target: &PartitionTarget,
    batch: &RecordBatch,
    path: &str,
) -> Result<RecordBatch, SinkError> {
    dataset_batch_from_file(dataset, batch, &target.source, &target.tenant).map_err(|error| {
        SinkError::Catalog {
            location: path.to_owned(),
            detail: error.to_string(),
        }
    })
}

/// Who records a change: the run, and when it extracted (`changed_at`).
pub(crate) struct ChangeStamp<'a> {
    /// The run id written to every history row.
    pub(crate) run_id: &'a str,
    /// The run's `extracted_at`.
    pub(crate) changed_at: DateTime<Utc>,
}

impl PartitionDiff {
    /// Writes the change log rows of this diff into `writer` (a partition of the dataset's
    /// history): inserted and updated rows from `new`, deleted ones from `current`.
    pub(crate) async fn write_history(
        &self,
        target: &PartitionTarget,
        current: RowsAt<'_>,
        new: RowsAt<'_>,
        stamp: &ChangeStamp<'_>,
        writer: PartitionWriter,
    ) -> Result<StagedPartition, SinkError> {
        let writer = spawn_writer(writer);
        let mut copied = self
            .copy_changes(
                target,
                &new,
                &[Change::Insert, Change::Update],
                stamp,
                &writer.batches,
            )
            .await;
        let current_rows = match &self.recorded {
            Recorded::Changes(_) => self.counts.deleted.unwrap_or(0) > 0,
            Recorded::Everything { kept } => kept.is_some(),
        };
        if copied.is_ok() && current_rows {
            copied = self
                .copy_changes(target, &current, &[Change::Delete], stamp, &writer.batches)
                .await;
        }
        let staged = match close_writer(writer).await {
            Ok(result) => result,
            Err(join_error) => Err(SinkError::Catalog {
                location: target.to_string(),
                detail: format!("the history writer ended abnormally: {join_error}"),
            }),
        };
        match (copied, staged) {
            (Ok(()), staged) => staged,
            (Err(error), Ok(staged)) => {
                staged.abort()?;
                Err(error)
            }
            (Err(error), Err(_)) => Err(error),
        }
    }

    /// What the history records of the row with key `key`, read from the new rows (when
    /// `kinds` holds inserts) or the current ones (when it holds deletes).
    fn pick(&self, key: Option<&str>, kinds: &[Change]) -> Option<(Change, Option<i64>)> {
        let new_rows = kinds.contains(&Change::Insert);
        match &self.recorded {
            Recorded::Changes(changes) => key
                .and_then(|k| changes.get(&key_hash(k)))
                .filter(|(change, _)| kinds.contains(change))
                .copied(),
            Recorded::Everything { .. } if new_rows => Some((Change::Insert, None)),
            Recorded::Everything {
                kept: Some(fetched),
            } => {
                let fetched_again = key.is_some_and(|k| fetched.contains(&key_hash(k)));
                (!fetched_again).then_some((Change::Insert, None))
            }
            Recorded::Everything { kept: None } => None,
        }
    }

    /// Sends the rows of `rows` whose key changed in one of `kinds` as history rows.
    async fn copy_changes(
        &self,
        target: &PartitionTarget,
        rows: &RowsAt<'_>,
        kinds: &[Change],
        stamp: &ChangeStamp<'_>,
        out: &mpsc::Sender<RecordBatch>,
    ) -> Result<(), SinkError> {
        let Some(dataset) = Dataset::from_name(&target.dataset) else {
            return Ok(());
        };
        let Some(history) = dataset.history() else {
            return Ok(());
        };
        let key = key_column(dataset.as_str()).unwrap_or("customer_id");
        for file in rows.files {
            // Which rows of the file the history takes, from its key column alone; then only
            // those rows are read whole.
            let picked = self.picks_of(rows.location, &file.path, key, kinds).await?;
            let wanted: BooleanArray = picked.iter().map(|p| Some(p.is_some())).collect();
            if wanted.true_count() == 0 {
                continue;
            }
            let selection = RowSelection::from_filters(&[wanted]);
            let mut picked = picked.into_iter().flatten();
            let mut batches =
                read_file_rows(rows.location, &file.path, None, Some(selection)).await?;
            while let Some(batch) = batches.recv().await {
                let batch = dataset_batch(dataset, target, &batch?, &file.path)?;
                let these: Vec<(Change, Option<i64>)> =
                    picked.by_ref().take(batch.num_rows()).collect();
                if these.len() != batch.num_rows() {
                    return Err(arrow_error(
                        &file.path,
                        arrow::error::ArrowError::ComputeError(
                            "the file changed while its history rows were read".into(),
                        ),
                    ));
                }
                let rows = history_rows(history, &batch, &these, stamp)
                    .map_err(|e| arrow_error(&file.path, e))?;
                if out.send(rows).await.is_err() {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// What the history takes of each row of file `path`, in file order, read from its key
    /// column (`None`: the row is not recorded).
    async fn picks_of(
        &self,
        location: &OutputLocation,
        path: &str,
        key: &str,
        kinds: &[Change],
    ) -> Result<Vec<Option<(Change, Option<i64>)>>, SinkError> {
        let mut picked = Vec::new();
        let mut batches = read_file(location, path, Some(&[key])).await?;
        while let Some(batch) = batches.recv().await {
            let keys = text_column(&batch?, key, path)?;
            picked.extend(keys.iter().map(|k| self.pick(k.as_deref(), kinds)));
        }
        Ok(picked)
    }
}

/// `kept` (dataset rows) as rows of `history`: `run_id` the recording run's, then `change`,
/// `changed_at` and `previous_row_hash`.
fn history_rows(
    history: Dataset,
    kept: &RecordBatch,
    picked: &[(Change, Option<i64>)],
    stamp: &ChangeStamp<'_>,
) -> Result<RecordBatch, arrow::error::ArrowError> {
    let rows = kept.num_rows();
    let schema = history.schema();
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let column: ArrayRef = match field.name().as_str() {
            "run_id" => Arc::new(StringArray::from(vec![stamp.run_id; rows])),
            "change" => Arc::new(StringArray::from_iter_values(
                picked.iter().map(|(change, _)| change.as_str()),
            )),
            "changed_at" => Arc::new(
                TimestampMicrosecondArray::from(vec![stamp.changed_at.timestamp_micros(); rows])
                    .with_timezone("UTC"),
            ),
            "previous_row_hash" => Arc::new(Int64Array::from_iter(
                picked.iter().map(|(_, previous)| *previous),
            )),
            name => kept
                .column_by_name(name)
                .cloned()
                .unwrap_or_else(|| arrow::array::new_null_array(field.data_type(), rows)),
        };
        columns.push(column);
    }
    RecordBatch::try_new(schema, columns)
}

fn arrow_error(path: &str, error: arrow::error::ArrowError) -> SinkError {
    SinkError::Catalog {
        location: path.to_owned(),
        detail: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_inserted_updated_unchanged_or_deleted() {
        let before = [(1, 10), (2, 20), (3, 30), (5, 50)];
        let after = [(0, 1), (2, 20), (3, 31), (4, 40)];
        let full = compare(&before, &after, true, PartitionChanges::default());
        assert_eq!(
            (
                full.counts.inserted,
                full.counts.updated,
                full.counts.deleted
            ),
            (2, 1, Some(2))
        );
        let Recorded::Changes(changes) = &full.recorded else {
            panic!("a comparison records changes");
        };
        assert_eq!(changes[&0], (Change::Insert, None));
        assert_eq!(changes[&3], (Change::Update, Some(30)));
        assert_eq!(changes[&5], (Change::Delete, Some(50)));
        assert!(!changes.contains_key(&2), "unchanged");
        // An incremental run (or an incomplete listing) never counts deletions.
        let partial = compare(&before, &after, false, PartitionChanges::default());
        assert_eq!(partial.counts.deleted, None);
        let Recorded::Changes(changes) = &partial.recorded else {
            panic!("a comparison records changes");
        };
        assert!(!changes.contains_key(&1) && !changes.contains_key(&5));
        assert_eq!(Change::Delete.as_str(), "delete");
    }
}
