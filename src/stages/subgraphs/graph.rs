//! The knowledge graph as a compact adjacency (CSR), built in parallel from `relations` batches.
//!
//! MRREL orientation is kept: a row (cui1, rel, cui2, rela) becomes the edge cui1 -> cui2 in
//! cui1's adjacency, labelled with the relation (rel, rela), which reads "cui2 is `rel` of cui1".
//! MRREL lists both directions of every relation, so no reverse edge is invented. For BALI's star
//! subgraph of a target t, t's adjacency lists exactly the neighbours whose edges point to t.
//!
//! Layout: concepts are interned to `u32` ids in sorted string order (so a concept is found by
//! binary search and neighbour lists sorted by id are sorted by concept id); node `u`'s edges are
//! `offsets[u]..offsets[u + 1]` of two parallel arrays, neighbour ids and relation ids, sorted by
//! (neighbour, relation) with duplicates removed. A pair related in several ways (several
//! REL/RELA, or the same one asserted by several sources) keeps one edge per distinct relation;
//! [`Graph::distinct_neighbors`] folds them. At UMLS scale (80M rows) this is about 8 bytes per
//! edge plus 8 per concept, against ~100 bytes per row for the rows themselves.
//!
//! The build streams: [`GraphBuilder::push`] takes one batch at a time (rows in parallel with
//! rayon) and keeps only 12 bytes per kept row; [`GraphBuilder::finish`] renumbers concepts and
//! relations in sorted order, counts degrees, scatters edges into place in parallel and sorts and
//! deduplicates each adjacency list in parallel.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arrow::array::{Array, RecordBatch, StringArray};
use rayon::prelude::*;
use tracing::{debug, info};

use super::interner::ShardedInterner;
use crate::error::{BaliError, Result};
use crate::tables::columns::column;

/// Rows handed to one rayon task within a batch.
const ROWS_PER_TASK: usize = 4096;

/// A relation type: MRREL's REL with its optional RELA.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Relation {
    /// REL: PAR, CHD, RB, RN, RO, SY, ... (the relationship of the neighbour to the node).
    pub rel: String,
    /// RELA, e.g. `isa` or `may_treat`; `None` where MRREL leaves it empty.
    pub rela: Option<String>,
}

/// Every distinct (REL, RELA) of the graph, in sorted order; an edge's relation id indexes it.
///
/// Relation types are data (BALI's linearised-graph variant writes them as text) even though the
/// default graph encoder ignores them, so the vocabulary travels with the graph.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelationVocabulary {
    entries: Vec<Relation>,
}

impl RelationVocabulary {
    /// The relation with id `id`.
    pub fn get(&self, id: u32) -> Option<&Relation> {
        self.entries.get(id as usize)
    }

    /// The id of (rel, rela), if some edge has it.
    pub fn id(&self, rel: &str, rela: Option<&str>) -> Option<u32> {
        self.entries
            .binary_search_by(|r| (r.rel.as_str(), r.rela.as_deref()).cmp(&(rel, rela)))
            .ok()
            .map(|i| i as u32)
    }

    /// Number of distinct relations.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the graph has no edges.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The relations in id order.
    pub fn iter(&self) -> impl Iterator<Item = &Relation> {
        self.entries.iter()
    }
}

/// Which `relations` rows become edges.
///
/// Include lists are allow-lists (empty: everything); exclude lists win over include lists.
/// A row with a null RELA never matches a non-empty `relas` list, and is never excluded by
/// `exclude_relas`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelationFilter {
    /// REL values to keep (empty: all).
    pub rels: HashSet<String>,
    /// REL values to drop.
    pub exclude_rels: HashSet<String>,
    /// RELA values to keep (empty: all).
    pub relas: HashSet<String>,
    /// RELA values to drop.
    pub exclude_relas: HashSet<String>,
    /// Keep rows whose two concepts are the same (a node is then its own neighbour).
    pub self_loops: bool,
}

