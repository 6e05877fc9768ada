//! The candle trainer: BERT encoder, graph encoder, losses, optimiser, checkpoints, evaluation.
//!
//! Nothing here reads YAML or argv: the `bali_train` and `eval_linking` stage kinds resolve
//! their options and call in.

pub mod align;
pub mod artifacts;
pub mod batch;
pub mod bert;
pub mod checkpoint;
pub mod corpus;
pub mod eval;
pub mod export;
#[cfg(test)]
pub mod gradcheck;
pub mod graph;
pub mod holdout;
pub mod linearized;
pub mod mlm;
pub mod model;
pub mod optim;
pub mod rng;
pub mod trainer;
