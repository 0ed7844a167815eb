//! `YcmPage`: one page of the customer list with its total parsed.

use custlake_client_kit::{LooseString, VendorRecord};

use crate::YcmError;
use crate::types::YcmCustomer;

/// One page of `GET /dm/open_api/v1/customers`.
#[derive(Debug)]
pub struct YcmPage {
    /// This page's number, from 1.
    pub page_number: u64,
    /// Results per page as the vendor applied it.
    pub page_size: u64,
    /// Customers in the whole result, as announced.
    pub total: u64,
    /// The customers on this page, each with its raw JSON text.
    pub records: Vec<VendorRecord<YcmCustomer>>,
}

impl YcmPage {
    /// Pages in the whole result at this page size.
    pub fn page_count(&self) -> u64 {
        self.total.div_ceil(self.page_size.max(1))
    }
}

/// Parses an integer counter that may arrive as a number or a string.
pub(crate) fn counter(
    operation: &'static str,
    name: &'static str,
    value: Option<&LooseString>,
) -> Result<Option<u64>, YcmError> {
    let Some(value) = value else { return Ok(None) };
    let text = value.as_str().trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<u64>().map(Some).map_err(|_| YcmError::Decode {
        operation,
        message: format!("{name} {text:?} is not a non-negative integer"),
    })
}
