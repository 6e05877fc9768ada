//! Benchmarks: library functions that measure throughput and memory at realistic scale, run by
//! the examples and recorded with their commands in BENCHMARKS.md. Speed targets live here,
//! never in timed tests.

pub mod graph;
