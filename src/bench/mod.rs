//! Benchmark code: measurements behind BENCHMARKS.md, run as ignored tests so that timings
//! never gate a test run, and library functions the CLI exposes (`bali bench pubmed FILE`).
//!
//! Speed and memory targets live here, never in timed tests: a benchmark reports numbers and
//! ratios, and people compare them with the targets.

pub mod linking;
pub mod pubmed;

mod process;
