//! A company's identity: the facts (city, registered name, phone numbers, e-mail) that every
//! record of it carries, in whichever vendor and however it is written there.
//!
//! A company is a number. Original records of source `o` (U8 tenants first, then YCM clients,
//! in configuration order) are companies `index * sources + o`; a record that is a copy of
//! another source's customer (see `crate::links`) uses the original's number, which is how two
//! vendors' records come to describe one company. Every fact is a *bijection* of the number,
//! so different companies never share a phone number, mobile, e-mail or name key by accident:
//!
//! * the number is scrambled within windows of 65,536 ([`WINDOW`]) and split into a city (the
//!   remainder by the number of cities) and a rank within that city;
//! * landlines are allocated from the rank (`phones::customer_landline`), the mobile from the
//!   number (`phones::customer_mobile`);
//! * the name is decoded from the rank: where the city stands, two brand characters
//!   (`ZH_BRAND_CHARS`, three beyond 1.39 million companies per city) and line of business.
//!   Brand characters occur in no city, trade or form, so the name's match key (the name
//!   without punctuation, spaces and legal form) can be parsed back into its parts: two
//!   companies of one city never share it, and every name names its city, so companies of
//!   different cities never do either. Western names (YCM) are a bijection of the number below
//!   33 million;
//! * e-mail addresses carry a QQ number or a domain label that is a bijection of the number.
//!
//! Guaranteed while company numbers stay below 64 million (sources × customers of the largest
//! source); beyond that numbers may repeat. Records inserted by page drift are companies of
//! their own, drawn from ranges no original record uses below 44 million (three-character
//! brands, contacts' phone ranges, eight-letter mail domains).

use super::phones::{
    Landline, LineRole, Mobile, contact_landline, contact_mobile, customer_landline,
    customer_mobile,
};
use super::words::{
    EN_COMPANY_SUFFIXES, EN_INDUSTRIES, EN_LAST_NAMES, EN_MAIL_DOMAINS, ZH_BRAND_CHARS, ZH_CITIES,
    ZH_COMPANY_FORMS, ZH_TRADES, ZhCity,
};
use crate::hash::{Stream, key};
use crate::permutation::Permutation;

/// Companies scrambled together: a multiple of the number of cities, so each window spreads
/// evenly over them.
const WINDOW: u64 = ZH_CITIES.len() as u64 * 2048;

const K_WINDOW: u64 = 0x5749_4E44;
const K_NAME: u64 = 0x4E41_4D45;
const K_NAME3: u64 = 0x4E41_4D33;
const K_FORM: u64 = 0x464F_524D;
const K_FAX: u64 = 0x0046_4158;
const K_MAIL: u64 = 0x4D41_494C;
const K_QQ: u64 = 0x0000_5151;
const K_LABEL: u64 = 0x4C41_424C;
const K_EN_NAME: u64 = 0x454E_4E4D;
const K_INSERTED_LINES: u64 = 0x494E_534C;

/// Name styles: where the city stands in the registered name (`CityPlacement`).
const STYLES: u64 = 3;

/// QQ numbers of companies' mailboxes: 9 digits.
const QQ_SPACE: u64 = 900_000_000;

/// Mail domain labels: six letters.
const LABEL_SPACE: u64 = 26u64.pow(6);

/// Roles of a company's mailbox at its own domain.
const MAIL_ROLES: &[&str] = &[
    "sales", "info", "service", "contact", "admin", "office", "market", "hr",
];

/// Top-level domains of Chinese companies' mail.
const ZH_MAIL_TLDS: &[&str] = &["com.cn", "cn", "com", "net.cn"];

/// Which company.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CompanyId {
    /// An original record's company: `index * sources + source`.
    Base(u64),
    /// A drift-inserted record's company, named by a hash of the record.
    Inserted(u64),
}

/// One company; its facts are computed on demand.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Company {
    seed: u64,
    id: CompanyId,
    city_index: u64,
    /// Rank of the company among its city's companies (unique within the city).
    rank: u64,
}

