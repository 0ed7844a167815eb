//! `U8Page`: one batch_get page with its counters parsed to integers.

use custlake_client_kit::{LooseString, VendorRecord};

use crate::U8Error;

/// One page of a batch_get answer. U8 sends the counters as strings (sometimes numbers); they are
/// parsed here so the pipeline can plan the remaining pages.
#[derive(Debug)]
pub struct U8Page<T> {
    /// This page's number, from 1.
    pub page_index: u64,
    /// Rows per page as the vendor applied it.
    pub rows_per_page: u64,
    /// Records in the whole result, as announced.
    pub row_count: u64,
    /// Pages in the whole result, as announced (derived from row_count when absent).
    pub page_count: u64,
    /// The records on this page, each with its raw JSON text.
    pub records: Vec<VendorRecord<T>>,
}

impl<T> U8Page<T> {
    /// The page of a listing that matched nothing (`20002 未检索到匹配的[…]`): no records, and
    /// totals of 0, so page 1 plans no further pages and a later page ends the listing.
    pub fn no_match(page_index: u64, rows_per_page: u64) -> Self {
        Self {
            page_index,
            rows_per_page,
            row_count: 0,
            page_count: 0,
            records: Vec::new(),
        }
    }
}

/// The counters of a page answer, before the records are attached.
pub(crate) struct PageCounters<'a> {
    pub page_index: Option<&'a LooseString>,
    pub rows_per_page: Option<&'a LooseString>,
    pub row_count: Option<&'a LooseString>,
    pub page_count: Option<&'a LooseString>,
}

impl PageCounters<'_> {
    /// Parses the counters; `requested_*` fill in what the vendor left out.
    pub(crate) fn parse<T>(
        &self,
        operation: &'static str,
        requested_page: u64,
        requested_rows: u64,
        records: Vec<VendorRecord<T>>,
    ) -> Result<U8Page<T>, U8Error> {
        let page_index =
            counter(operation, "page_index", self.page_index)?.unwrap_or(requested_page);
        let rows_per_page =
            counter(operation, "rows_per_page", self.rows_per_page)?.unwrap_or(requested_rows);
        let row_count = counter(operation, "row_count", self.row_count)?;
        let page_count = counter(operation, "page_count", self.page_count)?;
        let (row_count, page_count) = match (row_count, page_count) {
            (Some(rows), Some(pages)) => (rows, pages),
            (Some(rows), None) => (rows, rows.div_ceil(rows_per_page.max(1))),
            (None, _) => {
                return Err(U8Error::Decode {
                    operation,
                    message: "the page has no row_count, so the size of the result is unknown"
                        .into(),
                });
            }
        };
        Ok(U8Page {
            page_index,
            rows_per_page,
            row_count,
            page_count,
            records,
        })
    }
}

fn counter(
    operation: &'static str,
    name: &'static str,
    value: Option<&LooseString>,
) -> Result<Option<u64>, U8Error> {
    let Some(value) = value else { return Ok(None) };
    let text = value.as_str().trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<u64>().map(Some).map_err(|_| U8Error::Decode {
        operation,
        message: format!("{name} {text:?} is not a non-negative integer"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loose(s: &str) -> LooseString {
        LooseString::string(s)
    }

    #[test]
    fn parses_string_counters_and_derives_page_count() {
        let (idx, rows, count) = (loose("2"), loose("20"), loose("225"));
        let counters = PageCounters {
            page_index: Some(&idx),
            rows_per_page: Some(&rows),
            row_count: Some(&count),
            page_count: None,
        };
        let page = counters
            .parse::<()>("test", 2, 20, Vec::new())
            .expect("valid counters");
        assert_eq!(
            (page.page_index, page.row_count, page.page_count),
            (2, 225, 12)
        );
    }

    #[test]
    fn rejects_negative_counters() {
        let (count, pages) = (loose("10"), loose("-1"));
        let counters = PageCounters {
            page_index: None,
            rows_per_page: None,
            row_count: Some(&count),
            page_count: Some(&pages),
        };
        let err = counters
            .parse::<()>("test", 1, 20, Vec::new())
            .expect_err("negative");
        assert!(err.to_string().contains("page_count \"-1\""), "{err}");
    }
}
