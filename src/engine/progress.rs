//! Progress: a bar per running stage on a terminal, periodic log lines otherwise.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProgressMode {
    /// Bars when stderr is a terminal, log lines otherwise.
    #[default]
    Auto,
    /// Always bars.
    Bars,
    /// Log lines (every few seconds per stage).
    Log,
    /// Nothing.
    Hidden,
}

/// What a stage's progress counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Input bytes (sources).
    Bytes,
    /// Rows.
    Rows,
    /// Training steps.
    Steps,
}

/// Shared by the stages of one run.
pub struct ProgressHub {
    multi: Option<MultiProgress>,
    log: bool,
}

impl ProgressHub {
    /// A hub for `mode`.
    pub fn new(mode: ProgressMode) -> ProgressHub {
        use std::io::IsTerminal;
        let bars = match mode {
            ProgressMode::Auto => std::io::stderr().is_terminal(),
            ProgressMode::Bars => true,
            ProgressMode::Log | ProgressMode::Hidden => false,
        };
        ProgressHub {
            multi: bars.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
            log: mode == ProgressMode::Log || (mode == ProgressMode::Auto && !bars),
        }
    }

    /// Progress of one stage that will run `partitions` partitions.
    pub fn stage(&self, name: &str, partitions: usize) -> StageProgress {
        let bar = self.multi.as_ref().map(|m| {
            let bar = m.add(ProgressBar::new(0));
            bar.set_prefix(name.to_string());
            bar.set_style(style(Unit::Rows));
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        StageProgress {
            name: name.to_string(),
            bar,
            log: self.log,
            partitions,
            done_partitions: AtomicU64::new(0),
            position: AtomicU64::new(0),
            length: AtomicU64::new(0),
            unit: Mutex::new(Unit::Rows),
            message: Mutex::new(String::new()),
            last_log: Mutex::new(Instant::now()),
        }
    }

    /// Prints a line above the bars (or to stderr).
    pub fn println(&self, line: &str) {
        match &self.multi {
            Some(m) => {
                let _ = m.println(line);
            }
            None => eprintln!("{line}"),
        }
    }
}

fn style(unit: Unit) -> ProgressStyle {
    let template = match unit {
        Unit::Bytes => {
            "{prefix:>14.bold} [{bar:28}] {bytes:>10}/{total_bytes:<10} {bytes_per_sec:>11} {msg}"
        }
        Unit::Rows => {
            "{prefix:>14.bold} [{bar:28}] {human_pos:>10}/{human_len:<10} {per_sec:>11} {msg}"
        }
        Unit::Steps => "{prefix:>14.bold} [{bar:28}] step {pos}/{len} eta {eta} {msg}",
    };
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// Progress of one stage; stages reach it through `ctx.progress()`.
pub struct StageProgress {
    name: String,
    bar: Option<ProgressBar>,
    log: bool,
    partitions: usize,
    done_partitions: AtomicU64,
    position: AtomicU64,
    length: AtomicU64,
    unit: Mutex<Unit>,
    message: Mutex<String>,
    last_log: Mutex<Instant>,
}

impl StageProgress {
    /// Starts counting a new amount of work (e.g. a file's size) in `unit`.
    pub fn start(&self, length: u64, unit: Unit) {
        self.length.store(length, Ordering::Relaxed);
        self.position.store(0, Ordering::Relaxed);
        *lock(&self.unit) = unit;
        if let Some(bar) = &self.bar {
            bar.set_style(style(unit));
            bar.set_length(length);
            bar.set_position(0);
        }
    }

    /// Sets the amount done.
    pub fn set_position(&self, position: u64) {
        self.position.store(position, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.set_position(position);
        }
        self.maybe_log();
    }

    /// Adds to the amount done.
    pub fn inc(&self, n: u64) {
        let p = self.position.fetch_add(n, Ordering::Relaxed) + n;
        if let Some(bar) = &self.bar {
            bar.set_position(p);
        }
        self.maybe_log();
    }

    /// A short status (e.g. the current loss) shown after the bar.
    pub fn set_message(&self, message: impl Into<String>) {
        let message = message.into();
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{} {}", self.partition_label(), message));
        }
        *lock(&self.message) = message;
    }

    pub(crate) fn begin_partition(&self, key: &str) {
        *lock(&self.message) = String::new();
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{} {key}", self.partition_label()));
        }
    }

    pub(crate) fn end_partition(&self) {
        self.done_partitions.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn finish(&self, summary: &str) {
        if self.log {
            tracing::info!(target: "bali::progress", "{}: {summary}", self.name);
        }
        if let Some(bar) = &self.bar {
            bar.disable_steady_tick();
            bar.set_style(
                ProgressStyle::with_template("{prefix:>14.bold} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.finish_with_message(summary.to_string());
        }
    }

    fn partition_label(&self) -> String {
        if self.partitions > 1 {
            format!(
                "[{}/{}]",
                self.done_partitions.load(Ordering::Relaxed) + 1,
                self.partitions
            )
        } else {
            String::new()
        }
    }

    fn maybe_log(&self) {
        if !self.log {
            return;
        }
        let mut last = lock(&self.last_log);
        if last.elapsed() < Duration::from_secs(5) {
            return;
        }
        *last = Instant::now();
        let (pos, len) = (
            self.position.load(Ordering::Relaxed),
            self.length.load(Ordering::Relaxed),
        );
        let pct = if len > 0 {
            pos as f64 * 100.0 / len as f64
        } else {
            0.0
        };
        let unit = match *lock(&self.unit) {
            Unit::Bytes => "bytes",
            Unit::Rows => "rows",
            Unit::Steps => "steps",
        };
        tracing::info!(
            target: "bali::progress",
            "{}: partition {}/{}: {pos}/{len} {unit} ({pct:.0}%) {}",
            self.name,
            self.done_partitions.load(Ordering::Relaxed) + 1,
            self.partitions,
            lock(&self.message)
        );
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
