//! A synthetic MRREL-like `relations` table of any size, for the UMLS-scale benchmark.
//!
//! UMLS MRREL has about 80M rows over about 4M concepts, with a heavy-tailed degree
//! distribution (a few hub concepts have 10^4-10^5 neighbours, most have a handful). The
//! generator reproduces the properties that drive the graph build's cost: rows come in pairs
//! (MRREL lists both directions, with the inverse REL/RELA), one end of a relation is drawn
//! from a power law and the other uniformly, about one pair in six repeats the previous pair
//! from another source vocabulary (MRREL's multi-source duplicates), and CUIs are scrambled so
//! that hubs are not the smallest ids. Batches are generated independently from (seed, batch
//! index), so any batch can be made on any thread and the table is the same for a seed.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringBuilder};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use bali::error::{BaliError, Result};
use bali::tables::relations;

/// A relation and its inverse: (REL, inverse REL, RELA, inverse RELA, weight).
type RelationPair = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    u32,
);

/// A plausible UMLS mix of relations.
const RELATIONS: &[RelationPair] = &[
    (
        "RO",
        "RO",
        Some("associated_with"),
        Some("associated_with"),
        20,
    ),
    ("PAR", "CHD", Some("isa"), Some("inverse_isa"), 20),
    ("PAR", "CHD", None, None, 10),
    ("RB", "RN", None, None, 10),
    (
        "RO",
        "RO",
        Some("has_finding_site"),
        Some("finding_site_of"),
        8,
    ),
    ("RO", "RO", Some("may_treat"), Some("may_be_treated_by"), 5),
    ("SY", "SY", None, None, 5),
    ("RQ", "RQ", Some("classified_as"), Some("classifies"), 7),
    ("AQ", "QB", None, None, 5),
    (
        "RO",
        "RO",
        Some("has_active_ingredient"),
        Some("active_ingredient_of"),
        10,
    ),
];

/// Source vocabularies asserting the rows.
const SOURCES: &[&str] = &[
    "SNOMEDCT_US",
    "MSH",
    "NCI",
    "MDR",
    "RXNORM",
    "MEDCINE",
    "LNC",
    "OMIM",
    "GO",
    "HPO",
];

/// Largest number of concepts: CUIs are C + 7 digits.
const MAX_CONCEPTS: u32 = 10_000_000;

/// The shape of a synthetic relations table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyntheticRelations {
    /// Rows in total (rounded up to whole pairs per batch).
    pub rows: u64,
    /// Concepts to draw from (at most 10M).
    pub concepts: u32,
    /// Rows per batch (even).
    pub batch_rows: usize,
    /// Power-law exponent of the skewed end: concept = floor(concepts * u^skew) for uniform u.
    /// 2.5 gives a top concept with ~0.2% of all relations (~10^5 neighbours at 80M rows).
    pub skew: f64,
    /// Seed of the generator.
    pub seed: u64,
}

impl SyntheticRelations {
    /// MRREL's size: 80M rows over 4M concepts.
    pub fn umls_scale(seed: u64) -> Self {
        SyntheticRelations {
            rows: 80_000_000,
            concepts: 4_000_000,
            batch_rows: 65_536,
            skew: 2.5,
            seed,
        }
    }

    /// Number of batches.
    pub fn batch_count(&self) -> usize {
        self.rows.div_ceil(self.batch_rows as u64) as usize
    }

    /// The CUI of concept `i`: a bijective scramble of 0..10M onto C0000000..C9999999.
    pub fn cui(i: u32) -> String {
        let n = (u64::from(i) * 7_368_787 + 1_234_567) % u64::from(MAX_CONCEPTS);
        format!("C{n:07}")
    }

