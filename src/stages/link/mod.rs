//! `link`: dictionary mentions in sentences.
//!
//! [`link_sentences`] runs the [`Matcher`] over every sentence of a `sentences` batch, in
//! parallel across sentences (rayon), and writes one `mentions` row per (mention, candidate
//! concept). Offsets are code points: `start`/`end` into the sentence, `doc_start`/`doc_end`
//! into the section text (title or abstract), and `sentence[start:end] == surface` always.
//!
//! Known failure classes, from a spot check of 40 mentions sampled evenly across the HPO
//! vocabulary's mentions in the real baseline file (38,397 when checked, 38,134 with today's
//! dictionary rules; the `hpo_on_real_abstracts` test prints the counts, the commonest
//! mentions and the sample; 24 of the 40 named a phenotype correctly):
//! - modifier concepts: HPO's clinical-modifier and frequency terms ("acute", "chronic",
//!   "severe", "left", "right", "central", "generalized", "stable", "frequency") are concepts
//!   of the vocabulary and are linked wherever the word appears; they are the eight commonest
//!   mentions. `stopwords.extra` (or, with UMLS, a semantic-type deny list) removes them;
//! - word sense: "localized" the verb, "ascites" in "Krebs II ascites cells" (a cell line),
//!   "mitochondrial" linked through a synonym of "Mitochondrial inheritance";
//! - a listed piece of an unlisted longer term: "central" in "central nervous system",
//!   "right" in "right thumb" (only the dictionary's strings are known);
//! - inflections the dictionary does not list: "tumors" is not "tumor" (no stemming; only the
//!   possessive 's is folded);
//! - abbreviations defined in the abstract ("LCM" for lymphocytic choriomeningitis) are not
//!   resolved; a mention never crosses a sentence boundary, by construction.

pub use crate::lexicon::matcher;
#[cfg(test)]
mod pipeline_tests;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use arrow::array::{Int32Array, RecordBatch, StringArray};
use rayon::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::engine::{BuildContext, InputDecl, OutputDecl, PartitionCtx, Stage, StageKind};
use crate::error::{BaliError, Result};
use crate::tables::columns::column;
use crate::tables::mentions::{MentionRow, MentionsBuilder, SentenceColumns};
use crate::tables::TableType;

pub use crate::lexicon::{
    Matcher, MatcherStats, Mention, Overlaps, Scratch, INDEX_FILE, INDEX_FORMAT_VERSION,
};

/// Options of the `link` kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LinkOptions {
    /// `none`: leftmost-longest, non-overlapping mentions (a longer form wins over the
    /// shorter ones inside it); `all`: every form found, nested and overlapping ones included.
    pub overlaps: Overlaps,
    /// Leave out mentions with more candidate concepts than this; unset keeps all (an
    /// ambiguous mention gives one row per candidate).
    pub max_candidates: Option<usize>,
}

/// The `link` kind: one output partition per `sentences` partition.
pub struct LinkKind;

impl StageKind for LinkKind {
    type Options = LinkOptions;
    const NAME: &'static str = "link";
    const SUMMARY: &'static str =
        "Find dictionary mentions in sentences (leftmost-longest, whole words)";
    const FORMAT_VERSION: u32 = 1;
    const INPUTS: &'static [InputDecl] = &[
        InputDecl::partitioned("sentences", &[TableType::Sentences]),
        InputDecl::whole("dictionary", &[TableType::Dictionary]),
    ];
    const OUTPUTS: &'static [OutputDecl] = &[OutputDecl {
        name: "mentions",
        table: TableType::Mentions,
    }];
    const EXAMPLE: &'static str = "overlaps: none\nmax_candidates: 10";

    fn build(options: LinkOptions, _: &BuildContext) -> Result<Box<dyn Stage>> {
        Ok(Box::new(LinkStage {
            options,
            matcher: Mutex::new(None),
        }))
    }
}

/// The runtime stage. The matcher is loaded once per run and shared by every partition; it
/// is keyed by the dictionary's committed files, so a dictionary rebuilt in the same run is
/// never matched with a stale index.
struct LinkStage {
    options: LinkOptions,
    matcher: Mutex<Option<(Vec<PathBuf>, Arc<Matcher>)>>,
}

