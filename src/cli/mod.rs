//! The command line: parses arguments, calls one library function per command, prints.
//!
//! Exit codes: 0 success, 1 a stage failed (or a command failed while running), 2 a usage or
//! validation error, 130 interrupted by Ctrl-C.

mod commands;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::engine::ProgressMode;
use crate::inspect::OutputFormat;

/// bali: PubMed + UMLS -> a knowledge-aligned biomedical language model, as a pipeline.
#[derive(Debug, Parser)]
#[command(name = "bali", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// More logging (-v: what each stage did, -vv: debug, -vvv: trace). BALI_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only warnings and errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Progress display.
    #[arg(long, global = true, value_enum, default_value = "auto")]
    pub progress: ProgressArg,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// `--progress`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ProgressArg {
    /// Bars on a terminal, log lines otherwise.
    Auto,
    /// Bars.
    Bars,
    /// Log lines.
    Log,
    /// Nothing.
    None,
}

impl From<ProgressArg> for ProgressMode {
    fn from(p: ProgressArg) -> ProgressMode {
        match p {
            ProgressArg::Auto => ProgressMode::Auto,
            ProgressArg::Bars => ProgressMode::Bars,
            ProgressArg::Log => ProgressMode::Log,
            ProgressArg::None => ProgressMode::Hidden,
        }
    }
}

/// Arguments shared by commands that load a pipeline.
#[derive(Debug, clap::Args)]
pub struct PipelineArgs {
    /// The pipeline file.
    pub pipeline: PathBuf,
    /// Checkpoint store (overrides `workdir:` in the file).
    #[arg(long)]
    pub workdir: Option<PathBuf>,
    /// Override a stage option: --set STAGE.OPTION=VALUE (VALUE is YAML: 3, true, [a, b]).
    #[arg(long = "set", value_name = "STAGE.OPTION=VALUE")]
    pub overrides: Vec<String>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a pipeline: build every partition that is missing or stale, skip the rest.
    Run {
        /// The pipeline.
        #[command(flatten)]
        pipeline: PipelineArgs,
        /// Run only this stage and what it needs upstream (repeatable).
        #[arg(long, value_name = "STAGE")]
        only: Vec<String>,
        /// Show what would run, and why, without running anything.
        #[arg(long)]
        dry_run: bool,
        /// Be worker I of N (`I/N`, from 0) of a sharded run: build the per-partition stages'
        /// partitions whose key hashes to I, nothing else. `N` alone takes I from
        /// JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX or SLURM_ARRAY_TASK_ID.
        #[arg(long, value_name = "I/N", conflicts_with = "shard_prepare")]
        shard: Option<String>,
        /// Build only what the workers of a sharded run read whole (dictionaries, relation
        /// tables): run once before `--shard`.
        #[arg(long)]
        shard_prepare: bool,
    },
    /// Check a pipeline file; report every problem with file:line:column. Runs nothing.
    Validate {
        /// The pipeline.
        #[command(flatten)]
        pipeline: PipelineArgs,
    },
    /// Per stage and partition: fresh, stale (and why) or missing. Runs nothing.
    Status {
        /// The pipeline.
        #[command(flatten)]
        pipeline: PipelineArgs,
        /// List fresh partitions too.
        #[arg(long)]
        all: bool,
    },
    /// Show a stage's outputs, schema, partitions, Parquet metadata and sample rows.
    Inspect {
        /// WORKDIR/STAGE (or a WORKDIR to list its stages).
        path: PathBuf,
        /// Which output of the stage.
        #[arg(long)]
        output: Option<String>,
        /// Sample rows to show.
        #[arg(long, default_value_t = 5)]
        rows: usize,
        /// Only this partition.
        #[arg(long)]
        partition: Option<String>,
        /// Trace one article (PMID) through every stage of the WORKDIR.
        #[arg(long, value_name = "PMID")]
        lineage: Option<i64>,
    },
    /// Query every stage output with SQL (DataFusion). `SHOW TABLES` lists them.
    Sql {
        /// The query.
        query: String,
        /// Checkpoint store to query.
        #[arg(long, required_unless_present = "pipeline")]
        workdir: Option<PathBuf>,
        /// Take the workdir from this pipeline file instead.
        #[arg(long, short = 'p')]
        pipeline: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
        /// Widest cell in table format.
        #[arg(long, default_value_t = 80)]
        max_width: usize,
    },
    /// List the stage kinds, or show one kind's inputs, outputs and options.
    Kinds {
        /// A kind to describe.
        kind: Option<String>,
    },
    /// Print the JSON Schema of pipeline files (for editor completion and checks).
    Schema,
    /// Write the aligned encoder of a committed `bali_train` stage as a Hugging Face BERT
    /// directory.
    Export {
        /// WORKDIR/STAGE of the training stage.
        path: PathBuf,
        /// Directory to write (created; files of the same names are replaced).
        #[arg(long)]
        out: PathBuf,
    },
}

