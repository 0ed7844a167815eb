//! One partition's change committed to its Delta table, safely among many writers.
//!
//! A change removes files of one (source, tenant) partition and adds new ones in a single
//! commit. The crate's own retry loop is switched off (it retries at once, without sleeping);
//! instead every attempt starts from the table's latest version: the files to remove are looked
//! up again, the application transaction (`txn`) is checked again, and a lost race sleeps a
//! jittered, exponentially growing pause before the next attempt. So:
//!
//! * a commit repeated after a crash or a `--resume` is applied once: the table's `txn` for the
//!   partition already holds this run's version;
//! * a run older than the one that committed last never overwrites it;
//! * two writers of the same partition never leave duplicate rows: whoever commits second
//!   removes what the first added (a replacement), or re-plans its merge (an upsert).

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use deltalake::DeltaTable;
use deltalake::DeltaTableError;
use deltalake::kernel::transaction::{CommitBuilder, CommitProperties, TransactionError};
use deltalake::kernel::{Action, Add, LogicalFileView, Transaction};
use deltalake::protocol::{DeltaOperation, SaveMode};
use serde_json::json;

use crate::layout::PartitionTarget;
use crate::write::rotating::PartFile;

use super::DeltaError;
use super::table::{DeltaTables, PARTITION_COLUMNS};

/// Tag on every file custlake adds: the content hash of the partition content it belongs to.
pub(crate) const CONTENT_HASH_TAG: &str = "custlake.content_hash";

/// Commit attempts before a partition gives up (about 4 minutes of back-off at the cap).
const MAX_ATTEMPTS: u32 = 60;

/// First back-off pause; doubles per lost race up to [`MAX_PAUSE`], with jitter (backon's,
/// as the page retries use).
const FIRST_PAUSE: Duration = Duration::from_millis(25);
const MAX_PAUSE: Duration = Duration::from_secs(4);

/// Which of the partition's current files a change removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Removal {
    /// Whatever the partition holds when the commit lands (a full replacement).
    AllCurrent,
    /// No file: the change appends (a change log).
    Nothing,
    /// Exactly these files (paths relative to the table), which must be the partition's files
    /// together with `kept` when the commit lands; otherwise the change is stale.
    Exactly {
        /// Files the change replaces.
        removed: BTreeSet<String>,
        /// Files the change leaves in place.
        kept: BTreeSet<String>,
    },
}

/// What one commit does to one partition.
#[derive(Debug, Clone)]
pub(crate) struct PartitionChange {
    /// Files that leave the partition.
    pub(crate) removal: Removal,
    /// Files that join it (already written into the table's partition folder).
    pub(crate) added: Vec<PartFile>,
    /// The content hash of the partition after a full replacement (`None` for an upsert): the
    /// commit is skipped when the partition already holds this content.
    pub(crate) content_hash: Option<String>,
    /// `false` for a compaction: the rows stay the same (`dataChange = false`, no `txn`).
    pub(crate) data_change: bool,
}

/// The identity a run commits under.
#[derive(Debug, Clone)]
pub(crate) struct CommitIdentity {
    /// The run (in the commit info).
    pub(crate) run_id: String,
    /// The run's application-transaction version: its start time in microseconds, the same
    /// after a `--resume`, later for a later run.
    pub(crate) txn_version: i64,
    /// What the commit is (`export`, `compact`, `link`), in the commit info.
    pub(crate) operation: &'static str,
}

/// What became of one partition's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CommitOutcome {
    /// Committed as table version `version` after `retries` lost races.
    Committed {
        /// The new table version.
        version: i64,
        /// Lost races before it landed.
        retries: u32,
        /// Rows of the partition after the commit.
        rows: u64,
        /// How to take the commit back while the rest of its source fails.
        undo: CommitUndo,
    },
    /// The partition already held this content: no commit.
    Unchanged {
        /// Rows of the partition.
        rows: u64,
        /// Lost races before that was established.
        retries: u32,
    },
    /// This run's commit is already in the table (a resumed or repeated commit): not applied
    /// again.
    AlreadyApplied {
        /// Rows of the partition.
        rows: u64,
    },
    /// An upsert planned against files that another writer replaced meanwhile: plan again.
    Stale {
        /// Lost races before it was found.
        retries: u32,
    },
}

