//! The stage kinds: sources and transforms, and the one table that registers them.

use crate::engine::Registry;

/// Every kind bali ships: the one kind table. The engine and the spec take a registry and
/// never name a kind.
pub fn registry() -> Registry {
    let mut r = Registry::empty();
    register_builtin(&mut r);
    r
}

/// Registers every built-in kind into `registry`.
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
        .register::<pubtator::Pubtator>()
        .register::<bali_train::BaliTrain>()
        .register::<eval_linking::EvalLinking>();
}

pub mod bali_train;
#[cfg(test)]
mod bali_train_tests;
pub mod dictionary;
pub mod eval_linking;
pub mod link;
pub mod pubtator;
pub mod samples;
pub mod sentences;
pub mod sources;
pub mod subgraphs;
#[cfg(test)]
pub(crate) mod testkinds;

#[cfg(test)]
mod tests {

    /// Every kind's documented example parses, and its canonical form parses again to itself.
    #[test]
    fn every_example_round_trips() {
        for kind in crate::stages::registry().kinds() {
            let node = crate::spec::yaml::parse(kind.example)
                .unwrap_or_else(|e| panic!("{}: example is not YAML: {}", kind.name, e.message));
            let parsed = kind.parse(node.to_json()).unwrap_or_else(|e| {
                panic!(
                    "{}: example rejected: {} at {}",
                    kind.name, e.message, e.path
                )
            });
            let again = kind.parse(parsed.clone()).unwrap_or_else(|e| {
                panic!("{}: canonical options rejected: {}", kind.name, e.message)
            });
            assert_eq!(parsed, again, "{}", kind.name);
            assert!(
                !kind.summary.is_empty() && !kind.outputs.is_empty(),
                "{}",
                kind.name
            );
        }
    }
}
