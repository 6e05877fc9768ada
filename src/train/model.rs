//! The BALI model as the trainer runs it: the shared BERT, the MLM head and the graph side
//! (GATv2 or GraphSAGE over name features, or the linearised-graph variant), all parameters in
//! one [`VarMap`], and the loss of one batch.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::align::{alignment_loss, scalar};
use super::batch::{HostBatch, Padded};
use super::bert::{mean_pool, pool_spans, Bert, BertConfig, Mode};
use super::graph::{GraphBatch, GraphConfig, GraphLayerKind, GraphModel};
use super::linearized::cls_states;
use super::mlm::MlmHead;
use super::rng::TrainRng;
use crate::error::Result;

/// Which graph encoder produces g_v.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GraphEncoderKind {
    /// GATv2 layers over star subgraphs of name features (BALI's default).
    Gatv2,
    /// GraphSAGE layers (mean aggregation) over the same stars.
    Graphsage,
    /// No GNN: each star written out as text and encoded by the shared LM; g_v is `[CLS]`.
    Linearized,
}

/// Shape of the GNN (ignored by the linearised variant). Hidden size is the LM's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GraphOptions {
    /// Message-passing layers (BALI: 5).
    pub layers: usize,
    /// GATv2 attention heads, concatenated; must divide the hidden size (BALI: 2).
    pub heads: usize,
    /// Dropout on GATv2 attention coefficients (BALI: 0.1).
    pub attention_dropout: f64,
    /// Dropout between layers and in the read-out (BALI: 0.1).
    pub dropout: f64,
}

impl Default for GraphOptions {
    fn default() -> Self {
        let g = GraphConfig::default();
        GraphOptions {
            layers: g.layers,
            heads: g.heads,
            attention_dropout: g.attention_dropout,
            dropout: g.dropout,
        }
    }
}

/// Where the language model starts.
#[derive(Debug, Clone)]
pub enum LmStart {
    /// A Hugging Face checkpoint directory.
    Pretrained(PathBuf),
    /// Random weights for this configuration, reproducible from the seed.
    Random {
        /// The encoder's configuration (from the model directory's `config.json`).
        config: BertConfig,
        /// Seed of the initialisation.
        seed: u64,
    },
}

impl LmStart {
    /// The BERT this start describes, registered in `varmap`.
    pub fn build(&self, varmap: &VarMap, dtype: DType, device: &Device) -> Result<Bert> {
        match self {
            LmStart::Pretrained(dir) => Bert::load(dir, varmap, dtype, device),
            LmStart::Random { config, seed } => {
                Bert::random(config.clone(), *seed, varmap, dtype, device)
            }
        }
    }
}

/// Weights of the two losses and the alignment temperature.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LossConfig {
    /// Weight of L_MLM.
    pub mlm_weight: f64,
    /// Weight of L_align.
    pub align_weight: f64,
    /// NT-Xent temperature.
    pub temperature: f64,
    /// Weight of the textual contrastive task (the reference's `--textual_contrastive_task`):
    /// NT-Xent between each pooled mention and the LM's own embedding of its concept's name
    /// (the star target's name drawn for the step), over the concepts the batch allows in
    /// name losses ([`HostBatch::name_loss`]).
    pub textual_weight: f64,
    /// Weight of the anchor term: the mean cosine distance of each pooled mention and each
    /// name embedding of the step to the same text through the frozen starting model
    /// ([`BaliModel::anchor_to`]). It keeps the LM's embedding space where the start had it
    /// while the alignment moves it; it uses no labels.
    pub anchor_weight: f64,
}

/// The losses of one batch: the total as a tensor to differentiate, the parts as numbers.
pub struct StepLosses {
    /// `mlm_weight * mlm + align_weight * align`.
    pub total: Tensor,
    /// L_MLM.
    pub mlm: f64,
    /// L_align (0 when the batch has no mention of a named concept).
    pub align: f64,
    /// The textual contrastive loss (0 when off or when no concept of the batch takes part).
    pub textual: f64,
    /// The anchor term (0 when off).
    pub anchor: f64,
}

