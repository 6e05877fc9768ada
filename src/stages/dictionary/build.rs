//! Building the dictionary: names in, forms and the matcher index out.
//!
//! Memory at UMLS size is dominated by one entry per distinct form (its token-id sequence in a
//! hash index and once more flat, its first original name) and one `(form, concept)` pair per
//! kept name; token keys and concept ids are interned once. Normalisation of a batch runs in
//! parallel (rayon); interning is sequential and cheap.

use foldhash::{HashSet, HashSetExt};

use arrow::array::{Array, RecordBatch, StringArray};
use rayon::prelude::*;

use super::{stopwords, DictionaryOptions};
use crate::error::{BaliError, Result};
use crate::lexicon::index::{assemble, FormSet};
pub use crate::lexicon::index::{BuiltDictionary, DictionaryStats};
use crate::lexicon::normalize::{normalize_name, NormalForm, Token};
use crate::lexicon::vocab::Interner;
use crate::tables::columns::column;

/// Builds a dictionary from `concepts` (and optionally `semantic_types`) batches.
pub struct DictionaryBuilder {
    options: DictionaryOptions,
    stopwords: HashSet<String>,
    languages: HashSet<String>,
    allow: HashSet<String>,
    deny: HashSet<String>,
    forms: FormSet,
    cuis: Interner,
    postings: Vec<(u32, u32)>,
    allowed: HashSet<u32>,
    denied: HashSet<u32>,
    saw_semantic_types: bool,
    stats: DictionaryStats,
}

impl DictionaryBuilder {
    /// A builder with `options`.
    pub fn new(options: DictionaryOptions) -> Self {
        let mut tokens = Vec::new();
        let builtin: &[&str] = if options.stopwords.builtin {
            stopwords::BUILTIN
        } else {
            &[]
        };
        let stopwords = builtin
            .iter()
            .copied()
            .chain(options.stopwords.extra.iter().map(String::as_str))
            .flat_map(|w| normalize_name(w, 0, false, &mut tokens))
            .map(|f| f.text)
            .collect();
        let lower_set = |v: &[String]| v.iter().map(|s| s.to_lowercase()).collect::<HashSet<_>>();
        DictionaryBuilder {
            stopwords,
            languages: options.languages.iter().cloned().collect(),
            allow: lower_set(&options.semantic_types.allow),
            deny: lower_set(&options.semantic_types.deny),
            options,
            forms: FormSet::new(),
            cuis: Interner::new(),
            postings: Vec::new(),
            allowed: HashSet::new(),
            denied: HashSet::new(),
            saw_semantic_types: false,
            stats: DictionaryStats::default(),
        }
    }

    /// Adds the names of a `concepts` batch.
    pub fn push_concepts(&mut self, batch: &RecordBatch) -> Result<()> {
        let cui = column::<StringArray>(batch, "cui")?;
        let name = column::<StringArray>(batch, "name")?;
        let language = column::<StringArray>(batch, "language")?;
        let suppress = column::<StringArray>(batch, "suppress")?;
        let n = batch.num_rows();
        self.stats.names += n as u64;
        let keep: Vec<bool> = (0..n)
            .map(|i| {
                if !self.languages.is_empty() && !self.languages.contains(language.value(i)) {
                    self.stats.dropped_language += 1;
                    return false;
                }
                let suppressed =
                    !suppress.is_null(i) && matches!(suppress.value(i), "O" | "E" | "Y");
                if self.options.drop_suppressed && suppressed {
                    self.stats.dropped_suppressed += 1;
                    return false;
                }
                true
            })
            .collect();
        let acronym_max = self.options.acronyms.case_sensitive_max_length;
        let hyphen_variants = self.options.hyphen_variants;
        let normalized: Vec<Vec<NormalForm>> = (0..n)
            .into_par_iter()
            .map_init(Vec::<Token>::new, |tokens, i| {
                if !keep[i] {
                    return Vec::new();
                }
                normalize_name(name.value(i), acronym_max, hyphen_variants, tokens)
            })
            .collect();
        for (i, forms) in normalized.into_iter().enumerate() {
            for form in forms {
                if form.word_chars < self.options.min_length {
                    self.stats.dropped_short += 1;
                    continue;
                }
                if !form.case_sensitive && self.stopwords.contains(&form.text) {
                    self.stats.dropped_stopword += 1;
                    continue;
                }
                let form_id = self
                    .forms
                    .intern(form.keys(), form.case_sensitive, name.value(i));
                let cui_id = self.cuis.intern(cui.value(i));
                self.postings.push((form_id, cui_id));
            }
        }
        Ok(())
    }

