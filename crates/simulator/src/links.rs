//! Which customers of different sources are the same company: the plan behind the
//! `customer_links` ground truth.
//!
//! Two kinds of copies, each a record that describes another source's customer (see
//! `data::company`: it carries the original's company number, so the same phone numbers and
//! name, written its own way):
//!
//! * YCM links: of each YCM client's customers, `link_share` (rounded) are copies of U8
//!   customers, spread over all U8 tenants in proportion to their free customers;
//! * U8 overlap: of each U8 tenant after the first, `u8_overlap_share` (rounded) are copies of
//!   customers of the first tenant;
//! * YCM overlap: of each YCM client after the first, `ycm_overlap_share` (rounded) are copies
//!   of customers of the first client that are not copies of U8 customers.
//!
//! The originals of all kinds are distinct records and no copy is an original, so every
//! company has at most two records and the links are exactly the pairs listed: nothing links
//! transitively. When a side has too few customers, fewer links are made.
//!
//! Every question is answered for one record in a few hash rounds, from either side, without
//! materialising anything: each source orders its customers by a keyed [`Permutation`]; the
//! first ranks of a U8 tenant are its overlap records, the rest are "free" and pooled over all
//! tenants; a second permutation spreads the YCM links over that pool. Inverting the
//! permutations answers "is U8 customer `i` an original, and of which copy?".

use crate::config::SimConfig;
use crate::hash::{Stream, hash_str, key};
use crate::permutation::Permutation;

const K_RANKS: u64 = 0x5241_4E4B;
const K_PICKS: u64 = 0x5049_434B;
const K_SPREAD: u64 = 0x5350_5244;
const K_SHARED: u64 = 0x5348_5244;
const K_YCM_SHARED: u64 = 0x5943_5348;

/// What a U8 customer is, as far as links go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum U8Role {
    /// A customer of this tenant only.
    Own,
    /// The original of customer `copy` of later U8 tenant `tenant`.
    Original { tenant: usize, copy: u64 },
    /// A copy of customer `original` of the first U8 tenant.
    Copy { original: u64 },
    /// The original of customer `customer` of YCM client `client`.
    YcmOriginal { client: usize, customer: u64 },
}

impl U8Role {
    /// Whether the customer is one side of a link.
    pub(crate) fn is_linked(self) -> bool {
        self != U8Role::Own
    }
}

/// The keys a copy was written to share with its original.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Shared {
    /// Company name (YCM `company` present).
    pub(crate) name: bool,
    /// U8 `phone` / YCM `businessNumber`.
    pub(crate) phone: bool,
    /// U8 `mobile` / YCM `mobileNumber`.
    pub(crate) mobile: bool,
    /// U8 `fax` / YCM `faxNumber` (only when the company has a fax).
    pub(crate) fax: bool,
    /// YCM `email` (only between YCM customers: U8 customers have none).
    pub(crate) email: bool,
}

/// What a YCM customer is, as far as links between YCM clients go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum YcmOverlap {
    /// The original of customer `copy` of later YCM client `client`.
    Original { client: usize, copy: u64 },
    /// A copy of customer `original` of the first YCM client.
    Copy { original: u64 },
}

/// One planned link between YCM clients: customer `original` of the first client and its copy,
/// customer `customer` of client `client`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PlannedYcmLink {
    /// The original's index in the first YCM client.
    pub(crate) original: u64,
    /// The copy's YCM client (never the first).
    pub(crate) client: usize,
    /// The copy's index.
    pub(crate) customer: u64,
}

/// One planned link: an original U8 customer and its copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PlannedLink {
    /// The original's U8 tenant (index into the configuration's U8 tenants).
    pub(crate) tenant: usize,
    /// The original's index.
    pub(crate) customer: u64,
    /// The copy.
    pub(crate) copy: LinkCopy,
}

/// Where a copy is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LinkCopy {
    /// Customer `customer` of YCM client `client`.
    Ycm { client: usize, customer: u64 },
    /// Customer `customer` of U8 tenant `tenant`.
    U8 { tenant: usize, customer: u64 },
}

