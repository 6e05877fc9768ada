//! Masked-language modelling: BERT's 80/10/10 corruption and a fresh prediction head whose
//! logits are computed only at the masked positions.
//!
//! The head follows BALI's reference, a *fresh* `BertOnlyMLMHead` (dense d->d, activation,
//! LayerNorm, decoder d->V with bias), and its decoder is **not** tied to the word embeddings:
//! with tying one tensor would belong both to the language model's learning-rate group (2e-5)
//! and to the heads' group (1e-4); untied, the head is a separate set of `mlm.`-prefixed
//! variables that the optimiser groups by prefix and that export leaves out. The price is a
//! second V x d matrix (11.7M values for MiniLM) and its optimiser state.
//!
//! Only the rows of the masked positions go through the head: about 15% of the tokens, which
//! makes the V-wide decoder product and its softmax about 7 times cheaper than full logits.

use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::bert::config::{Activation, BertConfig};
use super::bert::ops::{activate, layer_norm, linear};
use super::bert::weights::{init_like_hf, new_param};
use crate::error::{BaliError, Result};

/// Prefix of the head's variables in the shared [`VarMap`].
pub const PREFIX: &str = "mlm.";

/// Which tokens are masked and how they are corrupted (BERT's and BALI's defaults).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MaskingOptions {
    /// Probability that a non-special token is selected for prediction.
    pub probability: f64,
    /// Share of selected tokens replaced by `[MASK]`.
    pub mask_share: f64,
    /// Share of selected tokens replaced by a random vocabulary id; the rest stay unchanged.
    pub random_share: f64,
}

impl Default for MaskingOptions {
    fn default() -> Self {
        MaskingOptions {
            probability: 0.15,
            mask_share: 0.8,
            random_share: 0.1,
        }
    }
}

impl MaskingOptions {
    /// Checks that the probabilities are probabilities and the shares fit in one.
    pub fn validate(&self) -> std::result::Result<(), String> {
        for (name, p) in [
            ("probability", self.probability),
            ("mask_share", self.mask_share),
            ("random_share", self.random_share),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("mlm {name} must be in [0, 1], got {p}"));
            }
        }
        if self.mask_share + self.random_share > 1.0 {
            return Err(format!(
                "mlm mask_share + random_share must not exceed 1, got {}",
                self.mask_share + self.random_share
            ));
        }
        Ok(())
    }
}

/// A corrupted batch and what the model must predict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskedTokens {
    /// The input ids after corruption, same layout as the input (row-major `[B, T]`).
    pub input_ids: Vec<u32>,
    /// Flat indices (`row * T + column`) of the selected tokens, ascending.
    pub positions: Vec<u32>,
    /// The original id at each selected position.
    pub labels: Vec<u32>,
}

impl MaskedTokens {
    /// The three as tensors: ids `[rows, cols]`, positions and labels `[M]` (all `u32`).
    pub fn to_tensors(
        &self,
        rows: usize,
        cols: usize,
        device: &Device,
    ) -> Result<(Tensor, Tensor, Tensor)> {
        let ids = Tensor::from_slice(&self.input_ids, (rows, cols), device)?;
        let positions = Tensor::from_slice(&self.positions, self.positions.len(), device)?;
        let labels = Tensor::from_slice(&self.labels, self.labels.len(), device)?;
        Ok((ids, positions, labels))
    }
}

/// Selects and corrupts tokens as BERT does (Hugging Face's `DataCollatorForLanguageModeling`):
/// each token whose id is not in `special` is selected with `probability`; a selected token
/// becomes `mask_id` with `mask_share`, a uniformly random id below `vocab_size` with
/// `random_share`, and stays itself otherwise. Mention tokens are ordinary tokens here (BALI
/// masks them too).
///
/// Draws come from `rng` in token order (one draw per non-special token, one more per selected
/// token, one more per random replacement), so a restored stream reproduces the batch.
pub fn mask_tokens(
    ids: &[u32],
    special: &[u32],
    mask_id: u32,
    vocab_size: u32,
    options: &MaskingOptions,
    rng: &mut dyn RngCore,
) -> MaskedTokens {
    let mut input_ids = ids.to_vec();
    let mut positions = Vec::new();
    let mut labels = Vec::new();
    for (i, &id) in ids.iter().enumerate() {
        if special.contains(&id) || rng.random::<f64>() >= options.probability {
            continue;
        }
        positions.push(i as u32);
        labels.push(id);
        let how = rng.random::<f64>();
        if how < options.mask_share {
            input_ids[i] = mask_id;
        } else if how < options.mask_share + options.random_share {
            input_ids[i] = rng.random_range(0..vocab_size);
        }
    }
    MaskedTokens {
        input_ids,
        positions,
        labels,
    }
}

