//! `cargo xtask bench [--quick] [--only a,b]`: end-to-end speed and memory of `custlake export`
//! against `custlake-sim`, each a separate process, as a data team would run them.
//!
//! Scenarios (each repeated, medians reported): throughput with latency 0, the latency-bound
//! ratio ideal/measured (ideal = pages / concurrency × latency), memory scaling (peak RSS at two
//! sizes, from the kernel's rusage of the exporter), a rate-limit cap checked by the
//! simulator's busiest 1-second window, `custlake link`, the throughput export written as Delta
//! tables against the same export as Parquet (`delta_throughput`), and eight `--shard K/8`
//! exporters writing one Delta output at once, checked for lost commits (`delta_shards`).
//! Results go to `bench/results.json` (`--quick`: `bench/out/results-quick.json`; `--only`, which
//! runs the named [`SCENARIOS`]: `bench/out/results-only.json`) and a table on stdout.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

/// Sizes and repetitions; `--quick` shrinks everything for CI.
struct Plan {
    quick: bool,
    repeat: usize,
    u8_customers: u64,
    ycm_customers: u64,
    latency_pages: u64,
    memory_small: u64,
    memory_large: u64,
    rate_pages: u64,
    /// Customers of each U8 tenant in `delta_shards` (and as many contacts).
    shard_u8_customers: u64,
    /// Customers of each YCM client in `delta_shards`.
    shard_ycm_customers: u64,
    /// Customers of the one partition the incremental-upsert scenario changes 1 % of.
    upsert_customers: u64,
    /// The scenarios to run (`--only`); every one when empty.
    only: Vec<String>,
}

/// Every scenario, in the order a run measures them; `--only` takes a comma-separated list of
/// these names.
const SCENARIOS: [&str; 9] = [
    "throughput",
    "change_detection",
    "latency_bound",
    "memory_scaling",
    "rate_limit",
    "link",
    "delta_throughput",
    "delta_shards",
    "incremental_upsert",
];

impl Plan {
    fn from_args(args: &[String]) -> Result<Self> {
        let quick = args.iter().any(|a| a == "--quick");
        let mut plan = if quick {
            Plan {
                quick,
                repeat: 1,
                u8_customers: 20_000,
                ycm_customers: 5_000,
                latency_pages: 48,
                memory_small: 10_000,
                memory_large: 50_000,
                rate_pages: 40,
                shard_u8_customers: 1_000,
                shard_ycm_customers: 250,
                upsert_customers: 20_000,
                only: Vec::new(),
            }
        } else {
            Plan {
                quick,
                repeat: 3,
                u8_customers: 1_000_000,
                ycm_customers: 200_000,
                latency_pages: 400,
                memory_small: 100_000,
                memory_large: 1_000_000,
                rate_pages: 200,
                shard_u8_customers: 50_000,
                shard_ycm_customers: 10_000,
                upsert_customers: 1_000_000,
                only: Vec::new(),
            }
        };
        let mut it = args.iter().filter(|a| *a != "--quick");
        while let Some(flag) = it.next() {
            let value = it.next().with_context(|| format!("{flag} needs a value"))?;
            if flag == "--only" {
                plan.only = parse_only(value)?;
                continue;
            }
            let n: u64 = value
                .parse()
                .with_context(|| format!("{flag} {value}: not a whole number"))?;
            match flag.as_str() {
                "--repeat" => plan.repeat = n.max(1) as usize,
                "--u8-customers" => plan.u8_customers = n,
                "--ycm-customers" => plan.ycm_customers = n,
                "--latency-pages" => plan.latency_pages = n,
                "--memory-small" => plan.memory_small = n,
                "--memory-large" => plan.memory_large = n,
                "--rate-pages" => plan.rate_pages = n,
                "--shard-customers" => plan.shard_u8_customers = n,
                "--shard-ycm-customers" => plan.shard_ycm_customers = n,
                "--upsert-customers" => plan.upsert_customers = n,
                other => bail!("unknown bench flag {other}; see `cargo xtask` for usage"),
            }
        }
        Ok(plan)
    }

    /// The scenarios this run measures, in [`SCENARIOS`] order.
    fn scenarios(&self) -> impl Iterator<Item = &'static str> + '_ {
        SCENARIOS
            .into_iter()
            .filter(|name| self.only.is_empty() || self.only.iter().any(|o| o == name))
    }
}

/// `--only throughput,delta_shards`: names checked against [`SCENARIOS`].
fn parse_only(value: &str) -> Result<Vec<String>> {
    let names: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(unknown) = names
        .iter()
        .find(|name| !SCENARIOS.contains(&name.as_str()))
    {
        bail!(
            "--only {unknown}: no such scenario; known: {}",
            SCENARIOS.join(", ")
        );
    }
    if names.is_empty() {
        bail!("--only needs scenario names: {}", SCENARIOS.join(", "));
    }
    Ok(names)
}

/// Runs every scenario and writes `bench/results.json`.
pub fn bench(args: &[String]) -> Result<()> {
    let plan = Plan::from_args(args)?;
    let root = crate::workspace_root();
    let profile = if plan.quick { "debug" } else { "release" };
    let mut build = Command::new(env!("CARGO"));
    build
        .current_dir(&root)
        .args(["build", "-q", "-p", "custlake", "-p", "custlake-simulator"]);
    if !plan.quick {
        build.arg("--release");
    }
    if !build.status().context("running cargo build")?.success() {
        bail!("cargo build failed");
    }
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let bins = target_dir.join(profile);
    let work = root.join("bench").join("out");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let bench = Bench { bins, work };

    let mut results = serde_json::Map::new();
    results.insert("profile".into(), json!(profile));
    results.insert("machine".into(), machine());
    for scenario in plan.scenarios() {
        results.insert(scenario.into(), bench.scenario(scenario, &plan)?);
    }
    let results = Value::Object(results);

    // The quick run (CI) and a run of some scenarios must not overwrite the committed full
    // results.
    let name = if plan.quick {
        "out/results-quick.json"
    } else if !plan.only.is_empty() {
        "out/results-only.json"
    } else {
        "results.json"
    };
    let path = root.join("bench").join(name);
    std::fs::write(&path, serde_json::to_string_pretty(&results)? + "\n")
        .with_context(|| format!("writing {}", path.display()))?;
    print_table(&results);
    println!("\nwritten: {}", path.display());
    Ok(())
}

