//! The recorded-answer harness both clients' tests share (included with `#[path]`).
//!
//! A fixture in a client's `tests/answers/` is one vendor answer known from public material:
//! the operation it answers, the HTTP status, the body and the outcome the client must give
//! (the folder's README). This module reads and checks the fixtures and runs every one through
//! a client-specific `run`, collecting all failures so one test run names every failing file;
//! each client's harness only serves a fixture and judges its client's result.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// One recorded answer and the outcome it must give.
#[derive(Deserialize)]
pub struct Fixture {
    /// Where the answer is recorded.
    #[serde(default)]
    pub source: String,
    /// The client operation it answers.
    pub operation: String,
    /// The HTTP status it came with.
    pub http_status: u16,
    /// The body exactly as written in the fixture file.
    pub body: Option<Box<RawValue>>,
    /// The body as raw text, when it is not JSON.
    pub body_text: Option<String>,
    /// `outcome` and the fields that outcome checks.
    pub expect: Value,
}

impl Fixture {
    /// The body to serve: `body` byte for byte, or `body_text`; `None` unless exactly one is set.
    pub fn body_bytes(&self) -> Option<String> {
        match (&self.body, &self.body_text) {
            (Some(body), None) => Some(body.get().to_owned()),
            (None, Some(text)) => Some(text.clone()),
            _ => None,
        }
    }

    /// `expect.outcome`, empty when absent.
    pub fn outcome(&self) -> &str {
        self.expect
            .get("outcome")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// An integer field of `expect`.
    pub fn expect_u64(&self, field: &str) -> Result<u64, String> {
        self.expect
            .get(field)
            .and_then(Value::as_u64)
            .ok_or_else(|| format!("expect.{field} is missing or not an integer"))
    }

    /// A text field of `expect`, if present.
    pub fn expect_str(&self, field: &str) -> Option<&str> {
        self.expect.get(field).and_then(Value::as_str)
    }
}

/// What a client's harness knows: the fixtures it requires, its operations and outcomes.
pub struct Harness<'a> {
    /// The answers folder.
    pub dir: &'a Path,
    /// File names that must be present.
    pub required: &'a [&'a str],
    /// Operations a fixture may name.
    pub operations: &'a [&'a str],
    /// Outcomes the harness judges; any other is a failure, never a skip.
    pub outcomes: &'a [&'a str],
}

/// A client-specific run of one fixture: `Err` says why its outcome was not given.
pub type RunFixture =
    for<'f> fn(&'f Fixture) -> Pin<Box<dyn Future<Output = Result<(), String>> + 'f>>;

impl Harness<'_> {
    /// Runs every fixture through `run` (60 s each) and panics listing every failure, each
    /// with its file name.
    pub async fn check_every_fixture(&self, run: RunFixture) {
        let mut failures = Vec::new();
        let fixtures = self.load(&mut failures);
        for required in self.required {
            if !fixtures.iter().any(|(name, _)| name == required) {
                failures.push(format!("{required}: required fixture is missing"));
            }
        }
        for (name, fixture) in &fixtures {
            if let Err(why) = self.check_format(fixture) {
                failures.push(format!("{name}: {why}"));
                continue;
            }
            match tokio::time::timeout(Duration::from_secs(60), run(fixture)).await {
                Ok(Ok(())) => {}
                Ok(Err(why)) => failures.push(format!("{name}: {why}")),
                Err(_) => failures.push(format!("{name}: no result within 60 s")),
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} recorded answers failed:\n{}",
            failures.len(),
            fixtures.len(),
            failures.join("\n")
        );
    }

    /// Every `*.json` in the folder, by file name, sorted; unreadable files are failures.
    fn load(&self, failures: &mut Vec<String>) -> Vec<(String, Fixture)> {
        let entries = std::fs::read_dir(self.dir)
            .unwrap_or_else(|e| panic!("answers folder {}: {e}", self.dir.display()));
        let mut names: Vec<String> = entries
            .map(|entry| entry.expect("readable folder entry").file_name())
            .filter_map(|name| name.into_string().ok())
            .filter(|name| name.ends_with(".json"))
            .collect();
        names.sort();
        let mut fixtures = Vec::new();
        for name in names {
            let text = match std::fs::read_to_string(self.dir.join(&name)) {
                Ok(text) => text,
                Err(e) => {
                    failures.push(format!("{name}: cannot be read: {e}"));
                    continue;
                }
            };
            match serde_json::from_str::<Fixture>(&text) {
                Ok(fixture) => fixtures.push((name, fixture)),
                Err(e) => failures.push(format!("{name}: not a fixture: {e}")),
            }
        }
        fixtures
    }

    /// The checks every fixture must pass before it is run.
    fn check_format(&self, fixture: &Fixture) -> Result<(), String> {
        if fixture.source.trim().is_empty() {
            return Err("has no source".into());
        }
        if !self.operations.contains(&fixture.operation.as_str()) {
            return Err(format!("unknown operation {:?}", fixture.operation));
        }
        if !self.outcomes.contains(&fixture.outcome()) {
            return Err(format!("unknown expect.outcome {:?}", fixture.outcome()));
        }
        if fixture.body_bytes().is_none() {
            return Err("needs exactly one of body and body_text".into());
        }
        if axum::http::StatusCode::from_u16(fixture.http_status).is_err() {
            return Err(format!(
                "http_status {} is not a status",
                fixture.http_status
            ));
        }
        Ok(())
    }
}
