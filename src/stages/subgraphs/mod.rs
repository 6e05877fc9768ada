//! `subgraphs`: the knowledge-graph neighbourhood of every mentioned concept.
//!
//! The pieces, one module each: [`graph`] builds the CSR adjacency from `relations` batches;
//! [`names`] gathers the concepts' names; [`extract`] turns (graph, mentioned concepts, names)
//! into `subgraphs` batches; [`sampler`] is the seeded neighbour and name sampler that this stage
//! and the trainer share. The `subgraphs` kind, which wires them to the engine, is here.
//!
//! Inputs are whole tables: the mentions of every partition (which concepts need a subgraph),
//! the relations (the graph) and the concepts (names). The output is one partition, `all`: the
//! graph is a dimension of the whole corpus, so any change to its inputs rebuilds it, which at
//! UMLS scale takes about a minute of two cores (BENCHMARKS.md).

pub mod extract;
pub mod graph;
mod interner;
pub mod names;
pub use crate::kg::sampler;

pub use extract::{mentioned_concepts, subgraph_batches, SubgraphOutput, SubgraphStats};
pub use graph::{
    Graph, GraphBuildStats, GraphBuilder, MentionedRestriction, Relation, RelationFilter,
    RelationVocabulary,
};
pub use names::{ConceptNames, ConceptNamesBuilder};
pub use sampler::{pick_name, sample_neighbors};

use std::collections::HashSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tracing::info;

use crate::engine::{BuildContext, InputDecl, OutputDecl, PartitionCtx, Stage, StageKind, Unit};
use crate::error::{BaliError, Result};
use crate::tables::TableType;

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

/// The `subgraphs` kind.
pub struct Subgraphs;

impl StageKind for Subgraphs {
    type Options = SubgraphOptions;
    const NAME: &'static str = "subgraphs";
    const SUMMARY: &'static str =
        "one-hop knowledge-graph neighbourhood (CSR graph of the relations) of every mentioned concept, with names and a seeded neighbour sample";
    const FORMAT_VERSION: u32 = 1;
    const INPUTS: &'static [InputDecl] = &[
        InputDecl::whole("mentions", &[TableType::Mentions]),
        InputDecl::whole("relations", &[TableType::Relations]),
        InputDecl::whole("concepts", &[TableType::Concepts]),
    ];
    const OUTPUTS: &'static [OutputDecl] = &[OutputDecl {
        name: "subgraphs",
        table: TableType::Subgraphs,
    }];
    const EXAMPLE: &'static str =
        "max_neighbors: 3\nexclude_rels: [SIB]\nmax_stored_neighbors: 512";

    fn build(options: SubgraphOptions, ctx: &BuildContext) -> Result<Box<dyn Stage>> {
        options.validate()?;
        let seed = options.seed.unwrap_or(ctx.seed);
        Ok(Box::new(SubgraphsStage { options, seed }))
    }
}

/// The runtime `subgraphs` stage.
struct SubgraphsStage {
    options: SubgraphOptions,
    /// The sampling seed: the option, or the pipeline's.
    seed: u64,
}

