//! The running server's shared state: tenants with their data, tokens, faults, statistics.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::change_request::ChangeTarget;
use crate::config::{SimConfig, U8TenantConfig, YcmClientConfig};
use crate::data::company::{Company, CompanyId};
use crate::data::u8::U8Data;
use crate::data::ycm::{self, YcmData};
use crate::data::{ItemId, item_code};
use crate::dataset::Dataset;
use crate::error::ChangeError;
use crate::faults::FaultEngine;
use crate::ground_truth::{
    Entity, EntitySet, GroundTruth, GroundTruthLink, GroundTruthRecord, SharedKey, SourceKind,
};
use crate::hash::{hash_str, key};
use crate::journal::{ChangeJournal, ChangeOutcome, ChangeRequest, ChangeSet};
use crate::links::{LinkCopy, LinkPlan, Shared};
use crate::rate_limit::ClientRateLimit;
use crate::stats::{SimStats, StatsCollector};
use crate::tokens::TokenStore;
use crate::version_filter::{FilteredListing, VersionFilter};

/// Records drift may insert between two U8 records (codes `…-001` to `…-999`).
const U8_MAX_SLOTS: u16 = 999;

/// One U8 tenant as served.
#[derive(Debug)]
pub(crate) struct U8Tenant {
    pub(crate) config: U8TenantConfig,
    pub(crate) data: U8Data,
    pub(crate) customers: Dataset,
    pub(crate) contacts: Dataset,
    /// The last filtered customer listing (incremental exports page through one filter).
    filtered: Mutex<Option<FilteredListing>>,
}

impl U8Tenant {
    /// The customers passing `filter`, in server order; computed once per filter, record set
    /// and edit count.
    pub(crate) fn filtered_customers(&self, filter: VersionFilter) -> Arc<Vec<ItemId>> {
        let overlay = self.customers.snapshot();
        let generation = self.data.changes().generation();
        let mut cache = match self.filtered.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(listing) = cache
            .as_ref()
            .filter(|l| l.answers(&filter, &overlay, generation))
        {
            return listing.items.clone();
        }
        let listing = FilteredListing::compute(filter, overlay, &self.data, generation);
        let items = listing.items.clone();
        *cache = Some(listing);
        items
    }
}

/// One YCM client as served.
#[derive(Debug)]
pub(crate) struct YcmClient {
    pub(crate) config: YcmClientConfig,
    pub(crate) data: YcmData,
    pub(crate) customers: Dataset,
}

/// Everything the request handlers share.
#[derive(Debug)]
pub(crate) struct SimState {
    pub(crate) config: SimConfig,
    pub(crate) u8: Vec<U8Tenant>,
    pub(crate) ycm: Vec<YcmClient>,
    /// Who is a copy of whom (the customer links).
    links: Arc<LinkPlan>,
    tokens: Mutex<TokenStore>,
    pub(crate) faults: FaultEngine,
    pub(crate) rate_limit: Option<ClientRateLimit>,
    pub(crate) stats: StatsCollector,
    /// Every change call so far.
    journal: Mutex<ChangeJournal>,
}

impl SimState {
    /// The state for a validated configuration.
    pub(crate) fn new(config: SimConfig) -> Self {
        let seed = config.seed;
        let links = Arc::new(LinkPlan::from_config(&config));
        let u8 = config
            .u8_tenants
            .iter()
            .enumerate()
            .map(|(index, t)| {
                let data = U8Data::new(
                    seed,
                    &t.name,
                    t.customers,
                    t.contacts_per_customer,
                    config.messiness.clone(),
                )
                .with_timestamp_format(config.u8_timestamp_format)
                .with_links(links.clone(), index);
                U8Tenant {
                    customers: Dataset::new(t.customers, U8_MAX_SLOTS),
                    contacts: Dataset::new(data.contact_count(), U8_MAX_SLOTS),
                    filtered: Mutex::new(None),
                    data,
                    config: t.clone(),
                }
            })
            .collect();
        let ycm = config
            .ycm_clients
            .iter()
            .enumerate()
            .map(|(index, c)| YcmClient {
                data: YcmData::new(seed, &c.name, config.messiness.clone())
                    .with_links(links.clone(), index),
                customers: Dataset::new(c.customers, ycm::MAX_SLOTS),
                config: c.clone(),
            })
            .collect();
        Self {
            tokens: Mutex::new(TokenStore::new(seed)),
            faults: FaultEngine::new(seed, config.faults.clone()),
            rate_limit: config
                .faults
                .rate_limit
                .as_ref()
                .and_then(ClientRateLimit::new),
            stats: StatsCollector::default(),
            journal: Mutex::default(),
            u8,
            ycm,
            links,
            config,
        }
    }

