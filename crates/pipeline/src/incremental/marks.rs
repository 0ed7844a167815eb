//! High-water marks: watching the U8 customers a run fetches for the highest row version and
//! the latest `ModifyDate`, and deciding the mark the catalog records after the run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::NaiveDateTime;
use custlake_client_kit::LooseString;
use custlake_schema::RowVersion;
use custlake_schema::row_version::value_of;
use futures::FutureExt;
use futures::future::BoxFuture;

use super::plan::SourcePlan;
use crate::commit::catalog::EntityMark;
use crate::commit::manifest::{EntityReport, SourceReport};
use crate::model::Entity;
use crate::model::ExportMode;
use crate::sources::{FetchError, FetchedPage, PageRecords, PageSource};

/// The highest row version and latest modification time seen among fetched U8 customers, and
/// how many of them are newer than the mark the run started from.
#[derive(Debug, Default)]
pub struct MarkWatcher {
    seen: Mutex<Seen>,
    since: Option<EntityMark>,
    newer: AtomicU64,
}

/// What a [`MarkWatcher`] saw so far (or on one page).
#[derive(Debug, Default, Clone)]
struct Seen {
    /// Customers that decoded.
    customers: u64,
    /// The highest row version, as sent.
    version: Option<RowVersion>,
    /// The latest modification time.
    modified: Option<NaiveDateTime>,
    /// Customers whose `timestamp` was there but not a row version.
    unreadable_versions: u64,
    /// The first such value, for the warning.
    unreadable_example: Option<String>,
}

impl Seen {
    fn merge(&mut self, page: Seen) {
        self.customers += page.customers;
        self.version = self.version.take().max(page.version);
        self.modified = self.modified.max(page.modified);
        self.unreadable_versions += page.unreadable_versions;
        if self.unreadable_example.is_none() {
            self.unreadable_example = page.unreadable_example;
        }
    }
}

impl MarkWatcher {
    /// A watcher for a run that starts from `since` (`None` for a full run).
    pub fn new(since: Option<EntityMark>) -> Self {
        Self {
            since,
            ..Self::default()
        }
    }

    /// Customers fetched whose version (or, without versions, modification time) is above the
    /// mark the run started from; all of them on a full run.
    pub fn newer(&self) -> u64 {
        self.newer.load(Ordering::Relaxed)
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        match self.seen.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Whether a record with this version and modification time is newer than `since`.
    fn is_newer(&self, version: Option<i64>, modified: Option<NaiveDateTime>) -> bool {
        let Some(since) = &self.since else {
            return true;
        };
        match (since.max_timestamp.as_ref().map(RowVersion::value), version) {
            (Some(mark), Some(version)) => version > mark,
            // A record without a version cannot be proven old.
            (Some(_), None) => true,
            (None, _) => {
                let mark = since.max_modify_date.as_deref().and_then(parse_local_time);
                match (mark, modified) {
                    (Some(mark), Some(modified)) => modified > mark,
                    _ => true,
                }
            }
        }
    }

    fn observe(&self, page: &FetchedPage) {
        let PageRecords::U8Customers(records) = &page.records else {
            return;
        };
        let mut seen = Seen::default();
        // The page's newest version is tracked as (integer, value as sent); only that one
        // becomes a `RowVersion` (which copies the text), so no record costs an allocation.
        let mut newest: Option<(i64, &LooseString)> = None;
        let mut newer = 0;
        for record in records {
            let Ok(customer) = record.decoded() else {
                newer += 1;
                continue;
            };
            seen.customers += 1;
            let version = match customer.timestamp.as_ref().map(|t| (t, value_of(t))) {
                Some((sent, Ok(Some(version)))) => {
                    if newest.is_none_or(|(highest, _)| version > highest) {
                        newest = Some((version, sent));
                    }
                    Some(version)
                }
                Some((sent, Err(_))) => {
                    seen.unreadable_versions += 1;
                    seen.unreadable_example
                        .get_or_insert_with(|| sent.as_str().to_owned());
                    None
                }
                _ => None,
            };
            let modified = customer
                .modify_date
                .as_ref()
                .and_then(|d| parse_local_time(d.as_str()));
            seen.modified = seen.modified.max(modified);
            if self.is_newer(version, modified) {
                newer += 1;
            }
        }
        seen.version = newest.and_then(|(_, sent)| RowVersion::parse(sent).ok().flatten());
        self.newer.fetch_add(newer, Ordering::Relaxed);
        self.seen().merge(seen);
    }

    /// The mark after this run: the newer of `previous` and what was seen.
    pub fn mark(&self, previous: Option<&EntityMark>, run_id: &str) -> Option<EntityMark> {
        let (version, date) = {
            let seen = self.seen();
            (seen.version.clone(), seen.modified)
        };
        let previous_date = previous
            .and_then(|m| m.max_modify_date.as_deref())
            .and_then(parse_local_time);
        let max_timestamp = version.max(previous.and_then(|m| m.max_timestamp.clone()));
        let max_date = date.max(previous_date);
        if max_timestamp.is_none() && max_date.is_none() {
            return None;
        }
        let max_modify_date = max_date.map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string());
        if let Some(previous) = previous
            && previous.max_timestamp == max_timestamp
            && previous.max_modify_date == max_modify_date
        {
            // Nothing newer (an empty change window): the mark stays exactly as it was.
            return Some(previous.clone());
        }
        Some(EntityMark {
            entity: "customers".to_owned(),
            max_timestamp,
            max_modify_date,
            run_id: run_id.to_owned(),
        })
    }