/// Runs the CLI with the process arguments.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    start(cli.verbose, cli.quiet);
    finish(commands::dispatch(cli))
}

/// What a bali binary does before its command (this one, and the benchmarks'): candle's idle
/// workers told to sleep sooner, and logging to stderr at the level `-v`/`-q` ask for.
pub fn start(verbose: u8, quiet: bool) {
    quiet_idle_workers();
    init_logging(verbose, quiet);
}

/// The exit code of a command's result, its error printed to stderr: the code the error
/// carries (2 for usage and validation errors), 1 for any other failure.
pub fn finish(result: anyhow::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            let code = match e.downcast_ref::<crate::BaliError>() {
                Some(b) => b.exit_code(),
                None => 1,
            };
            eprintln!("{}", render_error(&e));
            ExitCode::from(code as u8)
        }
    }
}

/// mimalloc's `mi_option_purge_delay` (index 15 in `mi_option_e`, in both its v2 and v3
/// headers; libmimalloc-sys names no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Freed memory stays with the process for reuse instead of being purged after mimalloc's
/// default delay of a second, about one training step: purged buffers were faulted in again
/// the next step. Resident memory is then the process's high-water mark, which stays flat as
/// input grows. `MIMALLOC_PURGE_DELAY` in the environment takes precedence. For binaries whose
/// global allocator is mimalloc (`bali`, `bali-bench`); call it first thing in `main`.
pub fn keep_freed_memory() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one integer option; mimalloc reads options at any time.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
}

/// candle's CPU backend runs its element-wise kernels on a pool of its own whose idle
/// workers spin 25,000 times before they sleep; beside rayon's workers on a machine with few
/// cores, the spinning takes cycles from the threads doing the work (`bali-bench train`:
/// 1.22 s per step with candle's default, 1.15 s with 2,000). A value the user set is kept.
/// Runs before any thread exists.
fn quiet_idle_workers() {
    const VAR: &str = "CANDLE_BARRIER_POOL_SPIN_LIMIT";
    if std::env::var_os(VAR).is_none() {
        std::env::set_var(VAR, "2000");
    }
}

fn render_error(e: &anyhow::Error) -> String {
    match e.downcast_ref::<crate::BaliError>() {
        // The pipeline file's problems, shown against its lines.
        Some(crate::BaliError::Invalid(problems)) => problems.render(),
        // Other usage errors are already in words.
        Some(crate::BaliError::Spec(text)) => text.clone(),
        _ => {
            let mut s = format!("error: {e}");
            let mut source = e.source();
            while let Some(cause) = source {
                let text = cause.to_string();
                if !s.contains(&text) {
                    s.push_str(&format!("\n  caused by: {text}"));
                }
                source = cause.source();
            }
            s
        }
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let default = if quiet {
        "warn"
    } else {
        match verbose {
            0 => "warn,bali::progress=info,bali::run=info",
            1 => "info",
            2 => "info,bali=debug",
            _ => "debug,bali=trace",
        }
    };
    use std::io::IsTerminal;
    let filter = EnvFilter::try_from_env("BALI_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}
