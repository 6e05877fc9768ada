//! The training loop: batches from the loader thread, forward, backward, AdamW, metrics, and
//! checkpoints that let a killed run resume bit-for-bit.
//!
//! What makes resuming exact: the batch of a step is a pure function of (seed, step)
//! ([`super::batch`]); the only other randomness, the dropout stream, is a [`TrainRng`] saved
//! in every checkpoint with the parameters and the optimiser's moments and counters
//! ([`super::checkpoint`]). A checkpoint written after step `k` therefore holds everything that
//! step `k + 1` depends on, and a run restarted from it computes the same steps `k + 1..` as a
//! run that never stopped. Checkpoints are written atomically every `checkpoint_every` steps
//! (and after the last step) as `step-<k>.safetensors`; older ones are then deleted, so a kill
//! at any moment loses at most the steps since the last one.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tracing::info;

use super::batch::{BatchConfig, BatchMaker, HostBatch, Loader};
use super::checkpoint;
use super::corpus::TrainingData;
use super::model::{BaliModel, LossConfig};
use super::optim::AdamW;
use super::rng::TrainRng;
use crate::error::{BaliError, IoResultExt, Result};

/// Name of the dropout generator in checkpoints.
const DROPOUT_RNG: &str = "dropout";
/// Stream of the dropout generator (any fixed number distinct from the other streams).
pub const DROPOUT_STREAM: u64 = 0x64726f70;
/// Batches the loader may build ahead of the step.
const LOADER_CAPACITY: usize = 3;

/// One row of the `train_metrics` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsRow {
    /// Optimiser step, 1-based.
    pub step: u64,
    /// Epoch, 0-based.
    pub epoch: u64,
    /// Total loss.
    pub loss: f64,
    /// MLM loss.
    pub mlm_loss: f64,
    /// Alignment loss.
    pub align_loss: f64,
    /// Textual contrastive loss (0 when off).
    #[serde(default)]
    pub textual_loss: f64,
    /// Anchor term: cosine distance of mentions and names to the starting model's (0 when off).
    #[serde(default)]
    pub anchor_loss: f64,
    /// Alignment loss on the fixed held-out batches, without dropout (`None` when the run
    /// has none: `heldout_batches: 0`).
    #[serde(default)]
    pub heldout_align_loss: Option<f64>,
    /// LM learning rate used by the step.
    pub lr_lm: f64,
    /// Graph/heads learning rate used by the step.
    pub lr_graph: f64,
    /// Encoder tokens (sentences and names) per second of the step.
    pub tokens_per_second: f64,
    /// Training sentences per second of the step (the batch's rows over its seconds).
    #[serde(default)]
    pub sentences_per_second: f64,
    /// Wall-clock seconds of the step.
    pub seconds: f64,
}

/// What the loop needs besides the model, the optimiser and the data.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// Steps of the whole run.
    pub total_steps: u64,
    /// How batches are built.
    pub batch: BatchConfig,
    /// Loss weights and temperature.
    pub loss: LossConfig,
    /// Checkpoint every this many steps (0: only at the end).
    pub checkpoint_every: u64,
    /// Metrics row every this many steps (and at the last step).
    pub log_every: u64,
    /// Seed of the dropout stream.
    pub seed: u64,
}

/// Receives the loop's progress; its errors stop the run (cancellation, a full disk).
pub trait TrainObserver {
    /// Called after every step with the number of completed steps, and with a metrics row
    /// when the step is logged.
    fn step_done(&mut self, step: u64, total: u64, row: Option<&MetricsRow>) -> Result<()>;
}

/// How a run began.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Start {
    /// Fresh model and optimiser.
    Scratch,
    /// From a checkpoint of this same run (same inputs and options) after an interruption.
    Resumed {
        /// Steps completed when the checkpoint was taken.
        from_step: u64,
    },
    /// From the final checkpoint of the previous committed run (`continue: true`): its
    /// weights and optimiser moments, with a fresh schedule.
    Continued {
        /// The checkpoint read.
        from: PathBuf,
    },
}

/// The trainer's own part of a checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LoopState {
    step: u64,
    start: Start,
    metrics: Vec<MetricsRow>,
}

/// What a finished run reports.
#[derive(Debug, Clone)]
pub struct TrainOutcome {
    /// How the run began.
    pub start: Start,
    /// Steps completed (the run's total).
    pub steps: u64,
    /// Every logged row, including those of the run before a resume.
    pub metrics: Vec<MetricsRow>,
    /// The checkpoint written after the last step.
    pub final_checkpoint: PathBuf,
}

