//! Yeastar YCM customers of one API client.
//!
//! Half are Western (names, cities and streets from the `fake` en lists), half Chinese (written in
//! characters or in pinyin, as YCM users type them). Fields are sparse: each optional field is
//! present only with some probability, as in the vendor's own example. `customerId` is a Long:
//! original records sit 8 apart so drift can insert records between them in id order.

use super::ItemId;
use super::messy::{MessyRecord, Vendor};
use super::people::{
    en_person, mailbox, zh_address, zh_city, zh_company, zh_landline, zh_mobile, zh_zip,
};
use super::words::{
    EN_COMPANY_SUFFIXES, EN_MAIL_DOMAINS, EN_STREET_SUFFIXES, WESTERN_CITIES, ZH_GIVEN_NAMES,
    ZH_MEMOS, ZH_SURNAMES,
};
use crate::config::MessinessConfig;
use crate::hash::{Stream, hash_str, key};

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
}

impl YcmData {
    /// The generator of client `client`.
    pub(crate) fn new(seed: u64, client: &str, mess: MessinessConfig) -> Self {
        Self {
            seed,
            salt: hash_str(seed, client),
            mess,
        }
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
        let mut rec = MessyRecord::begin(out, &self.mess, self.key(K_MESS, item));
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
            company,
            email,
            business,
            mobile,
            home,
            fax,
            zip,
            street,
            city,
            state,
            country,
            remark,
        ] = present;
        if rng.below(2) == 0 {
            let (first_name, last_name) = en_person(&mut rng);
            let (c_city, c_state, c_country, c_zip) = rng.pick(WESTERN_CITIES);
            if first {
                rec.free_text("firstName", first_name);
            }
            if last {
                rec.free_text("lastName", last_name);
            }
            if company {
                let company_last = rng.pick(super::words::EN_LAST_NAMES);
                let suffix = rng.pick(EN_COMPANY_SUFFIXES);
                rec.free_text("company", &format!("{company_last} {suffix}"));
            }
            if email {
                let domain = rng.pick(EN_MAIL_DOMAINS);
                let mail = format!("{}.{}@{domain}", first_name, last_name)
                    .to_lowercase()
                    .replace('\'', "");
                rec.text("email", &mail);
            }
            let phone = |rng: &mut Stream| {
                let mut s = String::from("+1-");
                rng.push_digits(&mut s, 3);
                s.push('-');
                rng.push_digits(&mut s, 3);
                s.push('-');
                rng.push_digits(&mut s, 4);
                s
            };
            if business {
                rec.text("businessNumber", &phone(&mut rng));
            }
            if mobile {
                let mut m = String::new();
                m.push(char::from(b'2' + rng.below(8) as u8));
                rng.push_digits(&mut m, 9);
                rec.digits("mobileNumber", &m);
            }
            if home {
                rec.text("homeNumber", &phone(&mut rng));
            }
            if fax {
                rec.text("faxNumber", &phone(&mut rng));
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
            let c = zh_city(&mut rng);
            let pinyin = rng.below(2) == 0;
            let surname = rng.pick(ZH_SURNAMES);
            let given = rng.pick(ZH_GIVEN_NAMES);
            if first {
                rec.free_text("firstName", given);
            }
            if last {
                rec.free_text("lastName", surname);
            }
            let co = zh_company(&mut rng, c);
            if company {
                rec.free_text("company", &co.name);
            }
            if email {
                rec.text(
                    "email",
                    &mailbox(&mut rng, &["qq.com", "163.com", "example.cn"]),
                );
            }
            if business {
                rec.text("businessNumber", &zh_landline(&mut rng, c));
            }
            if mobile {
                rec.digits("mobileNumber", &zh_mobile(&mut rng));
            }
            if home {
                rec.text("homeNumber", &zh_landline(&mut rng, c));
            }
            if fax {
                rec.text("faxNumber", &zh_landline(&mut rng, c));
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
        if remark {
            rec.free_text("remark", rng.pick(ZH_MEMOS));
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
