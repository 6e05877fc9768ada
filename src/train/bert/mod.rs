//! The BERT encoder, written from differentiable candle ops so that every parameter trains.
//!
//! It computes what Hugging Face's `BertModel` computes (post-layer-norm transformer, absolute
//! position embeddings, additive attention mask) and is checked against transformers' own
//! output on the real MiniLM checkpoint. The modules form a tree ([`tree`]) whose paths are
//! `BertModel`'s key names, with no prefix (`embeddings.word_embeddings.weight`,
//! `encoder.layer.0.attention.self.query.weight`, ...), so that loading and export are walks of
//! the tree. The parameters live in the caller's [`candle_nn::VarMap`] under those names, so the
//! optimiser can tell the language model from the heads (`mlm.`, `graph.`, `readout.`) by prefix.
//!
//! Layout: hidden states stay a `[B*T, d]` matrix between layers, so every dense layer is one
//! large matrix product; only attention reshapes to `[B, heads, T, head]` for its batched
//! products.

pub mod config;
pub mod fused;
pub mod ops;
pub mod tree;
pub mod weights;

use std::collections::BTreeMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;
use tracing::info;

pub use config::{Activation, BertConfig};
pub use ops::Mode;

use crate::error::{BaliError, Result};
use ops::{activate, attention, attention_bias, dropout_add, layer_norm, linear};
use tree::{BertModel, Layer};

/// A BERT encoder whose parameters are variables of a [`VarMap`].
pub struct Bert {
    config: BertConfig,
    /// The modules, at the paths of their Hugging Face names.
    model: BertModel,
    /// Tensors of `BertModel` that BALI does not train (pooler, position-id buffer), kept for
    /// export.
    carried: BTreeMap<String, Tensor>,
}

impl Bert {
    /// Loads a Hugging Face checkpoint directory (`config.json`, `model.safetensors`) and
    /// registers its encoder tensors in `varmap` as variables of `dtype` on `device`.
    ///
    /// Keys with a `bert.` prefix or TensorFlow-era `gamma`/`beta` names are accepted; heads of
    /// other architectures are ignored. A checkpoint stored only as `pytorch_model.bin` is
    /// refused with a hint to convert it: bali reads safetensors only.
    pub fn load(dir: &Path, varmap: &VarMap, dtype: DType, device: &Device) -> Result<Bert> {
        let config = BertConfig::from_file(&dir.join("config.json"))?;
        let weights = dir.join("model.safetensors");
        if !weights.exists() {
            let hint = if dir.join("pytorch_model.bin").exists() {
                "; only pytorch_model.bin is there: convert it once with transformers \
                 (`AutoModel.from_pretrained(dir).save_pretrained(dir, safe_serialization=True)`)"
            } else {
                ""
            };
            return Err(BaliError::Spec(format!(
                "model directory {} has no model.safetensors{hint}",
                dir.display()
            )));
        }
        let tensors = weights::read_checkpoint(&weights, &config, dtype, device)?;
        info!(
            dir = %dir.display(),
            layers = config.num_hidden_layers,
            hidden = config.hidden_size,
            "loaded BERT checkpoint"
        );
        Bert::register(config, tensors.encoder, tensors.carried, varmap)
    }

    /// A randomly initialised encoder (Hugging Face's scheme: normal(0, initializer_range)
    /// weights, zero biases, unit layer norms, zero `[PAD]` embedding), reproducible from
    /// `seed`.
    pub fn random(
        config: BertConfig,
        seed: u64,
        varmap: &VarMap,
        dtype: DType,
        device: &Device,
    ) -> Result<Bert> {
        config.validate().map_err(BaliError::Spec)?;
        let (encoder, pooler) = weights::random_tensors(&config, seed, dtype, device)?;
        Bert::register(config, encoder, pooler, varmap)
    }

    fn register(
        config: BertConfig,
        encoder: BTreeMap<String, Tensor>,
        carried: BTreeMap<String, Tensor>,
        varmap: &VarMap,
    ) -> Result<Bert> {
        let mut params = BTreeMap::new();
        for (name, tensor) in encoder {
            let t = weights::new_param(varmap, &name, tensor)?;
            params.insert(name, t);
        }
        Bert::assemble(config, params, carried)
    }

    /// The same encoder over detached copies of its tensors (sharing their storage): its
    /// forward pass records no autograd graph, for inference (evaluation, exports' checks).
    pub fn detached(&self) -> Result<Bert> {
        let params = self
            .parameters()
            .into_iter()
            .map(|(name, t)| (name, t.detach()))
            .collect();
        Bert::assemble(self.config.clone(), params, self.carried.clone())
    }