/// The checkpoint file of step `step` in `dir`.
pub fn checkpoint_path(dir: &Path, step: u64) -> PathBuf {
    dir.join(format!("step-{step:010}.safetensors"))
}

/// The newest checkpoint in `dir` and its step, if there is one.
pub fn latest_checkpoint(dir: &Path) -> Result<Option<(u64, PathBuf)>> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let mut best: Option<(u64, PathBuf)> = None;
    for entry in std::fs::read_dir(dir).at(dir)? {
        let path = entry.at(dir)?.path();
        let step = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("step-"))
            .and_then(|n| n.strip_suffix(".safetensors"))
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(step) = step {
            if best.as_ref().is_none_or(|(b, _)| step > *b) {
                best = Some((step, path));
            }
        }
    }
    Ok(best)
}

/// Deletes every checkpoint in `dir` other than `keep`.
fn prune(dir: &Path, keep: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir).at(dir)? {
        let path = entry.at(dir)?.path();
        let is_checkpoint = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("step-") && n.ends_with(".safetensors"));
        if is_checkpoint && path != keep {
            std::fs::remove_file(&path).at(&path)?;
        }
    }
    Ok(())
}

/// A model, its optimiser and the loop around them.
pub struct Trainer<'m> {
    model: &'m BaliModel,
    optimizer: AdamW,
    data: Arc<TrainingData>,
    config: TrainConfig,
    dropout: TrainRng,
    step: u64,
    start: Start,
    metrics: Vec<MetricsRow>,
    heldout: Vec<HostBatch>,
}