/// What a committed change replaced, so that [`revert_partition`] can put it back.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CommitUndo {
    /// The `add` actions of the files the change removed.
    removed: Vec<Add>,
    /// The paths (relative to the table) of the files the change added.
    added: BTreeSet<String>,
    /// The partition's `txn` version before the change.
    previous_txn: Option<i64>,
}

impl Eq for CommitUndo {}

/// The `txn` application id of a partition: one per (dataset's table, source, tenant).
pub(crate) fn app_id(target: &PartitionTarget) -> String {
    format!("custlake/{}/{}", target.source, target.tenant)
}

/// The partition's current files.
pub(crate) fn partition_files(
    table: &DeltaTable,
    target: &PartitionTarget,
) -> Result<Vec<LogicalFileView>, DeltaTableError> {
    let state = table.snapshot()?;
    Ok(state
        .log_data()
        .iter()
        .filter(|file| in_partition(file, target))
        .collect())
}

fn in_partition(file: &LogicalFileView, target: &PartitionTarget) -> bool {
    let values = file.partition_values_map();
    let value = |name: &str| values.get(name).cloned().flatten();
    value("source").as_deref() == Some(target.source.as_str())
        && value("tenant").as_deref() == Some(target.tenant.as_str())
}

/// The content hash of the partition's files, when every file carries the same one.
pub(crate) fn current_content_hash(files: &[LogicalFileView]) -> Option<String> {
    // `add_action` is deprecated in favour of Arrow arrays, but it is the only public accessor
    // of a file's tags.
    #[allow(deprecated)]
    let mut hashes = files.iter().map(|file| {
        file.add_action()
            .tags
            .and_then(|tags| tags.get(CONTENT_HASH_TAG).cloned().flatten())
    });
    let first = hashes.next()??;
    hashes
        .all(|hash| hash.as_deref() == Some(first.as_str()))
        .then_some(first)
}

/// Rows across `files` (from their statistics).
pub(crate) fn rows_of(files: &[LogicalFileView]) -> u64 {
    files
        .iter()
        .map(|file| file.num_records().unwrap_or(0) as u64)
        .sum()
}

/// Commits `change` to `target`'s partition of `table` (reloaded to its latest version on every
/// attempt), retrying lost races with back-off.
pub(crate) async fn commit_partition(
    tables: &DeltaTables,
    table: &mut DeltaTable,
    target: &PartitionTarget,
    change: &PartitionChange,
    identity: &CommitIdentity,
) -> Result<CommitOutcome, DeltaError> {
    let dataset = dataset_of(target)?;
    let fail = |action, error| tables.table_error(dataset, action, error);
    let mut retries = 0u32;
    let mut pauses = commit_pauses();
    loop {
        if retries > 0 {
            tokio::time::sleep(pauses.next().unwrap_or(MAX_PAUSE)).await;
            table.update_state().await.map_err(|e| fail("read", e))?;
        }
        let mut previous_txn = None;
        if change.data_change {
            match applied_txn(tables, table, target, identity).await? {
                Txn::Open(applied) => previous_txn = applied,
                Txn::AlreadyApplied(rows) => return Ok(CommitOutcome::AlreadyApplied { rows }),
            }
        }
        let files = partition_files(table, target).map_err(|e| fail("read", e))?;
        let planned = match plan_actions(&files, target, change, previous_txn.is_some()) {
            Planned::Actions(actions) => actions,
            Planned::Unchanged => {
                return Ok(CommitOutcome::Unchanged {
                    rows: rows_of(&files),
                    retries,
                });
            }
            Planned::Stale => return Ok(CommitOutcome::Stale { retries }),
        };
        let rows_after = rows_after(&files, change);
        let undo = CommitUndo {
            removed: removed_adds(&files, change),
            added: change
                .added
                .iter()
                .map(|file| format!("{}/{}", target.partition_dir(), file.file_name))
                .collect(),
            previous_txn,
        };
        match try_commit(table, target, change, identity, planned).await {
            Ok(version) => {
                return Ok(CommitOutcome::Committed {
                    version,
                    retries,
                    rows: rows_after,
                    undo,
                });
            }
            Err(error) if lost_race(&error) && retries + 1 < MAX_ATTEMPTS => retries += 1,
            Err(error) if lost_race(&error) => {
                return Err(DeltaError::GaveUp {
                    partition: target.to_string(),
                    table: tables.output().display(dataset.as_str()),
                    attempts: retries + 1,
                });
            }
            Err(error) => return Err(fail("commit to", error)),
        }
    }
}