impl Stage for SubgraphsStage {
    fn run(&self, ctx: &mut PartitionCtx<'_>) -> Result<()> {
        let mentions = ctx.whole(0)?;
        let targets = mentioned_concepts(mentions.scan_columns(&["cui"])?)?;
        info!(targets = targets.len(), "mentioned concepts");

        let relations = ctx.whole(1)?;
        ctx.progress().start(relations.num_rows(), Unit::Rows);
        let mut builder = self.options.graph_builder(&targets);
        for batch in relations.scan_columns(&["cui1", "rel", "cui2", "rela"])? {
            let batch = batch?;
            builder.push(&batch)?;
            ctx.progress().inc(batch.num_rows() as u64);
            ctx.check_cancelled()?;
        }
        info!(stats = ?builder.stats(), "graph rows");
        let graph = builder.finish()?;

        // Names of the targets and of the graph's nodes only.
        let mut names = ConceptNamesBuilder::new(&self.options.languages);
        for batch in ctx.whole(2)?.scan_columns(&["cui", "name", "language"])? {
            names.push_where(&batch?, |c| graph.id(c).is_some() || targets.contains(c))?;
            ctx.check_cancelled()?;
        }
        let names = names.finish();

        let targets: Vec<String> = targets.into_iter().collect();
        let out = subgraph_batches(&graph, &targets, &names, &self.options, self.seed)?;
        info!(stats = ?out.stats, "subgraphs");
        for batch in out.batches {
            ctx.emit(0, batch)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::Int32Type;

    use super::*;
    use crate::engine::Table;
    use crate::stages::subgraphs::sample_neighbors;
    use crate::stages::testkinds::run_yaml;
    use crate::store::Store;

    #[test]
    fn example_options_parse() {
        let o: SubgraphOptions = serde_saphyr::from_str(Subgraphs::EXAMPLE).unwrap();
        assert_eq!(o.exclude_rels, ["SIB"]);
        assert!(o.validate().is_ok());
    }

    fn relation(cui1: &str, rel: &str, cui2: &str, rela: &str) -> String {
        format!(
            r#"{{"cui1":"{cui1}","rel":"{rel}","cui2":"{cui2}","rela":{},"sab":"TEST","source_file":"MRREL.RRF","line":1}}"#,
            if rela.is_empty() {
                "null".to_string()
            } else {
                format!("\"{rela}\"")
            }
        )
    }

    fn concept(cui: &str, name: &str, lat: &str) -> String {
        format!(
            r#"{{"cui":"{cui}","name":"{name}","language":"{lat}","sab":"TEST","tty":"PT","code":null,"aui":null,"is_preferred":true,"suppress":null,"scope":null,"source_file":"MRCONSO.RRF","line":1}}"#
        )
    }

    fn mention(pmid: i64, cui: &str) -> String {
        format!(
            r#"{{"pmid":{pmid},"version":1,"sentence_index":0,"section":"title","mention_index":0,"start":0,"end":4,"doc_start":0,"doc_end":4,"surface":"text","cui":"{cui}","candidates":1,"matched":"text","origin":"dictionary","source_file":"f.xml","article_index":0}}"#
        )
    }

    /// mentions, relations and concepts from fixture kinds, through the engine: the graph keeps
    /// relations touching mentioned concepts, names come from the concepts, the stored sample
    /// is the sampler's epoch-0 draw with the pipeline seed, and a second run is fresh.
    #[test]
    fn runs_end_to_end_through_the_engine() {
        let dir = tempfile::tempdir().unwrap();
        let lines = |v: Vec<String>| v.join(" ").replace('\'', "''");
        let mentions_a = lines(vec![mention(1, "C1"), mention(1, "C9")]);
        let mentions_b = lines(vec![mention(2, "C2")]);
        let mut rels = Vec::new();
        for (a, b) in [
            ("C1", "C2"),
            ("C1", "C3"),
            ("C1", "C4"),
            ("C1", "C5"),
            ("C6", "C7"),
        ] {
            rels.push(relation(a, "RO", b, "associated_with"));
            rels.push(relation(b, "RO", a, "associated_with"));
        }
        rels.push(relation("C1", "SIB", "C8", ""));
        let concepts = lines(
            ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"]
                .iter()
                .map(|c| concept(c, &format!("name of {c}"), "ENG"))
                .chain([concept("C1", "nom de C1", "FRE")])
                .collect(),
        );
        let yaml = format!(
            "pipeline: t\nseed: 7\nstages:\n  \
             mentions: {{ kind: mentions_rows, options: {{ partitions: {{ a: '{mentions_a}', b: '{mentions_b}' }} }} }}\n  \
             relations: {{ kind: relations_rows, options: {{ partitions: {{ all: '{}' }} }} }}\n  \
             concepts: {{ kind: concepts_rows, options: {{ partitions: {{ all: '{concepts}' }} }} }}\n  \
             subgraphs: {{ kind: subgraphs, inputs: [mentions, relations, concepts], options: {{ exclude_rels: [SIB] }} }}\n",
            lines(rels)
        );
        let report = run_yaml(&yaml, dir.path()).unwrap();
        let stage = report
            .stages
            .iter()
            .find(|s| s.stage == "subgraphs")
            .unwrap();
        assert_eq!(stage.partitions_run, 1);

        let store = Store::open(dir.path()).unwrap();
        let batches = Table::open(&store, "subgraphs", None)
            .unwrap()
            .scan()
            .unwrap()
            .collect_all()
            .unwrap();
        let batch = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
        let cuis: Vec<&str> = batch
            .column(0)
            .as_string::<i32>()
            .iter()
            .map(|c| c.unwrap())
            .collect();
        // C9 has no name: no row. C6-C7 touch no mentioned concept: not in the graph.
        assert_eq!(cuis, ["C1", "C2"]);
        let names = batch.column(1).as_list::<i32>();
        let c1_names = names.value(0);
        let c1_names: Vec<&str> = c1_names
            .as_string::<i32>()
            .iter()
            .map(|c| c.unwrap())
            .collect();
        assert_eq!(c1_names, ["name of C1"]);
        let degrees = batch.column(2).as_primitive::<Int32Type>();
        // SIB excluded: C1 has C2..C5.
        assert_eq!((degrees.value(0), degrees.value(1)), (4, 1));
        let neighbors = batch.column(3).as_list::<i32>();
        assert_eq!(neighbors.value(0).len(), 4);
        let sampled = batch.column(4).as_list::<i32>();
        let draw: Vec<u32> = sampled
            .value(0)
            .as_primitive::<Int32Type>()
            .values()
            .iter()
            .map(|&i| i as u32)
            .collect();
        assert_eq!(draw, sample_neighbors(7, 0, "C1", 4, 3));

        let again = run_yaml(&yaml, dir.path()).unwrap();
        let stage = again
            .stages
            .iter()
            .find(|s| s.stage == "subgraphs")
            .unwrap();
        assert_eq!(stage.partitions_run, 0);
    }

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
