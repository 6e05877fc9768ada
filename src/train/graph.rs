//! The graph encoder of BALI: GATv2 (default) or GraphSAGE layers over the star subgraphs of a
//! batch, and the read-out head that turns each target node into its graph representation g_v.
//!
//! A batch's stars are laid out as one sparse graph ([`GraphBatch`]), as PyTorch Geometric's
//! `Batch` does in the reference implementation: the target nodes first (rows `0..T`, one per
//! star, in star order), then every star's sampled neighbours; edges run neighbour -> target.
//! Attention and aggregation are edge lists plus `index_select` / `index_add`, never a dense
//! N x N matrix, so memory grows with the number of edges.
//!
//! The layers compute what PyG's `GATv2Conv(share_weights=True)` and `SAGEConv` compute, with
//! their parameter layout and initialisation, so that a reference run and ours start from the
//! same distribution. Parameters live in the trainer's `VarMap` under `graph.` and `readout.`,
//! which is how the optimiser puts them in the graph learning-rate group.

use candle_core::{DType, Device, Tensor, D};
use candle_nn::VarMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{BaliError, Result};
use crate::train::bert::ops::linear;
use crate::train::rng::{dropout, TrainRng};

/// Which message-passing layer the graph encoder stacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GraphLayerKind {
    /// GATv2 with shared source/target weights and self-loops (the BALI default).
    Gatv2,
    /// GraphSAGE with mean aggregation over neighbours plus a root weight.
    Graphsage,
}

/// Options of the graph encoder and its read-out. The hidden size is not an option: it is the
/// language model's, because node features are LM states and g_v is compared with LM states.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GraphConfig {
    /// Layer type: `gatv2` (default) or `graphsage`.
    pub layer: GraphLayerKind,
    /// Number of message-passing layers (BALI: 5).
    pub layers: usize,
    /// Attention heads of each GATv2 layer; each head has hidden/heads channels and the heads
    /// are concatenated (BALI: 2). Ignored by GraphSAGE.
    pub heads: usize,
    /// Dropout on the attention coefficients of each GATv2 layer (BALI: 0.1).
    pub attention_dropout: f64,
    /// Dropout between layers (before the GELU) and in the read-out (BALI: 0.1).
    pub dropout: f64,
}

impl Default for GraphConfig {
    fn default() -> Self {
        Self {
            layer: GraphLayerKind::Gatv2,
            layers: 5,
            heads: 2,
            attention_dropout: 0.1,
            dropout: 0.1,
        }
    }
}

impl GraphConfig {
    /// Checks the options against the hidden size they will be used with.
    pub fn validate(&self, hidden: usize) -> Result<()> {
        let mut problems = Vec::new();
        if self.layers == 0 {
            problems.push("graph `layers` must be at least 1".to_string());
        }
        if self.layer == GraphLayerKind::Gatv2
            && (self.heads == 0 || !hidden.is_multiple_of(self.heads))
        {
            problems.push(format!(
                "graph `heads` ({}) must divide the language model's hidden size ({hidden})",
                self.heads
            ));
        }
        for (name, p) in [
            ("dropout", self.dropout),
            ("attention_dropout", self.attention_dropout),
        ] {
            if !(0.0..1.0).contains(&p) {
                problems.push(format!("graph `{name}` ({p}) must be in [0, 1)"));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(BaliError::Spec(problems.join("; ")))
        }
    }
}

/// One target concept's star subgraph, as rows of the node-feature matrix: the target's row
/// and the rows of its sampled neighbours. Two stars may share feature rows (a name encoded
/// once for the batch); they still become separate nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Star {
    /// Feature row of the target node.
    pub target: u32,
    /// Feature rows of the sampled neighbours (edges neighbour -> target).
    pub neighbours: Vec<u32>,
}

/// The stars of a batch as one sparse graph, with the index tensors every layer needs built
/// once per batch.
///
/// Invariants: nodes `0..num_targets` are the targets in star order, then each star's
/// neighbours in order; `src`/`dst` hold the star edges only (neighbour -> target); the
/// self-loop-augmented edge list GATv2 uses has the N self-loops first, then the star edges.
#[derive(Debug, Clone)]
pub struct GraphBatch {
    feature_rows: Tensor,
    src: Tensor,
    dst: Tensor,
    loop_src: Tensor,
    loop_dst: Tensor,
    incoming: Tensor,
    degree: Tensor,
    num_nodes: usize,
    num_targets: usize,
    num_edges: usize,
}

