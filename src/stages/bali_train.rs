//! The `bali_train` kind: BALI's joint training of the language model and the graph encoder.
//!
//! Inputs are whole tables (samples of every PubMed partition, the subgraphs, the names, and
//! optionally the articles for the current view of PubMed), so the stage has one partition,
//! `all`. Training checkpoints go to the partition's scratch folder, which survives a failed
//! or killed run with the same fingerprint: the next run resumes from the newest one. The
//! committed artifact folder holds the exported encoder, the final checkpoint and `train.json`
//! ([`crate::train::artifacts`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch};
use candle_core::{DType, Device};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tracing::info;

use crate::engine::{BuildContext, InputDecl, OutputDecl, PartitionCtx, Stage, StageKind, Unit};
use crate::error::{BaliError, IoResultExt, Result};
use crate::stages::samples::{load_tokenizer, Tokenizer};
use crate::tables::{misc, TableType};
use crate::train::artifacts::{
    BaseModel, HoldoutRecord, Init, TrainSummary, CHECKPOINT_FILE, MODEL_DIR, SUMMARY_FORMAT,
};
use crate::train::batch::{steps_per_epoch, BatchConfig, BatchMaker, BatchTokens, HostBatch};
use crate::train::bert::BertConfig;
use crate::train::corpus::{SampleFilter, TrainingData};
use crate::train::holdout::{self, Holdout};
use crate::train::mlm::MaskingOptions;
use crate::train::model::{
    model_files, BaliModel, GraphEncoderKind, GraphOptions, LmStart, LossConfig,
};
use crate::train::optim::{AdamW, OptimConfig};
use crate::train::trainer::{MetricsRow, Start, TrainConfig, TrainObserver, Trainer};
use crate::views::current::CurrentArticles;

/// Where the trainer runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceOption {
    /// The CPU (gemm through rayon; `RAYON_NUM_THREADS` sets the threads).
    Cpu,
    /// The first CUDA GPU; needs a build with `--features cuda`.
    Cuda,
}

impl std::fmt::Display for DeviceOption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DeviceOption::Cpu => "cpu",
            DeviceOption::Cuda => "cuda",
        })
    }
}

impl DeviceOption {
    /// The candle device, or an error saying how to get one.
    pub fn device(self) -> Result<Device> {
        match self {
            DeviceOption::Cpu => Ok(Device::Cpu),
            #[cfg(feature = "cuda")]
            DeviceOption::Cuda => Device::new_cuda(0).map_err(|e| {
                BaliError::Spec(format!(
                    "device: cuda: cannot open CUDA device 0 ({e}); check `nvidia-smi`, or use device: cpu"
                ))
            }),
            #[cfg(not(feature = "cuda"))]
            DeviceOption::Cuda => Err(BaliError::Spec(
                "device: cuda needs a bali built with `cargo build --features cuda` (this build has no CUDA support)".into(),
            )),
        }
    }
}

