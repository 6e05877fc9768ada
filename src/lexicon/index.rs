//! The matcher index assembled from interned forms and (form, concept) pairs: shared by the
//! `dictionary` stage's builder and by [`Matcher::from_dictionary`], so both give the same
//! index; and the finished dictionary, whose rows are the `dictionary` table.

use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanBuilder, Int32Builder, RecordBatch, StringBuilder};
use rayon::prelude::*;

use super::matcher::Matcher;
use super::trie::{FormList, FormTrie};
use super::vocab::{Interner, StringTable, Vocabulary};
use crate::error::{BaliError, Result};
use crate::tables;

/// Distinct forms as token-id sequences, with the first original name of each.
#[derive(Debug, Default)]
pub struct FormSet {
    /// The forms' token vocabulary.
    pub vocab: Vocabulary,
    index: HashMap<Box<[u32]>, u32>,
    seqs: FormList,
    names: StringTable,
    scratch: Vec<u32>,
}

impl FormSet {
    /// An empty set.
    pub fn new() -> Self {
        FormSet {
            vocab: Vocabulary::new(),
            index: HashMap::new(),
            seqs: FormList::new(),
            names: StringTable::new(),
            scratch: Vec::new(),
        }
    }

    /// The id of the form with these keys, added (with `name`) if new.
    pub fn intern<'k>(
        &mut self,
        keys: impl Iterator<Item = &'k str>,
        case_sensitive: bool,
        name: &str,
    ) -> u32 {
        self.scratch.clear();
        for k in keys {
            let id = self.vocab.intern(k, case_sensitive);
            self.scratch.push(id);
        }
        if let Some(&id) = self.index.get(self.scratch.as_slice()) {
            return id;
        }
        let id = self.seqs.len() as u32;
        self.seqs.push(&self.scratch, &[]);
        self.names.push(name);
        self.index
            .insert(self.scratch.clone().into_boxed_slice(), id);
        id
    }

    /// Heap bytes held (hash index estimated).
    pub fn memory_bytes(&self) -> usize {
        self.vocab.memory_bytes()
            + self.index.capacity() * (16 + 4 + 4 + 1)
            + self.seqs.tokens.capacity() * 4 * 2
            + self.seqs.token_offsets.capacity() * 16
            + self.names.memory_bytes()
    }
}

/// Counts of what the builder read and dropped, logged by the `dictionary` stage's builder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DictionaryStats {
    /// Concept rows read.
    pub names: u64,
    /// Rows dropped for their language.
    pub dropped_language: u64,
    /// Rows dropped as suppressible or obsolete.
    pub dropped_suppressed: u64,
    /// Forms dropped as shorter than `min_length`.
    pub dropped_short: u64,
    /// Forms dropped by the stop-list.
    pub dropped_stopword: u64,
    /// (form, concept) pairs dropped by the semantic-type filters.
    pub dropped_semantic_type: u64,
    /// Forms dropped as naming more than `max_cuis_per_form` concepts.
    pub dropped_ambiguous: u64,
    /// Forms kept.
    pub forms: u64,
    /// (form, concept) pairs kept: the rows of the `dictionary` table.
    pub pairs: u64,
}

