//! From (graph, mentioned concepts, names) to `subgraphs` batches: one row per mentioned
//! concept with its stored neighbourhood and the epoch-0 neighbour sample.
//!
//! A target's stored neighbourhood is its distinct neighbours ring by ring (hop 1, then hop 2,
//! ...), each node at its shortest distance, ordered by (hops, concept id). Rings are expanded
//! from the stored nodes of the previous ring only, so the work per target is bounded by
//! `max_stored_neighbors` times the largest degree. Targets are processed in parallel, one
//! output batch per chunk of targets.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, RecordBatch, StringArray, StructArray};
use arrow::datatypes::{DataType, SchemaRef};
use rayon::prelude::*;
use tracing::info;

use super::graph::Graph;
use super::names::ConceptNames;
use super::sampler::{sample_neighbors, stored_subset};
use super::SubgraphOptions;
use crate::error::{BaliError, Result};
use crate::tables::columns::{column, list_array, list_item};
use crate::tables::subgraphs;

/// Targets per output batch.
const TARGETS_PER_BATCH: usize = 4096;

/// The distinct concepts of `mentions` batches (every candidate of every mention), sorted.
/// Only the `cui` column is read, so a projection of it suffices.
pub fn mentioned_concepts(
    mentions: impl IntoIterator<Item = Result<RecordBatch>>,
) -> Result<BTreeSet<String>> {
    let mut concepts = BTreeSet::new();
    for batch in mentions {
        let batch = batch?;
        let cui = column::<StringArray>(&batch, "cui")?;
        for c in cui.iter().flatten() {
            if !concepts.contains(c) {
                concepts.insert(c.to_string());
            }
        }
    }
    Ok(concepts)
}

/// Counts of what an extraction did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubgraphStats {
    /// Targets asked for.
    pub targets: u64,
    /// Rows written.
    pub rows: u64,
    /// Targets left out for having no name (require_names).
    pub targets_without_names: u64,
    /// Targets written with an empty neighbourhood (not in the graph, or no usable neighbour).
    pub isolated: u64,
    /// Neighbours left out for having no name (require_names).
    pub neighbors_without_names: u64,
    /// Targets whose neighbourhood was cut to max_stored_neighbors.
    pub capped: u64,
}

impl SubgraphStats {
    fn add(&mut self, o: &SubgraphStats) {
        self.targets += o.targets;
        self.rows += o.rows;
        self.targets_without_names += o.targets_without_names;
        self.isolated += o.isolated;
        self.neighbors_without_names += o.neighbors_without_names;
        self.capped += o.capped;
    }
}

/// `subgraphs` batches and what it took to make them.
#[derive(Debug, Clone)]
pub struct SubgraphOutput {
    /// Batches with the `subgraphs` schema, targets in the order given.
    pub batches: Vec<RecordBatch>,
    /// Counts.
    pub stats: SubgraphStats,
}

/// One stored neighbour: node, the relation of its edge towards the previous ring, distance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stored {
    node: u32,
    relation: u32,
    hops: u32,
}

/// Builds the `subgraphs` rows of `targets` (mentioned concepts, e.g. from
/// [`mentioned_concepts`]); `seed` is the resolved sampling seed.
pub fn subgraph_batches(
    graph: &Graph,
    targets: &[String],
    names: &ConceptNames,
    options: &SubgraphOptions,
    seed: u64,
) -> Result<SubgraphOutput> {
    options.validate()?;
    let schema = subgraphs::schema();
    let parts: Vec<(RecordBatch, SubgraphStats)> = targets
        .par_chunks(TARGETS_PER_BATCH)
        .map(|chunk| chunk_batch(graph, chunk, names, options, seed, &schema))
        .collect::<Result<_>>()?;
    let mut stats = SubgraphStats::default();
    let mut batches = Vec::with_capacity(parts.len());
    for (batch, s) in parts {
        stats.add(&s);
        if batch.num_rows() > 0 {
            batches.push(batch);
        }
    }
    info!(?stats, "extracted subgraphs");
    Ok(SubgraphOutput { batches, stats })
}