/// The prediction head: dense d->d, activation, LayerNorm, decoder d->V plus bias.
pub struct MlmHead {
    dense: (Tensor, Tensor),
    norm: (Tensor, Tensor),
    decoder: (Tensor, Tensor),
    activation: Activation,
    eps: f64,
}

impl MlmHead {
    /// A freshly initialised head (Hugging Face's scheme, reproducible from `seed`) registered
    /// in `varmap` under [`PREFIX`]: `mlm.transform.dense.*`, `mlm.transform.LayerNorm.*`,
    /// `mlm.decoder.*`.
    pub fn new(
        config: &BertConfig,
        seed: u64,
        varmap: &VarMap,
        dtype: DType,
        device: &Device,
    ) -> Result<MlmHead> {
        let (d, v) = (config.hidden_size, config.vocab_size);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut param = |name: &str, shape: &[usize]| -> Result<Tensor> {
            let full = format!("{PREFIX}{name}");
            let t = init_like_hf(
                &full,
                shape,
                config.initializer_range,
                None,
                &mut rng,
                dtype,
                device,
            )?;
            new_param(varmap, &full, t)
        };
        Ok(MlmHead {
            dense: (
                param("transform.dense.weight", &[d, d])?,
                param("transform.dense.bias", &[d])?,
            ),
            norm: (
                param("transform.LayerNorm.weight", &[d])?,
                param("transform.LayerNorm.bias", &[d])?,
            ),
            decoder: (
                param("decoder.weight", &[v, d])?,
                param("decoder.bias", &[v])?,
            ),
            activation: config.hidden_act,
            eps: config.layer_norm_eps,
        })
    }

    /// Vocabulary logits `[M, V]` for the rows `positions` (`[M]` flat `row * T + column`
    /// indices, `u32`) of `hidden` `[B, T, d]`.
    pub fn logits(&self, hidden: &Tensor, positions: &Tensor) -> Result<Tensor> {
        let (b, t, d) = hidden.dims3()?;
        let rows = hidden.reshape((b * t, d))?.index_select(positions, 0)?;
        let x = activate(
            &linear(&rows, &self.dense.0, &self.dense.1)?,
            self.activation,
        )?;
        let x = layer_norm(&x, &self.norm.0, &self.norm.1, self.eps)?;
        linear(&x, &self.decoder.0, &self.decoder.1)
    }

