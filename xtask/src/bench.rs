//! `cargo xtask bench [--quick]`: end-to-end speed and memory of `custlake export` against
//! `custlake-sim`, each a separate process, as a data team would run them.
//!
//! Scenarios (each repeated, medians reported): throughput with latency 0, the latency-bound
//! ratio ideal/measured (ideal = pages / concurrency × latency), memory scaling (peak RSS at two
//! sizes, from the kernel's rusage of the exporter), and a rate-limit cap checked by the
//! simulator's busiest 1-second window. Results go to `bench/results.json` (`--quick`:
//! `bench/out/results-quick.json`) and a table on stdout.

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
}

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
            }
        };
        let mut it = args.iter().filter(|a| *a != "--quick");
        while let Some(flag) = it.next() {
            let value = it.next().with_context(|| format!("{flag} needs a value"))?;
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
                other => bail!("unknown bench flag {other}; see `cargo xtask` for usage"),
            }
        }
        Ok(plan)
    }
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
    results.insert("throughput".into(), bench.throughput(&plan)?);
    results.insert("latency_bound".into(), bench.latency_bound(&plan)?);
    results.insert("memory_scaling".into(), bench.memory_scaling(&plan)?);
    results.insert("rate_limit".into(), bench.rate_limit(&plan)?);
    results.insert("link".into(), bench.link(&plan)?);
    let results = Value::Object(results);

    // The quick run (CI) must not overwrite the committed full results.
    let name = if plan.quick {
        "out/results-quick.json"
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
        let run = self.export_into(name, sim, sources)?;
        let _ = std::fs::remove_dir_all(self.work.join(name).join("out"));
        Ok(run)
    }

    /// [`Bench::export`], keeping the output in `<work>/<name>/out`.
    fn export_into(&self, name: &str, sim: &Sim, sources: &str) -> Result<ExportRun> {
        let dir = self.work.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let config = dir.join("custlake.toml");
        let out = dir.join("out");
        let text = format!(
            "[output]\npath = {:?}\nlinks = false\n\n{}",
            out.display().to_string(),
            sources.replace("BASE", &sim.base_url)
        );
        std::fs::write(&config, text)?;
        let start = Instant::now();
        let child = Command::new(self.bins.join("custlake"))
            .args(["--no-progress", "-q", "export", "--config"])
            .arg(&config)
            .env("CUSTLAKE_U8_DEMO_A_APP_SECRET", "demo-u8-secret")
            .env("CUSTLAKE_YCM_DEMO_CLIENT_SECRET", "demo-ycm-secret")
            .stdout(Stdio::null())
            .spawn()
            .context("starting custlake export")?;
        let (code, peak_rss_kb) = wait_with_rusage(child)?;
        let wall = start.elapsed();
        if code != 0 {
            bail!("{name}: custlake export exited with {code}");
        }
        let manifest = latest_manifest(&out)?;
        if manifest["status"] != "succeeded" {
            bail!("{name}: run status {}", manifest["status"]);
        }
        Ok(ExportRun {
            manifest,
            peak_rss_mb: peak_rss_kb as f64 / 1024.0,
            wall,
        })
    }

    fn throughput(&self, plan: &Plan) -> Result<Value> {
        let sim = self.start_sim(&args([
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
        ]))?;
        let sources = format!(
            "{}\n{}",
            u8_source(&["customers", "contacts"], 500, 8, 100_000.0),
            ycm_source(16)
        );
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
        Ok(json!({
            "u8_customers": plan.u8_customers, "u8_contacts": plan.u8_customers, "ycm_customers": plan.ycm_customers,
            "raw": true, "records": runs[0].records(), "median_records_per_s": rate, "median_peak_rss_mb": rss,
            "median_process_wall_s": wall, "target_records_per_s": 150_000, "meets_target": rate >= 150_000.0,
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
        self.export_into("link", &sim, &sources)?;
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

fn args<const N: usize>(list: [&str; N]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn u8_source(entities: &[&str], page_size: u32, concurrency: u64, rps: f64) -> String {
    let entities: Vec<String> = entities.iter().map(|e| format!("{e:?}")).collect();
    format!(
        "[[sources]]\nname = \"u8_demo_a\"\nkind = \"yonyou_u8\"\nbase_url = \"BASE\"\nfrom_account = \"custlake_demo\"\nto_account = \"demo_ent_a\"\napp_key = \"opa_custlake_demo\"\nentities = [{}]\npage_size = {page_size}\nconcurrency = {concurrency}\nrequests_per_second = {rps}\n",
        entities.join(", ")
    )
}

fn ycm_source(concurrency: u64) -> String {
    format!(
        "[[sources]]\nname = \"ycm_demo\"\nkind = \"yeastar_ycm\"\nbase_url = \"BASE\"\nclient_id = \"ycm-demo-client\"\npage_size = 50\nconcurrency = {concurrency}\nrequests_per_second = 100000\n"
    )
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
    let dir = out.join("_manifests");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    let path = paths.last().context("no manifest written")?;
    Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?)
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
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let ok = |v: &Value| {
        if v.as_bool() == Some(true) {
            "yes"
        } else {
            "NO"
        }
    };
    println!("\n| scenario | result | target | met |\n|---|---|---|---|");
    let t = &r["throughput"];
    println!(
        "| throughput ({} U8 customers + {} contacts + {} YCM, raw on) | {:.0} records/s, peak RSS {:.0} MB | ≥ 150,000 records/s | {} |",
        t["u8_customers"],
        t["u8_contacts"],
        t["ycm_customers"],
        f(&t["median_records_per_s"]),
        f(&t["median_peak_rss_mb"]),
        ok(&t["meets_target"])
    );
    let l = &r["latency_bound"];
    println!(
        "| latency-bound ({} pages, 50±10 ms, concurrency 16) | ideal/measured {:.3}; speed-up vs concurrency 1: {:.1}× | ≥ 0.85 | {} |",
        l["concurrency_16"]["pages"],
        f(&l["concurrency_16"]["median_ratio_ideal_over_measured"]),
        f(&l["speedup_16_over_1"]),
        ok(&l["meets_target"])
    );
    let m = &r["memory_scaling"];
    println!(
        "| memory scaling ({} vs {} records) | {:.0} MB vs {:.0} MB, ratio {:.2} | ≤ 1.2 and ≤ 200 MB | {} |",
        m["small_records"],
        m["large_records"],
        f(&m["small_peak_rss_mb"]),
        f(&m["large_peak_rss_mb"]),
        f(&m["ratio_large_over_small"]),
        ok(&m["meets_target"])
    );
    let q = &r["rate_limit"];
    println!(
        "| rate limit (cap 20/s, {} pages) | busiest 1-s window: {} requests | ≤ 20 | {} |",
        q["pages"],
        q["max_requests_in_any_1s_window"],
        ok(&q["meets_target"])
    );
    let k = &r["link"];
    println!(
        "| customer_links ({} U8 × {} YCM customers) | {:.1} s, peak RSS {:.0} MB; links {} | ≤ 200 MB | {} |",
        k["u8_customers"],
        k["ycm_customers"],
        f(&k["median_process_wall_s"]),
        f(&k["median_peak_rss_mb"]),
        k["links"]["links"],
        ok(&k["meets_target"])
    );
}
