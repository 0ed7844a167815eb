//! Serialization throughput of U8 customer records on one core.
//!
//! Run: `cargo run --release -p custlake-simulator --example throughput`
//! (optional arguments: record count, default 500000; messiness none|mild|heavy, default mild).
//! Part one writes records exactly as a page carries them (the generator alone); part two
//! pages through a running server over loopback HTTP with 500-row pages on a current-thread
//! runtime, so server and client share one core.

use std::time::Instant;

use custlake_simulator::{MessinessConfig, SimConfig, bench};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let count: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(500_000);
    let messiness = match args.next().as_deref() {
        Some("none") => MessinessConfig::none(),
        Some("heavy") => MessinessConfig::heavy(),
        _ => MessinessConfig::mild(),
    };

    let mut out = Vec::with_capacity(1 << 20);
    let mut bytes = 0usize;
    let started = Instant::now();
    let batch = 500;
    let mut first = 0;
    while first < count {
        out.clear();
        let n = batch.min(count - first);
        bench::write_u8_customers(42, "bench", &messiness, first, n, &mut out);
        bytes += out.len();
        first += n;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "generator: {count} U8 customers in {secs:.3} s = {:.0} records/s, {:.1} MB/s, {:.0} bytes/record",
        count as f64 / secs,
        bytes as f64 / secs / 1e6,
        bytes as f64 / count as f64
    );

    let http_count = count.min(200_000);
    let mut config = SimConfig::demo(http_count);
    config.messiness = messiness;
    let sim = custlake_simulator::start(config).await?;
    let base = sim.base_url();
    let client = reqwest::Client::new();
    let token: serde_json::Value = client
        .get(format!(
            "{base}/system/token?from_account={}&app_key={}&app_secret={}",
            custlake_simulator::DEMO_U8_FROM_ACCOUNT,
            custlake_simulator::DEMO_U8_APP_KEY,
            custlake_simulator::DEMO_U8_APP_SECRET
        ))
        .send()
        .await?
        .json()
        .await?;
    let token = token["token"]["id"].as_str().unwrap_or_default().to_owned();
    let started = Instant::now();
    let mut bytes = 0usize;
    let pages = http_count.div_ceil(500);
    for page in 1..=pages {
        let url = format!(
            "{base}/api/customer/batch_get?from_account={}&to_account=demo_ent_a&app_key={}&token={token}&page_index={page}&rows_per_page=500",
            custlake_simulator::DEMO_U8_FROM_ACCOUNT,
            custlake_simulator::DEMO_U8_APP_KEY,
        );
        bytes += client.get(url).send().await?.bytes().await?.len();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "over HTTP: {http_count} U8 customers in {pages} pages in {secs:.3} s = {:.0} records/s, {:.1} MB/s",
        http_count as f64 / secs,
        bytes as f64 / secs / 1e6
    );
    sim.shutdown().await;
    Ok(())
}
