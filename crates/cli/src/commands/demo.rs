//! `custlake demo`: an embedded simulator of both vendors, exported end to end. No set-up.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use custlake_pipeline::{ProgressObserver, RunOverrides, RunSettings, RunStatus, config_from_toml};
use custlake_simulator::SimConfig;
use toml::{Table, Value};

use crate::cli::DemoArgs;
use crate::commands::export::run_export;

/// Starts the simulator on 127.0.0.1, exports every demo tenant, prints the summary.
pub async fn run(
    args: DemoArgs,
    progress: Arc<dyn ProgressObserver>,
    quiet: bool,
) -> Result<RunStatus> {
    let sim_config = SimConfig::demo(args.records);
    let sim = custlake_simulator::start(sim_config.clone())
        .await
        .context("starting the embedded simulator")?;
    let base_url = sim.base_url();
    eprintln!("simulator of Yonyou U8 and Yeastar YCM listening on {base_url}");

    let (config_value, secrets) = demo_config(&sim_config, &base_url, &args.out_dir());
    let config = config_from_toml(config_value, "demo", &|name| {
        secrets
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    })?;
    let overrides = RunOverrides {
        out: Some(args.out_dir()),
        no_raw: args.no_raw,
        format: Some(args.format.into()),
        // The demo shows what a run changed, and keeps the change log to query.
        history: true,
        ..RunOverrides::default()
    };
    let settings = RunSettings::from_config(&config, "demo", overrides)?;
    let status = run_export(settings, progress, quiet).await;
    sim.shutdown().await;
    status
}

/// The configuration a user would write for the demo tenants (writing into `out`), with
/// secrets as `${VAR}` references, and the value of each variable (`custlake init` writes them
/// to `.env.example`; the demo resolves them in memory).
pub fn demo_config(sim: &SimConfig, base_url: &str, out: &Path) -> (Value, Vec<(String, String)>) {
    let mut secrets = Vec::new();
    let mut sources = Vec::new();
    for tenant in &sim.u8_tenants {
        let var = secret_var(&tenant.name, "APP_SECRET");
        secrets.push((var.clone(), tenant.app_secret.clone()));
        let mut t = Table::new();
        t.insert("name".into(), tenant.name.clone().into());
        t.insert("kind".into(), "yonyou_u8".into());
        t.insert("base_url".into(), base_url.into());
        t.insert("from_account".into(), tenant.from_account.clone().into());
        t.insert("to_account".into(), tenant.to_account.clone().into());
        t.insert("app_key".into(), tenant.app_key.clone().into());
        t.insert("app_secret".into(), format!("${{{var}}}").into());
        if let Some(ds) = tenant.ds_sequence {
            t.insert("ds_sequence".into(), ds.into());
        }
        t.insert(
            "page_size".into(),
            i64::from(sim.u8_max_rows_per_page.min(500)).into(),
        );
        t.insert("concurrency".into(), 8.into());
        t.insert("requests_per_second".into(), 2000.0.into());
        sources.push(Value::Table(t));
    }
    for client in &sim.ycm_clients {
        let var = secret_var(&client.name, "CLIENT_SECRET");
        secrets.push((var.clone(), client.client_secret.clone()));
        let mut t = Table::new();
        t.insert("name".into(), client.name.clone().into());
        t.insert("kind".into(), "yeastar_ycm".into());
        t.insert("base_url".into(), base_url.into());
        t.insert("client_id".into(), client.client_id.clone().into());
        t.insert("client_secret".into(), format!("${{{var}}}").into());
        t.insert("concurrency".into(), 16.into());
        t.insert("requests_per_second".into(), 2000.0.into());
        sources.push(Value::Table(t));
    }
    let mut output = Table::new();
    output.insert("path".into(), out.display().to_string().into());
    let mut root = Table::new();
    root.insert("output".into(), Value::Table(output));
    root.insert("sources".into(), Value::Array(sources));
    (Value::Table(root), secrets)
}

/// `U8_DEMO_A_APP_SECRET` for tenant `u8_demo_a`: the variable a config references.
fn secret_var(tenant: &str, what: &str) -> String {
    format!("{}_{what}", tenant.to_ascii_uppercase().replace('-', "_"))
}
