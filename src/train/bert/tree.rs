//! The encoder as a tree of modules whose paths are Hugging Face's `BertModel` weight names,
//! as in candle's `bert.rs`: `encoder.layer.3.attention.self.query` is
//! `model.encoder.layer[3].attention.self_attention.query`. A module asks a [`Vars`] for each
//! tensor by its name and shape when it is built, and names them again when walked
//! ([`Module::visit`]); loading a checkpoint, a random start, the list of names and shapes
//! ([`super::weights::encoder_shapes`]) and export are walks of this one tree.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Display;

use candle_core::{DType, Device, Tensor};

use super::config::BertConfig;
use crate::error::{BaliError, Result};

/// Where the tree's tensors come from: each module asks for `name` with `shape`.
pub trait Source {
    /// The tensor called `name` (full path), of `shape`.
    fn tensor(&mut self, name: &str, shape: &[usize]) -> Result<Tensor>;
}

/// A position in the tree (a name prefix) over a [`Source`].
pub struct Vars<'a> {
    prefix: String,
    source: &'a RefCell<dyn Source + 'a>,
}

impl<'a> Vars<'a> {
    /// The root of a tree whose tensors come from `source`.
    pub fn root(source: &'a RefCell<dyn Source + 'a>) -> Vars<'a> {
        Vars {
            prefix: String::new(),
            source,
        }
    }

    /// The child `part` (a module name or a layer number).
    pub fn pp(&self, part: impl Display) -> Vars<'a> {
        Vars {
            prefix: join(&self.prefix, &part.to_string()),
            source: self.source,
        }
    }

    /// The tensor `name` below this position, of `shape`.
    pub fn get(&self, name: &str, shape: &[usize]) -> Result<Tensor> {
        let full = join(&self.prefix, name);
        self.source.borrow_mut().tensor(&full, shape)
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// A module of the tree: names its tensors below `prefix`.
pub trait Module {
    /// Calls `f` with every tensor's full name and the tensor, in a fixed order.
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(String, &Tensor));
}

/// `x W^T + b`, `W` `[out, in]`: `NAME.weight`, `NAME.bias`.
pub struct Linear {
    /// `[out, in]`.
    pub weight: Tensor,
    /// `[out]`.
    pub bias: Tensor,
}

impl Linear {
    fn new(vars: &Vars<'_>, out: usize, input: usize) -> Result<Linear> {
        Ok(Linear {
            weight: vars.get("weight", &[out, input])?,
            bias: vars.get("bias", &[out])?,
        })
    }
}

impl Module for Linear {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(String, &Tensor)) {
        f(join(prefix, "weight"), &self.weight);
        f(join(prefix, "bias"), &self.bias);
    }
}

/// Layer norm over `d` features: `NAME.weight`, `NAME.bias` (`NAME` is `LayerNorm`).
pub struct LayerNorm {
    /// Scale `[d]`.
    pub weight: Tensor,
    /// Shift `[d]`.
    pub bias: Tensor,
}

impl LayerNorm {
    fn new(vars: &Vars<'_>, d: usize) -> Result<LayerNorm> {
        Ok(LayerNorm {
            weight: vars.get("weight", &[d])?,
            bias: vars.get("bias", &[d])?,
        })
    }
}

impl Module for LayerNorm {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(String, &Tensor)) {
        f(join(prefix, "weight"), &self.weight);
        f(join(prefix, "bias"), &self.bias);
    }
}

/// `embeddings`: word, position and token-type tables, then `LayerNorm`.
pub struct Embeddings {
    /// `word_embeddings.weight` `[vocab, d]`.
    pub word_embeddings: Tensor,
    /// `position_embeddings.weight` `[positions, d]`.
    pub position_embeddings: Tensor,
    /// `token_type_embeddings.weight` `[types, d]`.
    pub token_type_embeddings: Tensor,
    /// `LayerNorm`.
    pub layer_norm: LayerNorm,
}

impl Embeddings {
    fn new(vars: &Vars<'_>, c: &BertConfig) -> Result<Embeddings> {
        let d = c.hidden_size;
        Ok(Embeddings {
            word_embeddings: vars.get("word_embeddings.weight", &[c.vocab_size, d])?,
            position_embeddings: vars.get(
                "position_embeddings.weight",
                &[c.max_position_embeddings, d],
            )?,
            token_type_embeddings: vars
                .get("token_type_embeddings.weight", &[c.type_vocab_size, d])?,
            layer_norm: LayerNorm::new(&vars.pp("LayerNorm"), d)?,
        })
    }
}

