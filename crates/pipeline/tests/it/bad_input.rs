//! Hostile or broken vendor answers, one named test each: every case ends in a clear error
//! (naming the page and the problem) or in reject rows, never in a panic, a hang or memory
//! that grows without bound. A tiny axum server plays a U8 gateway that misbehaves on purpose.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use arrow::array::{Array, AsArray};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Query;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use custlake_pipeline::{ExportConfig, ExportOptions, NoProgress, RunManifest, RunStatus, export};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// Answers a batch_get request for a page number.
pub(crate) type PageFn = Arc<dyn Fn(u64) -> Response + Send + Sync>;

/// A U8 gateway whose token endpoint works and whose customer pages come from `page`.
pub(crate) async fn start_stub(page: PageFn) -> (String, tokio::task::JoinHandle<()>) {
    let token = || async {
        json_response(
            br#"{"errcode":"0","token":{"id":"stub-token-1","expiresIn":"7200"}}"#.to_vec(),
        )
    };
    let pages = move |Query(query): Query<HashMap<String, String>>| {
        let page = page.clone();
        async move {
            let n = query
                .get("page_index")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            page(n)
        }
    };
    let app = Router::new()
        .route("/system/token", get(token))
        .route("/api/customer/batch_get", get(pages));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), task)
}

pub(crate) fn json_response(body: Vec<u8>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        body,
    )
        .into_response()
}

/// A batch_get answer with these records (JSON texts) and counters (JSON values).
pub(crate) fn page_body(records: &[String], row_count: &str, page_count: &str) -> Vec<u8> {
    format!(
        r#"{{"errcode":"0","errmsg":"","page_index":"1","rows_per_page":"10","row_count":{row_count},"page_count":{page_count},"customer":[{}]}}"#,
        records.join(",")
    )
    .into_bytes()
}