    /// Builds the module tree over `params` (tensors by `BertModel` name).
    fn assemble(
        config: BertConfig,
        params: BTreeMap<String, Tensor>,
        carried: BTreeMap<String, Tensor>,
    ) -> Result<Bert> {
        let model = BertModel::from_named(&config, &params)?;
        Ok(Bert {
            config,
            model,
            carried,
        })
    }

    /// The configuration the encoder was built from.
    pub fn config(&self) -> &BertConfig {
        &self.config
    }

    /// The trainable tensors by `BertModel` name (views of the VarMap's variables): a walk of
    /// the module tree.
    pub fn parameters(&self) -> BTreeMap<String, Tensor> {
        self.model.named()
    }

    /// The `BertModel` tensors that are carried through unchanged (pooler, buffers).
    pub fn carried(&self) -> &BTreeMap<String, Tensor> {
        &self.carried
    }

    /// Last-layer hidden states `[B, T, d]`.
    ///
    /// `input_ids` and `attention_mask` are `[B, T]` (`u32` ids; mask 1 for tokens, 0 for
    /// padding, any numeric dtype); `token_type_ids` defaults to all zeros. Padded positions
    /// still get states (as in Hugging Face); they are simply never attended to.
    pub fn forward(
        &self,
        input_ids: &Tensor,
        token_type_ids: Option<&Tensor>,
        attention_mask: &Tensor,
        mode: &mut Mode,
    ) -> Result<Tensor> {
        let (b, t) = input_ids.dims2()?;
        if t > self.config.max_position_embeddings {
            return Err(BaliError::Internal(format!(
                "a batch of {t} tokens per row exceeds max_position_embeddings {}",
                self.config.max_position_embeddings
            )));
        }
        if attention_mask.dims() != [b, t] {
            return Err(BaliError::Internal(format!(
                "attention mask {:?} does not match input ids {:?}",
                attention_mask.dims(),
                input_ids.dims()
            )));
        }
        let dtype = self.model.embeddings.word_embeddings.dtype();
        let mut x = self.embed(input_ids, token_type_ids, mode)?;
        let bias = attention_bias(attention_mask, dtype)?;
        for layer in &self.model.encoder.layer {
            x = self.layer_forward(layer, &x, &bias, mode)?;
        }
        Ok(x.reshape((b, t, self.config.hidden_size))?)
    }

    /// Embeddings as a `[B*T, d]` matrix.
    fn embed(&self, ids: &Tensor, token_types: Option<&Tensor>, mode: &mut Mode) -> Result<Tensor> {
        let (b, t) = ids.dims2()?;
        let d = self.config.hidden_size;
        let e = &self.model.embeddings;
        let words = e
            .word_embeddings
            .index_select(&ids.flatten_all()?, 0)?
            .reshape((b, t, d))?;
        let positions = e.position_embeddings.narrow(0, 0, t)?;
        let x = words.broadcast_add(&positions)?;
        let x = match token_types {
            Some(tt) => x.add(
                &e.token_type_embeddings
                    .index_select(&tt.flatten_all()?, 0)?
                    .reshape((b, t, d))?,
            )?,
            None => x.broadcast_add(&e.token_type_embeddings.narrow(0, 0, 1)?)?,
        };
        let x = layer_norm(
            &x.reshape((b * t, d))?,
            &e.layer_norm.weight,
            &e.layer_norm.bias,
            self.config.layer_norm_eps,
        )?;
        mode.dropout(&x, self.config.hidden_dropout_prob)
    }

    /// Multi-head self-attention of `x` `[B*T, d]` followed by the output projection (before
    /// its dropout and residual). `bias` is [`attention_bias`] of the padding mask.
    fn self_attention(
        &self,
        layer: &Layer,
        x: &Tensor,
        bias: &Tensor,
        mode: &mut Mode,
    ) -> Result<Tensor> {
        let c = &self.config;
        let own = &layer.attention.self_attention;
        let q = linear(x, &own.query.weight, &own.query.bias)?;
        let k = linear(x, &own.key.weight, &own.key.bias)?;
        let v = linear(x, &own.value.weight, &own.value.bias)?;
        let context = attention(
            &q,
            &k,
            &v,
            bias,
            c.num_attention_heads,
            c.attention_probs_dropout_prob,
            mode,
        )?;
        let out = &layer.attention.output.dense;
        linear(&context, &out.weight, &out.bias)
    }