struct Bench {
    bins: PathBuf,
    work: PathBuf,
}

/// The `[output] format` an export writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OutputFormat {
    Parquet,
    Delta,
}

impl OutputFormat {
    fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Parquet => "parquet",
            OutputFormat::Delta => "delta",
        }
    }
}

/// One finished export: its manifest and the exporter's peak RSS.
struct ExportRun {
    manifest: Value,
    peak_rss_mb: f64,
    wall: Duration,
}

impl ExportRun {
    fn elapsed_s(&self) -> f64 {
        self.manifest["elapsed_ms"].as_f64().unwrap_or(0.0) / 1000.0
    }
    fn records(&self) -> f64 {
        self.manifest["totals"]["records_fetched"]
            .as_f64()
            .unwrap_or(0.0)
    }
    /// Seconds the run spent finding changes (and appending history), every partition's sum.
    fn detection_s(&self) -> f64 {
        let changes = self.manifest["changes"].as_array();
        let ms: f64 = changes
            .into_iter()
            .flatten()
            .map(|c| c["elapsed_ms"].as_f64().unwrap_or(0.0))
            .sum();
        ms / 1000.0
    }
    /// `customers u8_demo_a +ins ~upd -del, …` of the partitions that changed.
    fn changes_line(&self) -> String {
        let changes = self.manifest["changes"].as_array();
        let lines: Vec<String> = changes
            .into_iter()
            .flatten()
            .filter(|c| {
                c["inserted"] != 0 || c["updated"] != 0 || c["deleted"].as_u64().unwrap_or(0) != 0
            })
            .map(|c| {
                format!(
                    "{} {} +{} ~{} -{}",
                    c["dataset"].as_str().unwrap_or("?"),
                    c["tenant"].as_str().unwrap_or("?"),
                    c["inserted"],
                    c["updated"],
                    c["deleted"]
                )
            })
            .collect();
        lines.join(", ")
    }
    fn pages(&self) -> f64 {
        self.manifest["totals"]["pages_fetched"]
            .as_f64()
            .unwrap_or(0.0)
    }
}

