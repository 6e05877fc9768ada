//! The trainer's inputs in memory: the training sentences with their mention spans, the
//! neighbourhoods of the mentioned concepts, and those concepts' tokenised names.
//!
//! Everything is read once from the `samples`, `subgraphs` and `names` tables into flat,
//! CSR-like arrays of `u32` ids ([`Csr`]): no Arrow batch and no per-row allocation survives the
//! load. At the reference scale (1.5M sentences of ~40 tokens and ~3 mentions) that is about
//! 0.3 GB of token ids and offsets. Concepts are interned to dense `u32` ids in first-seen order
//! ([`ConceptIds`]); only concepts a training mention names, and their stored neighbours, are
//! kept, so the names of a full UMLS `names` table (~10M rows) cost memory only for the
//! concepts that can appear in a batch.
//!
//! Filtering happens here, before anything reaches a batch: a sample whose article record is
//! not the current one (PubMed update rules, [`CurrentArticles`]) or whose PMID is held out
//! ([`Holdout`]) is counted and dropped.

use std::collections::HashMap;

use arrow::array::{Array, AsArray, ListArray, StructArray};
use arrow::datatypes::{Int32Type, Int64Type};
use serde::{Deserialize, Serialize};
use tracing::info;

use super::holdout::Holdout;
use super::linearized::relation_text;
use crate::engine::Table;
use crate::error::{BaliError, Result};
use crate::text::Tokenizer;
use crate::views::current::CurrentArticles;

/// Rows of variable length stored back to back: row `i` is `values[offsets[i]..offsets[i+1]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Csr<T> {
    offsets: Vec<u64>,
    values: Vec<T>,
}

impl<T> Default for Csr<T> {
    fn default() -> Self {
        Csr {
            offsets: vec![0],
            values: Vec::new(),
        }
    }
}

impl<T: Copy> Csr<T> {
    /// Appends a row.
    pub fn push_row(&mut self, row: impl IntoIterator<Item = T>) {
        self.values.extend(row);
        self.offsets.push(self.values.len() as u64);
    }

    /// Row `i`; an index past the end is a bug of the caller.
    pub fn row(&self, i: usize) -> &[T] {
        &self.values[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// Index of the first value of row `i` in the flat value array.
    pub fn row_start(&self, i: usize) -> usize {
        self.offsets[i] as usize
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of values over all rows.
    pub fn num_values(&self) -> usize {
        self.values.len()
    }
}

/// CUIs interned to dense ids in first-seen order (the order is that of the input tables,
/// which are read in partition order, so it is the same on every run).
#[derive(Debug, Clone, Default)]
pub struct ConceptIds {
    cuis: Vec<String>,
    ids: HashMap<String, u32>,
}

impl ConceptIds {
    /// The id of `cui`, assigning the next one when it is new.
    pub fn intern(&mut self, cui: &str) -> Result<u32> {
        if let Some(&id) = self.ids.get(cui) {
            return Ok(id);
        }
        let id = u32::try_from(self.cuis.len())
            .map_err(|_| BaliError::Internal("more than 2^32 concepts".into()))?;
        self.cuis.push(cui.to_string());
        self.ids.insert(cui.to_string(), id);
        Ok(id)
    }

    /// The id of `cui`, if it was interned.
    pub fn get(&self, cui: &str) -> Option<u32> {
        self.ids.get(cui).copied()
    }

    /// The CUI of `id`.
    pub fn cui(&self, id: u32) -> &str {
        &self.cuis[id as usize]
    }

    /// Number of concepts.
    pub fn len(&self) -> usize {
        self.cuis.len()
    }

    /// Whether no concept was interned.
    pub fn is_empty(&self) -> bool {
        self.cuis.is_empty()
    }
}

/// One mention of a training sentence: its sub-token span `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MentionSpan {
    /// First sub-token.
    pub start: u32,
    /// One past the last sub-token.
    pub end: u32,
}

/// The training sentences.
#[derive(Debug, Clone, Default)]
pub struct Sentences {
    /// WordPiece ids of each sentence, `[CLS]` and `[SEP]` included.
    pub tokens: Csr<u32>,
    /// PMID of each sentence (for checks: held-out PMIDs must never appear).
    pub pmids: Vec<i64>,
    /// The mentions of each sentence. Mention `k` of sentence `i` has the global index
    /// `mentions.row_start(i) + k` in [`concepts`](Self::concepts).
    pub mentions: Csr<MentionSpan>,
    /// The concepts of each mention, by global mention index (an ambiguous mention has
    /// several: BALI connects its tokens to all of them).
    pub concepts: Csr<u32>,
}

impl Sentences {
    /// Number of sentences.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether there is no sentence.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

/// What [`TrainingData::load`] read and dropped; written to `train.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataStats {
    /// Rows of the samples table.
    pub samples_read: u64,
    /// Samples whose article record is superseded or deleted.
    pub not_current: u64,
    /// Samples of held-out PMIDs.
    pub held_out: u64,
    /// Training sentences kept.
    pub sentences: u64,
    /// Distinct PMIDs among them.
    pub articles: u64,
    /// Mentions in the training sentences.
    pub mentions: u64,
    /// (mention, concept) pairs in the training sentences.
    pub mention_concepts: u64,
    /// Distinct concepts mentioned in training sentences.
    pub concepts: u64,
    /// Of those, concepts with at least one name (they get a star and take part in the
    /// alignment loss; the others only contribute to MLM).
    pub concepts_with_names: u64,
    /// Of those, concepts with a subgraph row (neighbours to sample).
    pub concepts_with_subgraph: u64,
}

/// Which samples may reach training.
#[derive(Debug, Clone, Copy)]
pub struct SampleFilter<'a> {
    /// The held-out split.
    pub holdout: Holdout,
    /// The current view of PubMed, when the trainer was given the articles.
    pub current: Option<&'a CurrentArticles>,
    /// Keep the held-out articles instead of the training ones (for losses on held-out
    /// sentences); what is dropped is then counted as `held_out`.
    pub held_out_only: bool,
}

impl SampleFilter<'_> {
    /// Why a sample of article record `(pmid, source_file, article_index)` is dropped, if it
    /// is.
    fn reject(&self, pmid: i64, source_file: &str, article_index: i64) -> Option<Dropped> {
        if let Some(current) = self.current {
            if !current.is_current(pmid, source_file, article_index) {
                return Some(Dropped::NotCurrent);
            }
        }
        (self.holdout.is_held_out(pmid) != self.held_out_only).then_some(Dropped::HeldOut)
    }
}

