//! `custlake`: the binary. It parses arguments, loads the configuration, calls the pipeline,
//! renders progress and the summary, and turns the result into the exit status
//! ([`exit_code`]); everything else lives in the library crates.

#[cfg(not(target_env = "msvc"))]
mod allocator;
mod cli;
mod commands;
mod progress;
mod summary;

use std::fmt;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, anyhow};
use clap::Parser;
use custlake_pipeline::{
    ExportError, FailureKind, ProgressObserver, RunStatus, SettingsError, redact_secrets,
};
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, Command, LogFormat, OutputArgs};
use crate::progress::{BarsProgress, LogProgress, SuspendingStderr, terminal_bars};

/// A usage or configuration problem the CLI itself finds (the configuration file, a missing
/// argument): exit status 2.
#[derive(Debug)]
pub struct UsageError(String);

impl UsageError {
    /// A usage error with this message.
    pub fn msg(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl From<anyhow::Error> for UsageError {
    fn from(e: anyhow::Error) -> Self {
        Self(format!("{e:#}"))
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let bars = match cli.command {
        Command::Export(_) | Command::Demo(_) => terminal_bars(cli.output.no_progress),
        _ => None,
    };
    init_logging(&cli.output, bars.clone());
    let progress: Arc<dyn ProgressObserver> = match bars {
        Some(multi) => Arc::new(BarsProgress::new(multi)),
        None => Arc::new(LogProgress::new(Duration::from_secs(5))),
    };
    // The runtime outlives the error message: dropping it waits for blocking tasks.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    let result = match &runtime {
        Ok(runtime) => runtime.block_on(run(cli.command, progress, cli.output.quiet)),
        Err(e) => Err(anyhow!("cannot start the async runtime: {e}")),
    };
    if let Err(e) = &result {
        eprintln!("error: {}", redact_secrets(&format!("{e:#}")));
    }
    exit_code(&result)
}

/// Runs one command; `quiet` (`-q`): print nothing but errors.
async fn run(
    command: Command,
    progress: Arc<dyn ProgressObserver>,
    quiet: bool,
) -> Result<RunStatus> {
    match command {
        Command::Export(args) => commands::export::run(args, progress, quiet).await,
        Command::Demo(args) => commands::demo::run(args, progress, quiet).await,
        Command::Check(args) => commands::check::run(args).await,
        Command::Compact(args) => commands::compact::run(args).await,
        Command::Link(args) => commands::link::run(args).await,
        Command::Vacuum(args) => commands::vacuum::run(args).await,
        Command::Get(args) => commands::get::run(args).await,
        Command::Schema(args) => commands::schema::run(args),
        Command::Init(args) => commands::init::run(args),
    }
}

/// The exit status of a command, decided here only: 0 when it did everything asked, 1 when some
/// of the work failed (a source of the run, a check, a record that does not exist, an I/O or
/// vendor error), 2 when the request cannot be carried out as given (arguments, configuration,
/// output location; see [`FailureKind`]).
fn exit_code(result: &Result<RunStatus>) -> ExitCode {
    let code = match result {
        Ok(RunStatus::Succeeded) => 0,
        Ok(RunStatus::Partial | RunStatus::Failed) => 1,
        Err(e) => match failure_kind(e) {
            FailureKind::Usage => 2,
            FailureKind::Run => 1,
        },
    };
    ExitCode::from(code)
}

/// Whose fault `error` is, from the typed errors the commands return.
fn failure_kind(error: &anyhow::Error) -> FailureKind {
    if error.is::<UsageError>() {
        FailureKind::Usage
    } else if let Some(e) = error.downcast_ref::<ExportError>() {
        e.kind()
    } else if let Some(e) = error.downcast_ref::<SettingsError>() {
        e.kind()
    } else {
        FailureKind::Run
    }
}

fn init_logging(args: &OutputArgs, bars: Option<indicatif::MultiProgress>) {
    // Verbosity applies to custlake's own crates; dependencies stay at warn so their debug
    // output (which may include request URLs) never reaches the log.
    let ours = match (args.quiet, args.verbose) {
        (true, _) => "error",
        (false, 0) => "info",
        (false, 1) => "debug",
        _ => "trace",
    };
    // deltalake logs its own retry decisions ("max_retries is 0", "exceeded maximum commit
    // attempts") for commits custlake retries itself and reports on its own: silent unless -vv.
    let delta = if args.verbose >= 2 {
        ""
    } else {
        ",deltalake_core=off,deltalake=off"
    };
    let default = if args.quiet {
        format!("error{delta}")
    } else {
        format!("warn,custlake={ours},custlake_pipeline={ours},custlake_schema={ours}{delta}")
    };
    let filter =
        EnvFilter::try_from_env("CUSTLAKE_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let writer = SuspendingStderr::new(bars);
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi);
    match args.log_format {
        LogFormat::Text => builder.with_target(false).init(),
        LogFormat::Json => builder.json().init(),
    }
}