impl RelationFilter {
    /// Whether a row with this REL and RELA passes the relation lists.
    fn keeps_relation(&self, rel: &str, rela: Option<&str>) -> bool {
        if (!self.rels.is_empty() && !self.rels.contains(rel)) || self.exclude_rels.contains(rel) {
            return false;
        }
        match rela {
            Some(a) => {
                (self.relas.is_empty() || self.relas.contains(a)) && !self.exclude_relas.contains(a)
            }
            None => self.relas.is_empty(),
        }
    }
}

/// Restriction of the graph to relations touching the concepts that are mentioned in the text.
#[derive(Debug, Clone)]
pub struct MentionedRestriction {
    /// The mentioned concepts.
    pub concepts: Arc<HashSet<String>>,
    /// Keep a row whose other end is never mentioned (BALI: yes, a neighbour need not be
    /// mentioned); when false, both ends must be mentioned.
    pub keep_unmentioned_neighbors: bool,
}

impl MentionedRestriction {
    fn keeps(&self, cui1: &str, cui2: &str) -> bool {
        let (a, b) = (self.concepts.contains(cui1), self.concepts.contains(cui2));
        if self.keep_unmentioned_neighbors {
            a || b
        } else {
            a && b
        }
    }
}

/// Counts of what a build read and kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GraphBuildStats {
    /// Rows read.
    pub rows: u64,
    /// Rows dropped by the relation lists.
    pub dropped_relation: u64,
    /// Rows dropped because both ends are the same concept (self_loops off).
    pub dropped_self_loop: u64,
    /// Rows dropped by the mentioned-concepts restriction.
    pub dropped_unmentioned: u64,
    /// Rows kept (before duplicate edges are merged).
    pub kept: u64,
}

/// One kept row, with provisional concept ids and a provisional relation id.
#[derive(Debug, Clone, Copy)]
struct PendingEdge {
    source: u32,
    target: u32,
    relation: u32,
}

/// (REL, RELA) as the build's relation map holds it.
type RelationKey = (Box<str>, Option<Box<str>>);

/// Builds a [`Graph`] from `relations` batches pushed one at a time.
pub struct GraphBuilder {
    filter: RelationFilter,
    mentioned: Option<MentionedRestriction>,
    concepts: ShardedInterner,
    /// (rel, rela) -> provisional relation id (insertion order).
    relations: Mutex<HashMap<RelationKey, u32>>,
    /// One vector per rayon task, so that no vector is ever reallocated and copied.
    pending: Vec<Vec<PendingEdge>>,
    stats: GraphBuildStats,
}

impl GraphBuilder {
    /// A builder keeping the rows `filter` accepts and, when `mentioned` is given, only rows
    /// touching mentioned concepts.
    pub fn new(filter: RelationFilter, mentioned: Option<MentionedRestriction>) -> Self {
        GraphBuilder {
            filter,
            mentioned,
            concepts: ShardedInterner::new(),
            relations: Mutex::new(HashMap::new()),
            pending: Vec::new(),
            stats: GraphBuildStats::default(),
        }
    }

    /// Adds the rows of one batch with the `relations` schema (only `cui1`, `rel`, `cui2` and
    /// `rela` are read, so a projection of those suffices).
    pub fn push(&mut self, batch: &RecordBatch) -> Result<()> {
        let cui1 = column::<StringArray>(batch, "cui1")?;
        let rel = column::<StringArray>(batch, "rel")?;
        let cui2 = column::<StringArray>(batch, "cui2")?;
        let rela = column::<StringArray>(batch, "rela")?;
        if cui1.null_count() + rel.null_count() + cui2.null_count() > 0 {
            return Err(BaliError::Arrow(arrow::error::ArrowError::SchemaError(
                "relations: cui1, rel and cui2 must not be null".into(),
            )));
        }
        let rows = batch.num_rows();
        let tasks: Vec<(Vec<PendingEdge>, GraphBuildStats)> = (0..rows)
            .into_par_iter()
            .step_by(ROWS_PER_TASK)
            .map(|start| {
                self.convert(
                    cui1,
                    rel,
                    cui2,
                    rela,
                    start..rows.min(start + ROWS_PER_TASK),
                )
            })
            .collect::<Result<_>>()?;
        for (edges, stats) in tasks {
            self.stats.rows += stats.rows;
            self.stats.dropped_relation += stats.dropped_relation;
            self.stats.dropped_self_loop += stats.dropped_self_loop;
            self.stats.dropped_unmentioned += stats.dropped_unmentioned;
            self.stats.kept += stats.kept;
            if !edges.is_empty() {
                self.pending.push(edges);
            }
        }
        Ok(())
    }

