//! bali: a streaming data-pipeline engine that turns PubMed and UMLS dumps into a
//! knowledge-aligned biomedical language model, following the BALI method.
//!
//! The layers, one module each (the benchmarks are a crate of their own, `bench/` in the
//! workspace, with the `bali-bench` binary):
//! - [`kind`], [`diagnostic`], [`error`]: what a stage kind declares (the contract the spec and
//!   the engine share); a pipeline file's problems as data; the error type;
//! - [`spec`]: the pipeline YAML checked against the kinds' declarations;
//! - [`engine`]: builds the checked pipeline's stages and runs them as threads joined by
//!   bounded channels of Arrow batches;
//! - [`store`]: the checkpoint store (one Parquet file per stage partition, atomic commits);
//! - [`sources`]: readers of PubMed XML, UMLS RRF and OBO ontologies;
//! - [`tables`]: every table's schema, and typed access to their columns;
//! - [`lexicon`], [`text`], [`kg`], [`views`]: logic the stages, the trainer and inspection
//!   share (name normalisation and the matcher; the tokenizer; the graph sampler; the current
//!   PubMed articles), below all three;
//! - [`stages`]: the stage kinds (thin adapters over the layers below) and their registry;
//! - [`train`]: the candle trainer (BERT encoder, graph encoder, losses, optimiser);
//! - [`inspect`]: SQL and inspection over checkpoints (DataFusion);
//! - [`cli`]: the command line, a thin layer over the library.
#![deny(missing_docs)]

pub mod cli;
pub mod diagnostic;
pub mod engine;
pub mod error;
pub mod inspect;
pub mod kg;
pub mod kind;
pub mod lexicon;
pub mod sources;
pub mod spec;
pub mod stages;
pub mod store;
pub mod tables;
pub mod text;
pub mod train;
pub mod views;

pub use error::{BaliError, Position, Result};

#[cfg(test)]
pub(crate) mod testdata;
#[cfg(test)]
pub(crate) mod testutil;
