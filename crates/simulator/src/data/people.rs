//! Building blocks shared by both vendors' records: people, companies, phones, addresses.

use super::words::{
    EN_FIRST_NAMES, EN_LAST_NAMES, ZH_BRANDS, ZH_CITIES, ZH_COMPANY_FORMS, ZH_DISTRICTS,
    ZH_GIVEN_NAMES, ZH_ROADS, ZH_SURNAMES, ZH_TRADES, ZhCity,
};
use crate::hash::Stream;

/// A Chinese person's full name: surname then given name (sometimes a single character).
pub(crate) fn zh_person(rng: &mut Stream) -> String {
    let surname = rng.pick(ZH_SURNAMES);
    let given = rng.pick(ZH_GIVEN_NAMES);
    if rng.below(5) == 0 {
        let first: String = given.chars().take(1).collect();
        format!("{surname}{first}")
    } else {
        format!("{surname}{given}")
    }
}

/// A Western (first, last) name.
pub(crate) fn en_person(rng: &mut Stream) -> (&'static str, &'static str) {
    (rng.pick(EN_FIRST_NAMES), rng.pick(EN_LAST_NAMES))
}

/// A Chinese city.
pub(crate) fn zh_city(rng: &mut Stream) -> &'static ZhCity {
    rng.pick_ref(ZH_CITIES)
}

/// The parts of a Chinese company name.
pub(crate) struct ZhCompany {
    /// Full registered name, e.g. 厦门市华通电子有限公司.
    pub name: String,
    /// Short name (简称), e.g. 华通电子.
    pub short: String,
}

/// A Chinese company located in `city`.
pub(crate) fn zh_company(rng: &mut Stream, city: &ZhCity) -> ZhCompany {
    let brand = rng.pick(ZH_BRANDS);
    let trade = rng.pick(ZH_TRADES);
    // Most companies are plain limited companies.
    let form = if rng.below(3) == 0 {
        rng.pick(ZH_COMPANY_FORMS)
    } else {
        ZH_COMPANY_FORMS[0]
    };
    let name = match rng.below(4) {
        0 => format!("{}市{brand}{trade}{form}", city.city),
        1 => format!("{}{brand}{trade}{form}", city.city),
        2 => format!("{brand}{trade}（{}）{form}", city.city),
        _ => format!("{brand}{trade}{form}"),
    };
    ZhCompany {
        name,
        short: format!("{brand}{trade}"),
    }
}

/// A Chinese mobile number: 11 digits starting 13..19.
pub(crate) fn zh_mobile(rng: &mut Stream) -> String {
    let mut s = String::with_capacity(11);
    s.push('1');
    s.push(char::from(b'3' + rng.below(7) as u8));
    rng.push_digits(&mut s, 9);
    s
}

/// A landline in `city`: area code, dash, 8 digits.
pub(crate) fn zh_landline(rng: &mut Stream, city: &ZhCity) -> String {
    let mut s = String::with_capacity(13);
    s.push_str(city.area_code);
    s.push('-');
    s.push(char::from(b'2' + rng.below(7) as u8));
    rng.push_digits(&mut s, 7);
    s
}

/// A street address in `city` (province, city, district, road, number).
pub(crate) fn zh_address(rng: &mut Stream, city: &ZhCity) -> String {
    let district = rng.pick(ZH_DISTRICTS);
    let road = rng.pick(ZH_ROADS);
    let number = rng.range(1, 999);
    let city_full = format!("{}市", city.city);
    if city.province == city_full {
        format!("{city_full}{district}{road}{number}号")
    } else {
        format!("{}{city_full}{district}{road}{number}号", city.province)
    }
}

/// A postal code of `city`.
pub(crate) fn zh_zip(rng: &mut Stream, city: &ZhCity) -> String {
    let mut s = String::from(city.zip_prefix);
    rng.push_digits(&mut s, 3);
    s
}

/// A mailbox: some letters and digits at one of `domains`.
pub(crate) fn mailbox(rng: &mut Stream, domains: &[&str]) -> String {
    let mut s = String::with_capacity(24);
    let letters = rng.range(3, 8) as usize;
    rng.push_letters(&mut s, letters);
    let digits = rng.below(5) as usize;
    rng.push_digits(&mut s, digits);
    s.push('@');
    s.push_str(rng.pick(domains));
    s
}