    /// Filters and interns the rows `range` of one batch.
    fn convert(
        &self,
        cui1: &StringArray,
        rel: &StringArray,
        cui2: &StringArray,
        rela: &StringArray,
        range: std::ops::Range<usize>,
    ) -> Result<(Vec<PendingEdge>, GraphBuildStats)> {
        let mut stats = GraphBuildStats::default();
        let mut edges = Vec::with_capacity(range.len());
        // Relation types are few: a task-local cache keeps the shared map's lock off the
        // per-row path.
        let mut relation_ids: HashMap<(&str, Option<&str>), u32> = HashMap::new();
        let mut last_source: Option<(&str, u32)> = None;
        for row in range {
            stats.rows += 1;
            let (a, b, r) = (cui1.value(row), cui2.value(row), rel.value(row));
            let ra = rela.is_valid(row).then(|| rela.value(row));
            if !self.filter.keeps_relation(r, ra) {
                stats.dropped_relation += 1;
                continue;
            }
            if a == b && !self.filter.self_loops {
                stats.dropped_self_loop += 1;
                continue;
            }
            if let Some(m) = &self.mentioned {
                if !m.keeps(a, b) {
                    stats.dropped_unmentioned += 1;
                    continue;
                }
            }
            let relation = match relation_ids.get(&(r, ra)) {
                Some(&id) => id,
                None => {
                    let id = self.relation_id(r, ra)?;
                    relation_ids.insert((r, ra), id);
                    id
                }
            };
            // MRREL is sorted by CUI1: consecutive rows usually share their source.
            let source = match last_source {
                Some((s, id)) if s == a => id,
                _ => self.concepts.intern(a)?,
            };
            last_source = Some((a, source));
            edges.push(PendingEdge {
                source,
                target: self.concepts.intern(b)?,
                relation,
            });
            stats.kept += 1;
        }
        Ok((edges, stats))
    }

    /// The provisional id of a relation, adding it if new.
    fn relation_id(&self, rel: &str, rela: Option<&str>) -> Result<u32> {
        let mut map = self
            .relations
            .lock()
            .map_err(|_| BaliError::Internal("a graph-build worker panicked".into()))?;
        let next = map.len() as u32;
        Ok(*map
            .entry((rel.into(), rela.map(Into::into)))
            .or_insert(next))
    }

    /// What has been read and kept so far.
    pub fn stats(&self) -> GraphBuildStats {
        self.stats
    }