#[derive(Clone, Debug)]
struct U8Plan {
    salt: u64,
    customers: u64,
    /// Orders the tenant's customers; ranks below `overlap` are overlap records (originals in
    /// the first tenant, copies in the others).
    ranks: Permutation,
    overlap: u64,
    /// Later tenants: where their copies' originals start among the first tenant's ranks.
    first_original: u64,
    /// Where the tenant's free customers start in the pool YCM links draw from.
    first_free: u64,
}

impl U8Plan {
    fn free(&self) -> u64 {
        self.customers - self.overlap
    }
}

#[derive(Clone, Debug)]
struct YcmPlan {
    salt: u64,
    customers: u64,
    /// Orders the client's customers; ranks below `links` are copies of U8 customers, the
    /// next `overlap` ranks overlap records (originals in the first client, copies in the
    /// others).
    picks: Permutation,
    links: u64,
    /// Where the client's links start among all YCM links.
    first_link: u64,
    overlap: u64,
    /// Later clients: where their copies' originals start among the first client's overlap
    /// ranks.
    first_original: u64,
}

/// Who is a copy of whom, for one configuration.
#[derive(Clone, Debug)]
pub(crate) struct LinkPlan {
    seed: u64,
    sources: u64,
    u8: Vec<U8Plan>,
    ycm: Vec<YcmPlan>,
    /// Spreads the YCM links over the pool of free U8 customers.
    spread: Permutation,
    ycm_links: u64,
}

/// `share` of `n`, rounded, at most `n`.
fn share_of(share: f64, n: u64) -> u64 {
    ((share * n as f64).round() as u64).min(n)
}

impl LinkPlan {
    /// The plan for U8 tenants and YCM clients given as (name, customers), in configuration
    /// order.
    pub(crate) fn new(
        seed: u64,
        u8: &[(&str, u64)],
        ycm: &[(&str, u64)],
        link_share: f64,
        u8_overlap_share: f64,
        ycm_overlap_share: f64,
    ) -> Self {
        let first_customers = u8.first().map_or(0, |t| t.1);
        let mut originals = 0;
        let mut u8_plans: Vec<U8Plan> = u8
            .iter()
            .enumerate()
            .map(|(t, &(name, customers))| {
                let salt = hash_str(seed, name);
                let (overlap, first_original) = if t == 0 {
                    (0, 0)
                } else {
                    let count =
                        share_of(u8_overlap_share, customers).min(first_customers - originals);
                    originals += count;
                    (count, originals - count)
                };
                U8Plan {
                    salt,
                    customers,
                    ranks: Permutation::new(customers, key(seed, &[salt, K_RANKS])),
                    overlap,
                    first_original,
                    first_free: 0,
                }
            })
            .collect();
        if let Some(first) = u8_plans.first_mut() {
            first.overlap = originals;
        }
        let mut free = 0;
        for plan in &mut u8_plans {
            plan.first_free = free;
            free += plan.free();
        }
        let mut links = 0;
        let mut ycm_plans: Vec<YcmPlan> = ycm
            .iter()
            .map(|&(name, customers)| {
                let salt = hash_str(seed, name);
                let count = share_of(link_share, customers).min(free - links);
                links += count;
                YcmPlan {
                    salt,
                    customers,
                    picks: Permutation::new(customers, key(seed, &[salt, K_PICKS])),
                    links: count,
                    first_link: links - count,
                    overlap: 0,
                    first_original: 0,
                }
            })
            .collect();
        let first_free = ycm_plans.first().map_or(0, |c| c.customers - c.links);
        let mut ycm_originals = 0;
        for plan in ycm_plans.iter_mut().skip(1) {
            let count = share_of(ycm_overlap_share, plan.customers)
                .min(plan.customers - plan.links)
                .min(first_free - ycm_originals);
            plan.overlap = count;
            plan.first_original = ycm_originals;
            ycm_originals += count;
        }
        if let Some(first) = ycm_plans.first_mut() {
            first.overlap = ycm_originals;
        }
        Self {
            seed,
            sources: (u8.len() + ycm.len()).max(1) as u64,
            u8: u8_plans,
            ycm: ycm_plans,
            spread: Permutation::new(free, key(seed, &[K_SPREAD])),
            ycm_links: links,
        }
    }

