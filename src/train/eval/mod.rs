//! Zero-shot entity linking by nearest neighbour, BALI's test of entity representations.
//!
//! Protocol (decided here, see BALI.md "Evaluation"): every concept name in the chosen
//! languages and every evaluation item's *string* (its surface text, not its sentence) are
//! embedded by the encoder as `[CLS] text [SEP]` (at most [`MAX_TOKENS`] tokens), mean-pooled
//! over all tokens and L2-normalised; a concept's score for an item is the largest cosine
//! similarity over its names; Acc@k is the share of items with the gold concept among the k
//! best. Embedding the string rather than its context is the protocol of the biomedical
//! entity-linking benchmarks BALI reports on (SapBERT's): it measures how well the encoder
//! places synonyms of one concept together, which is what the alignment trains.
//!
//! The items ([`items`]) are distinct (normalised surface, gold concept) pairs of the held-out
//! articles, split into `dev` and `test`. The item's own matched synonym is removed from the
//! index for that item: the names whose normalised form (the dictionary's normalisation, case
//! folded) equals the form the linker matched (or, for imported mentions, the surface's).
//! Otherwise a dictionary-linked mention would find its exact string among the names and the
//! test would be trivial. Items whose gold concept has no other name are dropped as
//! unfindable. Base and aligned model are compared on the same items ([`paired`]).

pub mod items;
pub mod paired;

use std::collections::HashMap;

use arrow::array::AsArray;
use candle_core::{Device, Tensor};
use rayon::prelude::*;

use super::batch::Padded;
use super::bert::{mean_pool, Bert, Mode};
use crate::engine::Table;
use crate::error::Result;
use crate::lexicon::normalize::normalize_name;
use crate::text::Tokenizer;

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
        Ok(NameIndex::from_pairs(pairs))
    }

    /// The index of (concept id, name) pairs, in any order, duplicates allowed.
    pub fn from_pairs(mut pairs: Vec<(String, String)>) -> NameIndex {
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
        index
    }

    /// The name ids of `concept` (contiguous, see [`NameIndex::name_concept`]).
    pub fn names_of(&self, concept: u32) -> std::ops::Range<usize> {
        let start = self.name_concept.partition_point(|&c| c < concept);
        let end = self.name_concept.partition_point(|&c| c <= concept);
        start..end
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
    let rows: Vec<&[u32]> = ids.iter().map(Vec::as_slice).collect();
    embed_pooled(bert, &rows, None, pad, batch_size, device)
}

/// A mention in its sentence: the sentence's token ids (`[CLS] ... [SEP]`) and the mention's
/// sub-token span `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InSentence {
    /// The sentence's token ids.
    pub ids: Vec<u32>,
    /// First sub-token of the mention.
    pub start: usize,
    /// One past its last sub-token.
    pub end: usize,
}

/// L2-normalised embeddings of mentions in their sentences: the whole sentence is encoded and
/// the mention's sub-tokens are averaged (what the alignment trains), in evaluation mode.
pub fn embed_in_sentence(
    bert: &Bert,
    mentions: &[InSentence],
    pad: u32,
    batch_size: usize,
    device: &Device,
) -> Result<Vec<f32>> {
    let rows: Vec<&[u32]> = mentions.iter().map(|m| m.ids.as_slice()).collect();
    let spans: Vec<(usize, usize)> = mentions.iter().map(|m| (m.start, m.end)).collect();
    embed_pooled(bert, &rows, Some(&spans), pad, batch_size, device)
}

/// Encodes `rows` sorted by length, `batch_size` at a time, and mean-pools each over its
/// tokens, or over `spans[i]` when given; L2-normalised, in the order of `rows`.
fn embed_pooled(
    bert: &Bert,
    rows: &[&[u32]],
    spans: Option<&[(usize, usize)]>,
    pad: u32,
    batch_size: usize,
    device: &Device,
) -> Result<Vec<f32>> {
    let d = bert.config().hidden_size;
    let max = bert.config().max_position_embeddings;
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| (rows[i].len(), i));
    let mut out = vec![0f32; rows.len() * d];
    for chunk in order.chunks(batch_size.max(1)) {
        let padded = Padded::new(chunk.iter().map(|&i| rows[i]), pad, max);
        let shape = (padded.rows, padded.cols);
        let flat = Tensor::from_vec(padded.ids, shape, device)?;
        let pool_mask = match spans {
            None => padded.mask.clone(),
            Some(spans) => {
                let mut m = vec![0u32; padded.rows * padded.cols];
                for (r, &i) in chunk.iter().enumerate() {
                    let (start, end) = spans[i];
                    for t in start.min(padded.cols)..end.min(padded.cols) {
                        m[r * padded.cols + t] = 1;
                    }
                }
                m
            }
        };
        let mask = Tensor::from_vec(padded.mask, shape, device)?;
        let pool_mask = Tensor::from_vec(pool_mask, shape, device)?;
        let states = bert.forward(&flat, None, &mask, &mut Mode::Eval)?;
        let pooled = mean_pool(&states, &pool_mask)?;
        let norm = pooled
            .sqr()?
            .sum_keepdim(1)?
            .sqrt()?
            .clamp(1e-12, f64::INFINITY)?;
        let vectors: Vec<Vec<f32>> = pooled
            .broadcast_div(&norm)?
            .to_dtype(candle_core::DType::F32)?
            .to_vec2()?;
        for (&i, row) in chunk.iter().zip(vectors) {
            out[i * d..(i + 1) * d].copy_from_slice(&row);
        }
    }
    Ok(out)
}