enum Dropped {
    NotCurrent,
    HeldOut,
}

/// Everything the batch builder needs, in memory.
#[derive(Debug, Clone, Default)]
pub struct TrainingData {
    /// The interned concepts.
    pub concept_ids: ConceptIds,
    /// The training sentences.
    pub sentences: Sentences,
    /// Stored neighbourhood of each concept that has a subgraph row: `(neighbour concept,
    /// relation id)` in the table's order, which [`crate::kg::sample_neighbors`]
    /// indexes into. Indexed by [`star_rows`](Self::star_rows).
    pub neighbours: Csr<(u32, u32)>,
    /// Row of [`neighbours`](Self::neighbours) for each concept id; `u32::MAX` when the
    /// concept has no subgraph row.
    pub star_rows: Vec<u32>,
    /// Names of each concept id (indices into [`name_tokens`](Self::name_tokens)), sorted by
    /// the name string, as the `subgraphs` table sorts them, so that a name index drawn by
    /// [`crate::kg::pick_name`] means the same name everywhere.
    pub concept_names: Csr<u32>,
    /// Token ids of each name (`[CLS] name [SEP]`).
    pub name_tokens: Csr<u32>,
    /// (REL, RELA) of each relation id.
    pub relations: Vec<(String, Option<String>)>,
    /// Word pieces of each relation's text, for the linearised variant (empty rows when no
    /// tokenizer was given).
    pub relation_tokens: Csr<u32>,
    /// What was read and dropped.
    pub stats: DataStats,
    /// Concepts mentioned in held-out articles (the evaluation's gold concepts are among
    /// them): left out of every loss over concept names.
    pub eval_concepts: std::collections::HashSet<u32>,
}

/// The list column `name` of `batch`.
fn list<'a>(batch: &'a arrow::array::RecordBatch, name: &str) -> Result<&'a ListArray> {
    crate::tables::columns::column::<ListArray>(batch, name)
}

/// The `[start, end)` value range of row `i` of a list array.
fn range(list: &ListArray, i: usize) -> (usize, usize) {
    let offsets = list.value_offsets();
    (offsets[i] as usize, offsets[i + 1] as usize)
}

/// A non-negative `i32` from a table as `u32`; a negative one means the table is corrupt.
fn non_negative(v: i32, what: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| BaliError::Internal(format!("negative {what} ({v}) in a table")))
}

