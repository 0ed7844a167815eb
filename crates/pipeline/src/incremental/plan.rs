//! What one source does in a run: a full snapshot, or (U8 `mode = "incremental"` with a mark
//! in the catalog) only the customers changed since, upserted into the current partitions.

use std::collections::BTreeMap;

use ::yonyou_u8::U8CustomerFilter;

use crate::commit::catalog::{Catalog, EntityMark, FetchKind};
use crate::config::ValidatedSource;
use crate::layout::PartitionTarget;
use crate::model::Entity;
use crate::model::ExportMode;
use crate::model::VendorKind;

/// What one source does in this run.
#[derive(Debug, Clone)]
pub struct SourcePlan {
    /// Source kind (`yonyou_u8`, `yeastar_ycm`).
    pub source: &'static str,
    /// Configured source name.
    pub tenant: String,
    /// The source's configured mode.
    pub mode: ExportMode,
    /// `Some` when this run fetches changes only and upserts them.
    pub incremental: Option<IncrementalRun>,
    /// Whether the run watches U8 customers for a new high-water mark.
    pub watch_marks: bool,
}

/// The incremental half of a plan.
#[derive(Debug, Clone)]
pub struct IncrementalRun {
    /// The mark the request starts from.
    pub since: EntityMark,
    /// customer/batch_get's filter.
    pub filter: U8CustomerFilter,
    /// How each entity is fetched (`customers`: changes, `contacts`: full).
    pub entities: BTreeMap<String, FetchKind>,
}

impl SourcePlan {
    /// The customer/batch_get filter (no filter for a full run).
    pub fn customer_filter(&self) -> U8CustomerFilter {
        self.incremental
            .as_ref()
            .map(|run| run.filter.clone())
            .unwrap_or_default()
    }

    /// How each entity governing `dataset`'s rows was fetched this run (`rejects` rows belong
    /// to every entity); empty for a full run, whose rows replace the partition.
    pub fn fetched(&self, dataset: &str) -> BTreeMap<String, FetchKind> {
        let Some(run) = &self.incremental else {
            return BTreeMap::new();
        };
        run.entities
            .iter()
            .filter(|(entity, _)| dataset == "rejects" || entity.as_str() == dataset)
            .map(|(entity, kind)| (entity.clone(), *kind))
            .collect()
    }
}

/// Decides how `source` runs this time, from its mode and what the catalog remembers.
pub fn plan_source(source: &ValidatedSource, catalog: &Catalog) -> SourcePlan {
    let kind = source.vendor.kind();
    let tracks = kind == VendorKind::YonyouU8 && source.entities.contains(&Entity::Customers);
    let mut plan = SourcePlan {
        source: kind.as_str(),
        tenant: source.name.clone(),
        mode: source.mode,
        incremental: None,
        watch_marks: tracks,
    };
    if source.mode != ExportMode::Incremental || !tracks {
        return plan;
    }
    let Some(mark) = catalog.mark(kind.as_str(), &source.name, "customers") else {
        tracing::info!(tenant = %source.name, "no high-water mark yet: this run exports a full snapshot");
        return plan;
    };
    // The changes are upserted into the customers the output holds; without that partition
    // (an output whose files were lost) a full snapshot rebuilds it. The other partitions may
    // be absent: an empty partition has no files (Delta Lake shows none), contacts are fetched
    // in full, and rejects of re-fetched records are upserted into whatever is there.
    let target = PartitionTarget::new("customers", kind.as_str(), &source.name);
    if catalog.partition(&target).is_none() {
        tracing::info!(tenant = %source.name, partition = %target, "no current partition to upsert changes into: this run exports a full snapshot");
        return plan;
    }
    let mut filter = U8CustomerFilter::default();
    if let Some(version) = &mark.max_timestamp {
        filter.timestamp_begin = Some(version.text().to_owned());
    } else if let Some(date) = mark.max_modify_date.as_deref().and_then(|d| d.get(..10)) {
        filter.modify_date_begin = Some(date.to_owned());
    } else {
        return plan;
    }
    let mut entities = BTreeMap::new();
    for entity in &source.entities {
        let how = match entity {
            Entity::Customers => FetchKind::Changes,
            Entity::Contacts => FetchKind::Full,
        };
        entities.insert(entity.as_str().to_owned(), how);
    }
    plan.incremental = Some(IncrementalRun {
        since: mark.clone(),
        filter,
        entities,
    });
    plan
}
