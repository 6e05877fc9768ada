//! Where the encoder's tensors come from: a Hugging Face checkpoint or a seeded random start,
//! under Hugging Face's `BertModel` key names.
//!
//! The names are the contract with loading, the optimiser (which groups parameters by prefix)
//! and export: [`encoder_shapes`] lists every trainable tensor once, [`pooler_shapes`] the
//! tensors `BertModel` also holds but BALI never trains (the pooler), which travel through a
//! run unchanged so that an exported directory loads without missing keys.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::VarMap;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use tracing::{debug, info};

use super::config::BertConfig;
use crate::error::{BaliError, Position, Result};

/// Name and shape of every trainable encoder tensor, in Hugging Face's `BertModel` naming: a
/// walk of the module tree ([`super::tree::BertModel`]).
pub fn encoder_shapes(c: &BertConfig) -> Result<Vec<(String, Vec<usize>)>> {
    super::tree::BertModel::shapes(c)
}

/// The pooler (`[CLS]` -> dense -> tanh) of `BertModel`: not used by BALI, carried unchanged.
pub fn pooler_shapes(c: &BertConfig) -> Vec<(String, Vec<usize>)> {
    let d = c.hidden_size;
    vec![
        ("pooler.dense.weight".to_string(), vec![d, d]),
        ("pooler.dense.bias".to_string(), vec![d]),
    ]
}

/// Hugging Face's initialisation for a tensor of this name: LayerNorm weights 1, biases 0,
/// everything else normal(0, `std`); `pad_row` (the `[PAD]` row of the word embeddings) is
/// zeroed as `nn.Embedding(padding_idx=...)` does.
pub fn init_like_hf(
    name: &str,
    shape: &[usize],
    std: f64,
    pad_row: Option<usize>,
    rng: &mut ChaCha8Rng,
    dtype: DType,
    device: &Device,
) -> Result<Tensor> {
    let n: usize = shape.iter().product();
    let values: Vec<f64> = if name.ends_with("LayerNorm.weight") {
        vec![1.0; n]
    } else if name.ends_with("bias") {
        vec![0.0; n]
    } else {
        let normal = Normal::new(0.0, std)
            .map_err(|e| BaliError::Internal(format!("normal(0, {std}) for {name}: {e}")))?;
        let mut v: Vec<f64> = (0..n).map(|_| normal.sample(rng)).collect();
        if let (Some(row), [rows, cols]) = (pad_row, shape) {
            if row < *rows {
                v[row * cols..(row + 1) * cols].fill(0.0);
            }
        }
        v
    };
    Ok(Tensor::from_vec(values, shape, device)?.to_dtype(dtype)?)
}

/// Registers `tensor` as a trainable variable named `name` in `varmap` and returns the
/// variable's tensor (which later `Var::set` calls, e.g. by the optimiser, update in place).
///
/// A name that is already taken is a bug: one model per prefix per map.
pub fn new_param(varmap: &VarMap, name: &str, tensor: Tensor) -> Result<Tensor> {
    let mut data = varmap
        .data()
        .lock()
        .map_err(|_| BaliError::Internal("the VarMap lock is poisoned".into()))?;
    if data.contains_key(name) {
        return Err(BaliError::Internal(format!(
            "the VarMap already holds `{name}`"
        )));
    }
    let var = Var::from_tensor(&tensor)?;
    let t = var.as_tensor().clone();
    data.insert(name.to_string(), var);
    Ok(t)
}

/// A seeded random encoder: the trainable tensors (by name) and the pooler.
pub fn random_tensors(
    config: &BertConfig,
    seed: u64,
    dtype: DType,
    device: &Device,
) -> Result<(BTreeMap<String, Tensor>, BTreeMap<String, Tensor>)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let pad = Some(config.pad_token_id as usize);
    let mut make = |shapes: Vec<(String, Vec<usize>)>| -> Result<BTreeMap<String, Tensor>> {
        let mut out = BTreeMap::new();
        for (name, shape) in shapes {
            let row = if name == "embeddings.word_embeddings.weight" {
                pad
            } else {
                None
            };
            let t = init_like_hf(
                &name,
                &shape,
                config.initializer_range,
                row,
                &mut rng,
                dtype,
                device,
            )?;
            out.insert(name, t);
        }
        Ok(out)
    };
    let encoder = make(encoder_shapes(config)?)?;
    let pooler = make(pooler_shapes(config))?;
    Ok((encoder, pooler))
}

/// Maps a checkpoint key to the `BertModel` name: drops the `bert.` prefix of
/// `BertForPreTraining`/`BertForMaskedLM` checkpoints and renames the TensorFlow-era
/// `LayerNorm.gamma`/`LayerNorm.beta` to `weight`/`bias`.
pub fn normalize_key(key: &str) -> String {
    let key = key.strip_prefix("bert.").unwrap_or(key);
    if let Some(stem) = key.strip_suffix(".gamma") {
        format!("{stem}.weight")
    } else if let Some(stem) = key.strip_suffix(".beta") {
        format!("{stem}.bias")
    } else {
        key.to_string()
    }
}

/// The tensors of a checkpoint file, split into the encoder's trainable tensors and the
/// tensors carried through unchanged (pooler, `embeddings.position_ids`).
pub struct CheckpointTensors {
    /// Every name of [`encoder_shapes`], converted to the training dtype.
    pub encoder: BTreeMap<String, Tensor>,
    /// Pooler weights and buffers, in the dtype they were stored with.
    pub carried: BTreeMap<String, Tensor>,
}

