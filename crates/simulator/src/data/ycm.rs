//! Yeastar YCM customers of one API client.
//!
//! Copies of U8 customers (`crate::links`) are Chinese companies with the U8 customer's name,
//! city and numbers, written as a YCM user types them (country code in front, legal form
//! dropped, brackets and spaces of their own), and only the fields their link shares. Copies of
//! the first client's customers (and those originals) are Chinese companies too, always with
//! the e-mail address (the original's as it is, the copy's written differently). Of the other
//! customers half are Western (names, cities and streets from the `fake` en lists), half
//! Chinese (written in characters or in pinyin, as YCM users type them), each its own company
//! (`data::company`). Fields are sparse: each optional field is present only with some
//! probability, as in the vendor's own example. `customerId` is a Long: original records sit 8
//! apart so drift can insert records between them in id order.

use std::sync::Arc;

use super::ItemId;
use super::company::{Company, CompanyId};
use super::messy::{MessyRecord, Vendor};
use super::people::{en_person, zh_address, zh_zip};
use super::phones::LineRole;
use super::words::{EN_STREET_SUFFIXES, WESTERN_CITIES, ZH_GIVEN_NAMES, ZH_MEMOS, ZH_SURNAMES};
use crate::changes::{ChangeLog, edit_note};
use crate::config::MessinessConfig;
use crate::hash::{Stream, hash_str, key};
use crate::links::{LinkPlan, YcmOverlap};

/// customerId of the first original record (the vendor example's first id).
pub(crate) const FIRST_ID: u64 = 50_086_120;
/// Distance between original ids; inserted records take the ids in between.
pub(crate) const ID_STRIDE: u64 = 8;
/// Records drift may insert between two original ids.
pub(crate) const MAX_SLOTS: u16 = (ID_STRIDE - 1) as u16;

const K_FIELDS: u64 = 1;
const K_MESS: u64 = 2;
const K_INSERTED: u64 = 1 << 32;

/// The customerId of `item`.
pub(crate) fn customer_id(item: ItemId) -> u64 {
    match item {
        ItemId::Base(i) => FIRST_ID + i * ID_STRIDE,
        ItemId::Inserted { before, slot } => {
            FIRST_ID - ID_STRIDE + before * ID_STRIDE + u64::from(slot)
        }
    }
}

/// The item a customerId names, if it is one [`customer_id`] produces.
pub(crate) fn parse_customer_id(id: i64) -> Option<ItemId> {
    let id = u64::try_from(id).ok()?;
    let offset = id.checked_sub(FIRST_ID - ID_STRIDE)?;
    let (q, r) = (offset / ID_STRIDE, offset % ID_STRIDE);
    if r == 0 {
        Some(ItemId::Base(q.checked_sub(1)?))
    } else {
        Some(ItemId::Inserted {
            before: q,
            slot: r as u16,
        })
    }
}

/// Generates one YCM client's customers.
#[derive(Clone, Debug)]
pub(crate) struct YcmData {
    seed: u64,
    salt: u64,
    mess: MessinessConfig,
    /// Who is a copy of whom across the configuration's sources.
    links: Arc<LinkPlan>,
    /// This client's index among the configuration's YCM clients.
    client: usize,
    /// Customers edited or added since the server started (`SimHandle::change`).
    changes: Arc<ChangeLog>,
}

/// An e-mail address as a YCM user typed it: the domain's case varies, spaces creep in (the
/// local part stays as it is: it is case-sensitive).
fn written_email(rng: &mut Stream, email: &str) -> String {
    let (local, domain) = email.split_once('@').unwrap_or((email, ""));
    match rng.below(100) {
        0..85 => email.to_owned(),
        85..90 => format!("{local}@{}", domain.to_uppercase()),
        90..95 => {
            let mut chars = domain.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            format!(
                "{local}@{}{}",
                first.map(String::from).unwrap_or_default(),
                chars.as_str()
            )
        }
        95..98 => format!(" {email}"),
        _ => format!("{email} "),
    }
}

/// An e-mail address written differently from `email` (whose domain is lower case), to the same
/// normalised address: domain in upper case or capitalised, or spaces around it.
fn varied_email(rng: &mut Stream, email: &str) -> String {
    let (local, domain) = email.split_once('@').unwrap_or((email, ""));
    match rng.below(5) {
        0 => format!("{local}@{}", domain.to_uppercase()),
        1 => {
            let mut chars = domain.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            format!(
                "{local}@{}{}",
                first.map(String::from).unwrap_or_default(),
                chars.as_str()
            )
        }
        2 => format!(" {email}"),
        3 => format!("{email} "),
        _ => format!(" {local}@{} ", domain.to_uppercase()),
    }
}

