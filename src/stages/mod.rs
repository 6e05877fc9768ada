//! The stage kinds: sources and transforms, and the one table that registers them.

use crate::engine::Registry;

/// Registers every built-in kind (the one kind table).
pub fn register_builtin(registry: &mut Registry) {
    registry
        .register::<subgraphs::Subgraphs>()
        .register::<samples::Samples>()
        .register::<samples::Names>()
        .register::<samples::Pubtator>();
}

pub(crate) mod columns;
pub mod current;
pub mod samples;
pub mod subgraphs;
#[cfg(test)]
pub(crate) mod testkinds;
