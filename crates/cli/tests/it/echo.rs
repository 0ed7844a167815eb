//! Vendors that echo credentials in their own error text: whatever they wrap a secret or a live
//! token in, it reaches no byte of stdout, stderr, the manifest or any output file, of `export`
//! or of `check`. A small hostile server on 127.0.0.1 plays both vendors:
//!
//! * a U8 token endpoint answering `10001` with the app_secret in its errmsg, plainly and inside
//!   the request URL it quotes;
//! * U8 data pages answering with the live token in the errmsg (`12345`, permanent; `90001`,
//!   busy, so retried), plainly and as `url=…&token=…`;
//! * a U8 data page answering an HTML body `<p>t=<token></p>` (a body that does not decode);
//! * a YCM token endpoint answering `Invalid client_secret <secret>`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use assert_cmd::Command;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::leaks::{Needles, assert_no_leaks};

const U8_SECRET: &str = "u8-app-secret-echoed-7Hq2";
const YCM_SECRET: &str = "ycm-client-secret-echoed-9Kx4";

/// The hostile server's memory: every token it handed out.
#[derive(Default)]
struct Echoes {
    tokens: Mutex<Vec<String>>,
}

impl Echoes {
    fn issue(&self) -> String {
        let mut tokens = self.tokens.lock().expect("lock");
        let token = format!(
            "live-token-{:032x}",
            0x5eed_0000_u128 + tokens.len() as u128
        );
        tokens.push(token.clone());
        token
    }
}

/// `/system/token`: the `echo_secret` account's app_secret is "wrong", and the answer quotes it.
async fn u8_token(
    State(echoes): State<Arc<Echoes>>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<serde_json::Value> {
    let secret = q.get("app_secret").cloned().unwrap_or_default();
    if q.get("from_account").map(String::as_str) == Some("echo_secret") {
        return Json(json!({
            "errcode": "10001",
            "errmsg": format!(
                "app_secret {secret} is wrong (request /system/token?from_account=echo_secret&app_key=k&app_secret={secret}&x=1)"
            ),
        }));
    }
    Json(
        json!({"errcode": "0", "errmsg": "成功", "token": {"id": echoes.issue(), "appKey": "k", "expiresIn": 7200}}),
    )
}

/// The U8 listings: what each account (`to_account`) answers, always quoting the live token.
async fn u8_page(Query(q): Query<HashMap<String, String>>) -> Response {
    let token = q.get("token").cloned().unwrap_or_default();
    let quoted = |code: &str| {
        Json(json!({
            "errcode": code,
            "errmsg": format!(
                "bad request for session {token}; url=/api/customer/batch_get?from_account=f&token={token}&page_index=1"
            ),
        }))
        .into_response()
    };
    match q.get("to_account").map(String::as_str) {
        Some("echo_busy") => quoted("90001"),
        Some("echo_html") => (
            [(header::CONTENT_TYPE, "text/html")],
            format!("<html><body><p>t={token}</p></body></html>"),
        )
            .into_response(),
        _ => quoted("12345"),
    }
}

/// The YCM token endpoint refuses the client and quotes its secret.
async fn ycm_token(body: String) -> Json<serde_json::Value> {
    let secret = body
        .split('&')
        .find_map(|pair| pair.strip_prefix("client_secret="))
        .unwrap_or_default()
        .to_owned();
    Json(json!({
        "status": "Failed",
        "errcode": 40003,
        "errmsg": format!("Invalid client_secret {secret}"),
        "requestId": "r1",
    }))
}

fn config_text(base: &str, out: &Path) -> String {
    let retry = "[sources.retry]\nmax_attempts = 3\ninitial_backoff_ms = 1\nmax_backoff_ms = 5\n";
    let mut text = format!("[output]\npath = {:?}\n", out.display().to_string());
    for (name, from, to) in [
        ("u8-secret-echo", "echo_secret", "acct"),
        ("u8-token-echo", "f", "echo_token"),
        ("u8-busy-echo", "f", "echo_busy"),
        ("u8-html-echo", "f", "echo_html"),
    ] {
        text.push_str(&format!(
            "\n[[sources]]\nname = {name:?}\nkind = \"yonyou_u8\"\nbase_url = {base:?}\nfrom_account = {from:?}\nto_account = {to:?}\napp_key = \"k\"\napp_secret = \"${{ECHO_U8_SECRET}}\"\nrequests_per_second = 1000\n{retry}"
        ));
    }
    text.push_str(&format!(
        "\n[[sources]]\nname = \"ycm-secret-echo\"\nkind = \"yeastar_ycm\"\nbase_url = {base:?}\nclient_id = \"c\"\nclient_secret = \"${{ECHO_YCM_SECRET}}\"\nrequests_per_second = 1000\n{retry}"
    ));
    text
}

fn custlake(config: &Path, command: &str) -> std::process::Output {
    let mut cmd = Command::cargo_bin("custlake").expect("binary built");
    cmd.env_remove("CUSTLAKE_LOG")
        .env("ECHO_U8_SECRET", U8_SECRET)
        .env("ECHO_YCM_SECRET", YCM_SECRET)
        .args(["--no-progress", "-vv", command, "--config"])
        .arg(config);
    cmd.output().expect("custlake runs")
}

#[test]
fn secrets_and_tokens_echoed_by_vendors_reach_no_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("lake");
    let echoes = Arc::new(Echoes::default());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let app = Router::new()
        .route("/system/token", get(u8_token))
        .route("/api/customer/batch_get", get(u8_page))
        .route("/api/customercontacts/batch_get", get(u8_page))
        .route("/dm/open_api/oauth/token", post(ycm_token))
        .with_state(echoes.clone());
    runtime.spawn(async move { axum::serve(listener, app).await });

    let config = dir.path().join("custlake.toml");
    std::fs::write(&config, config_text(&base, &out)).expect("write config");
    let export = custlake(&config, "export");
    let check = custlake(&config, "check");
    let tokens = echoes.tokens.lock().expect("lock").clone();
    drop(runtime);

    assert_eq!(export.status.code(), Some(1), "every source fails");
    let stdout = String::from_utf8_lossy(&export.stdout);
    for (source, answer) in [
        ("u8-secret-echo", "10001"),
        ("u8-token-echo", "12345"),
        ("u8-busy-echo", "90001"),
        ("u8-html-echo", "not the JSON"),
        ("ycm-secret-echo", "refused"),
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.contains(source) && l.contains(answer) && l.contains("***")),
            "{source}: the vendor's text is shown, with the secret cut out: {stdout}"
        );
    }
    let manifests = dir.path().join("lake").join("_manifests");
    assert!(manifests.is_dir(), "a manifest was written");
    let needles = Needles::new(&[U8_SECRET, YCM_SECRET], tokens);
    assert_no_leaks(
        &needles,
        &[
            ("export stdout", &export.stdout),
            ("export stderr", &export.stderr),
            ("check stdout", &check.stdout),
            ("check stderr", &check.stderr),
        ],
        &[dir.path()],
    );
}
