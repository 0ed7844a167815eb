//! Progress display: indicatif bars on a terminal, periodic log lines otherwise.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use custlake_pipeline::{EntityLabel, ProgressObserver};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

fn key(label: EntityLabel<'_>) -> String {
    format!("{} {} {}", label.source, label.tenant, label.entity)
}

/// One bar per source × entity: pages done/total, records, rate, ETA, retries.
pub struct BarsProgress {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, (ProgressBar, u64, u64)>>,
}

impl BarsProgress {
    /// Bars drawn on stderr.
    pub fn new(multi: MultiProgress) -> Self {
        Self {
            multi,
            bars: Mutex::new(HashMap::new()),
        }
    }

    fn with_bar(&self, label: EntityLabel<'_>, f: impl FnOnce(&mut (ProgressBar, u64, u64))) {
        let Ok(mut bars) = self.bars.lock() else {
            return;
        };
        let entry = bars.entry(key(label)).or_insert_with(|| {
            let bar = self.multi.add(ProgressBar::new(0));
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix:.bold} [{bar:30.cyan/blue}] {pos}/{len} pages {msg} {per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_prefix(key(label));
            (bar, 0, 0)
        });
        f(entry);
    }
}

impl ProgressObserver for BarsProgress {
    fn entity_planned(&self, label: EntityLabel<'_>, pages: u64, _records: u64) {
        self.with_bar(label, |(bar, _, _)| bar.set_length(pages));
    }

    fn entity_replanned(&self, label: EntityLabel<'_>, pages: u64) {
        self.with_bar(label, |(bar, _, _)| bar.set_length(pages));
    }

    fn page_fetched(&self, label: EntityLabel<'_>, records: u64) {
        self.with_bar(label, |(bar, rows, retries)| {
            *rows += records;
            bar.inc(1);
            bar.set_message(format!("{rows} records, {retries} retries"));
        });
    }

    fn pages_replayed(&self, label: EntityLabel<'_>, pages: u64, records: u64) {
        self.with_bar(label, |(bar, rows, retries)| {
            *rows += records;
            bar.inc(pages);
            bar.set_message(format!("{rows} records, {retries} retries"));
        });
    }

    fn retried(&self, label: EntityLabel<'_>) {
        self.with_bar(label, |(_, _, retries)| *retries += 1);
    }

    fn entity_finished(&self, label: EntityLabel<'_>, error: Option<&str>) {
        self.with_bar(label, |(bar, rows, retries)| match error {
            None => bar.finish_with_message(format!("{rows} records, {retries} retries, done")),
            Some(_) => bar.abandon_with_message("failed"),
        });
    }
}

/// Log lines: on start, every `every` per entity, and at the end.
pub struct LogProgress {
    every: Duration,
    state: Mutex<HashMap<String, (u64, u64, u64, Instant)>>,
}

impl LogProgress {
    /// A log line per entity at most every `every`.
    pub fn new(every: Duration) -> Self {
        Self {
            every,
            state: Mutex::new(HashMap::new()),
        }
    }
}

impl ProgressObserver for LogProgress {
    fn entity_planned(&self, label: EntityLabel<'_>, pages: u64, records: u64) {
        tracing::info!(
            source = label.source,
            tenant = label.tenant,
            entity = label.entity,
            pages,
            records,
            "fetching"
        );
        if let Ok(mut state) = self.state.lock() {
            // Keep what a resumed run replayed before planning.
            let entry = state.entry(key(label)).or_insert((0, 0, 0, Instant::now()));
            entry.0 = pages;
        }
    }

    fn pages_replayed(&self, label: EntityLabel<'_>, pages: u64, records: u64) {
        tracing::info!(
            source = label.source,
            tenant = label.tenant,
            entity = label.entity,
            pages,
            records,
            "replayed pages saved by the interrupted run"
        );
        if let Ok(mut state) = self.state.lock() {
            let entry = state.entry(key(label)).or_insert((0, 0, 0, Instant::now()));
            entry.1 += pages;
            entry.2 += records;
        }
    }

    fn entity_replanned(&self, label: EntityLabel<'_>, pages: u64) {
        if let Ok(mut state) = self.state.lock()
            && let Some(entry) = state.get_mut(&key(label))
        {
            entry.0 = pages;
        }
    }

    fn page_fetched(&self, label: EntityLabel<'_>, records: u64) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let Some((pages, done, rows, last)) = state.get_mut(&key(label)) else {
            return;
        };
        *done += 1;
        *rows += records;
        if last.elapsed() >= self.every {
            *last = Instant::now();
            tracing::info!(
                source = label.source,
                tenant = label.tenant,
                entity = label.entity,
                pages_done = *done,
                pages = *pages,
                records = *rows,
                "progress"
            );
        }
    }

    fn entity_finished(&self, label: EntityLabel<'_>, error: Option<&str>) {
        match error {
            None => tracing::info!(
                source = label.source,
                tenant = label.tenant,
                entity = label.entity,
                "done"
            ),
            Some(error) => tracing::error!(
                source = label.source,
                tenant = label.tenant,
                entity = label.entity,
                error,
                "failed"
            ),
        }
    }
}

/// A log writer that hides the bars while a line is printed, so logs and bars don't garble.
#[derive(Clone)]
pub struct SuspendingStderr {
    multi: Option<MultiProgress>,
}

impl SuspendingStderr {
    /// Writes around `multi`'s bars, or straight to stderr without bars.
    pub fn new(multi: Option<MultiProgress>) -> Self {
        Self { multi }
    }
}

impl Write for SuspendingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &self.multi {
            Some(multi) => multi
                .suspend(|| std::io::stderr().write_all(buf))
                .map(|_| buf.len()),
            None => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for SuspendingStderr {
    type Writer = SuspendingStderr;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Bars when stderr is a terminal and bars are wanted; `None` otherwise.
pub fn terminal_bars(no_progress: bool) -> Option<MultiProgress> {
    use std::io::IsTerminal;
    if no_progress || !std::io::stderr().is_terminal() {
        return None;
    }
    Some(MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
}