/// Options of `bali_train`. Defaults are the BALI reference choices (BALI.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainOptions {
    /// The language model: a Hugging Face BERT directory (config.json, model.safetensors,
    /// vocab.txt or tokenizer.json). Its tokenizer must be the one the samples and names were
    /// made with.
    pub model: PathBuf,
    /// `pretrained` starts from the directory's weights; `random` from random weights for its
    /// config.json (seeded by the pipeline seed).
    #[serde(default = "default_init")]
    pub init: Init,
    /// With `init: random`: fields that replace those of the directory's `config.json`
    /// (e.g. `{ num_hidden_layers: 4, hidden_size: 256, num_attention_heads: 4,
    /// intermediate_size: 1024 }` for a small encoder with the directory's tokenizer).
    #[serde(default)]
    pub config: Option<serde_json::Map<String, serde_json::Value>>,
    /// Optimiser steps of the run. Give `steps` or `epochs`, not both; neither means 10 epochs
    /// (BALI).
    #[serde(default)]
    pub steps: Option<u64>,
    /// Passes over the training sentences (the last batch of a pass may be smaller).
    #[serde(default)]
    pub epochs: Option<u64>,
    /// Sentences per batch (BALI: 256).
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// Neighbours sampled per target each epoch, uniformly without replacement (BALI: 3).
    #[serde(default = "default_max_neighbors")]
    pub max_neighbors: u32,
    /// Peak learning rate of the language model (BALI: 2e-5).
    #[serde(default = "default_lr_lm")]
    pub lr_lm: f64,
    /// Peak learning rate of the graph encoder, the read-out and the MLM head (BALI: 1e-4).
    #[serde(default = "default_lr_graph")]
    pub lr_graph: f64,
    /// AdamW's decoupled weight decay, on every parameter (BALI: 0.01).
    #[serde(default = "default_weight_decay")]
    pub weight_decay: f64,
    /// Warm-up as a share of all steps (BALI: 0.1), linear from 0, then cosine decay to 0.
    #[serde(default = "default_warmup_ratio")]
    pub warmup_ratio: f64,
    /// Upper bound on the warm-up in steps (BALI: 10,000).
    #[serde(default = "default_warmup_max_steps")]
    pub warmup_max_steps: u64,
    /// Graph encoder: `gatv2` (BALI), `graphsage`, or `linearized` (stars as text through
    /// the LM, g_v = `[CLS]`).
    #[serde(default = "default_graph_encoder")]
    pub graph_encoder: GraphEncoderKind,
    /// Shape of the GNN: layers (5), heads (2), attention_dropout (0.1), dropout (0.1).
    #[serde(default)]
    pub graph: GraphOptions,
    /// MLM corruption: probability (0.15), mask_share (0.8), random_share (0.1).
    #[serde(default)]
    pub mlm: MaskingOptions,
    /// NT-Xent temperature (BALI: 0.07).
    #[serde(default = "default_temperature")]
    pub temperature: f64,
    /// Weight of the alignment loss in the total (BALI: 1); 0 leaves the graph side out of
    /// the step (MLM pre-training; `align_loss` reads 0).
    #[serde(default = "default_weight")]
    pub align_weight: f64,
    /// Weight of the MLM loss in the total (BALI: 1); 0 leaves the MLM head out of the step
    /// (`mlm_loss` reads 0).
    #[serde(default = "default_weight")]
    pub mlm_weight: f64,
    /// Weight of the textual contrastive task (the reference's `--textual_contrastive_task`;
    /// default 0: off): NT-Xent between each mention and the LM's own mean-pooled embedding of
    /// its concept's name drawn for the step. Concepts mentioned in held-out articles never
    /// take part, so no loss over names touches an evaluation item's concept. GNN encoders
    /// only.
    #[serde(default)]
    pub textual_weight: f64,
    /// Weight of the anchor term (default 0: off): the mean cosine distance of each mention
    /// and name embedding of a step to the same text through the frozen starting model, which
    /// keeps an already good embedding space from contracting while the alignment moves it.
    /// It uses no labels. GNN encoders only; costs one forward pass of the frozen model.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub anchor_weight: f64,
    /// Batches of held-out sentences (of `batch_size`, fixed for the run) whose alignment loss
    /// is computed without dropout at every logged step, as `heldout_align_loss` (default 0:
    /// none). Whether what the alignment learns carries over to unseen sentences; costs one
    /// forward pass per batch per logged step.
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub heldout_batches: u64,
    /// Batch sentences of similar length (default off): windows of 50 batches of each epoch's
    /// shuffled order are sorted by length and cut into batches, and the batches are shuffled,
    /// so a batch pads little and a step costs about its real tokens. Every sentence still
    /// trains once per epoch; seeded and resumable like the plain order. Hugging Face's
    /// `group_by_length`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub group_by_length: bool,
    /// Freeze the embedding layer (the reference's `--freeze_embs`; default off).
    #[serde(default)]
    pub freeze_embeddings: bool,
    /// Freeze the lowest this many encoder layers (the reference's `--freeze_layers`;
    /// default 0).
    #[serde(default)]
    pub freeze_layers: usize,
    /// Leave the language model untouched for the first this many steps while the graph
    /// encoder and read-out warm up (default 0: BALI trains both from the first step).
    #[serde(default)]
    pub lm_frozen_steps: u64,
    /// Clip the global gradient norm to this value; unset: no clipping (BALI).
    #[serde(default)]
    pub max_grad_norm: Option<f64>,
    /// Write a resumable checkpoint every this many steps (0: only at the end). A killed run
    /// loses at most the steps since the last one.
    #[serde(default = "default_checkpoint_every")]
    pub checkpoint_every: u64,
    /// Log a metrics row (and the progress line) every this many steps; the last step is
    /// always logged.
    #[serde(default = "default_log_every")]
    pub log_every: u64,
    /// Share of PMIDs held out of training for evaluation, by a seeded hash of the PMID
    /// (default 0.1).
    #[serde(default = "default_holdout_fraction")]
    pub holdout_fraction: f64,
    /// `cpu` or `cuda`.
    #[serde(default = "default_device")]
    pub device: DeviceOption,
    /// Start from the previous committed run's final checkpoint (weights and optimiser
    /// moments, fresh schedule) when there is one, instead of from `model`.
    #[serde(default, rename = "continue")]
    pub continue_training: bool,
}