impl Company {
    /// Company `id` under `seed`.
    pub(crate) fn new(seed: u64, id: CompanyId) -> Self {
        let cities = ZH_CITIES.len() as u64;
        let x = match id {
            CompanyId::Base(c) => {
                (c / WINDOW) * WINDOW
                    + Permutation::new(WINDOW, key(seed, &[K_WINDOW])).apply(c % WINDOW)
            }
            // Above every name rank of two-character brands.
            CompanyId::Inserted(h) => (h % (1 << 40)) + cities * two_char_names(),
        };
        Self {
            seed,
            id,
            city_index: x % cities,
            rank: x / cities,
        }
    }

    fn number(&self) -> u64 {
        match self.id {
            CompanyId::Base(c) | CompanyId::Inserted(c) => c,
        }
    }

    fn stream(&self, kind: u64) -> Stream {
        let inserted = u64::from(matches!(self.id, CompanyId::Inserted(_)));
        Stream::new(key(self.seed, &[kind, inserted, self.number()]))
    }

    /// The city the company is registered in (its address, area code and name).
    pub(crate) fn city(&self) -> &'static ZhCity {
        &ZH_CITIES[self.city_index as usize]
    }

    /// The registered name's parts.
    pub(crate) fn name(&self) -> CompanyName {
        let (brands, trades) = (ZH_BRAND_CHARS.len() as u64, ZH_TRADES.len() as u64);
        let two = two_char_names();
        let (mut n, brand_len) = if self.rank < two {
            let p = Permutation::new(two, key(self.seed, &[K_NAME, self.city_index]));
            (p.apply(self.rank), 2)
        } else {
            let three = two * brands;
            let p = Permutation::new(three, key(self.seed, &[K_NAME3, self.city_index]));
            (p.apply((self.rank - two) % three), 3)
        };
        let city_placement = match n % STYLES {
            0 => CityPlacement::FirstWithShi,
            1 => CityPlacement::First,
            _ => CityPlacement::InBrackets,
        };
        n /= STYLES;
        let trade = ZH_TRADES[(n % trades) as usize];
        n /= trades;
        let mut brand = String::with_capacity(9);
        for _ in 0..brand_len {
            brand.push(ZH_BRAND_CHARS[(n % brands) as usize]);
            n /= brands;
        }
        // Most companies are plain limited companies; the form is not part of the identity.
        let mut rng = self.stream(K_FORM);
        let form = if rng.below(3) == 0 {
            rng.pick(ZH_COMPANY_FORMS)
        } else {
            ZH_COMPANY_FORMS[0]
        };
        CompanyName {
            city_placement,
            city: self.city().city,
            brand,
            trade,
            form,
        }
    }

    /// Whether the company has a fax line (one in three).
    pub(crate) fn has_fax(&self) -> bool {
        self.stream(K_FAX).below(3) == 0
    }

    /// The landline of `role`.
    pub(crate) fn landline(&self, role: LineRole) -> Landline {
        match self.id {
            CompanyId::Base(_) => {
                customer_landline(self.seed, self.city(), self.city_index, self.rank, role)
            }
            CompanyId::Inserted(_) => {
                let mut rng = self.stream(K_INSERTED_LINES ^ role as u64);
                contact_landline(&mut rng, self.city())
            }
        }
    }

    /// The company's mobile (its contact person's).
    pub(crate) fn mobile(&self) -> Mobile {
        match self.id {
            CompanyId::Base(c) => customer_mobile(self.seed, c),
            CompanyId::Inserted(_) => contact_mobile(&mut self.stream(K_INSERTED_LINES)),
        }
    }

    /// The company's own mail domain label: six letters, or eight for inserted records.
    fn mail_label(&self) -> String {
        let mut label = String::with_capacity(8);
        match self.id {
            CompanyId::Base(c) => {
                let p = Permutation::new(LABEL_SPACE, key(self.seed, &[K_LABEL]));
                let mut n = p.apply(c % LABEL_SPACE);
                for _ in 0..6 {
                    label.push(char::from(b'a' + (n % 26) as u8));
                    n /= 26;
                }
            }
            CompanyId::Inserted(_) => self.stream(K_LABEL).push_letters(&mut label, 8),
        }
        label
    }

    /// The e-mail address of a Chinese company: a QQ mailbox (`123456789@qq.com`) or a role at
    /// its own domain (`sales@kqztbw.com.cn`).
    pub(crate) fn zh_email(&self) -> String {
        let mut rng = self.stream(K_MAIL);
        match self.id {
            CompanyId::Base(c) if rng.below(5) < 2 => {
                let p = Permutation::new(QQ_SPACE, key(self.seed, &[K_QQ]));
                format!("{}@qq.com", 100_000_000 + p.apply(c % QQ_SPACE))
            }
            _ => format!(
                "{}@{}.{}",
                rng.pick(MAIL_ROLES),
                self.mail_label(),
                rng.pick(ZH_MAIL_TLDS)
            ),
        }
    }

    /// The e-mail address of a Western company's contact `first last`:
    /// `first.last@label.example.com`.
    pub(crate) fn en_email(&self, first: &str, last: &str) -> String {
        let mut rng = self.stream(K_MAIL);
        let tld = rng.pick(EN_MAIL_DOMAINS);
        format!("{first}.{last}@{}.{tld}", self.mail_label())
            .to_lowercase()
            .replace('\'', "")
    }

    /// A Western company name, `Last-Last Industry Suffix`: a bijection of the company number
    /// below 33 million (474 × 474 × 147). Inserted records' companies have three last names.
    pub(crate) fn en_name(&self) -> String {
        let (lasts, industries) = (EN_LAST_NAMES.len() as u64, EN_INDUSTRIES.len() as u64);
        let mut rng = self.stream(K_EN_NAME);
        let (third, mut n) = match self.id {
            CompanyId::Base(c) => {
                let space = lasts * lasts * industries;
                let p = Permutation::new(space, key(self.seed, &[K_EN_NAME]));
                (None, p.apply(c % space))
            }
            CompanyId::Inserted(_) => (Some(rng.pick(EN_LAST_NAMES)), rng.next_u64()),
        };
        let first = EN_LAST_NAMES[(n % lasts) as usize];
        n /= lasts;
        let second = EN_LAST_NAMES[(n % lasts) as usize];
        n /= lasts;
        let industry = EN_INDUSTRIES[(n % industries) as usize];
        let suffix = rng.pick(EN_COMPANY_SUFFIXES);
        match third {
            Some(third) => format!("{first}-{second}-{third} {industry} {suffix}"),
            None => format!("{first}-{second} {industry} {suffix}"),
        }
    }
}

