//! Benchmarks: timed runs of the hot paths, recorded in BENCHMARKS.md. They run as ignored
//! tests, examples or `bali bench` (e.g. `bali bench pubmed FILE` over [`pubmed::bench_pubmed`]),
//! so that timings never gate a test run.
//!
//! Speed and memory targets live here, never in timed tests: a benchmark reports numbers and
//! ratios, and people compare them with the targets.

pub mod linking;
pub mod pubmed;
pub mod train;

mod process;
