//! Credentials, tokens, tenants and request validation, over HTTP.

use crate::common;

use std::time::Duration;

use common::{client, get, start, u8_query, u8_token, ycm_get, ycm_token_once};
use custlake_simulator::codes::{
    U8_ACCOUNT_NOT_FOUND_CODE, U8_MISSING_PARAMETER_CODE, U8_NO_MATCH_CODE, YCM_BAD_REQUEST_CODE,
    YCM_INVALID_PARAMETER_CODE, YCM_NOT_FOUND_CODE, YCM_REFRESH_TOKEN_INVALID_CODE,
};
use custlake_simulator::{
    DEMO_U8_APP_KEY, DEMO_U8_FROM_ACCOUNT, DEMO_YCM_CLIENT_ID, SimConfig, U8_APP_NOT_ONLINE_CODE,
    U8_BAD_CREDENTIALS_CODE, U8_TOKEN_EXPIRED_CODE, U8_TOKEN_INVALID_CODE,
    YCM_BAD_CREDENTIALS_CODE, YCM_TOKEN_EXPIRED_CODE, YCM_TOKEN_INVALID_CODE,
};

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).expect("JSON body")
}

#[tokio::test]
async fn u8_credentials_are_checked() {
    let sim = start(SimConfig::demo(5)).await;
    let http = client();
    let base = sim.base_url();
    let token_url = |app_key: &str, secret: &str| {
        format!(
            "{base}/system/token?from_account={DEMO_U8_FROM_ACCOUNT}&app_key={app_key}&app_secret={secret}"
        )
    };
    let (status, body) = get(&http, &token_url("unknown", "x")).await;
    assert_eq!(status, 200);
    assert_eq!(json(&body)["errcode"], U8_APP_NOT_ONLINE_CODE);
    assert_eq!(json(&body)["errmsg"], "此应用未上线");
    let (_, body) = get(&http, &token_url(DEMO_U8_APP_KEY, "wrong")).await;
    assert_eq!(json(&body)["errcode"], U8_BAD_CREDENTIALS_CODE);
    let (_, body) = get(&http, &format!("{base}/system/token?app_key=x")).await;
    assert_eq!(json(&body)["errcode"], U8_MISSING_PARAMETER_CODE);

    let token = u8_token(&http, &base).await;
    let customer = |query: String| format!("{base}/api/customer/get?{query}&id=00000003");
    let (_, body) = get(&http, &customer(u8_query("demo_ent_a", "not-a-token"))).await;
    assert_eq!(json(&body)["errcode"], U8_TOKEN_INVALID_CODE);
    assert_eq!(json(&body)["errmsg"], "token无效");
    let (_, body) = get(&http, &customer(u8_query("nobody", &token))).await;
    assert_eq!(json(&body)["errcode"], U8_ACCOUNT_NOT_FOUND_CODE);
    let (_, body) = get(&http, &customer(u8_query("demo_ent_a", &token))).await;
    let v = json(&body);
    assert_eq!(v["errcode"], "0");
    assert_eq!(v["customer"]["code"], "00000003");
    let (_, body) = get(
        &http,
        &format!(
            "{base}/api/customer/get?{}&id=99999999",
            u8_query("demo_ent_a", &token)
        ),
    )
    .await;
    assert_eq!(json(&body)["errcode"], U8_NO_MATCH_CODE);
    assert_eq!(json(&body)["errmsg"], "未检索到匹配的[客户]。");
    // ds_sequence picks the data source; tenant b is data source 1 of demo_ent_b.
    let (_, body) = get(
        &http,
        &customer(u8_query("demo_ent_b", &token) + "&ds_sequence=1"),
    )
    .await;
    assert_eq!(json(&body)["errcode"], "0");
    let (_, body) = get(
        &http,
        &customer(u8_query("demo_ent_b", &token) + "&ds_sequence=2"),
    )
    .await;
    assert_eq!(json(&body)["errcode"], U8_ACCOUNT_NOT_FOUND_CODE);
    assert_eq!(sim.stats().u8_tokens_issued, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn u8_tokens_expire_after_their_lifetime() {
    let mut config = SimConfig::demo(5);
    config.tokens.u8_lifetime = Duration::from_millis(300);
    let sim = start(config).await;
    let http = client();
    let base = sim.base_url();
    let token = u8_token(&http, &base).await;
    let url = format!(
        "{base}/api/customer/batch_get?{}",
        u8_query("demo_ent_a", &token)
    );
    assert_eq!(json(&get(&http, &url).await.1)["errcode"], "0");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        json(&get(&http, &url).await.1)["errcode"],
        U8_TOKEN_EXPIRED_CODE
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn ycm_credentials_user_agent_and_refresh_grant() {
    let mut config = SimConfig::demo(12);
    config.tokens.ycm_access_lifetime = Duration::from_millis(300);
    let sim = start(config).await;
    let http = client();
    let base = sim.base_url();
    let token_url = format!("{base}/dm/open_api/oauth/token");

    let bad = http
        .post(&token_url)
        .header("User-Agent", "OpenAPI")
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", DEMO_YCM_CLIENT_ID),
            ("client_secret", "no"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(bad.status(), 200);
    let v: serde_json::Value = bad.json().await.expect("JSON");
    assert_eq!(v["status"], "Failed");
    assert_eq!(v["errcode"].to_string(), YCM_BAD_CREDENTIALS_CODE);

    let no_agent = http
        .post(&token_url)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("sent");
    assert_eq!(no_agent.status(), 400);
    let v: serde_json::Value = no_agent.json().await.expect("JSON");
    assert_eq!(v["errcode"].to_string(), YCM_BAD_REQUEST_CODE);

    let (access, refresh) = ycm_token_once(&http, &base).await.expect("token pair");
    let list = format!("{base}/dm/open_api/v1/customers?pageSize=5&pageNumber=2");
    let (status, body, _) = ycm_get(&http, &list, &access).await;
    assert_eq!(status, 200);
    let v = json(&body);
    assert_eq!(v["status"], "Success");
    assert_eq!(v["data"]["pageNumber"], 2);
    assert_eq!(v["data"]["total"], 12);
    assert_eq!(v["data"]["list"].as_array().map(Vec::len), Some(5));

    let (status, body, _) = ycm_get(&http, &list, "bogus").await;
    assert_eq!(status, 401);
    assert_eq!(json(&body)["errcode"].to_string(), YCM_TOKEN_INVALID_CODE);
    let missing_agent = http
        .get(&list)
        .bearer_auth(&access)
        .send()
        .await
        .expect("sent");
    assert_eq!(missing_agent.status(), 400);

    tokio::time::sleep(Duration::from_millis(400)).await;
    let (status, body, _) = ycm_get(&http, &list, &access).await;
    assert_eq!(status, 401);
    assert_eq!(json(&body)["errcode"].to_string(), YCM_TOKEN_EXPIRED_CODE);

    let refreshed = http
        .post(&token_url)
        .header("User-Agent", "OpenAPI")
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
        ])
        .send()
        .await
        .expect("sent");
    let v: serde_json::Value = refreshed.json().await.expect("JSON");
    let new_access = v["access_token"]
        .as_str()
        .expect("new access token")
        .to_owned();
    assert_ne!(new_access, access);
    assert_eq!(ycm_get(&http, &list, &new_access).await.0, 200);

    let bad_refresh = http
        .post(&token_url)
        .header("User-Agent", "OpenAPI")
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "nope")])
        .send()
        .await
        .expect("sent");
    let v: serde_json::Value = bad_refresh.json().await.expect("JSON");
    assert_eq!(v["errcode"].to_string(), YCM_REFRESH_TOKEN_INVALID_CODE);
    assert_eq!(sim.stats().ycm_tokens_issued, 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn ycm_parameters_and_single_customer() {
    let sim = start(SimConfig::demo(12)).await;
    let http = client();
    let base = sim.base_url();
    let (access, _) = ycm_token_once(&http, &base).await.expect("token pair");
    for bad in [
        "pageSize=51",
        "pageSize=0",
        "pageNumber=0",
        "sort=name",
        "pageSize=x",
    ] {
        let (status, body, _) = ycm_get(
            &http,
            &format!("{base}/dm/open_api/v1/customers?{bad}"),
            &access,
        )
        .await;
        assert_eq!(status, 200, "{bad}");
        assert_eq!(
            json(&body)["errcode"].to_string(),
            YCM_INVALID_PARAMETER_CODE,
            "{bad}"
        );
    }
    let (_, body, _) = ycm_get(
        &http,
        &format!("{base}/dm/open_api/v1/customers?sort=-customerId"),
        &access,
    )
    .await;
    let v = json(&body);
    assert_eq!(v["data"]["pageSize"], 10);
    let first = &v["data"]["list"][0];
    let id = first["customerId"].to_string().trim_matches('"').to_owned();
    let (status, body, _) = ycm_get(
        &http,
        &format!("{base}/dm/open_api/v1/customers/{id}"),
        &access,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(&json(&body)["data"], first);
    let (_, body, _) = ycm_get(
        &http,
        &format!("{base}/dm/open_api/v1/customers/1"),
        &access,
    )
    .await;
    assert_eq!(json(&body)["errcode"].to_string(), YCM_NOT_FOUND_CODE);
    sim.shutdown().await;
}
