//! Chinese phone numbers: which number a customer or contact has, and how people write it.
//!
//! Every number is valid for libphonenumber (the library the product's match keys use):
//! mobiles start with a prefix of [`CUSTOMER_MOBILE_PREFIXES`] or [`CONTACT_MOBILE_PREFIXES`],
//! landlines have the city's area code and a local number of the city's length starting 2-8.
//!
//! Customers' numbers are allocated, not drawn: the number of a company's line is a bijection
//! of the company (see `data::company`), so no two companies share one by accident and the
//! `customer_links` ground truth is exact. The ranges are disjoint: customers' landlines start
//! 2-7, contacts' (drawn at random) start 8; customers' mobiles and contacts' use different
//! prefixes. So a contact never shares a number with a customer either.
//!
//! The written forms are the ones ERPs and CRMs really hold, each resolving to the same E.164
//! number: U8 records are read with default region CN, so they are mostly national
//! (`010-62345678`, `(010)62345678`, full-width digits); YCM records are read without a default
//! region, so they carry the country code (`+86 10 6234 5678`, `0086 …`) except for 0.5% typed
//! without it, which no parser can place.

use super::words::ZhCity;
use crate::hash::{Stream, key};
use crate::permutation::Permutation;

/// Mobile prefixes of customers' numbers (allocated, unique per company).
const CUSTOMER_MOBILE_PREFIXES: &[u64] = &[
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157, 158, 159,
    180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 190, 191, 192, 193, 195, 196, 197, 198, 199,
];

/// Mobile prefixes of contacts' and drift-inserted customers' numbers (drawn at random).
const CONTACT_MOBILE_PREFIXES: &[u64] = &[170, 171, 172, 173, 175, 176, 177, 178];

/// Numbers per mobile prefix.
const PER_PREFIX: u64 = 100_000_000;

/// Stream kinds of the number allocations.
const K_LANDLINE: u64 = 0x4C41_4E44;
const K_MOBILE: u64 = 0x4D4F_4249;

/// A company's landlines: its switchboard, its fax, and (YCM only) a contact's home line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LineRole {
    /// U8 `phone`, YCM `businessNumber`.
    Phone = 0,
    /// U8 `fax`, YCM `faxNumber`.
    Fax = 1,
    /// YCM `homeNumber`.
    Home = 2,
}

/// Landline roles per company.
const ROLES: u64 = 3;

/// A Chinese fixed-line number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Landline {
    /// Area code with its trunk prefix (`010`, `0755`).
    area_code: &'static str,
    /// The local number.
    local: u64,
    /// Its digits (7 or 8).
    digits: u32,
}

/// A Chinese mobile number (11 digits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mobile(u64);

/// Landline `role` of the company ranked `rank` in `city` (number `city_index` of the city
/// list): a bijection of (rank, role) onto the city's customer range while `rank` stays below a
/// third of it (20 million companies per city, 2 million where numbers have 7 digits).
pub(crate) fn customer_landline(
    seed: u64,
    city: &'static ZhCity,
    city_index: u64,
    rank: u64,
    role: LineRole,
) -> Landline {
    let unit = 10u64.pow(city.local_digits - 1);
    // Local numbers 2000000(0) to 7999999(9).
    let space = 6 * unit;
    let slot = (rank * ROLES + role as u64) % space;
    let local =
        2 * unit + Permutation::new(space, key(seed, &[K_LANDLINE, city_index])).apply(slot);
    Landline {
        area_code: city.area_code,
        local,
        digits: city.local_digits,
    }
}

/// The mobile of company number `company`: a bijection onto the customer prefixes' 3.8 billion
/// numbers.
pub(crate) fn customer_mobile(seed: u64, company: u64) -> Mobile {
    let space = CUSTOMER_MOBILE_PREFIXES.len() as u64 * PER_PREFIX;
    let m = Permutation::new(space, key(seed, &[K_MOBILE])).apply(company % space);
    Mobile(CUSTOMER_MOBILE_PREFIXES[(m / PER_PREFIX) as usize] * PER_PREFIX + m % PER_PREFIX)
}

/// A random landline of `city` in the contacts' range (starting 8, never `800`).
pub(crate) fn contact_landline(rng: &mut Stream, city: &'static ZhCity) -> Landline {
    let unit = 10u64.pow(city.local_digits - 1);
    let low = 8 * unit + unit / 10;
    Landline {
        area_code: city.area_code,
        local: low + rng.below(9 * unit - low),
        digits: city.local_digits,
    }
}

