//! `subgraphs`: the knowledge-graph neighbourhood of every mentioned concept.
//!
//! The pieces, one module each: [`graph`] builds the CSR adjacency from `relations` batches;
//! [`names`] gathers the concepts' names; [`extract`] turns (graph, mentioned concepts, names)
//! into `subgraphs` batches; [`sampler`] is the seeded neighbour and name sampler that this stage
//! and the trainer share; [`synthetic`] generates an MRREL-sized graph for the scale benchmark.

pub mod extract;
pub mod graph;
mod interner;
pub mod names;
pub mod sampler;
pub mod synthetic;

use std::collections::HashSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use extract::{mentioned_concepts, subgraph_batches, SubgraphOutput, SubgraphStats};
pub use graph::{
    Graph, GraphBuildStats, GraphBuilder, MentionedRestriction, Relation, RelationFilter,
    RelationVocabulary,
};
pub use names::{ConceptNames, ConceptNamesBuilder};
pub use sampler::{pick_name, sample_neighbors};

use crate::error::{BaliError, Result};

/// Options of the `subgraphs` kind. Defaults are the BALI reference choices (see BALI.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SubgraphOptions {
    /// Neighbours sampled per target, uniformly without replacement (BALI: 3). The stage stores
    /// the epoch-0 sample; the trainer re-draws with the same sampler every epoch.
    pub max_neighbors: u32,
    /// Radius of the stored neighbourhood (BALI: 1, the star of one-hop neighbours). With more
    /// hops, nodes up to that distance are stored with their distance and sampled alike.
    pub hops: u32,
    /// Cap on the stored neighbourhood of one target: some UMLS concepts have 10^4+ neighbours.
    /// A larger neighbourhood is replaced by a seeded uniform subset of this size, so later
    /// epochs sample from that subset; with several hops the cap covers all rings together.
    pub max_stored_neighbors: u32,
    /// REL values whose rows become edges (e.g. [PAR, CHD, RB, RN]); empty: all (BALI).
    pub rels: Vec<String>,
    /// REL values whose rows are dropped (applied after `rels`).
    pub exclude_rels: Vec<String>,
    /// RELA values whose rows become edges; empty: all. Rows without a RELA are then dropped.
    pub relas: Vec<String>,
    /// RELA values whose rows are dropped (applied after `relas`).
    pub exclude_relas: Vec<String>,
    /// Keep MRREL rows whose two concepts are the same, making a node its own neighbour. Off by
    /// default: the graph encoder adds its own self-loops (BALI's star has them).
    pub self_loops: bool,
    /// Build the graph only from rows touching a mentioned concept (BALI does), which keeps the
    /// graph a fraction of MRREL's size.
    pub restrict_to_mentioned: bool,
    /// With `restrict_to_mentioned`, also keep rows whose other concept is never mentioned
    /// (BALI: yes). Off: every neighbour is itself a mentioned concept.
    pub keep_unmentioned_neighbors: bool,
    /// Leave out nodes without a name in `languages`: BALI represents every node by one of its
    /// names, so such a node cannot enter a subgraph. A target without one gets no row.
    pub require_names: bool,
    /// Languages (MRCONSO LAT) of the names carried by targets and required of neighbours
    /// (BALI: English only).
    pub languages: Vec<String>,
    /// Seed of the neighbour sampling; defaults to the pipeline's seed.
    pub seed: Option<u64>,
}

impl Default for SubgraphOptions {
    fn default() -> Self {
        SubgraphOptions {
            max_neighbors: 3,
            hops: 1,
            max_stored_neighbors: 512,
            rels: Vec::new(),
            exclude_rels: Vec::new(),
            relas: Vec::new(),
            exclude_relas: Vec::new(),
            self_loops: false,
            restrict_to_mentioned: true,
            keep_unmentioned_neighbors: true,
            require_names: true,
            languages: vec!["ENG".to_string()],
            seed: None,
        }
    }
}

impl SubgraphOptions {
    /// Largest `hops` accepted: each further ring multiplies the work by the typical degree.
    pub const MAX_HOPS: u32 = 3;

    /// Checks the values serde cannot: every problem, in one error.
    pub fn validate(&self) -> Result<()> {
        let mut problems = Vec::new();
        if !(1..=Self::MAX_HOPS).contains(&self.hops) {
            problems.push(format!(
                "hops must be between 1 and {}, got {}",
                Self::MAX_HOPS,
                self.hops
            ));
        }
        if self.max_stored_neighbors < self.max_neighbors {
            problems.push(format!(
                "max_stored_neighbors ({}) must be at least max_neighbors ({})",
                self.max_stored_neighbors, self.max_neighbors
            ));
        }
        if self.require_names && self.languages.is_empty() {
            problems.push("require_names needs at least one entry in languages".to_string());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(BaliError::Spec(format!(
                "subgraphs options: {}",
                problems.join("; ")
            )))
        }
    }

    /// The row filter of the graph build.
    pub fn relation_filter(&self) -> RelationFilter {
        let set = |v: &[String]| v.iter().cloned().collect::<HashSet<String>>();
        RelationFilter {
            rels: set(&self.rels),
            exclude_rels: set(&self.exclude_rels),
            relas: set(&self.relas),
            exclude_relas: set(&self.exclude_relas),
            self_loops: self.self_loops,
        }
    }

    /// The graph builder these options call for, given the mentioned concepts.
    pub fn graph_builder(&self, mentioned: &std::collections::BTreeSet<String>) -> GraphBuilder {
        let restriction = self.restrict_to_mentioned.then(|| MentionedRestriction {
            concepts: std::sync::Arc::new(mentioned.iter().cloned().collect()),
            keep_unmentioned_neighbors: self.keep_unmentioned_neighbors,
        });
        GraphBuilder::new(self.relation_filter(), restriction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_default_to_the_reference_and_reject_unknown_keys() {
        let o: SubgraphOptions = serde_json::from_str("{}").unwrap();
        assert_eq!(o, SubgraphOptions::default());
        assert_eq!(
            (o.max_neighbors, o.hops, o.languages.as_slice()),
            (3, 1, &["ENG".to_string()][..])
        );
        assert!(o.validate().is_ok());
        let err = serde_json::from_str::<SubgraphOptions>(r#"{"max_neighbours": 3}"#).unwrap_err();
        assert!(
            err.to_string().contains("unknown field `max_neighbours`"),
            "{err}"
        );

        let bad = SubgraphOptions {
            hops: 0,
            max_stored_neighbors: 2,
            ..SubgraphOptions::default()
        };
        let msg = bad.validate().unwrap_err().to_string();
        assert!(
            msg.contains("hops") && msg.contains("max_stored_neighbors"),
            "{msg}"
        );
    }

    #[test]
    fn every_option_is_documented_in_the_json_schema() {
        let schema = serde_json::to_value(schemars::schema_for!(SubgraphOptions)).unwrap();
        let properties = schema["properties"].as_object().unwrap();
        assert_eq!(properties.len(), 13);
        for (name, p) in properties {
            assert!(
                p["description"].as_str().is_some_and(|d| d.len() > 20),
                "{name}"
            );
        }
    }
}
