//! `check`: authenticate each source and read its first page, writing nothing.

use crate::config::ValidatedSource;
use crate::fetch::FetchFailure;
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

/// Checks every entity of every source; never writes anything. A result announcing more pages
/// than `max_pages` fails here as it would fail the export.
pub async fn check_sources(sources: &[ValidatedSource]) -> Vec<EntityCheck> {
    let mut out = Vec::new();
    for source in sources {
        let kind = source.vendor.kind().as_str();
        tracing::debug!(source = kind, tenant = %source.name, "checking: log-in and page 1 of every entity");
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
            .map_err(|e| e.to_string())
            .and_then(|page| {
                within_max_pages(page.announced_pages, source.fetch.max_pages)
                    .map(|pages| (pages, page.announced_records))
            });
            let entity = page_source.entity().as_str();
            match &result {
                Ok((pages, records)) => {
                    tracing::debug!(source = kind, tenant = %source.name, entity, pages, records, "checked");
                }
                Err(error) => {
                    tracing::debug!(source = kind, tenant = %source.name, entity, %error, "check failed");
                }
            }
            out.push(EntityCheck {
                tenant: source.name.clone(),
                source: kind,
                entity,
                result,
            });
        }
    }
    out
}

/// The page count an export would accept, or the error export gives for it.
fn within_max_pages(announced: u64, limit: u64) -> Result<u64, String> {
    if announced > limit {
        Err(FetchFailure::TooManyPages { announced, limit }.to_string())
    } else {
        Ok(announced)
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::routing::get;

    use super::*;
    use crate::config::ExportConfig;

    /// A U8 gateway on 127.0.0.1 whose customer listing announces `page_count` pages.
    async fn u8_announcing(page_count: &'static str) -> (String, tokio::task::JoinHandle<()>) {
        let token = || async { r#"{"errcode":"0","token":{"id":"t-1","expiresIn":"7200"}}"# };
        let page = move || async move {
            format!(
                r#"{{"errcode":"0","errmsg":"","page_index":"1","rows_per_page":"10","row_count":"10","page_count":"{page_count}","customer":[{{"code":"0001","name":"a"}}]}}"#
            )
        };
        let app = Router::new()
            .route("/system/token", get(token))
            .route("/api/customer/batch_get", get(page));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (url, task)
    }

    async fn check_stub(page_count: &'static str) -> Result<(u64, u64), String> {
        let (url, server) = u8_announcing(page_count).await;
        let text = format!(
            "[output]\npath = \"out\"\n[[sources]]\nname = \"stub\"\nkind = \"yonyou_u8\"\n\
             base_url = {url:?}\nfrom_account = \"f\"\nto_account = \"t\"\napp_key = \"k\"\n\
             app_secret = \"s\"\nentities = [\"customers\"]\n[sources.retry]\nmax_attempts = 1\n"
        );
        let config: ExportConfig = toml::from_str(&text).expect("test config parses");
        let sources = config.validate().expect("test config is valid");
        let checks = check_sources(&sources).await;
        server.abort();
        assert_eq!(checks.len(), 1, "{checks:?}");
        checks[0].result.clone()
    }

    #[tokio::test]
    async fn a_source_announcing_more_pages_than_max_pages_fails_like_export() {
        let error = check_stub("1000000000000")
            .await
            .expect_err("10^12 pages are more than max_pages");
        assert_eq!(
            error,
            "the vendor announced 1000000000000 pages, more than max_pages = 1000000; raise \
             max_pages if this is real"
        );
        assert_eq!(check_stub("3").await, Ok((3, 10)));
    }
}