/// A random mobile with a contacts' prefix.
pub(crate) fn contact_mobile(rng: &mut Stream) -> Mobile {
    Mobile(rng.pick(CONTACT_MOBILE_PREFIXES) * PER_PREFIX + rng.below(PER_PREFIX))
}

/// A PBX extension as people append it to a number.
fn extension(rng: &mut Stream) -> u64 {
    rng.range(801, 8999)
}

/// Digits `0`-`9` as full-width `０`-`９`, the rest as is.
fn full_width_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            '-' => '－',
            _ => c,
        })
        .collect()
}

impl Landline {
    /// The area code without its trunk prefix (`10`, `755`), as written after `+86`.
    fn area(&self) -> &'static str {
        &self.area_code[1..]
    }

    fn local(&self) -> String {
        format!("{:0width$}", self.local, width = self.digits as usize)
    }

    /// The local number in two groups (`6234 5678`, `234 5678`).
    fn local_grouped(&self, sep: char) -> String {
        let local = self.local();
        let (head, tail) = local.split_at(local.len() - 4);
        format!("{head}{sep}{tail}")
    }

    /// `010-62345678`, the form U8 and most Chinese systems hold.
    pub(crate) fn national(&self) -> String {
        format!("{}-{}", self.area_code, self.local())
    }

    /// The E.164 form (`+861062345678`), what every written form resolves to.
    #[cfg(test)]
    pub(crate) fn e164(&self) -> String {
        format!("+86{}{}", self.area(), self.local())
    }

    /// How a U8 user typed it (read with default region CN).
    pub(crate) fn u8_written(&self, rng: &mut Stream) -> String {
        let (ac, area, local) = (self.area_code, self.area(), self.local());
        match rng.below(100) {
            0..40 => self.national(),
            40..48 => format!("({ac}){local}"),
            48..53 => format!("（{ac}）{local}"),
            53..61 => format!("{ac} {}", self.local_grouped(' ')),
            61..66 => format!("{ac}{local}"),
            66..72 => format!("+86 {area} {}", self.local_grouped(' ')),
            72..75 => format!("+86-{area}-{local}"),
            75..78 => format!("86{area} {local}"),
            78..81 => format!("0086 {area} {local}"),
            81..84 => format!("86-{area}-{local}"),
            84..88 => full_width_digits(&self.national()),
            88..90 => format!("{}-{}", self.national(), extension(rng)),
            90..92 => format!("{}转{}", self.national(), extension(rng)),
            92..96 => format!("{ac}-{}", self.local_grouped('-')),
            _ => format!("{ac}.{}", self.local_grouped('.')),
        }
    }

    /// How a YCM user typed it (read without a default region, so with the country code,
    /// except 0.5% of the time).
    pub(crate) fn ycm_written(&self, rng: &mut Stream) -> String {
        let (ac, area, local) = (self.area_code, self.area(), self.local());
        match rng.below(1000) {
            0..280 => format!("+86 {area} {}", self.local_grouped(' ')),
            280..460 => format!("+86-{area}-{local}"),
            460..600 => format!("+86{area}{local}"),
            600..700 => format!("0086 {area} {local}"),
            700..750 => format!("+86 (0){area} {}", self.local_grouped(' ')),
            750..800 => format!("+86 {ac} {local}"),
            800..850 => format!("0086-{area}-{}", self.local_grouped('-')),
            850..890 => format!("+86.{area}.{}", self.local_grouped('.')),
            890..920 => format!("+86 {area} {local} ext. {}", extension(rng)),
            920..940 => format!("+86 {area} {local}转{}", extension(rng)),
            940..995 => format!("(+86) {area} {}", self.local_grouped(' ')),
            _ => self.national(),
        }
    }
}

impl Mobile {
    /// The 11 digits (`13811388661`).
    pub(crate) fn digits(&self) -> String {
        self.0.to_string()
    }

    /// `138 1138 8661` with `sep` between the groups.
    fn grouped(&self, sep: char) -> String {
        let d = self.digits();
        format!("{}{sep}{}{sep}{}", &d[..3], &d[3..7], &d[7..])
    }