    /// Builds the CSR adjacency from every pushed row.
    pub fn finish(self) -> Result<Graph> {
        let stats = self.stats;
        let sorted = self.concepts.into_sorted()?;
        let nodes = sorted.concepts.len();

        let relations = self
            .relations
            .into_inner()
            .map_err(|_| BaliError::Internal("a graph-build worker panicked".into()))?;
        let mut entries: Vec<(Relation, u32)> = relations
            .into_iter()
            .map(|((rel, rela), id)| {
                (
                    Relation {
                        rel: rel.into(),
                        rela: rela.map(Into::into),
                    },
                    id,
                )
            })
            .collect();
        entries.sort_unstable();
        let mut relation_remap = vec![0u32; entries.len()];
        for (new, (_, old)) in entries.iter().enumerate() {
            relation_remap[*old as usize] = new as u32;
        }
        let vocabulary = RelationVocabulary {
            entries: entries.into_iter().map(|(r, _)| r).collect(),
        };

        // Renumber in place, then count degrees.
        let mut pending = self.pending;
        pending.par_iter_mut().for_each(|chunk| {
            for e in chunk.iter_mut() {
                e.source = sorted.final_id(e.source);
                e.target = sorted.final_id(e.target);
                e.relation = relation_remap[e.relation as usize];
            }
        });
        let degree: Vec<AtomicU64> = (0..nodes).map(|_| AtomicU64::new(0)).collect();
        pending.par_iter().for_each(|chunk| {
            for e in chunk {
                degree[e.source as usize].fetch_add(1, Ordering::Relaxed);
            }
        });
        let mut offsets = Vec::with_capacity(nodes + 1);
        offsets.push(0u64);
        let mut total = 0u64;
        for d in &degree {
            total += d.load(Ordering::Relaxed);
            offsets.push(total);
        }
        drop(degree);

        // Scatter each edge, packed as (target << 32 | relation), into its source's slot range.
        // Atomic cursors let the tasks write in parallel; each chunk is freed once scattered.
        let cursor: Vec<AtomicU64> = offsets[..nodes]
            .iter()
            .map(|&o| AtomicU64::new(o))
            .collect();
        let slots: Vec<AtomicU64> = (0..total).map(|_| AtomicU64::new(0)).collect();
        pending.into_par_iter().for_each(|chunk| {
            for e in chunk {
                let at = cursor[e.source as usize].fetch_add(1, Ordering::Relaxed);
                slots[at as usize].store(
                    (u64::from(e.target) << 32) | u64::from(e.relation),
                    Ordering::Relaxed,
                );
            }
        });
        drop(cursor);
        let mut packed: Vec<u64> = slots.into_iter().map(AtomicU64::into_inner).collect();

        // Sort and deduplicate each adjacency list in parallel, then close the gaps.
        let mut lists: Vec<&mut [u64]> = Vec::with_capacity(nodes);
        let mut rest: &mut [u64] = &mut packed;
        for w in offsets.windows(2) {
            let (list, tail) = rest.split_at_mut((w[1] - w[0]) as usize);
            lists.push(list);
            rest = tail;
        }
        let unique: Vec<usize> = lists
            .into_par_iter()
            .map(|list| {
                list.sort_unstable();
                let mut kept = 0;
                for i in 0..list.len() {
                    if kept == 0 || list[i] != list[kept - 1] {
                        list[kept] = list[i];
                        kept += 1;
                    }
                }
                kept
            })
            .collect();
        let mut write = 0usize;
        for (u, &n) in unique.iter().enumerate() {
            let read = offsets[u] as usize;
            packed.copy_within(read..read + n, write);
            offsets[u] = write as u64;
            write += n;
        }
        offsets[nodes] = write as u64;
        packed.truncate(write);
        packed.shrink_to_fit();

        let (neighbors, relations): (Vec<u32>, Vec<u32>) = packed
            .par_iter()
            .map(|&p| ((p >> 32) as u32, p as u32))
            .unzip();
        drop(packed);

        let concepts = StringArray::from_iter_values(sorted.concepts.iter());
        drop(sorted);
        let graph = Graph {
            concepts,
            offsets,
            neighbors,
            relations,
            vocabulary,
        };
        debug!(?stats, "graph build counts");
        info!(
            nodes = graph.node_count(),
            edges = graph.edge_count(),
            relations = graph.vocabulary.len(),
            rows = stats.rows,
            bytes = graph.memory_bytes(),
            "built graph"
        );
        Ok(graph)
    }
}

/// A knowledge graph in CSR form (see the module docs for the layout and its invariants).
#[derive(Debug, Clone)]
pub struct Graph {
    /// Concept ids in ascending order; the position is the node id.
    concepts: StringArray,
    /// `offsets[u]..offsets[u + 1]` are node u's edges; `offsets.len() == nodes + 1`.
    offsets: Vec<u64>,
    /// Neighbour node of each edge; sorted within a node (then by relation), no duplicate edge.
    neighbors: Vec<u32>,
    /// Relation id of each edge (into the vocabulary).
    relations: Vec<u32>,
    vocabulary: RelationVocabulary,
}