impl<'m> Trainer<'m> {
    /// A trainer at step 0. `optimizer` must have been built over `model.varmap` for
    /// `config.total_steps` steps.
    pub fn new(
        model: &'m BaliModel,
        optimizer: AdamW,
        data: Arc<TrainingData>,
        config: TrainConfig,
    ) -> Trainer<'m> {
        let dropout = TrainRng::with_stream(config.seed, DROPOUT_STREAM);
        Trainer {
            model,
            optimizer,
            data,
            config,
            dropout,
            step: 0,
            start: Start::Scratch,
            metrics: Vec::new(),
            heldout: Vec::new(),
        }
    }

    /// Scores these fixed batches of held-out sentences at every logged step (their mean
    /// alignment loss without dropout, `heldout_align_loss`): whether what the alignment
    /// learns carries over to sentences it never trained on.
    pub fn with_heldout(mut self, batches: Vec<HostBatch>) -> Self {
        self.heldout = batches;
        self
    }

    /// The mean alignment loss of the held-out batches that have one, or `None`.
    fn heldout_align_loss(&self) -> Result<Option<f64>> {
        // Only the alignment term is computed.
        let config = LossConfig {
            mlm_weight: 0.0,
            align_weight: 1.0,
            textual_weight: 0.0,
            anchor_weight: 0.0,
            ..self.config.loss
        };
        let mut sum = 0.0;
        let mut n = 0usize;
        for batch in &self.heldout {
            if batch.spans.is_empty() || batch.star_concepts.is_empty() {
                continue;
            }
            sum += self.model.eval_losses(batch, &config)?.align;
            n += 1;
        }
        Ok((n > 0).then(|| sum / n as f64))
    }

    /// Restores the newest checkpoint of `dir` (parameters, optimiser, dropout stream, logged
    /// metrics); returns its step, or `None` when `dir` holds none.
    pub fn resume(&mut self, dir: &Path) -> Result<Option<u64>> {
        let Some((_, path)) = latest_checkpoint(dir)? else {
            return Ok(None);
        };
        let restored = checkpoint::load(&path, &self.model.varmap, &mut self.optimizer)?;
        let state: LoopState = serde_json::from_value(restored.trainer)?;
        self.dropout = restored
            .rngs
            .get(DROPOUT_RNG)
            .cloned()
            .ok_or_else(|| BaliError::Store {
                path: path.clone(),
                reason: format!("the checkpoint has no `{DROPOUT_RNG}` generator"),
            })?;
        if state.step != restored.step || state.step > self.config.total_steps {
            return Err(BaliError::Store {
                path,
                reason: format!(
                    "checkpoint of step {} does not fit a run of {} steps",
                    state.step, self.config.total_steps
                ),
            });
        }
        self.step = state.step;
        self.metrics = state.metrics;
        // A resumed continuation is still a continuation: keep the original start.
        self.start = match state.start {
            Start::Continued { from } => Start::Continued { from },
            _ => Start::Resumed {
                from_step: state.step,
            },
        };
        info!(checkpoint = %path.display(), step = self.step, "resumed training");
        Ok(Some(self.step))
    }

    /// Starts from the final checkpoint of an earlier run: its parameters and optimiser
    /// moments, with the step count and so the learning-rate schedule starting over.
    pub fn continue_from(&mut self, path: &Path) -> Result<()> {
        let restored = checkpoint::load(path, &self.model.varmap, &mut self.optimizer)?;
        self.optimizer.restart_schedule();
        self.start = Start::Continued {
            from: path.to_path_buf(),
        };
        info!(checkpoint = %path.display(), previous_steps = restored.step, "continuing from the previous run");
        Ok(())
    }

    /// Logged metrics so far (those restored from a checkpoint included).
    pub fn metrics(&self) -> &[MetricsRow] {
        &self.metrics
    }

    /// Completed steps.
    pub fn step(&self) -> u64 {
        self.step
    }

    fn save(&self, dir: &Path) -> Result<PathBuf> {
        let path = checkpoint_path(dir, self.step);
        let state = LoopState {
            step: self.step,
            start: self.start.clone(),
            metrics: self.metrics.clone(),
        };
        checkpoint::save(
            &path,
            &self.model.varmap,
            &self.optimizer,
            &[(DROPOUT_RNG, &self.dropout)],
            serde_json::to_value(&state)?,
        )?;
        prune(dir, &path)?;
        Ok(path)
    }

    /// Trains until `total_steps`, checkpointing into `dir`.
    pub fn run(mut self, dir: &Path, observer: &mut dyn TrainObserver) -> Result<TrainOutcome> {
        std::fs::create_dir_all(dir).at(dir)?;
        let total = self.config.total_steps;
        let maker = BatchMaker::new(Arc::clone(&self.data), self.config.batch.clone())?;
        let steps_per_epoch = maker.steps_per_epoch();
        let loader = Loader::spawn(maker, self.step..total, LOADER_CAPACITY);
        info!(
            from = self.step,
            total,
            steps_per_epoch,
            sentences = self.data.sentences.len(),
            "training"
        );
        while self.step < total {
            let started = Instant::now();
            let batch = loader.next_batch()?;
            let losses = self
                .model
                .losses(&batch, &self.config.loss, &mut self.dropout)?;
            let loss = super::align::scalar(&losses.total)?;
            if !loss.is_finite() {
                return Err(BaliError::Internal(format!(
                    "the loss of step {} is {loss} (mlm {}, align {}): lower the learning rates or set max_grad_norm",
                    self.step + 1,
                    losses.mlm,
                    losses.align
                )));
            }
            let grads = losses.total.backward()?;
            let stats = self.optimizer.step(&grads)?;
            drop(grads);
            self.step += 1;
            let seconds = started.elapsed().as_secs_f64();
            let logged = self.config.log_every > 0
                && self.step.is_multiple_of(self.config.log_every)
                || self.step == total;
            if logged {
                self.metrics.push(MetricsRow {
                    step: self.step,
                    epoch: batch.epoch,
                    loss,
                    mlm_loss: losses.mlm,
                    align_loss: losses.align,
                    textual_loss: losses.textual,
                    anchor_loss: losses.anchor,
                    heldout_align_loss: self.heldout_align_loss()?,
                    lr_lm: stats.lr_lm,
                    lr_graph: stats.lr_graph,
                    tokens_per_second: batch.tokens() as f64 / seconds.max(1e-9),
                    sentences_per_second: batch.text.rows as f64 / seconds.max(1e-9),
                    seconds,
                });
            }
            observer.step_done(
                self.step,
                total,
                logged.then(|| self.metrics.last()).flatten(),
            )?;
            let every = self.config.checkpoint_every;
            if every > 0 && self.step.is_multiple_of(every) && self.step < total {
                self.save(dir)?;
            }
        }
        drop(loader);
        let final_checkpoint = self.save(dir)?;
        Ok(TrainOutcome {
            start: self.start,
            steps: self.step,
            metrics: self.metrics,
            final_checkpoint,
        })
    }
}
