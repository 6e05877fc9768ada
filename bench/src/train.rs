//! `bali-bench train`: one full BALI training step, timed phase by phase, side by side with
//! the same step in PyTorch (`bench/scripts/train_step_torch.py`).
//!
//! The step is the trainer's own ([`bali::train::trainer`]): [`BaliModel::losses`] (BERT over
//! the MLM-corrupted sentences, the MLM head at the masked positions only, mean-pooled mention
//! spans, the node names encoded by the same BERT and mean-pooled, GATv2 over star graphs and
//! the read-out, multi-positive symmetric NT-Xent), `backward()`, and the trainer's
//! [`AdamW`] (two learning-rate groups, weight decay 0.01, fused CPU update). Only batch
//! building is left out, as in the trainer, where the loader thread does it ahead of the step.
//!
//! By default batches are synthetic but shaped like real ones: `batch` sentences of `seq_len` tokens
//! (`[CLS]`, random vocabulary ids other than the special tokens, `[SEP]`; no padding),
//! corrupted by the trainer's MLM masking (15%, 80/10/10), two mentions of one to three tokens
//! per sentence, each of one of the batch's concepts; and `names` node names of `name_len`
//! tokens forming stars of one target and three neighbours (8 stars for 32 names), one star per
//! concept. A fresh batch is drawn for every step from a fixed seed, and the same batches are
//! handed to the PyTorch peer in a JSON file, so both sides run exactly the same inputs.
//! With `workdir` they are the trainer's own instead, built by its [`BatchMaker`] from a
//! checkpoint store's training data (real lengths, mentions, stars and names), and handed to
//! the peer the same way.
//!
//! Threads: the step runs inside a rayon pool of `threads` threads (the fused kernels, the
//! optimiser and gemm's parallel loops use the current pool), and `RAYON_NUM_THREADS` is set
//! to the same number for this process, because candle reads it on every matrix product to
//! tell gemm how many threads to split the product over. The peer calls
//! `torch.set_num_threads(threads)`.
//!
//! Throughput counts the tokens the encoder reads, sentences plus names (as the trainer's
//! `tokens_per_second` metric does), and the sentences, each over the timed steps' total time
//! (real batches differ in size).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use bali::engine::Table as StageTable;
use bali::error::{BaliError, IoResultExt, Result};
use bali::stages::bali_train::DeviceOption;
use bali::stages::samples::load_tokenizer;
use bali::store::Store;
use bali::train::align::{scalar, DEFAULT_TEMPERATURE};
use bali::train::batch::{BatchConfig, BatchMaker, BatchTokens, HostBatch, Padded};
use bali::train::bert::{BertConfig, TokenSpan};
use bali::train::corpus::{SampleFilter, TrainingData};
use bali::train::graph::Star;
use bali::train::holdout::Holdout;
use bali::train::mlm::{mask_tokens, MaskingOptions};
use bali::train::model::{BaliModel, GraphEncoderKind, GraphOptions, LmStart, LossConfig};
use bali::train::optim::{AdamW, OptimConfig};
use bali::train::rng::TrainRng;

use super::flops::{peak, Peak, StepFlops, ADAMW_FLOPS_PER_PARAMETER};
use super::median;
use super::peer::{PeerOutcome, TorchPeer};
use super::process::{peak_rss, reset_peak_rss, Stopwatch};
use super::table::{mib, seconds, Table};

/// Environment variable whose value becomes the peer's `PYTHONPATH` (where PyTorch and
/// transformers were installed for the benchmark, e.g. `pip install --target DIR`).
pub const PYTHONPATH_VAR: &str = "BALI_BENCH_PYTHONPATH";

/// Neighbours of each star's target.
const NEIGHBOURS: usize = 3;
/// Mentions per sentence.
const MENTIONS_PER_SENTENCE: usize = 2;
/// Seed of the batches, the fresh weights and the dropout stream.
const SEED: u64 = 29;