/// Names with two-character brands per city.
fn two_char_names() -> u64 {
    let brands = ZH_BRAND_CHARS.len() as u64;
    STYLES * ZH_TRADES.len() as u64 * brands * brands
}

/// Where the city stands in a registered name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CityPlacement {
    /// `北京市华通电子有限公司`.
    FirstWithShi,
    /// `北京华通电子有限公司`.
    First,
    /// `华通电子（北京）有限公司`.
    InBrackets,
}

/// The parts of a Chinese company name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CompanyName {
    city_placement: CityPlacement,
    city: &'static str,
    brand: String,
    trade: &'static str,
    form: &'static str,
}

/// Other legal forms a form is written as, that name the same company to a match key (the key
/// drops every legal form). Not a bare `公司`: after `电子` it reads as `子公司` (subsidiary),
/// which a match key rightly keeps.
fn other_forms(form: &str) -> &'static [&'static str] {
    match form {
        "有限公司" => &["有限责任公司"],
        "有限责任公司" => &["有限公司"],
        "股份有限公司" => &["股份公司"],
        "集团有限公司" => &["集团", "有限公司"],
        _ => &[],
    }
}

impl CompanyName {
    /// Whether the form is a legal form a match key drops (not `商贸行`, `厂`).
    fn form_is_legal(&self) -> bool {
        !other_forms(self.form).is_empty()
    }