impl LinkStage {
    /// The matcher of the dictionary input: its cached index when there is one that loads,
    /// else rebuilt from the dictionary table.
    fn matcher(&self, ctx: &PartitionCtx<'_>) -> Result<Arc<Matcher>> {
        let table = ctx.whole(1)?;
        let files = table.files();
        let mut cached = self.matcher.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((key, matcher)) = cached.as_ref() {
            if *key == files {
                return Ok(matcher.clone());
            }
        }
        let index = table.single_artifact_dir().map(|d| d.join(INDEX_FILE));
        let loaded = match index.as_deref().filter(|p| p.exists()) {
            Some(path) => {
                match Matcher::load(path) {
                    Ok(m) => {
                        tracing::info!(index = %path.display(), "loaded the cached matcher index");
                        Some(m)
                    }
                    Err(e) => {
                        tracing::warn!("cached matcher index not usable ({e}); rebuilding it from the dictionary");
                        None
                    }
                }
            }
            None => None,
        };
        let matcher = match loaded {
            Some(m) => m,
            None => {
                let batches: Vec<RecordBatch> = table.scan()?.collect::<Result<_>>()?;
                Matcher::from_dictionary(&batches)?
            }
        };
        let matcher = Arc::new(matcher);
        *cached = Some((files, matcher.clone()));
        Ok(matcher)
    }
}

impl Stage for LinkStage {
    fn run(&self, ctx: &mut PartitionCtx<'_>) -> Result<()> {
        let matcher = self.matcher(ctx)?;
        for batch in ctx.input(0)? {
            let batch = batch?;
            ctx.check_cancelled()?;
            let mentions = link_sentences(&matcher, &batch, &self.options)?;
            ctx.progress().inc(batch.num_rows() as u64);
            ctx.emit(0, mentions)?;
        }
        Ok(())
    }
}

/// Links every sentence of a `sentences` batch, giving a `mentions` batch (schema
/// [`crate::tables::mentions::schema`]), sentences in input order.
pub fn link_sentences(
    matcher: &Matcher,
    sentences: &RecordBatch,
    options: &LinkOptions,
) -> Result<RecordBatch> {
    let sentence = SentenceColumns::of(sentences)?;
    let sentence_start = column::<Int32Array>(sentences, "start")?;
    let text = column::<StringArray>(sentences, "text")?;

    let found: Vec<Vec<Mention>> = (0..sentences.num_rows())
        .into_par_iter()
        .map_init(Scratch::default, |scratch, row| {
            let mut mentions = Vec::new();
            matcher.find(text.value(row), options.overlaps, scratch, &mut mentions);
            if let Some(max) = options.max_candidates {
                mentions.retain(|m| m.candidates.len() <= max);
            }
            mentions
        })
        .collect();

    let rows: usize = found.iter().flatten().map(|m| m.candidates.len()).sum();
    let mut out = MentionsBuilder::with_capacity(rows);
    for (row, mentions) in found.iter().enumerate() {
        let text = text.value(row);
        let offset = sentence_start.value(row);
        for (mention_index, m) in mentions.iter().enumerate() {
            let (start, end) = (to_i32(m.start)?, to_i32(m.end)?);
            for &(cui, form) in &m.candidates {
                let row_fields = MentionRow {
                    mention_index: to_i32(mention_index as u32)?,
                    span: (start, end),
                    doc_span: (offset + start, offset + end),
                    surface: &text[m.byte_start..m.byte_end],
                    cui: matcher.cui(cui),
                    candidates: to_i32(m.candidates.len() as u32)?,
                    matched: Some(&m.forms[form as usize]),
                    origin: "dictionary",
                };
                out.push(&sentence, row, &row_fields);
            }
        }
    }
    out.finish()
}

