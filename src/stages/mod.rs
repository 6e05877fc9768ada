//! The stage kinds: sources and transforms, and the one table that registers them.

use crate::engine::Registry;

/// Registers every built-in kind (the one kind table).
pub fn register_builtin(registry: &mut Registry) {
    registry
        .register::<sources::PubmedKind>()
        .register::<sources::UmlsConceptsKind>()
        .register::<sources::UmlsRelationsKind>()
        .register::<sources::OboKind>();
}

pub mod current;
pub mod sources;
