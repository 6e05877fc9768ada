//! `bali-bench <what>`: every benchmark of BENCHMARKS.md, one subcommand each.
//!
//! Each resolves its arguments (files default to the real data under `$BALI_SHARED` where the
//! benchmark needs one), calls one function of [`crate::bench`], and prints its report as a
//! Markdown table followed by the machine line (cores, memory, load average before and after),
//! or the same as JSON with `--json`. Benchmarks run in their own process on purpose: peak RSS
//! is then the benchmark's own, and no timing ever gates a test run.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use serde::Serialize;

use crate::embed::{bench_embed, EmbedBenchOptions};
use crate::engine::{bench_engine, EngineBenchOptions};
use crate::graph::{bench_graph_build, bench_samples, SamplesBenchOptions};
use crate::linking::{bench_linking, LinkingBenchOptions};
use crate::process::Machine;
use crate::pubmed::{bench_pubmed, PubmedBenchOptions};
use crate::shards::{run_shard_bench, ShardBenchOptions};
use crate::synthetic::mrrel::SyntheticRelations;
use crate::train::{bench_train, TrainBenchOptions};
use bali::stages::bali_train::DeviceOption;
use bali::BaliError;

/// The real baseline file under `$BALI_SHARED`.
const SHARED_PUBMED: &str = "data/pubmed/pubmed20n0014.xml.gz";
/// The HPO ontology under `$BALI_SHARED`.
const SHARED_OBO: &str = "data/ontologies/hp.obo";
/// The MiniLM checkpoint under `$BALI_SHARED`.
const SHARED_MODEL: &str = "models/all-minilm-l6-v2";