    /// The plan of a configuration.
    pub(crate) fn from_config(config: &SimConfig) -> Self {
        let u8: Vec<(&str, u64)> = config
            .u8_tenants
            .iter()
            .map(|t| (t.name.as_str(), t.customers))
            .collect();
        let ycm: Vec<(&str, u64)> = config
            .ycm_clients
            .iter()
            .map(|c| (c.name.as_str(), c.customers))
            .collect();
        Self::new(
            config.seed,
            &u8,
            &ycm,
            config.link_share,
            config.u8_overlap_share,
            config.ycm_overlap_share,
        )
    }

    /// The company number of U8 tenant `tenant`'s own customer `customer`.
    pub(crate) fn u8_company(&self, tenant: usize, customer: u64) -> u64 {
        customer * self.sources + tenant as u64
    }

    /// The company number of YCM client `client`'s own customer `customer`.
    pub(crate) fn ycm_company(&self, client: usize, customer: u64) -> u64 {
        customer * self.sources + (self.u8.len() + client) as u64
    }

    /// What customer `customer` of U8 tenant `tenant` is.
    pub(crate) fn u8_role(&self, tenant: usize, customer: u64) -> U8Role {
        let Some(plan) = self.u8.get(tenant) else {
            return U8Role::Own;
        };
        if customer >= plan.customers {
            return U8Role::Own;
        }
        let rank = plan.ranks.invert(customer);
        if rank < plan.overlap {
            if tenant == 0 {
                // The later tenant whose copies' originals hold this rank.
                let later = &self.u8[1..];
                let t = later.partition_point(|p| p.first_original <= rank) - 1;
                let copy = later[t].ranks.apply(rank - later[t].first_original);
                return U8Role::Original {
                    tenant: t + 1,
                    copy,
                };
            }
            let original = self.u8[0].ranks.apply(plan.first_original + rank);
            return U8Role::Copy { original };
        }
        let link = self.spread.invert(plan.first_free + rank - plan.overlap);
        if link >= self.ycm_links {
            return U8Role::Own;
        }
        let client = self.ycm.partition_point(|c| c.first_link <= link) - 1;
        let ycm = &self.ycm[client];
        U8Role::YcmOriginal {
            client,
            customer: ycm.picks.apply(link - ycm.first_link),
        }
    }

    /// The U8 original (tenant, customer) of customer `customer` of YCM client `client`, if it
    /// is a copy.
    pub(crate) fn ycm_original(&self, client: usize, customer: u64) -> Option<(usize, u64)> {
        let plan = self.ycm.get(client)?;
        if customer >= plan.customers {
            return None;
        }
        let pick = plan.picks.invert(customer);
        (pick < plan.links).then(|| self.u8_free(plan.first_link + pick))
    }

    /// What customer `customer` of YCM client `client` is among the links between YCM
    /// clients, if anything.
    pub(crate) fn ycm_overlap(&self, client: usize, customer: u64) -> Option<YcmOverlap> {
        let plan = self.ycm.get(client)?;
        if customer >= plan.customers {
            return None;
        }
        let rank = plan.picks.invert(customer).checked_sub(plan.links)?;
        if rank >= plan.overlap {
            return None;
        }
        if client > 0 {
            let first = &self.ycm[0];
            let original = first.picks.apply(first.links + plan.first_original + rank);
            return Some(YcmOverlap::Copy { original });
        }
        // The later client whose copies' originals hold this rank.
        let later = &self.ycm[1..];
        let k = later.partition_point(|p| p.first_original <= rank) - 1;
        let copy = later[k]
            .picks
            .apply(later[k].links + rank - later[k].first_original);
        Some(YcmOverlap::Original {
            client: k + 1,
            copy,
        })
    }

    /// What YCM client `client`'s copy `customer` of a first client's customer shares with its
    /// original: the e-mail address always, the rest as [`LinkPlan::ycm_shared`] draws it.
    pub(crate) fn ycm_overlap_shared(&self, client: usize, customer: u64, has_fax: bool) -> Shared {
        let salt = self.ycm.get(client).map_or(0, |c| c.salt);
        let mut rng = Stream::new(key(self.seed, &[salt, K_YCM_SHARED, customer]));
        Shared {
            name: rng.below(100) < 85,
            phone: rng.below(100) < 70,
            mobile: rng.below(100) < 65,
            fax: rng.below(100) < 60 && has_fax,
            email: true,
        }
    }

