//! Benchmark code: measurements behind BENCHMARKS.md, run as ignored tests so that timings
//! never gate a test run.

pub mod linking;
