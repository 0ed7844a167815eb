//! Where a run writes: a local folder or an S3-compatible object store, parsed from `--out` /
//! `[output] path`.
//!
//! Local folders keep the `RENAME_EXCHANGE` snapshot swap of [`crate::write::parquet`]. Object
//! stores cannot rename, so there every file gets a run-unique key and the run commits by writing
//! the catalog (`_current.json`, see [`crate::commit::catalog`]) last; see
//! [`crate::write::object_store`]. Credentials come from the usual AWS environment variables and
//! never appear in a message.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;

/// The object_store crate custlake is built with, so callers of [`crate::export_to`] build
/// stores (and read the output back) with the same version.
pub use object_store;

/// Environment variable naming the endpoint of an S3-compatible store (MinIO, Ceph, moto, ...);
/// `http://` endpoints are allowed when set here.
pub const S3_ENDPOINT_ENV: &str = "CUSTLAKE_S3_ENDPOINT";

/// Files at most this large are uploaded with one PUT; larger ones stream as multipart uploads.
pub const DEFAULT_MULTIPART_THRESHOLD: usize = 8 * 1024 * 1024;

/// The output of a run.
#[derive(Clone)]
pub enum OutputLocation {
    /// A local folder (created if missing).
    Local(PathBuf),
    /// A bucket and prefix of an object store.
    ObjectStore(ObjectStoreOutput),
}

/// An object store and the prefix under which the dataset lives.
#[derive(Clone)]
pub struct ObjectStoreOutput {
    /// The store (credentials inside; never printed).
    pub store: Arc<dyn ObjectStore>,
    /// The dataset root inside the store (no leading or trailing `/`; may be empty).
    pub prefix: ObjectPath,
    /// The location as the user wrote it, for messages: `s3://bucket/prefix`.
    pub url: String,
    /// Size above which a file is streamed as a multipart upload (default
    /// [`DEFAULT_MULTIPART_THRESHOLD`]); smaller files are one PUT.
    pub multipart_threshold: usize,
}

/// Why `--out` / `[output] path` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A URL scheme custlake does not write to.
    #[error(
        "output {location:?}: the {scheme}:// scheme is not supported; use a local folder or \
         s3://bucket/prefix (S3 and S3-compatible stores, with {S3_ENDPOINT_ENV} for the latter)"
    )]
    UnsupportedScheme {
        /// The location as given.
        location: String,
        /// Its scheme.
        scheme: String,
    },
    /// `s3://` without a bucket, or with a prefix that is not a valid object path.
    #[error("output {location:?}: {problem}; write it as s3://bucket or s3://bucket/prefix")]
    InvalidUrl {
        /// The location as given.
        location: String,
        /// What is wrong.
        problem: String,
    },
    /// The object store client could not be configured.
    #[error(
        "output {location}: cannot configure the S3 client: {reason}; check AWS_REGION, the \
         AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY variables and {S3_ENDPOINT_ENV}"
    )]
    Client {
        /// The location, as `s3://bucket/prefix`.
        location: String,
        /// The client's explanation (never holds credentials).
        reason: String,
    },
}

impl OutputLocation {
    /// The local folder for a run's staging and checkpoints: the output folder itself, or for
    /// an object store a folder in the system's temporary directory named after its URL.
    pub fn work_dir(&self) -> PathBuf {
        match self {
            OutputLocation::Local(dir) => dir.clone(),
            OutputLocation::ObjectStore(store) => store.local_work_dir(),
        }
    }

    /// `relative` (a path inside the output) as messages name it.
    pub fn display_path(&self, relative: &str) -> String {
        match self {
            OutputLocation::Local(root) => root.join(relative).display().to_string(),
            OutputLocation::ObjectStore(store) => store.display(relative),
        }
    }

    /// Parses a local path or `s3://bucket/prefix`, taking S3 settings from the process
    /// environment.
    pub fn parse(text: &str) -> Result<Self, OutputError> {
        Self::parse_with_env(text, &|name| std::env::var(name).ok())
    }

