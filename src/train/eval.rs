//! Zero-shot entity linking by nearest neighbour, BALI's test of entity representations.
//!
//! Protocol (decided here, see BALI.md "Evaluation"): every concept name in the chosen
//! languages and every held-out mention *string* (its surface text, not its sentence) are
//! embedded by the encoder as `[CLS] text [SEP]` (at most [`MAX_TOKENS`] tokens), mean-pooled
//! over all tokens and L2-normalised; a concept's score for a mention is the largest cosine
//! similarity over its names; Acc@k is the share of mentions with a gold concept among the k
//! best. Embedding the mention string rather than its context is the protocol of the
//! biomedical entity-linking benchmarks BALI reports on (SapBERT's): it measures how well the
//! encoder places synonyms of one concept together, which is what the alignment trains.
//!
//! The mention's own matched synonym is removed from the index for that mention: the names
//! whose normalised form (the dictionary's normalisation, case folded) equals the form the
//! linker matched (or, for imported mentions, the surface's). Otherwise a dictionary-linked
//! mention would find its exact string among the names and the test would be trivial. A gold
//! concept whose only name is that synonym can then not be found: such mentions stay in the
//! denominator, as in the zero-shot protocol.

use std::collections::{BTreeMap, HashMap};

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Int32Type, Int64Type};
use candle_core::{Device, Tensor};
use rand::seq::index;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::batch::Padded;
use super::bert::{mean_pool, Bert, Mode};
use super::holdout::Holdout;
use crate::engine::Table;
use crate::error::{BaliError, Result};
use crate::stages::current::CurrentArticles;
use crate::stages::dictionary::normalize::normalize_name;
use crate::stages::samples::Tokenizer;

/// Longest tokenised name or mention, `[CLS]` and `[SEP]` included (BALI's name length).
pub const MAX_TOKENS: usize = 32;
/// Accuracy is reported at these ranks.
pub const KS: [usize; 2] = [1, 5];

/// Case-folded normalised forms of a text (the dictionary's normalisation with acronyms
/// off, plus the glued-hyphen variant).
fn forms(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    normalize_name(text, 0, true, &mut tokens)
        .into_iter()
        .map(|f| f.text)
        .collect()
}

/// Every concept name of the chosen languages, deduplicated per concept.
#[derive(Debug, Clone, Default)]
pub struct NameIndex {
    /// Concept ids by index.
    pub cuis: Vec<String>,
    /// The names.
    pub names: Vec<String>,
    /// Concept of each name. A concept's names are contiguous, in increasing concept id
    /// ([`accuracy`] relies on it).
    pub name_concept: Vec<u32>,
    by_cui: HashMap<String, u32>,
    by_form: HashMap<String, Vec<u32>>,
}

impl NameIndex {
    /// Reads the names of `concepts` whose language is in `languages` (all when empty).
    pub fn from_concepts(concepts: &Table, languages: &[String]) -> Result<NameIndex> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for batch in concepts.scan_columns(&["cui", "name", "language"])? {
            let batch = batch?;
            let cui = batch.column(0).as_string::<i32>();
            let name = batch.column(1).as_string::<i32>();
            let language = batch.column(2).as_string::<i32>();
            for i in 0..batch.num_rows() {
                if languages.is_empty() || languages.iter().any(|l| l == language.value(i)) {
                    pairs.push((cui.value(i).to_string(), name.value(i).to_string()));
                }
            }
        }
        pairs.sort();
        pairs.dedup();
        let mut index = NameIndex::default();
        for (cui, name) in pairs {
            let next = index.cuis.len() as u32;
            let concept = *index.by_cui.entry(cui.clone()).or_insert_with(|| {
                index.cuis.push(cui);
                next
            });
            let id = index.names.len() as u32;
            for form in forms(&name) {
                index.by_form.entry(form).or_default().push(id);
            }
            index.names.push(name);
            index.name_concept.push(concept);
        }
        Ok(index)
    }

    /// The id of a concept, if it has a name in the index.
    pub fn concept(&self, cui: &str) -> Option<u32> {
        self.by_cui.get(cui).copied()
    }

    /// Names whose normalised form equals one of `text`'s.
    pub fn names_with_form_of(&self, text: &str) -> Vec<u32> {
        let mut out: Vec<u32> = forms(text)
            .iter()
            .filter_map(|f| self.by_form.get(f))
            .flatten()
            .copied()
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// One held-out mention to link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalMention {
    /// The text as it appears.
    pub surface: String,
    /// Gold concepts (ids of the [`NameIndex`]).
    pub gold: Vec<u32>,
    /// Names removed from the index for this mention (its matched synonym).
    pub excluded: Vec<u32>,
}