/// A North American number, `+1-NPA-NXX-XXXX` with `sep` between the groups. Its area code
/// starts 2, 4, 6 or 7, so its digits (`12…`, `14…`, `16…`, `17…`, eleven of them) never equal
/// a Chinese customer number's, however a crude matcher strips prefixes: customers' mobiles
/// start 13, 15, 18 or 19, and landlines without their trunk 0 have ten digits or start 2-9.
fn western_number(rng: &mut Stream, sep: &str) -> String {
    let mut s = format!("+1{sep}");
    s.push(char::from(rng.pick(b"2467")));
    rng.push_digits(&mut s, 2);
    s.push_str(sep);
    s.push(char::from(b'2' + rng.below(8) as u8));
    rng.push_digits(&mut s, 2);
    s.push_str(sep);
    rng.push_digits(&mut s, 4);
    s
}

impl YcmData {
    /// The generator of client `client`, alone (no other source, no links) until
    /// [`YcmData::with_links`].
    pub(crate) fn new(seed: u64, client: &str, mess: MessinessConfig) -> Self {
        Self {
            seed,
            salt: hash_str(seed, client),
            mess,
            links: Arc::new(LinkPlan::new(seed, &[], &[(client, 0)], 0.0, 0.0, 0.0)),
            client: 0,
            changes: Arc::default(),
        }
    }

    /// The edits applied to this client's customers.
    pub(crate) fn changes(&self) -> &ChangeLog {
        &self.changes
    }

    /// The same generator as YCM client number `client` of the configuration `links` plans.
    pub(crate) fn with_links(mut self, links: Arc<LinkPlan>, client: usize) -> Self {
        self.links = links;
        self.client = client;
        self
    }

    fn key(&self, kind: u64, item: ItemId) -> u64 {
        let [a, b] = item.stream_parts();
        let kind = if matches!(item, ItemId::Inserted { .. }) {
            kind | K_INSERTED
        } else {
            kind
        };
        key(self.seed, &[self.salt, kind, a, b])
    }