    /// Every planned link between YCM clients, by client and copy.
    pub(crate) fn ycm_overlap_links(&self) -> Vec<PlannedYcmLink> {
        let mut links = Vec::new();
        let Some(first) = self.ycm.first() else {
            return links;
        };
        for (client, plan) in self.ycm.iter().enumerate().skip(1) {
            let start = links.len();
            for rank in 0..plan.overlap {
                links.push(PlannedYcmLink {
                    original: first.picks.apply(first.links + plan.first_original + rank),
                    client,
                    customer: plan.picks.apply(plan.links + rank),
                });
            }
            links[start..].sort_by_key(|l| l.customer);
        }
        links
    }

    /// The U8 customer at position `free` of the pool of free customers.
    fn u8_free(&self, link: u64) -> (usize, u64) {
        let free = self.spread.apply(link);
        let tenant = self.u8.partition_point(|p| p.first_free <= free) - 1;
        let plan = &self.u8[tenant];
        let customer = plan.ranks.apply(plan.overlap + free - plan.first_free);
        (tenant, customer)
    }

    /// What YCM client `client`'s copy `customer` shares with its original; `has_fax` says
    /// whether the company has a fax.
    pub(crate) fn ycm_shared(&self, client: usize, customer: u64, has_fax: bool) -> Shared {
        let salt = self.ycm.get(client).map_or(0, |c| c.salt);
        let mut rng = Stream::new(key(self.seed, &[salt, K_SHARED, customer]));
        let mut shared = Shared {
            name: rng.below(100) < 85,
            phone: rng.below(100) < 70,
            mobile: rng.below(100) < 65,
            fax: rng.below(100) < 60 && has_fax,
            email: false,
        };
        if !(shared.name || shared.phone || shared.mobile) {
            shared.name = true;
        }
        shared
    }

    /// What U8 tenant `tenant`'s copy `customer` shares with its original in the first tenant.
    pub(crate) fn u8_copy_shared(&self, tenant: usize, customer: u64, has_fax: bool) -> Shared {
        let salt = self.u8.get(tenant).map_or(0, |t| t.salt);
        let mut rng = Stream::new(key(self.seed, &[salt, K_SHARED, customer]));
        Shared {
            name: true,
            phone: rng.below(100) < 90,
            mobile: rng.below(100) < 75,
            fax: has_fax,
            email: false,
        }
    }