/// Takes back a change this run committed to `target` (its source failed afterwards): the
/// files it added leave the partition, the files it removed return, and the partition's
/// `txn` goes back to its previous version, so a later or resumed run commits it again.
/// Fails when another writer has changed the partition since: its state is then theirs.
pub(crate) async fn revert_partition(
    tables: &DeltaTables,
    table: &mut DeltaTable,
    target: &PartitionTarget,
    undo: &CommitUndo,
    identity: &CommitIdentity,
) -> Result<i64, DeltaError> {
    let dataset = dataset_of(target)?;
    let fail = |action, error| tables.table_error(dataset, action, error);
    let mut retries = 0u32;
    let mut pauses = commit_pauses();
    loop {
        if retries > 0 {
            tokio::time::sleep(pauses.next().unwrap_or(MAX_PAUSE)).await;
        }
        table.update_state().await.map_err(|e| fail("read", e))?;
        let files = partition_files(table, target).map_err(|e| fail("read", e))?;
        let current: BTreeSet<String> = files
            .iter()
            .map(|f| f.object_store_path().to_string())
            .collect();
        let ours = matches!(
            applied_txn(tables, table, target, identity).await?,
            Txn::AlreadyApplied(_)
        );
        if !ours || !undo.added.is_subset(&current) {
            return Err(DeltaError::Location {
                location: target.to_string(),
                reason: "another writer changed the partition after this run's commit".into(),
            });
        }
        let now = chrono::Utc::now().timestamp_millis();
        let mut actions: Vec<Action> = files
            .iter()
            .filter(|f| undo.added.contains(&f.object_store_path().to_string()))
            .map(|file| remove_action(file, true, now))
            .collect();
        actions.extend(undo.removed.iter().cloned().map(|mut add| {
            add.modification_time = now;
            add.data_change = true;
            Action::Add(add)
        }));
        let properties = CommitProperties::default()
            .with_max_retries(0)
            .with_application_transaction(txn(target, undo.previous_txn.unwrap_or(0)))
            .with_metadata(commit_info(target, identity, "rollback"));
        let committed =
            commit_actions(table, properties, overwrite_operation(target), actions).await;
        match committed {
            Ok(version) => return Ok(version),
            Err(error) if lost_race(&error) && retries + 1 < MAX_ATTEMPTS => retries += 1,
            Err(error) => return Err(fail("roll back a commit in", error)),
        }
    }
}

/// The `add` actions (statistics and tags included) of the files `change` removes from
/// `files`, the partition as the commit attempt saw it.
fn removed_adds(files: &[LogicalFileView], change: &PartitionChange) -> Vec<Add> {
    // `add_action` is deprecated in favour of Arrow arrays, but it is the only public way to
    // get a file's whole `add` back (tags included).
    #[allow(deprecated)]
    let adds = files
        .iter()
        .filter(|file| match &change.removal {
            Removal::AllCurrent => true,
            Removal::Nothing => false,
            Removal::Exactly { removed, .. } => {
                removed.contains(&file.object_store_path().to_string())
            }
        })
        .map(|file| file.add_action())
        .collect();
    adds
}

/// The commit info custlake adds to every commit.
fn commit_info(
    target: &PartitionTarget,
    identity: &CommitIdentity,
    operation: &str,
) -> [(String, serde_json::Value); 4] {
    [
        ("custlake.run_id".to_owned(), json!(identity.run_id)),
        ("custlake.operation".to_owned(), json!(operation)),
        ("custlake.source".to_owned(), json!(target.source)),
        ("custlake.tenant".to_owned(), json!(target.tenant)),
    ]
}

fn partition_predicate(target: &PartitionTarget) -> String {
    format!(
        "source = '{}' AND tenant = '{}'",
        target.source, target.tenant
    )
}

/// The partition's application transaction as the loaded table version holds it.
enum Txn {
    /// Not this run's: the version it holds, if any.
    Open(Option<i64>),
    /// This run committed already; the partition's rows.
    AlreadyApplied(u64),
}