impl GraphBatch {
    /// Lays `stars` out as one graph. `num_features` is the number of rows of the feature
    /// matrix the stars index into; an index outside it is an error here rather than a failed
    /// gather deep inside a layer.
    pub fn new(stars: &[Star], num_features: usize, device: &Device) -> Result<Self> {
        if stars.is_empty() {
            return Err(BaliError::Internal(
                "a graph batch needs at least one star".into(),
            ));
        }
        let num_targets = stars.len();
        let num_neighbours: usize = stars.iter().map(|s| s.neighbours.len()).sum();
        let num_nodes = num_targets + num_neighbours;
        let mut feature_rows = Vec::with_capacity(num_nodes);
        feature_rows.extend(stars.iter().map(|s| s.target));
        let mut src = Vec::with_capacity(num_neighbours);
        let mut dst = Vec::with_capacity(num_neighbours);
        for (t, star) in stars.iter().enumerate() {
            for &row in &star.neighbours {
                src.push(to_u32(feature_rows.len())?);
                dst.push(to_u32(t)?);
                feature_rows.push(row);
            }
        }
        if let Some(&bad) = feature_rows.iter().find(|&&r| r as usize >= num_features) {
            return Err(BaliError::Internal(format!(
                "a star refers to feature row {bad} but the batch has {num_features} node features"
            )));
        }

        // Self-loops first, then the star edges: edge id e < N is node e's self-loop.
        let num_edges = num_neighbours;
        let mut loop_src: Vec<u32> = (0..to_u32(num_nodes)?).collect();
        let mut loop_dst = loop_src.clone();
        loop_src.extend_from_slice(&src);
        loop_dst.extend_from_slice(&dst);

        // Incoming edges of each node, padded with the sentinel id N + E (a row of -inf when
        // the per-target maximum of the attention logits is taken).
        let mut lists: Vec<Vec<u32>> = (0..to_u32(num_nodes)?).map(|i| vec![i]).collect();
        for (k, &d) in dst.iter().enumerate() {
            lists[d as usize].push(to_u32(num_nodes + k)?);
        }
        let width = lists.iter().map(Vec::len).max().unwrap_or(1); // >= 1: every list holds its self-loop
        let sentinel = to_u32(num_nodes + num_edges)?;
        let mut incoming = Vec::with_capacity(num_nodes * width);
        for list in &lists {
            incoming.extend_from_slice(list);
            incoming.extend(std::iter::repeat_n(sentinel, width - list.len()));
        }

        // In-degree over the star edges, at least 1: PyG's scatter mean divides the sum by the
        // count clamped to 1, so a node without neighbours aggregates 0.
        let degree: Vec<f32> = lists.iter().map(|l| (l.len() - 1).max(1) as f32).collect();

        Ok(Self {
            feature_rows: Tensor::from_vec(feature_rows, num_nodes, device)?,
            src: Tensor::from_vec(src, num_edges, device)?,
            dst: Tensor::from_vec(dst, num_edges, device)?,
            loop_src: Tensor::from_vec(loop_src, num_nodes + num_edges, device)?,
            loop_dst: Tensor::from_vec(loop_dst, num_nodes + num_edges, device)?,
            incoming: Tensor::from_vec(incoming, (num_nodes, width), device)?,
            degree: Tensor::from_vec(degree, (num_nodes, 1), device)?,
            num_nodes,
            num_targets,
            num_edges,
        })
    }

    /// Number of nodes (targets plus neighbours).
    pub fn num_nodes(&self) -> usize {
        self.num_nodes
    }

    /// Number of targets (stars); they are nodes `0..num_targets`.
    pub fn num_targets(&self) -> usize {
        self.num_targets
    }

    /// Number of star edges (without self-loops).
    pub fn num_edges(&self) -> usize {
        self.num_edges
    }

    /// Feature-matrix row of every node (`u32`, `[N]`).
    pub fn feature_rows(&self) -> &Tensor {
        &self.feature_rows
    }

    /// Source node of every star edge (`u32`, `[E]`).
    pub fn src(&self) -> &Tensor {
        &self.src
    }

    /// Target node of every star edge (`u32`, `[E]`).
    pub fn dst(&self) -> &Tensor {
        &self.dst
    }
}

fn to_u32(n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| BaliError::Internal(format!("graph batch too large: {n} nodes")))
}

/// Creates a parameter in `varmap` under `name`; a name that is already taken is a bug (two
/// layers would silently share weights).
fn new_param(varmap: &VarMap, name: String, init: Tensor) -> Result<Tensor> {
    let mut vars = varmap
        .data()
        .lock()
        .map_err(|_| BaliError::Internal("the parameter map's lock is poisoned".into()))?;
    if vars.contains_key(&name) {
        return Err(BaliError::Internal(format!(
            "parameter `{name}` is created twice"
        )));
    }
    let var = candle_core::Var::from_tensor(&init)?;
    let tensor = var.as_tensor().clone();
    vars.insert(name, var);
    Ok(tensor)
}

