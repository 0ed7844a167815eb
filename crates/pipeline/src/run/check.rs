//! `check`: authenticate each source and read its first page, writing nothing.

use crate::config::ValidatedSource;
use crate::fetch::budget::RequestBudget;
use crate::fetch::retry::fetch_page_with_retries;
use crate::sources::build::build_page_sources;

/// What page 1 of one entity announced, or why it could not be read.
#[derive(Debug, Clone)]
pub struct EntityCheck {
    /// Tenant name.
    pub tenant: String,
    /// `yonyou_u8` or `yeastar_ycm`.
    pub source: &'static str,
    /// `customers` or `contacts`.
    pub entity: &'static str,
    /// (pages, records) announced, or the error.
    pub result: Result<(u64, u64), String>,
}

/// Checks every entity of every source; never writes anything.
pub async fn check_sources(sources: &[ValidatedSource]) -> Vec<EntityCheck> {
    let mut out = Vec::new();
    for source in sources {
        let kind = source.vendor.kind().as_str();
        let page_sources = match build_page_sources(source) {
            Ok(list) => list,
            Err(error) => {
                out.push(EntityCheck {
                    tenant: source.name.clone(),
                    source: kind,
                    entity: "-",
                    result: Err(error),
                });
                continue;
            }
        };
        let budget = RequestBudget::new(source.fetch.requests_per_second, source.fetch.burst);
        for page_source in page_sources {
            let result = fetch_page_with_retries(
                page_source.as_ref(),
                1,
                &budget,
                &source.fetch.retry,
                &|| {},
            )
            .await
            .map(|page| (page.announced_pages, page.announced_records))
            .map_err(|e| e.to_string());
            out.push(EntityCheck {
                tenant: source.name.clone(),
                source: kind,
                entity: page_source.entity().as_str(),
                result,
            });
        }
    }
    out
}
