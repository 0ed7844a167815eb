//! Yonyou U8 customers and customer contacts of one tenant.
//!
//! Customers carry realistic Chinese company data; contacts belong to customers through
//! `ccuscode`/`ccusname` (contact `j` of customer `i` is contact number `i * per_customer + j`),
//! the first contact of a customer is its main and default contact and is also the customer's
//! `contact`, later contacts report to the first (`direct_leader`), and the contact's person in
//! charge is the customer's salesperson (`spec_operator`).
//!
//! A customer's name, city and numbers are its company's (`data::company`). A customer that is
//! a copy of the first tenant's customer (U8 overlap, `crate::links`) shows the original's
//! company under a name written its own way; a customer on either side of a link is protected
//! from messiness that would hide what the two records share (`data::messy`).

use std::sync::Arc;

use super::company::{Company, CompanyId};
use super::dates::DateTime;
use super::messy::{MessyRecord, Vendor, unicode_edge};
use super::people::{mailbox, zh_address, zh_city, zh_person};
use super::phones::{Landline, Mobile};
use super::phones::{LineRole, contact_landline, contact_mobile};
use super::words::{
    ZH_BANKS, ZH_CITIES, ZH_CURRENCIES, ZH_CUSTOM_VALUES, ZH_HOBBIES, ZH_INDUSTRIES,
    ZH_MAIL_DOMAINS, ZH_MANAGEMENT_TYPES, ZH_MEMOS, ZH_POSITIONS, ZH_SORT_CODES, ZH_TITLES,
};
use super::{ItemId, item_code};
use crate::changes::{ChangeLog, edit_note};
use crate::config::{MessinessConfig, U8TimestampFormat};
use crate::hash::{Stream, hash_str, key};
use crate::links::{LinkPlan, U8Role};

/// Salespeople per tenant (专管业务员 / 负责人).
const OPERATORS: u64 = 40;

// Stream kinds: each part of a record draws from its own stream.
const K_COMPANY: u64 = 1;
const K_COMPANY_MESS: u64 = 2;
const K_CUSTOMER: u64 = 3;
const K_CUSTOMER_FIELDS: u64 = 4;
const K_PERSON: u64 = 5;
const K_OPERATOR: u64 = 6;
const K_OPERATOR_OF: u64 = 7;
const K_CONTACT: u64 = 8;
const K_CONTACT_FIELDS: u64 = 9;
const K_INSERTED_OWNER: u64 = 10;
const K_INSERTED: u64 = 1 << 32;

/// Generates one U8 tenant's records.
#[derive(Clone, Debug)]
pub(crate) struct U8Data {
    seed: u64,
    salt: u64,
    mess: MessinessConfig,
    customers: u64,
    contacts_per_customer: u32,
    /// Customers edited or added since the server started (`SimHandle::change`).
    changes: Arc<ChangeLog>,
    /// Contacts edited or added since the server started.
    contact_changes: Arc<ChangeLog>,
    /// How `timestamp` is written.
    timestamp_format: U8TimestampFormat,
    /// Who is a copy of whom across the configuration's sources.
    links: Arc<LinkPlan>,
    /// This tenant's index among the configuration's U8 tenants.
    tenant: usize,
}

/// A customer's company as its record shows it.
struct CustomerCompany {
    company: Company,
    role: U8Role,
    /// The name exactly as the customer (and its contacts' `ccusname`) carries it.
    name: String,
    short: String,
}

impl U8Data {
    /// The generator of tenant `tenant` with `customers` original customers, alone (no
    /// other source, no links) until [`U8Data::with_links`].
    pub(crate) fn new(
        seed: u64,
        tenant: &str,
        customers: u64,
        contacts_per_customer: u32,
        mess: MessinessConfig,
    ) -> Self {
        Self {
            seed,
            salt: hash_str(seed, tenant),
            mess,
            customers,
            contacts_per_customer,
            changes: Arc::default(),
            contact_changes: Arc::default(),
            timestamp_format: U8TimestampFormat::default(),
            links: Arc::new(LinkPlan::new(
                seed,
                &[(tenant, customers)],
                &[],
                0.0,
                0.0,
                0.0,
            )),
            tenant: 0,
        }
    }