fn customer(code: &str) -> String {
    format!(r#"{{"code":"{code}","name":"客户{code}","bcusdomestic":"1"}}"#)
}

/// Exports the stub once, with `source_settings` added to the `[[sources]]` table and
/// `retry_settings` to its `[sources.retry]`; a run that does not end within a minute is a hang.
async fn run_with(
    base_url: &str,
    out: &Path,
    source_settings: &str,
    retry_settings: &str,
) -> RunManifest {
    let settings = [source_settings, retry_settings];
    run_formatted(
        base_url,
        out,
        settings,
        custlake_pipeline::OutputFormat::Parquet,
    )
    .await
}

/// [`run_with`] into an output of `format`.
async fn run_formatted(
    base_url: &str,
    out: &Path,
    [source_settings, retry_settings]: [&str; 2],
    format: custlake_pipeline::OutputFormat,
) -> RunManifest {
    let text = format!(
        r#"
[output]
path = {out:?}
[[sources]]
name = "stub"
kind = "yonyou_u8"
base_url = {base_url:?}
from_account = "f"
to_account = "t"
app_key = "k"
app_secret = "stub-secret-value"
entities = ["customers"]
page_size = 10
concurrency = 2
requests_per_second = 1000
request_timeout_secs = 1
{source_settings}
[sources.retry]
max_attempts = 2
initial_backoff_ms = 1
max_backoff_ms = 5
{retry_settings}
"#,
        out = out.display().to_string()
    );
    let config: ExportConfig = toml::from_str(&text).expect("test config parses");
    let sources = config.validate().expect("test config is valid");
    let options = ExportOptions {
        out: out.to_path_buf(),
        format,
        include_raw: true,
        parquet: config.output.parquet.clone(),
        checkpoints: true,
        resume: false,
        history: false,
        links: None,
    };
    tokio::time::timeout(
        Duration::from_secs(60),
        export(sources, options, Arc::new(NoProgress)),
    )
    .await
    .expect("the export ends instead of hanging")
    .expect("the export runs")
}

/// Runs the stub with `page` and returns the manifest.
async fn export_stub(page: PageFn) -> (RunManifest, tempfile::TempDir) {
    export_stub_with(page, "", "").await
}

/// [`export_stub`] with more settings (see [`run_with`]).
async fn export_stub_with(
    page: PageFn,
    source_settings: &str,
    retry_settings: &str,
) -> (RunManifest, tempfile::TempDir) {
    let (url, server) = start_stub(page).await;
    let out = tempfile::tempdir().expect("tempdir");
    let manifest = run_with(&url, out.path(), source_settings, retry_settings).await;
    server.abort();
    assert!(
        !out.path().join(".staging").exists(),
        "staging and checkpoints are cleaned up"
    );
    (manifest, out)
}

/// The single source failed; returns its error, checked for secrets.
fn failure(manifest: &RunManifest) -> String {
    assert_eq!(manifest.status, RunStatus::Failed, "{manifest:#?}");
    let error = manifest.sources[0].error.clone().expect("an error message");
    assert!(
        !error.contains("stub-secret-value") && !error.contains("stub-token-1"),
        "{error}"
    );
    error
}

/// Values of `column` in `dataset` (text columns only).
fn column(out: &Path, dataset: &str, column: &str) -> Vec<Option<String>> {
    let dir = out
        .join(dataset)
        .join("source=yonyou_u8")
        .join("tenant=stub");
    let mut values = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("partition exists").flatten() {
        if entry.path().extension().is_none_or(|e| e != "parquet") {
            continue;
        }
        let file = std::fs::File::open(entry.path()).expect("open");
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .expect("parquet")
            .build()
            .expect("reader");
        for batch in reader {
            let batch = batch.expect("batch");
            let array = batch.column_by_name(column).expect("column");
            let array = array.as_string::<i32>();
            values.extend(
                (0..array.len()).map(|i| (!array.is_null(i)).then(|| array.value(i).to_owned())),
            );
        }
    }
    values
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_fails_the_page_with_a_clear_error() {
    let (manifest, _out) = export_stub(Arc::new(|_| {
        json_response(br#"{"errcode":"0","row_count":"3","customer":[{"code":"1""#.to_vec())
    }))
    .await;
    let error = failure(&manifest);
    assert!(
        error.contains("page 1") && error.contains("not the JSON the spec describes"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_types_in_records_become_reject_rows() {
    let records = vec![
        r#"{"code":{"nested":1},"name":"key is an object"}"#.to_owned(),
        r#"{"code":"0002","name":["an","array"],"seed_date":17,"bcusdomestic":{"x":true}}"#
            .to_owned(),
        r#""a record that is a string""#.to_owned(),
        "42".to_owned(),
        "null".to_owned(),
        r#"{"code":12345,"timestamp":"not a number","ModifyDate":false}"#.to_owned(),
        customer("0007"),
    ];
    let sent = records.len() as u64;
    let (manifest, out) = export_stub(Arc::new(move |_| {
        json_response(page_body(&records, "\"7\"", "1"))
    }))
    .await;
    assert_eq!(manifest.status, RunStatus::Succeeded, "{manifest:#?}");
    let entity = &manifest.sources[0].entities[0];
    let rows = entity.rows.get("customers").copied().unwrap_or(0);
    assert_eq!(rows, 3, "0002, 12345 and 0007 have usable keys");
    assert!(
        entity.rejects >= (sent - rows) + 5,
        "four whole-record rejects plus field rejects: {entity:?}"
    );
    let reasons = column(out.path(), "rejects", "reason");
    assert_eq!(reasons.len() as u64, entity.rejects);
    let raw = column(out.path(), "rejects", "raw");
    assert!(
        raw.iter()
            .flatten()
            .any(|r| r.contains("a record that is a string")),
        "the raw record is kept in rejects"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_types_in_page_counters_fail_with_a_clear_error() {
    let (manifest, _out) = export_stub(Arc::new(|_| {
        json_response(page_body(&[customer("0001")], r#"{"rows":1}"#, "1"))
    }))
    .await;
    let error = failure(&manifest);
    assert!(
        error.contains("row_count") && error.contains("not a non-negative integer"),
        "{error}"
    );
}

/// Set in the child process that runs a memory-bounded case alone (see [`run_alone`]).
const ALONE_ENV: &str = "CUSTLAKE_TEST_RUN_ALONE";

/// Bound on the peak resident memory of the process running the 10 MB case alone: about twice
/// what it needs. Measured on x86_64 Linux (debug build, glibc malloc): 185–250 MiB over ten
/// runs, of which ~10 MiB is the test binary before the case starts. The 10 MB page is held
/// many times over (body, decoded record, raw column, spool, Arrow and Parquet buffers), but
/// nothing grows with anything but the page.
const TEN_MB_FIELD_PEAK_MIB: u64 = 512;

/// Peak resident memory of this process so far (Linux `VmHWM`), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs test `name` of this binary alone in a child process (other tests share this process's
/// memory, so only a child's peak is the case's own); returns the peak resident memory in KiB
/// the child reported at its end, after checking it passed.
fn run_alone(name: &str) -> u64 {
    let exe = std::env::current_exe().expect("test binary path");
    let output = std::process::Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(ALONE_ENV, name)
        .output()
        .expect("test binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{name} failed alone:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("1 passed"),
        "{name} did not run alone: {stdout}"
    );
    stdout
        .lines()
        .find_map(|l| l.split_once("peak_rss_kib=").map(|(_, kib)| kib))
        .and_then(|kib| kib.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("{name}: no peak reported: {stdout}\n{stderr}"))
}

#[test]
fn a_10_mb_field_is_kept_whole_with_bounded_memory() {
    let name = "bad_input::a_10_mb_field_is_kept_whole_with_bounded_memory";
    if std::env::var(ALONE_ENV).as_deref() != Ok(name) {
        let peak_mib = run_alone(name) / 1024;
        println!("{name}: peak resident memory {peak_mib} MiB");
        assert!(
            peak_mib < TEN_MB_FIELD_PEAK_MIB,
            "peak memory {peak_mib} MiB, bound {TEN_MB_FIELD_PEAK_MIB} MiB"
        );
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(ten_mb_field_is_kept_whole());
    drop(runtime);
    let peak = peak_rss_kib().expect("VmHWM in /proc/self/status (Linux)");
    println!("peak_rss_kib={peak}");
}

/// The 10 MB case itself, run in the child.
async fn ten_mb_field_is_kept_whole() {
    let huge = "長".repeat(10 * 1024 * 1024 / 3);
    let record = format!(r#"{{"code":"0001","name":"{huge}","memo":"m"}}"#);
    let body = Bytes::from(page_body(&[record, customer("0002")], "2", "1"));
    let (manifest, out) = export_stub(Arc::new(move |_| json_response(body.to_vec()))).await;
    assert_eq!(manifest.status, RunStatus::Succeeded, "{manifest:#?}");
    let names = column(out.path(), "customers", "name");
    assert_eq!(names.len(), 2);
    assert!(
        names.iter().flatten().any(|n| n.len() == huge.len()),
        "the 10 MB value arrives whole"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_nesting_is_a_clear_error_or_a_reject_never_a_stack_overflow() {
    // Far beyond serde_json's recursion limit: the record cannot be decoded, so it is
    // rejected whole, with the decoder's reason; its page neighbours are kept.
    let deep = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
    let record = format!(r#"{{"code":"0001","name":{deep}}}"#);
    let (manifest, out) = export_stub(Arc::new(move |_| {
        json_response(page_body(&[record.clone(), customer("0002")], "2", "1"))
    }))
    .await;
    assert_eq!(manifest.status, RunStatus::Succeeded, "{manifest:#?}");
    assert_eq!(
        column(out.path(), "customers", "customer_id"),
        vec![Some("0002".to_owned())]
    );
    let reasons = column(out.path(), "rejects", "reason");
    assert_eq!(reasons.len(), 1);
    assert!(
        reasons[0]
            .as_deref()
            .is_some_and(|r| r.contains("recursion limit")),
        "{reasons:?}"
    );

    // Nested within the limit where a scalar belongs: the field is rejected, the row kept.
    let nested = format!("{}1{}", "[".repeat(60), "]".repeat(60));
    let record = format!(r#"{{"code":"0001","name":{nested}}}"#);
    let (manifest, out) = export_stub(Arc::new(move |_| {
        json_response(page_body(std::slice::from_ref(&record), "1", "1"))
    }))
    .await;
    assert_eq!(manifest.status, RunStatus::Succeeded, "{manifest:#?}");
    assert_eq!(column(out.path(), "customers", "name"), vec![None]);
    let fields = column(out.path(), "rejects", "field");
    assert_eq!(fields, vec![Some("name".to_owned())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_fails_the_page_with_a_clear_error() {
    let (manifest, _out) = export_stub(Arc::new(|_| {
        let mut body = page_body(&[customer("0001")], "1", "1");
        let at = body.len() - 20;
        body.splice(at..at, [0xff, 0xfe, 0xc3]);
        json_response(body)
    }))
    .await;
    let error = failure(&manifest);
    assert!(
        error.contains("page 1") && error.contains("not the JSON the spec describes"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_claiming_a_billion_rows_is_refused_by_max_pages() {
    let (manifest, _out) = export_stub(Arc::new(|_| {
        json_response(page_body(&[customer("0001")], "\"1000000000\"", "\"\""))
    }))
    .await;
    let error = failure(&manifest);
    assert!(
        error.contains("100000000 pages") && error.contains("max_pages = 1000000"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_negative_page_count_is_a_clear_error() {
    let (manifest, _out) = export_stub(Arc::new(|_| {
        json_response(page_body(&[customer("0001")], "\"10\"", "\"-1\""))
    }))
    .await;
    let error = failure(&manifest);
    assert!(
        error.contains(r#"page_count "-1" is not a non-negative integer"#),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_repeated_forever_stops_with_a_clear_error() {
    let requests = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = requests.clone();
    let records: Vec<String> = (1..=10).map(|i| customer(&format!("{i:04}"))).collect();
    // Announces 10,000 pages (within max_pages) but ignores page_index.
    let (manifest, _out) = export_stub(Arc::new(move |_| {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        json_response(page_body(&records, "\"100000\"", "\"10000\""))
    }))
    .await;
    let error = failure(&manifest);
    assert!(
        error.contains("byte-for-byte copies") && error.contains("ignore the page number"),
        "{error}"
    );
    let requests = requests.load(std::sync::atomic::Ordering::Relaxed);
    assert!(requests < 40, "stopped early, after {requests} requests");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_slow_response_times_out() {
    let started = Instant::now();
    let (manifest, _out) = export_stub(Arc::new(|_| {
        // Headers at once, then one byte every 100 ms, forever.
        let head = futures::stream::once(async {
            Ok::<Bytes, std::io::Error>(Bytes::from_static(b"{\"errcode\":\"0\",\"customer\":["))
        });
        let drip = futures::stream::unfold((), |()| async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Some((Ok::<Bytes, std::io::Error>(Bytes::from_static(b" ")), ()))
        });
        let body = Body::from_stream(futures::StreamExt::chain(head, drip));
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response()
    }))
    .await;
    let error = failure(&manifest);
    assert!(
        error.contains("page 1") && error.contains("timed out"),
        "{error}"
    );
    // Two attempts of one second each, plus backoff: far from a hang.
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_200_with_an_html_body_is_a_clear_error() {
    let (manifest, _out) = export_stub(Arc::new(|_| {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body><h1>Gateway maintenance</h1></body></html>",
        )
            .into_response()
    }))
    .await;
    let error = failure(&manifest);
    assert!(
        error.contains("not the JSON the spec describes") && error.contains("<html>"),
        "{error}"
    );
}

/// A 429 asking to wait `retry_after`, counting the requests it answers.
fn too_many_requests(retry_after: &'static str, requests: Arc<AtomicUsize>) -> PageFn {
    Arc::new(move |_| {
        requests.fetch_add(1, Ordering::Relaxed);
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, retry_after)],
            "slow down",
        )
            .into_response()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_of_31_years_fails_the_page_instead_of_waiting() {
    let started = Instant::now();
    let requests = Arc::new(AtomicUsize::new(0));
    let (manifest, _out) = export_stub(too_many_requests("999999999", requests.clone())).await;
    let error = failure(&manifest);
    assert!(
        error.contains("page 1")
            && error.contains("the vendor asked to wait 999999999 s (Retry-After)")
            && error.contains("[sources.retry] max_retry_after_secs = 300")
            && error.contains("raise it"),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_secs(10), "no waiting");
    // The first page fetches go out together; none of them is sent again.
    let requests = requests.load(Ordering::Relaxed);
    assert!((1..=2).contains(&requests), "{requests} requests");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_date_far_ahead_is_capped_the_same_way() {
    let started = Instant::now();
    let requests = Arc::new(AtomicUsize::new(0));
    let (manifest, _out) = export_stub_with(
        too_many_requests("Fri, 31 Dec 9999 23:59:59 GMT", requests),
        "",
        MAX_RETRY_AFTER_60_SECS,
    )
    .await;
    let error = failure(&manifest);
    assert!(
        error.contains("(Retry-After), more than [sources.retry] max_retry_after_secs = 60"),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_secs(10), "no waiting");
}

/// The cap the date test configures.
const MAX_RETRY_AFTER_60_SECS: &str = "max_retry_after_secs = 60";

/// The answer bound the size tests configure: 1 MiB.
const MAX_RESPONSE_1_MIB: &str = "max_response_bytes = 1048576";

/// Size of the oversized answers: 50 MiB.
const HUGE_BODY_BYTES: usize = 50 * 1024 * 1024;

/// A valid, empty batch_get answer padded to [`HUGE_BODY_BYTES`] inside its errmsg, produced
/// chunk by chunk as the client reads it; `served` counts the bytes handed to the server.
fn huge_page(with_length: bool, served: Arc<AtomicUsize>) -> Response {
    const CHUNK: usize = 64 * 1024;
    let head = br#"{"errcode":"0","errmsg":""#.as_slice();
    let tail =
        br#"","page_index":"1","rows_per_page":"10","row_count":"0","page_count":"0","customer":[]}"#
            .as_slice();
    let padding = HUGE_BODY_BYTES - head.len() - tail.len();
    let chunks = std::iter::once(Bytes::from_static(head))
        .chain(
            (0..padding.div_ceil(CHUNK))
                .map(move |i| Bytes::from(vec![b' '; CHUNK.min(padding - i * CHUNK)])),
        )
        .chain(std::iter::once(Bytes::from_static(tail)));
    let stream = futures::StreamExt::map(futures::stream::iter(chunks), move |chunk| {
        served.fetch_add(chunk.len(), Ordering::Relaxed);
        Ok::<Bytes, std::io::Error>(chunk)
    });
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(stream),
    )
        .into_response();
    if with_length {
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, HUGE_BODY_BYTES.into());
    }
    response
}

/// Exports a stub answering [`huge_page`] under a 1 MiB bound; returns the error and the bytes
/// the stub produced.
async fn export_huge_pages(with_length: bool) -> (String, usize) {
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    let (manifest, _out) = export_stub_with(
        Arc::new(move |_| huge_page(with_length, counter.clone())),
        MAX_RESPONSE_1_MIB,
        "",
    )
    .await;
    (failure(&manifest), served.load(Ordering::Relaxed))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_announcing_50_mib_fails_before_its_body_is_read() {
    let (error, served) = export_huge_pages(true).await;
    assert!(
        error.contains("page 1")
            && error.contains("customer/batch_get")
            && error.contains("announces 52428800 bytes (Content-Length)")
            && error.contains("max_response_bytes = 1048576")
            && error.contains("raise max_response_bytes"),
        "{error}"
    );
    // Pages 1 and 2 go out together, each answered once (the failure is not retried); what
    // the stub produced is what the sockets buffered, far from 2 × 50 MiB.
    assert!(served < HUGE_BODY_BYTES / 2, "{served} bytes were produced");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_answer_above_the_bound_stops_being_read() {
    let (error, served) = export_huge_pages(false).await;
    assert!(
        error.contains("page 1")
            && error.contains("passed max_response_bytes = 1048576 bytes")
            && error.contains("the rest of it was not read")
            && error.contains("raise max_response_bytes"),
        "{error}"
    );
    assert!(served < HUGE_BODY_BYTES / 2, "{served} bytes were produced");
}

/// A stub whose answers change between runs: `answers[mode]` serves every page.
fn switchable(mode: Arc<AtomicUsize>, answers: Vec<PageFn>) -> PageFn {
    Arc::new(move |page| answers[mode.load(Ordering::SeqCst)](page))
}

/// Nine good customers on one page.
fn nine_customers() -> PageFn {
    Arc::new(|_| {
        let records: Vec<String> = (1..=9).map(|i| customer(&format!("C{i}"))).collect();
        json_response(page_body(&records, "\"9\"", "\"1\""))
    })
}

/// After a good 9-row run, a vendor that announces 9 customers over 3 pages and sends none, or
/// 3 of them on 1 page: under-delivery fails the source, and the 9-row snapshot stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_that_under_delivers_keeps_the_good_snapshot() {
    let mode = Arc::new(AtomicUsize::new(0));
    let empty_pages: PageFn = Arc::new(|_| json_response(page_body(&[], "\"9\"", "\"3\"")));
    let three_of_nine: PageFn = Arc::new(|_| {
        let records: Vec<String> = (1..=3).map(|i| customer(&format!("C{i}"))).collect();
        json_response(page_body(&records, "\"9\"", "\"1\""))
    });
    let page = switchable(
        mode.clone(),
        vec![nine_customers(), empty_pages, three_of_nine],
    );
    let (url, server) = start_stub(page).await;
    let out = tempfile::tempdir().expect("tempdir");
    let first = run_with(&url, out.path(), "", "").await;
    assert_eq!(first.status, RunStatus::Succeeded, "{first:#?}");
    assert_eq!(column(out.path(), "customers", "customer_id").len(), 9);
    for (answer, received) in [(1, 0), (2, 3)] {
        mode.store(answer, Ordering::SeqCst);
        let manifest = run_with(&url, out.path(), "", "").await;
        let error = failure(&manifest);
        assert!(
            error.contains(&format!("announced 9 records but only {received} arrived"))
                && error.contains("max_missing_share"),
            "{error}"
        );
        assert_eq!(
            column(out.path(), "customers", "customer_id").len(),
            9,
            "the good snapshot stays"
        );
    }
    server.abort();
}

/// After a good 9-row run, the vendor still announces 9 customers but 7 of them arrive without
/// their key (rejected whole): the customers snapshot would lose 7 of 9 rows on no evidence, so
/// it is refused; `[sources.guard] max_shrink = 1.0` (what `--allow-shrink` sets) lets it
/// through, and so does a vendor whose own total says it holds fewer now.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_that_shrinks_without_the_vendors_word_is_refused() {
    let mode = Arc::new(AtomicUsize::new(0));
    let keyless: PageFn = Arc::new(|_| {
        let mut records: Vec<String> = (1..=2).map(|i| customer(&format!("C{i}"))).collect();
        records.extend((3..=9).map(|i| format!(r#"{{"name":"无编码{i}"}}"#)));
        json_response(page_body(&records, "\"9\"", "\"1\""))
    });
    let really_fewer: PageFn = Arc::new(|_| {
        let records: Vec<String> = (1..=3).map(|i| customer(&format!("C{i}"))).collect();
        json_response(page_body(&records, "\"3\"", "\"1\""))
    });
    let page = switchable(mode.clone(), vec![nine_customers(), keyless, really_fewer]);
    let (url, server) = start_stub(page).await;
    let out = tempfile::tempdir().expect("tempdir");
    let rows = |out: &Path| column(out, "customers", "customer_id").len();
    assert_eq!(
        run_with(&url, out.path(), "", "").await.status,
        RunStatus::Succeeded
    );
    assert_eq!(rows(out.path()), 9);

    mode.store(1, Ordering::SeqCst);
    let refused = failure(&run_with(&url, out.path(), "", "").await);
    assert!(
        refused.contains("has 2 rows where the current one has 9")
            && refused.contains("--allow-shrink"),
        "{refused}"
    );
    assert_eq!(rows(out.path()), 9, "the current state is kept");
    let allowed = run_with(&url, out.path(), "[sources.guard]\nmax_shrink = 1.0\n", "").await;
    assert_eq!(allowed.status, RunStatus::Succeeded, "{allowed:#?}");
    assert_eq!(rows(out.path()), 2);

    // Back to 9, then the vendor itself announces 3: a shrink with evidence goes through.
    mode.store(0, Ordering::SeqCst);
    run_with(&url, out.path(), "", "").await;
    mode.store(2, Ordering::SeqCst);
    let fewer = run_with(&url, out.path(), "", "").await;
    assert_eq!(fewer.status, RunStatus::Succeeded, "{fewer:#?}");
    assert_eq!(rows(out.path()), 3);
    server.abort();
}

/// Nine customers, then ten of which one carries a date that is no date (a reject row): the
/// second run changes both datasets of the source.
fn nine_then_ten_with_a_reject(mode: Arc<AtomicUsize>) -> PageFn {
    let ten_with_a_reject: PageFn = Arc::new(|_| {
        let mut records: Vec<String> = (1..=9).map(|i| customer(&format!("C{i}"))).collect();
        records.push(r#"{"code":"C10","name":"客户C10","seed_date":"not a date"}"#.to_owned());
        json_response(page_body(&records, "\"10\"", "\"1\""))
    });
    switchable(mode, vec![nine_customers(), ten_with_a_reject])
}

/// The files of the output's catalog and markers, by path, with their bytes.
fn catalog_and_markers(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    let mut stack = vec![out.join("_markers")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else {
                found.push(entry.path());
            }
        }
    }
    found.push(out.join("_current.json"));
    found.sort();
    found
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap_or_default();
            (path.display().to_string(), bytes)
        })
        .collect()
}

/// Publishing `rejects` fails after `customers` was published (its folder is blocked by a
/// file): the source fails, `customers`, the catalog and the markers are exactly as before the
/// run, and the error says the source's datasets were rolled back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_publish_rolls_back_the_sources_other_datasets() {
    let mode = Arc::new(AtomicUsize::new(0));
    let (url, server) = start_stub(nine_then_ten_with_a_reject(mode.clone())).await;
    let out = tempfile::tempdir().expect("tempdir");
    let first = run_with(&url, out.path(), "", "").await;
    assert_eq!(first.status, RunStatus::Succeeded, "{first:#?}");
    let customers_before = column(out.path(), "customers", "customer_id");
    assert_eq!(customers_before.len(), 9);
    let catalog_before = catalog_and_markers(out.path());

    let blocked = out.path().join("rejects").join("source=yonyou_u8");
    std::fs::remove_dir_all(&blocked).expect("remove the rejects partitions");
    std::fs::write(&blocked, b"not a folder").expect("block the rejects partition");
    mode.store(1, Ordering::SeqCst);
    let manifest = run_with(&url, out.path(), "", "").await;
    let error = failure(&manifest);
    assert!(
        error.contains("rolled back") && error.contains("previous state is unchanged"),
        "{error}"
    );
    assert!(!error.contains("snapshot is unchanged,"), "{error}");
    assert_eq!(
        column(out.path(), "customers", "customer_id"),
        customers_before,
        "customers is back to the previous run's files"
    );
    assert_eq!(catalog_and_markers(out.path()), catalog_before);
    assert!(manifest.files.is_empty(), "{:?}", manifest.files);

    std::fs::remove_file(&blocked).expect("unblock");
    let again = run_with(&url, out.path(), "", "").await;
    assert_eq!(again.status, RunStatus::Succeeded, "{again:#?}");
    assert_eq!(column(out.path(), "customers", "customer_id").len(), 10);
    server.abort();
}

/// The same on a Delta output: while the run fetches, the `rejects` table's log gains a commit
/// that cannot be read, so committing `rejects` fails after `customers` was committed; the
/// `customers` commit is taken back by a roll-back commit and the table reads as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delta_commit_rolls_back_the_sources_earlier_commits() {
    use custlake_pipeline::OutputFormat::Delta;
    let mode = Arc::new(AtomicUsize::new(0));
    let out = tempfile::tempdir().expect("tempdir");
    let log = out.path().join("rejects").join("_delta_log");
    let pages = nine_then_ten_with_a_reject(mode.clone());
    let breaking = {
        let (mode, log) = (mode.clone(), log.clone());
        Arc::new(move |page| {
            if mode.load(Ordering::SeqCst) == 1 {
                break_next_commit(&log);
            }
            pages(page)
        })
    };
    let (url, server) = start_stub(breaking).await;
    let first = run_formatted(&url, out.path(), ["", ""], Delta).await;
    assert_eq!(first.status, RunStatus::Succeeded, "{first:#?}");
    assert!(
        !out.path().join(".staging").exists(),
        "a successful Delta run leaves no spool or staging behind"
    );
    let location = custlake_pipeline::OutputLocation::Local(out.path().to_path_buf());
    let rows_before = delta_customer_ids(&location).await;
    assert_eq!(rows_before.len(), 9);

    mode.store(1, Ordering::SeqCst);
    let manifest = run_formatted(&url, out.path(), ["", ""], Delta).await;
    let error = failure(&manifest);
    assert!(
        error.contains("rolled back") && error.contains("previous state is unchanged"),
        "{error}"
    );
    assert!(!error.contains("backtrace"), "{error}");
    mode.store(0, Ordering::SeqCst);
    for entry in std::fs::read_dir(&log).expect("log").flatten() {
        if std::fs::read(entry.path()).is_ok_and(|b| b == b"{broken") {
            std::fs::remove_file(entry.path()).expect("repair the log");
        }
    }
    assert_eq!(delta_customer_ids(&location).await, rows_before);
    let outcomes: Vec<(&str, &str)> = manifest
        .delta_commits
        .iter()
        .map(|c| (c.table.as_str(), c.outcome.as_str()))
        .collect();
    assert!(
        outcomes.contains(&("customers", "rolled_back")),
        "{outcomes:?}"
    );
    assert!(manifest.files.is_empty(), "{:?}", manifest.files);
    server.abort();
}

/// Writes the next commit of the Delta log at `log` as text no reader can parse (once).
fn break_next_commit(log: &Path) {
    let versions: Vec<u64> = std::fs::read_dir(log)
        .expect("the table's log")
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".json")?.parse::<u64>().ok()
        })
        .collect();
    let next = versions.iter().max().copied().unwrap_or(0) + 1;
    if std::fs::read(log.join(format!("{:020}.json", next - 1))).is_ok_and(|b| b == b"{broken") {
        return;
    }
    std::fs::write(log.join(format!("{next:020}.json")), b"{broken").expect("write the log");
}

/// The customer ids of the Delta output's `customers` partition, sorted.
async fn delta_customer_ids(location: &custlake_pipeline::OutputLocation) -> Vec<String> {
    let catalog = custlake_pipeline::internals::delta_view(location)
        .await
        .expect("tables read");
    let mut ids = Vec::new();
    for partition in catalog
        .partitions
        .iter()
        .filter(|p| p.dataset == "customers")
    {
        for file in &partition.snapshot.files {
            let custlake_pipeline::OutputLocation::Local(dir) = location else {
                unreachable!("a local output");
            };
            let bytes = bytes::Bytes::from(std::fs::read(dir.join(&file.path)).expect("file"));
            let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
                .expect("parquet")
                .build()
                .expect("reader");
            for batch in reader {
                let batch = batch.expect("batch");
                let keys = batch.column_by_name("customer_id").expect("key column");
                let keys = keys.as_string::<i32>();
                ids.extend((0..keys.len()).map(|i| keys.value(i).to_owned()));
            }
        }
    }
    ids.sort();
    ids
}

/// A customer with a row version (so an incremental source records a mark).
fn versioned_customer(code: &str, version: u64, extra: &str) -> String {
    format!(r#"{{"code":"{code}","name":"客户{code}","timestamp":"{version}"{extra}}}"#)
}

/// An incremental Delta run whose re-fetched records touch none of the current files (a new
/// customer, and a reject where the partition had none of that record): every current file
/// stays and the new rows are added in one commit — it used to be planned as "the partition is
/// empty", found stale on every attempt, and fail after 8 re-plans.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upsert_that_rewrites_no_file_adds_its_rows_to_a_delta_table() {
    use custlake_pipeline::OutputFormat::Delta;
    let mode = Arc::new(AtomicUsize::new(0));
    let first: PageFn = Arc::new(|_| {
        let records: Vec<String> = (1..=9)
            .map(|i| versioned_customer(&format!("C{i}"), 100 + i, ""))
            .collect();
        json_response(page_body(&records, "\"9\"", "\"1\""))
    });
    let second: PageFn = Arc::new(|_| {
        let records = [
            versioned_customer("C9", 109, ""),
            versioned_customer("C10", 200, r#","seed_date":"not a date""#),
        ];
        json_response(page_body(&records, "\"2\"", "\"1\""))
    });
    let (url, server) = start_stub(switchable(mode.clone(), vec![first, second])).await;
    let out = tempfile::tempdir().expect("tempdir");
    let incremental = ["mode = \"incremental\"\n", ""];
    let run = run_formatted(&url, out.path(), incremental, Delta).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{run:#?}");
    mode.store(1, Ordering::SeqCst);
    let run = run_formatted(&url, out.path(), incremental, Delta).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{run:#?}");
    let location = custlake_pipeline::OutputLocation::Local(out.path().to_path_buf());
    let ids = delta_customer_ids(&location).await;
    let expected: Vec<String> = {
        let mut ids: Vec<String> = (1..=10).map(|i| format!("C{i}")).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids, expected);
    server.abort();
}