impl TrainingData {
    /// Reads the three tables. `tokenizer` is needed only by the linearised-graph variant,
    /// which spells relations out as word pieces.
    pub fn load(
        samples: &Table,
        subgraphs: &Table,
        names: &Table,
        filter: &SampleFilter<'_>,
        tokenizer: Option<&Tokenizer>,
    ) -> Result<TrainingData> {
        let mut data = TrainingData::default();
        data.load_samples(samples, filter)?;
        data.load_subgraphs(subgraphs)?;
        data.load_names(names)?;
        if let Some(tokenizer) = tokenizer {
            for (rel, rela) in &data.relations {
                let text = relation_text(rel, rela.as_deref());
                let ids = tokenizer.encode_plain(&text)?.get_ids().to_vec();
                data.relation_tokens.push_row(ids);
            }
        }
        let mentioned = data.stats.concepts as usize;
        data.stats.concepts_with_names = (0..mentioned)
            .filter(|&c| !data.concept_names.row(c).is_empty())
            .count() as u64;
        data.stats.concepts_with_subgraph = (0..mentioned)
            .filter(|&c| data.star_rows[c] != u32::MAX)
            .count() as u64;
        info!(stats = ?data.stats, "training data loaded");
        Ok(data)
    }

    fn load_samples(&mut self, samples: &Table, filter: &SampleFilter<'_>) -> Result<()> {
        let mut pmids = std::collections::HashSet::new();
        let mut held_out_cuis = std::collections::HashSet::new();
        let columns = [
            "pmid",
            "input_ids",
            "mentions",
            "source_file",
            "article_index",
        ];
        for batch in samples.scan_columns(&columns)? {
            let batch = batch?;
            let pmid = batch.column(0).as_primitive::<Int64Type>();
            let ids = list(&batch, "input_ids")?;
            let id_values = ids.values().as_primitive::<Int32Type>().values();
            let mentions = list(&batch, "mentions")?;
            let mention_values: &StructArray = mentions.values().as_struct();
            let token_start = mention_values
                .column_by_name("token_start")
                .ok_or_else(|| BaliError::Internal("samples mentions lack token_start".into()))?
                .as_primitive::<Int32Type>();
            let token_end = mention_values
                .column_by_name("token_end")
                .ok_or_else(|| BaliError::Internal("samples mentions lack token_end".into()))?
                .as_primitive::<Int32Type>();
            let cuis = mention_values
                .column_by_name("cuis")
                .ok_or_else(|| BaliError::Internal("samples mentions lack cuis".into()))?
                .as_list::<i32>();
            let cui_values = cuis.values().as_string::<i32>();
            let source_file = batch.column(3).as_string::<i32>();
            let article_index = batch.column(4).as_primitive::<Int64Type>();
            for row in 0..batch.num_rows() {
                self.stats.samples_read += 1;
                let p = pmid.value(row);
                match filter.reject(p, source_file.value(row), article_index.value(row)) {
                    Some(Dropped::NotCurrent) => {
                        self.stats.not_current += 1;
                        continue;
                    }
                    Some(Dropped::HeldOut) => {
                        self.stats.held_out += 1;
                        let (ma, mb) = range(mentions, row);
                        for m in ma..mb {
                            let (ca, cb) = range(cuis, m);
                            for c in ca..cb {
                                held_out_cuis.insert(cui_values.value(c).to_string());
                            }
                        }
                        continue;
                    }
                    None => {}
                }
                let (a, b) = range(ids, row);
                let tokens: Vec<u32> = id_values[a..b]
                    .iter()
                    .map(|&v| non_negative(v, "token id"))
                    .collect::<Result<_>>()?;
                let len = tokens.len() as u32;
                let (ma, mb) = range(mentions, row);
                let mut spans = Vec::with_capacity(mb - ma);
                for m in ma..mb {
                    let span = MentionSpan {
                        start: non_negative(token_start.value(m), "token_start")?,
                        end: non_negative(token_end.value(m), "token_end")?,
                    };
                    if span.start >= span.end || span.end > len {
                        return Err(BaliError::Internal(format!(
                            "sample of PMID {p} in {} has a mention span {}..{} outside its {len} tokens",
                            source_file.value(row),
                            span.start,
                            span.end
                        )));
                    }
                    let (ca, cb) = range(cuis, m);
                    let mut concepts = Vec::with_capacity(cb - ca);
                    for c in ca..cb {
                        concepts.push(self.concept_ids.intern(cui_values.value(c))?);
                    }
                    self.stats.mention_concepts += concepts.len() as u64;
                    self.sentences.concepts.push_row(concepts);
                    spans.push(span);
                }
                self.stats.mentions += spans.len() as u64;
                self.sentences.mentions.push_row(spans);
                self.sentences.tokens.push_row(tokens);
                self.sentences.pmids.push(p);
                pmids.insert(p);
            }
        }
        self.stats.sentences = self.sentences.len() as u64;
        // Held-out concepts that training mentions too have ids now; the others never reach
        // a batch.
        self.eval_concepts = held_out_cuis
            .iter()
            .filter_map(|c| self.concept_ids.get(c))
            .collect();
        self.stats.articles = pmids.len() as u64;
        self.stats.concepts = self.concept_ids.len() as u64;
        Ok(())
    }

