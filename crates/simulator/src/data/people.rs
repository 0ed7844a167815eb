//! Building blocks shared by both vendors' records: people, cities, addresses, mailboxes.
//! Companies and their phone numbers are allocated, not drawn: see `company` and `phones`.

use super::words::{
    EN_FIRST_NAMES, EN_LAST_NAMES, ZH_CITIES, ZH_DISTRICTS, ZH_GIVEN_NAMES, ZH_ROADS, ZH_SURNAMES,
    ZhCity,
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
