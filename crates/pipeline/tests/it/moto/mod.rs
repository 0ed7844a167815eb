//! A moto S3 server for tests: started on 127.0.0.1 on a free port, stopped when dropped.
//!
//! Found through `MOTO_SERVER` (path of `moto_server`) or `VENV` (`$VENV/bin/moto_server`, the
//! virtualenv `.ci/run` creates from tests/requirements.txt). Without either, the test crates'
//! build scripts set `moto_missing` and the tests that need moto carry
//! `#[cfg_attr(moto_missing, ignore = "...")]`, so a bare `cargo test` reports them as ignored;
//! under `CI=true` (exported by `.ci/run`) or `CUSTLAKE_REQUIRE_MOTO=1` they run and a missing
//! server fails them (see [`detect`]).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub mod detect;

/// Access key and secret moto accepts (it does not check them); never real credentials.
pub const ACCESS_KEY: &str = "custlake-test-key";
pub const SECRET_KEY: &str = "custlake-test-secret";

/// A running moto server.
pub struct Moto {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl Moto {
    /// Starts moto; panics with the fix when it is not installed (the test runs only when
    /// the build found moto, or under CI where a missing prerequisite is a failure).
    pub fn start(test: &str) -> Self {
        let Some(binary) = detect::moto_binary(&|name| std::env::var_os(name)) else {
            panic!(
                "{test}: {} (this run requires it: CI or CUSTLAKE_REQUIRE_MOTO is set, or the \
                 ignored test was asked for)",
                detect::MOTO_MISSING
            );
        };
        let port = free_port();
        let child = Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let moto = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while http(port, "GET", "/").is_none() {
            assert!(Instant::now() < deadline, "moto did not answer within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Creates a bucket.
    pub fn create_bucket(&self, name: &str) {
        let status = http(self.port, "PUT", &format!("/{name}"));
        assert_eq!(status, Some(200), "creating bucket {name}");
    }

    /// AWS variables a developer's shell may hold that would point a child process elsewhere
    /// (endpoints, profiles, session credentials); tests remove them.
    pub const FOREIGN_ENV: &'static [&'static str] = &[
        "AWS_ENDPOINT",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_REGION",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ];

    /// The environment a custlake process needs to write to `s3://<bucket>/...` on this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("CUSTLAKE_S3_ENDPOINT", self.endpoint()),
        ]
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port on 127.0.0.1");
    listener.local_addr().expect("local address").port()
}

/// A bare HTTP/1.1 request to 127.0.0.1 (moto accepts unsigned admin calls); the status code.
fn http(port: u16, method: &str, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let text = String::from_utf8_lossy(&response);
    text.split_whitespace().nth(1)?.parse().ok()
}