    /// Parses the `out` of [`crate::ExportOptions`]: a path that may hold an `s3://` URL.
    pub fn from_out_path(out: &Path) -> Result<Self, OutputError> {
        match out.to_str() {
            Some(text) => Self::parse(text),
            // Not UTF-8, so not a URL either: a local path.
            None => Ok(Self::Local(out.to_path_buf())),
        }
    }

    /// [`OutputLocation::parse`] with an injectable environment (tests).
    pub fn parse_with_env(
        text: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, OutputError> {
        let Some((scheme, rest)) = url_scheme(text) else {
            return Ok(Self::Local(PathBuf::from(text)));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "s3" | "s3a" => s3_output(text, rest, env).map(Self::ObjectStore),
            "file" => Ok(Self::Local(PathBuf::from(rest))),
            _ => Err(OutputError::UnsupportedScheme {
                location: text.to_owned(),
                scheme: scheme.to_owned(),
            }),
        }
    }

    /// Whether this is a local folder.
    pub fn is_local(&self) -> bool {
        matches!(self, Self::Local(_))
    }
}

impl fmt::Display for OutputLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local(path) => write!(f, "{}", path.display()),
            Self::ObjectStore(output) => f.write_str(&output.url),
        }
    }
}

impl fmt::Debug for OutputLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the store itself: its configuration holds credentials.
        write!(f, "OutputLocation({self})")
    }
}

impl fmt::Debug for ObjectStoreOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the store: its configuration holds credentials.
        write!(f, "ObjectStoreOutput({})", self.url)
    }
}

impl ObjectStoreOutput {
    /// An output on `store` under `prefix` (in-memory stores in tests, or a configured client).
    /// `url` names the output in messages and keys its local work folder
    /// ([`Self::local_work_dir`]), so two stores need two URLs; tests hand the pipeline an
    /// `object_store::memory::InMemory` as `memory://<unique>/<prefix>` (test-only: `--out`
    /// does not parse that scheme).
    pub fn new(store: Arc<dyn ObjectStore>, prefix: &str, url: impl Into<String>) -> Self {
        Self {
            store,
            prefix: ObjectPath::from(prefix),
            url: url.into(),
            multipart_threshold: DEFAULT_MULTIPART_THRESHOLD,
        }
    }

    /// The full key of `relative` (slash-separated, relative to the dataset root).
    pub fn key(&self, relative: &str) -> ObjectPath {
        let mut key = self.prefix.clone();
        for part in relative.split('/').filter(|p| !p.is_empty()) {
            key = key.join(part);
        }
        key
    }

    /// A local folder for what a run must keep on disk while it writes here (its lock and
    /// staging), under the system's temporary directory and named after the URL, so two
    /// outputs never share one.
    pub fn local_work_dir(&self) -> PathBuf {
        let digest = xxhash_rust::xxh3::xxh3_64(self.url.as_bytes());
        std::env::temp_dir().join(format!("custlake-work-{digest:016x}"))
    }

    /// `relative` as the user sees it: `s3://bucket/prefix/relative`.
    pub fn display(&self, relative: &str) -> String {
        format!("{}/{relative}", self.url.trim_end_matches('/'))
    }
}

/// `("s3", "bucket/prefix")` for `s3://bucket/prefix`; `None` for anything without a
/// `scheme://` (a local path, including Windows drive letters).
fn url_scheme(text: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = text.split_once("://")?;
    let valid = scheme.len() > 1
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some((scheme, rest))
}

