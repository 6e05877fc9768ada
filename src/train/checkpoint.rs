//! Training checkpoints: every model parameter, the optimiser's moments and counters, the
//! random generators and the trainer loop's own position, in one safetensors file written
//! atomically, so that a run killed at any moment resumes bit-for-bit from its last checkpoint.
//!
//! Layout of the file: tensors `model/<name>` (each `VarMap` entry, HF-style names),
//! `optim/m/<name>` and `optim/v/<name>` (AdamW moments), and one metadata entry
//! `bali_checkpoint` holding a JSON [`CheckpointHeader`]. safetensors keeps the file readable
//! by any safetensors tool (`safe_open` in Python shows the tensors and the header).
//!
//! Atomicity: the file is written under a temporary name in the same directory, synced,
//! renamed over the target and the directory synced; a crash leaves either the previous
//! checkpoint or the new one, never a torn file under the checkpoint's name.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::Path;

use candle_core::safetensors::Load;
use candle_core::{Device, Tensor};
use candle_nn::VarMap;
use safetensors::SafeTensors;
use serde::{Deserialize, Serialize};

use crate::error::{BaliError, IoResultExt, Result};
use crate::train::optim::{AdamW, OptimState};
use crate::train::rng::{RngState, TrainRng};

/// Version of the checkpoint layout; a file with another version is refused.
pub const FORMAT_VERSION: u32 = 1;

/// Metadata key of the JSON header.
const HEADER_KEY: &str = "bali_checkpoint";

/// Everything of a checkpoint that is not a tensor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointHeader {
    /// [`FORMAT_VERSION`] of the writer.
    pub format: u32,
    /// Optimiser steps completed when the checkpoint was taken.
    pub step: u64,
    /// The optimiser's counters (its moments are tensors).
    pub optimizer: OptimState,
    /// Every random generator of the run, by the trainer's name for it.
    pub rngs: BTreeMap<String, RngState>,
    /// The trainer loop's own resumable position (epoch, batch within the epoch, ...), opaque
    /// here.
    pub trainer: serde_json::Value,
}

/// What [`load`] restores besides the parameters and the optimiser, which it sets in place.
#[derive(Debug)]
pub struct Restored {
    /// Optimiser steps completed.
    pub step: u64,
    /// The random generators, at the position they had when the checkpoint was saved.
    pub rngs: BTreeMap<String, TrainRng>,
    /// The trainer loop's position, as it was given to [`save`].
    pub trainer: serde_json::Value,
}

