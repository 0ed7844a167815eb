//! Builds the vendor clients and page sources of a validated source.

use std::sync::Arc;
use std::time::Duration;

use ::yonyou_u8::U8CustomerFilter;

use crate::config::{ValidatedSource, VendorSettings};
use crate::model::Entity;
use crate::sources::PageSource;
use crate::sources::yeastar_ycm::YcmCustomersSource;
use crate::sources::yonyou_u8::U8Source;

/// One page source per configured entity, sharing one HTTP client and vendor client.
pub fn build_page_sources(source: &ValidatedSource) -> Result<Vec<Arc<dyn PageSource>>, String> {
    build_filtered_page_sources(source, U8CustomerFilter::default())
}

/// [`build_page_sources`] with U8 customers narrowed by `customers` (incremental runs).
pub fn build_filtered_page_sources(
    source: &ValidatedSource,
    customers: U8CustomerFilter,
) -> Result<Vec<Arc<dyn PageSource>>, String> {
    let http = http_client(source)?;
    page_sources(source, http, customers)
}

/// One customer as the vendor sends it (raw JSON), for debugging; `None` when not found.
pub async fn fetch_one_customer(
    source: &ValidatedSource,
    id: &str,
) -> Result<Option<String>, String> {
    let http = http_client(source)?;
    match &source.vendor {
        VendorSettings::YonyouU8 { account, .. } => {
            let client =
                ::yonyou_u8::U8Client::new((**account).clone(), http).map_err(|e| e.to_string())?;
            // An unknown code is a no-match answer, which the client returns as `None`.
            match client.customer(id).await {
                Ok(record) => Ok(record.map(|r| r.raw_json().to_owned())),
                Err(e) => Err(e.to_string()),
            }
        }
        VendorSettings::YeastarYcm { account } => {
            let id: i64 = id
                .trim()
                .parse()
                .map_err(|_| format!("{id:?} is not a YCM customer id (a whole number)"))?;
            let client = ::yeastar_ycm::YcmClient::new((**account).clone(), http)
                .map_err(|e| e.to_string())?;
            match client.customer(id).await {
                Ok(record) => Ok(record.map(|r| r.raw_json().to_owned())),
                Err(::yeastar_ycm::YcmError::Vendor { code, .. }) if code == "40400" => Ok(None),
                Err(e) => Err(e.to_string()),
            }
        }
    }
}

fn page_sources(
    source: &ValidatedSource,
    http: reqwest::Client,
    customer_filter: U8CustomerFilter,
) -> Result<Vec<Arc<dyn PageSource>>, String> {
    let page_size = source.fetch.page_size;
    match &source.vendor {
        VendorSettings::YonyouU8 { account, .. } => {
            let client =
                ::yonyou_u8::U8Client::new((**account).clone(), http).map_err(|e| e.to_string())?;
            Ok(source
                .entities
                .iter()
                .map(|entity| -> Arc<dyn PageSource> {
                    match entity {
                        Entity::Customers => Arc::new(U8Source::customers(
                            client.clone(),
                            page_size,
                            customer_filter.clone(),
                        )),
                        Entity::Contacts => Arc::new(U8Source::contacts(
                            client.clone(),
                            page_size,
                            Default::default(),
                        )),
                    }
                })
                .collect())
        }
        VendorSettings::YeastarYcm { account } => {
            let client = ::yeastar_ycm::YcmClient::new((**account).clone(), http)
                .map_err(|e| e.to_string())?;
            Ok(vec![Arc::new(YcmCustomersSource::new(client, page_size))])
        }
    }
}

fn http_client(source: &ValidatedSource) -> Result<reqwest::Client, String> {
    let timeout = source.fetch.request_timeout;
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .pool_max_idle_per_host(source.fetch.concurrency * source.entities.len().max(1));
    if base_url(source).starts_with("http://") {
        // A plain-HTTP endpoint (an on-premises gateway, the simulator) needs no certificates.
        // Without this, building the client reads and parses every file of the system
        // certificate store (~0.1 s, measured), which is most of a short run's start-up.
        builder = builder.tls_certs_only(std::iter::empty());
    }
    builder.build().map_err(|e| {
        format!(
            "cannot build the HTTP client: {}",
            custlake_client_kit::TransportFailure::from_reqwest(e)
        )
    })
}

fn base_url(source: &ValidatedSource) -> &str {
    match &source.vendor {
        VendorSettings::YonyouU8 { account, .. } => &account.base_url,
        VendorSettings::YeastarYcm { account } => &account.base_url,
    }
}