/// Seed offsets of the fresh parts, so that each draws its own weights from the run's seed.
const MLM_SEED: u64 = 0x6d6c6d;
const GRAPH_STREAM: u64 = 0x6772;

/// Every trainable part.
pub struct BaliModel {
    /// All parameters, by name (BERT's HF names, `mlm.`, `graph.`, `readout.`).
    pub varmap: VarMap,
    /// The shared language model.
    pub bert: Bert,
    /// The fresh MLM head.
    pub mlm: MlmHead,
    /// The GNN and read-out; `None` for the linearised variant.
    pub graph: Option<GraphModel>,
    /// The frozen starting encoder of the anchor term; `None` when it is off.
    anchor: Option<Bert>,
    device: Device,
}

impl BaliModel {
    /// Builds the model: the LM from `start`, the heads freshly initialised from `seed`.
    pub fn new(
        start: &LmStart,
        encoder: GraphEncoderKind,
        graph: &GraphOptions,
        seed: u64,
        dtype: DType,
        device: &Device,
    ) -> Result<BaliModel> {
        let varmap = VarMap::new();
        let bert = start.build(&varmap, dtype, device)?;
        let config = bert.config().clone();
        let mlm = MlmHead::new(&config, seed ^ MLM_SEED, &varmap, dtype, device)?;
        let layer = match encoder {
            GraphEncoderKind::Gatv2 => Some(GraphLayerKind::Gatv2),
            GraphEncoderKind::Graphsage => Some(GraphLayerKind::Graphsage),
            GraphEncoderKind::Linearized => None,
        };
        let graph = match layer {
            Some(layer) => Some(GraphModel::new(
                &varmap,
                &GraphConfig {
                    layer,
                    layers: graph.layers,
                    heads: graph.heads,
                    attention_dropout: graph.attention_dropout,
                    dropout: graph.dropout,
                },
                config.hidden_size,
                dtype,
                device,
                &mut TrainRng::with_stream(seed, GRAPH_STREAM),
            )?),
            None => None,
        };
        Ok(BaliModel {
            varmap,
            bert,
            mlm,
            graph,
            anchor: None,
            device: device.clone(),
        })
    }

    /// Keeps a frozen copy of the encoder `start` describes, for the anchor term
    /// ([`LossConfig::anchor_weight`]); its weights are in no optimiser group.
    pub fn anchor_to(&mut self, start: &LmStart, dtype: DType) -> Result<()> {
        let frozen = VarMap::new();
        let bert = start.build(&frozen, dtype, &self.device)?;
        self.anchor = Some(bert.detached()?);
        Ok(())
    }

