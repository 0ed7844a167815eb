//! Match keys: the normalised values that link one customer across Yonyou U8 and Yeastar YCM.
//!
//! The two systems hold the same customers with no shared id, so the `customer_links` dataset
//! joins them on values both record: phone numbers, e-mail addresses and company names. People
//! type those differently in each system (`010-62345678` and `+86 10 6234 5678`,
//! `Zhang.San@Example.COM `, `北京华信科技有限公司` and `（北京）华信科技`), so each value is first
//! turned into a key that is equal exactly when the values mean the same thing:
//!
//! - [`phone_e164`]: the E.164 string (`+861062345678`), only for numbers libphonenumber says
//!   are valid; national numbers are read in a default [`Region`]; extensions are dropped.
//! - [`email_normalized`]: the address trimmed and unwrapped (`mailto:`, `<…>`), the local part
//!   as written, the domain in lower-case ASCII (IDNA).
//! - [`company_name_key`]: NFKC, lower case, letters and digits only, legal forms
//!   ([`LEGAL_FORMS`]) removed from the end.
//!
//! Every function returns `None` rather than a doubtful key: a wrong key links two different
//! customers, which is worse than a missing link. Every function is idempotent (its output,
//! fed back, comes out unchanged) and never panics, whatever the input. They run once per
//! record in the mapping threads, so lookup tables are built once per process.
//!
//! An export normalises millions of values, so [`phone_e164`] and [`company_name_key`] each have
//! a fast path for the inputs that dominate real data, proven to give the general rules' answer
//! and tested against them ([`reference`] holds the general rules alone): Chinese mobiles and
//! landlines skip libphonenumber's parser, ASCII and Chinese names skip NFKC and the Unicode
//! tables. Other inputs take the general rules, as before.
//!
//! Phone numbers use `rlibphonenumber`, a port of Google's libphonenumber, rather than the
//! older `phonenumber` crate: `phonenumber` 0.3.10 took about 9 µs per number behind one
//! process-wide regex-cache mutex (so extra mapping threads do not help), and it rejects valid
//! numbers (Italian fixed lines, `+39 06 …`) and misreads some (`011 86 …` from the US).
//!
//! This crate knows nothing of U8, YCM, Arrow or how links are scored: it only says whether two
//! values are the same.

#![warn(missing_docs)]

mod company_name;
mod email;
mod phone;

pub use company_name::{LEGAL_FORMS, company_name_key};
pub use email::email_normalized;
pub use phone::{Region, RegionError, phone_e164};

/// The normalisers without their fast paths, so that the fast paths can be checked and timed
/// from outside the crate (`examples/key_speed.rs`).
///
/// Each function here applies the same rules as its namesake at the crate root, with every
/// input taking the general path: the same answers, several times slower. Production code
/// calls the crate-root functions.
pub mod reference {
    use crate::Region;

    /// [`phone_e164`](crate::phone_e164) with every number parsed by libphonenumber.
    pub fn phone_e164(raw: &str, default_region: Option<Region>) -> Option<String> {
        crate::phone::phone_e164_full(raw, default_region)
    }

    /// [`company_name_key`](crate::company_name_key) with every name put through NFKC and the
    /// Unicode character tables.
    pub fn company_name_key(raw: &str) -> Option<String> {
        crate::company_name::company_name_key_full(raw)
    }
}
