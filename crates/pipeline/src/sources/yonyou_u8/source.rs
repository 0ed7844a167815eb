//! U8 page sources over the generated client's hand-written layer: one type for both listings,
//! since customer/batch_get and customercontacts/batch_get page the same way.

use ::yonyou_u8::{U8Client, U8ContactFilter, U8CustomerFilter};
use futures::FutureExt;
use futures::future::BoxFuture;

use crate::model::Entity;
use crate::sources::{FetchError, FetchedPage, PageRecords, PageSource};

/// Which U8 listing a source pages through, with its filter.
enum U8Listing {
    /// customer/batch_get.
    Customers(U8CustomerFilter),
    /// customercontacts/batch_get.
    Contacts(U8ContactFilter),
}

/// One U8 listing (customers or contacts) of one account.
pub struct U8Source {
    client: U8Client,
    page_size: u64,
    listing: U8Listing,
}

impl U8Source {
    /// Customers through `client`, `page_size` rows per page, narrowed by `filter`.
    pub fn customers(client: U8Client, page_size: u32, filter: U8CustomerFilter) -> Self {
        Self {
            client,
            page_size: u64::from(page_size),
            listing: U8Listing::Customers(filter),
        }
    }

    /// Contacts through `client`, `page_size` rows per page, narrowed by `filter`.
    pub fn contacts(client: U8Client, page_size: u32, filter: U8ContactFilter) -> Self {
        Self {
            client,
            page_size: u64::from(page_size),
            listing: U8Listing::Contacts(filter),
        }
    }
}

impl PageSource for U8Source {
    fn entity(&self) -> Entity {
        match self.listing {
            U8Listing::Customers(_) => Entity::Customers,
            U8Listing::Contacts(_) => Entity::Contacts,
        }
    }

    fn authenticate(&self) -> BoxFuture<'_, Result<(), FetchError>> {
        async move { Ok(self.client.authenticate().await?) }.boxed()
    }

    fn fetch_page(&self, page: u64) -> BoxFuture<'_, Result<FetchedPage, FetchError>> {
        async move {
            let (records, row_count, page_count) = match &self.listing {
                U8Listing::Customers(filter) => {
                    let answer = self
                        .client
                        .customer_page(page, self.page_size, filter)
                        .await?;
                    let records = PageRecords::U8Customers(answer.records);
                    (records, answer.row_count, answer.page_count)
                }
                U8Listing::Contacts(filter) => {
                    let answer = self
                        .client
                        .contact_page(page, self.page_size, filter)
                        .await?;
                    let records = PageRecords::U8Contacts(answer.records);
                    (records, answer.row_count, answer.page_count)
                }
            };
            Ok(FetchedPage {
                page,
                announced_records: row_count,
                announced_pages: page_count,
                records,
            })
        }
        .boxed()
    }
}