    /// The same generator as U8 tenant number `tenant` of the configuration `links` plans.
    pub(crate) fn with_links(mut self, links: Arc<LinkPlan>, tenant: usize) -> Self {
        self.links = links;
        self.tenant = tenant;
        self
    }

    /// The same generator writing `timestamp` in `format`.
    pub(crate) fn with_timestamp_format(mut self, format: U8TimestampFormat) -> Self {
        self.timestamp_format = format;
        self
    }

    /// The edits applied to this tenant's customers.
    pub(crate) fn changes(&self) -> &ChangeLog {
        &self.changes
    }

    /// The edits applied to this tenant's contacts.
    pub(crate) fn contact_changes(&self) -> &ChangeLog {
        &self.contact_changes
    }

    /// Bounds of an unedited original customer's row version, known without generating it:
    /// `1_000_000 + 8 i + (0..8)`.
    pub(crate) fn base_version_bounds(&self, item: ItemId) -> Option<(i64, i64)> {
        match item {
            ItemId::Base(i) if self.changes.get(item).is_none() => {
                let low = 1_000_000 + i as i64 * 8;
                Some((low, low + 7))
            }
            _ => None,
        }
    }

    /// The customer's (`ModifyDate`, `timestamp`) as served, generating it into `scratch`.
    pub(crate) fn customer_version(&self, item: ItemId, scratch: &mut Vec<u8>) -> (DateTime, i64) {
        scratch.clear();
        let (_, modified, version) = self.write_customer_versioned(item, scratch);
        (modified, version)
    }

    /// Original number of contacts.
    pub(crate) fn contact_count(&self) -> u64 {
        self.customers * u64::from(self.contacts_per_customer)
    }

    fn stream(&self, kind: u64, item: ItemId) -> Stream {
        let [a, b] = item.stream_parts();
        let kind = if matches!(item, ItemId::Inserted { .. }) {
            kind | K_INSERTED
        } else {
            kind
        };
        Stream::new(key(self.seed, &[self.salt, kind, a, b]))
    }

    fn stream2(&self, kind: u64, a: u64, b: u64) -> Stream {
        Stream::new(key(self.seed, &[self.salt, kind, a, b]))
    }

    /// The customer's company and the name its record carries; the name may carry a Unicode
    /// edge case, decided here so contacts repeat exactly the same `ccusname`.
    fn company(&self, customer: ItemId) -> CustomerCompany {
        let mut rng = self.stream(K_COMPANY, customer);
        let (id, role) = match customer {
            ItemId::Base(i) => {
                let role = self.links.u8_role(self.tenant, i);
                let number = match role {
                    U8Role::Copy { original } => self.links.u8_company(0, original),
                    _ => self.links.u8_company(self.tenant, i),
                };
                (CompanyId::Base(number), role)
            }
            ItemId::Inserted { .. } => (CompanyId::Inserted(rng.next_u64()), U8Role::Own),
        };
        let company = Company::new(self.seed, id);
        let parts = company.name();
        let mut name = match role {
            U8Role::Copy { .. } => parts.written(&mut rng),
            _ => parts.registered(),
        };
        let mut mess = self.stream(K_COMPANY_MESS, customer);
        if mess.chance(self.mess.unicode_edge_rate) {
            name = unicode_edge(&mut mess, &name, role.is_linked());
        }
        CustomerCompany {
            company,
            role,
            name,
            short: parts.short(),
        }
    }

