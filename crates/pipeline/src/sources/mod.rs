//! Sources: one per configured (vendor, tenant) × entity, each behind the [`PageSource`] trait.
//!
//! The paging engine only knows "fetch page N, tell me the totals"; each vendor module answers
//! that with its generated client and classifies its own errors as retryable or not.

pub mod build;
pub mod yeastar_ycm;
pub mod yonyou_u8;

use std::fmt;

use ::yeastar_ycm::YcmCustomerRecord;
use ::yonyou_u8::{U8ContactRecord, U8CustomerRecord};
use custlake_client_kit::Retryability;
use futures::future::BoxFuture;

use crate::model::Entity;

/// The raw JSON texts of a page's records, in page order.
pub fn raw_texts(records: &PageRecords) -> Vec<&str> {
    match records {
        PageRecords::U8Customers(r) => r.iter().map(|x| x.raw_json()).collect(),
        PageRecords::U8Contacts(r) => r.iter().map(|x| x.raw_json()).collect(),
        PageRecords::YcmCustomers(r) => r.iter().map(|x| x.raw_json()).collect(),
    }
}

/// The records of one page, typed by what they are.
pub enum PageRecords {
    /// U8 customers.
    U8Customers(Vec<U8CustomerRecord>),
    /// U8 customer contacts.
    U8Contacts(Vec<U8ContactRecord>),
    /// YCM customers.
    YcmCustomers(Vec<YcmCustomerRecord>),
}

impl PageRecords {
    /// Records on the page.
    pub fn len(&self) -> usize {
        match self {
            PageRecords::U8Customers(r) => r.len(),
            PageRecords::U8Contacts(r) => r.len(),
            PageRecords::YcmCustomers(r) => r.len(),
        }
    }

    /// Whether the page is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One fetched page and the totals the vendor announced with it.
pub struct FetchedPage {
    /// Page number, from 1.
    pub page: u64,
    /// Records in the whole result, as announced on this page.
    pub announced_records: u64,
    /// Pages in the whole result at this page size, as announced.
    pub announced_pages: u64,
    /// The records.
    pub records: PageRecords,
}

/// A failed page fetch, redacted, with the vendor's retry classification.
#[derive(Debug, Clone)]
pub struct FetchError {
    /// Whether retrying may help.
    pub retryability: Retryability,
    /// The vendor error's message (already free of secrets).
    pub message: String,
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FetchError {}

impl From<::yonyou_u8::U8Error> for FetchError {
    fn from(e: ::yonyou_u8::U8Error) -> Self {
        Self {
            retryability: e.retryability(),
            message: custlake_client_kit::redact(&e.to_string()),
        }
    }
}

impl From<::yeastar_ycm::YcmError> for FetchError {
    fn from(e: ::yeastar_ycm::YcmError) -> Self {
        Self {
            retryability: e.retryability(),
            message: custlake_client_kit::redact(&e.to_string()),
        }
    }
}

/// One entity of one source, page by page.
pub trait PageSource: Send + Sync {
    /// The entity this source yields.
    fn entity(&self) -> Entity;

    /// Checks the credentials (obtains a token).
    fn authenticate(&self) -> BoxFuture<'_, Result<(), FetchError>>;

    /// Fetches page `page` (from 1).
    fn fetch_page(&self, page: u64) -> BoxFuture<'_, Result<FetchedPage, FetchError>>;
}
