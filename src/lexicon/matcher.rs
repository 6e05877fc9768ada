//! Matching: the index, the walk that finds mentions, and the rules at their boundaries.
//!
//! A sentence is tokenised and normalised exactly like the dictionary's names (see
//! [`normalize`](super::normalize)); each token is looked up once in the
//! lower-case namespace and, when it has no lower-case letter and the dictionary has acronyms,
//! once in the case-sensitive one. Matching is then over token ids:
//! - leftmost-longest, non-overlapping (the default): from the first token, walk the trie as
//!   far as the tokens allow, in each namespace; the longest form found is a mention and the
//!   scan resumes after it; with no form, it resumes at the next token. This is the classic
//!   leftmost-longest semantics of a dictionary matcher restricted to whole words.
//! - all overlaps: every form found from every token.
//!
//! A form found in both namespaces over the same tokens (the acronym "MAP" and the word "map"
//! both in the dictionary, text "MAP") is one mention whose candidates are the union.
//! Offsets are code points of the original text and cover the first token to the last, so the
//! surface is always `text[start..end]`, possessive and hyphens included ("Crohn's disease",
//! "IL-6").

use std::path::Path;

use super::cache::{CacheReader, CacheWriter};
use super::normalize::{push_key, tokenize, Token};
use super::trie::{FormTrie, TrieParts, NONE};
use super::vocab::{StringTable, Vocabulary};
use crate::error::Result;

/// Version of the index file layout; bump it when the layout or the normalisation changes,
/// together with the `dictionary` kind's `FORMAT_VERSION` so that the cache is rewritten. (A
/// cache of another version is not trusted: `link` rebuilds the matcher from the table.)
pub const INDEX_FORMAT_VERSION: u32 = 1;

/// Sections of the index file, in order.
const SECTIONS: u32 = 10;

/// Whether mentions may overlap.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Overlaps {
    /// Leftmost-longest, non-overlapping mentions.
    #[default]
    None,
    /// Every dictionary form found, overlapping or nested.
    All,
}

/// The matcher index: token vocabulary, form trie and concept identifiers.
#[derive(Debug, Clone)]
pub struct Matcher {
    vocab: Vocabulary,
    trie: FormTrie,
    cuis: StringTable,
}

/// One mention found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// Start, code points into the text.
    pub start: u32,
    /// End (exclusive), code points.
    pub end: u32,
    /// Start, bytes into the text.
    pub byte_start: usize,
    /// End (exclusive), bytes.
    pub byte_end: usize,
    /// Candidate concepts (ids into [`Matcher::cui`]), distinct and ordered by identifier, each
    /// with the index into `forms` of the dictionary form that matched it.
    pub candidates: Vec<(u32, u8)>,
    /// The matched forms: one, or two when both namespaces matched the same tokens.
    pub forms: Vec<String>,
}

/// Reusable buffers of [`Matcher::find`] (one per thread).
#[derive(Debug, Default)]
pub struct Scratch {
    tokens: Vec<Token>,
    lower: Vec<u32>,
    cased: Vec<u32>,
    key: String,
    hits: Vec<(usize, usize, u32, u32)>,
}

/// Size of an index, for logs and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatcherStats {
    /// Distinct token keys.
    pub words: usize,
    /// Trie nodes.
    pub nodes: usize,
    /// (form, concept) pairs.
    pub postings: usize,
    /// Concepts.
    pub concepts: usize,
    /// Heap bytes held by the index, hash indexes estimated.
    pub memory_bytes: usize,
}

impl Matcher {
    /// Assembles a matcher (see [`super::index::assemble`]).
    pub(crate) fn new(vocab: Vocabulary, trie: FormTrie, cuis: StringTable) -> Self {
        Matcher { vocab, trie, cuis }
    }