/// A count or offset as the Int32 the tables use.
fn to_i32(n: u32) -> Result<i32> {
    i32::try_from(n).map_err(|_| {
        BaliError::Internal(format!("offset {n} does not fit the Int32 offset columns"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::dictionary::{DictionaryBuilder, DictionaryOptions};
    use crate::testdata::{concepts_batch, sentences_batch};

    /// `(surface, start, end, cuis, matched forms)` per mention of one text.
    fn mentions(
        matcher: &Matcher,
        text: &str,
        overlaps: Overlaps,
    ) -> Vec<(String, u32, u32, Vec<String>)> {
        let mut found = Vec::new();
        matcher.find(text, overlaps, &mut Scratch::default(), &mut found);
        found
            .iter()
            .map(|m| {
                let mut cuis: Vec<String> = m
                    .candidates
                    .iter()
                    .map(|&(c, _)| matcher.cui(c).to_string())
                    .collect();
                cuis.sort();
                (
                    text[m.byte_start..m.byte_end].to_string(),
                    m.start,
                    m.end,
                    cuis,
                )
            })
            .collect()
    }

    fn matcher(names: &[(&str, &str)]) -> Matcher {
        let mut b = DictionaryBuilder::new(DictionaryOptions::default());
        b.push_concepts(&concepts_batch(names)).unwrap();
        b.finish().unwrap().matcher
    }

    const NAMES: &[(&str, &str)] = &[
        ("C1", "lung cancer"),
        ("C2", "non-small cell lung cancer"),
        ("C3", "cancer"),
        ("C4", "cell"),
        ("C5", "MAP"),
        ("C6", "map kinase"),
        ("C7", "Crohn disease"),
        ("C8", "Sjögren syndrome"),
        ("C9", "cold"),
        ("C10", "cold"),
        ("C11", "Interleukin-6"),
    ];

    #[test]
    fn leftmost_longest_whole_words() {
        let m = matcher(NAMES);
        let found = mentions(
            &m,
            "Non‐small  cell lung cancer cells; cancerous lung cancer.",
            Overlaps::None,
        );
        let spans: Vec<(&str, u32, u32)> = found.iter().map(|f| (f.0.as_str(), f.1, f.2)).collect();
        assert_eq!(
            spans,
            [
                ("Non‐small  cell lung cancer", 0, 27),
                ("lung cancer", 45, 56)
            ]
        );
        assert_eq!(found[0].3, ["C2"]);
    }

    #[test]
    fn all_overlaps_reports_nested_forms() {
        let m = matcher(NAMES);
        let found = mentions(&m, "non small cell lung cancer", Overlaps::All);
        let spans: Vec<(&str, Vec<String>)> =
            found.iter().map(|f| (f.0.as_str(), f.3.clone())).collect();
        assert_eq!(
            spans,
            [
                ("non small cell lung cancer", vec!["C2".to_string()]),
                ("cell", vec!["C4".to_string()]),
                ("lung cancer", vec!["C1".to_string()]),
                ("cancer", vec!["C3".to_string()]),
            ]
        );
    }

    #[test]
    fn acronyms_match_their_case_only() {
        let m = matcher(NAMES);
        let surfaces = |t: &str| {
            mentions(&m, t, Overlaps::None)
                .into_iter()
                .map(|f| f.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            surfaces("MAP rose; the map kinase; a MAP kinase; Map"),
            ["MAP", "map kinase", "MAP kinase"]
        );
        assert_eq!(
            surfaces("IL-6, interleukin 6 and interleukin6"),
            ["interleukin 6", "interleukin6"]
        );
    }

    #[test]
    fn offsets_round_trip_with_unicode_and_possessives() {
        let m = matcher(NAMES);
        let text =
            "Ωmega: Crohn’s disease and Sjögren's syndrome (SJO\u{0308}GREN SYNDROME), cold.";
        let found = mentions(&m, text, Overlaps::None);
        let chars: Vec<char> = text.chars().collect();
        for (surface, start, end, _) in &found {
            let by_chars: String = chars[*start as usize..*end as usize].iter().collect();
            assert_eq!(&by_chars, surface);
        }
        let surfaces: Vec<&str> = found.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(
            surfaces,
            [
                "Crohn’s disease",
                "Sjögren's syndrome",
                "SJO\u{0308}GREN SYNDROME",
                "cold"
            ]
        );
        assert_eq!(found[3].3, ["C10", "C9"]);
    }

    #[test]
    fn link_sentences_writes_one_row_per_candidate() {
        let m = matcher(NAMES);
        let batch = sentences_batch(&["A cold and lung cancer.", "Nothing here.", "Crohn disease"]);
        let out = link_sentences(&m, &batch, &LinkOptions::default()).unwrap();
        assert_eq!(out.schema(), crate::tables::mentions::schema());
        let surface = column::<StringArray>(&out, "surface").unwrap();
        let cui = column::<StringArray>(&out, "cui").unwrap();
        let candidates = column::<Int32Array>(&out, "candidates").unwrap();
        let mention_index = column::<Int32Array>(&out, "mention_index").unwrap();
        let doc_start = column::<Int32Array>(&out, "doc_start").unwrap();
        let pmid = column::<arrow::array::Int64Array>(&out, "pmid").unwrap();
        let rows: Vec<(i64, i32, &str, &str, i32, i32)> = (0..out.num_rows())
            .map(|i| {
                (
                    pmid.value(i),
                    mention_index.value(i),
                    surface.value(i),
                    cui.value(i),
                    candidates.value(i),
                    doc_start.value(i),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (1, 0, "cold", "C10", 2, 102),
                (1, 0, "cold", "C9", 2, 102),
                (1, 1, "lung cancer", "C1", 1, 111),
                (3, 0, "Crohn disease", "C7", 1, 100),
            ]
        );
        let unambiguous = LinkOptions {
            max_candidates: Some(1),
            ..Default::default()
        };
        assert_eq!(
            link_sentences(&m, &batch, &unambiguous).unwrap().num_rows(),
            2
        );
    }

    #[test]
    fn cached_and_rebuilt_indexes_match_the_built_one() {
        // The sample UMLS excerpt: real MRCONSO lines, read by the source's reader.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let concepts = crate::testutil::umls_concepts(&root.join("sample_data/umls/MRCONSO.RRF"));
        let mut b = DictionaryBuilder::new(DictionaryOptions::default());
        b.push_concepts(&concepts).unwrap();
        let built = b.finish().unwrap();
        let dictionary: Vec<RecordBatch> = built.batches(3000).collect::<Result<_>>().unwrap();
        let rebuilt = Matcher::from_dictionary(&dictionary).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.bin");
        built.matcher.save(&path).unwrap();
        let loaded = Matcher::load(&path).unwrap();
        let sizes = |m: &Matcher| {
            let s = m.stats();
            (s.words, s.nodes, s.postings, s.concepts)
        };
        assert_eq!(sizes(&loaded), sizes(&built.matcher));
        assert_eq!(sizes(&rebuilt), sizes(&built.matcher));

        // Text made of the dictionary's own names finds them, identically with all three.
        let names = concepts
            .column_by_name("name")
            .unwrap()
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .unwrap();
        let texts: Vec<String> = (0..arrow::array::Array::len(names).min(300))
            .map(|i| format!("In {} we saw it.", names.value(i)))
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let batch = sentences_batch(&refs);
        let options = LinkOptions::default();
        let expected = link_sentences(&built.matcher, &batch, &options).unwrap();
        assert!(
            expected.num_rows() > 200,
            "{} mentions",
            expected.num_rows()
        );
        assert_eq!(link_sentences(&loaded, &batch, &options).unwrap(), expected);
        assert_eq!(
            link_sentences(&rebuilt, &batch, &options).unwrap(),
            expected
        );
    }
}

/// The HPO vocabulary on the real baseline file: offsets round-trip on every mention, and the
/// counts and a sample for spot checks are printed (`--nocapture`).
#[cfg(test)]
mod real_data_tests {
    use std::collections::HashMap;

    use arrow::array::Int64Array;

    use super::*;
    use crate::stages::dictionary::{DictionaryBuilder, DictionaryOptions};
    use crate::stages::sentences::{split_articles, SentencesOptions};
    use crate::testutil;

    #[test]
    fn hpo_on_real_abstracts() {
        let (Some(hpo), Some(pubmed)) = (
            testutil::shared("data/ontologies/hp.obo"),
            testutil::shared("data/pubmed/pubmed20n0014.xml.gz"),
        ) else {
            return;
        };
        let names = testutil::obo_concepts(&hpo);
        let mut builder = DictionaryBuilder::new(DictionaryOptions::default());
        builder.push_concepts(&names).unwrap();
        let built = builder.finish().unwrap();
        let matcher = &built.matcher;

        let articles = testutil::pubmed_articles(&pubmed);
        let sentences =
            split_articles(&articles, &SentencesOptions::default().splitter(), true).unwrap();
        let mentions = link_sentences(matcher, &sentences, &LinkOptions::default()).unwrap();

        // Every mention round-trips against its sentence and its section text.
        let sections: HashMap<(i64, &str), &str> = {
            let pmid = column::<Int64Array>(&articles, "pmid").unwrap();
            let title = column::<StringArray>(&articles, "title").unwrap();
            let abstract_ = column::<StringArray>(&articles, "abstract").unwrap();
            (0..articles.num_rows())
                .flat_map(|i| {
                    let title = ((pmid.value(i), "title"), title.value(i));
                    let text = (!arrow::array::Array::is_null(abstract_, i))
                        .then(|| ((pmid.value(i), "abstract"), abstract_.value(i)));
                    std::iter::once(title).chain(text)
                })
                .collect()
        };
        let sentence_text: HashMap<(i64, i32), &str> = {
            let pmid = column::<Int64Array>(&sentences, "pmid").unwrap();
            let index = column::<Int32Array>(&sentences, "sentence_index").unwrap();
            let text = column::<StringArray>(&sentences, "text").unwrap();
            (0..sentences.num_rows())
                .map(|i| ((pmid.value(i), index.value(i)), text.value(i)))
                .collect()
        };
        let pmid = column::<Int64Array>(&mentions, "pmid").unwrap();
        let index = column::<Int32Array>(&mentions, "sentence_index").unwrap();
        let section = column::<StringArray>(&mentions, "section").unwrap();
        let start = column::<Int32Array>(&mentions, "start").unwrap();
        let end = column::<Int32Array>(&mentions, "end").unwrap();
        let doc_start = column::<Int32Array>(&mentions, "doc_start").unwrap();
        let doc_end = column::<Int32Array>(&mentions, "doc_end").unwrap();
        let surface = column::<StringArray>(&mentions, "surface").unwrap();
        let cui = column::<StringArray>(&mentions, "cui").unwrap();
        let slice = |s: &str, a: i32, b: i32| {
            s.chars()
                .skip(a as usize)
                .take((b - a) as usize)
                .collect::<String>()
        };
        for i in 0..mentions.num_rows() {
            let sentence = sentence_text[&(pmid.value(i), index.value(i))];
            assert_eq!(
                slice(sentence, start.value(i), end.value(i)),
                surface.value(i)
            );
            let doc = sections[&(pmid.value(i), section.value(i))];
            assert_eq!(
                slice(doc, doc_start.value(i), doc_end.value(i)),
                surface.value(i)
            );
        }

        let distinct_mentions: std::collections::HashSet<(i64, i32, i32)> = (0..mentions
            .num_rows())
            .map(|i| (pmid.value(i), index.value(i), start.value(i)))
            .collect();
        let mut by_concept: HashMap<(&str, String), usize> = HashMap::new();
        for i in 0..mentions.num_rows() {
            *by_concept
                .entry((cui.value(i), surface.value(i).to_lowercase()))
                .or_default() += 1;
        }
        let mut top: Vec<_> = by_concept.into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        eprintln!(
            "HPO: {} names -> {} forms; {} articles, {} sentences -> {} mentions ({} rows), {} distinct (concept, surface)",
            names.num_rows(),
            built.stats.forms,
            articles.num_rows(),
            sentences.num_rows(),
            distinct_mentions.len(),
            mentions.num_rows(),
            top.len()
        );
        for ((c, s), n) in top.iter().take(40) {
            eprintln!("  {n:6}  {c}  {s}");
        }
        // A deterministic sample across the file, with context, for spot checks.
        let step = (mentions.num_rows() / 40).max(1);
        for i in (0..mentions.num_rows()).step_by(step) {
            let sentence = sentence_text[&(pmid.value(i), index.value(i))];
            let from = (start.value(i) - 40).max(0);
            eprintln!(
                "  sample {} {:?} -> {} | …{}…",
                pmid.value(i),
                surface.value(i),
                cui.value(i),
                slice(sentence, from, end.value(i) + 30)
            );
        }
        assert!(
            distinct_mentions.len() > 5_000,
            "{} mentions",
            distinct_mentions.len()
        );
    }
}