    /// Batch `index` (0-based) with the `relations` schema.
    pub fn batch(&self, index: usize) -> Result<RecordBatch> {
        if self.concepts == 0 || self.concepts > MAX_CONCEPTS || !self.batch_rows.is_multiple_of(2)
        {
            return Err(BaliError::Spec(format!(
                "synthetic relations need 1..={MAX_CONCEPTS} concepts and an even batch size, got {} and {}",
                self.concepts, self.batch_rows
            )));
        }
        let first = index as u64 * self.batch_rows as u64;
        let rows = (self.rows.saturating_sub(first)).min(self.batch_rows as u64) as usize;
        let rows = rows + rows % 2;
        let mut rng = ChaCha8Rng::seed_from_u64(
            self.seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        let total_weight: u32 = RELATIONS.iter().map(|r| r.4).sum();
        let n = f64::from(self.concepts);

        let mut cui1 = StringBuilder::with_capacity(rows, rows * 8);
        let mut rel = StringBuilder::with_capacity(rows, rows * 3);
        let mut cui2 = StringBuilder::with_capacity(rows, rows * 8);
        let mut rela = StringBuilder::with_capacity(rows, rows * 12);
        let mut sab = StringBuilder::with_capacity(rows, rows * 6);
        let mut file = StringBuilder::with_capacity(rows, rows * 9);
        let mut previous: Option<(u32, u32, usize)> = None;
        for _ in 0..rows / 2 {
            let (a, b, r) = match previous {
                Some(p) if rng.random_bool(1.0 / 6.0) => p,
                _ => {
                    let skewed =
                        ((n * rng.random::<f64>().powf(self.skew)) as u32).min(self.concepts - 1);
                    let uniform = rng.random_range(0..self.concepts);
                    let mut pick = rng.random_range(0..total_weight);
                    let r = RELATIONS
                        .iter()
                        .position(|x| {
                            let hit = pick < x.4;
                            pick = pick.saturating_sub(x.4);
                            hit
                        })
                        .unwrap_or(0);
                    // The hub is the parent, the target of the finding, etc. as often as not.
                    if rng.random_bool(0.5) {
                        (skewed, uniform, r)
                    } else {
                        (uniform, skewed, r)
                    }
                }
            };
            previous = Some((a, b, r));
            let (forward, inverse, forward_a, inverse_a, _) = RELATIONS[r];
            let source = SOURCES[rng.random_range(0..SOURCES.len())];
            let (ca, cb) = (Self::cui(a), Self::cui(b));
            for (x, y, rl, ra) in [
                (&ca, &cb, forward, forward_a),
                (&cb, &ca, inverse, inverse_a),
            ] {
                cui1.append_value(x);
                rel.append_value(rl);
                cui2.append_value(y);
                rela.append_option(ra);
                sab.append_value(source);
                file.append_value("MRREL.RRF");
            }
        }
        let lines =
            Int64Array::from_iter_values((first as i64 + 1)..(first as i64 + 1 + rows as i64));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(cui1.finish()),
            Arc::new(rel.finish()),
            Arc::new(cui2.finish()),
            Arc::new(rela.finish()),
            Arc::new(sab.finish()),
            Arc::new(file.finish()),
            Arc::new(lines),
        ];
        Ok(RecordBatch::try_new(relations::schema(), columns)?)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use arrow::array::AsArray;

    use super::*;
    use bali::stages::subgraphs::graph::{GraphBuilder, RelationFilter};

    #[test]
    fn cuis_are_distinct_and_batches_reproducible() {
        let ids: HashSet<String> = (0..100_000).map(SyntheticRelations::cui).collect();
        assert_eq!(ids.len(), 100_000);
        let spec = SyntheticRelations {
            rows: 10_000,
            concepts: 1_000,
            batch_rows: 4_096,
            skew: 2.5,
            seed: 3,
        };
        assert_eq!(spec.batch_count(), 3);
        assert_eq!(spec.batch(1).unwrap(), spec.batch(1).unwrap());
        assert_ne!(spec.batch(1).unwrap(), spec.batch(2).unwrap());
        assert_eq!(spec.batch(2).unwrap().num_rows(), 10_000 - 2 * 4_096);
    }

    #[test]
    fn rows_come_in_both_directions_and_degrees_are_skewed() {
        let spec = SyntheticRelations {
            rows: 200_000,
            concepts: 20_000,
            batch_rows: 8_192,
            skew: 2.5,
            seed: 1,
        };
        let mut builder = GraphBuilder::new(
            RelationFilter {
                self_loops: true,
                ..RelationFilter::default()
            },
            None,
        );
        let mut directed: HashMap<(String, String), u32> = HashMap::new();
        for i in 0..spec.batch_count() {
            let batch = spec.batch(i).unwrap();
            let (a, b) = (
                batch.column(0).as_string::<i32>(),
                batch.column(2).as_string::<i32>(),
            );
            for r in 0..batch.num_rows() {
                *directed
                    .entry((a.value(r).into(), b.value(r).into()))
                    .or_default() += 1;
            }
            builder.push(&batch).unwrap();
        }
        // Every (a, b) has its (b, a) as often.
        assert!(directed
            .iter()
            .all(|((a, b), n)| directed.get(&(b.clone(), a.clone())) == Some(n)));
        let graph = builder.finish().unwrap();
        let mut degrees: Vec<usize> = (0..graph.node_count() as u32)
            .map(|u| graph.degree(u))
            .collect();
        degrees.sort_unstable();
        let median = degrees[degrees.len() / 2];
        let max = *degrees.last().unwrap();
        // Mean degree ~ 200k rows / 20k concepts = 10 (less after duplicates); hubs far above.
        assert!((3..=12).contains(&median), "median {median}");
        assert!(max > 50 * median, "max {max}, median {median}");
    }
}