/// The stored neighbourhood of `target` and its number of distinct one-hop neighbours.
fn neighbourhood(
    graph: &Graph,
    target: u32,
    cui: &str,
    names: &ConceptNames,
    options: &SubgraphOptions,
    seed: u64,
    stats: &mut SubgraphStats,
) -> Vec<Stored> {
    let mut stored: Vec<Stored> = Vec::new();
    let mut frontier = vec![target];
    // Nodes found in any earlier ring, stored or not, so that a node keeps its shortest
    // distance. Only needed beyond one hop.
    let mut seen: HashSet<u32> = HashSet::new();
    if options.hops > 1 {
        seen.insert(target);
    }
    for hop in 1..=options.hops {
        // Node -> relation of the edge from the first (smallest) predecessor that reaches it.
        let mut ring: BTreeMap<u32, u32> = BTreeMap::new();
        for &u in &frontier {
            for (n, r) in graph.distinct_neighbors(u) {
                if (hop > 1 && seen.contains(&n)) || ring.contains_key(&n) {
                    continue;
                }
                if options.require_names && !names.contains(graph.concept(n)) {
                    stats.neighbors_without_names += 1;
                    continue;
                }
                ring.insert(n, r);
            }
        }
        if options.hops > 1 {
            seen.extend(ring.keys().copied());
        }
        let mut ring: Vec<Stored> = ring
            .into_iter()
            .map(|(node, relation)| Stored {
                node,
                relation,
                hops: hop,
            })
            .collect();
        let room = options.max_stored_neighbors as usize - stored.len();
        if ring.len() > room {
            stats.capped += 1;
            let keep = stored_subset(seed, hop, cui, ring.len() as u32, room as u32);
            ring = keep.into_iter().map(|i| ring[i as usize]).collect();
        }
        frontier = ring.iter().map(|s| s.node).collect();
        stored.extend(ring);
        if stored.len() >= options.max_stored_neighbors as usize || frontier.is_empty() {
            break;
        }
    }
    stored
}

