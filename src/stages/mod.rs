//! The stage kinds: sources and transforms, and the one table that registers them.

use crate::engine::Registry;

/// Registers every built-in kind (the one kind table).
pub fn register_builtin(registry: &mut Registry) {
    registry
        .register::<sentences::SentencesKind>()
        .register::<dictionary::DictionaryKind>()
        .register::<link::LinkKind>()
        .register::<subgraphs::Subgraphs>()
        .register::<samples::Samples>()
        .register::<samples::Names>()
        .register::<samples::Pubtator>()
        .register::<train::BaliTrain>()
        .register::<eval_linking::EvalLinking>();
}

pub(crate) mod columns;
pub mod current;
pub mod dictionary;
pub mod eval_linking;
pub mod link;
pub mod samples;
pub mod sentences;
pub mod subgraphs;
#[cfg(test)]
pub(crate) mod testkinds;
pub mod train;
#[cfg(test)]
mod train_tests;