    /// The E.164 form (`+8613811388661`).
    #[cfg(test)]
    pub(crate) fn e164(&self) -> String {
        format!("+86{}", self.0)
    }

    /// How a U8 user typed it (read with default region CN). The plain digits may go out as a
    /// JSON number (type-swap messiness).
    pub(crate) fn u8_written(&self, rng: &mut Stream) -> String {
        let d = self.digits();
        match rng.below(100) {
            0..55 => d,
            55..65 => self.grouped(' '),
            65..75 => self.grouped('-'),
            75..81 => format!("+86 {}", self.grouped(' ')),
            81..85 => format!("+86{d}"),
            85..90 => full_width_digits(&d),
            90..93 => format!("86 {d}"),
            93..96 => format!("0086 {d}"),
            _ => format!("+86-{}", self.grouped('-')),
        }
    }

    /// How a YCM user typed it (with the country code, except 0.5% of the time).
    pub(crate) fn ycm_written(&self, rng: &mut Stream) -> String {
        let d = self.digits();
        match rng.below(1000) {
            0..350 => format!("+86 {}", self.grouped(' ')),
            350..550 => format!("+86-{}", self.grouped('-')),
            550..730 => format!("+86{d}"),
            730..830 => format!("0086 {d}"),
            830..880 => format!("0086{d}"),
            880..930 => format!("(+86) {}", self.grouped(' ')),
            930..995 => format!("+86 {d}"),
            _ => d,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::words::ZH_CITIES;
    use custlake_match_keys::{Region, phone_e164};

    fn cn(raw: &str) -> Option<String> {
        phone_e164(raw, Some(Region::CN))
    }

    #[test]
    fn every_allocated_number_is_valid_and_every_form_resolves_to_it() {
        let mut rng = Stream::new(5);
        for (index, city) in ZH_CITIES.iter().enumerate() {
            for rank in [0, 1, 777, 1_999_999] {
                for role in [LineRole::Phone, LineRole::Fax, LineRole::Home] {
                    let line = customer_landline(3, city, index as u64, rank, role);
                    let e164 = Some(line.e164());
                    assert_eq!(cn(&line.national()), e164, "{}", line.national());
                    for _ in 0..40 {
                        let u8 = line.u8_written(&mut rng);
                        assert_eq!(cn(&u8), e164, "U8 {u8:?}");
                        let ycm = line.ycm_written(&mut rng);
                        if ycm != line.national() {
                            assert_eq!(phone_e164(&ycm, None), e164, "YCM {ycm:?}");
                        }
                    }
                }
            }
            let contact = contact_landline(&mut rng, city);
            assert_eq!(cn(&contact.national()), Some(contact.e164()));
        }
        for company in [0, 1, 2, 999_999, 3_799_999_999] {
            let mobile = customer_mobile(3, company);
            let e164 = Some(mobile.e164());
            for _ in 0..60 {
                let u8 = mobile.u8_written(&mut rng);
                assert_eq!(cn(&u8), e164, "U8 {u8:?}");
                let ycm = mobile.ycm_written(&mut rng);
                if ycm != mobile.digits() {
                    assert_eq!(phone_e164(&ycm, None), e164, "YCM {ycm:?}");
                }
            }
        }
        for _ in 0..200 {
            let m = contact_mobile(&mut rng);
            assert_eq!(cn(&m.digits()), Some(m.e164()));
        }
    }

    #[test]
    fn customer_numbers_are_distinct_and_apart_from_contacts() {
        let city = &ZH_CITIES[14]; // Xiamen: 7-digit numbers, the smallest range
        assert_eq!(city.local_digits, 7);
        let mut seen = std::collections::HashSet::new();
        for rank in 0..20_000 {
            for role in [LineRole::Phone, LineRole::Fax, LineRole::Home] {
                let line = customer_landline(1, city, 14, rank, role);
                assert!((2_000_000..8_000_000).contains(&line.local));
                assert!(seen.insert(line.local));
            }
        }
        let mut mobiles = std::collections::HashSet::new();
        for company in 0..50_000 {
            let m = customer_mobile(1, company);
            assert!(CUSTOMER_MOBILE_PREFIXES.contains(&(m.0 / PER_PREFIX)));
            assert!(mobiles.insert(m.0));
        }
    }
}