impl Graph {
    /// Number of concepts with at least one edge (as source or neighbour).
    pub fn node_count(&self) -> usize {
        self.concepts.len()
    }

    /// Number of distinct (source, neighbour, relation) edges.
    pub fn edge_count(&self) -> usize {
        self.neighbors.len()
    }

    /// The node id of a concept (binary search over the sorted concept ids).
    pub fn id(&self, concept: &str) -> Option<u32> {
        let (mut lo, mut hi) = (0usize, self.concepts.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.concepts.value(mid).cmp(concept) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid as u32),
            }
        }
        None
    }

    /// The concept id of node `id` (which must be below [`node_count`](Self::node_count)).
    pub fn concept(&self, id: u32) -> &str {
        self.concepts.value(id as usize)
    }

    /// Node `id`'s edges: neighbour ids and relation ids, parallel slices sorted by
    /// (neighbour, relation). A neighbour related in several ways appears once per relation.
    pub fn edges(&self, id: u32) -> (&[u32], &[u32]) {
        let (a, b) = (
            self.offsets[id as usize] as usize,
            self.offsets[id as usize + 1] as usize,
        );
        (&self.neighbors[a..b], &self.relations[a..b])
    }

    /// Node `id`'s distinct neighbours in ascending id (= concept id) order, each with the
    /// smallest relation id (first in vocabulary order) that relates it.
    pub fn distinct_neighbors(&self, id: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        let (neighbors, relations) = self.edges(id);
        neighbors
            .iter()
            .zip(relations)
            .enumerate()
            .filter(move |&(i, (n, _))| i == 0 || neighbors[i - 1] != *n)
            .map(|(_, (&n, &r))| (n, r))
    }

    /// Number of distinct neighbours of node `id`.
    pub fn degree(&self, id: u32) -> usize {
        self.distinct_neighbors(id).count()
    }

    /// The relation types of the graph.
    pub fn vocabulary(&self) -> &RelationVocabulary {
        &self.vocabulary
    }

    /// Heap bytes held by the adjacency and the concept ids.
    pub fn memory_bytes(&self) -> usize {
        self.concepts.get_buffer_memory_size()
            + self.offsets.capacity() * 8
            + self.neighbors.capacity() * 4
            + self.relations.capacity() * 4
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::tables::relations;

    type Row = (String, String, String, Option<String>);

    pub(crate) fn relations_batch(rows: &[Row]) -> RecordBatch {
        let n = rows.len();
        RecordBatch::try_new(
            relations::schema(),
            vec![
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &r.0))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &r.1))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &r.2))),
                Arc::new(StringArray::from_iter(rows.iter().map(|r| r.3.as_deref()))),
                Arc::new(StringArray::from_iter_values(std::iter::repeat_n("SRC", n))),
                Arc::new(StringArray::from_iter_values(std::iter::repeat_n(
                    "MRREL.RRF",
                    n,
                ))),
                Arc::new(Int64Array::from_iter_values(1..=n as i64)),
            ],
        )
        .unwrap()
    }

    /// A random graph: few concepts and relations so that duplicates, multi-relations and
    /// self-loops are common.
    fn random_rows(rng: &mut ChaCha8Rng) -> Vec<Row> {
        let concepts = rng.random_range(1..60);
        let rows = rng.random_range(0..600);
        let rels = ["PAR", "CHD", "RO", "SY", "RB"];
        let relas = [None, Some("isa"), Some("may_treat"), Some("inverse_isa")];
        (0..rows)
            .map(|_| {
                (
                    format!("C{:07}", rng.random_range(0..concepts)),
                    rels[rng.random_range(0..rels.len())].to_string(),
                    format!("C{:07}", rng.random_range(0..concepts)),
                    relas[rng.random_range(0..relas.len())].map(String::from),
                )
            })
            .collect()
    }

    /// The adjacency the naive way: a sorted map of sets, with the same filter semantics.
    fn naive(
        rows: &[Row],
        filter: &RelationFilter,
        mentioned: Option<&MentionedRestriction>,
    ) -> BTreeMap<String, BTreeSet<(String, Relation)>> {
        let mut adjacency: BTreeMap<String, BTreeSet<(String, Relation)>> = BTreeMap::new();
        let mut concepts = BTreeSet::new();
        for (a, rel, b, rela) in rows {
            let rel_ok = (filter.rels.is_empty() || filter.rels.contains(rel))
                && !filter.exclude_rels.contains(rel);
            let rela_ok = match rela {
                Some(x) => {
                    (filter.relas.is_empty() || filter.relas.contains(x))
                        && !filter.exclude_relas.contains(x)
                }
                None => filter.relas.is_empty(),
            };
            let loop_ok = a != b || filter.self_loops;
            let mention_ok = mentioned.is_none_or(|m| {
                let (x, y) = (m.concepts.contains(a), m.concepts.contains(b));
                if m.keep_unmentioned_neighbors {
                    x || y
                } else {
                    x && y
                }
            });
            if rel_ok && rela_ok && loop_ok && mention_ok {
                concepts.insert(a.clone());
                concepts.insert(b.clone());
                adjacency.entry(a.clone()).or_default().insert((
                    b.clone(),
                    Relation {
                        rel: rel.clone(),
                        rela: rela.clone(),
                    },
                ));
            }
        }
        for c in concepts {
            adjacency.entry(c).or_default();
        }
        adjacency
    }

    fn random_filter(rng: &mut ChaCha8Rng) -> RelationFilter {
        let pick = |rng: &mut ChaCha8Rng, from: &[&str]| -> HashSet<String> {
            from.iter()
                .filter(|_| rng.random_bool(0.3))
                .map(|s| s.to_string())
                .collect()
        };
        RelationFilter {
            rels: if rng.random_bool(0.3) {
                pick(rng, &["PAR", "CHD", "RO"])
            } else {
                HashSet::new()
            },
            exclude_rels: if rng.random_bool(0.3) {
                pick(rng, &["SY", "RB"])
            } else {
                HashSet::new()
            },
            relas: if rng.random_bool(0.2) {
                pick(rng, &["isa", "may_treat"])
            } else {
                HashSet::new()
            },
            exclude_relas: if rng.random_bool(0.2) {
                pick(rng, &["inverse_isa"])
            } else {
                HashSet::new()
            },
            self_loops: rng.random_bool(0.5),
        }
    }

    /// CSR equals the naive adjacency on 300 random graphs with random filters, mention
    /// restrictions and batch splits.
    #[test]
    fn csr_equals_naive_adjacency_on_random_graphs() {
        for seed in 0..300u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let rows = random_rows(&mut rng);
            let filter = random_filter(&mut rng);
            let mentioned = rng.random_bool(0.5).then(|| MentionedRestriction {
                concepts: Arc::new(
                    rows.iter()
                        .flat_map(|r| [r.0.clone(), r.2.clone()])
                        .filter(|c| c.ends_with(['1', '3', '5', '7']))
                        .collect(),
                ),
                keep_unmentioned_neighbors: rng.random_bool(0.5),
            });
            let expected = naive(&rows, &filter, mentioned.as_ref());

            let mut builder = GraphBuilder::new(filter, mentioned);
            let mut start = 0;
            while start < rows.len() {
                let end = (start + rng.random_range(1..200)).min(rows.len());
                builder.push(&relations_batch(&rows[start..end])).unwrap();
                start = end;
            }
            let stats = builder.stats();
            let graph = builder.finish().unwrap();

            assert_eq!(stats.rows as usize, rows.len(), "seed {seed}");
            assert_eq!(
                stats.kept
                    + stats.dropped_relation
                    + stats.dropped_self_loop
                    + stats.dropped_unmentioned,
                stats.rows
            );
            assert_eq!(graph.node_count(), expected.len(), "seed {seed}");
            let mut actual = BTreeMap::new();
            for id in 0..graph.node_count() as u32 {
                let (neighbors, relations) = graph.edges(id);
                let edges: BTreeSet<(String, Relation)> = neighbors
                    .iter()
                    .zip(relations)
                    .map(|(&n, &r)| {
                        (
                            graph.concept(n).to_string(),
                            graph.vocabulary().get(r).unwrap().clone(),
                        )
                    })
                    .collect();
                assert_eq!(edges.len(), neighbors.len(), "seed {seed}: duplicate edge");
                assert!(
                    neighbors.windows(2).all(|w| w[0] <= w[1]),
                    "seed {seed}: unsorted"
                );
                assert_eq!(graph.id(graph.concept(id)), Some(id));
                let distinct: BTreeSet<&str> = edges.iter().map(|(c, _)| c.as_str()).collect();
                assert_eq!(graph.degree(id), distinct.len());
                actual.insert(graph.concept(id).to_string(), edges);
            }
            assert_eq!(actual, expected, "seed {seed}");
            assert_eq!(
                graph.edge_count(),
                expected.values().map(BTreeSet::len).sum::<usize>()
            );
            assert_eq!(graph.id("C9999999"), None);
        }
    }

    #[test]
    fn distinct_neighbours_fold_relations_and_vocabulary_is_sorted() {
        let row = |a: &str, r: &str, b: &str, ra: Option<&str>| {
            (
                a.to_string(),
                r.to_string(),
                b.to_string(),
                ra.map(String::from),
            )
        };
        let rows = vec![
            row("C1", "RO", "C2", Some("may_treat")),
            row("C1", "PAR", "C2", Some("isa")),
            row("C1", "PAR", "C2", Some("isa")),
            row("C1", "CHD", "C3", None),
            row("C2", "CHD", "C1", Some("inverse_isa")),
        ];
        let mut builder = GraphBuilder::new(RelationFilter::default(), None);
        builder.push(&relations_batch(&rows)).unwrap();
        let graph = builder.finish().unwrap();
        let names: Vec<(String, Option<String>)> = graph
            .vocabulary()
            .iter()
            .map(|r| (r.rel.clone(), r.rela.clone()))
            .collect();
        assert_eq!(
            names,
            [
                ("CHD".to_string(), None),
                ("CHD".to_string(), Some("inverse_isa".to_string())),
                ("PAR".to_string(), Some("isa".to_string())),
                ("RO".to_string(), Some("may_treat".to_string())),
            ]
        );
        let c1 = graph.id("C1").unwrap();
        assert_eq!(graph.edges(c1).0.len(), 3);
        let distinct: Vec<(&str, &Relation)> = graph
            .distinct_neighbors(c1)
            .map(|(n, r)| (graph.concept(n), graph.vocabulary().get(r).unwrap()))
            .collect();
        assert_eq!(distinct.len(), 2);
        assert_eq!(distinct[0].0, "C2");
        assert_eq!(distinct[0].1.rel, "PAR");
        assert_eq!(distinct[1], ("C3", graph.vocabulary().get(0).unwrap()));
        assert_eq!(graph.vocabulary().id("PAR", Some("isa")), Some(2));
        assert_eq!(graph.vocabulary().id("PAR", None), None);
        // C3 has no edges of its own but is a node.
        assert_eq!(graph.edges(graph.id("C3").unwrap()).0.len(), 0);
    }

    #[test]
    fn a_batch_without_the_relation_columns_is_an_error() {
        let batch = RecordBatch::try_from_iter([(
            "cui1",
            Arc::new(StringArray::from(vec!["C1"])) as arrow::array::ArrayRef,
        )])
        .unwrap();
        let err = GraphBuilder::new(RelationFilter::default(), None)
            .push(&batch)
            .unwrap_err();
        assert!(err.to_string().contains("no column `rel`"), "{err}");
    }
}