/// What [`held_out_mentions`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MentionStats {
    /// Distinct held-out mentions (current records only, when the articles were given).
    pub held_out: u64,
    /// Of those, mentions without any gold concept in the index (not evaluated).
    pub without_indexed_gold: u64,
    /// Mentions evaluated (after sampling down to the maximum).
    pub evaluated: u64,
}

/// The held-out mentions of `mentions` (one per sentence mention, with all its candidate
/// concepts as gold), sampled down to `max` with `seed` when there are more.
pub fn held_out_mentions(
    mentions: &Table,
    index: &NameIndex,
    holdout: &Holdout,
    current: Option<&CurrentArticles>,
    max: usize,
    seed: u64,
) -> Result<(Vec<EvalMention>, MentionStats)> {
    type Key = (String, i64, i64, i32, i32);
    let mut found: BTreeMap<Key, (String, Option<String>, Vec<String>)> = BTreeMap::new();
    let columns = [
        "pmid",
        "sentence_index",
        "mention_index",
        "surface",
        "cui",
        "matched",
        "source_file",
        "article_index",
    ];
    for batch in mentions.scan_columns(&columns)? {
        let batch = batch?;
        let pmid = batch.column(0).as_primitive::<Int64Type>();
        let sentence = batch.column(1).as_primitive::<Int32Type>();
        let mention = batch.column(2).as_primitive::<Int32Type>();
        let surface = batch.column(3).as_string::<i32>();
        let cui = batch.column(4).as_string::<i32>();
        let matched = batch.column(5).as_string::<i32>();
        let file = batch.column(6).as_string::<i32>();
        let article = batch.column(7).as_primitive::<Int64Type>();
        for i in 0..batch.num_rows() {
            let p = pmid.value(i);
            if !holdout.is_held_out(p) {
                continue;
            }
            if current.is_some_and(|c| !c.is_current(p, file.value(i), article.value(i))) {
                continue;
            }
            let key = (
                file.value(i).to_string(),
                article.value(i),
                p,
                sentence.value(i),
                mention.value(i),
            );
            let entry = found.entry(key).or_insert_with(|| {
                (
                    surface.value(i).to_string(),
                    matched.is_valid(i).then(|| matched.value(i).to_string()),
                    Vec::new(),
                )
            });
            entry.2.push(cui.value(i).to_string());
        }
    }
    let mut stats = MentionStats {
        held_out: found.len() as u64,
        ..MentionStats::default()
    };
    // (surface, matched form, gold) of every held-out mention with an indexed gold concept.
    let mut candidates = Vec::new();
    for (surface, matched, cuis) in found.into_values() {
        let mut gold: Vec<u32> = cuis.iter().filter_map(|c| index.concept(c)).collect();
        gold.sort_unstable();
        gold.dedup();
        if gold.is_empty() {
            stats.without_indexed_gold += 1;
            continue;
        }
        candidates.push((surface, matched, gold));
    }
    if candidates.len() > max {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut keep: Vec<usize> = index::sample(&mut rng, candidates.len(), max).into_vec();
        keep.sort_unstable();
        let mut keep = keep.into_iter().peekable();
        candidates = candidates
            .into_iter()
            .enumerate()
            .filter_map(|(i, c)| keep.next_if_eq(&i).map(|_| c))
            .collect();
    }
    // The matched synonym's names are looked up for the evaluated mentions only.
    let all: Vec<EvalMention> = candidates
        .into_iter()
        .map(|(surface, matched, gold)| EvalMention {
            excluded: index.names_with_form_of(matched.as_deref().unwrap_or(&surface)),
            surface,
            gold,
        })
        .collect();
    stats.evaluated = all.len() as u64;
    Ok((all, stats))
}

