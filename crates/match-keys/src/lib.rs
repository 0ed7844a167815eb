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
