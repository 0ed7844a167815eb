//! Progress display: indicatif bars on a terminal, periodic log lines otherwise.

use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use custlake_pipeline::{EntityLabel, ProgressObserver, redact_secrets};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

fn key(label: EntityLabel<'_>) -> String {
    format!("{} {} {}", label.source, label.tenant, label.entity)
}

/// One bar per source × entity: pages done/total, records, rate, ETA, retries. Until page 1
/// announces the total (a resumed run reports replayed pages first) the bar is a spinner
/// saying so, never `0/0`.
pub struct BarsProgress {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, (ProgressBar, u64, u64)>>,
}

/// The bar once the number of pages is known.
fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{prefix:.bold} [{bar:30.cyan/blue}] {pos}/{len} pages {msg} {rate} eta {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .with_key("rate", |state: &ProgressState, w: &mut dyn fmt::Write| {
        let _ = w.write_str(&pages_per_second(state.per_sec()));
    })
    .progress_chars("=> ")
}

/// The spinner shown before page 1 has said how many pages there are.
fn waiting_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix:.bold} {spinner} waiting for page 1 {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

/// `15.3 pages/s`: one decimal is as precise as a rate that moves every second can be.
fn pages_per_second(rate: f64) -> String {
    let rate = if rate.is_finite() { rate.max(0.0) } else { 0.0 };
    format!("{rate:.1} pages/s")
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
            let bar = self.multi.add(ProgressBar::no_length());
            bar.set_style(waiting_style());
            bar.set_prefix(key(label));
            (bar, 0, 0)
        });
        f(entry);
    }

    /// Sets the number of pages, turning the spinner into a bar the first time.
    fn plan(&self, label: EntityLabel<'_>, pages: u64) {
        self.with_bar(label, |(bar, _, _)| {
            if bar.length().is_none() {
                bar.set_style(bar_style());
            }
            bar.set_length(pages);
        });
    }
}

impl ProgressObserver for BarsProgress {
    fn entity_planned(&self, label: EntityLabel<'_>, pages: u64, _records: u64) {
        self.plan(label, pages);
    }

    fn entity_replanned(&self, label: EntityLabel<'_>, pages: u64) {
        self.plan(label, pages);
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
    state: Mutex<HashMap<String, EntityCounts>>,
}

/// What the progress lines of one entity report.
struct EntityCounts {
    /// Pages planned.
    pages: u64,
    /// Pages fetched or replayed.
    done: u64,
    /// Records fetched or replayed.
    rows: u64,
    /// When the last progress line was written.
    last: Instant,
}

impl LogProgress {
    /// A log line per entity at most every `every`.
    pub fn new(every: Duration) -> Self {
        Self {
            every,
            state: Mutex::new(HashMap::new()),
        }
    }

    /// Runs `update` on the counts of `label`'s entity, starting them when it has none.
    fn with_counts(&self, label: EntityLabel<'_>, update: impl FnOnce(&mut EntityCounts)) {
        if let Ok(mut state) = self.state.lock() {
            update(state.entry(key(label)).or_insert_with(|| EntityCounts {
                pages: 0,
                done: 0,
                rows: 0,
                last: Instant::now(),
            }));
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
        // Keep what a resumed run replayed before planning.
        self.with_counts(label, |counts| counts.pages = pages);
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
        self.with_counts(label, |counts| {
            counts.done += pages;
            counts.rows += records;
        });
    }

    fn entity_replanned(&self, label: EntityLabel<'_>, pages: u64) {
        if let Ok(mut state) = self.state.lock()
            && let Some(counts) = state.get_mut(&key(label))
        {
            counts.pages = pages;
        }
    }

    fn page_fetched(&self, label: EntityLabel<'_>, records: u64) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let Some(counts) = state.get_mut(&key(label)) else {
            return;
        };
        counts.done += 1;
        counts.rows += records;
        if counts.last.elapsed() >= self.every {
            counts.last = Instant::now();
            tracing::info!(
                source = label.source,
                tenant = label.tenant,
                entity = label.entity,
                pages_done = counts.done,
                pages = counts.pages,
                records = counts.rows,
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

/// Every log line is written once, whole (the fmt layer formats an event, then writes it), so
/// each write is redacted whole: no secret or token the process knows reaches stderr.
impl Write for SuspendingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let line = redact_secrets(&String::from_utf8_lossy(buf));
        match &self.multi {
            Some(multi) => multi.suspend(|| std::io::stderr().write_all(line.as_bytes())),
            None => std::io::stderr().write_all(line.as_bytes()),
        }
        .map(|_| buf.len())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_as_pages_per_second_with_one_decimal() {
        assert_eq!(pages_per_second(15.304_7), "15.3 pages/s");
        assert_eq!(pages_per_second(0.0), "0.0 pages/s");
        assert_eq!(pages_per_second(f64::NAN), "0.0 pages/s");
        assert_eq!(pages_per_second(f64::INFINITY), "0.0 pages/s");
    }

    #[test]
    fn a_bar_waits_for_page_1_before_it_has_a_length() {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::hidden());
        let bars = BarsProgress::new(multi);
        let label = EntityLabel {
            tenant: "t",
            source: "yonyou_u8",
            entity: "customers",
        };
        bars.pages_replayed(label, 3, 30);
        let length = |bars: &BarsProgress| {
            bars.bars
                .lock()
                .ok()
                .and_then(|b| b[&key(label)].0.length())
        };
        assert_eq!(length(&bars), None, "no total before page 1");
        bars.entity_planned(label, 60, 3000);
        assert_eq!(length(&bars), Some(60));
        let position = bars.bars.lock().ok().map(|b| b[&key(label)].0.position());
        assert_eq!(
            position,
            Some(3),
            "replayed pages count once the bar has a length"
        );
    }
}
