#![deny(missing_docs)]

//! `bali-bench`: bali's benchmarks, apart from the product (the `bali` binary ships none of
//! this). Timed runs of the hot paths, side by side with a peer where one exists, recorded in
//! BENCHMARKS.md. Each is a library function returning a report (a table with `Display`, JSON
//! with `Serialize`) that `bali-bench <what>` runs in its own process, so that timings never
//! gate a test run and peak memory is the benchmark's own:
//! - [`pubmed`]: the PubMed reader against `zcat` and lxml;
//! - [`linking`]: the dictionary at UMLS scale, the aho-corasick automaton, pyahocorasick;
//! - [`graph`]: the graph build at MRREL scale, and samples on real abstracts;
//! - [`engine`]: no-change re-runs and one added file over many partitions;
//! - [`shards`]: the commit log under concurrent committers, and sharded runs of the data stages;
//! - [`train`]: one full training step against the same step in PyTorch;
//! - [`embed`]: the evaluation's inference (an ontology's names) against transformers.
//!
//! [`process`] reads CPU time and memory from `/proc`; [`peer`] runs the peers (their scripts
//! are under `bench/scripts/`); [`synthetic`] writes UMLS-sized MRCONSO and MRREL tables;
//! [`cli`] is the command line.

pub mod cli;
pub mod embed;
pub mod engine;
pub mod flops;
pub mod graph;
pub mod linking;
pub mod peer;
pub mod process;
pub mod pubmed;
pub mod shards;
pub mod synthetic;
pub mod train;

mod table;

use std::path::PathBuf;

/// A path inside the repository this binary was built from (the workspace root): where the
/// peer scripts under `bench/scripts/` and `sample_data/` are. Benchmarks run from a checkout;
/// the CLI lets each such path be given explicitly.
pub(crate) fn repo_path(relative: &str) -> PathBuf {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    crate_dir
        .parent()
        .map(|root| root.join(relative))
        .unwrap_or_else(|| crate_dir.join(relative))
}

/// The median of some numbers (the mean of the two middle ones of an even count); 0 for none.
pub(crate) fn median(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.into_iter().collect();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn median_of_odd_even_and_no_numbers() {
        assert_eq!(super::median([3.0, 1.0, 2.0]), 2.0);
        assert_eq!(super::median([4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(super::median([]), 0.0);
    }
}