    /// The customer's (phone, fax, mobile). A copy lists the original's numbers, except those
    /// its link does not share, which are its own company's.
    fn numbers(&self, item: ItemId, cc: &CustomerCompany) -> (Landline, Option<Landline>, Mobile) {
        let company = &cc.company;
        let fax = company.has_fax().then(|| company.landline(LineRole::Fax));
        match (item, cc.role) {
            (ItemId::Base(i), U8Role::Copy { .. }) => {
                let shared = self.links.u8_copy_shared(self.tenant, i, company.has_fax());
                let own = Company::new(
                    self.seed,
                    CompanyId::Base(self.links.u8_company(self.tenant, i)),
                );
                let phone = if shared.phone { company } else { &own };
                let mobile = if shared.mobile { company } else { &own };
                (phone.landline(LineRole::Phone), fax, mobile.mobile())
            }
            _ => (company.landline(LineRole::Phone), fax, company.mobile()),
        }
    }

    /// Salesperson `k`: code and name.
    fn operator(&self, k: u64) -> (String, String) {
        let mut rng = self.stream2(K_OPERATOR, k, 0);
        (format!("{:05}", k + 1), zh_person(&mut rng))
    }

    fn operator_of(&self, customer: ItemId) -> (String, String) {
        let k = self.stream(K_OPERATOR_OF, customer).below(OPERATORS);
        self.operator(k)
    }

    /// Contact `j` of `customer`: the person's name.
    fn person(&self, customer: ItemId, j: u64) -> String {
        let [a, b] = customer.stream_parts();
        let mut rng = Stream::new(key(self.seed, &[self.salt, K_PERSON, a, b, j]));
        zh_person(&mut rng)
    }

    /// Writes customer `item`; returns whether its key field (`code`) was written.
    pub(crate) fn write_customer(&self, item: ItemId, out: &mut Vec<u8>) -> bool {
        self.write_customer_versioned(item, out).0
    }

    /// Writes customer `item`; returns whether its key was written, and its true `ModifyDate`
    /// and `timestamp` (what filters compare, whatever messiness did to the text).
    fn write_customer_versioned(&self, item: ItemId, out: &mut Vec<u8>) -> (bool, DateTime, i64) {
        let revision = self.changes.get(item);
        let cc = self.company(item);
        let city = cc.company.city();
        let (phone, fax, mobile) = self.numbers(item, &cc);
        let mut rng = self.stream(K_CUSTOMER_FIELDS, item);
        let [a, b] = item.stream_parts();
        let mess_key = key(self.seed, &[self.salt, K_CUSTOMER, a, b]);
        let mut rec = MessyRecord::begin(out, &self.mess, mess_key);
        rec.protect(cc.role.is_linked());

        let has_key = rec.key_text("code", &item_code(item));
        rec.match_text("name", &cc.name);
        rec.free_text("abbrname", &cc.short);
        rec.text("sort_code", rng.pick(ZH_SORT_CODES));
        let region = ZH_CITIES
            .iter()
            .position(|c| c.province == city.province)
            .unwrap_or(0);
        rec.text("domain_code", &format!("{:02}", region % 8 + 1));
        rec.text("industry", rng.pick(ZH_INDUSTRIES));
        let address = zh_address(&mut rng, city);
        rec.free_text("address", &address);
        let bank = rng.pick(ZH_BANKS);
        rec.text("bank_open", &format!("{bank}{}分行", city.city));
        let mut account = String::from("6");
        rng.push_digits(&mut account, 18);
        rec.text("bank_acc_number", &account);
        let contact = if self.contacts_per_customer > 0 {
            self.person(item, 0)
        } else {
            String::new()
        };
        rec.free_text("contact", &contact);
        rec.match_text("phone", &phone.u8_written(&mut rng));
        let fax = fax.map_or_else(String::new, |f| f.u8_written(&mut rng));
        rec.match_text("fax", &fax);
        rec.match_digits("mobile", &mobile.u8_written(&mut rng));
        let site = if rng.below(4) == 0 {
            zh_address(&mut rng, city)
        } else {
            address
        };
        rec.free_text("devliver_site", &site);

        // Drawn even for an edited record, so the fields after it stay as they were.
        let (modified, version) = self.version(item, &mut rng);
        let (modified, version) = match revision {
            Some(r) => (r.modified, r.version),
            None => (modified, version),
        };
        rec.date("ModifyDate", Some(modified), true);
        let seeded = DateTime::from_days(
            DateTime::days_from_civil(2005, 1, 1) + rng.below(6900) as i64,
            0,
        );
        rec.date("seed_date", Some(seeded), false);
        let ended = (rng.below(20) == 0).then(|| {
            DateTime::from_days(
                DateTime::days_from_civil(2020, 1, 1) + rng.below(1800) as i64,
                0,
            )
        });
        rec.date("end_date", ended, false);
        let memo = if rng.below(4) == 0 {
            rng.pick(ZH_MEMOS)
        } else {
            ""
        };
        match revision {
            Some(r) if r.number > 0 => rec.free_text("memo", &edit_note(r.number)),
            _ => rec.free_text("memo", memo),
        }

        let domestic = rng.below(20) != 0;
        let currency = if domestic && rng.below(10) != 0 {
            ZH_CURRENCIES[0]
        } else {
            rng.pick(ZH_CURRENCIES)
        };
        rec.text("ccusexch_name", currency);
        rec.boolean("bcusdomestic", domestic);
        rec.boolean("bcusoverseas", !domestic);
        rec.boolean("bserviceattribute", rng.below(5) == 0);
        let (mng_code, mng_name) = rng.pick(ZH_MANAGEMENT_TYPES);
        rec.text("ccusmngtypecode", mng_code);
        rec.text("ccusmngtypename", mng_name);
        let (op_code, op_name) = self.operator_of(item);
        rec.text("spec_operator", &op_code);
        rec.text("spec_operator_name", &op_name);
        match self.timestamp_format {
            U8TimestampFormat::Decimal => rec.number("timestamp", version),
            U8TimestampFormat::Hex => rec.hex_number("timestamp", version),
        }
        for n in 1..=16u64 {
            let value = if rng.below(20) == 0 {
                rng.pick(ZH_CUSTOM_VALUES)
            } else {
                ""
            };
            rec.text(SELF_DEFINES[n as usize - 1], value);
        }
        rec.extras(Vendor::U8);
        rec.end();
        (has_key, modified, version)
    }