/// How to run the benchmark.
#[derive(Debug, Clone)]
pub struct TrainBenchOptions {
    /// A Hugging Face BERT directory (config.json, model.safetensors, tokenizer).
    pub model: PathBuf,
    /// Sentences per batch.
    pub batch: usize,
    /// Tokens per sentence, `[CLS]` and `[SEP]` included.
    pub seq_len: usize,
    /// Node names per batch (stars of one target and three neighbours).
    pub names: usize,
    /// Tokens per name, `[CLS]` and `[SEP]` included.
    pub name_len: usize,
    /// GATv2 layers.
    pub graph_layers: usize,
    /// Timed steps (medians are reported).
    pub steps: usize,
    /// Untimed steps first.
    pub warmup: usize,
    /// Threads of the step (rayon pool, gemm, PyTorch's intra-op pool).
    pub threads: usize,
    /// Run the PyTorch peer.
    pub peers: bool,
    /// Where both sides run: `cpu`, or `cuda` (bali built with `--features cuda`; the peer
    /// on `torch.device("cuda")`).
    pub device: DeviceOption,
    /// The peer's Python interpreter.
    pub python: String,
    /// The peer script.
    pub torch_script: PathBuf,
    /// `PYTHONPATH` for the peer (default: `$BALI_BENCH_PYTHONPATH`).
    pub pythonpath: Option<String>,
    /// Real batches instead of synthetic ones: the trainer's own, built from this checkpoint
    /// store's `samples`, `subgraphs` and `names` stages (a pipeline run to at least those).
    pub workdir: Option<PathBuf>,
    /// With `workdir`: the pipeline's `seed` (the order of the sentences, held-out articles).
    pub seed: u64,
    /// With `workdir`: the trainer's `holdout_fraction` (held-out articles never train).
    pub holdout: f64,
    /// With `workdir`: the trainer's `group_by_length`.
    pub group_by_length: bool,
}

impl Default for TrainBenchOptions {
    fn default() -> Self {
        TrainBenchOptions {
            model: PathBuf::new(),
            batch: 8,
            seq_len: 128,
            names: 32,
            name_len: 16,
            graph_layers: 2,
            steps: 10,
            warmup: 5,
            threads: 2,
            peers: true,
            device: DeviceOption::Cpu,
            python: "python3".to_string(),
            torch_script: super::repo_path("bench/scripts/train_step_torch.py"),
            pythonpath: std::env::var(PYTHONPATH_VAR).ok(),
            workdir: None,
            seed: 42,
            holdout: 0.1,
            group_by_length: false,
        }
    }
}

/// Median figures of one side's timed steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepFigures {
    /// Losses of the batch (forward through BERT twice, MLM head, GNN, NT-Xent).
    pub forward_s: f64,
    /// `backward()` of the total loss.
    pub backward_s: f64,
    /// The AdamW update (and dropping the gradients).
    pub optimizer_s: f64,
    /// The whole step (median of the per-step sums, not the sum of the medians).
    pub step_s: f64,
    /// CPU seconds of the whole step (all threads), where the platform reports them.
    pub cpu_s: Option<f64>,
    /// Encoder tokens (sentences + names) of the timed steps over their total wall time.
    pub tokens_per_s: f64,
    /// Sentences of the timed steps over their total wall time.
    #[serde(default)]
    pub sentences_per_s: f64,
}

/// What the PyTorch peer reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TorchRun {
    /// Its medians, over the same timed batches.
    #[serde(flatten)]
    pub figures: StepFigures,
    /// Threads PyTorch used (`torch.get_num_threads()`).
    pub threads: usize,
    /// Trainable parameters of its model (must equal ours).
    pub parameters: u64,
    /// Its peak resident memory (`ru_maxrss`), interpreter and libraries included.
    pub peak_rss_bytes: Option<u64>,
    /// `torch.__version__`.
    pub torch: String,
    /// `transformers.__version__`.
    pub transformers: String,
    /// `cpu`, or the GPU's name (`torch.cuda.get_device_name`).
    #[serde(default)]
    pub device: Option<String>,
}