/// Options added after runs were committed are left out of the canonical options while at
/// their default, so those runs keep their fingerprints.
fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

fn is_zero_u64(x: &u64) -> bool {
    *x == 0
}

fn is_false(x: &bool) -> bool {
    !*x
}

fn default_init() -> Init {
    Init::Pretrained
}
fn default_batch_size() -> usize {
    256
}
fn default_max_neighbors() -> u32 {
    3
}
fn default_lr_lm() -> f64 {
    2e-5
}
fn default_lr_graph() -> f64 {
    1e-4
}
fn default_weight_decay() -> f64 {
    0.01
}
fn default_warmup_ratio() -> f64 {
    0.1
}
fn default_warmup_max_steps() -> u64 {
    10_000
}
fn default_graph_encoder() -> GraphEncoderKind {
    GraphEncoderKind::Gatv2
}
fn default_temperature() -> f64 {
    0.07
}
fn default_weight() -> f64 {
    1.0
}
fn default_checkpoint_every() -> u64 {
    1000
}
fn default_log_every() -> u64 {
    10
}
fn default_holdout_fraction() -> f64 {
    0.1
}
fn default_device() -> DeviceOption {
    DeviceOption::Cpu
}

/// Epochs when neither `steps` nor `epochs` is given (BALI).
const DEFAULT_EPOCHS: u64 = 10;