    /// `ModifyDate` and `timestamp`: original records were modified over 2016..2024 with
    /// row versions rising with their index; inserted records are newer than all of them.
    fn version(&self, item: ItemId, rng: &mut Stream) -> (DateTime, i64) {
        let seconds = rng.below(86_400) as u32;
        match item {
            ItemId::Base(i) => {
                let day = DateTime::days_from_civil(2016, 1, 1) + rng.below(3100) as i64;
                let version = 1_000_000 + i * 8 + rng.below(8);
                (DateTime::from_days(day, seconds), version as i64)
            }
            ItemId::Inserted { before, slot } => {
                let day = DateTime::days_from_civil(2025, 1, 1) + rng.below(30) as i64;
                let version =
                    1_000_000 + self.customers * 8 + 1_000 + before * 1_000 + u64::from(slot);
                (DateTime::from_days(day, seconds), version as i64)
            }
        }
    }

    /// The customer contact `item` belongs to, and its number among that customer's contacts.
    fn owner_of(&self, item: ItemId) -> (ItemId, u64) {
        let per = u64::from(self.contacts_per_customer.max(1));
        match item {
            ItemId::Base(g) => (ItemId::Base(g / per), g % per),
            ItemId::Inserted { .. } => {
                let owner = self
                    .stream(K_INSERTED_OWNER, item)
                    .below(self.customers.max(1));
                // Inserted contacts are extra people of an existing customer.
                let [_, slot] = item.stream_parts();
                (ItemId::Base(owner), per + slot)
            }
        }
    }