/// One output batch for a chunk of targets.
fn chunk_batch(
    graph: &Graph,
    targets: &[String],
    names: &ConceptNames,
    options: &SubgraphOptions,
    seed: u64,
    schema: &SchemaRef,
) -> Result<(RecordBatch, SubgraphStats)> {
    let mut stats = SubgraphStats::default();
    let mut cuis: Vec<&str> = Vec::new();
    let mut name_lengths = Vec::new();
    let mut name_values: Vec<&str> = Vec::new();
    let mut degrees: Vec<i32> = Vec::new();
    let mut neighbor_lengths = Vec::new();
    let (mut n_cui, mut n_rel, mut n_rela, mut n_hops) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut sampled_lengths = Vec::new();
    let mut sampled: Vec<i32> = Vec::new();

    for cui in targets {
        stats.targets += 1;
        let target_names = names.get(cui);
        if options.require_names && target_names.len() == 0 {
            stats.targets_without_names += 1;
            continue;
        }
        let (degree, stored) = match graph.id(cui) {
            Some(id) => (
                graph.degree(id),
                neighbourhood(graph, id, cui, names, options, seed, &mut stats),
            ),
            None => (0, Vec::new()),
        };
        if stored.is_empty() {
            stats.isolated += 1;
        }
        stats.rows += 1;
        cuis.push(cui);
        name_lengths.push(target_names.len());
        name_values.extend(target_names);
        degrees.push(i32::try_from(degree).map_err(|_| {
            BaliError::Internal(format!(
                "{cui} has {degree} neighbours, more than an Int32 column holds"
            ))
        })?);
        neighbor_lengths.push(stored.len());
        for s in &stored {
            let relation = graph.vocabulary().get(s.relation).ok_or_else(|| {
                BaliError::Internal(format!("relation id {} outside the vocabulary", s.relation))
            })?;
            n_cui.push(graph.concept(s.node));
            n_rel.push(relation.rel.as_str());
            n_rela.push(relation.rela.as_deref());
            n_hops.push(s.hops as i32);
        }
        let draw = sample_neighbors(seed, 0, cui, stored.len() as u32, options.max_neighbors);
        sampled_lengths.push(draw.len());
        sampled.extend(draw.into_iter().map(|i| i as i32));
    }

    let neighbor_fields = match list_item(schema, "neighbors")?.data_type() {
        DataType::Struct(fields) => fields.clone(),
        other => {
            return Err(BaliError::Internal(format!(
                "subgraphs.neighbors items are {other}"
            )))
        }
    };
    let neighbors = StructArray::try_new(
        neighbor_fields,
        vec![
            Arc::new(StringArray::from(n_cui)) as ArrayRef,
            Arc::new(StringArray::from(n_rel)),
            Arc::new(StringArray::from(n_rela)),
            Arc::new(Int32Array::from(n_hops)),
        ],
        None,
    )?;
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(cuis)),
            list_array(
                schema,
                "names",
                name_lengths,
                Arc::new(StringArray::from(name_values)),
            )?,
            Arc::new(Int32Array::from(degrees)),
            list_array(schema, "neighbors", neighbor_lengths, Arc::new(neighbors))?,
            list_array(
                schema,
                "sampled",
                sampled_lengths,
                Arc::new(Int32Array::from(sampled)),
            )?,
        ],
    )?;
    Ok((batch, stats))
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, AsArray, ListArray};
    use arrow::datatypes::Int32Type;

    use super::*;
    use crate::stages::subgraphs::graph::tests::relations_batch;
    use crate::stages::subgraphs::graph::{GraphBuilder, RelationFilter};
    use crate::stages::subgraphs::names::tests::concepts_batch;

    fn row(
        a: &str,
        r: &str,
        b: &str,
        ra: Option<&str>,
    ) -> (String, String, String, Option<String>) {
        (a.into(), r.into(), b.into(), ra.map(String::from))
    }

    /// A star around C0 with 6 named neighbours, one unnamed one, and a second ring.
    fn fixture() -> (Graph, ConceptNames) {
        let mut rows = Vec::new();
        for i in 1..=7 {
            rows.push(row("C0", "RO", &format!("C{i}"), Some("associated_with")));
            rows.push(row(&format!("C{i}"), "RO", "C0", Some("associated_with")));
        }
        rows.push(row("C0", "PAR", "C1", Some("isa")));
        rows.push(row("C1", "CHD", "C8", None));
        rows.push(row("C2", "CHD", "C9", None));
        let mut builder = GraphBuilder::new(RelationFilter::default(), None);
        builder.push(&relations_batch(&rows)).unwrap();
        let mut named: Vec<(String, String)> = (0..=9)
            .filter(|&i| i != 7)
            .map(|i| (format!("C{i}"), format!("concept {i}")))
            .collect();
        named.push(("C0".into(), "zero".into()));
        named.push(("C42".into(), "forty-two".into()));
        named.push(("C0".into(), "nought".into()));
        let rows: Vec<(&str, &str, &str)> = named
            .iter()
            .map(|(c, n)| (c.as_str(), n.as_str(), "ENG"))
            .collect();
        let names = ConceptNames::from_batches([&concepts_batch(&rows)], &["ENG".into()]).unwrap();
        (builder.finish().unwrap(), names)
    }

    fn list_strings(array: &ListArray, row: usize) -> Vec<String> {
        let values = array.value(row);
        values
            .as_string::<i32>()
            .iter()
            .map(|v| v.unwrap().to_string())
            .collect()
    }

    #[test]
    fn one_hop_rows_carry_names_neighbours_and_a_reproducible_sample() {
        let (graph, names) = fixture();
        let targets = vec!["C0".to_string(), "C42".to_string(), "C7".to_string()];
        let options = SubgraphOptions::default();
        let out = subgraph_batches(&graph, &targets, &names, &options, 29).unwrap();
        assert_eq!(out.batches.len(), 1);
        let batch = &out.batches[0];
        assert_eq!(batch.schema(), subgraphs::schema());
        // C7 has no name: no row. C42 is not in the graph: an isolated row.
        assert_eq!(out.stats.rows, 2);
        assert_eq!(out.stats.targets_without_names, 1);
        assert_eq!(out.stats.isolated, 1);
        assert_eq!(out.stats.neighbors_without_names, 1);

        let cuis = batch.column(0).as_string::<i32>();
        assert_eq!(cuis.value(0), "C0");
        assert_eq!(
            list_strings(batch.column(1).as_list::<i32>(), 0),
            ["concept 0", "nought", "zero"]
        );
        assert_eq!(batch.column(2).as_primitive::<Int32Type>().value(0), 7);

        let neighbors = batch.column(3).as_list::<i32>();
        let first = neighbors.value(0);
        let first = first.as_struct();
        let n_cuis: Vec<&str> = first
            .column(0)
            .as_string::<i32>()
            .iter()
            .map(|c| c.unwrap())
            .collect();
        assert_eq!(n_cuis, ["C1", "C2", "C3", "C4", "C5", "C6"]);
        // C1 is related by PAR/isa and RO/associated_with: the first in vocabulary order.
        assert_eq!(first.column(1).as_string::<i32>().value(0), "PAR");
        assert_eq!(first.column(2).as_string::<i32>().value(0), "isa");
        assert!(first
            .column(3)
            .as_primitive::<Int32Type>()
            .values()
            .iter()
            .all(|&h| h == 1));

        let sampled = batch.column(4).as_list::<i32>();
        let draw: Vec<u32> = sampled
            .value(0)
            .as_primitive::<Int32Type>()
            .values()
            .iter()
            .map(|&i| i as u32)
            .collect();
        assert_eq!(draw, sample_neighbors(29, 0, "C0", 6, 3));
        assert_eq!(neighbors.value(1).len(), 0);
        assert_eq!(sampled.value(1).len(), 0);

        let again = subgraph_batches(&graph, &targets, &names, &options, 29).unwrap();
        assert_eq!(again.batches, out.batches);
    }

    #[test]
    fn caps_and_second_ring() {
        let (graph, names) = fixture();
        let targets = vec!["C0".to_string()];
        let capped = SubgraphOptions {
            max_stored_neighbors: 4,
            ..SubgraphOptions::default()
        };
        let out = subgraph_batches(&graph, &targets, &names, &capped, 29).unwrap();
        assert_eq!(out.stats.capped, 1);
        let neighbors = out.batches[0].column(3).as_list::<i32>().value(0);
        assert_eq!(neighbors.len(), 4);
        let stored: Vec<&str> = neighbors
            .as_struct()
            .column(0)
            .as_string::<i32>()
            .iter()
            .map(|c| c.unwrap())
            .collect();
        let keep = stored_subset(29, 1, "C0", 6, 4);
        let expected: Vec<String> = keep.iter().map(|&i| format!("C{}", i + 1)).collect();
        assert_eq!(stored, expected);

        let two = SubgraphOptions {
            hops: 2,
            ..SubgraphOptions::default()
        };
        let out = subgraph_batches(&graph, &targets, &names, &two, 29).unwrap();
        let neighbors = out.batches[0].column(3).as_list::<i32>().value(0);
        let s = neighbors.as_struct();
        let got: Vec<(&str, i32)> = s
            .column(0)
            .as_string::<i32>()
            .iter()
            .zip(s.column(3).as_primitive::<Int32Type>().values())
            .map(|(c, &h)| (c.unwrap(), h))
            .collect();
        // C0 itself is not its own second-ring neighbour; C8 and C9 are two hops away.
        assert_eq!(
            got,
            [
                ("C1", 1),
                ("C2", 1),
                ("C3", 1),
                ("C4", 1),
                ("C5", 1),
                ("C6", 1),
                ("C8", 2),
                ("C9", 2)
            ]
        );
        // Degree still counts one-hop neighbours of the graph, named or not.
        assert_eq!(
            out.batches[0]
                .column(2)
                .as_primitive::<Int32Type>()
                .value(0),
            7
        );
    }

    #[test]
    fn mentioned_concepts_are_distinct_and_sorted() {
        let mentions = crate::stages::samples::build::tests::mentions_batch(&[
            (1, 0, 0, 0, 5, "C2"),
            (1, 0, 0, 0, 5, "C1"),
            (1, 1, 1, 2, 4, "C2"),
        ]);
        let got: Vec<String> = mentioned_concepts([Ok(mentions)])
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(got, ["C1", "C2"]);
    }
}
