//! What the process and its children have used: CPU seconds and resident memory, from Linux's
//! `/proc` (no other platform has them there; the readers return `None` elsewhere), and a
//! stopwatch that reads wall and CPU time together.
//!
//! Every benchmark reports CPU seconds beside wall seconds: on the shared 2-core machine wall
//! time grows with the neighbours' load and CPU time does not, so CPU time is what compares
//! two runs made at different times.

use std::fs;
use std::time::Instant;

use serde::Serialize;

/// Clock ticks per second of `/proc/*/stat` times (USER_HZ, 100 on every Linux architecture
/// bali targets).
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU seconds (user + system) used so far by this process (all threads) and by the
/// children it has waited for.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CpuTimes {
    /// This process.
    pub own: f64,
    /// Waited-for children (a peer run as a child process counts here once it has exited).
    pub children: f64,
}

/// The CPU times now, or `None` without `/proc`.
pub fn cpu_times() -> Option<CpuTimes> {
    let stat = fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let tick = |i: usize| fields.get(i)?.parse::<f64>().ok();
    // utime, stime, cutime, cstime are fields 14-17 of the line, 12-15 after the name.
    Some(CpuTimes {
        own: (tick(11)? + tick(12)?) / TICKS_PER_SECOND,
        children: (tick(13)? + tick(14)?) / TICKS_PER_SECOND,
    })
}

/// CPU seconds of this process alone (all threads), or `None` without `/proc`.
pub fn cpu_seconds() -> Option<f64> {
    cpu_times().map(|t| t.own)
}

/// A field of `/proc/self/status` given in kB, in bytes.
fn status_bytes(field: &str) -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Peak resident memory of this process in bytes (`VmHWM`) since it started or since the last
/// [`reset_peak_rss`].
pub fn peak_rss() -> Option<u64> {
    status_bytes("VmHWM:")
}

/// Resident memory of this process now, in bytes (`VmRSS`).
pub fn rss() -> Option<u64> {
    status_bytes("VmRSS:")
}

/// Resets the peak to the current resident memory, so the next [`peak_rss`] measures what
/// follows (Linux >= 4.0). Returns false when that is not possible; the peak then covers the
/// whole process, which is why the heavy benchmarks run one per process (`bali-bench ...`).
pub fn reset_peak_rss() -> bool {
    fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The 1-minute load average (`/proc/loadavg`): on a shared machine, how many other processes
/// wanted a core while a benchmark ran.
pub fn load_average() -> Option<f64> {
    fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Physical memory of the machine in bytes (`MemTotal` of `/proc/meminfo`).
pub fn memory_total() -> Option<u64> {
    let info = fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The machine a benchmark ran on and how busy it was, for BENCHMARKS.md's "machine" lines.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// Cores this process may use.
    pub cores: usize,
    /// Physical memory in bytes.
    pub memory_bytes: Option<u64>,
    /// 1-minute load average when the benchmark started.
    pub load_before: Option<f64>,
    /// 1-minute load average when it ended.
    pub load_after: Option<f64>,
}

impl Machine {
    /// The machine now, before the benchmark.
    pub fn before() -> Machine {
        Machine {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_bytes: memory_total(),
            load_before: load_average(),
            load_after: None,
        }
    }

    /// Records the load average at the end.
    pub fn after(mut self) -> Machine {
        self.load_after = load_average();
        self
    }
}

impl std::fmt::Display for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let load = |l: Option<f64>| l.map_or("n/a".to_string(), |l| format!("{l:.2}"));
        write!(
            f,
            "machine: {} cores, {}; load average {} before, {} after",
            self.cores,
            self.memory_bytes
                .map_or("memory n/a".to_string(), |b| format!(
                    "{:.1} GiB",
                    b as f64 / (1u64 << 30) as f64
                )),
            load(self.load_before),
            load(self.load_after)
        )
    }
}

/// Wall and CPU seconds of one measured span.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Timing {
    /// Wall-clock seconds.
    pub wall: f64,
    /// CPU seconds of this process and of the children that exited during the span, where the
    /// platform reports them.
    pub cpu: Option<f64>,
}

/// Started by [`Stopwatch::start`]; [`Stopwatch::stop`] reads the span so far (and can be
/// called again: it does not reset).
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch {
    started: Instant,
    cpu: Option<CpuTimes>,
}

impl Stopwatch {
    /// Starts measuring now.
    pub fn start() -> Stopwatch {
        Stopwatch {
            cpu: cpu_times(),
            started: Instant::now(),
        }
    }

    /// The span since [`Stopwatch::start`].
    pub fn stop(&self) -> Timing {
        let wall = self.started.elapsed().as_secs_f64();
        let cpu = self
            .cpu
            .zip(cpu_times())
            .map(|(before, after)| (after.own - before.own) + (after.children - before.children));
        Timing { wall, cpu }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stopwatch_sees_cpu_work_and_memory_readings_see_a_written_block() {
        if cpu_times().is_none() {
            return; // no /proc: nothing to check
        }
        let watch = Stopwatch::start();
        // Spin for at least 30 ms of CPU (3 ticks), so the tick-granular reading moves.
        let mut x = 0u64;
        while watch.stop().wall < 0.05 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let timing = watch.stop();
        assert!(timing.wall >= 0.05);
        let cpu = timing.cpu.unwrap_or(0.0);
        assert!(cpu > 0.0 && cpu <= timing.wall * 4.0 + 0.05, "{timing:?}");

        reset_peak_rss();
        let block = vec![1u8; 64 << 20];
        std::hint::black_box(&block);
        let now = rss().unwrap_or(0);
        let peak = peak_rss().unwrap_or(0);
        assert!(now >= 64 << 20, "resident {now} with 64 MiB written");
        assert!(peak >= now, "peak {peak} below the resident {now}");
    }
}