impl TrainOptions {
    /// Checks what serde cannot; every problem in one error.
    pub fn validate(&self) -> Result<()> {
        let mut problems = Vec::new();
        if self.steps.is_some() && self.epochs.is_some() {
            problems.push("give `steps` or `epochs`, not both".to_string());
        }
        if self.steps == Some(0) || self.epochs == Some(0) {
            problems.push("`steps` and `epochs` must be positive".to_string());
        }
        if self.batch_size == 0 {
            problems.push("`batch_size` must be positive".to_string());
        }
        if !(self.temperature >= 1e-3 && self.temperature.is_finite()) {
            problems.push(format!(
                "`temperature` ({}) must be at least 0.001",
                self.temperature
            ));
        }
        for (name, w) in [
            ("align_weight", self.align_weight),
            ("mlm_weight", self.mlm_weight),
            ("textual_weight", self.textual_weight),
            ("anchor_weight", self.anchor_weight),
        ] {
            if !(w >= 0.0 && w.is_finite()) {
                problems.push(format!("`{name}` ({w}) must be a non-negative number"));
            }
        }
        if !(0.0..1.0).contains(&self.holdout_fraction) {
            problems.push(format!(
                "`holdout_fraction` ({}) must be in [0, 1)",
                self.holdout_fraction
            ));
        }
        if self.textual_weight > 0.0 && self.graph_encoder == GraphEncoderKind::Linearized {
            problems.push(
                "`textual_weight` needs a GNN graph encoder (gatv2 or graphsage): the linearized one has no name embeddings".to_string(),
            );
        }
        if self.anchor_weight > 0.0 && self.graph_encoder == GraphEncoderKind::Linearized {
            problems.push(
                "`anchor_weight` needs a GNN graph encoder (gatv2 or graphsage): the linearized one has no name embeddings".to_string(),
            );
        }
        if self.anchor_weight > 0.0 && self.align_weight == 0.0 && self.textual_weight == 0.0 {
            problems.push(
                "`anchor_weight` needs `align_weight` or `textual_weight`: it anchors the mentions and names those losses move".to_string(),
            );
        }
        if let Err(e) = self.mlm.validate() {
            problems.push(e);
        }
        if let Err(e) = self.optim().validate() {
            problems.push(e.to_string());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(BaliError::Spec(format!(
                "bali_train options: {}",
                problems.join("; ")
            )))
        }
    }

    /// The optimiser's configuration.
    pub fn optim(&self) -> OptimConfig {
        OptimConfig {
            lr_lm: self.lr_lm,
            lr_graph: self.lr_graph,
            weight_decay: self.weight_decay,
            max_grad_norm: self.max_grad_norm,
            warmup_ratio: self.warmup_ratio,
            max_warmup_steps: self.warmup_max_steps,
            frozen_prefixes: self.frozen_prefixes(),
            lm_frozen_steps: self.lm_frozen_steps,
            ..OptimConfig::default()
        }
    }

    /// Parameter-name prefixes of what `freeze_embeddings` and `freeze_layers` freeze
    /// (Hugging Face BERT names).
    fn frozen_prefixes(&self) -> Vec<String> {
        let embeddings = self.freeze_embeddings.then(|| "embeddings.".to_string());
        let layers = (0..self.freeze_layers).map(|i| format!("encoder.layer.{i}."));
        embeddings.into_iter().chain(layers).collect()
    }

    /// Steps of a run over `sentences` training sentences.
    pub fn total_steps(&self, sentences: usize) -> u64 {
        self.steps.unwrap_or_else(|| {
            self.epochs.unwrap_or(DEFAULT_EPOCHS) * steps_per_epoch(sentences, self.batch_size)
        })
    }
}

/// The `bali_train` kind.
pub struct BaliTrain;

