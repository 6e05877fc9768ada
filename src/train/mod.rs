//! The candle trainer: BERT encoder, graph encoder, losses, optimiser, checkpoints, evaluation.
//!
//! Nothing here reads YAML or argv: the `bali_train` and `eval_linking` stage kinds resolve
//! their options and call in.

pub mod align;
pub mod bert;
pub mod checkpoint;
pub mod export;
pub mod gradcheck;
pub mod graph;
pub mod linearized;
pub mod mlm;
pub mod optim;
pub mod rng;