/// The benchmark's results.
#[derive(Debug, Clone, Serialize)]
pub struct TrainBenchReport {
    /// The checkpoint.
    pub model: PathBuf,
    /// Where the batches came from: `synthetic`, or the checkpoint store of real ones.
    pub batches_from: Option<PathBuf>,
    /// Real tokens (sentences + names) over the timed steps, per step (mean).
    pub tokens_per_step: f64,
    /// Sentence tokens plus padding over the timed steps, per step (mean): what the encoder
    /// computes on.
    pub padded_sentence_cells: f64,
    /// Real sentence tokens over the timed steps, per step (mean): the share of
    /// `padded_sentence_cells` that is not padding.
    pub real_sentence_tokens: f64,
    /// Sentences x tokens.
    pub batch: usize,
    /// Tokens per sentence.
    pub seq_len: usize,
    /// Node names per batch.
    pub names: usize,
    /// Tokens per name.
    pub name_len: usize,
    /// Stars (targets) per batch.
    pub stars: usize,
    /// Mention spans per batch.
    pub spans: usize,
    /// GATv2 layers.
    pub graph_layers: usize,
    /// Masked positions per timed step (mean).
    pub masked: f64,
    /// Sentence tokens per step.
    pub sentence_tokens: usize,
    /// Name tokens per step.
    pub name_tokens: usize,
    /// Trainable parameters (encoder, MLM head, GNN, read-out).
    pub parameters: u64,
    /// Threads of the step.
    pub threads: usize,
    /// Where both sides ran.
    pub device: DeviceOption,
    /// Untimed steps.
    pub warmup: usize,
    /// Timed steps.
    pub steps: usize,
    /// bali's step.
    pub ours: StepFigures,
    /// Peak RSS of the process over the steps (model, optimiser state, activations).
    pub peak_rss_bytes: Option<u64>,
    /// The PyTorch peer.
    pub torch: PeerOutcome<TorchRun>,
    /// Our tokens/s over PyTorch's (target: at least 1).
    pub ours_over_torch: Option<f64>,
    /// The step's floating-point work per phase, counted once from the shapes.
    pub flops: StepFlops,
    /// The machine's fp32 peak on the step's threads.
    pub peak: Peak,
}

/// The step's batches, as the peer reads them (one JSON object per file).
#[derive(Debug, Serialize)]
struct PeerInput<'a> {
    /// Untimed leading batches.
    warmup: usize,
    graph_layers: usize,
    threads: usize,
    device: DeviceOption,
    seed: u64,
    batches: Vec<PeerBatch<'a>>,
}

#[derive(Debug, Serialize)]
struct PeerBatch<'a> {
    /// `[rows, cols]` of the corrupted sentences.
    text_shape: [usize; 2],
    text_ids: &'a [u32],
    text_mask: &'a [u32],
    mlm_positions: &'a [u32],
    mlm_labels: &'a [u32],
    /// `[row, start, end]` per mention.
    spans: Vec<[usize; 3]>,
    /// The pooled mention (row of `span_concepts`) each span belongs to.
    span_groups: &'a [u32],
    span_concepts: &'a [u32],
    star_concepts: &'a [u32],
    /// `[target, neighbours...]` per star, rows of the names.
    stars: Vec<Vec<u32>>,
    names_shape: [usize; 2],
    names_ids: &'a [u32],
    names_mask: &'a [u32],
}

impl<'a> From<&'a HostBatch> for PeerBatch<'a> {
    fn from(b: &'a HostBatch) -> Self {
        PeerBatch {
            text_shape: [b.text.rows, b.text.cols],
            text_ids: &b.text.ids,
            text_mask: &b.text.mask,
            mlm_positions: &b.mlm_positions,
            mlm_labels: &b.mlm_labels,
            spans: b.spans.iter().map(|s| [s.row, s.start, s.end]).collect(),
            span_groups: &b.span_groups,
            span_concepts: &b.span_concepts,
            star_concepts: &b.star_concepts,
            stars: b
                .stars
                .iter()
                .map(|s| {
                    std::iter::once(s.target)
                        .chain(s.neighbours.iter().copied())
                        .collect()
                })
                .collect(),
            names_shape: [b.names.rows, b.names.cols],
            names_ids: &b.names.ids,
            names_mask: &b.names.mask,
        }
    }
}

/// The special ids a synthetic batch needs.
#[derive(Debug, Clone, Copy)]
struct Specials {
    cls: u32,
    sep: u32,
    pad: u32,
    mask: u32,
    unk: u32,
    vocab: u32,
}