impl StageKind for BaliTrain {
    type Options = TrainOptions;
    const NAME: &'static str = "bali_train";
    const SUMMARY: &'static str =
        "train the language model jointly with a graph encoder (MLM + NT-Xent alignment), export it";
    const FORMAT_VERSION: u32 = 1;
    const INPUTS: &'static [InputDecl] = &[
        InputDecl::whole("samples", &[TableType::Samples]),
        InputDecl::whole("subgraphs", &[TableType::Subgraphs]),
        InputDecl::whole("names", &[TableType::Names]),
        InputDecl::whole("articles", &[TableType::Articles]).optional(),
    ];
    const OUTPUTS: &'static [OutputDecl] = &[OutputDecl {
        name: "metrics",
        table: TableType::TrainMetrics,
    }];
    // The model's files are fingerprinted by content; how often checkpoints are written
    // changes nothing that is committed, and leaving it out lets a resumed run change it.
    const UNFINGERPRINTED_OPTIONS: &'static [&'static str] = &["model", "checkpoint_every"];
    const EXAMPLE: &'static str = "model: sample_data/models/tiny-bert\nsteps: 60\nbatch_size: 8\ngraph_encoder: gatv2\ngraph: { layers: 2 }\nlog_every: 5";

    fn build(options: TrainOptions, ctx: &BuildContext) -> Result<Box<dyn Stage>> {
        options.validate()?;
        let (model_dir, mut config) = ctx.option(
            "model",
            ctx.local(&options.model).and_then(|dir| {
                let dir = dir.canonicalize().at(&dir)?;
                let config = BertConfig::from_file(&dir.join("config.json"))?;
                Ok((dir, config))
            }),
        )?;
        if let Some(fields) = &options.config {
            if options.init != Init::Random {
                return Err(BaliError::Spec(
                    "bali_train options: `config` changes the encoder's shape, so it needs `init: random`".into(),
                ));
            }
            let mut value = serde_json::to_value(&config)?;
            if let serde_json::Value::Object(map) = &mut value {
                map.extend(fields.clone());
            }
            config = serde_json::from_value(value)
                .map_err(|e| BaliError::Spec(format!("bali_train options: `config`: {e}")))?;
            config
                .validate()
                .map_err(|e| BaliError::Spec(format!("bali_train options: `config`: {e}")))?;
        }
        let tokenizer = load_tokenizer(&model_dir)?;
        if options.freeze_layers > config.num_hidden_layers {
            return Err(BaliError::Spec(format!(
                "bali_train options: `freeze_layers` ({}) is more than the model's {} layers",
                options.freeze_layers, config.num_hidden_layers
            )));
        }
        if tokenizer.vocab_size() > config.vocab_size {
            return Err(BaliError::Spec(format!(
                "{}: the tokenizer has {} tokens but config.json's vocab_size is {}",
                model_dir.display(),
                tokenizer.vocab_size(),
                config.vocab_size
            )));
        }
        Ok(Box::new(TrainStage {
            options,
            model_dir,
            config,
            tokenizer,
        }))
    }
}

/// The runtime `bali_train` stage.
struct TrainStage {
    options: TrainOptions,
    model_dir: PathBuf,
    config: BertConfig,
    tokenizer: Tokenizer,
}

/// Forwards the loop's progress to the engine: metrics rows, the progress line, cancellation.
struct EngineObserver<'c, 'a> {
    ctx: &'c mut PartitionCtx<'a>,
}

impl TrainObserver for EngineObserver<'_, '_> {
    fn step_done(&mut self, step: u64, total: u64, row: Option<&MetricsRow>) -> Result<()> {
        self.ctx.progress().set_position(step);
        if let Some(row) = row {
            let heldout = row
                .heldout_align_loss
                .map(|h| format!(", held-out align {h:.4}"))
                .unwrap_or_default();
            let message = format!(
                "loss {:.4} (mlm {:.4}, align {:.4}, textual {:.4}, anchor {:.4}{heldout}) lr {:.2e} {:.0} tok/s {:.1} sentences/s",
                row.loss,
                row.mlm_loss,
                row.align_loss,
                row.textual_loss,
                row.anchor_loss,
                row.lr_lm,
                row.tokens_per_second,
                row.sentences_per_second
            );
            info!(step, total, "{message}");
            self.ctx.progress().set_message(message);
            self.ctx
                .emit(0, metrics_batch(std::slice::from_ref(row))?)?;
        }
        self.ctx.check_cancelled()
    }
}

/// Rows of the `train_metrics` table.
pub fn metrics_batch(rows: &[MetricsRow]) -> Result<RecordBatch> {
    let f = |get: fn(&MetricsRow) -> f64| -> ArrayRef {
        std::sync::Arc::new(Float64Array::from_iter_values(rows.iter().map(get)))
    };
    let columns: Vec<ArrayRef> = vec![
        std::sync::Arc::new(Int64Array::from_iter_values(
            rows.iter().map(|r| r.step as i64),
        )),
        std::sync::Arc::new(Int32Array::from_iter_values(
            rows.iter().map(|r| r.epoch as i32),
        )),
        f(|r| r.loss),
        f(|r| r.mlm_loss),
        f(|r| r.align_loss),
        f(|r| r.textual_loss),
        f(|r| r.anchor_loss),
        std::sync::Arc::new(Float64Array::from_iter(
            rows.iter().map(|r| r.heldout_align_loss),
        )),
        f(|r| r.lr_lm),
        f(|r| r.lr_graph),
        f(|r| r.tokens_per_second),
        f(|r| r.sentences_per_second),
        f(|r| r.seconds),
    ];
    Ok(RecordBatch::try_new(misc::train_metrics_schema(), columns)?)
}

