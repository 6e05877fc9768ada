//! Benchmarks of bali's hot paths against their peers, on real files, in one run: the CLI
//! exposes them (`bali bench pubmed FILE`) and BENCHMARKS.md records their results.
//!
//! Speed and memory targets live here, never in timed tests: a benchmark reports numbers and
//! ratios, and people compare them with the targets.

pub mod pubmed;

mod process;