    /// Writes contact `item`; returns whether its key field (`code`) was written.
    pub(crate) fn write_contact(&self, item: ItemId, out: &mut Vec<u8>) -> bool {
        let (customer, j) = self.owner_of(item);
        let cc = self.company(customer);
        let city = cc.company.city();
        let mut rng = self.stream(K_CONTACT_FIELDS, item);
        let [a, b] = item.stream_parts();
        let mess_key = key(self.seed, &[self.salt, K_CONTACT, a, b]);
        let mut rec = MessyRecord::begin(out, &self.mess, mess_key);

        let has_key = rec.key_text("code", &item_code(item));
        rec.free_text("name", &self.person(customer, j));
        rec.text("ccuscode", &item_code(customer));
        rec.text("ccusname", &cc.name);
        if j == 0 {
            rec.text("direct_leader_code", "");
            rec.text("direct_leader", "");
        } else {
            let per = u64::from(self.contacts_per_customer.max(1));
            let [first, _] = customer.stream_parts();
            rec.text("direct_leader_code", &item_code(ItemId::Base(first * per)));
            rec.text("direct_leader", &self.person(customer, 0));
        }
        let (op_code, op_name) = self.operator_of(customer);
        rec.text("charge_person_code", &op_code);
        rec.text("charge_person", &op_name);
        rec.boolean("be_main_linker", j == 0);
        let sex = match rng.below(10) {
            0..=4 => "男",
            5..=8 => "女",
            _ => "不详",
        };
        let title = match sex {
            "男" => "先生",
            "女" => "女士",
            _ => rng.pick(ZH_TITLES),
        };
        rec.text("title", if rng.below(3) == 0 { "" } else { title });
        rec.text("sex", sex);
        let birthday = (rng.below(3) == 0).then(|| {
            DateTime::from_days(
                DateTime::days_from_civil(1960, 1, 1) + rng.below(14_000) as i64,
                0,
            )
        });
        rec.date("birthday", birthday, false);
        let native = if rng.below(2) == 0 {
            zh_city(&mut rng).province
        } else {
            ""
        };
        rec.text("native", native);
        rec.boolean("default", j == 0);
        rec.text("position", rng.pick(ZH_POSITIONS));
        rec.digits("mobile_phone", &contact_mobile(&mut rng).digits());
        let office = if rng.below(2) == 0 {
            contact_landline(&mut rng, city).national()
        } else {
            String::new()
        };
        rec.text("office_phone", &office);
        let email = if rng.below(3) != 0 {
            mailbox(&mut rng, ZH_MAIL_DOMAINS)
        } else {
            String::new()
        };
        rec.text("email", &email);
        let hobby = if rng.below(3) == 0 {
            rng.pick(ZH_HOBBIES)
        } else {
            ""
        };
        // An edit shows in `favorite`, always written so the record visibly changes.
        match self.contact_changes.get(item) {
            Some(r) if r.number > 0 => rec.edited_text("favorite", &edit_note(r.number)),
            _ => rec.free_text("favorite", hobby),
        }
        let wechat = if rng.below(2) == 0 {
            let mut w = String::from("wx_");
            rng.push_letters(&mut w, 6);
            w
        } else {
            String::new()
        };
        rec.text("wechat", &wechat);
        let qq = if rng.below(2) == 0 {
            let mut q = String::new();
            q.push(char::from(b'1' + rng.below(9) as u8));
            let len = rng.range(5, 9) as usize;
            rng.push_digits(&mut q, len);
            q
        } else {
            String::new()
        };
        rec.digits("qq", &qq);
        rec.extras(Vendor::U8);
        rec.end();
        has_key
    }
}