/// A started simulator process; killed on drop.
struct Sim {
    child: Child,
    base_url: String,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sim {
    fn stats(&self) -> Result<Value> {
        let addr = self.base_url.trim_start_matches("http://");
        let mut stream =
            TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
        write!(
            stream,
            "GET /_sim/stats HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let body = response
            .split("\r\n\r\n")
            .nth(1)
            .context("stats answer has no body")?;
        Ok(serde_json::from_str(body)?)
    }
}

impl Bench {
    /// Runs the scenario `name` (one of [`SCENARIOS`]).
    fn scenario(&self, name: &str, plan: &Plan) -> Result<Value> {
        match name {
            "throughput" => self.throughput(plan),
            "change_detection" => self.change_detection(plan),
            "latency_bound" => self.latency_bound(plan),
            "memory_scaling" => self.memory_scaling(plan),
            "rate_limit" => self.rate_limit(plan),
            "link" => self.link(plan),
            "delta_throughput" => self.delta_throughput(plan),
            "delta_shards" => self.delta_shards(plan),
            "incremental_upsert" => self.incremental_upsert(plan),
            other => bail!("no scenario {other}"),
        }
    }

    fn start_sim(&self, args: &[String]) -> Result<Sim> {
        let mut child = Command::new(self.bins.join("custlake-sim"))
            .args(["--listen", "127.0.0.1:0", "--seed", "7"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting custlake-sim")?;
        let stdout = child.stdout.take().context("simulator stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let mut base_url = None;
        for line in lines.by_ref() {
            let line = line?;
            if let Some(at) = line.find("http://127.0.0.1:") {
                let url: String = line[at..]
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .collect();
                base_url = Some(url);
                break;
            }
        }
        // Keep draining so the simulator never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let base_url = base_url.context("custlake-sim did not print its base URL")?;
        Ok(Sim { child, base_url })
    }

    /// Writes a config for the demo tenants and runs `custlake export` as a child process, the
    /// `customer_links` step off (the link scenario measures it on its own).
    fn export(&self, name: &str, sim: &Sim, sources: &str) -> Result<ExportRun> {
        self.export_as(name, sim, sources, OutputFormat::Parquet)
    }

    /// [`Bench::export`] into an output of `format`.
    fn export_as(
        &self,
        name: &str,
        sim: &Sim,
        sources: &str,
        format: OutputFormat,
    ) -> Result<ExportRun> {
        let run = self.export_into(name, sim, sources, format)?;
        let _ = std::fs::remove_dir_all(self.work.join(name).join("out"));
        Ok(run)
    }

    /// [`Bench::export_as`], keeping the output in `<work>/<name>/out`.
    fn export_into(
        &self,
        name: &str,
        sim: &Sim,
        sources: &str,
        format: OutputFormat,
    ) -> Result<ExportRun> {
        let dir = self.work.join(name);
        let config = write_config(&dir, sim, sources, format)?;
        self.run_config(name, &config, &dir.join("out"))
    }

    /// Runs `custlake export` with `config` (writing to `out`) and reads its manifest.
    fn run_config(&self, name: &str, config: &Path, out: &Path) -> Result<ExportRun> {
        let start = Instant::now();
        let child = self
            .export_command(config)
            .spawn()
            .context("starting custlake export")?;
        let (code, peak_rss_kb) = wait_with_rusage(child)?;
        let wall = start.elapsed();
        if code != 0 {
            bail!("{name}: custlake export exited with {code}");
        }
        let manifest = latest_manifest(out)?;
        if manifest["status"] != "succeeded" {
            bail!("{name}: run status {}", manifest["status"]);
        }
        Ok(ExportRun {
            manifest,
            peak_rss_mb: peak_rss_kb as f64 / 1024.0,
            wall,
        })
    }

    /// An incremental run that upserts 1 % changed customers into one partition of
    /// `upsert_customers` customers (1 M; quick: 20 k), in both formats: a first (full) run,
    /// then 1 % of the customers change at the source, then the timed incremental run.
    fn incremental_upsert(&self, plan: &Plan) -> Result<Value> {
        let customers = plan.upsert_customers;
        let changed = (customers / 100).max(1);
        let sim = self.start_sim(&args([
            "--u8-tenants",
            "1",
            "--customers",
            &customers.to_string(),
            "--contacts-per-customer",
            "0",
            "--messiness",
            "mild",
        ]))?;
        let sources = format!(
            "{}mode = \"incremental\"\n",
            u8_source(&["customers"], 500, 8, 100_000.0)
        );
        let mut result = serde_json::Map::new();
        for format in [OutputFormat::Parquet, OutputFormat::Delta] {
            let name = format!("upsert-{}", format.as_str());
            let dir = self.work.join(&name);
            let config = write_config(&dir, &sim, &sources, format)?;
            let out = dir.join("out");
            let full = self.run_config(&name, &config, &out)?;
            post_change(&sim.base_url, "u8_demo_a", changed)?;
            let upsert = self.run_config(&name, &config, &out)?;
            println!(
                "incremental_upsert {}: full run {:.2} s, {changed} of {customers} changed: \
                 incremental run {:.2} s ({:.2} s process, {:.0} records), peak RSS {:.0} MB",
                format.as_str(),
                full.wall.as_secs_f64(),
                upsert.elapsed_s(),
                upsert.wall.as_secs_f64(),
                upsert.records(),
                upsert.peak_rss_mb
            );
            result.insert(
                format.as_str().into(),
                json!({
                    "full_run_process_wall_s": full.wall.as_secs_f64(),
                    "incremental_run_s": upsert.elapsed_s(),
                    "incremental_run_process_wall_s": upsert.wall.as_secs_f64(),
                    "incremental_records_fetched": upsert.records(),
                    "incremental_peak_rss_mb": upsert.peak_rss_mb,
                }),
            );
            let _ = std::fs::remove_dir_all(&out);
        }
        result.insert("customers".into(), json!(customers));
        result.insert("changed".into(), json!(changed));
        result.insert("meets_target".into(), json!(true));
        Ok(Value::Object(result))
    }

    /// `custlake export --config <config>`, quiet, with the demo tenants' secrets.
    fn export_command(&self, config: &Path) -> Command {
        let mut command = Command::new(self.bins.join("custlake"));
        command
            .args(["--no-progress", "-q", "export", "--config"])
            .arg(config)
            .env("CUSTLAKE_U8_DEMO_A_APP_SECRET", "demo-u8-secret")
            .env("CUSTLAKE_YCM_DEMO_CLIENT_SECRET", "demo-ycm-secret")
            // `--shard` defaults to this variable: a caller's value must not shard every export.
            .env_remove("CUSTLAKE_SHARD")
            .stdout(Stdio::null());
        command
    }

    /// The simulator of the throughput scenario: one U8 tenant with `u8_customers` customers and
    /// as many contacts, one YCM client with `ycm_customers`, latency 0.
    fn throughput_sim(&self, plan: &Plan) -> Result<Sim> {
        self.start_sim(&args([
            "--u8-tenants",
            "1",
            "--customers",
            &plan.u8_customers.to_string(),
            "--contacts-per-customer",
            "1",
            "--ycm-clients",
            "1",
            "--ycm-customers",
            &plan.ycm_customers.to_string(),
            "--messiness",
            "mild",
        ]))
    }

    fn throughput(&self, plan: &Plan) -> Result<Value> {
        let sim = self.throughput_sim(plan)?;
        let sources = throughput_sources();
        let mut runs = Vec::new();
        for i in 0..plan.repeat {
            let run = self.export(&format!("throughput-{i}"), &sim, &sources)?;
            println!(
                "throughput run {i}: {:.0} records in {:.2} s, peak RSS {:.0} MB",
                run.records(),
                run.elapsed_s(),
                run.peak_rss_mb
            );
            runs.push(run);
        }
        let rate = median(runs.iter().map(|r| r.records() / r.elapsed_s().max(1e-9)));
        let rss = median(runs.iter().map(|r| r.peak_rss_mb));
        let wall = median(runs.iter().map(|r| r.wall.as_secs_f64()));
        let detection = median(
            runs.iter()
                .map(|r| r.detection_s() / r.elapsed_s().max(1e-9)),
        );
        Ok(json!({
            "u8_customers": plan.u8_customers, "u8_contacts": plan.u8_customers, "ycm_customers": plan.ycm_customers,
            "median_detection_share": detection,
            "raw": true, "records": runs[0].records(), "median_records_per_s": rate, "median_peak_rss_mb": rss,
            "median_process_wall_s": wall, "target_records_per_s": 150_000, "meets_target": rate >= 150_000.0,
        }))
    }

    /// What change detection and history cost a nightly run: the throughput export into an
    /// output that holds the previous run, after 1 % of the U8 customers changed at the source.
    /// Each repeat is a pair measured one right after the other: history off, then on (each
    /// with its own first run). Change detection's share is the time the run spent finding
    /// changes (the manifest's `changes[].elapsed_ms`) over the run's wall time.
    fn change_detection(&self, plan: &Plan) -> Result<Value> {
        let sim = self.throughput_sim(plan)?;
        let sources = throughput_sources();
        let changed = (plan.u8_customers / 100).max(1);
        let mut pairs = Vec::new();
        for i in 0..plan.repeat {
            let mut pair = Vec::new();
            for history in [false, true] {
                let name = format!("changes-{i}-history-{history}");
                let dir = self.work.join(&name);
                let config = write_config(&dir, &sim, &sources, OutputFormat::Parquet)?;
                if history {
                    turn_history_on(&config)?;
                }
                let out = dir.join("out");
                self.run_config(&name, &config, &out)?;
                post_change(&sim.base_url, "u8_demo_a", changed)?;
                let run = self.run_config(&name, &config, &out)?;
                let _ = std::fs::remove_dir_all(&out);
                println!(
                    "change_detection pair {i}, history {history}: {:.2} s, change detection {:.3} s \
                     ({:.1} %), counted {}, peak RSS {:.0} MB",
                    run.elapsed_s(),
                    run.detection_s(),
                    100.0 * run.detection_s() / run.elapsed_s().max(1e-9),
                    run.changes_line(),
                    run.peak_rss_mb
                );
                pair.push(run);
            }
            pairs.push(pair);
        }
        let share = median(
            pairs
                .iter()
                .map(|p| p[0].detection_s() / p[0].elapsed_s().max(1e-9)),
        );
        let ratio = median(
            pairs
                .iter()
                .map(|p| p[1].wall.as_secs_f64() / p[0].wall.as_secs_f64().max(1e-9)),
        );
        let wall = |at: usize| median(pairs.iter().map(|p| p[at].wall.as_secs_f64()));
        let rss = |at: usize| median(pairs.iter().map(|p| p[at].peak_rss_mb));
        Ok(json!({
            "u8_customers": plan.u8_customers, "ycm_customers": plan.ycm_customers, "changed": changed,
            "pairs": pairs.len(), "median_detection_share_history_off": share,
            "median_wall_history_off_s": wall(0), "median_wall_history_on_s": wall(1),
            "median_ratio_history_on_over_off": ratio,
            "median_peak_rss_history_off_mb": rss(0), "median_peak_rss_history_on_mb": rss(1),
            "target_detection_share": 0.05, "meets_target": share <= 0.05,
        }))
    }

    fn latency_bound(&self, plan: &Plan) -> Result<Value> {
        let page_size = 100u64;
        let customers = plan.latency_pages * page_size;
        let sim = self.start_sim(&args([
            "--u8-tenants",
            "1",
            "--customers",
            &customers.to_string(),
            "--contacts-per-customer",
            "0",
            "--ycm-clients",
            "0",
            "--messiness",
            "mild",
            "--latency-ms",
            "40",
            "--latency-jitter-ms",
            "20",
        ]))?;
        let latency = 0.050;
        let mut out = serde_json::Map::new();
        for concurrency in [16u64, 1] {
            let sources = u8_source(&["customers"], page_size as u32, concurrency, 100_000.0);
            let repeat = if concurrency == 1 { 1 } else { plan.repeat };
            let mut ratios = Vec::new();
            let mut elapsed = Vec::new();
            for i in 0..repeat {
                let run = self.export(&format!("latency-c{concurrency}-{i}"), &sim, &sources)?;
                let ideal = run.pages() / concurrency as f64 * latency;
                println!(
                    "latency c={concurrency} run {i}: {:.0} pages in {:.2} s (ideal {ideal:.2} s)",
                    run.pages(),
                    run.elapsed_s()
                );
                ratios.push(ideal / run.elapsed_s().max(1e-9));
                elapsed.push(run.elapsed_s());
            }
            out.insert(
                format!("concurrency_{concurrency}"),
                json!({
                    "pages": plan.latency_pages, "median_elapsed_s": median(elapsed.into_iter()),
                    "median_ratio_ideal_over_measured": median(ratios.into_iter()),
                }),
            );
        }
        let fast = out["concurrency_16"]["median_elapsed_s"]
            .as_f64()
            .unwrap_or(0.0);
        let slow = out["concurrency_1"]["median_elapsed_s"]
            .as_f64()
            .unwrap_or(0.0);
        let ratio = out["concurrency_16"]["median_ratio_ideal_over_measured"]
            .as_f64()
            .unwrap_or(0.0);
        out.insert("latency_ms".into(), json!("50 ± 10"));
        out.insert("speedup_16_over_1".into(), json!(slow / fast.max(1e-9)));
        out.insert("target_ratio".into(), json!(0.85));
        out.insert("meets_target".into(), json!(ratio >= 0.85));
        Ok(Value::Object(out))
    }

    fn memory_scaling(&self, plan: &Plan) -> Result<Value> {
        let mut peaks = Vec::new();
        for customers in [plan.memory_small, plan.memory_large] {
            let sim = self.start_sim(&args([
                "--u8-tenants",
                "1",
                "--customers",
                &customers.to_string(),
                "--contacts-per-customer",
                "0",
                "--ycm-clients",
                "0",
                "--messiness",
                "mild",
            ]))?;
            let sources = u8_source(&["customers"], 500, 8, 100_000.0);
            let mut rss = Vec::new();
            for i in 0..plan.repeat {
                let run = self.export(&format!("memory-{customers}-{i}"), &sim, &sources)?;
                println!(
                    "memory {customers} run {i}: peak RSS {:.0} MB",
                    run.peak_rss_mb
                );
                rss.push(run.peak_rss_mb);
            }
            peaks.push((customers, median(rss.into_iter())));
        }
        let ratio = peaks[1].1 / peaks[0].1.max(1e-9);
        Ok(json!({
            "small_records": peaks[0].0, "small_peak_rss_mb": peaks[0].1,
            "large_records": peaks[1].0, "large_peak_rss_mb": peaks[1].1,
            "ratio_large_over_small": ratio, "target_ratio": 1.2, "target_large_mb": 200,
            "meets_target": ratio <= 1.2 && peaks[1].1 <= 200.0,
        }))
    }

    /// `custlake link` on an export of `u8_customers` U8 and `ycm_customers` YCM customers (a
    /// share of them the same companies): elapsed time, peak RSS and links per key.
    fn link(&self, plan: &Plan) -> Result<Value> {
        let sim = self.start_sim(&args([
            "--u8-tenants",
            "1",
            "--customers",
            &plan.u8_customers.to_string(),
            "--contacts-per-customer",
            "0",
            "--ycm-clients",
            "1",
            "--ycm-customers",
            &plan.ycm_customers.to_string(),
            "--messiness",
            "mild",
        ]))?;
        let sources = format!(
            "{}\n{}",
            u8_source(&["customers"], 500, 8, 100_000.0),
            ycm_source(16)
        );
        self.export_into("link", &sim, &sources, OutputFormat::Parquet)?;
        let out = self.work.join("link").join("out");
        let mut runs = Vec::new();
        for i in 0..plan.repeat {
            let start = Instant::now();
            let child = Command::new(self.bins.join("custlake"))
                .args(["--no-progress", "-q", "link", "--out"])
                .arg(&out)
                .stdout(Stdio::null())
                .spawn()
                .context("starting custlake link")?;
            let (code, peak_rss_kb) = wait_with_rusage(child)?;
            if code != 0 {
                bail!("link: custlake link exited with {code}");
            }
            let wall = start.elapsed().as_secs_f64();
            let manifest = latest_manifest(&out)?;
            let peak = peak_rss_kb as f64 / 1024.0;
            println!(
                "link run {i}: {wall:.2} s, peak RSS {peak:.0} MB, {}",
                manifest["links"]
            );
            runs.push((wall, peak, manifest["links"].clone()));
        }
        let _ = std::fs::remove_dir_all(&out);
        let wall = median(runs.iter().map(|r| r.0));
        let rss = median(runs.iter().map(|r| r.1));
        Ok(json!({
            "u8_customers": plan.u8_customers, "ycm_customers": plan.ycm_customers,
            "median_process_wall_s": wall, "median_peak_rss_mb": rss, "links": runs[0].2,
            "target_peak_rss_mb": 200, "meets_target": rss <= 200.0,
        }))
    }

    /// The throughput scenario's export written as Delta tables and as Parquet folders, against
    /// one simulator, runs alternating (parquet, delta, parquet, …) so both formats see the same
    /// machine: records/s and peak RSS of each and the ratio delta / parquet.
    fn delta_throughput(&self, plan: &Plan) -> Result<Value> {
        let sim = self.throughput_sim(plan)?;
        let sources = throughput_sources();
        let mut parquet = Vec::new();
        let mut delta = Vec::new();
        for i in 0..plan.repeat {
            for (format, runs) in [
                (OutputFormat::Parquet, &mut parquet),
                (OutputFormat::Delta, &mut delta),
            ] {
                let name = format!("delta-throughput-{}-{i}", format.as_str());
                let run = self.export_as(&name, &sim, &sources, format)?;
                println!(
                    "delta_throughput run {i} {}: {:.0} records in {:.2} s ({:.2} s process), peak RSS {:.0} MB",
                    format.as_str(),
                    run.records(),
                    run.elapsed_s(),
                    run.wall.as_secs_f64(),
                    run.peak_rss_mb
                );
                runs.push(run);
            }
        }
        let (parquet, delta) = (format_summary(&parquet), format_summary(&delta));
        let rate = |s: &Value| s["median_records_per_s"].as_f64().unwrap_or(0.0);
        let ratio = rate(&delta) / rate(&parquet).max(1e-9);
        Ok(json!({
            "u8_customers": plan.u8_customers, "u8_contacts": plan.u8_customers, "ycm_customers": plan.ycm_customers,
            "raw": true, "runs_per_format": plan.repeat, "parquet": parquet, "delta": delta,
            "ratio_delta_over_parquet": ratio, "target_ratio": 0.9, "meets_target": ratio >= 0.9,
        }))
    }

    /// [`SHARDS`] `custlake export --format delta --shard K/8` processes started together into
    /// one fresh Delta output, each owning one U8 and one YCM source of its own simulator
    /// tenant; repeated, a fresh output each time. Per run: commits, commit attempts lost to
    /// other writers, wall time and commits lost (see [`CommitCheck`]).
    fn delta_shards(&self, plan: &Plan) -> Result<Value> {
        let sim = self.start_sim(&args([
            "--u8-tenants",
            &SHARDS.to_string(),
            "--customers",
            &plan.shard_u8_customers.to_string(),
            "--contacts-per-customer",
            "1",
            "--ycm-clients",
            &SHARDS.to_string(),
            "--ycm-customers",
            &plan.shard_ycm_customers.to_string(),
            "--messiness",
            "mild",
        ]))?;
        let mut runs = Vec::new();
        for i in 0..plan.repeat {
            let run = self.shard_run(&format!("delta-shards-{i}"), &sim)?;
            println!(
                "delta_shards run {i}: {} records by {SHARDS} processes in {:.2} s, {} commits, {} retries, {} lost",
                run["records"],
                run["process_wall_s"].as_f64().unwrap_or(f64::NAN),
                run["commits"],
                run["retries"],
                run["lost_commits"]
            );
            runs.push(run);
        }
        let field = |name: &str| median(runs.iter().map(|r| r[name].as_f64().unwrap_or(0.0)));
        let total = |name: &str| {
            runs.iter()
                .map(|r| r[name].as_u64().unwrap_or(0))
                .sum::<u64>()
        };
        let clean = runs.iter().all(|r| r["clean"] == true);
        Ok(json!({
            "shards": SHARDS, "sources": SHARDS * 2, "u8_customers_per_tenant": plan.shard_u8_customers,
            "ycm_customers_per_client": plan.shard_ycm_customers, "expected_partitions": shard_partitions().len(),
            "median_process_wall_s": field("process_wall_s"), "median_commits": field("commits"),
            "median_retries": field("retries"), "lost_commits_all_runs": total("lost_commits"),
            "runs": runs, "target_lost_commits": 0,
            "meets_target": clean && total("lost_commits") == 0,
        }))
    }

    /// One `delta_shards` run into `<work>/<name>/out`.
    fn shard_run(&self, name: &str, sim: &Sim) -> Result<Value> {
        let dir = self.work.join(name);
        let config = write_config(&dir, sim, &shard_sources(), OutputFormat::Delta)?;
        let out = dir.join("out");
        let start = Instant::now();
        let exits = self.run_shards(&config)?;
        let wall = start.elapsed().as_secs_f64();
        let manifests = all_manifests(&out)?;
        let check = CommitCheck::of(&manifests, &out)?;
        let _ = std::fs::remove_dir_all(&out);
        let failed = exits.iter().filter(|(code, _)| *code != 0).count();
        let not_succeeded = manifests
            .iter()
            .filter(|m| m["status"] != "succeeded")
            .count();
        // A shard that owned no source would have exported nothing and raced with no one.
        let with_work = manifests
            .iter()
            .filter(|m| m["sources"].as_array().is_some_and(|s| !s.is_empty()))
            .count();
        let records: u64 = manifests
            .iter()
            .map(|m| m["totals"]["records_fetched"].as_u64().unwrap_or(0))
            .sum();
        let peak = exits.iter().map(|(_, kb)| *kb).max().unwrap_or(0) as f64 / 1024.0;
        let slowest = manifests
            .iter()
            .map(|m| m["elapsed_ms"].as_f64().unwrap_or(0.0) / 1000.0)
            .fold(0.0, f64::max);
        let lost = check.lost();
        Ok(json!({
            "process_wall_s": wall, "slowest_run_elapsed_s": slowest, "records": records,
            "max_peak_rss_mb": peak, "failed_processes": failed, "manifests": manifests.len(),
            "runs_not_succeeded": not_succeeded, "shards_without_work": SHARDS.saturating_sub(with_work),
            "commits": check.committed, "retries": check.retries,
            "max_retries_of_one_commit": check.max_retries, "missing_partitions": check.missing,
            "tables": check.tables_json(), "duplicate_versions": check.duplicate_versions,
            "lost_commits": lost,
            "clean": failed == 0 && not_succeeded == 0 && manifests.len() == SHARDS
                && with_work == SHARDS && check.duplicate_versions == 0,
        }))
    }

    /// Starts one exporter per shard at once and waits for all: exit code and peak RSS (KiB)
    /// of each.
    fn run_shards(&self, config: &Path) -> Result<Vec<(i32, i64)>> {
        let mut children = Vec::new();
        for k in 0..SHARDS {
            let spawned = self
                .export_command(config)
                .args(["--format", "delta", "--shard", &format!("{k}/{SHARDS}")])
                .spawn();
            match spawned {
                Ok(child) => children.push(child),
                Err(error) => {
                    for mut child in children {
                        let _ = child.kill();
                        let _ = child.wait();
                    }
                    return Err(error).context("starting custlake export --shard");
                }
            }
        }
        children.into_iter().map(wait_with_rusage).collect()
    }

    fn rate_limit(&self, plan: &Plan) -> Result<Value> {
        let page_size = 100u64;
        let sim = self.start_sim(&args([
            "--u8-tenants",
            "1",
            "--customers",
            &(plan.rate_pages * page_size).to_string(),
            "--contacts-per-customer",
            "0",
            "--ycm-clients",
            "0",
            "--messiness",
            "mild",
        ]))?;
        let sources = u8_source(&["customers"], page_size as u32, 16, 20.0);
        let run = self.export("rate-limit", &sim, &sources)?;
        let stats = sim.stats()?;
        let max = stats["max_requests_per_second"]
            .as_u64()
            .unwrap_or(u64::MAX);
        println!(
            "rate limit: {:.0} pages in {:.2} s, busiest 1-s window {max} requests",
            run.pages(),
            run.elapsed_s()
        );
        Ok(json!({
            "requests_per_second_cap": 20, "pages": run.pages(), "elapsed_s": run.elapsed_s(),
            "max_requests_in_any_1s_window": max, "meets_target": max <= 20,
        }))
    }
}

/// Median records/s, peak RSS and process wall time of one format's runs in `delta_throughput`.
fn format_summary(runs: &[ExportRun]) -> Value {
    let elapsed: Vec<f64> = runs.iter().map(ExportRun::elapsed_s).collect();
    json!({
        "records": runs.first().map(|r| r.records() as u64),
        "median_records_per_s": median(runs.iter().map(|r| r.records() / r.elapsed_s().max(1e-9))),
        "median_peak_rss_mb": median(runs.iter().map(|r| r.peak_rss_mb)),
        "median_process_wall_s": median(runs.iter().map(|r| r.wall.as_secs_f64())),
        "elapsed_s": elapsed,
    })
}

/// What the manifests of a sharded Delta output and its tables' logs say about its commits.
/// A commit is lost when an expected partition appears in no manifest as `committed`, or when
/// a table's log holds another number of commits than its creation plus the commits the
/// manifests report.
struct CommitCheck {
    /// Commits the manifests report (outcome `committed`).
    committed: u64,
    /// Commit attempts lost to other writers, summed over every manifest entry.
    retries: u64,
    /// The most attempts one commit lost.
    max_retries: u64,
    /// Expected partitions (`table/source/tenant`) no manifest reports committed.
    missing: Vec<String>,
    /// Per table: commit files in `_delta_log/` and commits the manifests report.
    tables: BTreeMap<String, (u64, u64)>,
    /// Table versions that more than one reported commit claims.
    duplicate_versions: u64,
}

impl CommitCheck {
    fn of(manifests: &[Value], out: &Path) -> Result<Self> {
        let mut check = CommitCheck {
            committed: 0,
            retries: 0,
            max_retries: 0,
            missing: Vec::new(),
            tables: BTreeMap::new(),
            duplicate_versions: 0,
        };
        let mut committed = BTreeSet::new();
        let mut versions: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for table in SHARD_TABLES {
            versions.insert(table.to_owned(), Vec::new());
        }
        let commits = manifests
            .iter()
            .flat_map(|m| m["delta_commits"].as_array().into_iter().flatten());
        for commit in commits {
            let retries = commit["retries"].as_u64().unwrap_or(0);
            check.retries += retries;
            check.max_retries = check.max_retries.max(retries);
            if commit["outcome"] != "committed" {
                continue;
            }
            let text = |key: &str| commit[key].as_str().unwrap_or_default().to_owned();
            committed.insert((text("table"), text("source"), text("tenant")));
            let version = commit["version"].as_i64().unwrap_or(-1);
            versions.entry(text("table")).or_default().push(version);
        }
        check.missing = shard_partitions()
            .difference(&committed)
            .map(|(table, source, tenant)| format!("{table}/{source}/{tenant}"))
            .collect();
        for (table, mut claimed) in versions {
            let logged = delta_log_commits(&out.join(&table).join("_delta_log"))?;
            let reported = claimed.len() as u64;
            check.committed += reported;
            claimed.sort_unstable();
            claimed.dedup();
            check.duplicate_versions += reported - claimed.len() as u64;
            check.tables.insert(table, (logged, reported));
        }
        Ok(check)
    }

    /// Missing partitions plus, per table, the difference between its log's commits and
    /// 1 (the table's creation) + the commits reported.
    fn lost(&self) -> u64 {
        let unlogged: u64 = self
            .tables
            .values()
            .map(|&(logged, reported)| logged.abs_diff(1 + reported))
            .sum();
        self.missing.len() as u64 + unlogged
    }

    fn tables_json(&self) -> Value {
        let tables = self.tables.iter().map(|(table, &(logged, reported))| {
            let entry = json!({ "log_commit_files": logged, "reported_commits": reported });
            (table.clone(), entry)
        });
        Value::Object(tables.collect())
    }
}

/// Writes `<dir>/custlake.toml` (emptying `dir` first): output `<dir>/out` in `format` with the
/// `customer_links` step off, and `sources` with `BASE` replaced by the simulator's URL.
fn write_config(dir: &Path, sim: &Sim, sources: &str, format: OutputFormat) -> Result<PathBuf> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let config = dir.join("custlake.toml");
    let text = format!(
        "[output]\npath = {:?}\nformat = {:?}\nlinks = false\n\n{}",
        dir.join("out").display().to_string(),
        format.as_str(),
        sources.replace("BASE", &sim.base_url)
    );
    std::fs::write(&config, text).with_context(|| format!("writing {}", config.display()))?;
    Ok(config)
}

/// Turns `[output] history` on in a config [`write_config`] wrote.
fn turn_history_on(config: &Path) -> Result<()> {
    let text = std::fs::read_to_string(config)?;
    let text = text.replacen("links = false\n", "links = false\nhistory = true\n", 1);
    std::fs::write(config, text).with_context(|| format!("writing {}", config.display()))
}

/// The throughput scenario's sources: U8 customers and contacts, and YCM customers.
fn throughput_sources() -> String {
    format!(
        "{}\n{}",
        u8_source(&["customers", "contacts"], 500, 8, 100_000.0),
        ycm_source(16)
    )
}

/// Asks the simulator to change `count` customers of the U8 `tenant` (`POST /_sim/change`),
/// over a plain HTTP/1.1 request: xtask has no HTTP client of its own.
fn post_change(base_url: &str, tenant: &str, count: u64) -> Result<()> {
    use std::io::{Read, Write};
    let host = base_url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).context("connecting to custlake-sim")?;
    let request = format!(
        "POST /_sim/change/{tenant}?count={count} HTTP/1.1\r\nHost: {host}\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    if !answer.starts_with("HTTP/1.1 200") {
        bail!(
            "custlake-sim refused the change: {}",
            answer.lines().next().unwrap_or("")
        );
    }
    Ok(())
}

fn args<const N: usize>(list: [&str; N]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn u8_source(entities: &[&str], page_size: u32, concurrency: u64, rps: f64) -> String {
    let entities: Vec<String> = entities.iter().map(|e| format!("{e:?}")).collect();
    format!(
        "{}entities = [{}]\npage_size = {page_size}\nconcurrency = {concurrency}\nrequests_per_second = {rps}\n",
        u8_account("u8_demo_a", "demo_ent_a"),
        entities.join(", ")
    )
}

fn ycm_source(concurrency: u64) -> String {
    format!(
        "{}page_size = 50\nconcurrency = {concurrency}\nrequests_per_second = 100000\n",
        ycm_account("ycm_demo", "ycm-demo-client")
    )
}

/// The start of a `[[sources]]` table: the U8 source `name` reading the simulator's tenant
/// `to_account` through the demo app.
fn u8_account(name: &str, to_account: &str) -> String {
    format!(
        "[[sources]]\nname = {name:?}\nkind = \"yonyou_u8\"\nbase_url = \"BASE\"\nfrom_account = \"custlake_demo\"\nto_account = {to_account:?}\napp_key = \"opa_custlake_demo\"\n"
    )
}

/// The start of a `[[sources]]` table: the YCM source `name` reading the simulator's client
/// `client_id`.
fn ycm_account(name: &str, client_id: &str) -> String {
    format!(
        "[[sources]]\nname = {name:?}\nkind = \"yeastar_ycm\"\nbase_url = \"BASE\"\nclient_id = {client_id:?}\n"
    )
}

/// How many `--shard K/N` exporters `delta_shards` runs at once.
const SHARDS: usize = 8;

/// The `delta_shards` sources, per shard K: a U8 and a YCM source whose names `custlake`'s shard
/// hash (xxh3 of the name, modulo [`SHARDS`]) gives to K, so every exporter has work (the
/// scenario checks that from the manifests). The names were picked for that, hence their numbers.
const SHARD_SOURCES: [[&str; 2]; SHARDS] = [
    ["u8_tenant_03", "ycm_client_04"],
    ["u8_tenant_10", "ycm_client_17"],
    ["u8_tenant_07", "ycm_client_01"],
    ["u8_tenant_14", "ycm_client_12"],
    ["u8_tenant_11", "ycm_client_03"],
    ["u8_tenant_04", "ycm_client_06"],
    ["u8_tenant_02", "ycm_client_07"],
    ["u8_tenant_01", "ycm_client_05"],
];

/// The tables a source's export commits to: both vendors write customers, contacts and rejects.
const SHARD_TABLES: [&str; 3] = ["customers", "contacts", "rejects"];

/// [`SHARD_SOURCES`] as `[[sources]]` tables, the i-th pair reading the simulator's i-th U8
/// tenant (`demo_ent_a`, `demo_ent_b`, …) and i-th YCM client (`ycm-demo-client`,
/// `ycm-demo-client-2`, …); the secrets are the simulator's demo ones, which every tenant shares.
fn shard_sources() -> String {
    let mut text = String::new();
    for (i, [u8_name, ycm_name]) in SHARD_SOURCES.iter().enumerate() {
        let letter = char::from(b'a' + i as u8);
        let client_id = match i {
            0 => "ycm-demo-client".to_owned(),
            _ => format!("ycm-demo-client-{}", i + 1),
        };
        text += &u8_account(u8_name, &format!("demo_ent_{letter}"));
        text += "app_secret = \"demo-u8-secret\"\npage_size = 500\nconcurrency = 8\nrequests_per_second = 100000\n\n";
        text += &ycm_account(ycm_name, &client_id);
        text += "client_secret = \"demo-ycm-secret\"\npage_size = 50\nconcurrency = 16\nrequests_per_second = 100000\n\n";
    }
    text
}

/// Every (table, source kind, source name) partition the `delta_shards` export must commit.
fn shard_partitions() -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for [u8_name, ycm_name] in SHARD_SOURCES {
        for (kind, name) in [("yonyou_u8", u8_name), ("yeastar_ycm", ycm_name)] {
            for table in SHARD_TABLES {
                out.insert((table.to_owned(), kind.to_owned(), name.to_owned()));
            }
        }
    }
    out
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Waits for `child` and returns its exit code and peak RSS in KiB, from the kernel.
fn wait_with_rusage(child: Child) -> Result<(i32, i64)> {
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own unreaped child; the pointers are valid for the call. std's
    // `Child` has no rusage API, which is why this one call goes to libc directly.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if reaped != pid {
        bail!("wait4 failed: {}", std::io::Error::last_os_error());
    }
    // The child is reaped; forget it so nothing waits on it again.
    std::mem::forget(child);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Ok((code, usage.ru_maxrss))
}

fn latest_manifest(out: &Path) -> Result<Value> {
    let paths = manifest_paths(out)?;
    let path = paths.last().context("no manifest written")?;
    read_json(path)
}

/// Every run manifest of the output `out`.
fn all_manifests(out: &Path) -> Result<Vec<Value>> {
    manifest_paths(out)?.iter().map(|p| read_json(p)).collect()
}

/// `<out>/_manifests/*.json`, oldest run first (run ids sort by start time).
fn manifest_paths(out: &Path) -> Result<Vec<PathBuf>> {
    let dir = out.join("_manifests");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    Ok(paths)
}

fn read_json(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Commit files (`00000000000000000003.json`) in the Delta log `log`; 0 when it is missing.
fn delta_log_commits(log: &Path) -> Result<u64> {
    let entries = match std::fs::read_dir(log) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(error) => return Err(error).with_context(|| format!("reading {}", log.display())),
    };
    let mut commits = 0;
    for entry in entries {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        let is_commit = name
            .strip_suffix(".json")
            .is_some_and(|v| v.len() == 20 && v.bytes().all(|b| b.is_ascii_digit()));
        commits += u64::from(is_commit);
    }
    Ok(commits)
}

fn machine() -> Value {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem_kb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .unwrap_or(0);
    json!({ "cores": cores, "memory_gib": (mem_kb as f64 / 1024.0 / 1024.0 * 10.0).round() / 10.0 })
}

fn print_table(r: &Value) {
    println!("\n| scenario | result | target | met |\n|---|---|---|---|");
    for scenario in SCENARIOS {
        if let Some(result) = r.get(scenario) {
            let (what, figures, target) = table_row(scenario, result);
            let met = if result["meets_target"].as_bool() == Some(true) {
                "yes"
            } else {
                "NO"
            };
            println!("| {what} | {figures} | {target} | {met} |");
        }
    }
}

/// The scenario, its figures and its target, as the table shows them.
fn table_row(scenario: &str, t: &Value) -> (String, String, &'static str) {
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    match scenario {
        "throughput" => (
            format!(
                "throughput ({} U8 customers + {} contacts + {} YCM, raw on)",
                t["u8_customers"], t["u8_contacts"], t["ycm_customers"]
            ),
            format!(
                "{:.0} records/s, peak RSS {:.0} MB, change detection {:.1} % of the run",
                f(&t["median_records_per_s"]),
                f(&t["median_peak_rss_mb"]),
                100.0 * f(&t["median_detection_share"])
            ),
            "≥ 150,000 records/s",
        ),
        "change_detection" => (
            format!(
                "change detection ({} of {} U8 customers changed; history off/on pairs: {})",
                t["changed"], t["u8_customers"], t["pairs"]
            ),
            format!(
                "detection {:.1} % of the run; history on/off wall {:.3} ({:.2} s / {:.2} s)",
                100.0 * f(&t["median_detection_share_history_off"]),
                f(&t["median_ratio_history_on_over_off"]),
                f(&t["median_wall_history_on_s"]),
                f(&t["median_wall_history_off_s"])
            ),
            "detection ≤ 5 %",
        ),
        "latency_bound" => (
            format!(
                "latency-bound ({} pages, 50±10 ms, concurrency 16)",
                t["concurrency_16"]["pages"]
            ),
            format!(
                "ideal/measured {:.3}; speed-up vs concurrency 1: {:.1}×",
                f(&t["concurrency_16"]["median_ratio_ideal_over_measured"]),
                f(&t["speedup_16_over_1"])
            ),
            "≥ 0.85",
        ),
        "memory_scaling" => (
            format!(
                "memory scaling ({} vs {} records)",
                t["small_records"], t["large_records"]
            ),
            format!(
                "{:.0} MB vs {:.0} MB, ratio {:.2}",
                f(&t["small_peak_rss_mb"]),
                f(&t["large_peak_rss_mb"]),
                f(&t["ratio_large_over_small"])
            ),
            "≤ 1.2 and ≤ 200 MB",
        ),
        "rate_limit" => (
            format!("rate limit (cap 20/s, {} pages)", t["pages"]),
            format!(
                "busiest 1-s window: {} requests",
                t["max_requests_in_any_1s_window"]
            ),
            "≤ 20",
        ),
        "link" => (
            format!(
                "customer_links ({} U8 × {} YCM customers)",
                t["u8_customers"], t["ycm_customers"]
            ),
            format!(
                "{:.1} s, peak RSS {:.0} MB; links {}",
                f(&t["median_process_wall_s"]),
                f(&t["median_peak_rss_mb"]),
                t["links"]["links"]
            ),
            "≤ 200 MB",
        ),
        "delta_throughput" => (
            format!(
                "delta vs parquet (the throughput export, alternating, runs per format: {})",
                t["runs_per_format"]
            ),
            format!(
                "delta {:.0} records/s, peak RSS {:.0} MB; parquet {:.0} records/s, peak RSS {:.0} MB; ratio {:.3}",
                f(&t["delta"]["median_records_per_s"]),
                f(&t["delta"]["median_peak_rss_mb"]),
                f(&t["parquet"]["median_records_per_s"]),
                f(&t["parquet"]["median_peak_rss_mb"]),
                f(&t["ratio_delta_over_parquet"])
            ),
            "delta / parquet ≥ 0.9",
        ),
        "delta_shards" => (
            format!(
                "delta shards ({} × `--shard K/{}` at once, {} sources, one output; runs: {})",
                t["shards"],
                t["shards"],
                t["sources"],
                t["runs"].as_array().map_or(0, Vec::len)
            ),
            format!(
                "median {:.0} commits, {:.0} retries, {:.1} s wall; lost commits {}",
                f(&t["median_commits"]),
                f(&t["median_retries"]),
                f(&t["median_process_wall_s"]),
                t["lost_commits_all_runs"]
            ),
            "0 lost",
        ),
        "incremental_upsert" => (
            format!(
                "incremental upsert ({} of {} U8 customers changed)",
                t["changed"], t["customers"]
            ),
            format!(
                "parquet {:.2} s, delta {:.2} s (full runs {:.2} / {:.2} s)",
                f(&t["parquet"]["incremental_run_process_wall_s"]),
                f(&t["delta"]["incremental_run_process_wall_s"]),
                f(&t["parquet"]["full_run_process_wall_s"]),
                f(&t["delta"]["full_run_process_wall_s"])
            ),
            "timed (no target)",
        ),
        other => (other.to_owned(), String::new(), ""),
    }
}