    /// Mean cross-entropy of the predictions at `positions` against `labels` (`[M]`, `u32`).
    ///
    /// A batch in which nothing was selected (possible for very short inputs) gives a constant
    /// zero: adding it to the total loss changes nothing and trains nothing.
    pub fn loss(&self, hidden: &Tensor, positions: &Tensor, labels: &Tensor) -> Result<Tensor> {
        let m = positions.dim(0)?;
        if labels.dims() != [m] {
            return Err(BaliError::Internal(format!(
                "{m} masked positions but labels of shape {:?}",
                labels.dims()
            )));
        }
        if m == 0 {
            return Ok(Tensor::zeros((), hidden.dtype(), hidden.device())?);
        }
        let logits = self.logits(hidden, positions)?;
        Ok(candle_nn::loss::cross_entropy(&logits, labels)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::bert::tests::{tiny_batch, tiny_config};
    use crate::train::bert::{Bert, Mode};
    use crate::train::gradcheck::check;
    use candle_core::Var;
    use candle_nn::Optimizer;

    const CLS: u32 = 2;
    const SEP: u32 = 3;
    const PAD: u32 = 0;
    const MASK: u32 = 4;

    #[test]
    fn masking_follows_80_10_10_and_never_touches_special_tokens() {
        // 2,000 rows of [CLS] 48 words [SEP] 14 pads.
        let mut ids = Vec::new();
        for r in 0..2000u32 {
            ids.push(CLS);
            ids.extend((0..48).map(|j| 10 + (r * 7 + j) % 900));
            ids.push(SEP);
            ids.extend(std::iter::repeat_n(PAD, 14));
        }
        let words = 2000.0 * 48.0;
        let mut rng = ChaCha8Rng::seed_from_u64(29);
        let m = mask_tokens(
            &ids,
            &[CLS, SEP, PAD],
            MASK,
            1000,
            &MaskingOptions::default(),
            &mut rng,
        );
        assert_eq!(m.positions.len(), m.labels.len());
        let selected = m.positions.len() as f64;
        // Binomial(96000, 0.15): standard deviation of the share ~0.0012.
        assert!(
            (selected / words - 0.15).abs() < 0.006,
            "selected {}",
            selected / words
        );
        let (mut masked, mut kept, mut random) = (0.0, 0.0, 0.0);
        for (&p, &label) in m.positions.iter().zip(&m.labels) {
            let p = p as usize;
            assert_eq!(ids[p], label);
            assert!(
                ![CLS, SEP, PAD].contains(&label),
                "special token at {p} was selected"
            );
            match m.input_ids[p] {
                MASK => masked += 1.0,
                x if x == label => kept += 1.0,
                _ => random += 1.0,
            }
        }
        // A random replacement equals the original with probability 1/1000: negligible here.
        assert!(
            (masked / selected - 0.8).abs() < 0.02,
            "mask share {}",
            masked / selected
        );
        assert!(
            (random / selected - 0.1).abs() < 0.015,
            "random share {}",
            random / selected
        );
        assert!(
            (kept / selected - 0.1).abs() < 0.015,
            "kept share {}",
            kept / selected
        );
        let untouched = (0..ids.len()).filter(|i| !m.positions.contains(&(*i as u32)));
        for i in untouched {
            assert_eq!(m.input_ids[i], ids[i]);
        }
        let mut again = ChaCha8Rng::seed_from_u64(29);
        assert_eq!(
            mask_tokens(
                &ids,
                &[CLS, SEP, PAD],
                MASK,
                1000,
                &MaskingOptions::default(),
                &mut again
            ),
            m
        );
    }

    #[test]
    fn masking_options_are_validated() {
        assert!(MaskingOptions::default().validate().is_ok());
        let bad = MaskingOptions {
            mask_share: 0.95,
            ..MaskingOptions::default()
        };
        assert!(bad.validate().is_err());
        assert!(serde_json::from_str::<MaskingOptions>(r#"{"probabilty": 0.2}"#).is_err());
    }

    #[test]
    fn head_and_loss_match_finite_differences_and_a_direct_computation() -> Result<()> {
        let dev = Device::Cpu;
        let config = tiny_config(1);
        let varmap = VarMap::new();
        let head = MlmHead::new(&config, 3, &varmap, DType::F64, &dev)?;
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let values: Vec<f64> = (0..2 * 5 * 8)
            .map(|_| rng.random_range(-1.0..1.0))
            .collect();
        let hidden = Var::from_tensor(&Tensor::from_vec(values, (2, 5, 8), &dev)?)?;
        let positions = Tensor::new(&[1u32, 3, 6], &dev)?;
        let labels = Tensor::new(&[7u32, 0, 39], &dev)?;

        // The loss equals -mean log softmax(logits)[label], computed here by hand.
        let loss: f64 = head
            .loss(hidden.as_tensor(), &positions, &labels)?
            .to_scalar()?;
        let logits: Vec<Vec<f64>> = head.logits(hidden.as_tensor(), &positions)?.to_vec2()?;
        assert_eq!(logits.len(), 3);
        let mut want = 0.0;
        for (row, label) in logits.iter().zip([7usize, 0, 39]) {
            let max = row.iter().cloned().fold(f64::MIN, f64::max);
            let lse = max + row.iter().map(|z| (z - max).exp()).sum::<f64>().ln();
            want += lse - row[label];
        }
        assert!(
            (loss - want / 3.0).abs() < 1e-12,
            "{loss} vs {}",
            want / 3.0
        );

        // Logits at the masked rows are the rows of the full computation.
        let all = Tensor::arange(0u32, 10, &dev)?;
        let full: Vec<Vec<f64>> = head.logits(hidden.as_tensor(), &all)?.to_vec2()?;
        for (a, b) in full[6].iter().zip(&logits[2]) {
            assert!((a - b).abs() < 1e-12);
        }

        let mut probed = vec![hidden.clone()];
        let data = varmap
            .data()
            .lock()
            .map_err(|_| BaliError::Internal("poisoned".into()))?;
        let mut names: Vec<&String> = data.keys().collect();
        names.sort();
        probed.extend(names.into_iter().map(|n| data[n].clone()));
        drop(data);
        assert_eq!(probed.len(), 7);
        let out = check(
            &probed,
            || head.loss(hidden.as_tensor(), &positions, &labels),
            1e-6,
            16,
        )?;
        assert!(out.max_error < 1e-6, "{out:?}");

        let none = Tensor::zeros(0, DType::U32, &dev)?;
        let zero: f64 = head.loss(hidden.as_tensor(), &none, &none)?.to_scalar()?;
        assert_eq!(zero, 0.0);
        Ok(())
    }

    #[test]
    fn every_parameter_gets_a_gradient_and_moves_after_one_adamw_step() -> Result<()> {
        let dev = Device::Cpu;
        let config = tiny_config(2);
        let varmap = VarMap::new();
        let bert = Bert::random(config.clone(), 1, &varmap, DType::F32, &dev)?;
        let head = MlmHead::new(&config, 2, &varmap, DType::F32, &dev)?;
        let (ids, mask) = tiny_batch(&dev)?;
        let flat: Vec<u32> = ids.flatten_all()?.to_vec1()?;
        // Select every word so that the tiny batch always has targets.
        let opts = MaskingOptions {
            probability: 1.0,
            ..MaskingOptions::default()
        };
        let mut rng = crate::train::rng::TrainRng::new(17);
        let masked = mask_tokens(
            &flat,
            &[CLS, SEP, PAD],
            MASK,
            config.vocab_size as u32,
            &opts,
            &mut rng,
        );
        assert_eq!(masked.positions, [1, 2, 3, 6]);
        let (input, positions, labels) = masked.to_tensors(2, 5, &dev)?;
        let hidden = bert.forward(&input, None, &mask, &mut Mode::Train(&mut rng))?;
        let loss = head.loss(&hidden, &positions, &labels)?;

        let named: Vec<(String, Var)> = {
            let data = varmap
                .data()
                .lock()
                .map_err(|_| BaliError::Internal("poisoned".into()))?;
            data.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        assert_eq!(named.len(), bert.parameters().len() + 6);
        let grads = loss.backward()?;
        for (name, var) in &named {
            let g = grads
                .get(var.as_tensor())
                .ok_or_else(|| BaliError::Internal(format!("{name} received no gradient")))?;
            let size: f32 = g.abs()?.sum_all()?.to_scalar()?;
            assert!(size > 0.0, "{name} has an all-zero gradient");
        }

        let before: Vec<Tensor> = named
            .iter()
            .map(|(_, v)| v.as_tensor().copy())
            .collect::<candle_core::Result<_>>()?;
        let params = candle_nn::ParamsAdamW {
            lr: 1e-3,
            weight_decay: 0.0, // so that only the gradient can move a parameter
            ..Default::default()
        };
        let mut opt =
            candle_nn::AdamW::new(named.iter().map(|(_, v)| v.clone()).collect(), params)?;
        opt.step(&grads)?;
        for ((name, var), old) in named.iter().zip(before) {
            let moved: f32 = var.as_tensor().sub(&old)?.abs()?.max_all()?.to_scalar()?;
            assert!(moved > 0.0, "{name} did not change");
        }
        Ok(())
    }
}