    fn layer_forward(
        &self,
        layer: &Layer,
        x: &Tensor,
        bias: &Tensor,
        mode: &mut Mode,
    ) -> Result<Tensor> {
        let c = &self.config;
        let attn = self.self_attention(layer, x, bias, mode)?;
        let attn_ln = &layer.attention.output.layer_norm;
        let a = layer_norm(
            &dropout_add(&attn, x, c.hidden_dropout_prob, mode)?,
            &attn_ln.weight,
            &attn_ln.bias,
            c.layer_norm_eps,
        )?;
        let up = &layer.intermediate.dense;
        let inter = activate(&linear(&a, &up.weight, &up.bias)?, c.hidden_act)?;
        let down = &layer.output.dense;
        let out = linear(&inter, &down.weight, &down.bias)?;
        let out_ln = &layer.output.layer_norm;
        layer_norm(
            &dropout_add(&out, &a, c.hidden_dropout_prob, mode)?,
            &out_ln.weight,
            &out_ln.bias,
            c.layer_norm_eps,
        )
    }
}

/// Mean of `hidden` `[B, T, d]` over the positions where `mask` `[B, T]` is 1: the sentence or
/// name embedding (sentence-transformers' mean pooling; BALI's node features). A row with no
/// tokens gives zeros rather than NaN.
pub fn mean_pool(hidden: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let (b, t, _) = hidden.dims3()?;
    if mask.dims() != [b, t] {
        return Err(BaliError::Internal(format!(
            "mask {:?} does not match hidden states {:?}",
            mask.dims(),
            hidden.dims()
        )));
    }
    let m = mask.to_dtype(hidden.dtype())?;
    let summed = fused::batched_matmul(&m.unsqueeze(1)?, hidden)?.squeeze(1)?;
    let counts = m.sum_keepdim(1)?.clamp(1e-9, f64::MAX)?;
    Ok(summed.broadcast_div(&counts)?)
}

/// A run of sub-tokens `[start, end)` in row `row` of a batch: one mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenSpan {
    /// Row of the batch.
    pub row: usize,
    /// First sub-token.
    pub start: usize,
    /// One past the last sub-token.
    pub end: usize,
}

/// Mean of `hidden` `[B, T, d]` over the tokens of each group of spans: `[outputs, d]`, BALI's
/// mention representation. `groups[i]` is the output row of span `i`; a group's spans are
/// averaged over all their tokens together (the reference pools one vector per (sentence,
/// concept), over every token of that concept's mentions in the sentence).
///
/// Gathers the spans' rows and sums them per group with `index_add`, so the cost grows with the
/// number of tokens inside spans, not with spans x batch tokens.
pub fn pool_spans(
    hidden: &Tensor,
    spans: &[TokenSpan],
    groups: &[u32],
    outputs: usize,
) -> Result<Tensor> {
    let (b, t, d) = hidden.dims3()?;
    if groups.len() != spans.len() || groups.iter().any(|&g| g as usize >= outputs) {
        return Err(BaliError::Internal(format!(
            "{} span groups for {} spans and {outputs} outputs",
            groups.len(),
            spans.len()
        )));
    }
    let mut tokens = vec![0usize; outputs];
    for (s, &g) in spans.iter().zip(groups) {
        if s.row >= b || s.start >= s.end || s.end > t {
            return Err(BaliError::Internal(format!(
                "token span {s:?} is empty or outside a batch of {b} x {t} tokens"
            )));
        }
        tokens[g as usize] += s.end - s.start;
    }
    let mut rows = Vec::new();
    let mut owner = Vec::new();
    let mut weight = Vec::new();
    for (s, &g) in spans.iter().zip(groups) {
        let w = 1.0 / tokens[g as usize] as f64;
        for j in s.start..s.end {
            rows.push((s.row * t + j) as u32);
            owner.push(g);
            weight.push(w);
        }
    }
    let dev = hidden.device();
    let n = rows.len();
    let rows = Tensor::from_vec(rows, n, dev)?;
    let owner = Tensor::from_vec(owner, n, dev)?;
    let weight = Tensor::from_vec(weight, (n, 1), dev)?.to_dtype(hidden.dtype())?;
    let picked = hidden
        .reshape((b * t, d))?
        .index_select(&rows, 0)?
        .broadcast_mul(&weight)?;
    let zeros = Tensor::zeros((outputs, d), hidden.dtype(), dev)?;
    Ok(zeros.index_add(&owner, &picked, 0)?)
}

#[cfg(test)]
pub(crate) mod tests;