impl Module for Embeddings {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(String, &Tensor)) {
        f(
            join(prefix, "word_embeddings.weight"),
            &self.word_embeddings,
        );
        f(
            join(prefix, "position_embeddings.weight"),
            &self.position_embeddings,
        );
        f(
            join(prefix, "token_type_embeddings.weight"),
            &self.token_type_embeddings,
        );
        self.layer_norm.visit(&join(prefix, "LayerNorm"), f);
    }
}

/// `attention.self`: the query, key and value projections.
pub struct SelfAttention {
    /// `query`.
    pub query: Linear,
    /// `key`.
    pub key: Linear,
    /// `value`.
    pub value: Linear,
}

/// `attention.output`: the output projection and its `LayerNorm`.
pub struct AttentionOutput {
    /// `dense`.
    pub dense: Linear,
    /// `LayerNorm`.
    pub layer_norm: LayerNorm,
}

/// `attention`: `self` and `output`.
pub struct Attention {
    /// `self`.
    pub self_attention: SelfAttention,
    /// `output`.
    pub output: AttentionOutput,
}

/// `intermediate`: the feed-forward up-projection.
pub struct Intermediate {
    /// `dense`.
    pub dense: Linear,
}

/// `output`: the feed-forward down-projection and its `LayerNorm`.
pub struct Output {
    /// `dense`.
    pub dense: Linear,
    /// `LayerNorm`.
    pub layer_norm: LayerNorm,
}

/// `encoder.layer.N`.
pub struct Layer {
    /// `attention`.
    pub attention: Attention,
    /// `intermediate`.
    pub intermediate: Intermediate,
    /// `output`.
    pub output: Output,
}

impl Layer {
    fn new(vars: &Vars<'_>, c: &BertConfig) -> Result<Layer> {
        let (d, i) = (c.hidden_size, c.intermediate_size);
        let attention = vars.pp("attention");
        let own = attention.pp("self");
        Ok(Layer {
            attention: Attention {
                self_attention: SelfAttention {
                    query: Linear::new(&own.pp("query"), d, d)?,
                    key: Linear::new(&own.pp("key"), d, d)?,
                    value: Linear::new(&own.pp("value"), d, d)?,
                },
                output: AttentionOutput {
                    dense: Linear::new(&attention.pp("output").pp("dense"), d, d)?,
                    layer_norm: LayerNorm::new(&attention.pp("output").pp("LayerNorm"), d)?,
                },
            },
            intermediate: Intermediate {
                dense: Linear::new(&vars.pp("intermediate").pp("dense"), i, d)?,
            },
            output: Output {
                dense: Linear::new(&vars.pp("output").pp("dense"), d, i)?,
                layer_norm: LayerNorm::new(&vars.pp("output").pp("LayerNorm"), d)?,
            },
        })
    }
}

impl Module for Layer {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(String, &Tensor)) {
        let attention = join(prefix, "attention");
        let own = join(&attention, "self");
        let a = &self.attention;
        a.self_attention.query.visit(&join(&own, "query"), f);
        a.self_attention.key.visit(&join(&own, "key"), f);
        a.self_attention.value.visit(&join(&own, "value"), f);
        let out = join(&attention, "output");
        a.output.dense.visit(&join(&out, "dense"), f);
        a.output.layer_norm.visit(&join(&out, "LayerNorm"), f);
        self.intermediate
            .dense
            .visit(&join(prefix, "intermediate.dense"), f);
        self.output.dense.visit(&join(prefix, "output.dense"), f);
        self.output
            .layer_norm
            .visit(&join(prefix, "output.LayerNorm"), f);
    }
}

/// `encoder`: `layer.0` to `layer.{N-1}`.
pub struct Encoder {
    /// `layer`.
    pub layer: Vec<Layer>,
}

/// The trainable part of `BertModel` (its pooler is carried aside, untrained).
pub struct BertModel {
    /// `embeddings`.
    pub embeddings: Embeddings,
    /// `encoder`.
    pub encoder: Encoder,
}

