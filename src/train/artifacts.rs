//! What a committed training partition leaves in its artifact folder, and `bali export`.
//!
//! Layout of the folder (the contract with `eval_linking` and `bali export`):
//! - `model/`: the aligned encoder as a Hugging Face BERT directory ([`super::export`]);
//! - `checkpoint.safetensors`: the final training checkpoint (model, heads, optimiser, RNG),
//!   which `continue: true` starts the next run from;
//! - `train.json`: a [`TrainSummary`]: the resolved options, the base model, the held-out
//!   rule, steps, final losses, and how the run began.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tracing::info;

use super::corpus::DataStats;
use super::holdout::Holdout;
use super::trainer::{MetricsRow, Start};
use crate::engine::Table;
use crate::error::{BaliError, IoResultExt, Result};
use crate::store::Store;

/// Folder of the exported encoder.
pub const MODEL_DIR: &str = "model";
/// The final training checkpoint.
pub const CHECKPOINT_FILE: &str = "checkpoint.safetensors";
/// The run summary.
pub const SUMMARY_FILE: &str = "train.json";
/// Version of [`TrainSummary`]'s layout.
pub const SUMMARY_FORMAT: u32 = 1;

/// How the language model was initialised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Init {
    /// The weights of the model directory.
    Pretrained,
    /// Random weights for the directory's `config.json` (Hugging Face's scheme).
    Random,
}

/// The model training started from: what evaluation compares the aligned model with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaseModel {
    /// The model directory (absolute), or the `s3://` URL it was copied from: config,
    /// weights, tokenizer.
    pub dir: PathBuf,
    /// Pretrained or random weights.
    pub init: Init,
    /// Seed of the random initialisation (with `init: random`).
    pub seed: u64,
    /// The encoder's configuration when it differs from the directory's `config.json`
    /// (`init: random` with a `config` override).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<crate::train::bert::BertConfig>,
}

/// The held-out split as written to `train.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoutRecord {
    /// The rule in words ([`super::holdout::RULE`]).
    pub rule: String,
    /// Its parameters.
    #[serde(flatten)]
    pub split: Holdout,
}

/// The contents of `train.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainSummary {
    /// [`SUMMARY_FORMAT`].
    pub format: u32,
    /// The stage's resolved options.
    pub options: serde_json::Value,
    /// Where the language model started.
    pub base_model: BaseModel,
    /// The held-out split; evaluation uses the same one.
    pub holdout: HoldoutRecord,
    /// Optimiser steps of the run.
    pub steps: u64,
    /// Steps per pass over the training sentences.
    pub steps_per_epoch: u64,
    /// How the run began: from scratch, resumed after an interruption, or continued from the
    /// previous committed run.
    pub start: Start,
    /// The last logged metrics row.
    pub final_metrics: Option<MetricsRow>,
    /// What the trainer read and dropped.
    pub data: DataStats,
    /// Wall-clock seconds of this (possibly resumed) run.
    pub seconds: f64,
}

impl TrainSummary {
    /// Reads `train.json` from a training artifact folder.
    pub fn read(dir: &Path) -> Result<TrainSummary> {
        let path = dir.join(SUMMARY_FILE);
        let text = std::fs::read_to_string(&path).at(&path)?;
        let summary: TrainSummary = serde_json::from_str(&text)?;
        if summary.format != SUMMARY_FORMAT {
            return Err(BaliError::Store {
                path,
                reason: format!(
                    "train.json format {} is not the supported {SUMMARY_FORMAT}",
                    summary.format
                ),
            });
        }
        Ok(summary)
    }

    /// Writes `train.json` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(SUMMARY_FILE);
        let mut text = serde_json::to_vec_pretty(self)?;
        text.push(b'\n');
        std::fs::write(&path, text).at(&path)
    }
}

/// The artifact folder of a committed training stage (its single partition).
pub fn trained_dir(table: &Table) -> Result<PathBuf> {
    table
        .single_artifact_dir()
        .map(Path::to_path_buf)
        .filter(|d| d.join(MODEL_DIR).is_dir())
        .ok_or_else(|| {
            BaliError::Spec(format!(
                "stage `{}` has no trained model: is it a bali_train stage, and has it run?",
                table.stage()
            ))
        })
}

/// `bali export WORKDIR/STAGE --out DIR`: copies the Hugging Face directory of the committed
/// training stage `stage` of the store at `workdir` into `out` (created; files of the same
/// names replaced), then loads it back to check that it is a complete BERT. Returns the files
/// written.
pub fn export_stage(workdir: &Path, stage: &str, out: &Path) -> Result<Vec<PathBuf>> {
    let store = Store::open_existing(workdir)?;
    let table = Table::open(&store, stage, None)?;
    let src = trained_dir(&table)?.join(MODEL_DIR);
    std::fs::create_dir_all(out).at(out)?;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&src)
        .at(&src)?
        .map(|e| e.map(|e| e.path()).at(&src))
        .collect::<Result<_>>()?;
    entries.sort();
    // config.json last, as the writer does: an interrupted copy has no config beside new
    // weights.
    entries.sort_by_key(|p| p.file_name().is_some_and(|n| n == "config.json"));
    for from in entries.into_iter().filter(|p| p.is_file()) {
        let Some(name) = from.file_name() else {
            continue;
        };
        let to = out.join(name);
        let tmp = crate::store::atomic::temp_path(&to);
        std::fs::copy(&from, &tmp).at(&from)?;
        crate::store::atomic::publish(&tmp, &to)?;
        files.push(to);
    }
    let check = super::bert::Bert::load(
        out,
        &candle_nn::VarMap::new(),
        candle_core::DType::F32,
        &candle_core::Device::Cpu,
    )?;
    info!(
        stage,
        out = %out.display(),
        layers = check.config().num_hidden_layers,
        "exported the aligned encoder"
    );
    Ok(files)
}
