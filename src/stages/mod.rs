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
        .register::<link::LinkKind>();
}

pub(crate) mod columns;
pub mod current;
pub mod dictionary;
pub mod link;
pub mod sentences;
pub mod sources;