const SELF_DEFINES: [&str; 16] = [
    "self_define1",
    "self_define2",
    "self_define3",
    "self_define4",
    "self_define5",
    "self_define6",
    "self_define7",
    "self_define8",
    "self_define9",
    "self_define10",
    "self_define11",
    "self_define12",
    "self_define13",
    "self_define14",
    "self_define15",
    "self_define16",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn data(mess: MessinessConfig) -> U8Data {
        U8Data::new(7, "t", 100, 3, mess)
    }

    #[test]
    fn records_are_pure_functions_of_their_index() {
        let d = data(MessinessConfig::heavy());
        for i in [0, 5, 99] {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            d.write_customer(ItemId::Base(i), &mut a);
            d.write_customer(ItemId::Base(i), &mut b);
            assert_eq!(a, b);
            let _: serde_json::Value = serde_json::from_slice(&a).expect("valid JSON");
        }
    }

    #[test]
    fn contacts_reference_their_customer() {
        let d = data(MessinessConfig::none());
        let mut customer = Vec::new();
        d.write_customer(ItemId::Base(4), &mut customer);
        let customer: serde_json::Value = serde_json::from_slice(&customer).expect("JSON");
        for g in 12..15 {
            let mut contact = Vec::new();
            d.write_contact(ItemId::Base(g), &mut contact);
            let contact: serde_json::Value = serde_json::from_slice(&contact).expect("JSON");
            assert_eq!(contact["ccuscode"], customer["code"]);
            assert_eq!(contact["ccusname"], customer["name"]);
            assert_eq!(contact["charge_person_code"], customer["spec_operator"]);
        }
        let mut first = Vec::new();
        d.write_contact(ItemId::Base(12), &mut first);
        let first: serde_json::Value = serde_json::from_slice(&first).expect("JSON");
        assert_eq!(first["name"], customer["contact"]);
        assert_eq!(first["be_main_linker"], "1");
    }

    #[test]
    fn an_edit_bumps_version_and_date_and_changes_only_the_memo() {
        let d = data(MessinessConfig::none());
        let item = ItemId::Base(9);
        let parse = |item| {
            let mut out = Vec::new();
            d.write_customer(item, &mut out);
            serde_json::from_slice::<serde_json::Value>(&out).expect("JSON")
        };
        let before = parse(item);
        let (low, high) = d.base_version_bounds(item).expect("unedited original");
        let version = before["timestamp"].as_i64().expect("number");
        assert!((low..=high).contains(&version));
        d.changes().edit(&[item]);
        let after = parse(item);
        assert!(after["timestamp"].as_i64().expect("number") > version);
        assert!(after["ModifyDate"].as_str() > before["ModifyDate"].as_str());
        assert!(after["memo"].as_str().is_some_and(|m| m.contains("第1次")));
        assert_eq!(d.base_version_bounds(item), None);
        let (mut a, mut b) = (before.clone(), after.clone());
        for field in ["timestamp", "ModifyDate", "memo"] {
            a[field] = serde_json::Value::Null;
            b[field] = serde_json::Value::Null;
        }
        assert_eq!(a, b, "every other field is unchanged");
        assert_eq!(parse(ItemId::Base(8)), parse(ItemId::Base(8)));
    }

    #[test]
    fn hex_row_versions_change_only_the_timestamp_text() {
        let decimal = data(MessinessConfig::mild());
        let hex = data(MessinessConfig::mild()).with_timestamp_format(U8TimestampFormat::Hex);
        let mut hex_seen = 0;
        for i in 0..100 {
            let parse = |d: &U8Data| {
                let mut out = Vec::new();
                d.write_customer(ItemId::Base(i), &mut out);
                serde_json::from_slice::<serde_json::Value>(&out).expect("JSON")
            };
            let (mut a, mut b) = (parse(&decimal), parse(&hex));
            if let Some(text) = b["timestamp"].as_str() {
                let digits = text.strip_prefix("0x").expect("0x prefix");
                assert_eq!(digits.len(), 16, "{text}");
                assert_eq!(digits.to_uppercase(), digits);
                let value = i64::from_str_radix(digits, 16).expect("hex");
                let sent = &a["timestamp"];
                let want = sent.as_i64().or_else(|| sent.as_str()?.parse().ok());
                assert_eq!(Some(value), want, "record {i}");
                hex_seen += 1;
            }
            a["timestamp"] = serde_json::Value::Null;
            b["timestamp"] = serde_json::Value::Null;
            assert_eq!(a, b, "record {i}: every other field is unchanged");
        }
        assert!(
            hex_seen > 90,
            "{hex_seen} of 100 records carried a timestamp"
        );
    }
}
