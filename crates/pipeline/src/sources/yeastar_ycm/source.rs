//! The YCM customer list as a page source.

use ::yeastar_ycm::YcmClient;
use futures::FutureExt;
use futures::future::BoxFuture;

use crate::model::Entity;
use crate::sources::{FetchError, FetchedPage, PageRecords, PageSource};

/// YCM customers of one OpenAPI client.
pub struct YcmCustomersSource {
    client: YcmClient,
    page_size: u32,
}

impl YcmCustomersSource {
    /// Customers through `client`, `page_size` (≤ 50) per page.
    pub fn new(client: YcmClient, page_size: u32) -> Self {
        Self { client, page_size }
    }
}

impl PageSource for YcmCustomersSource {
    fn entity(&self) -> Entity {
        Entity::Customers
    }

    fn authenticate(&self) -> BoxFuture<'_, Result<(), FetchError>> {
        async move { Ok(self.client.authenticate().await?) }.boxed()
    }

    fn fetch_page(&self, page: u64) -> BoxFuture<'_, Result<FetchedPage, FetchError>> {
        async move {
            let answer = self.client.customer_page(page, self.page_size).await?;
            Ok(FetchedPage {
                page,
                announced_records: answer.total,
                announced_pages: answer.page_count(),
                records: PageRecords::YcmCustomers(answer.records),
            })
        }
        .boxed()
    }
}
