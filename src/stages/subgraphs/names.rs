//! The names of each concept in the chosen languages, gathered from `concepts` batches.
//!
//! BALI represents every graph node by one of its English names, drawn at random per draw, so
//! subgraphs carry all names of a target, and a node without a name in the chosen languages
//! cannot be represented. At UMLS scale (about 10M English names) the names are held as two
//! Arrow string arrays (concepts sorted, their names grouped behind them), a few tens of bytes
//! per name, and a concept is found by binary search.

use std::collections::HashSet;

use arrow::array::{Array, RecordBatch, StringArray};
use rayon::prelude::*;

use crate::error::{BaliError, Result};
use crate::tables::columns::column;

/// Collects (concept, name) pairs from `concepts` batches.
pub struct ConceptNamesBuilder {
    languages: HashSet<String>,
    pairs: Vec<(Box<str>, Box<str>)>,
}

impl ConceptNamesBuilder {
    /// Keeps names whose `language` is one of `languages` (all when empty).
    pub fn new(languages: &[String]) -> Self {
        ConceptNamesBuilder {
            languages: languages.iter().cloned().collect(),
            pairs: Vec::new(),
        }
    }

    /// Adds the names of one batch with the `concepts` schema (`cui`, `name` and `language`
    /// are read, so a projection of those suffices).
    pub fn push(&mut self, batch: &RecordBatch) -> Result<()> {
        self.push_where(batch, |_| true)
    }

    /// Like [`push`](Self::push), for the concepts `keep` accepts only: at UMLS scale the names
    /// of the few million concepts a graph touches, not of all of them.
    pub fn push_where(&mut self, batch: &RecordBatch, keep: impl Fn(&str) -> bool) -> Result<()> {
        let cui = column::<StringArray>(batch, "cui")?;
        let name = column::<StringArray>(batch, "name")?;
        let language = column::<StringArray>(batch, "language")?;
        if cui.null_count() + name.null_count() + language.null_count() > 0 {
            return Err(BaliError::Arrow(arrow::error::ArrowError::SchemaError(
                "concepts: cui, name and language must not be null".into(),
            )));
        }
        for row in 0..batch.num_rows() {
            if !self.languages.is_empty() && !self.languages.contains(language.value(row)) {
                continue;
            }
            let c = cui.value(row);
            if keep(c) {
                self.pairs.push((c.into(), name.value(row).into()));
            }
        }
        Ok(())
    }

    /// Sorts, removes duplicate (concept, name) pairs and packs the names.
    pub fn finish(self) -> ConceptNames {
        let mut pairs = self.pairs;
        pairs.par_sort_unstable();
        pairs.dedup();
        let mut concepts: Vec<&str> = Vec::new();
        let mut starts: Vec<u32> = Vec::new();
        for (i, (c, _)) in pairs.iter().enumerate() {
            if concepts.last() != Some(&&**c) {
                concepts.push(c);
                starts.push(i as u32);
            }
        }
        starts.push(pairs.len() as u32);
        ConceptNames {
            concepts: StringArray::from_iter_values(concepts),
            starts,
            names: StringArray::from_iter_values(pairs.iter().map(|(_, n)| n)),
        }
    }
}

/// Names per concept, sorted by concept and then by name; see the module docs.
#[derive(Debug, Clone)]
pub struct ConceptNames {
    /// Distinct concepts in ascending order.
    concepts: StringArray,
    /// Concept i's names are `names[starts[i]..starts[i + 1]]`.
    starts: Vec<u32>,
    names: StringArray,
}

impl ConceptNames {
    /// Reads every batch of a `concepts` table (see [`ConceptNamesBuilder::new`]).
    pub fn from_batches<'a>(
        batches: impl IntoIterator<Item = &'a RecordBatch>,
        languages: &[String],
    ) -> Result<Self> {
        let mut builder = ConceptNamesBuilder::new(languages);
        for batch in batches {
            builder.push(batch)?;
        }
        Ok(builder.finish())
    }

    fn index(&self, concept: &str) -> Option<usize> {
        let (mut lo, mut hi) = (0usize, self.concepts.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.concepts.value(mid).cmp(concept) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// The names of `concept`, sorted; empty when it has none.
    pub fn get(&self, concept: &str) -> impl ExactSizeIterator<Item = &str> + '_ {
        let range = match self.index(concept) {
            Some(i) => self.starts[i] as usize..self.starts[i + 1] as usize,
            None => 0..0,
        };
        range.map(|i| self.names.value(i))
    }

    /// Whether `concept` has at least one name.
    pub fn contains(&self, concept: &str) -> bool {
        self.index(concept).is_some()
    }

    /// Number of concepts with a name.
    pub fn concept_count(&self) -> usize {
        self.concepts.len()
    }

    /// Number of (concept, name) pairs.
    pub fn name_count(&self) -> usize {
        self.names.len()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use arrow::array::{BooleanArray, Int64Array};

    use super::*;
    use crate::tables::concepts;

    pub(crate) fn concepts_batch(rows: &[(&str, &str, &str)]) -> RecordBatch {
        let n = rows.len();
        let strings = |i: usize| {
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| [r.0, r.1, r.2][i]),
            )) as arrow::array::ArrayRef
        };
        let repeat = |s: &str| Arc::new(StringArray::from_iter_values(std::iter::repeat_n(s, n)));
        RecordBatch::try_new(
            concepts::schema(),
            vec![
                strings(0),
                strings(1),
                strings(2),
                repeat("TEST"),
                repeat("SY"),
                Arc::new(StringArray::new_null(n)),
                Arc::new(StringArray::new_null(n)),
                Arc::new(BooleanArray::from(vec![false; n])),
                Arc::new(StringArray::new_null(n)),
                Arc::new(StringArray::new_null(n)),
                repeat("MRCONSO.RRF"),
                Arc::new(Int64Array::from_iter_values(1..=n as i64)),
            ],
        )
        .unwrap()
    }

    #[test]
    fn names_are_filtered_by_language_and_deduplicated() {
        let a = concepts_batch(&[
            ("C2", "diabetes", "ENG"),
            ("C1", "fever", "ENG"),
            ("C2", "diabète", "FRE"),
            ("C2", "Diabetes mellitus", "ENG"),
        ]);
        let b = concepts_batch(&[("C2", "diabetes", "ENG"), ("C3", "Fieber", "GER")]);
        let names = ConceptNames::from_batches([&a, &b], &["ENG".into()]).unwrap();
        assert_eq!(
            names.get("C2").collect::<Vec<_>>(),
            ["Diabetes mellitus", "diabetes"]
        );
        assert_eq!(names.get("C1").collect::<Vec<_>>(), ["fever"]);
        assert_eq!(names.get("C3").len(), 0);
        assert!(!names.contains("C3"));
        assert_eq!((names.concept_count(), names.name_count()), (2, 3));

        let mut only = ConceptNamesBuilder::new(&[]);
        only.push_where(&a, |c| c == "C1").unwrap();
        let only = only.finish();
        assert_eq!((only.concept_count(), only.name_count()), (1, 1));
    }
}