    /// The device the parameters live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    fn ids(&self, p: &Padded) -> Result<(Tensor, Tensor)> {
        Ok((
            Tensor::from_slice(&p.ids, (p.rows, p.cols), &self.device)?,
            Tensor::from_slice(&p.mask, (p.rows, p.cols), &self.device)?,
        ))
    }

    /// The mean-pooled embeddings `[rows, d]` of the rows of `names`, encoded by `bert` in
    /// buckets of similar length: the rows sorted by length are cut where the length grows, into
    /// buckets of at least [`MIN_BUCKET_ROWS`] rows, each padded only to its own longest row.
    /// A batch's names are short and uneven (48 names of 2-10 tokens: half the padded table was
    /// padding); the embeddings are those of one padded forward pass, up to rounding. Rows come
    /// back in their order; dropout masks are drawn bucket by bucket, in a fixed order.
    fn pooled_in_buckets(&self, bert: &Bert, names: &Padded, mode: &mut Mode) -> Result<Tensor> {
        let lengths: Vec<usize> = (0..names.rows)
            .map(|r| {
                let row = &names.mask[r * names.cols..(r + 1) * names.cols];
                row.iter().filter(|&&m| m != 0).count()
            })
            .collect();
        let mut order: Vec<usize> = (0..names.rows).collect();
        order.sort_by_key(|&r| (lengths[r], r));
        let mut pooled = Vec::new();
        let mut start = 0;
        while start < order.len() {
            let mut end = (start + MIN_BUCKET_ROWS).min(order.len());
            // Rows as long as the bucket's last one join it.
            while end < order.len() && lengths[order[end]] == lengths[order[end - 1]] {
                end += 1;
            }
            let rows = &order[start..end];
            let cols = lengths[*rows.last().unwrap_or(&0)].max(1).min(names.cols);
            let cut = |v: &[u32]| -> Vec<u32> {
                rows.iter()
                    .flat_map(|&r| v[r * names.cols..r * names.cols + cols].iter().copied())
                    .collect()
            };
            let ids = Tensor::from_vec(cut(&names.ids), (rows.len(), cols), &self.device)?;
            let mask = Tensor::from_vec(cut(&names.mask), (rows.len(), cols), &self.device)?;
            let states = bert.forward(&ids, None, &mask, mode)?;
            pooled.push(mean_pool(&states, &mask)?);
            start = end;
        }
        let sorted = Tensor::cat(&pooled, 0)?;
        // Row r of the batch is row `position[r]` of the sorted embeddings.
        let mut position = vec![0u32; names.rows];
        for (i, &r) in order.iter().enumerate() {
            position[r] = i as u32;
        }
        let position = Tensor::from_vec(position, names.rows, &self.device)?;
        Ok(sorted.index_select(&position, 0)?)
    }

    /// The losses of `batch` in training mode; dropout masks come from `rng` in a fixed order
    /// (sentences, then names or linearised stars, then the GNN).
    pub fn losses(
        &self,
        batch: &HostBatch,
        config: &LossConfig,
        rng: &mut TrainRng,
    ) -> Result<StepLosses> {
        self.losses_in(batch, config, Some(rng))
    }

    /// The losses of `batch` in evaluation mode (no dropout anywhere), as for held-out
    /// sentences; the model's state and every random stream are untouched.
    pub fn eval_losses(&self, batch: &HostBatch, config: &LossConfig) -> Result<StepLosses> {
        self.losses_in(batch, config, None)
    }

    /// The losses, with dropout drawn from `rng` when there is one.
    fn losses_in(
        &self,
        batch: &HostBatch,
        config: &LossConfig,
        mut rng: Option<&mut TrainRng>,
    ) -> Result<StepLosses> {
        let (ids, mask) = self.ids(&batch.text)?;
        let hidden = self.bert.forward(&ids, None, &mask, &mut mode(&mut rng))?;
        // A loss with weight 0 is not computed at all (its value reads 0 in the metrics).
        let mut total: Option<Tensor> = None;
        let mut add = |term: Tensor| -> Result<()> {
            total = Some(match total.take() {
                Some(t) => (t + term)?,
                None => term,
            });
            Ok(())
        };
        let mut mlm_value = 0.0;
        if config.mlm_weight > 0.0 {
            let positions = Tensor::from_slice(
                &batch.mlm_positions,
                batch.mlm_positions.len(),
                &self.device,
            )?;
            let labels =
                Tensor::from_slice(&batch.mlm_labels, batch.mlm_labels.len(), &self.device)?;
            let mlm = self.mlm.loss(&hidden, &positions, &labels)?;
            mlm_value = scalar(&mlm)?;
            add((mlm * config.mlm_weight)?)?;
        }
        let mut align_value = 0.0;
        let mut textual_value = 0.0;
        let mut anchor_value = 0.0;
        let textual = config.textual_weight > 0.0 && batch.name_loss.iter().any(|&a| a);
        if (config.align_weight > 0.0 || textual)
            && !batch.spans.is_empty()
            && !batch.star_concepts.is_empty()
        {
            let mentions = pool_mentions(&hidden, batch)?;
            let (nodes, targets, features) = self.graph_states(batch, rng)?;
            if let (true, Some(base), Some(features)) =
                (config.anchor_weight > 0.0, &self.anchor, &features)
            {
                let anchor = self.anchor_term(base, batch, &ids, &mask, &mentions, features)?;
                anchor_value = scalar(&anchor)?;
                add((anchor * config.anchor_weight)?)?;
            }
            if config.align_weight > 0.0 {
                let align = alignment_loss(
                    &mentions,
                    &batch.span_concepts,
                    &nodes,
                    &batch.star_concepts,
                    config.temperature,
                )?;
                align_value = scalar(&align)?;
                add((align * config.align_weight)?)?;
            }
            if let (true, Some(targets)) = (textual, targets) {
                // Only the concepts allowed in name losses, on both sides.
                let allowed: std::collections::HashSet<u32> = batch
                    .star_concepts
                    .iter()
                    .zip(&batch.name_loss)
                    .filter(|(_, &a)| a)
                    .map(|(&c, _)| c)
                    .collect();
                let pick = |labels: &[u32]| -> Vec<u32> {
                    (0..labels.len() as u32)
                        .filter(|&i| allowed.contains(&labels[i as usize]))
                        .collect()
                };
                let (m, t) = (pick(&batch.span_concepts), pick(&batch.star_concepts));
                if !m.is_empty() {
                    let rows = |ix: &[u32]| Tensor::from_slice(ix, ix.len(), &self.device);
                    let labels = |ix: &[u32], all: &[u32]| -> Vec<u32> {
                        ix.iter().map(|&i| all[i as usize]).collect()
                    };
                    let loss = alignment_loss(
                        &mentions.index_select(&rows(&m)?, 0)?,
                        &labels(&m, &batch.span_concepts),
                        &targets.index_select(&rows(&t)?, 0)?,
                        &labels(&t, &batch.star_concepts),
                        config.temperature,
                    )?;
                    textual_value = scalar(&loss)?;
                    add((loss * config.textual_weight)?)?;
                }
            }
        }
        let total = match total {
            Some(t) => t,
            None => Tensor::zeros((), hidden.dtype(), &self.device)?,
        };
        Ok(StepLosses {
            total,
            mlm: mlm_value,
            align: align_value,
            textual: textual_value,
            anchor: anchor_value,
        })
    }

    /// The anchor term: the mean cosine distance of `mentions` and the name `features` to the
    /// same mentions and names through the frozen starting encoder `base` (no dropout).
    fn anchor_term(
        &self,
        base: &Bert,
        batch: &HostBatch,
        ids: &Tensor,
        mask: &Tensor,
        mentions: &Tensor,
        features: &Tensor,
    ) -> Result<Tensor> {
        let hidden = base.forward(ids, None, mask, &mut Mode::Eval)?;
        let base_mentions = pool_mentions(&hidden, batch)?;
        let base_names = self.pooled_in_buckets(base, &batch.names, &mut Mode::Eval)?;
        let ours = Tensor::cat(&[mentions, features], 0)?;
        let theirs = Tensor::cat(&[&base_mentions, &base_names], 0)?;
        mean_cosine_distance(&ours, &theirs.detach())
    }

    /// g_v for every star of `batch`, and (GNN variants) the LM's mean-pooled embedding of
    /// each star's target name, the textual task's other side, and of every name of the batch.
    fn graph_states(
        &self,
        batch: &HostBatch,
        mut rng: Option<&mut TrainRng>,
    ) -> Result<(Tensor, Option<Tensor>, Option<Tensor>)> {
        match (&self.graph, &batch.linearized) {
            (Some(graph), _) => {
                let features =
                    self.pooled_in_buckets(&self.bert, &batch.names, &mut mode(&mut rng))?;
                let stars = GraphBatch::new(&batch.stars, batch.names.rows, &self.device)?;
                let targets: Vec<u32> = batch.stars.iter().map(|s| s.target).collect();
                let targets = Tensor::from_slice(&targets, targets.len(), &self.device)?;
                let names = features.index_select(&targets, 0)?;
                let nodes = graph.forward(&features, &stars, rng)?;
                Ok((nodes, Some(names), Some(features)))
            }
            (None, Some(seqs)) => {
                let (ids, mask) = self.ids(seqs)?;
                let states = self.bert.forward(&ids, None, &mask, &mut mode(&mut rng))?;
                Ok((cls_states(&states)?, None, None))
            }
            (None, None) => Err(crate::error::BaliError::Internal(
                "a linearised model got a batch without linearised stars".into(),
            )),
        }
    }
}