/// Reads the partition's `txn`: this run's already (a repeated commit), an older run's or none
/// (go on), or a later run's ([`DeltaError::Superseded`]).
async fn applied_txn(
    tables: &DeltaTables,
    table: &DeltaTable,
    target: &PartitionTarget,
    identity: &CommitIdentity,
) -> Result<Txn, DeltaError> {
    let dataset = dataset_of(target)?;
    let fail = |error| tables.table_error(dataset, "read", error);
    let state = table.snapshot().map_err(fail)?;
    let applied = state
        .transaction_version(table.log_store().as_ref(), &app_id(target))
        .await
        .map_err(fail)?;
    match applied {
        Some(applied) if applied == identity.txn_version => {
            let files = partition_files(table, target).map_err(fail)?;
            Ok(Txn::AlreadyApplied(rows_of(&files)))
        }
        Some(applied) if applied > identity.txn_version => Err(DeltaError::Superseded {
            partition: target.to_string(),
            table: tables.output().display(dataset.as_str()),
        }),
        applied => Ok(Txn::Open(applied)),
    }
}

/// The dataset of `target`, whose table the partition lives in.
pub(crate) fn dataset_of(target: &PartitionTarget) -> Result<custlake_schema::Dataset, DeltaError> {
    custlake_schema::Dataset::from_name(&target.dataset).ok_or_else(|| DeltaError::Location {
        location: target.to_string(),
        reason: format!("unknown dataset {:?}", target.dataset),
    })
}

/// The actions of one attempt, or why there is nothing to commit.
enum Planned {
    Actions(Vec<Action>),
    Unchanged,
    Stale,
}

/// `committed_before`: a run already committed this partition (its `txn` is set), so an empty
/// partition replaced by nothing is unchanged rather than committed again.
fn plan_actions(
    files: &[LogicalFileView],
    target: &PartitionTarget,
    change: &PartitionChange,
    committed_before: bool,
) -> Planned {
    let current: BTreeSet<String> = files
        .iter()
        .map(|f| f.object_store_path().to_string())
        .collect();
    if let (Some(hash), Removal::AllCurrent) = (&change.content_hash, &change.removal)
        && !files.is_empty()
        && current_content_hash(files).as_ref() == Some(hash)
    {
        return Planned::Unchanged;
    }
    // An empty partition stays empty (an account without contacts, run after run): committed
    // once, so the table records it, then unchanged.
    if change.removal == Removal::AllCurrent
        && change.added.is_empty()
        && files.is_empty()
        && committed_before
    {
        return Planned::Unchanged;
    }
    let removed: Vec<&LogicalFileView> = match &change.removal {
        Removal::AllCurrent => files.iter().collect(),
        Removal::Nothing => Vec::new(),
        Removal::Exactly { removed, kept } => {
            let expected: BTreeSet<String> = removed.union(kept).cloned().collect();
            if expected != current {
                return Planned::Stale;
            }
            files
                .iter()
                .filter(|f| removed.contains(&f.object_store_path().to_string()))
                .collect()
        }
    };
    let now = chrono::Utc::now().timestamp_millis();
    let mut actions: Vec<Action> = removed
        .into_iter()
        .map(|file| remove_action(file, change.data_change, now))
        .collect();
    actions.extend(
        change
            .added
            .iter()
            .map(|file| Action::Add(add_action(file, target, change, now))),
    );
    Planned::Actions(actions)
}

/// The `add` action of one new file.
fn add_action(
    file: &PartFile,
    target: &PartitionTarget,
    change: &PartitionChange,
    now: i64,
) -> Add {
    let partition_values = HashMap::from([
        (PARTITION_COLUMNS[0].to_owned(), Some(target.source.clone())),
        (PARTITION_COLUMNS[1].to_owned(), Some(target.tenant.clone())),
    ]);
    let tags = change
        .content_hash
        .as_ref()
        .map(|hash| HashMap::from([(CONTENT_HASH_TAG.to_owned(), Some(hash.clone()))]));
    Add {
        path: format!("{}/{}", target.partition_dir(), file.file_name),
        partition_values,
        size: i64::try_from(file.bytes).unwrap_or(i64::MAX),
        modification_time: now,
        data_change: change.data_change,
        stats: file.stats.clone(),
        tags,
        deletion_vector: None,
        base_row_id: None,
        default_row_commit_version: None,
        clustering_provider: None,
    }
}

fn rows_after(files: &[LogicalFileView], change: &PartitionChange) -> u64 {
    let kept: u64 = match &change.removal {
        Removal::AllCurrent => 0,
        Removal::Nothing => files
            .iter()
            .map(|f| f.num_records().unwrap_or(0) as u64)
            .sum(),
        Removal::Exactly { kept, .. } => files
            .iter()
            .filter(|f| kept.contains(&f.object_store_path().to_string()))
            .map(|f| f.num_records().unwrap_or(0) as u64)
            .sum(),
    };
    kept + change.added.iter().map(|f| f.rows).sum::<u64>()
}