/// Where new parameters go and how they are drawn.
struct ParamInit<'a> {
    varmap: &'a VarMap,
    rng: &'a mut TrainRng,
    dtype: DType,
    device: &'a Device,
}

impl ParamInit<'_> {
    fn uniform(&mut self, name: String, shape: &[usize], bound: f64) -> Result<Tensor> {
        let init = self.rng.uniform(shape, bound, self.dtype, self.device)?;
        new_param(self.varmap, name, init)
    }

    fn constant(&mut self, name: String, shape: &[usize], value: f64) -> Result<Tensor> {
        let init = (Tensor::ones(shape, self.dtype, self.device)? * value)?;
        new_param(self.varmap, name, init)
    }
}

/// One GATv2 layer with shared weights, as PyG's `GATv2Conv(share_weights=True)`:
/// `h = W x + b_W` for every node; for an edge j -> i the logit per head is
/// `a^T LeakyReLU_0.2(h_i + h_j)`; the logits are soft-maxed over the incoming edges of each
/// target, self-loop included; the output is `sum_j alpha_ij h_j`, heads concatenated, plus a
/// bias.
struct Gatv2Layer {
    weight: Tensor,
    lin_bias: Tensor,
    att: Tensor,
    bias: Tensor,
    heads: usize,
    channels: usize,
    attention_dropout: f64,
}

/// LeakyReLU slope of GATv2's attention (PyG's default).
const NEGATIVE_SLOPE: f64 = 0.2;

impl Gatv2Layer {
    fn new(
        init: &mut ParamInit<'_>,
        prefix: &str,
        dims: (usize, usize),
        config: &GraphConfig,
    ) -> Result<Self> {
        let (input, output) = dims;
        let heads = config.heads;
        let channels = output / heads;
        // PyG: glorot for the weight and for `att` (over its last two dims), the linear's bias
        // uniform in 1/sqrt(fan_in), the output bias zero.
        let glorot = (6.0 / (input + output) as f64).sqrt();
        let weight = init.uniform(format!("{prefix}.lin_l.weight"), &[output, input], glorot)?;
        let lin_bias = init.uniform(
            format!("{prefix}.lin_l.bias"),
            &[output],
            1.0 / (input as f64).sqrt(),
        )?;
        let att_bound = (6.0 / (heads + channels) as f64).sqrt();
        let att = init.uniform(format!("{prefix}.att"), &[1, heads, channels], att_bound)?;
        let bias = init.constant(format!("{prefix}.bias"), &[output], 0.0)?;
        Ok(Self {
            weight,
            lin_bias,
            att,
            bias,
            heads,
            channels,
            attention_dropout: config.attention_dropout,
        })
    }

    fn forward(
        &self,
        x: &Tensor,
        batch: &GraphBatch,
        rng: Option<&mut TrainRng>,
    ) -> Result<Tensor> {
        let (h, c) = (self.heads, self.channels);
        let n = batch.num_nodes;
        let e = n + batch.num_edges;
        let xw = linear(x, &self.weight, &self.lin_bias)?;
        let x_j = xw.index_select(&batch.loop_src, 0)?;
        let x_i = xw.index_select(&batch.loop_dst, 0)?;
        let hidden =
            candle_nn::ops::leaky_relu(&(&x_i + &x_j)?, NEGATIVE_SLOPE)?.reshape((e, h, c))?;
        let logits = hidden.broadcast_mul(&self.att)?.sum(D::Minus1)?; // [E, H]

        // Edge softmax per target, shifted by the target's maximum logit (detached, as PyG
        // does) so that exp cannot overflow; the self-loop keeps every sum at least 1.
        let padded = Tensor::cat(
            &[
                logits.detach(),
                Tensor::full(f32::NEG_INFINITY, (1, h), x.device())?.to_dtype(logits.dtype())?,
            ],
            0,
        )?;
        let width = batch.incoming.dim(1)?;
        let node_max = padded
            .index_select(&batch.incoming.flatten_all()?, 0)?
            .reshape((n, width, h))?
            .max(1)?; // [N, H]
        let shifted = (&logits - node_max.index_select(&batch.loop_dst, 0)?)?.exp()?;
        let sums = Tensor::zeros((n, h), logits.dtype(), x.device())?.index_add(
            &batch.loop_dst,
            &shifted,
            0,
        )?;
        // PyG adds 1e-16 to the denominator; kept for parity.
        let denom = (sums + 1e-16)?.index_select(&batch.loop_dst, 0)?;
        let alpha = (shifted / denom)?;
        let alpha = dropout(&alpha, self.attention_dropout, rng)?;

        let messages = x_j
            .reshape((e, h, c))?
            .broadcast_mul(&alpha.unsqueeze(2)?)?;
        let out = Tensor::zeros((n, h, c), x.dtype(), x.device())?
            .index_add(&batch.loop_dst, &messages, 0)?
            .reshape((n, h * c))?;
        Ok(out.broadcast_add(&self.bias)?)
    }
}

