//! Benchmark code: the measurements behind BENCHMARKS.md. Timings never gate a test run: they
//! are ignored tests (`linking`) or library functions an example runs (`graph`, through
//! `examples/bench_subgraphs.rs`, so that peak memory is that of its own process).

pub mod graph;
pub mod linking;
