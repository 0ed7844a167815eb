//! Helpers shared by the simulator's integration tests: a plain reqwest client that speaks
//! both vendors' APIs the way the specs describe them.

#![allow(dead_code)]

use custlake_simulator::{
    DEMO_U8_APP_KEY, DEMO_U8_APP_SECRET, DEMO_U8_FROM_ACCOUNT, DEMO_YCM_CLIENT_ID,
    DEMO_YCM_CLIENT_SECRET, SimConfig, SimHandle,
};
use serde::Deserialize;
use serde_json::value::RawValue;

/// Starts a simulator; panics (test failure) when it cannot.
pub async fn start(config: SimConfig) -> SimHandle {
    custlake_simulator::start(config)
        .await
        .expect("simulator starts")
}

/// A reqwest client without a default User-Agent.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().build().expect("client builds")
}

/// GET `url` and return (status, body bytes).
pub async fn get(http: &reqwest::Client, url: &str) -> (u16, Vec<u8>) {
    let response = http.get(url).send().await.expect("request sent");
    let status = response.status().as_u16();
    let body = response.bytes().await.expect("body read").to_vec();
    (status, body)
}

/// Calls `f` until it returns `Some`, at most `tries` times (for fault tests whose faults are
/// capped per request identity).
pub async fn retry<T, F, Fut>(tries: usize, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..tries {
        if let Some(value) = f().await {
            return value;
        }
    }
    panic!("no success after {tries} tries");
}

/// The query of every U8 data call for the demo app and `to_account`.
pub fn u8_query(to_account: &str, token: &str) -> String {
    format!(
        "from_account={DEMO_U8_FROM_ACCOUNT}&to_account={to_account}&app_key={DEMO_U8_APP_KEY}&token={token}"
    )
}

/// The U8 token answer, once it succeeds.
pub async fn u8_token_once(http: &reqwest::Client, base: &str) -> Option<String> {
    let url = format!(
        "{base}/system/token?from_account={DEMO_U8_FROM_ACCOUNT}&app_key={DEMO_U8_APP_KEY}&app_secret={DEMO_U8_APP_SECRET}"
    );
    let response = http.get(&url).send().await.ok()?;
    if response.status() != 200 {
        return None;
    }
    let body: serde_json::Value = response.json().await.ok()?;
    if body["errcode"] != "0" {
        return None;
    }
    body["token"]["id"].as_str().map(str::to_owned)
}

/// A U8 token for the demo app (retrying injected faults).
pub async fn u8_token(http: &reqwest::Client, base: &str) -> String {
    retry(10, || u8_token_once(http, base)).await
}

/// A YCM token pair (access, refresh) for the demo client, once it succeeds.
pub async fn ycm_token_once(http: &reqwest::Client, base: &str) -> Option<(String, String)> {
    let response = http
        .post(format!("{base}/dm/open_api/oauth/token"))
        .header("User-Agent", "OpenAPI")
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", DEMO_YCM_CLIENT_ID),
            ("client_secret", DEMO_YCM_CLIENT_SECRET),
        ])
        .send()
        .await
        .ok()?;
    if response.status() != 200 {
        return None;
    }
    let body: serde_json::Value = response.json().await.ok()?;
    Some((
        body["access_token"].as_str()?.to_owned(),
        body["refresh_token"].as_str()?.to_owned(),
    ))
}

/// A YCM access token for the demo client (retrying injected faults).
pub async fn ycm_token(http: &reqwest::Client, base: &str) -> String {
    retry(10, || ycm_token_once(http, base)).await.0
}

/// One U8 batch_get page with its records as raw JSON text.
#[derive(Debug, Deserialize)]
pub struct U8Page {
    pub errcode: String,
    pub row_count: Option<String>,
    pub page_count: Option<String>,
    #[serde(default)]
    pub customer: Vec<Box<RawValue>>,
    #[serde(default)]
    pub customercontacts: Vec<Box<RawValue>>,
}

impl U8Page {
    /// The records of either list, as raw text.
    pub fn records(&self) -> Vec<String> {
        self.customer
            .iter()
            .chain(&self.customercontacts)
            .map(|r| r.get().to_owned())
            .collect()
    }
}

/// Pages through a U8 list (`customer` or `customercontacts`) and returns every page's body.
pub async fn u8_all_pages(
    http: &reqwest::Client,
    base: &str,
    list: &str,
    query: &str,
    rows: u64,
) -> Vec<Vec<u8>> {
    let mut pages = Vec::new();
    let mut page = 1;
    loop {
        let url =
            format!("{base}/api/{list}/batch_get?{query}&page_index={page}&rows_per_page={rows}");
        let (status, body) = get(http, &url).await;
        assert_eq!(status, 200);
        let parsed: U8Page = serde_json::from_slice(&body).expect("page is JSON");
        if parsed.errcode == custlake_simulator::U8_NO_MATCH_CODE {
            // No matching record: an empty listing (or window) has no pages.
            assert_eq!(page, 1, "{}", String::from_utf8_lossy(&body));
            return pages;
        }
        assert_eq!(parsed.errcode, "0", "{}", String::from_utf8_lossy(&body));
        let page_count: u64 = parsed
            .page_count
            .as_deref()
            .unwrap_or("0")
            .parse()
            .expect("number");
        pages.push(body);
        if page >= page_count {
            return pages;
        }
        page += 1;
    }
}

/// The YCM list envelope with its records as raw JSON text.
#[derive(Debug, Deserialize)]
pub struct YcmListEnvelope {
    pub status: String,
    pub data: Option<YcmList>,
}

/// The `data` of a YCM list page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct YcmList {
    pub page_size: u64,
    pub page_number: u64,
    pub total: u64,
    pub list: Vec<Box<RawValue>>,
}

/// GET a YCM URL with User-Agent and bearer token.
pub async fn ycm_get(
    http: &reqwest::Client,
    url: &str,
    token: &str,
) -> (u16, Vec<u8>, Option<String>) {
    let response = http
        .get(url)
        .header("User-Agent", "OpenAPI")
        .bearer_auth(token)
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.bytes().await.expect("body read").to_vec();
    (status, body, retry_after)
}

/// Pages through the YCM customer list (ascending) and returns every page's body.
pub async fn ycm_all_pages(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    size: u64,
) -> Vec<Vec<u8>> {
    let mut pages = Vec::new();
    let mut number = 1;
    loop {
        let url = format!(
            "{base}/dm/open_api/v1/customers?pageSize={size}&pageNumber={number}&sort=customerId"
        );
        let (status, body, _) = ycm_get(http, &url, token).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let parsed: YcmListEnvelope = serde_json::from_slice(&body).expect("page is JSON");
        assert_eq!(parsed.status, "Success");
        let data = parsed.data.expect("data");
        pages.push(body);
        if number * size >= data.total {
            return pages;
        }
        number += 1;
    }
}

/// The records of YCM list pages, as raw text.
pub fn ycm_records(pages: &[Vec<u8>]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|body| {
            let parsed: YcmListEnvelope = serde_json::from_slice(body).expect("page is JSON");
            parsed
                .data
                .expect("data")
                .list
                .into_iter()
                .map(|r| r.get().to_owned())
        })
        .collect()
}

/// The records of U8 pages, as raw text.
pub fn u8_records(pages: &[Vec<u8>]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|body| {
            let parsed: U8Page = serde_json::from_slice(body).expect("page is JSON");
            parsed.records()
        })
        .collect()
}