/// Reads `model.safetensors` and checks it against `config`: every encoder tensor must be
/// there with the shape the config implies. Heads of other architectures (`cls.*`, ...) are
/// dropped with a log line: BALI trains a fresh MLM head.
pub fn read_checkpoint(
    path: &Path,
    config: &BertConfig,
    dtype: DType,
    device: &Device,
) -> Result<CheckpointTensors> {
    let raw = candle_core::safetensors::load(path, device).map_err(|e| {
        BaliError::bad_input(
            path,
            Position::Byte(0),
            format!("not a readable safetensors file: {e}"),
        )
    })?;
    let mut by_name: HashMap<String, (String, Tensor)> = HashMap::new();
    for (key, tensor) in raw {
        let name = normalize_key(&key);
        if let Some((first, _)) = by_name.get(&name) {
            return Err(BaliError::bad_input(
                path,
                Position::Byte(0),
                format!("`{first}` and `{key}` both map to `{name}`"),
            ));
        }
        by_name.insert(name, (key, tensor));
    }

    let mut encoder = BTreeMap::new();
    let mut missing = Vec::new();
    for (name, shape) in encoder_shapes(config)? {
        match by_name.remove(&name) {
            None => missing.push(name),
            Some((key, t)) => {
                if t.dims() != shape.as_slice() {
                    return Err(BaliError::bad_input(
                        path,
                        Position::Byte(0),
                        format!(
                            "`{key}` has shape {:?}; config.json implies {shape:?}",
                            t.dims()
                        ),
                    ));
                }
                encoder.insert(name, t.to_dtype(dtype)?);
            }
        }
    }
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(5).map(String::as_str).collect();
        return Err(BaliError::bad_input(
            path,
            Position::Byte(0),
            format!(
                "{} encoder tensors are missing, e.g. {}; is this a BERT checkpoint matching its config.json?",
                missing.len(),
                shown.join(", ")
            ),
        ));
    }

    let mut carried = BTreeMap::new();
    let mut dropped = Vec::new();
    for (name, (key, t)) in by_name {
        if name.starts_with("pooler.") || name == "embeddings.position_ids" {
            carried.insert(name, t);
        } else {
            dropped.push(key);
        }
    }
    if !dropped.is_empty() {
        dropped.sort();
        info!(
            file = %path.display(),
            count = dropped.len(),
            first = %dropped[0],
            "checkpoint tensors outside BertModel are not used (BALI trains a fresh MLM head)"
        );
    }
    debug!(file = %path.display(), encoder = encoder.len(), carried = carried.len(), "checkpoint read");
    Ok(CheckpointTensors { encoder, carried })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_variants_map_to_bert_model_names() {
        assert_eq!(
            normalize_key("bert.encoder.layer.3.attention.output.LayerNorm.gamma"),
            "encoder.layer.3.attention.output.LayerNorm.weight"
        );
        assert_eq!(
            normalize_key("bert.embeddings.LayerNorm.beta"),
            "embeddings.LayerNorm.bias"
        );
        assert_eq!(normalize_key("pooler.dense.weight"), "pooler.dense.weight");
        assert_eq!(
            normalize_key("cls.predictions.bias"),
            "cls.predictions.bias"
        );
    }

    #[test]
    fn random_start_follows_hugging_face_initialisation() -> Result<()> {
        let config = BertConfig {
            vocab_size: 500,
            hidden_size: 64,
            num_hidden_layers: 1,
            num_attention_heads: 4,
            intermediate_size: 128,
            pad_token_id: 3,
            ..BertConfig::default()
        };
        let (enc, pooler) = random_tensors(&config, 29, DType::F32, &Device::Cpu)?;
        assert_eq!(enc.len(), encoder_shapes(&config)?.len());
        assert_eq!(pooler.len(), 2);
        let words = enc["embeddings.word_embeddings.weight"].to_vec2::<f32>()?;
        assert!(
            words[3].iter().all(|v| *v == 0.0),
            "the [PAD] row starts at zero"
        );
        let all: Vec<f32> = words.iter().flatten().copied().collect();
        let n = all.len() as f64;
        let mean = all.iter().map(|v| *v as f64).sum::<f64>() / n;
        let std = (all.iter().map(|v| (*v as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
        assert!(
            mean.abs() < 1e-3 && (std - 0.02).abs() < 1e-3,
            "mean {mean}, std {std}"
        );
        let ln: Vec<f32> = enc["encoder.layer.0.output.LayerNorm.weight"].to_vec1()?;
        assert!(ln.iter().all(|v| *v == 1.0));
        let b: Vec<f32> = enc["encoder.layer.0.intermediate.dense.bias"].to_vec1()?;
        assert!(b.iter().all(|v| *v == 0.0));
        // Same seed, same weights.
        let (again, _) = random_tensors(&config, 29, DType::F32, &Device::Cpu)?;
        let diff = (&again["encoder.layer.0.attention.self.key.weight"]
            - &enc["encoder.layer.0.attention.self.key.weight"])?
            .abs()?
            .sum_all()?
            .to_scalar::<f32>()?;
        assert_eq!(diff, 0.0);
        Ok(())
    }
}