/// Writes a checkpoint of `varmap`, `optimizer`, the named generators `rngs` and the trainer's
/// `trainer` state to `path`, atomically.
pub fn save(
    path: &Path,
    varmap: &VarMap,
    optimizer: &AdamW,
    rngs: &[(&str, &TrainRng)],
    trainer: serde_json::Value,
) -> Result<()> {
    let header = CheckpointHeader {
        format: FORMAT_VERSION,
        step: optimizer.step_count(),
        optimizer: optimizer.state(),
        rngs: rngs
            .iter()
            .map(|(name, rng)| (name.to_string(), rng.state()))
            .collect(),
        trainer,
    };
    // Everything goes to the CPU and contiguous first: candle's safetensors view converts
    // with an unwrap, which must have nothing left that can fail.
    let cpu = |t: &Tensor| -> Result<Tensor> { Ok(t.to_device(&Device::Cpu)?.contiguous()?) };
    let mut tensors: Vec<(String, Tensor)> = Vec::new();
    for (name, var) in sorted_vars(varmap)? {
        tensors.push((format!("model/{name}"), cpu(var.as_tensor())?));
    }
    for (name, m, v) in optimizer.moments()? {
        tensors.push((format!("optim/m/{name}"), cpu(&m)?));
        tensors.push((format!("optim/v/{name}"), cpu(&v)?));
    }
    let metadata = HashMap::from([(HEADER_KEY.to_string(), serde_json::to_string(&header)?)]);

    if path.file_name().is_none() {
        return Err(store_error(
            path,
            "a checkpoint path must name a file".into(),
        ));
    }
    let tmp = crate::store::atomic::temp_path(path);
    let written = safetensors::serialize_to_file(tensors, Some(metadata), &tmp)
        .map_err(|e| store_error(path, format!("cannot write the checkpoint: {e}")))
        .and_then(|()| crate::store::atomic::publish(&tmp, path));
    if let Err(e) = written {
        // Best effort: the temporary file is garbage either way.
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    tracing::info!(path = %path.display(), step = header.step, "checkpoint saved");
    Ok(())
}

/// Reads the checkpoint at `path`: sets every parameter of `varmap` and the state of
/// `optimizer` in place, and returns the generators and the trainer's state.
///
/// `varmap` and `optimizer` must have been built for the same model (same parameter names,
/// shapes and dtypes); any difference is an error naming the parameters concerned.
pub fn load(path: &Path, varmap: &VarMap, optimizer: &mut AdamW) -> Result<Restored> {
    let bytes = fs::read(path).at(path)?;
    let file = SafeTensors::deserialize(&bytes)
        .map_err(|e| store_error(path, format!("not a safetensors checkpoint: {e}")))?;
    let (_, metadata) = SafeTensors::read_metadata(&bytes)
        .map_err(|e| store_error(path, format!("not a safetensors checkpoint: {e}")))?;
    let header_json = metadata
        .metadata()
        .as_ref()
        .and_then(|m| m.get(HEADER_KEY))
        .ok_or_else(|| {
            store_error(
                path,
                format!("no `{HEADER_KEY}` header: not a bali checkpoint"),
            )
        })?;
    let header: CheckpointHeader = serde_json::from_str(header_json)
        .map_err(|e| store_error(path, format!("unreadable checkpoint header: {e}")))?;
    if header.format != FORMAT_VERSION {
        return Err(store_error(
            path,
            format!(
                "checkpoint format {} is not the supported format {FORMAT_VERSION}",
                header.format
            ),
        ));
    }

    let vars = sorted_vars(varmap)?;
    let expected: Vec<String> = vars
        .iter()
        .flat_map(|(n, _)| {
            [
                format!("model/{n}"),
                format!("optim/m/{n}"),
                format!("optim/v/{n}"),
            ]
        })
        .collect();
    let mut present: Vec<&str> = file.names();
    present.sort_unstable();
    let mut wanted: Vec<&str> = expected.iter().map(String::as_str).collect();
    wanted.sort_unstable();
    if present != wanted {
        let missing: Vec<&str> = wanted
            .iter()
            .filter(|n| !present.contains(n))
            .copied()
            .collect();
        let unexpected: Vec<&str> = present
            .iter()
            .filter(|n| !wanted.contains(n))
            .copied()
            .collect();
        return Err(store_error(
            path,
            format!(
                "the checkpoint is for another model: missing {}; unexpected {}",
                preview(&missing),
                preview(&unexpected)
            ),
        ));
    }

    let read = |name: &str, device: &Device| -> Result<Tensor> {
        let view = file
            .tensor(name)
            .map_err(|e| store_error(path, format!("tensor `{name}`: {e}")))?;
        Ok(view.load(device)?)
    };
    // Read and check everything before changing anything, so a bad file leaves the model as
    // it was.
    let mut params = Vec::with_capacity(vars.len());
    let mut moments = BTreeMap::new();
    for (name, var) in &vars {
        let value = read(&format!("model/{name}"), var.device())?;
        if value.shape() != var.shape() || value.dtype() != var.dtype() {
            return Err(store_error(
                path,
                format!(
                    "parameter `{name}` is {:?} {:?} in the checkpoint but {:?} {:?} in the model",
                    value.dtype(),
                    value.shape(),
                    var.dtype(),
                    var.shape()
                ),
            ));
        }
        params.push((var, value));
        let m = read(&format!("optim/m/{name}"), &Device::Cpu)?;
        let v = read(&format!("optim/v/{name}"), &Device::Cpu)?;
        moments.insert(name.clone(), (m, v));
    }
    let rngs = header
        .rngs
        .iter()
        .map(|(name, state)| Ok((name.clone(), TrainRng::from_state(state)?)))
        .collect::<Result<BTreeMap<_, _>>>()
        .map_err(|e| store_error(path, e.to_string()))?;
    optimizer
        .restore(&header.optimizer, &moments)
        .map_err(|e| store_error(path, e.to_string()))?;
    for (var, value) in params {
        var.set(&value)?;
    }
    tracing::info!(path = %path.display(), step = header.step, "checkpoint loaded");
    Ok(Restored {
        step: header.step,
        rngs,
        trainer: header.trainer,
    })
}

fn sorted_vars(varmap: &VarMap) -> Result<Vec<(String, candle_core::Var)>> {
    let mut vars: Vec<(String, candle_core::Var)> = varmap
        .data()
        .lock()
        .map_err(|_| BaliError::Internal("the parameter map's lock is poisoned".into()))?
        .iter()
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(vars)
}

/// `dir/.name.tmp-<pid>`: same directory (so the rename is atomic), hidden, and distinct per
/// process.
fn store_error(path: &Path, reason: String) -> BaliError {
    BaliError::Store {
        path: path.to_path_buf(),
        reason,
    }
}

/// At most five names, then a count.
fn preview(names: &[&str]) -> String {
    match names.len() {
        0 => "none".into(),
        n if n <= 5 => names.join(", "),
        n => format!("{} and {} more", names[..5].join(", "), n - 5),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::align::{alignment_loss, DEFAULT_TEMPERATURE};
    use crate::train::graph::{GraphBatch, GraphConfig, GraphModel, Star};
    use crate::train::optim::OptimConfig;
    use candle_core::{DType, Var};
    use rand::Rng;

    const DEV: Device = Device::Cpu;
    const CONCEPTS: usize = 12;
    const DIM: usize = 8;
    const STEPS: u64 = 6;

    /// A miniature of the trainer: a name-embedding table and a projection stand in for the
    /// language model (LM learning-rate group), then GATv2 + read-out, NT-Xent and AdamW, with
    /// stars re-sampled and dropout drawn from their own generators at every step.
    struct Run {
        varmap: VarMap,
        table: Tensor,
        proj: Tensor,
        model: GraphModel,
        optimizer: AdamW,
        data: TrainRng,
        dropout: TrainRng,
    }

    impl Run {
        fn new(init_seed: u64) -> Result<Self> {
            let varmap = VarMap::new();
            let mut init = TrainRng::new(init_seed);
            let mut param = |name: &str, shape: (usize, usize)| -> Result<Tensor> {
                let var = Var::from_tensor(&init.uniform(shape, 0.5, DType::F32, &DEV)?)?;
                let t = var.as_tensor().clone();
                varmap
                    .data()
                    .lock()
                    .map_err(|_| BaliError::Internal("lock".into()))?
                    .insert(name.into(), var);
                Ok(t)
            };
            let table = param("embeddings.word_embeddings.weight", (CONCEPTS, DIM))?;
            let proj = param("encoder.proj.weight", (DIM, DIM))?;
            let config = GraphConfig {
                layers: 2,
                ..GraphConfig::default()
            };
            let model = GraphModel::new(&varmap, &config, DIM, DType::F32, &DEV, &mut init)?;
            let optim = OptimConfig {
                lr_lm: 1e-2,
                lr_graph: 3e-2,
                max_grad_norm: Some(1.0),
                ..OptimConfig::default()
            };
            let optimizer = AdamW::new(&varmap, optim, STEPS)?;
            Ok(Self {
                varmap,
                table,
                proj,
                model,
                optimizer,
                data: TrainRng::with_stream(29, 1),
                dropout: TrainRng::with_stream(29, 2),
            })
        }

        fn step(&mut self) -> Result<f64> {
            let stars: Vec<Star> = (0..5)
                .map(|_| Star {
                    target: self.data.random_range(0..CONCEPTS as u32),
                    neighbours: (0..self.data.random_range(0..4))
                        .map(|_| self.data.random_range(0..CONCEPTS as u32))
                        .collect(),
                })
                .collect();
            let labels: Vec<u32> = stars.iter().map(|s| s.target).collect();
            let batch = GraphBatch::new(&stars, CONCEPTS, &DEV)?;
            let targets = Tensor::new(labels.as_slice(), &DEV)?;
            let mentions = self.table.index_select(&targets, 0)?.matmul(&self.proj)?;
            let nodes = self
                .model
                .forward(&self.table, &batch, Some(&mut self.dropout))?;
            let loss = alignment_loss(&mentions, &labels, &nodes, &labels, DEFAULT_TEMPERATURE)?;
            self.optimizer.step(&loss.backward()?)?;
            crate::train::align::scalar(&loss)
        }

        fn save(&self, path: &Path) -> Result<()> {
            save(
                path,
                &self.varmap,
                &self.optimizer,
                &[("data", &self.data), ("dropout", &self.dropout)],
                serde_json::json!({ "epoch": 0 }),
            )
        }

        fn resume(&mut self, path: &Path) -> Result<Restored> {
            let mut restored = load(path, &self.varmap, &mut self.optimizer)?;
            let mut take = |name: &str| {
                restored
                    .rngs
                    .remove(name)
                    .ok_or_else(|| BaliError::Internal(format!("no generator `{name}`")))
            };
            self.data = take("data")?;
            self.dropout = take("dropout")?;
            Ok(restored)
        }

        /// Every parameter's bits, by name.
        fn snapshot(&self) -> Result<Vec<(String, Vec<u32>)>> {
            sorted_vars(&self.varmap)?
                .into_iter()
                .map(|(n, v)| {
                    let values: Vec<f32> = v.as_tensor().flatten_all()?.to_vec1()?;
                    Ok((n, values.iter().map(|x| x.to_bits()).collect()))
                })
                .collect()
        }
    }

    #[test]
    fn a_resumed_run_matches_an_uninterrupted_one_bit_for_bit() -> Result<()> {
        let dir = tempfile::tempdir().at("temporary directory")?;
        let path = dir.path().join("step-3.safetensors");

        let mut straight = Run::new(1)?;
        let losses: Vec<f64> = (0..STEPS).map(|_| straight.step()).collect::<Result<_>>()?;

        let mut first = Run::new(1)?;
        for _ in 0..3 {
            first.step()?;
        }
        first.save(&path)?;
        drop(first);

        // Fresh objects, deliberately initialised differently: the checkpoint must overwrite
        // every parameter, moment, counter and generator.
        let mut resumed = Run::new(2)?;
        let restored = resumed.resume(&path)?;
        assert_eq!(restored.step, 3);
        assert_eq!(restored.trainer, serde_json::json!({ "epoch": 0 }));
        let resumed_losses: Vec<f64> = (3..STEPS).map(|_| resumed.step()).collect::<Result<_>>()?;

        assert_eq!(resumed_losses, losses[3..]);
        assert_eq!(resumed.snapshot()?, straight.snapshot()?);
        assert_eq!(resumed.optimizer.state(), straight.optimizer.state());
        // The run trained: parameters moved away from their initial values.
        assert_ne!(straight.snapshot()?, Run::new(1)?.snapshot()?);
        // Only the checkpoint is left in the directory: no temporary file.
        let names: Vec<_> = fs::read_dir(dir.path()).at(dir.path())?.collect();
        assert_eq!(names.len(), 1);
        Ok(())
    }

    #[test]
    fn saving_again_replaces_the_checkpoint() -> Result<()> {
        let dir = tempfile::tempdir().at("temporary directory")?;
        let path = dir.path().join("latest.safetensors");
        let mut run = Run::new(1)?;
        run.step()?;
        run.save(&path)?;
        run.step()?;
        run.save(&path)?;
        let restored = Run::new(1)?.resume(&path)?;
        assert_eq!(restored.step, 2);
        Ok(())
    }

    #[test]
    fn a_checkpoint_of_another_model_is_refused_and_changes_nothing() -> Result<()> {
        let dir = tempfile::tempdir().at("temporary directory")?;
        let path = dir.path().join("ckpt.safetensors");
        let mut run = Run::new(1)?;
        run.step()?;
        run.save(&path)?;

        let other = Run::new(3)?;
        let extra = Var::from_tensor(&Tensor::zeros(2, DType::F32, &DEV)?)?;
        other
            .varmap
            .data()
            .lock()
            .map_err(|_| BaliError::Internal("lock".into()))?
            .insert("mlm.extra.bias".into(), extra);
        let mut optimizer = AdamW::new(&other.varmap, OptimConfig::default(), STEPS)?;
        let before = other.snapshot()?;
        let err = load(&path, &other.varmap, &mut optimizer)
            .err()
            .map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(
            err.contains("missing") && err.contains("mlm.extra.bias"),
            "{err}"
        );
        assert_eq!(other.snapshot()?, before);
        Ok(())
    }

    #[test]
    fn a_torn_or_foreign_file_is_an_error() -> Result<()> {
        let dir = tempfile::tempdir().at("temporary directory")?;
        let path = dir.path().join("ckpt.safetensors");
        let mut run = Run::new(1)?;
        run.save(&path)?;
        let bytes = fs::read(&path).at(&path)?;
        fs::write(&path, &bytes[..bytes.len() / 2]).at(&path)?;
        assert!(matches!(run.resume(&path), Err(BaliError::Store { .. })));

        // A valid safetensors file without the bali header.
        let plain = dir.path().join("plain.safetensors");
        let t = Tensor::zeros(3, DType::F32, &DEV)?;
        safetensors::serialize_to_file([("x", &t)], None, &plain)
            .map_err(|e| BaliError::Internal(e.to_string()))?;
        let err = run
            .resume(&plain)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("not a bali checkpoint"), "{err}");
        Ok(())
    }
}
