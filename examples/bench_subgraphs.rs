//! Runs the graph and samples benchmarks of `bali::bench::graph` and prints their reports.
//!
//!     cargo run --example bench_subgraphs -- build [ROWS] [CONCEPTS]
//!     BALI_SHARED=../shared cargo run --example bench_subgraphs -- samples [ARTICLES]
//!
//! Run each mode in its own process: the build's peak RSS is the process's.

use std::path::PathBuf;

use bali::bench::graph::{bench_graph_build, bench_samples};
use bali::stages::samples::load_tokenizer;
use bali::stages::subgraphs::synthetic::SyntheticRelations;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: u64| -> Result<u64, Box<dyn std::error::Error>> {
        Ok(args
            .get(i)
            .map(|s| s.parse())
            .transpose()?
            .unwrap_or(default))
    };
    println!("rayon threads: {}", rayon::current_num_threads());
    match args.first().map(String::as_str) {
        Some("build") => {
            let mut spec = SyntheticRelations::umls_scale(29);
            spec.rows = number(1, spec.rows)?;
            spec.concepts = u32::try_from(number(2, u64::from(spec.concepts))?)?;
            println!("{spec:?}");
            let report = bench_graph_build(&spec)?;
            println!("{report:#?}");
        }
        Some("samples") => {
            let shared = PathBuf::from(std::env::var_os("BALI_SHARED").ok_or("set BALI_SHARED")?);
            let tokenizer = load_tokenizer(shared.join("models/all-minilm-l6-v2"))?;
            let articles = number(1, 30_000)? as usize;
            let report = bench_samples(
                &shared.join("data/pubmed/pubmed20n0014.xml.gz"),
                &shared.join("data/ontologies/hp.obo"),
                &tokenizer,
                articles,
            )?;
            println!("{report:#?}");
        }
        _ => {
            return Err(
                "usage: bench_subgraphs build [ROWS] [CONCEPTS] | samples [ARTICLES]".into(),
            )
        }
    }
    Ok(())
}