    /// The token store.
    pub(crate) fn tokens(&self) -> MutexGuard<'_, TokenStore> {
        match self.tokens.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Unix seconds for YCM's `time` (frozen when configured).
    pub(crate) fn now_unix(&self) -> i64 {
        self.config.frozen_time.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        })
    }

    /// Statistics so far.
    pub(crate) fn stats(&self) -> SimStats {
        let issued = self.tokens().issued();
        self.stats.snapshot(issued)
    }

    /// Counts a page of `dataset` served from `start` (`len` records) and, every K pages,
    /// inserts a record before, or deletes one from, that page. `descending` says the page was
    /// served in descending order, where positions count from the end.
    pub(crate) fn after_page(
        &self,
        dataset: &Dataset,
        salt: &str,
        start: u64,
        len: u64,
        descending: bool,
    ) {
        self.stats.page(len);
        let n = dataset.count_page();
        let Some(every) = self.config.faults.drift_every_pages else {
            return;
        };
        if !n.is_multiple_of(every) {
            return;
        }
        let h = key(self.config.seed, &[hash_str(self.config.seed, salt), n]);
        let insert = h & 1 == 0;
        let mut p = start + (h >> 1) % len.max(1);
        if descending {
            let total = dataset.snapshot().len();
            p = total.saturating_sub(1).saturating_sub(p);
        }
        if dataset.drift(p, insert).is_some() {
            self.stats.drift();
        }
    }

    /// Applies one change call to `tenant`'s `entity` and journals it (see
    /// [`crate::SimHandle::change`]).
    pub(crate) fn change(
        &self,
        tenant: &str,
        entity: Entity,
        request: ChangeRequest,
    ) -> Result<ChangeOutcome, ChangeError> {
        let target =
            self.change_target(tenant, entity)
                .ok_or_else(|| ChangeError::UnknownTenant {
                    tenant: tenant.to_owned(),
                    entity,
                })?;
        // Held while the change applies, so sequence numbers follow the order of the changes.
        let mut journal = self.journal();
        let applied = target.apply(self.config.seed, request);
        Ok(journal.record(tenant, entity, applied))
    }

    /// The net changes of the change calls numbered above `since`.
    pub(crate) fn changes_since(&self, since: u64) -> ChangeSet {
        self.journal().since(since)
    }

    /// The latest change call's sequence number (0 before any).
    pub(crate) fn change_seq(&self) -> u64 {
        self.journal().latest()
    }

    fn journal(&self) -> MutexGuard<'_, ChangeJournal> {
        match self.journal.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The records and revisions a change of `tenant`'s `entity` works on.
    fn change_target(&self, tenant: &str, entity: Entity) -> Option<ChangeTarget<'_>> {
        let seed = self.config.seed;
        // U8 customers keep the salt they had before other entities could change.
        let salt = match entity {
            Entity::U8Customers => hash_str(seed, &format!("{tenant}/change")),
            _ => hash_str(seed, &format!("{tenant}/change/{entity}")),
        };
        let (dataset, revisions) = match entity {
            Entity::U8Customers | Entity::U8Contacts => {
                let t = self.u8.iter().find(|t| t.config.name == tenant)?;
                if entity == Entity::U8Customers {
                    (&t.customers, t.data.changes())
                } else {
                    (&t.contacts, t.data.contact_changes())
                }
            }
            Entity::YcmCustomers => {
                let c = self.ycm.iter().find(|c| c.config.name == tenant)?;
                (&c.customers, c.data.changes())
            }
        };
        Some(ChangeTarget {
            dataset,
            revisions,
            salt,
        })
    }

    /// Counts a page served from a filtered listing. Drift only applies to unfiltered
    /// listings, whose positions it is defined on.
    pub(crate) fn after_filtered_page(&self, dataset: &Dataset, len: u64) {
        self.stats.page(len);
        dataset.count_page();
    }

    /// The records of `tenant`'s `entity` as served now.
    pub(crate) fn entity_set(&self, tenant: &str, entity: Entity) -> Option<EntitySet> {
        let records = match entity {
            Entity::U8Customers | Entity::U8Contacts => {
                let t = self.u8.iter().find(|t| t.config.name == tenant)?;
                let customers = entity == Entity::U8Customers;
                let dataset = if customers { &t.customers } else { &t.contacts };
                collect(dataset, |item, out| {
                    let has_key = if customers {
                        t.data.write_customer(item, out)
                    } else {
                        t.data.write_contact(item, out)
                    };
                    has_key.then(|| item_code(item))
                })
            }
            Entity::YcmCustomers => {
                let c = self.ycm.iter().find(|c| c.config.name == tenant)?;
                collect(&c.customers, |item, out| {
                    c.data
                        .write_customer(item, out)
                        .then(|| ycm::customer_id(item).to_string())
                })
            }
        };
        Some(EntitySet {
            tenant: tenant.to_owned(),
            entity,
            records,
        })
    }

    /// The customer links among the records served now: a link whose record drift deleted is
    /// gone (whether drift or a change call deleted it). Edits touch no name or number, so they
    /// change no link; added records are never linked.
    pub(crate) fn ground_truth_links(&self) -> Vec<GroundTruthLink> {
        let u8_served: Vec<_> = self.u8.iter().map(|t| t.customers.snapshot()).collect();
        let ycm_served: Vec<_> = self.ycm.iter().map(|c| c.customers.snapshot()).collect();
        let seed = self.config.seed;
        let links = self.links.links().into_iter().filter_map(|link| {
            let original = &self.u8[link.tenant];
            if !u8_served[link.tenant].contains(ItemId::Base(link.customer)) {
                return None;
            }
            let company = Company::new(
                seed,
                CompanyId::Base(self.links.u8_company(link.tenant, link.customer)),
            );
            let (right_source, right_tenant, right_customer_id, shared) = match link.copy {
                LinkCopy::Ycm { client, customer } => {
                    let item = ItemId::Base(customer);
                    if !ycm_served[client].contains(item) {
                        return None;
                    }
                    let shared = self.links.ycm_shared(client, customer, company.has_fax());
                    let id = ycm::customer_id(item).to_string();
                    let name = &self.ycm[client].config.name;
                    (SourceKind::YeastarYcm, name, id, shared)
                }
                LinkCopy::U8 { tenant, customer } => {
                    let item = ItemId::Base(customer);
                    if !u8_served[tenant].contains(item) {
                        return None;
                    }
                    let shared = self
                        .links
                        .u8_copy_shared(tenant, customer, company.has_fax());
                    let name = &self.u8[tenant].config.name;
                    (SourceKind::YonyouU8, name, item_code(item), shared)
                }
            };
            Some(GroundTruthLink {
                left_source: SourceKind::YonyouU8,
                left_tenant: original.config.name.clone(),
                left_customer_id: item_code(ItemId::Base(link.customer)),
                right_source,
                right_tenant: right_tenant.clone(),
                right_customer_id,
                shared: shared_keys(shared),
            })
        });
        let ycm_links = self
            .links
            .ycm_overlap_links()
            .into_iter()
            .filter_map(|link| {
                let (left, right) = (ItemId::Base(link.original), ItemId::Base(link.customer));
                if !ycm_served[0].contains(left) || !ycm_served[link.client].contains(right) {
                    return None;
                }
                let company = Company::new(
                    seed,
                    CompanyId::Base(self.links.ycm_company(0, link.original)),
                );
                let shared =
                    self.links
                        .ycm_overlap_shared(link.client, link.customer, company.has_fax());
                Some(GroundTruthLink {
                    left_source: SourceKind::YeastarYcm,
                    left_tenant: self.ycm[0].config.name.clone(),
                    left_customer_id: ycm::customer_id(left).to_string(),
                    right_source: SourceKind::YeastarYcm,
                    right_tenant: self.ycm[link.client].config.name.clone(),
                    right_customer_id: ycm::customer_id(right).to_string(),
                    shared: shared_keys(shared),
                })
            });
        links.chain(ycm_links).collect()
    }

    /// Every entity of every tenant as served now.
    pub(crate) fn ground_truth(&self) -> GroundTruth {
        let mut sets = Vec::new();
        for t in &self.u8 {
            for entity in [Entity::U8Customers, Entity::U8Contacts] {
                sets.extend(self.entity_set(&t.config.name, entity));
            }
        }
        for c in &self.ycm {
            sets.extend(self.entity_set(&c.config.name, Entity::YcmCustomers));
        }
        GroundTruth { sets }
    }
}

/// The keys of `shared`, in [`SharedKey`] order.
fn shared_keys(shared: Shared) -> Vec<SharedKey> {
    [
        (shared.phone, SharedKey::Phone),
        (shared.mobile, SharedKey::Mobile),
        (shared.fax, SharedKey::Fax),
        (shared.email, SharedKey::Email),
        (shared.name, SharedKey::Name),
    ]
    .into_iter()
    .filter_map(|(on, key)| on.then_some(key))
    .collect()
}

fn collect(
    dataset: &Dataset,
    mut write: impl FnMut(ItemId, &mut Vec<u8>) -> Option<String>,
) -> Vec<GroundTruthRecord> {
    let snapshot = dataset.snapshot();
    (0..snapshot.len())
        .filter_map(|p| snapshot.item_at(p))
        .map(|item| {
            let mut out = Vec::new();
            let key = write(item, &mut out);
            GroundTruthRecord {
                key,
                json: String::from_utf8_lossy(&out).into_owned(),
            }
        })
        .collect()
}
