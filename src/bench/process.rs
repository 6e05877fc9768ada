//! What the process and its children have used: CPU seconds and peak resident memory, from
//! Linux's `/proc` (no other platform has them there; the readers return `None` elsewhere).

use std::fs;

/// Clock ticks per second of `/proc/*/stat` times (USER_HZ, 100 on every Linux architecture
/// bali targets).
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU seconds (user + system) used so far by this process (all threads) and by the
/// children it has waited for.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CpuTimes {
    /// This process.
    pub own: f64,
    /// Waited-for children.
    pub children: f64,
}

/// The CPU times now, or `None` without `/proc`.
pub(crate) fn cpu_times() -> Option<CpuTimes> {
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

/// Peak resident memory of this process in bytes since the last [`reset_peak_rss`].
pub(crate) fn peak_rss() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Resets the peak to the current resident memory, so the next [`peak_rss`] measures what
/// follows (Linux >= 4.0). Returns false when that is not possible.
pub(crate) fn reset_peak_rss() -> bool {
    fs::write("/proc/self/clear_refs", "5").is_ok()
}