/// Acc@1 and Acc@5.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Accuracy {
    /// Share of items whose best concept is gold.
    pub at_1: f64,
    /// Share of items with a gold concept among the 5 best.
    pub at_5: f64,
}

impl Accuracy {
    /// Accuracy from the 0-based rank of each item's gold concept (`None`: not among the
    /// [`KS`] best); `None` when there is no item.
    pub fn from_ranks<'r>(ranks: impl IntoIterator<Item = &'r Option<usize>>) -> Option<Accuracy> {
        let (mut n, mut at_1, mut at_5) = (0usize, 0usize, 0usize);
        for rank in ranks {
            n += 1;
            at_1 += usize::from(rank.is_some_and(|r| r < KS[0]));
            at_5 += usize::from(rank.is_some_and(|r| r < KS[1]));
        }
        (n > 0).then(|| Accuracy {
            at_1: at_1 as f64 / n as f64,
            at_5: at_5 as f64 / n as f64,
        })
    }
}

/// Ranks the concepts of `index` for every query by cosine similarity (max over a concept's
/// names, the query's excluded names left out) and returns the 0-based rank of the best gold
/// concept when it is among the [`KS`] best. `names` and `queries` are the L2-normalised
/// embeddings from [`embed`], in the order of `index.names` and `mentions`.
pub fn gold_ranks(
    index: &NameIndex,
    mentions: &[&EvalMention],
    names: &[f32],
    queries: &[f32],
    d: usize,
) -> Result<Vec<Option<usize>>> {
    let n = index.names.len();
    let mut out = Vec::with_capacity(mentions.len());
    if mentions.is_empty() || n == 0 {
        out.resize(mentions.len(), None);
        return Ok(out);
    }
    let cpu = Device::Cpu;
    let name_matrix = Tensor::from_slice(names, (n, d), &cpu)?.t()?.contiguous()?;
    let k_max = *KS.iter().max().unwrap_or(&1);
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
        out.extend(ranks);
    }
    Ok(out)
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
        // 2-d unit vectors: names at angles, the query closest to name 1, then name 0
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
        let ranks = |mentions: &[EvalMention]| -> Result<Vec<Option<usize>>> {
            let refs: Vec<&EvalMention> = mentions.iter().collect();
            gold_ranks(&index, &refs, &names, &query.repeat(mentions.len()), 2)
        };
        // A is first whether or not its closest name is removed (its other name is next);
        // C ranks second: a miss at 1, a hit at 5; with B's only name removed, B cannot be
        // found at all.
        let r = ranks(&[m(0, vec![]), m(0, vec![1]), m(2, vec![]), m(1, vec![2])])?;
        assert_eq!(r, [Some(0), Some(0), Some(1), None]);
        let acc = Accuracy::from_ranks(&r).expect("four items");
        assert_eq!((acc.at_1, acc.at_5), (0.5, 0.75));
        assert_eq!(Accuracy::from_ranks(&[]), None);
        Ok(())
    }

    #[test]
    fn names_of_a_concept_are_its_contiguous_group() {
        let index = NameIndex::from_pairs(vec![
            ("B".into(), "fever".into()),
            ("A".into(), "heart attack".into()),
            ("A".into(), "myocardial infarction".into()),
            ("A".into(), "heart attack".into()),
        ]);
        assert_eq!(index.names.len(), 3);
        assert_eq!(index.names_of(0), 0..2);
        assert_eq!(index.names_of(1), 2..3);
        assert_eq!(index.names_of(7), 3..3);
    }
}
