//! Command-line arguments (clap derive). Secrets are never flags: they come from the config
//! file's `${ENV_VAR}` references or from `CUSTLAKE_<SOURCE>_*` environment variables.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Export customer master data from Yonyou U8 and Yeastar YCM into one Parquet dataset.
#[derive(Debug, Parser)]
#[command(name = "custlake", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Logging and progress options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Logging and progress flags shared by every command.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// More log output from custlake (-v debug, -vv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log line format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// No progress bars, even on a terminal (periodic log lines instead).
    #[arg(long, global = true)]
    pub no_progress: bool,
}

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Export every configured source to the output folder.
    Export(ExportArgs),
    /// Start an embedded simulator of both vendors, export it, and print a summary.
    Demo(DemoArgs),
    /// Authenticate each source and print its page and record counts; writes nothing.
    Check(ConfigArgs),
    /// Merge small files (delta format) and fold what older versions left beside partitions.
    Compact(CompactArgs),
    /// Delete files of a Delta Lake output that no table version within the retention references.
    Vacuum(VacuumArgs),
    /// Link customers across sources (customer_links) in an existing output.
    Link(LinkArgs),
    /// Fetch one record as the vendor sends it (for debugging).
    Get(GetArgs),
    /// Print the unified schema with column descriptions.
    Schema(SchemaArgs),
    /// Write a custlake.toml and .env.example that export a running custlake-sim: the step
    /// from the demo to a configuration of your own.
    Init(InitArgs),
}

/// `custlake init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write custlake.toml and .env.example.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// The simulator's address (custlake-sim prints it; its default is 127.0.0.1:8080).
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8080")]
    pub base_url: String,
    /// Replace a custlake.toml or .env.example that is already there.
    #[arg(long)]
    pub force: bool,
}

/// `--config` for commands that read the configuration.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The configuration file (see custlake.example.toml).
    #[arg(short, long, default_value = "custlake.toml")]
    pub config: PathBuf,
    /// Only these sources (by name); may be repeated.
    #[arg(long = "only", value_name = "SOURCE")]
    pub only: Vec<String>,
}

/// `custlake export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Configuration and source selection.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Output folder or s3://bucket/prefix, overriding `[output] path`.
    #[arg(long, value_name = "DIR|URL")]
    pub out: Option<PathBuf>,
    /// Leave the `raw` column empty (smaller files; the mapping still rejects what it cannot map).
    #[arg(long)]
    pub no_raw: bool,
    /// Continue the newest interrupted run in the output folder (after a crash or kill):
    /// pages it saved are not fetched again. Starts a new run when there is none.
    #[arg(long)]
    pub resume: bool,
    /// Export full snapshots for `mode = "incremental"` sources too (replaces their partitions,
    /// picks up records deleted at the source, resets the high-water mark).
    #[arg(long)]
    pub full: bool,
    /// Let this run's full snapshots shrink partitions by any amount (lifts
    /// `[sources.guard] max_shrink`, which refuses losing more than half of a partition's rows
    /// unless the vendor's announced total agrees).
    #[arg(long)]
    pub allow_shrink: bool,
    /// Keep `customers_history` and `contacts_history` this run (as `[output] history = true`):
    /// an append-only log of every insert, update and delete the run found.
    #[arg(long)]
    pub history: bool,
    /// Output format, overriding `[output] format`: parquet folders or delta tables.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,
    /// Export only the sources whose name hashes to shard K of N (0 <= K < N); `/N` takes K
    /// from JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs). Many shards may write one Delta
    /// Lake output at once.
    #[arg(long, env = "CUSTLAKE_SHARD", value_name = "K/N")]
    pub shard: Option<String>,
}

/// `--format`: how the output is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Hive-style Parquet folders with custlake's catalog (one writer at a time).
    Parquet,
    /// One Delta Lake table per dataset (many writers at once).
    Delta,
}

impl From<FormatArg> for custlake_pipeline::OutputFormat {
    fn from(format: FormatArg) -> Self {
        match format {
            FormatArg::Parquet => Self::Parquet,
            FormatArg::Delta => Self::Delta,
        }
    }
}

/// `custlake compact`.
#[derive(Debug, Args)]
pub struct CompactArgs {
    /// The configuration file, for `[output] path` and the Parquet settings.
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    /// The output, overriding `[output] path`: a folder or s3://bucket/prefix.
    #[arg(long, value_name = "DIR|URL")]
    pub out: Option<PathBuf>,
    /// Only these sources (by name); may be repeated.
    #[arg(long = "only", value_name = "SOURCE")]
    pub only: Vec<String>,
    /// The output's format, overriding `[output] format` (a delta output rewrites small files).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,
}

/// `custlake vacuum`.
#[derive(Debug, Args)]
pub struct VacuumArgs {
    /// The configuration file, for `[output] path`.
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    /// The delta output, overriding `[output] path`: a folder or s3://bucket/prefix.
    #[arg(long, value_name = "DIR|URL")]
    pub out: Option<PathBuf>,
    /// Keep every file a table version of the last N hours references (time travel window).
    #[arg(long, value_name = "N", default_value_t = 168)]
    pub retain_hours: u64,
}

/// `custlake link`.
#[derive(Debug, Args)]
pub struct LinkArgs {
    /// The configuration file, for `[output] path`, the Parquet settings and max_link_fanout.
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    /// The output, overriding `[output] path`: a folder or s3://bucket/prefix.
    #[arg(long, value_name = "DIR|URL")]
    pub out: Option<PathBuf>,
    /// A key shared by more customers than this gives no links (overrides the config's).
    #[arg(long, value_name = "N")]
    pub max_link_fanout: Option<usize>,
}

/// `custlake demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Customers per demo tenant.
    #[arg(long, default_value_t = 20_000)]
    pub records: u64,
    /// Output folder [default: custlake-demo, or custlake-demo-delta with --format delta, so
    /// the two demos never share a folder].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Leave the `raw` column empty.
    #[arg(long)]
    pub no_raw: bool,
    /// Output format: parquet folders or delta tables.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "parquet")]
    pub format: FormatArg,
}

impl DemoArgs {
    /// The output folder: `--out`, else the format's own demo folder.
    pub fn out_dir(&self) -> PathBuf {
        self.out.clone().unwrap_or_else(|| match self.format {
            FormatArg::Delta => PathBuf::from("custlake-demo-delta"),
            FormatArg::Parquet => PathBuf::from("custlake-demo"),
        })
    }
}

/// `custlake get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// What to fetch.
    #[arg(value_enum)]
    pub what: GetTarget,
    /// The customer code (U8) or customer id (YCM).
    pub id: String,
    /// Configuration and source selection (the first matching source of the vendor is used).
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Record kinds `custlake get` can fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GetTarget {
    /// A Yonyou U8 customer by code (customer/get).
    U8Customer,
    /// A Yeastar YCM customer by id.
    YcmCustomer,
}

/// `custlake schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = SchemaFormat::Table)]
    pub format: SchemaFormat,
}

/// How `custlake schema` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaFormat {
    /// A table per dataset.
    Table,
    /// JSON with pyarrow type names (what the interop checks compare against).
    Json,
    /// The Arrow schemas as Arrow prints them.
    Arrow,
}
