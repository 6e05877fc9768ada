//! Benchmarks: timed runs of the hot paths, recorded in BENCHMARKS.md. They run as ignored
//! tests, examples or `bali bench` (e.g. `bali bench pubmed FILE` over
//! [`pubmed::bench_pubmed`]), so that timings never gate a test run. `graph` is run by
//! `examples/bench_subgraphs.rs`, so that the graph build's peak memory is its own process's.

pub mod graph;
pub mod linking;
pub mod pubmed;
pub mod train;

mod process;
