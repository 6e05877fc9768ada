//! Benchmarks: timed runs of the hot paths, recorded in BENCHMARKS.md. They run as ignored
//! tests, examples or `bali bench`, so that timings never gate a test run.

pub mod linking;
pub mod train;