    /// Every planned link: YCM links by client and customer, then U8 overlap links by tenant
    /// and copy.
    pub(crate) fn links(&self) -> Vec<PlannedLink> {
        let mut links = Vec::with_capacity(self.ycm_links as usize);
        for (client, plan) in self.ycm.iter().enumerate() {
            let start = links.len();
            for pick in 0..plan.links {
                let (tenant, customer) = self.u8_free(plan.first_link + pick);
                links.push(PlannedLink {
                    tenant,
                    customer,
                    copy: LinkCopy::Ycm {
                        client,
                        customer: plan.picks.apply(pick),
                    },
                });
            }
            links[start..].sort_by_key(|l| match l.copy {
                LinkCopy::Ycm { customer, .. } | LinkCopy::U8 { customer, .. } => customer,
            });
        }
        let first = self.u8.first();
        for (tenant, plan) in self.u8.iter().enumerate().skip(1) {
            let Some(first) = first else { break };
            let start = links.len();
            for rank in 0..plan.overlap {
                links.push(PlannedLink {
                    tenant: 0,
                    customer: first.ranks.apply(plan.first_original + rank),
                    copy: LinkCopy::U8 {
                        tenant,
                        customer: plan.ranks.apply(rank),
                    },
                });
            }
            links[start..].sort_by_key(|l| match l.copy {
                LinkCopy::Ycm { customer, .. } | LinkCopy::U8 { customer, .. } => customer,
            });
        }
        links
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> LinkPlan {
        LinkPlan::new(
            7,
            &[("a", 1000), ("b", 600), ("c", 0), ("d", 400)],
            &[("y1", 900), ("y2", 500)],
            0.3,
            0.05,
            0.0,
        )
    }

    #[test]
    fn every_link_is_seen_the_same_way_from_both_sides() {
        let plan = plan();
        let links = plan.links();
        let ycm = links
            .iter()
            .filter(|l| matches!(l.copy, LinkCopy::Ycm { .. }))
            .count();
        assert_eq!(ycm, 270 + 150);
        assert_eq!(links.len() - ycm, 30 + 20);
        let mut originals = std::collections::HashSet::new();
        for link in &links {
            assert!(originals.insert((link.tenant, link.customer)), "{link:?}");
            let role = plan.u8_role(link.tenant, link.customer);
            match link.copy {
                LinkCopy::Ycm { client, customer } => {
                    assert_eq!(role, U8Role::YcmOriginal { client, customer });
                    assert_eq!(
                        plan.ycm_original(client, customer),
                        Some((link.tenant, link.customer))
                    );
                }
                LinkCopy::U8 { tenant, customer } => {
                    assert_eq!(link.tenant, 0);
                    assert_eq!(
                        role,
                        U8Role::Original {
                            tenant,
                            copy: customer
                        }
                    );
                    assert_eq!(
                        plan.u8_role(tenant, customer),
                        U8Role::Copy {
                            original: link.customer
                        }
                    );
                }
            }
        }
        // Everything not listed is nobody's copy or original.
        let u8_linked: usize = [1000, 600, 0, 400]
            .iter()
            .enumerate()
            .map(|(t, &n)| (0..n).filter(|&i| plan.u8_role(t, i).is_linked()).count())
            .sum();
        assert_eq!(u8_linked, links.len() + (links.len() - ycm));
        let ycm_linked: usize = [900u64, 500]
            .iter()
            .enumerate()
            .map(|(k, &n)| {
                (0..n)
                    .filter(|&j| plan.ycm_original(k, j).is_some())
                    .count()
            })
            .sum();
        assert_eq!(ycm_linked, ycm);
        // Links reach every U8 tenant with customers.
        for tenant in [0, 1, 3] {
            assert!(
                links
                    .iter()
                    .any(|l| l.tenant == tenant && matches!(l.copy, LinkCopy::Ycm { .. }))
            );
        }
    }

    #[test]
    fn too_few_u8_customers_make_fewer_links() {
        let plan = LinkPlan::new(1, &[("a", 10)], &[("y", 100)], 1.0, 0.0, 0.0);
        assert_eq!(plan.links().len(), 10);
        let none = LinkPlan::new(1, &[], &[("y", 100)], 0.5, 0.5, 0.5);
        assert!(none.links().is_empty());
        assert_eq!(none.ycm_original(0, 3), None);
    }

    #[test]
    fn ycm_overlap_links_are_seen_the_same_way_from_both_sides() {
        let clients = [("y1", 1000u64), ("y2", 500), ("y3", 0), ("y4", 2000)];
        let plan = LinkPlan::new(3, &[("a", 400)], &clients, 0.3, 0.0, 0.2);
        let links = plan.ycm_overlap_links();
        // y2: 100, y4: 400 (y1 has 700 customers that are no U8 copies).
        assert_eq!(links.len(), 100 + 400);
        let mut originals = std::collections::HashSet::new();
        for l in &links {
            assert!(originals.insert(l.original), "{l:?}");
            assert_eq!(plan.ycm_original(0, l.original), None);
            assert_eq!(plan.ycm_original(l.client, l.customer), None);
            assert_eq!(
                plan.ycm_overlap(0, l.original),
                Some(YcmOverlap::Original {
                    client: l.client,
                    copy: l.customer
                })
            );
            assert_eq!(
                plan.ycm_overlap(l.client, l.customer),
                Some(YcmOverlap::Copy {
                    original: l.original
                })
            );
        }
        let linked: usize = clients
            .iter()
            .enumerate()
            .map(|(k, &(_, n))| (0..n).filter(|&j| plan.ycm_overlap(k, j).is_some()).count())
            .sum();
        assert_eq!(linked, 2 * links.len());
        // Too few originals: the first client's 700 free customers run out.
        let short = LinkPlan::new(3, &[("a", 400)], &clients, 0.3, 0.0, 1.0);
        assert_eq!(short.ycm_overlap_links().len(), 400 + 300);
    }
}
