//! Yonyou U8 sources: customers (customer/batch_get) and contacts (customercontacts/batch_get).

mod source;

pub use source::U8Source;
