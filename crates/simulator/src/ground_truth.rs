//! Ground truth: exactly which records the simulator serves, per tenant and entity, and which
//! customers of different sources are the same company.
//!
//! Tests compare an export against this to prove that nothing was lost and nothing duplicated.
//! Each record comes with its key (as a client would read it) and the exact JSON text it is
//! served as, byte for byte the text inside the pages. [`GroundTruthLink`]s are the pairs a
//! `customer_links` dataset should find, with the match keys each pair was written to share,
//! so its precision and recall can be measured per key.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One entity a tenant serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    /// U8 customer/batch_get.
    U8Customers,
    /// U8 customercontacts/batch_get.
    U8Contacts,
    /// YCM /v1/customers.
    YcmCustomers,
}

impl Entity {
    /// `u8_customers`, `u8_contacts` or `ycm_customers` (also the admin endpoint's path part).
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::U8Customers => "u8_customers",
            Entity::U8Contacts => "u8_contacts",
            Entity::YcmCustomers => "ycm_customers",
        }
    }

    /// Parses [`Entity::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        [
            Entity::U8Customers,
            Entity::U8Contacts,
            Entity::YcmCustomers,
        ]
        .into_iter()
        .find(|e| e.as_str() == text)
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One served record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroundTruthRecord {
    /// The key as a client reads it (U8 `code`, YCM `customerId` in decimal), or `None` for the
    /// rare record served without its key field (a client must reject it).
    pub key: Option<String>,
    /// The record's exact JSON text as it appears in the pages.
    pub json: String,
}

/// The records of one tenant's entity, in the order the server pages them (U8 by code, YCM by
/// ascending customerId).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntitySet {
    /// The configured tenant (U8) or client (YCM) name.
    pub tenant: String,
    /// Which entity.
    pub entity: Entity,
    /// The records.
    pub records: Vec<GroundTruthRecord>,
}

impl EntitySet {
    /// The keys of the records that have one, in server order.
    pub fn keys(&self) -> Vec<&str> {
        self.records
            .iter()
            .filter_map(|r| r.key.as_deref())
            .collect()
    }
}

/// Every entity of every tenant, as served at the moment it was taken.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GroundTruth {
    /// One set per tenant and entity.
    pub sets: Vec<EntitySet>,
}

impl GroundTruth {
    /// The set of `tenant`'s `entity`, if that tenant serves it.
    pub fn get(&self, tenant: &str, entity: Entity) -> Option<&EntitySet> {
        self.sets
            .iter()
            .find(|s| s.tenant == tenant && s.entity == entity)
    }
}

/// A vendor, named as the product names its sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// Yonyou U8 (`yonyou_u8`).
    YonyouU8,
    /// Yeastar YCM (`yeastar_ycm`).
    YeastarYcm,
}

/// A match key two linked customers were written to share: equal after normalisation, however
/// differently each record writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SharedKey {
    /// The phone: U8 `phone`, YCM `businessNumber` (E.164 after parsing; U8 in region CN, YCM
    /// without a default region).
    Phone,
    /// The mobile: U8 `mobile`, YCM `mobileNumber`.
    Mobile,
    /// The fax: U8 `fax`, YCM `faxNumber`.
    Fax,
    /// The e-mail address: YCM `email`. Only links between YCM clients list it (see
    /// `SimConfig::ycm_overlap_share`): U8 customers have no e-mail field (the product maps U8
    /// customers' `email` to nothing).
    Email,
    /// The company name: U8 `name`, YCM `company` (its match key: NFKC, case, punctuation and
    /// spaces, legal form).
    Name,
}

/// Two customers of different sources that are the same company: a U8 customer (the original)
/// and its copy in a YCM client or a later U8 tenant, or a customer of the first YCM client and
/// its copy in a later YCM client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroundTruthLink {
    /// The original's vendor: [`SourceKind::YonyouU8`], or [`SourceKind::YeastarYcm`] for
    /// links between YCM clients.
    pub left_source: SourceKind,
    /// The original's U8 tenant or (first) YCM client name.
    pub left_tenant: String,
    /// The original's U8 `code`, as the product maps it to `customer_id`, or its YCM
    /// `customerId` in decimal.
    pub left_customer_id: String,
    /// The copy's vendor.
    pub right_source: SourceKind,
    /// The copy's YCM client or U8 tenant name.
    pub right_tenant: String,
    /// The copy's YCM `customerId` in decimal, or its U8 `code`.
    pub right_customer_id: String,
    /// The keys the two records share, in the order of [`SharedKey`]; never empty.
    pub shared: Vec<SharedKey>,
}