/// One GraphSAGE layer with mean aggregation, as PyG's `SAGEConv`:
/// `out_i = W_l mean_{j -> i} x_j + b_l + W_r x_i`. It uses the star edges only (the root
/// weight plays the self-loop's part); a node without neighbours aggregates zero.
struct SageLayer {
    weight_l: Tensor,
    bias_l: Tensor,
    weight_r: Tensor,
}

impl SageLayer {
    fn new(init: &mut ParamInit<'_>, prefix: &str, dims: (usize, usize)) -> Result<Self> {
        let (input, output) = dims;
        // PyG's Linear default: kaiming-uniform(a = sqrt 5) = uniform in 1/sqrt(fan_in), for
        // the weights and the bias alike.
        let bound = 1.0 / (input as f64).sqrt();
        Ok(Self {
            weight_l: init.uniform(format!("{prefix}.lin_l.weight"), &[output, input], bound)?,
            bias_l: init.uniform(format!("{prefix}.lin_l.bias"), &[output], bound)?,
            weight_r: init.uniform(format!("{prefix}.lin_r.weight"), &[output, input], bound)?,
        })
    }

    fn forward(&self, x: &Tensor, batch: &GraphBatch) -> Result<Tensor> {
        let (n, d) = x.dims2()?;
        let gathered = x.index_select(&batch.src, 0)?;
        let summed =
            Tensor::zeros((n, d), x.dtype(), x.device())?.index_add(&batch.dst, &gathered, 0)?;
        let mean = summed.broadcast_div(&batch.degree.to_dtype(x.dtype())?)?;
        Ok((linear(&mean, &self.weight_l, &self.bias_l)? + x.matmul(&self.weight_r.t()?)?)?)
    }
}

enum Layer {
    Gatv2(Gatv2Layer),
    Sage(SageLayer),
}

/// The stack of message-passing layers. Between layers (not after the last): dropout, then
/// exact (erf) GELU, as the reference's `F.dropout` + `nn.GELU()`.
pub struct GraphEncoder {
    layers: Vec<Layer>,
    dropout: f64,
}

