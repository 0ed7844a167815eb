//! Incremental exports (`mode = "incremental"`, Yonyou U8 only): fetch only the customers that
//! changed since the last committed run and write them as a delta beside the snapshot.
//!
//! * **High-water mark.** Every U8 run watches the customers it fetches and records, per source,
//!   the highest row version (`timestamp`, SQL Server's rowversion, read by
//!   [`custlake_schema::RowVersion`]: a number, decimal text or `0x` hex text) and the latest
//!   `ModifyDate` (the fallback for accounts whose records carry no `timestamp`). The mark is
//!   stored in the catalog (`_current.json`, `sources[]`) and so commits atomically with the
//!   data. It only advances when the run saw a consistent listing (no records moved between
//!   pages); otherwise the next run fetches the same range again. When an incremental source's
//!   run sees neither (no customer carried a readable `timestamp` or `ModifyDate`), no mark can
//!   be recorded and the run says so in a warning instead of silently staying full.
//! * **Request.** With a mark, customer/batch_get gets `timestamp_begin = <mark>` in the form
//!   the server sent it (hex stays hex, with its width and case), or `ModifyDate_begin = <date
//!   of the mark>`. Bounds are inclusive, so the boundary records come again: a re-fetched
//!   record is harmless (compaction keeps one row per key), a skipped one would be lost.
//! * **Layout.** The run writes `_deltas/run_id=<run>/<dataset>/source=yonyou_u8/tenant=<t>/`:
//!   the changed customers, the contacts (customercontacts/batch_get has no change filter, so
//!   they are fetched in full and only written when their content changed), and the run's
//!   rejects. The snapshot under `<dataset>/source=…/` is untouched until `custlake compact`
//!   folds the deltas into a new one.
//! * **Limits.** Deleting a record in U8 does not change any row version, so deletions only
//!   disappear from the dataset with the next full export (`custlake export --full`). YCM has
//!   no change filter at all: its sources always export full snapshots, kept unchanged when
//!   their content hash did not change.

mod marks;
mod plan;

pub(crate) use marks::{MarkWatcher, missing_mark_warning, next_mark, watch_customers};
pub(crate) use plan::{SourcePlan, plan_source};
