//! The `bali-bench` binary: one subcommand per benchmark of BENCHMARKS.md
//! (`cargo run -p bali-bench -- train`), run the way `bali` runs: the same allocator and its
//! settings, the same logging and exit codes.

use std::process::ExitCode;

use clap::Parser;

/// The same allocator as `bali`, so the figures are the product's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// bali's benchmarks: each runs bali's hot path beside its peer and prints both figures and
/// their ratio.
#[derive(Debug, Parser)]
#[command(name = "bali-bench", version, about, long_about = None, propagate_version = true)]
struct Args {
    /// More logging (-v: info, -vv: debug, -vvv: trace). BALI_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only warnings and errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// The benchmark.
    #[command(subcommand)]
    what: bali_bench::cli::BenchCommand,
}

fn main() -> ExitCode {
    bali::cli::keep_freed_memory();
    let args = Args::parse();
    bali::cli::start(args.verbose, args.quiet);
    bali::cli::finish(bali_bench::cli::run(args.what))
}