    /// The warning of an incremental source whose run could derive no mark (see
    /// [`missing_mark_warning`]).
    fn no_mark_warning(&self, plan: &SourcePlan) -> String {
        let seen = self.seen().clone();
        let mut warning = format!(
            "{} {}: no high-water mark could be recorded for mode = \"incremental\": none of the \
             {} customers fetched carried a readable `timestamp` (row version) or `ModifyDate`, \
             so the next run exports a full snapshot again",
            plan.source, plan.tenant, seen.customers
        );
        if let Some(example) = &seen.unreadable_example {
            warning.push_str(&format!(
                "; {} `timestamp` values are not row versions (a whole number, or 0x-prefixed \
                 hex), e.g. {example:?}",
                seen.unreadable_versions
            ));
        }
        warning
    }
}

/// The warning when `plan`'s source is configured `mode = "incremental"` but its run found no
/// version to derive a mark from, so every run would silently stay a full export; `None` for
/// full-mode sources, which need no mark.
pub fn missing_mark_warning(plan: &SourcePlan, watcher: &MarkWatcher) -> Option<String> {
    if plan.mode != ExportMode::Incremental {
        return None;
    }
    let warning = watcher.no_mark_warning(plan);
    tracing::warn!(
        source = plan.source,
        tenant = %plan.tenant,
        fields = "timestamp, ModifyDate",
        "{warning}"
    );
    Some(warning)
}

/// Whether an entity's fetch saw one consistent listing, so its mark may advance: nothing
/// moved between pages (no duplicates, nothing missing against the announced total).
pub fn listing_was_consistent(report: &EntityReport) -> bool {
    report.duplicates_dropped == 0 && report.missing.unwrap_or(0) == 0
}

/// The mark to record once `report`'s source committed: `Ok(None)` when nothing carried a
/// version (see [`missing_mark_warning`]), `Err(warning)` when the customers listing moved while paging (the mark stays where
/// it was, so the next run fetches the same range again).
pub fn next_mark(
    watcher: &MarkWatcher,
    report: &SourceReport,
    previous: Option<&EntityMark>,
    run_id: &str,
) -> Result<Option<EntityMark>, String> {
    let consistent = report
        .entities
        .iter()
        .filter(|e| e.entity == "customers")
        .all(listing_was_consistent);
    if !consistent {
        return Err(format!(
            "{} {}: the high-water mark was not advanced because customers moved between pages \
             during the run; the next incremental run fetches the same changes again",
            report.source, report.tenant
        ));
    }
    Ok(watcher.mark(previous, run_id))
}

/// Wraps the U8 customers source of `sources` so its pages feed a [`MarkWatcher`].
pub fn watch_customers(
    sources: Vec<Arc<dyn PageSource>>,
    plan: &SourcePlan,
) -> (Vec<Arc<dyn PageSource>>, Option<Arc<MarkWatcher>>) {
    if !plan.watch_marks {
        return (sources, None);
    }
    let since = plan.incremental.as_ref().map(|run| run.since.clone());
    let watcher = Arc::new(MarkWatcher::new(since));
    let sources = sources
        .into_iter()
        .map(|source| -> Arc<dyn PageSource> {
            if source.entity() == Entity::Customers {
                Arc::new(WatchedSource {
                    inner: source,
                    watcher: watcher.clone(),
                })
            } else {
                source
            }
        })
        .collect();
    (sources, Some(watcher))
}

/// A page source that reports its pages to a [`MarkWatcher`].
struct WatchedSource {
    inner: Arc<dyn PageSource>,
    watcher: Arc<MarkWatcher>,
}

