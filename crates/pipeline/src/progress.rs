//! `ProgressObserver`: how the pipeline reports progress without knowing about terminals.
//!
//! The CLI draws indicatif bars or prints log lines; tests and library users can ignore it.

/// Which source and entity an event is about.
#[derive(Debug, Clone, Copy)]
pub struct EntityLabel<'a> {
    /// Tenant name.
    pub tenant: &'a str,
    /// `yonyou_u8` or `yeastar_ycm`.
    pub source: &'static str,
    /// `customers` or `contacts`.
    pub entity: &'static str,
}

/// Receives progress events; every method has an empty default.
pub trait ProgressObserver: Send + Sync {
    /// Page 1 arrived: the vendor announced this many pages and records.
    fn entity_planned(&self, _label: EntityLabel<'_>, _pages: u64, _records: u64) {}
    /// More pages appeared while fetching (records were added upstream).
    fn entity_replanned(&self, _label: EntityLabel<'_>, _pages: u64) {}
    /// A page was fetched with this many records.
    fn page_fetched(&self, _label: EntityLabel<'_>, _records: u64) {}
    /// A resumed run replayed this many saved pages and records instead of fetching them.
    fn pages_replayed(&self, _label: EntityLabel<'_>, _pages: u64, _records: u64) {}
    /// A request is being retried.
    fn retried(&self, _label: EntityLabel<'_>) {}
    /// The entity finished (`error` is None on success).
    fn entity_finished(&self, _label: EntityLabel<'_>, _error: Option<&str>) {}
}

/// Ignores every event.
pub struct NoProgress;

impl ProgressObserver for NoProgress {}