    /// Writes customer `item`; returns whether its key field (`customerId`) was written.
    pub(crate) fn write_customer(&self, item: ItemId, out: &mut Vec<u8>) -> bool {
        let mut rng = Stream::new(self.key(K_FIELDS, item));
        let original = match item {
            ItemId::Base(j) => self.links.ycm_original(self.client, j),
            ItemId::Inserted { .. } => None,
        };
        let overlap = match item {
            ItemId::Base(j) if original.is_none() => self.links.ycm_overlap(self.client, j),
            _ => None,
        };
        let mut rec = MessyRecord::begin(out, &self.mess, self.key(K_MESS, item));
        rec.protect(original.is_some() || overlap.is_some());
        let has_key = rec.key_number("customerId", customer_id(item));
        // Which optional fields this customer has (sparse, as the vendor sends them).
        let mut has = |p: u64| rng.below(100) < p;
        let present = [
            has(95),
            has(90),
            has(80),
            has(80),
            has(50),
            has(60),
            has(15),
            has(15),
            has(40),
            has(35),
            has(50),
            has(45),
            has(50),
            has(10),
        ];
        let [
            first,
            last,
            mut company,
            mut email,
            mut business,
            mut mobile,
            home,
            mut fax,
            zip,
            street,
            city,
            state,
            country,
            remark,
        ] = present;
        let western = rng.below(2) == 0 && original.is_none() && overlap.is_none();
        let firm = match (item, original) {
            (ItemId::Base(j), Some((tenant, customer))) => {
                let firm = Company::new(
                    self.seed,
                    CompanyId::Base(self.links.u8_company(tenant, customer)),
                );
                // A copy has exactly the fields its link shares.
                let shared = self.links.ycm_shared(self.client, j, firm.has_fax());
                (company, business, mobile, fax) =
                    (shared.name, shared.phone, shared.mobile, shared.fax);
                firm
            }
            (ItemId::Base(j), None) => match overlap {
                Some(YcmOverlap::Copy { original }) => {
                    let firm = Company::new(
                        self.seed,
                        CompanyId::Base(self.links.ycm_company(0, original)),
                    );
                    let shared = self
                        .links
                        .ycm_overlap_shared(self.client, j, firm.has_fax());
                    (company, business, mobile, fax, email) =
                        (shared.name, shared.phone, shared.mobile, shared.fax, true);
                    firm
                }
                _ => {
                    let firm = Company::new(
                        self.seed,
                        CompanyId::Base(self.links.ycm_company(self.client, j)),
                    );
                    if overlap.is_some() {
                        // An original has every field a copy may share.
                        (company, business, mobile, fax, email) =
                            (true, true, true, firm.has_fax(), true);
                    }
                    firm
                }
            },
            (ItemId::Inserted { .. }, _) => {
                Company::new(self.seed, CompanyId::Inserted(rng.next_u64()))
            }
        };
        if western {
            let (first_name, last_name) = en_person(&mut rng);
            let (c_city, c_state, c_country, c_zip) = rng.pick(WESTERN_CITIES);
            if first {
                rec.free_text("firstName", first_name);
            }
            if last {
                rec.free_text("lastName", last_name);
            }
            if company {
                rec.match_free_text("company", &firm.en_name());
            }
            if email {
                let mail = firm.en_email(first_name, last_name);
                rec.text("email", &written_email(&mut rng, &mail));
            }
            if business {
                rec.text("businessNumber", &western_number(&mut rng, "-"));
            }
            if mobile {
                rec.text("mobileNumber", &western_number(&mut rng, ""));
            }
            if home {
                rec.text("homeNumber", &western_number(&mut rng, "-"));
            }
            if fax {
                rec.text("faxNumber", &western_number(&mut rng, "-"));
            }
            if zip {
                let mut z = String::from(c_zip);
                if c_zip.bytes().all(|b| b.is_ascii_digit()) {
                    rng.push_digits(&mut z, 5usize.saturating_sub(c_zip.len()));
                } else {
                    z.push(' ');
                    rng.push_digits(&mut z, 1);
                    rng.push_letters(&mut z, 2);
                    z = z.to_uppercase();
                }
                rec.digits("zipCode", &z);
            }
            if street {
                let n = rng.range(1, 9999);
                let name = rng.pick(super::words::EN_LAST_NAMES);
                let suffix = rng.pick(EN_STREET_SUFFIXES);
                rec.free_text("street", &format!("{n} {name} {suffix}"));
            }
            if city {
                rec.text("city", c_city);
            }
            if state {
                rec.text("state", c_state);
            }
            if country {
                rec.text("country", c_country);
            }
        } else {
            let c = firm.city();
            let pinyin = rng.below(2) == 0;
            let surname = rng.pick(ZH_SURNAMES);
            let given = rng.pick(ZH_GIVEN_NAMES);
            if first {
                rec.free_text("firstName", given);
            }
            if last {
                rec.free_text("lastName", surname);
            }
            if company {
                rec.match_free_text("company", &firm.name().written(&mut rng));
            }
            if email {
                match overlap {
                    Some(YcmOverlap::Original { .. }) => rec.match_text("email", &firm.zh_email()),
                    Some(YcmOverlap::Copy { .. }) => {
                        rec.match_text("email", &varied_email(&mut rng, &firm.zh_email()));
                    }
                    None => rec.text("email", &written_email(&mut rng, &firm.zh_email())),
                }
            }
            if business {
                let line = firm.landline(LineRole::Phone).ycm_written(&mut rng);
                rec.match_text("businessNumber", &line);
            }
            if mobile {
                rec.match_digits("mobileNumber", &firm.mobile().ycm_written(&mut rng));
            }
            if home {
                let line = firm.landline(LineRole::Home).ycm_written(&mut rng);
                rec.text("homeNumber", &line);
            }
            if fax {
                let line = firm.landline(LineRole::Fax).ycm_written(&mut rng);
                rec.match_text("faxNumber", &line);
            }
            if zip {
                rec.digits("zipCode", &zh_zip(&mut rng, c));
            }
            if street {
                rec.free_text("street", &zh_address(&mut rng, c));
            }
            if city {
                rec.text("city", if pinyin { c.pinyin } else { c.city });
            }
            if state {
                rec.text(
                    "state",
                    if pinyin {
                        c.province_pinyin
                    } else {
                        c.province
                    },
                );
            }
            if country {
                rec.text("country", if pinyin { "China" } else { "中国" });
            }
        }
        // An edit shows in `remark`, always written so the record visibly changes.
        match self.changes.get(item) {
            Some(r) if r.number > 0 => rec.edited_text("remark", &edit_note(r.number)),
            _ if remark => rec.free_text("remark", rng.pick(ZH_MEMOS)),
            _ => {}
        }
        rec.extras(Vendor::Ycm);
        rec.end();
        has_key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for item in [
            ItemId::Base(0),
            ItemId::Base(7),
            ItemId::Inserted { before: 0, slot: 1 },
            ItemId::Inserted { before: 3, slot: 7 },
        ] {
            assert_eq!(parse_customer_id(customer_id(item) as i64), Some(item));
        }
        assert_eq!(customer_id(ItemId::Base(0)), 50_086_120);
        assert!(
            customer_id(ItemId::Inserted { before: 1, slot: 1 }) > customer_id(ItemId::Base(0))
        );
        assert!(
            customer_id(ItemId::Inserted { before: 1, slot: 7 }) < customer_id(ItemId::Base(1))
        );
        assert_eq!(parse_customer_id(-5), None);
        assert_eq!(parse_customer_id(1), None);
    }

    #[test]
    fn records_are_valid_sparse_json() {
        let d = YcmData::new(1, "c", MessinessConfig::heavy());
        for i in 0..200 {
            let mut out = Vec::new();
            d.write_customer(ItemId::Base(i), &mut out);
            let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
            assert!(v.is_object());
        }
    }
}