impl BertModel {
    /// The tree for `config`, its tensors from `vars`.
    pub fn new(vars: &Vars<'_>, config: &BertConfig) -> Result<BertModel> {
        let layers = vars.pp("encoder").pp("layer");
        Ok(BertModel {
            embeddings: Embeddings::new(&vars.pp("embeddings"), config)?,
            encoder: Encoder {
                layer: (0..config.num_hidden_layers)
                    .map(|l| Layer::new(&layers.pp(l), config))
                    .collect::<Result<_>>()?,
            },
        })
    }

    /// The tree over tensors by name (each must be there with its shape).
    pub fn from_named(config: &BertConfig, named: &BTreeMap<String, Tensor>) -> Result<BertModel> {
        let source = RefCell::new(Named(named));
        BertModel::new(&Vars::root(&source), config)
    }

    /// Every tensor by name.
    pub fn named(&self) -> BTreeMap<String, Tensor> {
        let mut out = BTreeMap::new();
        self.visit("", &mut |name, t| {
            out.insert(name, t.clone());
        });
        out
    }

    /// The name and shape of every tensor the tree for `config` holds, in walking order.
    pub fn shapes(config: &BertConfig) -> Result<Vec<(String, Vec<usize>)>> {
        let source = RefCell::new(Shapes(Vec::new()));
        BertModel::new(&Vars::root(&source), config)?;
        Ok(source.into_inner().0)
    }
}

impl Module for BertModel {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(String, &Tensor)) {
        self.embeddings.visit(&join(prefix, "embeddings"), f);
        for (l, layer) in self.encoder.layer.iter().enumerate() {
            layer.visit(&join(prefix, &format!("encoder.layer.{l}")), f);
        }
    }
}

/// Tensors already made, by name; a missing name or another shape is an error.
struct Named<'a>(&'a BTreeMap<String, Tensor>);

impl Source for Named<'_> {
    fn tensor(&mut self, name: &str, shape: &[usize]) -> Result<Tensor> {
        let t = self.0.get(name).ok_or_else(|| {
            BaliError::Internal(format!("encoder tensor `{name}` was not registered"))
        })?;
        if t.dims() != shape {
            return Err(BaliError::Internal(format!(
                "encoder tensor `{name}` is {:?}, not {shape:?}",
                t.dims()
            )));
        }
        Ok(t.clone())
    }
}

/// Records names and shapes; hands out empty tensors.
struct Shapes(Vec<(String, Vec<usize>)>);

impl Source for Shapes {
    fn tensor(&mut self, name: &str, shape: &[usize]) -> Result<Tensor> {
        self.0.push((name.to_string(), shape.to_vec()));
        Ok(Tensor::zeros(0, DType::F32, &Device::Cpu)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Building and walking name the same tensors, in the same order, with Hugging Face's
    /// names.
    #[test]
    fn the_walk_names_what_the_tree_was_built_from() -> Result<()> {
        let config = super::super::tests::tiny_config(2);
        let shapes = BertModel::shapes(&config)?;
        let named: BTreeMap<String, Tensor> = shapes
            .iter()
            .map(|(name, shape)| {
                Ok((
                    name.clone(),
                    Tensor::zeros(shape.as_slice(), DType::F32, &Device::Cpu)?,
                ))
            })
            .collect::<Result<_>>()?;
        let model = BertModel::from_named(&config, &named)?;
        let mut walked = Vec::new();
        model.visit("", &mut |name, t| walked.push((name, t.dims().to_vec())));
        assert_eq!(walked, shapes);
        assert!(walked
            .iter()
            .any(|(n, s)| n == "encoder.layer.1.attention.self.query.weight"
                && *s == [config.hidden_size, config.hidden_size]));
        assert_eq!(walked.len(), 5 + 16 * 2);
        // A tensor of the wrong shape is refused by name.
        let mut wrong = named.clone();
        wrong.insert(
            "encoder.layer.0.output.dense.weight".into(),
            Tensor::zeros((1, 1), DType::F32, &Device::Cpu)?,
        );
        let err = BertModel::from_named(&config, &wrong)
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("encoder.layer.0.output.dense.weight")),
            "{err:?}"
        );
        Ok(())
    }
}
