//! Yeastar YCM source: customers (each also yields a contact), sorted by customerId.

mod source;

pub use source::YcmCustomersSource;