impl PageSource for WatchedSource {
    fn entity(&self) -> Entity {
        self.inner.entity()
    }

    fn authenticate(&self) -> BoxFuture<'_, Result<(), FetchError>> {
        self.inner.authenticate()
    }

    fn fetch_page(&self, page: u64) -> BoxFuture<'_, Result<FetchedPage, FetchError>> {
        async move {
            let fetched = self.inner.fetch_page(page).await?;
            self.watcher.observe(&fetched);
            Ok(fetched)
        }
        .boxed()
    }
}

/// U8 local times as the vendor sends them: `YYYY-MM-DD`, with ` HH:MM:SS` or `THH:MM:SS`.
fn parse_local_time(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Some(at);
        }
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commit::catalog::{Catalog, FetchKind};
    use crate::config::ValidatedSource;
    use crate::incremental::plan::plan_source;
    use crate::layout::PartitionTarget;

    #[test]
    fn marks_keep_the_newer_of_previous_and_seen() {
        let watcher = MarkWatcher::default();
        assert_eq!(watcher.mark(None, "r1"), None);
        let previous = EntityMark {
            entity: "customers".into(),
            max_timestamp: Some(RowVersion::from_value(50)),
            max_modify_date: Some("2024-01-02 03:04:05".into()),
            run_id: "r0".into(),
        };
        let kept = watcher.mark(Some(&previous), "r1").expect("mark");
        assert_eq!(kept.max_timestamp, Some(RowVersion::from_value(50)));
        assert_eq!(kept.max_modify_date.as_deref(), Some("2024-01-02 03:04:05"));
        // Nothing newer was seen: the mark is still the one the run r0's data established.
        assert_eq!(kept, previous);
    }

    fn source(kind: &str, mode: &str) -> Result<ValidatedSource, crate::config::ConfigError> {
        let vendor = match kind {
            "yonyou_u8" => {
                "from_account = \"f\"\nto_account = \"t\"\napp_key = \"k\"\napp_secret = \"s\""
            }
            _ => "client_id = \"c\"\nclient_secret = \"s\"",
        };
        let text = format!(
            "[output]\npath = \"o\"\n[[sources]]\nname = \"east\"\nkind = \"{kind}\"\n\
             mode = \"{mode}\"\nbase_url = \"https://h\"\n{vendor}\n"
        );
        let config: crate::config::ExportConfig =
            toml::from_str(&text).expect("test config parses");
        config.validate().map(|mut s| s.remove(0))
    }

    fn catalog_with(mark: EntityMark) -> Catalog {
        let mut catalog = Catalog::default();
        for dataset in ["customers", "contacts", "rejects"] {
            let target = PartitionTarget::new(dataset, "yonyou_u8", "east");
            catalog.set_snapshot(
                &target,
                crate::commit::catalog::Content {
                    run_id: "r0".into(),
                    content_hash: String::new(),
                    rows: 0,
                    files: Vec::new(),
                },
            );
        }
        catalog.set_mark("yonyou_u8", "east", mark);
        catalog
    }

    #[test]
    fn plans_use_the_timestamp_mark_else_the_modify_date() -> Result<(), crate::config::ConfigError>
    {
        let u8 = source("yonyou_u8", "incremental")?;
        assert!(plan_source(&u8, &Catalog::default()).incremental.is_none());

        let mark = EntityMark {
            entity: "customers".into(),
            max_timestamp: Some(RowVersion::from_value(1_000_007)),
            max_modify_date: Some("2024-05-06 07:08:09".into()),
            run_id: "r0".into(),
        };
        let plan = plan_source(&u8, &catalog_with(mark.clone()));
        let run = plan.incremental.as_ref().expect("incremental");
        assert_eq!(run.filter.timestamp_begin.as_deref(), Some("1000007"));
        assert_eq!(run.filter.modify_date_begin, None);
        assert_eq!(run.entities.get("contacts"), Some(&FetchKind::Full));
        assert_eq!(plan.fetched("customers").len(), 1);
        assert_eq!(plan.fetched("rejects").len(), 2);

        let hex = EntityMark {
            max_timestamp: RowVersion::from_text("0x00000000000f4247").ok(),
            ..mark.clone()
        };
        let plan = plan_source(&u8, &catalog_with(hex));
        let run = plan.incremental.as_ref().expect("incremental");
        assert_eq!(
            run.filter.timestamp_begin.as_deref(),
            Some("0x00000000000f4247"),
            "the mark goes back in the form the server sent"
        );

        let dated = EntityMark {
            max_timestamp: None,
            ..mark
        };
        let plan = plan_source(&u8, &catalog_with(dated));
        let run = plan.incremental.expect("incremental");
        assert_eq!(run.filter.modify_date_begin.as_deref(), Some("2024-05-06"));
        assert_eq!(run.filter.timestamp_begin, None);

        let full = source("yonyou_u8", "full")?;
        let plan = plan_source(&full, &catalog_with(run.since));
        assert!(plan.incremental.is_none() && plan.watch_marks);
        Ok(())
    }

    #[test]
    fn ycm_cannot_be_incremental() {
        let error = source("yeastar_ycm", "incremental")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.contains("setting mode") && error.contains("has none"),
            "{error}"
        );
    }

    #[test]
    fn only_records_above_the_mark_count_as_new() {
        let watcher = MarkWatcher::new(Some(EntityMark {
            entity: "customers".into(),
            max_timestamp: Some(RowVersion::from_value(10)),
            max_modify_date: None,
            run_id: "r0".into(),
        }));
        assert!(!watcher.is_newer(Some(10), None));
        assert!(watcher.is_newer(Some(11), None));
        assert!(
            watcher.is_newer(None, None),
            "unversioned records cannot be proven old"
        );
        assert!(MarkWatcher::new(None).is_newer(Some(1), None));
    }

    #[test]
    fn vendor_dates_parse_with_or_without_time() {
        assert!(parse_local_time("2024-01-02").is_some());
        assert!(parse_local_time(" 2024-01-02 03:04:05 ").is_some());
        assert!(parse_local_time("2024-01-02T03:04:05").is_some());
        assert!(parse_local_time("").is_none());
        assert!(parse_local_time("02/01/2024").is_none());
    }

    fn customers_page(raws: &[&str]) -> FetchedPage {
        FetchedPage {
            page: 1,
            announced_records: raws.len() as u64,
            announced_pages: 1,
            records: PageRecords::U8Customers(
                raws.iter()
                    .map(|r| ::yonyou_u8::U8CustomerRecord::from_json(r).expect("valid JSON"))
                    .collect(),
            ),
        }
    }

    #[test]
    fn hex_row_versions_make_a_mark_in_the_form_sent() {
        let watcher = MarkWatcher::new(Some(EntityMark {
            entity: "customers".into(),
            max_timestamp: RowVersion::from_text("0x000000000000000A").ok(),
            max_modify_date: None,
            run_id: "r0".into(),
        }));
        watcher.observe(&customers_page(&[
            r#"{"code":"1","timestamp":"0x000000000000000A"}"#,
            r#"{"code":"2","timestamp":"0x00000000000000FF"}"#,
            r#"{"code":"3","timestamp":"0x0000000000000010"}"#,
        ]));
        watcher.observe(&customers_page(&[
            r#"{"code":"4","timestamp":254}"#,
            r#"{"code":"5","timestamp":"0x000000000000000B"}"#,
        ]));
        assert_eq!(watcher.newer(), 4, "all but the boundary record are new");
        let mark = watcher.mark(None, "r1").expect("a mark");
        let version = mark.max_timestamp.expect("a row version");
        assert_eq!(
            (version.value(), version.text()),
            (255, "0x00000000000000FF")
        );
    }

    #[test]
    fn incremental_sources_without_any_version_get_a_warning()
    -> Result<(), crate::config::ConfigError> {
        let watcher = MarkWatcher::new(None);
        watcher.observe(&customers_page(&[
            r#"{"code":"1","timestamp":"AAAAAAAPQkA=","ModifyDate":"yesterday"}"#,
            r#"{"code":"2","timestamp":"","ModifyDate":"0000-00-00 00:00:00"}"#,
            r#"{"code":"3"}"#,
        ]));
        assert_eq!(watcher.mark(None, "r1"), None);

        let incremental = plan_source(&source("yonyou_u8", "incremental")?, &Catalog::default());
        let warning = missing_mark_warning(&incremental, &watcher).expect("a warning");
        for part in [
            "yonyou_u8 east",
            "incremental",
            "3 customers",
            "`timestamp`",
            "`ModifyDate`",
            "full snapshot",
            "1 `timestamp` values",
            "\"AAAAAAAPQkA=\"",
        ] {
            assert!(warning.contains(part), "{part:?} in {warning}");
        }
        let full = plan_source(&source("yonyou_u8", "full")?, &Catalog::default());
        assert_eq!(
            missing_mark_warning(&full, &watcher),
            None,
            "full mode needs no mark"
        );
        Ok(())
    }
}