/// `texts` tokenised as `[CLS] text [SEP]`, at most `max_tokens` tokens each, in parallel.
/// Done once and embedded by every model that shares the tokenizer.
pub fn tokenize(tokenizer: &Tokenizer, texts: &[&str], max_tokens: usize) -> Result<Vec<Vec<u32>>> {
    texts
        .par_iter()
        .map(|t| tokenizer.encode_name(t, max_tokens))
        .collect()
}

/// L2-normalised mean-pooled embeddings of tokenised texts ([`tokenize`]; `[ids.len() * d]`,
/// row-major), in evaluation mode. Texts are sorted by length and embedded `batch_size` at a
/// time, so a batch pads little.
pub fn embed(
    bert: &Bert,
    ids: &[Vec<u32>],
    pad: u32,
    batch_size: usize,
    device: &Device,
) -> Result<Vec<f32>> {
    let d = bert.config().hidden_size;
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by_key(|&i| (ids[i].len(), i));
    let mut out = vec![0f32; ids.len() * d];
    for chunk in order.chunks(batch_size.max(1)) {
        let padded = Padded::new(chunk.iter().map(|&i| ids[i].as_slice()), pad, usize::MAX);
        let shape = (padded.rows, padded.cols);
        let flat = Tensor::from_vec(padded.ids, shape, device)?;
        let mask = Tensor::from_vec(padded.mask, shape, device)?;
        let states = bert.forward(&flat, None, &mask, &mut Mode::Eval)?;
        let pooled = mean_pool(&states, &mask)?;
        let norm = pooled
            .sqr()?
            .sum_keepdim(1)?
            .sqrt()?
            .clamp(1e-12, f64::INFINITY)?;
        let rows: Vec<Vec<f32>> = pooled
            .broadcast_div(&norm)?
            .to_dtype(candle_core::DType::F32)?
            .to_vec2()?;
        for (&i, row) in chunk.iter().zip(rows) {
            out[i * d..(i + 1) * d].copy_from_slice(&row);
        }
    }
    Ok(out)
}

/// Acc@1 and Acc@5.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Accuracy {
    /// Share of mentions whose best concept is gold.
    pub at_1: f64,
    /// Share of mentions with a gold concept among the 5 best.
    pub at_5: f64,
}