/// One commit attempt on top of the table's loaded version; the crate does not retry.
async fn try_commit(
    table: &DeltaTable,
    target: &PartitionTarget,
    change: &PartitionChange,
    identity: &CommitIdentity,
    actions: Vec<Action>,
) -> Result<i64, DeltaTableError> {
    let mut properties = CommitProperties::default()
        .with_max_retries(0)
        .with_metadata(commit_info(target, identity, identity.operation));
    let operation = if change.data_change {
        properties = properties.with_application_transaction(txn(target, identity.txn_version));
        match change.removal {
            Removal::Nothing => append_operation(),
            _ => overwrite_operation(target),
        }
    } else {
        DeltaOperation::Optimize {
            predicate: Some(partition_predicate(target)),
            target_size: 0,
        }
    };
    commit_actions(table, properties, operation, actions).await
}

/// Commits `actions` as `operation` on top of the table's loaded version; the new version.
async fn commit_actions(
    table: &DeltaTable,
    properties: CommitProperties,
    operation: DeltaOperation,
    actions: Vec<Action>,
) -> Result<i64, DeltaTableError> {
    let state = table.snapshot()?;
    let committed = CommitBuilder::from(properties)
        .with_actions(actions)
        .build(Some(state), table.log_store(), operation)
        .await?;
    Ok(i64::try_from(committed.version()).unwrap_or(i64::MAX))
}

/// A data change that replaces files of `target`'s partition.
fn overwrite_operation(target: &PartitionTarget) -> DeltaOperation {
    DeltaOperation::Write {
        mode: SaveMode::Overwrite,
        partition_by: Some(PARTITION_COLUMNS.iter().map(|c| (*c).to_owned()).collect()),
        predicate: Some(partition_predicate(target)),
    }
}

/// A data change that only adds files.
fn append_operation() -> DeltaOperation {
    DeltaOperation::Write {
        mode: SaveMode::Append,
        partition_by: Some(PARTITION_COLUMNS.iter().map(|c| (*c).to_owned()).collect()),
        predicate: None,
    }
}

/// The partition's application transaction at `version`.
fn txn(target: &PartitionTarget, version: i64) -> Transaction {
    Transaction::new_with_last_update(
        app_id(target),
        version,
        Some(chrono::Utc::now().timestamp_millis()),
    )
}

/// The `remove` action of `file`, deleted at `now`.
fn remove_action(file: &LogicalFileView, data_change: bool, now: i64) -> Action {
    let mut remove = file.remove_action(data_change);
    remove.deletion_timestamp = Some(now);
    Action::Remove(remove)
}

/// Whether `error` means another writer committed first (the table moved on).
fn lost_race(error: &DeltaTableError) -> bool {
    match error {
        DeltaTableError::VersionAlreadyExists(_) => true,
        DeltaTableError::Transaction { source } => matches!(
            source,
            TransactionError::MaxCommitAttempts(_)
                | TransactionError::VersionAlreadyExists(_)
                | TransactionError::CommitConflict(_)
        ),
        _ => false,
    }
}

/// The pauses between commit attempts: exponential from [`FIRST_PAUSE`] to [`MAX_PAUSE`], each
/// jittered, one fewer than [`MAX_ATTEMPTS`].
fn commit_pauses() -> impl Iterator<Item = Duration> {
    ExponentialBuilder::default()
        .with_min_delay(FIRST_PAUSE)
        .with_max_delay(MAX_PAUSE)
        .with_max_times(MAX_ATTEMPTS as usize - 1)
        .with_jitter()
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_grows_to_its_cap_and_is_jittered() {
        let firsts: Vec<Duration> = (0..20).filter_map(|_| commit_pauses().next()).collect();
        assert_eq!(firsts.len(), 20);
        assert!(
            firsts
                .iter()
                .all(|d| *d >= FIRST_PAUSE && *d <= FIRST_PAUSE * 2),
            "{firsts:?}"
        );
        assert!(
            firsts.iter().any(|d| *d != firsts[0]),
            "no jitter: {firsts:?}"
        );
        let all: Vec<Duration> = commit_pauses().collect();
        assert_eq!(all.len(), MAX_ATTEMPTS as usize - 1);
        assert!(all.iter().all(|d| *d <= MAX_PAUSE * 2), "{all:?}");
        assert!(all[20..].iter().all(|d| *d >= MAX_PAUSE), "{all:?}");
    }
}