    /// The name before the form, with `sep` between its parts.
    fn stem(&self, sep: &str) -> String {
        let (city, brand, trade) = (self.city, &self.brand, self.trade);
        match self.city_placement {
            CityPlacement::FirstWithShi => format!("{city}市{sep}{brand}{trade}"),
            CityPlacement::First => format!("{city}{sep}{brand}{trade}"),
            CityPlacement::InBrackets => format!("{brand}{trade}{sep}（{city}）"),
        }
    }

    /// The registered name, as U8 holds it.
    pub(crate) fn registered(&self) -> String {
        format!("{}{}", self.stem(""), self.form)
    }

    /// The short name (简称): brand and trade.
    pub(crate) fn short(&self) -> String {
        format!("{}{}", self.brand, self.trade)
    }

    /// The name as another system's user typed it: the same name to a match key (same words
    /// in the same order; only legal form, brackets and spaces differ).
    pub(crate) fn written(&self, rng: &mut Stream) -> String {
        let legal = self.form_is_legal();
        match rng.below(100) {
            0..35 => self.registered(),
            35..55 if legal => self.stem(""),
            55..70 if legal => format!("{}{}", self.stem(""), rng.pick(other_forms(self.form))),
            70..80 => match self.city_placement {
                CityPlacement::First => {
                    let form = if legal { "" } else { self.form };
                    format!("（{}）{}{}{form}", self.city, self.brand, self.trade)
                }
                CityPlacement::InBrackets => {
                    format!("{}{}({}){}", self.brand, self.trade, self.city, self.form)
                }
                CityPlacement::FirstWithShi => format!("{} {}", self.stem(""), self.form),
            },
            80..92 => format!("{} {}", self.stem(" "), self.form),
            92..96 => format!(" {} ", self.registered()),
            _ => format!("{}\u{3000}", self.registered()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custlake_match_keys::company_name_key;
    use std::collections::HashMap;

    #[test]
    fn names_are_unique_to_a_match_key_and_variants_keep_it() {
        let mut keys: HashMap<String, u64> = HashMap::new();
        let mut rng = Stream::new(1);
        for c in 0..150_000 {
            let name = Company::new(9, CompanyId::Base(c)).name();
            let key = company_name_key(&name.registered()).expect("a key");
            if let Some(other) = keys.insert(key.clone(), c) {
                panic!("companies {other} and {c} share the key {key}");
            }
            if c % 10 == 0 {
                for _ in 0..5 {
                    let written = name.written(&mut rng);
                    assert_eq!(
                        company_name_key(&written).as_deref(),
                        Some(key.as_str()),
                        "{written:?} vs {:?}",
                        name.registered()
                    );
                }
            }
        }
    }

    #[test]
    fn three_character_brands_and_inserted_companies_stay_apart() {
        let mut keys = std::collections::HashSet::new();
        let city_rank = |rank: u64| Company {
            seed: 9,
            id: CompanyId::Base(0),
            city_index: 3,
            rank,
        };
        let two = two_char_names();
        for rank in (0..2000).chain(two - 1000..two + 1000) {
            let key = company_name_key(&city_rank(rank).name().registered()).expect("key");
            assert!(keys.insert(key), "rank {rank}");
        }
        for h in 0..1000 {
            let c = Company::new(9, CompanyId::Inserted(key(1, &[h])));
            assert_eq!(c.name().brand.chars().count(), 3);
        }
    }

    #[test]
    fn western_names_and_mail_domains_are_unique() {
        let mut names = std::collections::HashSet::new();
        let mut mails = std::collections::HashSet::new();
        for c in 0..50_000 {
            let company = Company::new(4, CompanyId::Base(c));
            let key = company_name_key(&company.en_name()).expect("key");
            assert!(names.insert(key), "{}", company.en_name());
            assert!(mails.insert(company.zh_email()));
        }
    }
}
