//! Incremental exports (`mode = "incremental"`, Yonyou U8 only): fetch only the customers that
//! changed since the last committed run and upsert them into the current partition.
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
//!   record is harmless (the upsert keeps one row per key), a skipped one would be lost.
//! * **Publish.** The changed customers (and the run's rejects of them) are upserted into
//!   `<dataset>/source=yonyou_u8/tenant=<t>/`: the files that hold older rows of re-fetched
//!   records are rewritten without them and the new rows added, in the one atomic step of the
//!   table format (see [`crate::table`]). Contacts (customercontacts/batch_get has no change
//!   filter) are fetched in full and replace their partition when their content changed. Every
//!   partition holds one row per key after every run.
//! * **Limits.** Deleting a record in U8 does not change any row version, so deletions only
//!   disappear from the dataset with the next full export (`custlake export --full`). YCM has
//!   no change filter at all: its sources always export full snapshots, kept unchanged when
//!   their content hash did not change.

mod marks;
mod plan;

pub(crate) use marks::{MarkWatcher, missing_mark_warning, next_mark, watch_customers};
pub(crate) use plan::{SourcePlan, plan_source};