    /// Builds the matcher from the batches of a `dictionary` table, e.g. when no cached index
    /// is at hand. Gives the same index as the builder that wrote the table.
    pub fn from_dictionary<'a>(
        batches: impl IntoIterator<Item = &'a arrow::array::RecordBatch>,
    ) -> Result<Self> {
        use super::index::{assemble, DictionaryStats, FormSet};
        use super::vocab::Interner;
        use crate::tables::columns::column;
        use arrow::array::{BooleanArray, StringArray};
        let mut forms = FormSet::new();
        let mut cuis = Interner::new();
        let mut postings = Vec::new();
        for batch in batches {
            let form = column::<StringArray>(batch, "form")?;
            let cui = column::<StringArray>(batch, "cui")?;
            let name = column::<StringArray>(batch, "name")?;
            let case_sensitive = column::<BooleanArray>(batch, "case_sensitive")?;
            for i in 0..batch.num_rows() {
                let f = forms.intern(
                    form.value(i).split(' '),
                    case_sensitive.value(i),
                    name.value(i),
                );
                postings.push((f, cuis.intern(cui.value(i))));
            }
        }
        Ok(assemble(forms, cuis, postings, None, DictionaryStats::default())?.matcher)
    }

    /// The vocabulary of token keys.
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocab
    }

    /// The concept identifier of id `c` (from [`Mention::candidates`]).
    pub fn cui(&self, c: u32) -> &str {
        self.cuis.get(c)
    }

    /// Sizes of the index.
    pub fn stats(&self) -> MatcherStats {
        MatcherStats {
            words: self.vocab.len(),
            nodes: self.trie.num_nodes(),
            postings: self.trie.num_postings(),
            concepts: self.cuis.len(),
            memory_bytes: self.vocab.memory_bytes()
                + self.trie.memory_bytes()
                + self.cuis.memory_bytes(),
        }
    }

    /// Writes the index to `path` (atomically: a temporary file renamed into place).
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut w = CacheWriter::create(path, INDEX_FORMAT_VERSION, SECTIONS)?;
        let (words, is_cased) = self.vocab.parts();
        let (word_bytes, word_offsets) = words.parts();
        w.bytes(word_bytes)?;
        w.u64s(word_offsets)?;
        w.bytes(&is_cased.iter().map(|&c| c as u8).collect::<Vec<u8>>())?;
        let (cui_bytes, cui_offsets) = self.cuis.parts();
        w.bytes(cui_bytes)?;
        w.u64s(cui_offsets)?;
        for array in self.trie.arrays() {
            w.u32s(array)?;
        }
        w.finish()
    }

    /// Loads an index written by [`save`](Self::save), validating it.
    pub fn load(path: &Path) -> Result<Self> {
        let (mut r, sections) = CacheReader::open(path, INDEX_FORMAT_VERSION)?;
        if sections != SECTIONS {
            return Err(r.error(format!("{sections} sections, expected {SECTIONS}")));
        }
        let words = StringTable::from_parts(r.bytes()?, r.u64s()?).map_err(|e| r.error(e))?;
        let is_cased: Vec<bool> = r.bytes()?.into_iter().map(|b| b != 0).collect();
        let vocab = Vocabulary::from_parts(words, is_cased).map_err(|e| r.error(e))?;
        let cuis = StringTable::from_parts(r.bytes()?, r.u64s()?).map_err(|e| r.error(e))?;
        let parts = TrieParts {
            root: r.u32s()?,
            first_child: r.u32s()?,
            label: r.u32s()?,
            post_start: r.u32s()?,
            postings: r.u32s()?,
        };
        if parts.root.len() != vocab.len() {
            return Err(r.error("trie root table and vocabulary differ in size"));
        }
        let trie = FormTrie::from_parts(parts, cuis.len()).map_err(|e| r.error(e))?;
        r.finish()?;
        Ok(Matcher { vocab, trie, cuis })
    }

    /// Finds the mentions in `text` (appended to `out`, in order of start, then end).
    pub fn find(
        &self,
        text: &str,
        overlaps: Overlaps,
        scratch: &mut Scratch,
        out: &mut Vec<Mention>,
    ) {
        let Scratch {
            tokens,
            lower,
            cased,
            key,
            hits,
        } = scratch;
        tokenize(text, tokens);
        lower.clear();
        cased.clear();
        let has_cased = self.vocab.has_cased();
        for t in tokens.iter() {
            let token_text = &text[t.start..t.end];
            key.clear();
            push_key(token_text, t.is_word, true, key);
            lower.push(self.vocab.get(key, false).unwrap_or(NONE));
            if has_cased && t.caseless_or_upper {
                key.clear();
                push_key(token_text, t.is_word, false, key);
                cased.push(self.vocab.get(key, true).unwrap_or(NONE));
            } else {
                cased.push(NONE);
            }
        }
        let n = tokens.len();
        let mut i = 0;
        while i < n {
            hits.clear();
            self.walk(lower, i, overlaps, hits);
            if has_cased {
                self.walk(cased, i, overlaps, hits);
            }
            if hits.is_empty() {
                i += 1;
                continue;
            }
            match overlaps {
                Overlaps::None => {
                    let end = hits.iter().map(|h| h.1).max().unwrap_or(i + 1);
                    hits.retain(|h| h.1 == end);
                    out.push(self.mention(text, tokens, lower, cased, hits));
                    i = end;
                }
                Overlaps::All => {
                    hits.sort_unstable_by_key(|h| (h.1, h.3));
                    let mut k = 0;
                    while k < hits.len() {
                        let end = hits[k].1;
                        let same_end = hits[k..].iter().take_while(|h| h.1 == end).count();
                        out.push(self.mention(text, tokens, lower, cased, &hits[k..k + same_end]));
                        k += same_end;
                    }
                    i += 1;
                }
            }
        }
    }

    /// Walks the trie from token `start` along `ids`, pushing `(start, end, node, first id)`
    /// for the longest form found, or for every form when `overlaps` is all. The first token's
    /// id tells the namespace apart, as the namespaces share no id.
    fn walk(
        &self,
        ids: &[u32],
        start: usize,
        overlaps: Overlaps,
        hits: &mut Vec<(usize, usize, u32, u32)>,
    ) {
        let Some(&first) = ids.get(start) else { return };
        if first == NONE {
            return;
        }
        let Some(mut node) = self.trie.root_child(first) else {
            return;
        };
        let mut longest = None;
        let mut j = start + 1;
        loop {
            if !self.trie.postings(node).is_empty() {
                let hit = (start, j, node, first);
                match overlaps {
                    Overlaps::None => longest = Some(hit),
                    Overlaps::All => hits.push(hit),
                }
            }
            let Some(&next) = ids.get(j) else { break };
            if next == NONE {
                break;
            }
            match self.trie.child(node, next) {
                Some(child) => node = child,
                None => break,
            }
            j += 1;
        }
        hits.extend(longest);
    }

    /// The mention of `hits`, which all span the same tokens.
    fn mention(
        &self,
        text: &str,
        tokens: &[Token],
        lower: &[u32],
        cased: &[u32],
        hits: &[(usize, usize, u32, u32)],
    ) -> Mention {
        let (start, end) = (hits[0].0, hits[0].1);
        let (first, last) = (tokens[start], tokens[end - 1]);
        let mut candidates: Vec<(u32, u8)> = Vec::new();
        let mut forms = Vec::with_capacity(hits.len());
        for (form_index, &(_, _, node, first_id)) in hits.iter().enumerate() {
            let ids = if lower[start] == first_id {
                lower
            } else {
                cased
            };
            let mut form = String::new();
            for (k, &id) in ids[start..end].iter().enumerate() {
                if k > 0 {
                    form.push(' ');
                }
                form.push_str(self.vocab.word(id));
            }
            forms.push(form);
            candidates.extend(
                self.trie
                    .postings(node)
                    .iter()
                    .map(|&c| (c, form_index as u8)),
            );
        }
        if hits.len() > 1 {
            // A node's postings are distinct; the two namespaces may share a concept.
            candidates.sort_unstable_by_key(|&(c, f)| (c, f));
            candidates.dedup_by_key(|&mut (c, _)| c);
        }
        // Concept ids depend on the order the index was built in; identifiers do not.
        candidates.sort_unstable_by(|a, b| self.cui(a.0).cmp(self.cui(b.0)));
        debug_assert!(text.is_char_boundary(first.start) && text.is_char_boundary(last.end));
        Mention {
            start: first.char_start,
            end: last.char_end,
            byte_start: first.start,
            byte_end: last.end,
            candidates,
            forms,
        }
    }
}