/// The benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// The PubMed reader against `zcat` (the decompression floor) and Python lxml, best of
    /// `--runs`, with peak RSS for one file and three in a row.
    Pubmed {
        /// A PubMed XML file (.xml or .xml.gz).
        file: PathBuf,
        /// bali alone: skip `zcat` and lxml.
        #[arg(long)]
        no_peers: bool,
        /// Timed runs per reader (the best is reported).
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// The Python interpreter of the lxml peer.
        #[arg(long, default_value = "python3")]
        python: String,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The dictionary at UMLS scale (build, peak RSS, index size, load time, link MB/s), the
    /// aho-corasick automaton (--automaton), and the pyahocorasick peer with mention agreement.
    Linking {
        /// Strings of the synthetic MRCONSO (10M: UMLS English).
        #[arg(long, default_value_t = 10_000_000)]
        strings: usize,
        /// Strings of the synthetic dictionary linked side by side with Python (0: only the
        /// ontology's).
        #[arg(long, default_value_t = 1_000_000)]
        peer_strings: usize,
        /// Also build the aho-corasick automaton of the same forms (at 10M strings: ~15 min,
        /// ~10 GiB).
        #[arg(long)]
        automaton: bool,
        /// PubMed file whose sentences are linked [default: $BALI_SHARED/data/pubmed/pubmed20n0014.xml.gz].
        #[arg(long)]
        pubmed: Option<PathBuf>,
        /// OBO ontology for the real-vocabulary comparison [default: $BALI_SHARED/data/ontologies/hp.obo].
        #[arg(long)]
        obo: Option<PathBuf>,
        /// Our linker alone: skip the Python peer.
        #[arg(long)]
        no_peers: bool,
        /// The Python interpreter of the peer.
        #[arg(long, default_value = "python3")]
        python: String,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The subgraphs stage's graph build over a synthetic MRREL (80M rows: UMLS scale).
    Graph {
        /// Relation rows.
        #[arg(long, default_value_t = 80_000_000)]
        rows: u64,
        /// Concepts they connect [default: rows / 20, as MRREL's 80M rows over 4M concepts].
        #[arg(long)]
        concepts: Option<u32>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Samples and names built from real abstracts linked to an ontology's names.
    Samples {
        /// Articles read from the PubMed file (the first ones).
        #[arg(long, default_value_t = 30_000)]
        articles: usize,
        /// PubMed file [default: $BALI_SHARED/data/pubmed/pubmed20n0014.xml.gz].
        #[arg(long)]
        pubmed: Option<PathBuf>,
        /// OBO ontology [default: $BALI_SHARED/data/ontologies/hp.obo].
        #[arg(long)]
        obo: Option<PathBuf>,
        /// BERT directory with the tokenizer [default: $BALI_SHARED/models/all-minilm-l6-v2].
        #[arg(long)]
        model: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The engine's own cost: a no-change re-run over many partitions, and one file added to
    /// folders of different sizes.
    Engine {
        /// Folder sizes (PubMed files) for the no-change re-run.
        #[arg(long, num_args = 1.., default_values_t = [100, 500])]
        partitions: Vec<usize>,
        /// Folder sizes to which one file is added; the last is compared with the first.
        #[arg(long, num_args = 1.., default_values_t = [1, 50])]
        add_to: Vec<usize>,
        /// Measured runs per figure (the median is reported).
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// The sample_data folder [default: the one of the source tree bali was built from].
        #[arg(long)]
        sample_data: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// A sharded run on one machine: the commit log's latency and lost sequence numbers with
    /// 1-8 concurrent committers (local disk, in memory), and a real PubMed file split into
    /// parts run by 1, 2 and 3 worker processes between --shard-prepare and the final run.
    Shards {
        /// A PubMed file [default: $BALI_SHARED/data/pubmed/pubmed20n0014.xml.gz].
        #[arg(long)]
        pubmed: Option<PathBuf>,
        /// Files the PubMed file is split into.
        #[arg(long, default_value_t = 6)]
        parts: usize,
        /// Worker counts.
        #[arg(long, num_args = 1.., default_values_t = [1, 2, 3])]
        workers: Vec<usize>,
        /// Appends per commit-log measurement.
        #[arg(long, default_value_t = 256)]
        commits: usize,
        /// Concurrent committers.
        #[arg(long, num_args = 1.., default_values_t = [1, 2, 4, 8])]
        committers: Vec<usize>,
        /// The sample_data folder [default: the one of the source tree bali was built from].
        #[arg(long)]
        sample_data: Option<PathBuf>,
        /// Also measure the commit log at this `s3://bucket/prefix` (one committer; settings
        /// from the AWS environment; needs the default `s3` feature).
        #[arg(long, value_name = "URL")]
        s3: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// One full training step (BERT over masked sentences and node names, MLM head, GATv2,
    /// NT-Xent, backward, AdamW) per phase and in tokens/s, side by side with the same step in
    /// PyTorch (bench/scripts/train_step_torch.py; its PYTHONPATH from $BALI_BENCH_PYTHONPATH).
    Train {
        /// BERT directory [default: $BALI_SHARED/models/all-minilm-l6-v2].
        #[arg(long)]
        model: Option<PathBuf>,
        /// Sentences per batch.
        #[arg(long, default_value_t = 8)]
        batch: usize,
        /// Tokens per sentence (`[CLS]` and `[SEP]` included).
        #[arg(long, default_value_t = 128)]
        seq_len: usize,
        /// Node names per batch (stars of a target and 3 neighbours).
        #[arg(long, default_value_t = 32)]
        names: usize,
        /// Tokens per name (`[CLS]` and `[SEP]` included).
        #[arg(long, default_value_t = 16)]
        name_len: usize,
        /// GATv2 layers.
        #[arg(long, default_value_t = 2)]
        graph_layers: usize,
        /// Timed steps (medians are reported).
        #[arg(long, default_value_t = 10)]
        steps: usize,
        /// Untimed steps first.
        #[arg(long, default_value_t = 5)]
        warmup: usize,
        /// Threads of the step, ours and PyTorch's.
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// bali alone: skip the PyTorch peer.
        #[arg(long)]
        no_peers: bool,
        /// Where both sides run: `cpu`, or `cuda` (a build with `--features cuda`).
        #[arg(long, default_value = "cpu", value_parser = parse_device)]
        device: DeviceOption,
        /// Real batches: the trainer's own, from this checkpoint store's `samples`,
        /// `subgraphs` and `names` stages (e.g. out/hpo-minilm), instead of synthetic ones.
        #[arg(long)]
        workdir: Option<PathBuf>,
        /// With --workdir: the pipeline's seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// With --workdir: the trainer's holdout_fraction.
        #[arg(long, default_value_t = 0.1)]
        holdout: f64,
        /// With --workdir: batches of sentences of similar length (the trainer's
        /// `group_by_length`).
        #[arg(long)]
        group_by_length: bool,
        /// The Python interpreter of the PyTorch peer.
        #[arg(long, default_value = "python3")]
        python: String,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Inference as the evaluation runs it: an ontology's names embedded (sorted by length,
    /// batched, mean-pooled), side by side with transformers under `torch.inference_mode()`
    /// on the same token ids (bench/scripts/embed_torch.py), with the largest difference
    /// between the two sides' embeddings.
    Embed {
        /// BERT directory [default: $BALI_SHARED/models/all-minilm-l6-v2].
        #[arg(long)]
        model: Option<PathBuf>,
        /// OBO ontology whose names and synonyms are embedded [default: $BALI_SHARED/data/ontologies/hp.obo].
        #[arg(long)]
        obo: Option<PathBuf>,
        /// At most this many names, the first of the file (0: all).
        #[arg(long, default_value_t = 0)]
        names: usize,
        /// Names per batch (the evaluation's `batch_size`).
        #[arg(long, default_value_t = 128)]
        batch: usize,
        /// Threads, ours and PyTorch's.
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// bali alone: skip the PyTorch peer.
        #[arg(long)]
        no_peers: bool,
        /// The Python interpreter of the PyTorch peer.
        #[arg(long, default_value = "python3")]
        python: String,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// A report with the machine it was measured on, as `--json` prints it.
#[derive(Serialize)]
struct Measured<'a, T> {
    machine: &'a Machine,
    report: &'a T,
}

/// Runs one benchmark and prints its report.
/// Runs one benchmark and prints its report (with `--json`, as JSON).
pub fn run(command: BenchCommand) -> Result<ExitCode> {
    let machine = Machine::before();
    match command {
        BenchCommand::Pubmed {
            file,
            no_peers,
            runs,
            python,
            json,
        } => {
            let options = PubmedBenchOptions {
                runs,
                peers: !no_peers,
                python,
                ..PubmedBenchOptions::default()
            };
            print(&bench_pubmed(&file, &options)?, machine, json)
        }
        BenchCommand::Linking {
            strings,
            peer_strings,
            automaton,
            pubmed,
            obo,
            no_peers,
            python,
            json,
        } => {
            let options = LinkingBenchOptions {
                strings,
                automaton,
                peer_strings,
                pubmed: or_shared(pubmed, SHARED_PUBMED)?,
                obo: or_shared(obo, SHARED_OBO)?,
                peers: !no_peers,
                python,
                ..LinkingBenchOptions::default()
            };
            print(&bench_linking(&options)?, machine, json)
        }
        BenchCommand::Graph {
            rows,
            concepts,
            json,
        } => {
            let spec = SyntheticRelations {
                rows,
                concepts: match concepts {
                    Some(c) => c,
                    None => u32::try_from((rows / 20).max(1)).map_err(|_| {
                        BaliError::Spec(format!(
                            "error: {rows} rows would need more than 2^32 concepts; give --concepts"
                        ))
                    })?,
                },
                ..SyntheticRelations::umls_scale(29)
            };
            print(&bench_graph_build(&spec)?, machine, json)
        }
        BenchCommand::Samples {
            articles,
            pubmed,
            obo,
            model,
            json,
        } => {
            let needed = |given, rel, flag| needed(given, rel, "samples", flag);
            let options = SamplesBenchOptions {
                pubmed: needed(pubmed, SHARED_PUBMED, "--pubmed FILE")?,
                obo: needed(obo, SHARED_OBO, "--obo FILE")?,
                model: needed(model, SHARED_MODEL, "--model DIR")?,
                articles,
            };
            print(&bench_samples(&options)?, machine, json)
        }
        BenchCommand::Engine {
            partitions,
            add_to,
            runs,
            sample_data,
            json,
        } => {
            let defaults = EngineBenchOptions::default();
            let options = EngineBenchOptions {
                partitions,
                add_to,
                runs,
                sample_data: sample_data.unwrap_or(defaults.sample_data),
            };
            print(&bench_engine(&options)?, machine, json)
        }
        BenchCommand::Shards {
            pubmed,
            parts,
            workers,
            commits,
            committers,
            sample_data,
            s3,
            json,
        } => {
            let options = ShardBenchOptions {
                file: needed(pubmed, SHARED_PUBMED, "shards", "--pubmed FILE")?,
                parts,
                workers,
                commits,
                committers,
                sample_data: sample_data.unwrap_or_else(|| crate::repo_path("sample_data")),
                binary: std::env::current_exe()?,
                s3,
            };
            print(&run_shard_bench(&options)?, machine, json)
        }
        BenchCommand::Train {
            model,
            batch,
            seq_len,
            names,
            name_len,
            graph_layers,
            steps,
            warmup,
            threads,
            no_peers,
            device,
            workdir,
            seed,
            holdout,
            group_by_length,
            python,
            json,
        } => {
            let model = needed(model, SHARED_MODEL, "train", "--model DIR")?;
            let options = TrainBenchOptions {
                model,
                batch,
                seq_len,
                names,
                name_len,
                graph_layers,
                steps,
                warmup,
                threads,
                peers: !no_peers,
                device,
                python,
                workdir,
                seed,
                holdout,
                group_by_length,
                ..TrainBenchOptions::default()
            };
            print(&bench_train(&options)?, machine, json)
        }
        BenchCommand::Embed {
            model,
            obo,
            names,
            batch,
            threads,
            no_peers,
            python,
            json,
        } => {
            let options = EmbedBenchOptions {
                model: needed(model, SHARED_MODEL, "embed", "--model DIR")?,
                obo: needed(obo, SHARED_OBO, "embed", "--obo FILE")?,
                names,
                batch,
                threads,
                peers: !no_peers,
                python,
                ..EmbedBenchOptions::default()
            };
            print(&bench_embed(&options)?, machine, json)
        }
    }
}

/// `--device`: the names `device:` takes in a pipeline (the option's own serde names).
fn parse_device(s: &str) -> Result<DeviceOption, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| format!("`{s}` is not a device: use cpu or cuda"))
}

/// `given`, or `rel` under `$BALI_SHARED` ([`or_shared`]); an error naming `flag` when neither
/// is there.
fn needed(
    given: Option<PathBuf>,
    rel: &str,
    command: &str,
    flag: &str,
) -> Result<PathBuf, BaliError> {
    or_shared(given, rel)?.ok_or_else(|| {
        BaliError::Spec(format!(
            "error: `bali-bench {command}` needs {flag} (or BALI_SHARED set to the shared data folder)"
        ))
    })
}

/// `given`, or `rel` under `$BALI_SHARED` when that is set (and then the file must exist, as
/// for the tests: a mistyped folder fails instead of quietly skipping the comparison).
fn or_shared(given: Option<PathBuf>, rel: &str) -> Result<Option<PathBuf>, BaliError> {
    if given.is_some() {
        return Ok(given);
    }
    let Some(dir) = std::env::var_os("BALI_SHARED") else {
        return Ok(None);
    };
    let path = Path::new(&dir).join(rel);
    if !path.exists() {
        return Err(BaliError::Spec(format!(
            "error: BALI_SHARED is set but {} does not exist",
            path.display()
        )));
    }
    Ok(Some(path))
}

fn print<T: Serialize + Display>(report: &T, machine: Machine, json: bool) -> Result<ExitCode> {
    let machine = machine.after();
    if json {
        let measured = Measured {
            machine: &machine,
            report,
        };
        println!("{}", serde_json::to_string_pretty(&measured)?);
    } else {
        print!("{report}");
        println!("{machine}");
    }
    Ok(ExitCode::SUCCESS)
}