impl TrainStage {
    fn lm_start(&self, seed: u64) -> LmStart {
        match self.options.init {
            Init::Pretrained => LmStart::Pretrained(self.model_dir.clone()),
            Init::Random => LmStart::Random {
                config: self.config.clone(),
                seed,
            },
        }
    }

    fn batch_config(&self, seed: u64) -> BatchConfig {
        let special = self.tokenizer.special();
        BatchConfig {
            seed,
            batch_size: self.options.batch_size,
            max_neighbors: self.options.max_neighbors,
            masking: self.options.mlm,
            tokens: BatchTokens {
                cls: special.cls,
                sep: special.sep,
                pad: special.pad,
                mask: special.mask,
                vocab_size: self.tokenizer.vocab_size() as u32,
            },
            linearized: self.options.graph_encoder == GraphEncoderKind::Linearized,
            max_tokens: self.config.max_position_embeddings,
            group_by_length: self.options.group_by_length,
        }
    }
}

/// The first `count` batches (at most one epoch) of the held-out sentences in `held`, built as
/// training builds its own (names and neighbours drawn by step, MLM masks unused).
fn heldout_batches(held: TrainingData, config: BatchConfig, count: u64) -> Result<Vec<HostBatch>> {
    if held.sentences.is_empty() {
        info!("heldout_batches: no held-out sentence to score");
        return Ok(Vec::new());
    }
    let mut maker = BatchMaker::new(Arc::new(held), config)?;
    (0..count.min(maker.steps_per_epoch()))
        .map(|step| maker.batch(step))
        .collect()
}

impl Stage for TrainStage {
    fn fingerprint_files(&self) -> Vec<PathBuf> {
        model_files(&self.model_dir)
    }

