//! The stage kinds: sources and transforms, and the one table that registers them.

use crate::engine::Registry;

/// Registers every built-in kind (the one kind table).
pub fn register_builtin(registry: &mut Registry) {
    registry
        .register::<sources::PubmedKind>()
        .register::<sources::UmlsConceptsKind>()
        .register::<sources::UmlsRelationsKind>()
        .register::<sources::OboKind>()
        .register::<sentences::SentencesKind>()
        .register::<dictionary::DictionaryKind>()
        .register::<link::LinkKind>()
        .register::<subgraphs::Subgraphs>()
        .register::<samples::Samples>()
        .register::<samples::Names>()
        .register::<samples::Pubtator>();
}

pub(crate) mod columns;
pub mod current;
pub mod dictionary;
pub mod link;
pub mod samples;
pub mod sentences;
pub mod sources;
pub mod subgraphs;
#[cfg(test)]
pub(crate) mod testkinds;