fn s3_output(
    text: &str,
    rest: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ObjectStoreOutput, OutputError> {
    let invalid = |problem: String| OutputError::InvalidUrl {
        location: text.to_owned(),
        problem,
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(invalid("the bucket name is missing".into()));
    }
    if bucket.contains(['?', '#', '@', ':']) {
        return Err(invalid(format!(
            "{bucket:?} is not a bucket name (credentials and query strings do not belong in \
             the URL; set them in the AWS_* environment variables)"
        )));
    }
    let prefix = prefix.trim_matches('/');
    let prefix_path = ObjectPath::parse(prefix).map_err(|e| {
        invalid(format!(
            "the prefix {prefix:?} is not a valid object path: {e}"
        ))
    })?;
    let url = if prefix.is_empty() {
        format!("s3://{bucket}")
    } else {
        format!("s3://{bucket}/{prefix}")
    };

    let custom_endpoint = env(S3_ENDPOINT_ENV).filter(|e| !e.trim().is_empty());
    let mut builder = AmazonS3Builder::new();
    for (name, value) in aws_environment(env) {
        // CUSTLAKE_S3_ENDPOINT is custlake's own setting: it wins over the AWS endpoint variables.
        if custom_endpoint.is_some() && name.starts_with("AWS_ENDPOINT") {
            continue;
        }
        if let Ok(key) = name.to_ascii_lowercase().parse() {
            builder = builder.with_config(key, value);
        }
    }
    builder = builder.with_bucket_name(bucket);
    if env("AWS_REGION").is_none() && env("AWS_DEFAULT_REGION").is_none() {
        // S3-compatible stores rarely care; AWS redirects to the bucket's region.
        builder = builder.with_region("us-east-1");
    }
    if let Some(endpoint) = custom_endpoint {
        let endpoint = endpoint.trim().trim_end_matches('/').to_owned();
        let http = endpoint.starts_with("http://");
        builder = builder.with_endpoint(endpoint).with_allow_http(http);
    }
    let store = builder.build().map_err(|e| OutputError::Client {
        location: url.clone(),
        reason: e.to_string(),
    })?;
    Ok(ObjectStoreOutput {
        store: Arc::new(store),
        prefix: prefix_path,
        url,
        multipart_threshold: DEFAULT_MULTIPART_THRESHOLD,
    })
}

/// The `AWS_*` variables object_store understands, read through `env` so tests can inject
/// them. Only names are listed here; values go straight into the client.
fn aws_environment(env: &dyn Fn(&str) -> Option<String>) -> Vec<(&'static str, String)> {
    const NAMES: &[&str] = &[
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ALLOW_HTTP",
        "AWS_VIRTUAL_HOSTED_STYLE_REQUEST",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_ROLE_SESSION_NAME",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "AWS_REQUEST_PAYER",
        "AWS_SKIP_SIGNATURE",
    ];
    NAMES
        .iter()
        .filter_map(|name| env(name).map(|value| (*name, value)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn local_paths_stay_local() -> Result<(), OutputError> {
        for text in ["out", "/data/lake", "C:\\lake", "./a://b", "file:///tmp/x"] {
            let location = OutputLocation::parse_with_env(text, &|_| None)?;
            assert!(location.is_local(), "{text}");
        }
        Ok(())
    }

    #[test]
    fn s3_urls_give_bucket_prefix_and_keys() -> Result<(), OutputError> {
        let env = env_of(&[
            (S3_ENDPOINT_ENV, "http://127.0.0.1:9/"),
            ("AWS_ACCESS_KEY_ID", "k"),
            ("AWS_SECRET_ACCESS_KEY", "very-secret"),
        ]);
        let location = OutputLocation::parse_with_env("s3://lake/raw/custlake/", &env)?;
        let OutputLocation::ObjectStore(output) = &location else {
            panic!("expected an object store");
        };
        assert_eq!(output.url, "s3://lake/raw/custlake");
        assert_eq!(
            output.key("customers/source=a/x.parquet").as_ref(),
            "raw/custlake/customers/source=a/x.parquet"
        );
        let shown = format!("{location:?} {location}");
        assert!(!shown.contains("very-secret"), "{shown}");
        let bare = OutputLocation::parse_with_env("s3://lake", &env)?;
        let OutputLocation::ObjectStore(bare) = bare else {
            panic!("expected an object store");
        };
        assert_eq!(bare.key("_current.json").as_ref(), "_current.json");
        Ok(())
    }

    #[test]
    fn bad_urls_name_the_fix() {
        let message = |text: &str| match OutputLocation::parse_with_env(text, &|_| None) {
            Ok(_) => String::from("accepted"),
            Err(e) => e.to_string(),
        };
        assert!(message("gs://b/p").contains("not supported"));
        assert!(message("s3://").contains("bucket name is missing"));
        assert!(message("s3://key:secret@bucket/p").contains("AWS_* environment"));
    }
}
