//! `subgraphs`: the knowledge-graph neighbourhood of every mentioned concept.
//!
//! The pieces, one module each: [`graph`] builds the CSR adjacency from `relations` batches;
//! [`names`] gathers the concepts' names; [`extract`] turns (graph, mentioned concepts, names)
//! into `subgraphs` batches; [`sampler`] is the seeded neighbour and name sampler that this stage
//! and the trainer share; [`stage`] is the `subgraphs` kind that wires them to the engine.

pub mod extract;
pub mod graph;
mod interner;
pub mod names;
pub use crate::kg::sampler;
pub mod stage;

pub use extract::{mentioned_concepts, subgraph_batches, SubgraphOutput, SubgraphStats};
pub use graph::{
    Graph, GraphBuildStats, GraphBuilder, MentionedRestriction, Relation, RelationFilter,
    RelationVocabulary,
};
pub use names::{ConceptNames, ConceptNamesBuilder};
pub use sampler::{pick_name, sample_neighbors};
pub use stage::{SubgraphOptions, Subgraphs};