/// Ranks the concepts of `index` for every mention by cosine similarity (max over a
/// concept's names, the mention's excluded names left out) and scores the ranking.
/// `names` and `queries` are the L2-normalised embeddings from [`embed`], in the order of
/// `index.names` and `mentions`.
pub fn accuracy(
    index: &NameIndex,
    mentions: &[EvalMention],
    names: &[f32],
    queries: &[f32],
    d: usize,
) -> Result<Accuracy> {
    let n = index.names.len();
    if mentions.is_empty() || n == 0 {
        return Err(BaliError::Spec(
            "nothing to evaluate: no held-out mention with a gold concept in the index".into(),
        ));
    }
    let cpu = Device::Cpu;
    let name_matrix = Tensor::from_slice(names, (n, d), &cpu)?.t()?.contiguous()?;
    let k_max = *KS.iter().max().unwrap_or(&1);
    let mut hits = [0u64; KS.len()];
    const CHUNK: usize = 256;
    for (c, chunk) in mentions.chunks(CHUNK).enumerate() {
        let rows = chunk.len();
        let q = Tensor::from_slice(
            &queries[c * CHUNK * d..(c * CHUNK + rows) * d],
            (rows, d),
            &cpu,
        )?;
        let scores: Vec<Vec<f32>> = q.matmul(&name_matrix)?.to_vec2()?;
        let ranks: Vec<Option<usize>> = scores
            .par_iter()
            .zip(chunk.par_iter())
            .map(|(row, m)| {
                // Names come grouped by concept in increasing concept id (the index is built
                // from sorted pairs), so each concept's best score is a running maximum over
                // its group, offered to the k best when the group ends.
                let mut top: Vec<(f32, u32)> = Vec::with_capacity(k_max + 1);
                let mut offer = |s: f32, c: u32| {
                    if s == f32::NEG_INFINITY {
                        return;
                    }
                    if top.len() < k_max || top.last().is_some_and(|&(ls, _)| s > ls) {
                        let at = top.iter().position(|&(ts, _)| s > ts).unwrap_or(top.len());
                        top.insert(at, (s, c));
                        top.truncate(k_max);
                    }
                };
                let mut excluded = m.excluded.iter().peekable();
                let mut group = (f32::NEG_INFINITY, index.name_concept.first().copied());
                for (j, &s) in row.iter().enumerate() {
                    let c = index.name_concept[j];
                    if group.1 != Some(c) {
                        if let Some(prev) = group.1 {
                            offer(group.0, prev);
                        }
                        group = (f32::NEG_INFINITY, Some(c));
                    }
                    if excluded.next_if(|&&e| e as usize == j).is_some() {
                        continue;
                    }
                    group.0 = group.0.max(s);
                }
                if let Some(last) = group.1 {
                    offer(group.0, last);
                }
                top.iter()
                    .position(|(_, c)| m.gold.binary_search(c).is_ok())
            })
            .collect();
        for rank in ranks.into_iter().flatten() {
            for (slot, &k) in hits.iter_mut().zip(KS.iter()) {
                if rank < k {
                    *slot += 1;
                }
            }
        }
    }
    let total = mentions.len() as f64;
    Ok(Accuracy {
        at_1: hits[0] as f64 / total,
        at_5: hits[1] as f64 / total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index of three concepts: A ("heart attack", "myocardial infarction"), B ("fever"),
    /// C ("pyrexia of unknown origin").
    fn index() -> NameIndex {
        let mut index = NameIndex::default();
        for (cui, name) in [
            ("A", "heart attack"),
            ("A", "Myocardial infarction"),
            ("B", "fever"),
            ("C", "pyrexia of unknown origin"),
        ] {
            let next = index.cuis.len() as u32;
            let c = *index.by_cui.entry(cui.to_string()).or_insert_with(|| {
                index.cuis.push(cui.to_string());
                next
            });
            let id = index.names.len() as u32;
            for f in forms(name) {
                index.by_form.entry(f).or_default().push(id);
            }
            index.names.push(name.to_string());
            index.name_concept.push(c);
        }
        index
    }

    #[test]
    fn the_matched_synonym_is_found_by_its_normalised_form() {
        let index = index();
        assert_eq!(index.names_with_form_of("myocardial  infarction"), [1]);
        assert_eq!(index.names_with_form_of("Fever"), [2]);
        assert!(index.names_with_form_of("cough").is_empty());
    }

    #[test]
    fn ranks_by_the_best_name_and_leaves_the_matched_synonym_out() -> Result<()> {
        let index = index();
        // 2-d unit vectors: names at angles, the mention closest to name 1, then name 0
        // (both A), then C, then B.
        let angle = |a: f32| [a.cos(), a.sin()];
        let names: Vec<f32> = [0.3f32, 0.0, 1.5, 0.6]
            .iter()
            .flat_map(|&a| angle(a))
            .collect();
        let query: Vec<f32> = angle(0.05).to_vec();
        let m = |gold: u32, excluded: Vec<u32>| EvalMention {
            surface: "x".into(),
            gold: vec![gold],
            excluded,
        };
        // A is first whether or not its closest name is removed (its other name is next).
        let acc = accuracy(
            &index,
            &[m(0, vec![]), m(0, vec![1])],
            &names,
            &[query.clone(), query.clone()].concat(),
            2,
        )?;
        assert_eq!((acc.at_1, acc.at_5), (1.0, 1.0));
        // C ranks second: a miss at 1, a hit at 5.
        let acc = accuracy(&index, &[m(2, vec![])], &names, &query, 2)?;
        assert_eq!((acc.at_1, acc.at_5), (0.0, 1.0));
        // B's only name removed: B cannot be found at all.
        let acc = accuracy(&index, &[m(1, vec![2])], &names, &query, 2)?;
        assert_eq!((acc.at_1, acc.at_5), (0.0, 0.0));
        Ok(())
    }
}