impl Specials {
    /// A uniformly random id that is not a special token.
    fn word(&self, rng: &mut ChaCha8Rng) -> u32 {
        loop {
            let id = rng.random_range(0..self.vocab);
            if ![self.cls, self.sep, self.pad, self.mask, self.unk].contains(&id) {
                return id;
            }
        }
    }

    /// `[CLS]`, `len - 2` random words, `[SEP]`.
    fn sequence(&self, len: usize, rng: &mut ChaCha8Rng) -> Vec<u32> {
        let mut ids = Vec::with_capacity(len);
        ids.push(self.cls);
        ids.extend((0..len.saturating_sub(2)).map(|_| self.word(rng)));
        ids.push(self.sep);
        ids
    }
}

/// One synthetic batch (see the module docs).
fn synthetic_batch(
    step: u64,
    options: &TrainBenchOptions,
    specials: Specials,
    rng: &mut ChaCha8Rng,
) -> HostBatch {
    let (rows, len) = (options.batch, options.seq_len);
    let sentences: Vec<Vec<u32>> = (0..rows).map(|_| specials.sequence(len, rng)).collect();
    let text = Padded::new(sentences.iter().map(Vec::as_slice), specials.pad, len);
    let masked = mask_tokens(
        &text.ids,
        &[specials.cls, specials.sep, specials.pad],
        specials.mask,
        specials.vocab,
        &MaskingOptions::default(),
        rng,
    );

    // Stars of one target and up to NEIGHBOURS neighbours over consecutive name rows.
    let stars: Vec<Star> = (0..options.names)
        .step_by(NEIGHBOURS + 1)
        .map(|first| Star {
            target: first as u32,
            neighbours: (first + 1..(first + NEIGHBOURS + 1).min(options.names))
                .map(|r| r as u32)
                .collect(),
        })
        .collect();
    let star_concepts: Vec<u32> = (0..stars.len() as u32).map(|c| 1000 + c).collect();

    // Mentions of one to three word tokens, cycling through the concepts.
    let mut spans = Vec::new();
    let mut span_groups = Vec::new();
    let mut span_concepts = Vec::new();
    let words = len.saturating_sub(2);
    if words > 0 && !star_concepts.is_empty() {
        for row in 0..rows {
            for _ in 0..MENTIONS_PER_SENTENCE {
                let width = rng.random_range(1..=3usize).min(words);
                let start = 1 + rng.random_range(0..=words - width);
                spans.push(TokenSpan {
                    row,
                    start,
                    end: start + width,
                });
                span_concepts.push(star_concepts[spans.len() % star_concepts.len()]);
                span_groups.push(span_groups.len() as u32);
            }
        }
    }

    let names: Vec<Vec<u32>> = (0..options.names)
        .map(|_| specials.sequence(options.name_len, rng))
        .collect();
    let names = Padded::new(
        names.iter().map(Vec::as_slice),
        specials.pad,
        options.name_len,
    );
    HostBatch {
        step,
        epoch: 0,
        sentences: (0..rows as u32).collect(),
        pmids: vec![0; rows],
        text: Padded {
            ids: masked.input_ids,
            ..text
        },
        mlm_positions: masked.positions,
        mlm_labels: masked.labels,
        spans,
        span_groups,
        span_concepts,
        name_loss: vec![true; star_concepts.len()],
        star_concepts,
        stars,
        names,
        linearized: None,
    }
}

/// The trainer's own batches of steps `0..count` over the training data of the checkpoint
/// store `dir`, as `bali_train` builds them with `options`' seed, held-out fraction, batch
/// size and `group_by_length` (BALI's 3 neighbours and MLM corruption). Articles that are not
/// current are not filtered out here (the trainer drops superseded and deleted ones); the
/// lengths, mentions, stars and names are the real ones.
fn real_batches(
    dir: &Path,
    options: &TrainBenchOptions,
    specials: Specials,
    max_tokens: usize,
    count: u64,
) -> Result<Vec<HostBatch>> {
    let store = Store::open_existing(dir)?;
    let table = |stage: &str| StageTable::open(&store, stage, None);
    let filter = SampleFilter {
        holdout: Holdout::new(options.seed, options.holdout)?,
        current: None,
        held_out_only: false,
    };
    let data = TrainingData::load(
        &table("samples")?,
        &table("subgraphs")?,
        &table("names")?,
        &filter,
        None,
    )?;
    let config = BatchConfig {
        seed: options.seed,
        batch_size: options.batch,
        max_neighbors: NEIGHBOURS as u32,
        masking: MaskingOptions::default(),
        tokens: BatchTokens {
            cls: specials.cls,
            sep: specials.sep,
            pad: specials.pad,
            mask: specials.mask,
            vocab_size: specials.vocab,
        },
        linearized: false,
        max_tokens,
        group_by_length: options.group_by_length,
    };
    let mut maker = BatchMaker::new(Arc::new(data), config)?;
    (0..count).map(|step| maker.batch(step)).collect()
}

