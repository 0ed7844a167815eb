//! U8 page sources over the generated client's hand-written layer.

use ::yonyou_u8::{U8Client, U8ContactFilter, U8CustomerFilter};
use futures::FutureExt;
use futures::future::BoxFuture;

use crate::model::Entity;
use crate::sources::{FetchError, FetchedPage, PageRecords, PageSource};

/// U8 customers of one account.
pub struct U8CustomersSource {
    client: U8Client,
    page_size: u64,
    filter: U8CustomerFilter,
}

impl U8CustomersSource {
    /// Customers through `client`, `page_size` rows per page, narrowed by `filter`.
    pub fn new(client: U8Client, page_size: u32, filter: U8CustomerFilter) -> Self {
        Self {
            client,
            page_size: u64::from(page_size),
            filter,
        }
    }
}

impl PageSource for U8CustomersSource {
    fn entity(&self) -> Entity {
        Entity::Customers
    }

    fn authenticate(&self) -> BoxFuture<'_, Result<(), FetchError>> {
        async move { Ok(self.client.authenticate().await?) }.boxed()
    }

    fn fetch_page(&self, page: u64) -> BoxFuture<'_, Result<FetchedPage, FetchError>> {
        async move {
            let answer = self
                .client
                .customer_page(page, self.page_size, &self.filter)
                .await?;
            Ok(FetchedPage {
                page,
                announced_records: answer.row_count,
                announced_pages: answer.page_count,
                records: PageRecords::U8Customers(answer.records),
            })
        }
        .boxed()
    }
}

/// U8 customer contacts of one account.
pub struct U8ContactsSource {
    client: U8Client,
    page_size: u64,
    filter: U8ContactFilter,
}

impl U8ContactsSource {
    /// Contacts through `client`, `page_size` rows per page, narrowed by `filter`.
    pub fn new(client: U8Client, page_size: u32, filter: U8ContactFilter) -> Self {
        Self {
            client,
            page_size: u64::from(page_size),
            filter,
        }
    }
}

impl PageSource for U8ContactsSource {
    fn entity(&self) -> Entity {
        Entity::Contacts
    }

    fn authenticate(&self) -> BoxFuture<'_, Result<(), FetchError>> {
        async move { Ok(self.client.authenticate().await?) }.boxed()
    }

    fn fetch_page(&self, page: u64) -> BoxFuture<'_, Result<FetchedPage, FetchError>> {
        async move {
            let answer = self
                .client
                .contact_page(page, self.page_size, &self.filter)
                .await?;
            Ok(FetchedPage {
                page,
                announced_records: answer.row_count,
                announced_pages: answer.page_count,
                records: PageRecords::U8Contacts(answer.records),
            })
        }
        .boxed()
    }
}