    fn run(&self, ctx: &mut PartitionCtx<'_>) -> Result<()> {
        let started = Instant::now();
        let seed = ctx.seed();
        let o = &self.options;
        let samples = ctx.whole(0)?;
        let subgraphs = ctx.whole(1)?;
        let names = ctx.whole(2)?;
        let current = if ctx.has_input(3) {
            let articles = ctx.whole(3)?;
            let deletions = ctx.whole_sibling(3, "deletions")?;
            Some(CurrentArticles::build(&articles, deletions.as_ref())?)
        } else {
            None
        };
        let holdout = Holdout::new(seed, o.holdout_fraction)?;
        let filter = SampleFilter {
            holdout,
            current: current.as_ref(),
            held_out_only: false,
        };
        let linearized = o.graph_encoder == GraphEncoderKind::Linearized;
        let load = |filter: &SampleFilter<'_>| {
            TrainingData::load(
                &samples,
                &subgraphs,
                &names,
                filter,
                linearized.then_some(&self.tokenizer),
            )
        };
        let data = load(&filter)?;
        if data.sentences.is_empty() {
            return Err(BaliError::Spec(format!(
                "bali_train has no sentence to train on ({} samples read, {} held out, {} not current)",
                data.stats.samples_read, data.stats.held_out, data.stats.not_current
            )));
        }
        let stats = data.stats.clone();
        let data = Arc::new(data);
        let total = o.total_steps(data.sentences.len());
        let device = o.device.device()?;
        let start = self.lm_start(seed);
        let mut model =
            BaliModel::new(&start, o.graph_encoder, &o.graph, seed, DType::F32, &device)?;
        if o.anchor_weight > 0.0 {
            model.anchor_to(&start, DType::F32)?;
        }
        let optimizer = AdamW::new(&model.varmap, o.optim(), total)?;
        let config = TrainConfig {
            total_steps: total,
            batch: self.batch_config(seed),
            loss: LossConfig {
                mlm_weight: o.mlm_weight,
                align_weight: o.align_weight,
                textual_weight: o.textual_weight,
                anchor_weight: o.anchor_weight,
                temperature: o.temperature,
            },
            checkpoint_every: o.checkpoint_every,
            log_every: o.log_every,
            seed,
        };
        let heldout = if o.heldout_batches > 0 {
            let held = load(&SampleFilter {
                held_out_only: true,
                ..filter
            })?;
            heldout_batches(held, self.batch_config(seed), o.heldout_batches)?
        } else {
            Vec::new()
        };
        let mut trainer =
            Trainer::new(&model, optimizer, Arc::clone(&data), config).with_heldout(heldout);
        let scratch = ctx.scratch_dir()?;
        if trainer.resume(&scratch)?.is_none() && o.continue_training {
            match ctx.previous_artifact_dir()? {
                Some(dir) if dir.join(CHECKPOINT_FILE).is_file() => {
                    trainer.continue_from(&dir.join(CHECKPOINT_FILE))?;
                }
                _ => info!(
                    "continue: true, but no previous run to continue from: training from the start"
                ),
            }
        }
        // Rows logged before an interruption are committed with this partition too.
        let restored = trainer.metrics().to_vec();
        if !restored.is_empty() {
            ctx.emit(0, metrics_batch(&restored)?)?;
        }
        ctx.progress().start(total, Unit::Steps);
        ctx.progress().set_position(trainer.step());
        let outcome = trainer.run(&scratch, &mut EngineObserver { ctx })?;

        let out = ctx.artifact_dir()?;
        crate::train::export::export(&model.bert, &self.model_dir, &out.join(MODEL_DIR))?;
        let checkpoint = out.join(CHECKPOINT_FILE);
        if std::fs::hard_link(&outcome.final_checkpoint, &checkpoint).is_err() {
            std::fs::copy(&outcome.final_checkpoint, &checkpoint).at(&checkpoint)?;
        }
        let options = serde_json::to_value(o)?;
        let summary = TrainSummary {
            format: SUMMARY_FORMAT,
            options,
            base_model: BaseModel {
                // A copy of a model in a bucket is recorded by its URL, which every machine
                // can read.
                dir: crate::store::remote::origin_of(&self.model_dir)
                    .map(PathBuf::from)
                    .unwrap_or_else(|| self.model_dir.clone()),
                init: o.init,
                seed,
                config: o.config.is_some().then(|| self.config.clone()),
            },
            holdout: HoldoutRecord {
                rule: holdout::RULE.to_string(),
                split: holdout,
            },
            steps: outcome.steps,
            steps_per_epoch: steps_per_epoch(data.sentences.len(), o.batch_size),
            start: outcome.start.clone(),
            final_metrics: outcome.metrics.last().cloned(),
            data: stats,
            seconds: started.elapsed().as_secs_f64(),
        };
        summary.write(&out)?;
        ctx.note(match &outcome.start {
            Start::Scratch => format!(
                "trained {} steps from {}",
                outcome.steps,
                self.model_dir.display()
            ),
            Start::Resumed { from_step } => format!(
                "resumed an interrupted run at step {from_step}, trained to step {}",
                outcome.steps
            ),
            Start::Continued { from } => format!(
                "continued from the previous run's weights ({}), {} steps on the current samples",
                from.display(),
                outcome.steps
            ),
        });
        info!(
            steps = outcome.steps,
            start = ?outcome.start,
            final_loss = ?summary.final_metrics.as_ref().map(|m| m.loss),
            "training finished"
        );
        Ok(())
    }
}