    /// Neighbourhoods of the concepts mentioned in training sentences; their neighbours are
    /// interned after the mentioned concepts.
    fn load_subgraphs(&mut self, subgraphs: &Table) -> Result<()> {
        let mentioned = self.concept_ids.len();
        let mut rows: Vec<(u32, Vec<(u32, u32)>)> = Vec::new();
        let mut relation_ids: HashMap<(String, Option<String>), u32> = HashMap::new();
        for batch in subgraphs.scan_columns(&["cui", "neighbors"])? {
            let batch = batch?;
            let cui = batch.column(0).as_string::<i32>();
            let neighbors = list(&batch, "neighbors")?;
            let values: &StructArray = neighbors.values().as_struct();
            let field = |name: &str| {
                values.column_by_name(name).ok_or_else(|| {
                    BaliError::Internal(format!("subgraphs neighbors lack `{name}`"))
                })
            };
            let n_cui = field("cui")?.as_string::<i32>();
            let rel = field("rel")?.as_string::<i32>();
            let rela = field("rela")?.as_string::<i32>();
            for row in 0..batch.num_rows() {
                let Some(target) = self.concept_ids.get(cui.value(row)) else {
                    continue;
                };
                if (target as usize) >= mentioned {
                    continue; // a neighbour of another target, not itself mentioned
                }
                let (a, b) = range(neighbors, row);
                let mut out = Vec::with_capacity(b - a);
                for k in a..b {
                    let id = self.concept_ids.intern(n_cui.value(k))?;
                    let key = (
                        rel.value(k).to_string(),
                        rela.is_valid(k).then(|| rela.value(k).to_string()),
                    );
                    let next = relation_ids.len() as u32;
                    let r = *relation_ids.entry(key.clone()).or_insert_with(|| {
                        self.relations.push(key);
                        next
                    });
                    out.push((id, r));
                }
                rows.push((target, out));
            }
        }
        self.star_rows = vec![u32::MAX; self.concept_ids.len()];
        for (target, neighbours) in rows {
            if self.star_rows[target as usize] != u32::MAX {
                return Err(BaliError::Internal(format!(
                    "the subgraphs table has two rows for {}",
                    self.concept_ids.cui(target)
                )));
            }
            self.star_rows[target as usize] = self.neighbours.len() as u32;
            self.neighbours.push_row(neighbours);
        }
        Ok(())
    }

    /// Names of every interned concept, sorted by name within a concept.
    fn load_names(&mut self, names: &Table) -> Result<()> {
        let mut found: Vec<(u32, String, Vec<u32>)> = Vec::new();
        for batch in names.scan_columns(&["cui", "name", "input_ids"])? {
            let batch = batch?;
            let cui = batch.column(0).as_string::<i32>();
            let name = batch.column(1).as_string::<i32>();
            let ids = list(&batch, "input_ids")?;
            let values = ids.values().as_primitive::<Int32Type>().values();
            for row in 0..batch.num_rows() {
                let Some(concept) = self.concept_ids.get(cui.value(row)) else {
                    continue;
                };
                let (a, b) = range(ids, row);
                let tokens = values[a..b]
                    .iter()
                    .map(|&v| non_negative(v, "token id"))
                    .collect::<Result<Vec<u32>>>()?;
                if tokens.is_empty() {
                    continue;
                }
                found.push((concept, name.value(row).to_string(), tokens));
            }
        }
        found.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        found.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        let mut next = found.iter().peekable();
        for concept in 0..self.concept_ids.len() as u32 {
            let mut indices = Vec::new();
            while let Some((_, _, tokens)) = next.next_if(|(c, _, _)| *c == concept) {
                indices.push(self.name_tokens.len() as u32);
                self.name_tokens.push_row(tokens.iter().copied());
            }
            self.concept_names.push_row(indices);
        }
        Ok(())
    }
}