impl GraphEncoder {
    /// Creates the layers' parameters in `varmap` under `graph.convs.<i>.` (PyG's names below
    /// that), drawn from `rng`.
    pub fn new(
        varmap: &VarMap,
        config: &GraphConfig,
        hidden: usize,
        dtype: DType,
        device: &Device,
        rng: &mut TrainRng,
    ) -> Result<Self> {
        config.validate(hidden)?;
        let mut init = ParamInit {
            varmap,
            rng,
            dtype,
            device,
        };
        let layers = (0..config.layers)
            .map(|i| {
                let prefix = format!("graph.convs.{i}");
                Ok(match config.layer {
                    GraphLayerKind::Gatv2 => Layer::Gatv2(Gatv2Layer::new(
                        &mut init,
                        &prefix,
                        (hidden, hidden),
                        config,
                    )?),
                    GraphLayerKind::Graphsage => {
                        Layer::Sage(SageLayer::new(&mut init, &prefix, (hidden, hidden))?)
                    }
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            layers,
            dropout: config.dropout,
        })
    }

    /// States of every node of `batch` (`[N, hidden]`). `features` holds one row per
    /// distinct node feature (`[F, hidden]`, e.g. mean-pooled LM states of names); the batch
    /// says which row each node uses. `rng` is `Some` in training (dropout active) and `None`
    /// in evaluation.
    pub fn forward(
        &self,
        features: &Tensor,
        batch: &GraphBatch,
        mut rng: Option<&mut TrainRng>,
    ) -> Result<Tensor> {
        let mut x = features.index_select(&batch.feature_rows, 0)?;
        for (i, layer) in self.layers.iter().enumerate() {
            x = match layer {
                Layer::Gatv2(l) => l.forward(&x, batch, rng.as_deref_mut())?,
                Layer::Sage(l) => l.forward(&x, batch)?,
            };
            if i + 1 < self.layers.len() {
                x = dropout(&x, self.dropout, rng.as_deref_mut())?.gelu_erf()?;
            }
        }
        Ok(x)
    }
}

/// The read-out head: target-node rows -> Linear(d, d) -> LayerNorm(eps 1e-12) -> Dropout.
/// Its output is g_v, the graph side of the alignment loss.
pub struct Readout {
    weight: Tensor,
    bias: Tensor,
    ln_weight: Tensor,
    ln_bias: Tensor,
    dropout: f64,
}

/// LayerNorm epsilon of the read-out (the reference's).
const READOUT_LN_EPS: f32 = 1e-12;

impl Readout {
    /// Creates the head's parameters under `readout.dense.` and `readout.layer_norm.`, with
    /// `nn.Linear`'s initialisation and LayerNorm's ones and zeros.
    pub fn new(
        varmap: &VarMap,
        hidden: usize,
        dropout: f64,
        dtype: DType,
        device: &Device,
        rng: &mut TrainRng,
    ) -> Result<Self> {
        let mut init = ParamInit {
            varmap,
            rng,
            dtype,
            device,
        };
        let bound = 1.0 / (hidden as f64).sqrt();
        Ok(Self {
            weight: init.uniform("readout.dense.weight".into(), &[hidden, hidden], bound)?,
            bias: init.uniform("readout.dense.bias".into(), &[hidden], bound)?,
            ln_weight: init.constant("readout.layer_norm.weight".into(), &[hidden], 1.0)?,
            ln_bias: init.constant("readout.layer_norm.bias".into(), &[hidden], 0.0)?,
            dropout,
        })
    }

    /// g_v for every target of `batch` (`[T, hidden]`), from the encoder's node states.
    ///
    /// Uses candle-nn's `layer_norm_slow` (plain, differentiable tensor ops): the fused
    /// `LayerNorm` records no backward pass and would freeze everything below it.
    pub fn forward(
        &self,
        nodes: &Tensor,
        batch: &GraphBatch,
        rng: Option<&mut TrainRng>,
    ) -> Result<Tensor> {
        let targets = nodes.narrow(0, 0, batch.num_targets)?;
        let y = linear(&targets, &self.weight, &self.bias)?;
        let y =
            candle_nn::ops::layer_norm_slow(&y, &self.ln_weight, &self.ln_bias, READOUT_LN_EPS)?;
        dropout(&y, self.dropout, rng)
    }
}

/// The graph side of BALI: encoder plus read-out.
pub struct GraphModel {
    /// The message-passing layers.
    pub encoder: GraphEncoder,
    /// The head producing g_v.
    pub readout: Readout,
}

impl GraphModel {
    /// Creates encoder and read-out parameters in `varmap` (encoder first, then read-out, so a
    /// seed always gives the same weights).
    pub fn new(
        varmap: &VarMap,
        config: &GraphConfig,
        hidden: usize,
        dtype: DType,
        device: &Device,
        rng: &mut TrainRng,
    ) -> Result<Self> {
        let encoder = GraphEncoder::new(varmap, config, hidden, dtype, device, rng)?;
        let readout = Readout::new(varmap, hidden, config.dropout, dtype, device, rng)?;
        Ok(Self { encoder, readout })
    }

    /// g_v for every star of `batch` (`[T, hidden]`), in star order.
    pub fn forward(
        &self,
        features: &Tensor,
        batch: &GraphBatch,
        mut rng: Option<&mut TrainRng>,
    ) -> Result<Tensor> {
        let nodes = self.encoder.forward(features, batch, rng.as_deref_mut())?;
        self.readout.forward(&nodes, batch, rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::gradcheck::check;
    use candle_core::Var;

    const DEV: Device = Device::Cpu;

    /// The parameters of `varmap`, sorted by name.
    fn params(varmap: &VarMap) -> Vec<(String, Var)> {
        let mut vars: Vec<(String, Var)> = varmap
            .data()
            .lock()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        vars
    }

    /// Two stars sharing a feature row, and a target without neighbours.
    fn stars() -> Vec<Star> {
        vec![
            Star {
                target: 0,
                neighbours: vec![1, 2, 3],
            },
            Star {
                target: 4,
                neighbours: vec![],
            },
            Star {
                target: 1,
                neighbours: vec![0],
            },
        ]
    }

    fn features(rows: usize, dim: usize, seed: u64) -> Result<Var> {
        let mut rng = TrainRng::new(seed);
        Ok(Var::from_tensor(&rng.uniform(
            (rows, dim),
            1.0,
            DType::F64,
            &DEV,
        )?)?)
    }

    fn u32s(t: &Tensor) -> Result<Vec<u32>> {
        Ok(t.flatten_all()?.to_vec1()?)
    }

    #[test]
    fn stars_are_laid_out_targets_first() -> Result<()> {
        let b = GraphBatch::new(&stars(), 5, &DEV)?;
        assert_eq!((b.num_nodes(), b.num_targets(), b.num_edges()), (7, 3, 4));
        assert_eq!(u32s(b.feature_rows())?, [0, 4, 1, 1, 2, 3, 0]);
        assert_eq!(u32s(b.src())?, [3, 4, 5, 6]);
        assert_eq!(u32s(b.dst())?, [0, 0, 0, 2]);
        assert_eq!(u32s(&b.loop_src)?, [0, 1, 2, 3, 4, 5, 6, 3, 4, 5, 6]);
        assert_eq!(u32s(&b.loop_dst)?, [0, 1, 2, 3, 4, 5, 6, 0, 0, 0, 2]);
        // Node 0: its self-loop and edges 7, 8, 9; node 2: self-loop and edge 10; sentinel 11.
        let incoming = u32s(&b.incoming)?;
        assert_eq!(&incoming[0..4], &[0, 7, 8, 9]);
        assert_eq!(&incoming[4..8], &[1, 11, 11, 11]);
        assert_eq!(&incoming[8..12], &[2, 10, 11, 11]);
        let degree: Vec<f32> = b.degree.flatten_all()?.to_vec1()?;
        assert_eq!(degree, [3.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
        Ok(())
    }

    #[test]
    fn a_feature_row_out_of_range_is_an_error() {
        assert!(GraphBatch::new(&stars(), 4, &DEV).is_err());
        assert!(GraphBatch::new(&[], 4, &DEV).is_err());
    }

    #[test]
    fn config_problems_are_reported_together() {
        let config = GraphConfig {
            layers: 0,
            heads: 5,
            dropout: 1.0,
            ..GraphConfig::default()
        };
        let err = config
            .validate(384)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("layers") && err.contains("heads") && err.contains("dropout"),
            "{err}"
        );
        assert!(GraphConfig::default().validate(384).is_ok());
    }

    /// GATv2 by loops, straight from PyG's formula, for the first layer of `varmap`.
    fn gatv2_by_loops(
        varmap: &VarMap,
        x: &[Vec<f64>],
        batch: &GraphBatch,
        heads: usize,
    ) -> Result<Vec<Vec<f64>>> {
        let get = |name: &str| -> Result<Vec<f64>> {
            let vars = params(varmap);
            let var = vars
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| BaliError::Internal(format!("no {name}")))?;
            Ok(var.as_tensor().flatten_all()?.to_vec1()?)
        };
        let w = get("graph.convs.0.lin_l.weight")?;
        let b = get("graph.convs.0.lin_l.bias")?;
        let att = get("graph.convs.0.att")?;
        let bias = get("graph.convs.0.bias")?;
        let rows = u32s(batch.feature_rows())?;
        let src = u32s(batch.src())?;
        let dst = u32s(batch.dst())?;
        let d_in = x[0].len();
        let d_out = b.len();
        let c = d_out / heads;
        let h: Vec<Vec<f64>> = rows
            .iter()
            .map(|&r| {
                (0..d_out)
                    .map(|o| {
                        b[o] + (0..d_in)
                            .map(|k| w[o * d_in + k] * x[r as usize][k])
                            .sum::<f64>()
                    })
                    .collect()
            })
            .collect();
        let mut out = vec![vec![0.0; d_out]; rows.len()];
        for (i, out_i) in out.iter_mut().enumerate() {
            let mut sources = vec![i];
            sources.extend(
                src.iter()
                    .zip(&dst)
                    .filter(|(_, &d)| d as usize == i)
                    .map(|(&s, _)| s as usize),
            );
            for hd in 0..heads {
                let logits: Vec<f64> = sources
                    .iter()
                    .map(|&j| {
                        (0..c)
                            .map(|k| {
                                let v = h[i][hd * c + k] + h[j][hd * c + k];
                                att[hd * c + k] * if v > 0.0 { v } else { 0.2 * v }
                            })
                            .sum()
                    })
                    .collect();
                let z: f64 = logits.iter().map(|l| l.exp()).sum();
                for (&j, l) in sources.iter().zip(&logits) {
                    for k in 0..c {
                        out_i[hd * c + k] += l.exp() / z * h[j][hd * c + k];
                    }
                }
            }
            for (o, v) in out_i.iter_mut().enumerate() {
                *v += bias[o];
            }
        }
        Ok(out)
    }

    #[test]
    fn gatv2_matches_the_formula_computed_by_loops() -> Result<()> {
        let (dim, heads) = (6, 3);
        let config = GraphConfig {
            layers: 1,
            heads,
            ..GraphConfig::default()
        };
        let varmap = VarMap::new();
        let encoder = GraphEncoder::new(
            &varmap,
            &config,
            dim,
            DType::F64,
            &DEV,
            &mut TrainRng::new(7),
        )?;
        let x = features(5, dim, 3)?;
        let batch = GraphBatch::new(&stars(), 5, &DEV)?;
        let ours: Vec<Vec<f64>> = encoder.forward(x.as_tensor(), &batch, None)?.to_vec2()?;
        let expected = gatv2_by_loops(&varmap, &x.as_tensor().to_vec2()?, &batch, heads)?;
        for (a, b) in ours.iter().flatten().zip(expected.iter().flatten()) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        Ok(())
    }

    #[test]
    fn graphsage_matches_the_formula_computed_by_loops() -> Result<()> {
        let dim = 4;
        let config = GraphConfig {
            layer: GraphLayerKind::Graphsage,
            layers: 1,
            ..GraphConfig::default()
        };
        let varmap = VarMap::new();
        let encoder = GraphEncoder::new(
            &varmap,
            &config,
            dim,
            DType::F64,
            &DEV,
            &mut TrainRng::new(7),
        )?;
        let x = features(5, dim, 3)?;
        let batch = GraphBatch::new(&stars(), 5, &DEV)?;
        let ours: Vec<Vec<f64>> = encoder.forward(x.as_tensor(), &batch, None)?.to_vec2()?;
        let get = |name: &str| -> Result<Vec<f64>> {
            let vars = params(&varmap);
            let (_, var) = vars
                .iter()
                .find(|(n, _)| n == name)
                .ok_or_else(|| BaliError::Internal(name.into()))?;
            Ok(var.as_tensor().flatten_all()?.to_vec1()?)
        };
        let (wl, bl, wr) = (
            get("graph.convs.0.lin_l.weight")?,
            get("graph.convs.0.lin_l.bias")?,
            get("graph.convs.0.lin_r.weight")?,
        );
        let xs: Vec<Vec<f64>> = x.as_tensor().to_vec2()?;
        let rows = u32s(batch.feature_rows())?;
        let (src, dst) = (u32s(batch.src())?, u32s(batch.dst())?);
        for (i, out) in ours.iter().enumerate() {
            let nbrs: Vec<usize> = src
                .iter()
                .zip(&dst)
                .filter(|(_, &d)| d as usize == i)
                .map(|(&s, _)| rows[s as usize] as usize)
                .collect();
            let mean: Vec<f64> = (0..dim)
                .map(|k| {
                    if nbrs.is_empty() {
                        0.0
                    } else {
                        nbrs.iter().map(|&j| xs[j][k]).sum::<f64>() / nbrs.len() as f64
                    }
                })
                .collect();
            let me = &xs[rows[i] as usize];
            for o in 0..dim {
                let expected = bl[o]
                    + (0..dim)
                        .map(|k| wl[o * dim + k] * mean[k] + wr[o * dim + k] * me[k])
                        .sum::<f64>();
                assert!((out[o] - expected).abs() < 1e-12);
            }
        }
        Ok(())
    }

    /// Gradient check of a whole graph model: node features and every parameter, with
    /// dropout active (each evaluation replays the same masks from a cloned generator).
    fn gradcheck_model(config: &GraphConfig, dim: usize) -> Result<()> {
        let varmap = VarMap::new();
        let model = GraphModel::new(
            &varmap,
            config,
            dim,
            DType::F64,
            &DEV,
            &mut TrainRng::new(11),
        )?;
        let x = features(5, dim, 5)?;
        let batch = GraphBatch::new(&stars(), 5, &DEV)?;
        let weights = TrainRng::new(13).uniform((3, dim), 1.0, DType::F64, &DEV)?;
        let masks = TrainRng::new(17);
        let mut vars = vec![x.clone()];
        vars.extend(params(&varmap).into_iter().map(|(_, v)| v));
        let result = check(
            &vars,
            || {
                let mut rng = masks.clone();
                let g = model.forward(x.as_tensor(), &batch, Some(&mut rng))?;
                Ok((g * &weights)?.sum_all()?)
            },
            1e-6,
            12,
        )?;
        assert!(result.max_error < 1e-6, "{result:?}");
        Ok(())
    }

    #[test]
    fn gatv2_model_gradients_match_finite_differences() -> Result<()> {
        gradcheck_model(
            &GraphConfig {
                layers: 2,
                heads: 2,
                attention_dropout: 0.2,
                dropout: 0.2,
                ..GraphConfig::default()
            },
            8,
        )
    }

    #[test]
    fn graphsage_model_gradients_match_finite_differences() -> Result<()> {
        gradcheck_model(
            &GraphConfig {
                layer: GraphLayerKind::Graphsage,
                layers: 2,
                dropout: 0.2,
                ..GraphConfig::default()
            },
            6,
        )
    }

    #[test]
    fn readout_gradients_match_finite_differences() -> Result<()> {
        let dim = 5;
        let varmap = VarMap::new();
        let readout = Readout::new(&varmap, dim, 0.1, DType::F64, &DEV, &mut TrainRng::new(3))?;
        let nodes = features(7, dim, 4)?;
        let batch = GraphBatch::new(&stars(), 5, &DEV)?;
        let weights = TrainRng::new(5).uniform((3, dim), 1.0, DType::F64, &DEV)?;
        let mut vars = vec![nodes.clone()];
        vars.extend(params(&varmap).into_iter().map(|(_, v)| v));
        let result = check(
            &vars,
            || Ok((readout.forward(nodes.as_tensor(), &batch, None)? * &weights)?.sum_all()?),
            1e-6,
            20,
        )?;
        assert!(result.max_error < 1e-6, "{result:?}");
        Ok(())
    }

    #[test]
    fn candle_nns_fused_layer_norm_would_freeze_the_readout() -> Result<()> {
        // Why the read-out uses `layer_norm_slow`: candle-nn 0.11's fused `ops::layer_norm`
        // (what `candle_nn::LayerNorm` runs on contiguous input) is applied without a backward
        // op, so nothing below it receives a gradient. Same head, both norms (f32: the fused
        // kernel has no f64 version).
        let mut rng = TrainRng::new(1);
        let x = rng.uniform((3, 4), 1.0, DType::F32, &DEV)?;
        let w = Var::from_tensor(&rng.uniform((4, 4), 1.0, DType::F32, &DEV)?)?;
        let (gamma, beta) = (
            Tensor::ones(4, DType::F32, &DEV)?,
            Tensor::zeros(4, DType::F32, &DEV)?,
        );
        let y = x.matmul(&w.as_tensor().t()?)?;
        let fused = candle_nn::ops::layer_norm(&y, &gamma, &beta, 1e-12)?;
        let slow = candle_nn::ops::layer_norm_slow(&y, &gamma, &beta, 1e-12)?;
        // Same values ...
        let diff = (&fused - &slow)?.abs()?.max_all()?.to_scalar::<f32>()?;
        assert!(diff < 1e-5, "{diff}");
        // ... but only the slow one carries the gradient to the dense weight.
        let weights = rng.uniform((3, 4), 1.0, DType::F32, &DEV)?;
        let through = |out: &Tensor| -> Result<bool> {
            let grads = (out * &weights)?.sum_all()?.backward()?;
            Ok(grads.get(w.as_tensor()).is_some())
        };
        assert!(!through(&fused)?);
        assert!(through(&slow)?);
        Ok(())
    }

    #[test]
    fn the_default_model_has_five_gatv2_layers_under_graph_and_readout() -> Result<()> {
        let varmap = VarMap::new();
        GraphModel::new(
            &varmap,
            &GraphConfig::default(),
            8,
            DType::F32,
            &DEV,
            &mut TrainRng::new(1),
        )?;
        let names: Vec<String> = params(&varmap).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names.len(), 5 * 4 + 4);
        assert!(names
            .iter()
            .all(|n| n.starts_with("graph.convs.") || n.starts_with("readout.")));
        assert!(names.contains(&"graph.convs.4.att".to_string()));
        Ok(())
    }

    #[test]
    fn huge_attention_logits_stay_finite() -> Result<()> {
        let dim = 4;
        let config = GraphConfig {
            layers: 1,
            ..GraphConfig::default()
        };
        let varmap = VarMap::new();
        let encoder = GraphEncoder::new(
            &varmap,
            &config,
            dim,
            DType::F32,
            &DEV,
            &mut TrainRng::new(7),
        )?;
        // Features of 1e4 give logits far beyond exp's f32 range without the per-target shift.
        let x = (TrainRng::new(2).uniform((5, dim), 1.0, DType::F32, &DEV)? * 1e4)?;
        let batch = GraphBatch::new(&stars(), 5, &DEV)?;
        let out: Vec<f32> = encoder
            .forward(&x, &batch, None)?
            .flatten_all()?
            .to_vec1()?;
        assert!(out.iter().all(|v| v.is_finite()));
        Ok(())
    }
}