fn check_options(options: &TrainBenchOptions, config: &BertConfig) -> Result<()> {
    let mut problems = Vec::new();
    for (name, value, least) in [
        ("--batch", options.batch, 1),
        ("--seq-len", options.seq_len, 3),
        ("--names", options.names, 2),
        ("--name-len", options.name_len, 3),
        ("--graph-layers", options.graph_layers, 1),
        ("--steps", options.steps, 1),
        ("--threads", options.threads, 1),
    ] {
        if value < least {
            problems.push(format!("{name} must be at least {least}, not {value}"));
        }
    }
    let max = config.max_position_embeddings;
    for (name, value) in [
        ("--seq-len", options.seq_len),
        ("--name-len", options.name_len),
    ] {
        if value > max {
            problems.push(format!(
                "{name} {value} exceeds the model's max_position_embeddings {max}"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(BaliError::Spec(format!(
            "error: bali-bench train: {}",
            problems.join("; ")
        )))
    }
}

/// Runs the benchmark: our step, then the PyTorch peer on the same batches.
pub fn bench_train(options: &TrainBenchOptions) -> Result<TrainBenchReport> {
    let config = BertConfig::from_file(&options.model.join("config.json"))?;
    check_options(options, &config)?;
    let tokenizer = load_tokenizer(&options.model)?;
    let special = tokenizer.special();
    let specials = Specials {
        cls: special.cls,
        sep: special.sep,
        pad: special.pad,
        mask: special.mask,
        unk: special.unk,
        vocab: tokenizer.vocab_size().min(config.vocab_size) as u32,
    };
    let count = (options.warmup + options.steps) as u64;
    let batches: Vec<HostBatch> = match &options.workdir {
        None => {
            let mut rng = ChaCha8Rng::seed_from_u64(SEED);
            (0..count)
                .map(|step| synthetic_batch(step, options, specials, &mut rng))
                .collect()
        }
        Some(dir) => real_batches(
            dir,
            options,
            specials,
            config.max_position_embeddings,
            count,
        )?,
    };

    // candle reads RAYON_NUM_THREADS on every matrix product to split it for gemm; the rayon
    // pool below runs the split and every other parallel loop of the step.
    std::env::set_var("RAYON_NUM_THREADS", options.threads.to_string());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .thread_name(|i| format!("bali-bench-train-{i}"))
        .build()
        .map_err(|e| BaliError::Internal(format!("cannot start the benchmark's threads: {e}")))?;
    let (ours, parameters, peak_rss_bytes) = pool.install(|| our_steps(options, &batches))?;
    let peak = pool.install(|| peak(options.threads));

    let torch = if options.peers {
        run_torch(options, &batches)
    } else {
        PeerOutcome::Skipped {
            reason: "--no-peers".into(),
        }
    };
    let timed = &batches[options.warmup..];
    let flops = StepFlops::of(&config, timed, parameters);
    let first = &batches[0];
    let per_step = |f: &dyn Fn(&HostBatch) -> usize| {
        timed.iter().map(f).sum::<usize>() as f64 / timed.len().max(1) as f64
    };
    Ok(TrainBenchReport {
        model: options.model.clone(),
        batches_from: options.workdir.clone(),
        tokens_per_step: per_step(&|b| b.tokens()),
        padded_sentence_cells: per_step(&|b| b.text.rows * b.text.cols),
        real_sentence_tokens: per_step(&|b| b.text.tokens()),
        // The first batch's shapes: the options' for synthetic batches, the data's for real ones.
        batch: first.text.rows,
        seq_len: first.text.cols,
        names: first.names.rows,
        name_len: first.names.cols,
        stars: first.stars.len(),
        spans: first.spans.len(),
        graph_layers: options.graph_layers,
        masked: timed.iter().map(|b| b.mlm_positions.len()).sum::<usize>() as f64
            / timed.len() as f64,
        sentence_tokens: first.text.tokens(),
        name_tokens: first.names.tokens(),
        parameters,
        threads: options.threads,
        device: options.device,
        warmup: options.warmup,
        steps: options.steps,
        ours_over_torch: torch
            .ran()
            .map(|t| ours.tokens_per_s / t.figures.tokens_per_s),
        ours,
        peak_rss_bytes,
        torch,
        flops,
        peak,
    })
}

/// Our steps over `batches` (the first `options.warmup` untimed): medians, the parameter
/// count, and the peak RSS.
fn our_steps(
    options: &TrainBenchOptions,
    batches: &[HostBatch],
) -> Result<(StepFigures, u64, Option<u64>)> {
    let graph = GraphOptions {
        layers: options.graph_layers,
        ..GraphOptions::default()
    };
    let device = options.device.device()?;
    let model = BaliModel::new(
        &LmStart::Pretrained(options.model.clone()),
        GraphEncoderKind::Gatv2,
        &graph,
        SEED,
        candle_core::DType::F32,
        &device,
    )?;
    let parameters: u64 = model
        .varmap
        .all_vars()
        .iter()
        .map(|v| v.elem_count() as u64)
        .sum();
    // A long run's schedule, so that every timed update has non-zero learning rates.
    let mut optimizer = AdamW::new(&model.varmap, OptimConfig::default(), 100_000)?;
    let loss = LossConfig {
        mlm_weight: 1.0,
        align_weight: 1.0,
        temperature: DEFAULT_TEMPERATURE,
        textual_weight: 0.0,
        anchor_weight: 0.0,
    };
    // The trainer's dropout stream id (any fixed stream would do).
    let mut dropout = TrainRng::with_stream(SEED, bali::train::trainer::DROPOUT_STREAM);
    reset_peak_rss();
    let mut phases: [Vec<f64>; 4] = Default::default();
    let mut cpu = Vec::new();
    for (i, batch) in batches.iter().enumerate() {
        let step = Stopwatch::start();
        let losses = model.losses(batch, &loss, &mut dropout)?;
        let value = scalar(&losses.total)?;
        if !value.is_finite() {
            return Err(BaliError::Internal(format!(
                "the benchmark's loss is {value} at step {i}"
            )));
        }
        let forward = step.stop();
        let grads = losses.total.backward()?;
        // A GPU queues its kernels: each phase ends when the device has run them.
        device.synchronize()?;
        let backward = step.stop();
        optimizer.step(&grads)?;
        drop(grads);
        drop(losses);
        device.synchronize()?;
        let total = step.stop();
        if i >= options.warmup {
            phases[0].push(forward.wall);
            phases[1].push(backward.wall - forward.wall);
            phases[2].push(total.wall - backward.wall);
            phases[3].push(total.wall);
            cpu.extend(total.cpu);
        }
        tracing::debug!(step = i, wall = total.wall, "bench train step");
    }
    // Batches of real data differ in size: throughput is the timed batches' tokens and
    // sentences over the timed steps' total time (for same-sized batches, per mean step).
    let timed = &batches[options.warmup..];
    let total: f64 = phases[3].iter().sum();
    let tokens: usize = timed.iter().map(HostBatch::tokens).sum();
    let sentences: usize = timed.iter().map(|b| b.text.rows).sum();
    let [forward, backward, optimizer_s, step] = phases;
    let step_s = median(step);
    Ok((
        StepFigures {
            forward_s: median(forward),
            backward_s: median(backward),
            optimizer_s: median(optimizer_s),
            step_s,
            cpu_s: (cpu.len() == options.steps).then(|| median(cpu)),
            tokens_per_s: tokens as f64 / total,
            sentences_per_s: sentences as f64 / total,
        },
        parameters,
        peak_rss(),
    ))
}

/// Runs the PyTorch peer on the same batches: `not run` when the interpreter cannot import
/// torch and transformers, `failed` when the step itself fails.
fn run_torch(options: &TrainBenchOptions, batches: &[HostBatch]) -> PeerOutcome<TorchRun> {
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => return PeerOutcome::from_result(Err(BaliError::io("a temporary folder", e))),
    };
    let input = dir.path().join("batches.json");
    let peer_input = PeerInput {
        warmup: options.warmup,
        graph_layers: options.graph_layers,
        threads: options.threads,
        device: options.device,
        seed: SEED,
        batches: batches.iter().map(PeerBatch::from).collect(),
    };
    let written = serde_json::to_vec(&peer_input)
        .map_err(BaliError::from)
        .and_then(|bytes| std::fs::write(&input, bytes).at(&input));
    if let Err(e) = written {
        return PeerOutcome::from_result(Err(e));
    }
    let peer = TorchPeer {
        python: &options.python,
        pythonpath: options.pythonpath.as_deref(),
        threads: options.threads,
    };
    peer.run(
        &[
            options.torch_script.as_os_str(),
            "--model".as_ref(),
            options.model.as_os_str(),
            "--batches".as_ref(),
            input.as_os_str(),
        ],
        PYTHONPATH_VAR,
    )
}

fn figures_row(name: &str, f: &StepFigures, rss: Option<u64>, reference: f64) -> Vec<String> {
    vec![
        name.to_string(),
        format!("{:.3}", f.forward_s),
        format!("{:.3}", f.backward_s),
        format!("{:.3}", f.optimizer_s),
        format!("{:.3}", f.step_s),
        seconds(f.cpu_s, 2),
        format!("{:.0}", f.tokens_per_s),
        format!("{:.1}", f.sentences_per_s),
        mib(rss),
        format!("{:.2}x", f.tokens_per_s / reference),
    ]
}

impl TrainBenchReport {
    /// Each side's GFLOP/s per phase (the counted work over its median phase time) and its
    /// share of gemm's best on this machine.
    fn write_gflops(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = &self.flops;
        writeln!(
            f,
            "work per step, counted once from the shapes: forward {:.1} GFLOP (the encoder's \
             dense layers and attention over sentences and names, the MLM head), backward {:.1} \
             (twice forward), AdamW {:.2} ({} per parameter); the graph encoder and element-wise \
             work are not counted",
            w.forward / 1e9,
            w.backward / 1e9,
            w.optimizer / 1e9,
            ADAMW_FLOPS_PER_PARAMETER
        )?;
        let p = &self.peak;
        writeln!(
            f,
            "peak: gemm's best on one 2048^3 product on {} threads here {:.0} GFLOP/s{}",
            self.threads,
            p.gemm_gflops,
            match (&p.nominal_gflops, &p.nominal_formula) {
                (Some(g), Some(formula)) =>
                    format!("; nominal {g:.0} ({formula}; turbo clocks run above it)"),
                _ => String::new(),
            }
        )?;
        let mut table = Table::new(&[
            "GFLOP/s (share of gemm's best)",
            "forward",
            "backward",
            "AdamW",
            "step",
        ]);
        let row = |name: &str, s: &StepFigures| {
            let cell = |work: f64, secs: f64| {
                let g = work / secs / 1e9;
                format!("{g:.0} ({:.0}%)", 100.0 * g / p.gemm_gflops)
            };
            vec![
                name.to_string(),
                cell(w.forward, s.forward_s),
                cell(w.backward, s.backward_s),
                format!("{:.1}", w.optimizer / s.optimizer_s / 1e9),
                cell(w.forward + w.backward + w.optimizer, s.step_s),
            ]
        };
        table.row(row("bali (candle)", &self.ours));
        if let Some(t) = self.torch.ran() {
            table.row(row("PyTorch", &t.figures));
        }
        write!(f, "{table}")
    }
}

impl fmt::Display for TrainBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "model: {} ({:.1}M trainable parameters: encoder, MLM head, {} GATv2 layers, read-out)",
            self.model.display(),
            self.parameters as f64 / 1e6,
            self.graph_layers
        )?;
        if let Some(dir) = &self.batches_from {
            writeln!(
                f,
                "batches: the trainer's own, from {} ({} sentences each; per timed step {:.0} \
                 real tokens, {:.0} of them in sentences padded to {:.0} cells: {:.0}% padding)",
                dir.display(),
                self.batch,
                self.tokens_per_step,
                self.real_sentence_tokens,
                self.padded_sentence_cells,
                100.0 * (1.0 - self.real_sentence_tokens / self.padded_sentence_cells.max(1.0))
            )?;
        }
        writeln!(
            f,
            "step: {} sentences x {} tokens ({:.1} masked on average), {} mentions, {} names x {} \
             tokens in {} stars; {} threads on {}; medians of {} steps after {} warm-up",
            self.batch,
            self.seq_len,
            self.masked,
            self.spans,
            self.names,
            self.name_len,
            self.stars,
            self.threads,
            self.device,
            self.steps,
            self.warmup
        )?;
        writeln!(
            f,
            "tokens/s counts sentence + name tokens ({} + {} = {} in the first step), over the \
             timed steps' total time, as sentences/s does",
            self.sentence_tokens,
            self.name_tokens,
            self.sentence_tokens + self.name_tokens
        )?;
        let mut table = Table::new(&[
            "step",
            "forward s",
            "backward s",
            "AdamW s",
            "step s",
            "CPU s",
            "tokens/s",
            "sentences/s",
            "peak RSS",
            "tokens/s vs bali",
        ]);
        let reference = self.ours.tokens_per_s;
        table.row(figures_row(
            "bali (candle)",
            &self.ours,
            self.peak_rss_bytes,
            reference,
        ));
        let torch_name = match self.torch.ran() {
            Some(t) => format!("PyTorch {} + transformers {}", t.torch, t.transformers),
            None => "PyTorch + transformers".to_string(),
        };
        match &self.torch {
            PeerOutcome::Ran(t) => {
                table.row(figures_row(
                    &torch_name,
                    &t.figures,
                    t.peak_rss_bytes,
                    reference,
                ));
            }
            other => {
                table.row(vec![torch_name, other.why_not().unwrap_or_default()]);
            }
        }
        write!(f, "{table}")?;
        if let Some(t) = self.torch.ran() {
            if t.parameters != self.parameters {
                writeln!(
                    f,
                    "warning: PyTorch's model has {} parameters, ours {}",
                    t.parameters, self.parameters
                )?;
            }
            if t.threads != self.threads {
                writeln!(
                    f,
                    "warning: PyTorch ran on {} threads, not {}",
                    t.threads, self.threads
                )?;
            }
        }
        self.write_gflops(f)?;
        if let Some(ratio) = self.ours_over_torch {
            writeln!(
                f,
                "bali / PyTorch tokens/s: {ratio:.2} (target >= 1: {})",
                if ratio >= 1.0 { "met" } else { "not met" }
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_batches_have_the_requested_shapes_and_valid_references() {
        let options = TrainBenchOptions::default();
        let specials = Specials {
            cls: 101,
            sep: 102,
            pad: 0,
            mask: 103,
            unk: 100,
            vocab: 30522,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let b = synthetic_batch(0, &options, specials, &mut rng);
        assert_eq!((b.text.rows, b.text.cols, b.text.tokens()), (8, 128, 1024));
        assert_eq!(
            (b.names.rows, b.names.cols, b.names.tokens()),
            (32, 16, 512)
        );
        assert_eq!(b.stars.len(), 8);
        assert!(b.stars.iter().all(|s| s.neighbours.len() == 3));
        assert_eq!(b.spans.len(), 16);
        // Every star concept is mentioned (twice), so every g_v has a positive.
        for c in &b.star_concepts {
            assert_eq!(b.span_concepts.iter().filter(|s| *s == c).count(), 2);
        }
        assert!(b
            .spans
            .iter()
            .all(|s| s.start >= 1 && s.end <= 127 && s.start < s.end));
        let masked = b.mlm_positions.len() as f64 / (8.0 * 126.0);
        assert!((0.08..0.22).contains(&masked), "{masked}");
        for &p in &b.mlm_positions {
            let col = p as usize % 128;
            assert!(col != 0 && col != 127, "a special token was masked");
        }
    }
}