/// Sorts and de-duplicates the pairs, drops over-ambiguous forms, renumbers the concepts that
/// remain and builds the trie. Shared by the `dictionary` stage's builder and
/// [`Matcher::from_dictionary`], so both paths give the same index.
pub fn assemble(
    forms: FormSet,
    cuis: Interner,
    mut postings: Vec<(u32, u32)>,
    max_cuis_per_form: Option<usize>,
    mut stats: DictionaryStats,
) -> Result<BuiltDictionary> {
    postings.par_sort_unstable();
    postings.dedup();
    let mut used_cui = vec![false; cuis.len()];
    let mut kept_forms: Vec<(u32, std::ops::Range<usize>)> = Vec::new();
    let mut i = 0;
    while i < postings.len() {
        let form = postings[i].0;
        let mut j = i + 1;
        while j < postings.len() && postings[j].0 == form {
            j += 1;
        }
        if max_cuis_per_form.is_some_and(|max| j - i > max) {
            stats.dropped_ambiguous += 1;
        } else {
            for &(_, c) in &postings[i..j] {
                used_cui[c as usize] = true;
            }
            kept_forms.push((form, i..j));
        }
        i = j;
    }
    // Renumber concepts in their original order, keeping only those still named.
    let mut new_id = vec![u32::MAX; cuis.len()];
    let mut cui_table = StringTable::new();
    for (old, s) in cuis.table().iter().enumerate() {
        if used_cui[old] {
            new_id[old] = cui_table.push(s);
        }
    }
    drop(cuis);
    let mut list = FormList::new();
    let mut names = StringTable::new();
    let mut form_cuis = Vec::new();
    for (form, range) in &kept_forms {
        form_cuis.clear();
        form_cuis.extend(
            postings[range.clone()]
                .iter()
                .map(|&(_, c)| new_id[c as usize]),
        );
        list.push(forms.seqs.tokens(*form as usize), &form_cuis);
        names.push(forms.names.get(*form));
    }
    drop(postings);
    stats.forms = list.len() as u64;
    stats.pairs = list.cuis.len() as u64;
    let trie = FormTrie::build(&list, forms.vocab.len()).map_err(BaliError::Internal)?;
    tracing::info!(
        names = stats.names,
        forms = stats.forms,
        pairs = stats.pairs,
        concepts = cui_table.len(),
        trie_nodes = trie.num_nodes(),
        dropped_short = stats.dropped_short,
        dropped_stopword = stats.dropped_stopword,
        dropped_ambiguous = stats.dropped_ambiguous,
        "dictionary built"
    );
    let matcher = Matcher::new(forms.vocab, trie, cui_table);
    Ok(BuiltDictionary {
        matcher,
        forms: list,
        names,
        stats,
    })
}

/// A finished dictionary: the matcher and the rows of the `dictionary` table.
pub struct BuiltDictionary {
    /// The index to link with (and to cache with [`Matcher::save`]).
    pub matcher: Matcher,
    forms: FormList,
    names: StringTable,
    /// What was read and dropped.
    pub stats: DictionaryStats,
}

impl BuiltDictionary {
    /// The `dictionary` table in batches of at most `rows_per_batch` rows, built lazily so the
    /// whole table is never in memory as Arrow arrays at once.
    pub fn batches(&self, rows_per_batch: usize) -> impl Iterator<Item = Result<RecordBatch>> + '_ {
        let rows_per_batch = rows_per_batch.max(1);
        let mut form = 0usize;
        std::iter::from_fn(move || {
            if form >= self.forms.len() {
                return None;
            }
            let mut cols = DictionaryColumns::with_capacity(rows_per_batch);
            let mut rows = 0;
            let mut text = String::new();
            while form < self.forms.len() && rows < rows_per_batch {
                let tokens = self.forms.tokens(form);
                let vocab = self.matcher.vocabulary();
                text.clear();
                for (k, &t) in tokens.iter().enumerate() {
                    if k > 0 {
                        text.push(' ');
                    }
                    text.push_str(vocab.word(t));
                }
                let case_sensitive = tokens.first().is_some_and(|&t| vocab.is_cased(t));
                let cuis = self.forms.cuis(form);
                for &c in cuis {
                    cols.form.append_value(&text);
                    cols.cui.append_value(self.matcher.cui(c));
                    cols.name.append_value(self.names.get(form as u32));
                    cols.case_sensitive.append_value(case_sensitive);
                    cols.n_cuis.append_value(cuis.len() as i32);
                }
                rows += cuis.len();
                form += 1;
            }
            Some(cols.finish())
        })
    }
}

/// The `dictionary` columns being built.
struct DictionaryColumns {
    form: StringBuilder,
    cui: StringBuilder,
    name: StringBuilder,
    case_sensitive: BooleanBuilder,
    n_cuis: Int32Builder,
}

impl DictionaryColumns {
    fn with_capacity(rows: usize) -> Self {
        DictionaryColumns {
            form: StringBuilder::with_capacity(rows, rows * 24),
            cui: StringBuilder::with_capacity(rows, rows * 10),
            name: StringBuilder::with_capacity(rows, rows * 24),
            case_sensitive: BooleanBuilder::with_capacity(rows),
            n_cuis: Int32Builder::with_capacity(rows),
        }
    }

    fn finish(mut self) -> Result<RecordBatch> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.form.finish()),
            Arc::new(self.cui.finish()),
            Arc::new(self.name.finish()),
            Arc::new(self.case_sensitive.finish()),
            Arc::new(self.n_cuis.finish()),
        ];
        Ok(RecordBatch::try_new(tables::dictionary::schema(), columns)?)
    }
}