/// One vector per (sentence, concept) of `batch`: its mention tokens in `hidden`, averaged.
fn pool_mentions(hidden: &Tensor, batch: &HostBatch) -> Result<Tensor> {
    pool_spans(
        hidden,
        &batch.spans,
        &batch.span_groups,
        batch.span_concepts.len(),
    )
}

/// The fewest names [`Model::pooled_in_buckets`] encodes in one pass: smaller buckets cost more
/// in per-pass overhead and small matrix products than their padding saved.
const MIN_BUCKET_ROWS: usize = 16;

/// Training mode with dropout from `rng`, or evaluation mode without one.
fn mode<'a>(rng: &'a mut Option<&mut TrainRng>) -> Mode<'a> {
    match rng {
        Some(r) => Mode::Train(r),
        None => Mode::Eval,
    }
}

/// `mean_i (1 - cos(a_i, b_i))` over the rows of `a` and `b` (`[n, d]`, `n > 0`).
pub fn mean_cosine_distance(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let dot = (a * b)?.sum(1)?;
    let norms = (a.sqr()?.sum(1)?.sqrt()? * b.sqr()?.sum(1)?.sqrt()?)?;
    let cos = (dot / norms.clamp(1e-12, f64::INFINITY)?)?;
    Ok(cos.affine(-1.0, 1.0)?.mean_all()?)
}