    /// Adds a `semantic_types` batch (used by the semantic-type filters only).
    pub fn push_semantic_types(&mut self, batch: &RecordBatch) -> Result<()> {
        self.saw_semantic_types = true;
        if !self.options.semantic_types.is_active() {
            return Ok(());
        }
        let cui = column::<StringArray>(batch, "cui")?;
        let tui = column::<StringArray>(batch, "tui")?;
        let sty = column::<StringArray>(batch, "sty")?;
        for i in 0..batch.num_rows() {
            let matches = |set: &HashSet<String>| {
                set.contains(&tui.value(i).to_lowercase())
                    || set.contains(&sty.value(i).to_lowercase())
            };
            if matches(&self.allow) {
                self.allowed.insert(self.cuis.intern(cui.value(i)));
            }
            if matches(&self.deny) {
                self.denied.insert(self.cuis.intern(cui.value(i)));
            }
        }
        Ok(())
    }

    /// Estimated heap bytes held so far.
    pub fn memory_bytes(&self) -> usize {
        self.forms.memory_bytes() + self.cuis.memory_bytes() + self.postings.capacity() * 8
    }

    /// Applies the remaining filters and builds the table and the matcher.
    pub fn finish(mut self) -> Result<BuiltDictionary> {
        if self.options.semantic_types.is_active() {
            if !self.saw_semantic_types {
                return Err(BaliError::Spec(
                    "dictionary: `semantic_types` allow/deny is set, but no semantic_types input was given".into(),
                ));
            }
            let before = self.postings.len();
            let (allow_all, allowed, denied) = (self.allow.is_empty(), &self.allowed, &self.denied);
            self.postings
                .retain(|(_, c)| (allow_all || allowed.contains(c)) && !denied.contains(c));
            self.stats.dropped_semantic_type = (before - self.postings.len()) as u64;
        }
        let stats = self.stats;
        assemble(
            self.forms,
            self.cuis,
            self.postings,
            self.options.max_cuis_per_form,
            stats,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::dictionary::{AcronymOptions, SemanticTypeFilter, StopwordOptions};
    use crate::testdata::{concepts_batch, concepts_batch_with, semantic_types_batch};
    use arrow::array::{BooleanArray, Int32Array};

    /// `(form, cui, name, case_sensitive, n_cuis)` rows of a built dictionary.
    fn rows(built: &BuiltDictionary) -> Vec<(String, String, String, bool, i32)> {
        let mut out = Vec::new();
        for batch in built.batches(2) {
            let batch = batch.unwrap();
            let form = column::<StringArray>(&batch, "form").unwrap();
            let cui = column::<StringArray>(&batch, "cui").unwrap();
            let name = column::<StringArray>(&batch, "name").unwrap();
            let cs = column::<BooleanArray>(&batch, "case_sensitive").unwrap();
            let n = column::<Int32Array>(&batch, "n_cuis").unwrap();
            for i in 0..batch.num_rows() {
                out.push((
                    form.value(i).to_string(),
                    cui.value(i).to_string(),
                    name.value(i).to_string(),
                    cs.value(i),
                    n.value(i),
                ));
            }
        }
        out.sort();
        out
    }

    fn build(options: DictionaryOptions, names: &[(&str, &str)]) -> BuiltDictionary {
        let mut b = DictionaryBuilder::new(options);
        b.push_concepts(&concepts_batch(names)).unwrap();
        b.finish().unwrap()
    }

    fn forms(built: &BuiltDictionary) -> Vec<String> {
        let mut f: Vec<String> = rows(built).into_iter().map(|r| r.0).collect();
        f.dedup();
        f
    }

    #[test]
    fn normalises_deduplicates_and_counts_ambiguity() {
        let built = build(
            DictionaryOptions::default(),
            &[
                ("C1", "Type 2 Diabetes Mellitus"),
                ("C1", "type 2 diabetes  mellitus"),
                ("C1", "Diabetes mellitus, type 2"),
                ("C2", "Cold"),
                ("C3", "cold"),
                ("C4", "MAP"),
                ("C5", "Mean arterial pressure"),
                ("C5", "MAP"),
                ("C6", "IL-6"),
            ],
        );
        assert_eq!(
            rows(&built),
            [
                ("IL 6".into(), "C6".into(), "IL-6".into(), true, 1),
                ("IL6".into(), "C6".into(), "IL-6".into(), true, 1),
                ("MAP".into(), "C4".into(), "MAP".into(), true, 2),
                ("MAP".into(), "C5".into(), "MAP".into(), true, 2),
                ("cold".into(), "C2".into(), "Cold".into(), false, 2),
                ("cold".into(), "C3".into(), "Cold".into(), false, 2),
                (
                    "diabetes mellitus , type 2".into(),
                    "C1".into(),
                    "Diabetes mellitus, type 2".into(),
                    false,
                    1
                ),
                (
                    "mean arterial pressure".into(),
                    "C5".into(),
                    "Mean arterial pressure".into(),
                    false,
                    1
                ),
                (
                    "type 2 diabetes mellitus".into(),
                    "C1".into(),
                    "Type 2 Diabetes Mellitus".into(),
                    false,
                    1
                ),
            ]
        );
        assert_eq!(built.stats.pairs, 9);
        assert_eq!(built.matcher.stats().concepts, 6);
    }

    #[test]
    fn filters_by_length_stopwords_language_and_suppression() {
        let names = [
            ("C1", "Ca"),
            ("C2", "All"),
            ("C3", "ALL"),
            ("C4", "cell line"),
            ("C5", "Fever"),
        ];
        assert_eq!(
            forms(&build(DictionaryOptions::default(), &names)),
            ["ALL", "cell line", "fever"]
        );
        let extended = DictionaryOptions {
            stopwords: StopwordOptions {
                builtin: true,
                extra: vec!["Cell-line".into()],
            },
            ..Default::default()
        };
        assert_eq!(forms(&build(extended, &names)), ["ALL", "fever"]);
        let replaced = DictionaryOptions {
            min_length: 2,
            stopwords: StopwordOptions {
                builtin: false,
                extra: vec!["fever".into()],
            },
            acronyms: AcronymOptions {
                case_sensitive_max_length: 0,
            },
            ..Default::default()
        };
        assert_eq!(forms(&build(replaced, &names)), ["all", "ca", "cell line"]);

        let mut b = DictionaryBuilder::new(DictionaryOptions::default());
        let rows = [
            ("C1", "Fever", "ENG", "N"),
            ("C2", "Fieber", "GER", "N"),
            ("C3", "Old fever", "ENG", "O"),
        ];
        b.push_concepts(&concepts_batch_with(rows.into_iter()))
            .unwrap();
        let built = b.finish().unwrap();
        assert_eq!(forms(&built), ["fever"]);
        assert_eq!(
            (built.stats.dropped_language, built.stats.dropped_suppressed),
            (1, 1)
        );
    }

    #[test]
    fn filters_ambiguity_and_semantic_types() {
        let names = [
            ("C1", "cold"),
            ("C2", "cold"),
            ("C3", "fever"),
            ("C4", "headache"),
        ];
        let unambiguous = DictionaryOptions {
            max_cuis_per_form: Some(1),
            ..Default::default()
        };
        assert_eq!(forms(&build(unambiguous, &names)), ["fever", "headache"]);

        let filtered = DictionaryOptions {
            semantic_types: SemanticTypeFilter {
                allow: vec!["T184".into(), "disease or syndrome".into()],
                deny: vec!["T033".into()],
            },
            ..Default::default()
        };
        let mut b = DictionaryBuilder::new(filtered.clone());
        b.push_concepts(&concepts_batch(&names)).unwrap();
        b.push_semantic_types(&semantic_types_batch(&[
            ("C1", "T047", "Disease or Syndrome"),
            ("C2", "T033", "Finding"),
            ("C2", "T184", "Sign or Symptom"),
            ("C3", "T184", "Sign or Symptom"),
            ("C4", "T061", "Therapeutic or Preventive Procedure"),
        ]))
        .unwrap();
        let built = b.finish().unwrap();
        assert_eq!(
            rows(&built)
                .iter()
                .map(|r| r.1.as_str())
                .collect::<Vec<_>>(),
            ["C1", "C3"]
        );
        assert_eq!(built.stats.dropped_semantic_type, 2);

        let mut without_types = DictionaryBuilder::new(filtered);
        without_types
            .push_concepts(&concepts_batch(&names))
            .unwrap();
        assert!(matches!(without_types.finish(), Err(BaliError::Spec(_))));
    }
}