/// The files of a model directory whose contents define the model (config, weights,
/// tokenizer): the trainer's fingerprinted files.
pub fn model_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["config.json", "model.safetensors"]
        .iter()
        .chain(super::export::TOKENIZER_FILES)
        .map(|f| dir.join(f))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn names_in_length_buckets_embed_as_one_padded_pass_does() -> Result<()> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample_data/models/tiny-bert");
        let model = BaliModel::new(
            &LmStart::Pretrained(dir),
            GraphEncoderKind::Gatv2,
            &GraphOptions::default(),
            29,
            DType::F32,
            &Device::Cpu,
        )?;
        // 45 names of 1 to 9 tokens in no order: several buckets, ties across a cut.
        let vocab = model.bert.config().vocab_size as u32;
        let seqs: Vec<Vec<u32>> = (0..45u32)
            .map(|i| {
                (0..1 + (i * 7) % 9)
                    .map(|j| 5 + (i * 31 + j * 17) % (vocab - 5))
                    .collect()
            })
            .collect();
        let names = Padded::new(seqs.iter().map(Vec::as_slice), 0, 64);
        assert_eq!(names.cols, 9);
        let bucketed = model.pooled_in_buckets(&model.bert, &names, &mut Mode::Eval)?;
        let (ids, mask) = model.ids(&names)?;
        let states = model.bert.forward(&ids, None, &mask, &mut Mode::Eval)?;
        let whole = mean_pool(&states, &mask)?;
        assert_eq!(bucketed.dims(), whole.dims());
        let diff: f32 = bucketed.sub(&whole)?.abs()?.max_all()?.to_scalar()?;
        assert!(diff < 1e-5, "largest difference {diff}");
        Ok(())
    }
}
