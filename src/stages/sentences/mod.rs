//! `sentences`: titles and abstracts split into sentences with code-point offsets.
//!
//! The title and the abstract are split separately (the abstract as the `articles` table holds
//! it: its AbstractText sections joined with "\n", each newline a sentence boundary). Offsets
//! are code points into the section text, so `section_text[start:end] == text` holds in Python
//! and in any Arrow reader that indexes strings by character. The splitting rules and their
//! known failure classes are in [`splitter`].

pub mod splitter;

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Int32Array, Int32Builder, Int64Array, Int64Builder, RecordBatch, StringArray,
    StringBuilder,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::engine::{BuildContext, InputDecl, OutputDecl, PartitionCtx, Stage, StageKind};
use crate::error::{BaliError, Result};
use crate::tables::columns::column;
use crate::tables::{self, TableType};

pub use splitter::Splitter;

/// Options of the `sentences` kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SentencesOptions {
    /// Abbreviations after which a period never ends a sentence, on top of the built-in list
    /// ("e.g.", "Fig.", "vs.", ...); with or without the final period, any case.
    pub extra_abbreviations: Vec<String>,
    /// Leave inline section labels such as "RESULTS:" out of the sentence they head.
    pub strip_section_labels: bool,
    /// Split titles as well as abstracts (title sentences come first, with section `title`).
    pub include_titles: bool,
}

impl Default for SentencesOptions {
    fn default() -> Self {
        SentencesOptions {
            extra_abbreviations: Vec::new(),
            strip_section_labels: true,
            include_titles: true,
        }
    }
}

impl SentencesOptions {
    /// The splitter these options describe.
    pub fn splitter(&self) -> Splitter {
        Splitter::new(&self.extra_abbreviations, self.strip_section_labels)
    }
}

/// The `sentences` kind: one output partition per `articles` partition.
pub struct SentencesKind;

impl StageKind for SentencesKind {
    type Options = SentencesOptions;
    const NAME: &'static str = "sentences";
    const SUMMARY: &'static str =
        "Split article titles and abstracts into sentences with code-point offsets";
    const FORMAT_VERSION: u32 = 1;
    const INPUTS: &'static [InputDecl] =
        &[InputDecl::partitioned("articles", &[TableType::Articles])];
    const OUTPUTS: &'static [OutputDecl] = &[OutputDecl {
        name: "sentences",
        table: TableType::Sentences,
    }];
    const EXAMPLE: &'static str =
        "extra_abbreviations: [\"Dept.\", \"Suppl.\"]\nstrip_section_labels: true\ninclude_titles: true";

    fn build(options: SentencesOptions, _: &BuildContext) -> Result<Box<dyn Stage>> {
        Ok(Box::new(SentencesStage {
            splitter: options.splitter(),
            include_titles: options.include_titles,
        }))
    }
}

/// The runtime stage: the splitter built once from the options.
struct SentencesStage {
    splitter: Splitter,
    include_titles: bool,
}

impl Stage for SentencesStage {
    fn run(&self, ctx: &mut PartitionCtx<'_>) -> Result<()> {
        for batch in ctx.input(0)? {
            let batch = batch?;
            ctx.check_cancelled()?;
            let sentences = split_articles(&batch, &self.splitter, self.include_titles)?;
            ctx.progress().inc(batch.num_rows() as u64);
            ctx.emit(0, sentences)?;
        }
        Ok(())
    }
}

/// Splits the titles and abstracts of an `articles` batch into a `sentences` batch (schema
/// [`tables::sentences::schema`]), articles in input order, title sentences first.
pub fn split_articles(
    articles: &RecordBatch,
    splitter: &Splitter,
    include_titles: bool,
) -> Result<RecordBatch> {
    let pmid = column::<Int64Array>(articles, "pmid")?;
    let version = column::<Int32Array>(articles, "version")?;
    let title = column::<StringArray>(articles, "title")?;
    let abstract_ = column::<StringArray>(articles, "abstract")?;
    let source_file = column::<StringArray>(articles, "source_file")?;
    let article_index = column::<Int64Array>(articles, "article_index")?;

    let capacity = articles.num_rows() * 8;
    let mut out = SentenceColumns::with_capacity(capacity);
    let mut spans = Vec::new();
    for row in 0..articles.num_rows() {
        let mut sentence_index = 0i32;
        let sections = [
            ("title", include_titles, title),
            ("abstract", true, abstract_),
        ];
        for (section, wanted, texts) in sections {
            if !wanted || texts.is_null(row) {
                continue;
            }
            let text = texts.value(row);
            spans.clear();
            splitter.split(text, &mut spans);
            for span in char_spans(text, &spans) {
                out.pmid.append_value(pmid.value(row));
                out.version.append_value(version.value(row));
                out.sentence_index.append_value(sentence_index);
                out.section.append_value(section);
                out.start.append_value(to_i32(span.chars.0)?);
                out.end.append_value(to_i32(span.chars.1)?);
                out.text.append_value(&text[span.bytes.0..span.bytes.1]);
                out.source_file.append_value(source_file.value(row));
                out.article_index.append_value(article_index.value(row));
                sentence_index += 1;
            }
        }
    }
    out.finish()
}

/// The output columns being built.
struct SentenceColumns {
    pmid: Int64Builder,
    version: Int32Builder,
    sentence_index: Int32Builder,
    section: StringBuilder,
    start: Int32Builder,
    end: Int32Builder,
    text: StringBuilder,
    source_file: StringBuilder,
    article_index: Int64Builder,
}

impl SentenceColumns {
    fn with_capacity(rows: usize) -> Self {
        SentenceColumns {
            pmid: Int64Builder::with_capacity(rows),
            version: Int32Builder::with_capacity(rows),
            sentence_index: Int32Builder::with_capacity(rows),
            section: StringBuilder::with_capacity(rows, rows * 8),
            start: Int32Builder::with_capacity(rows),
            end: Int32Builder::with_capacity(rows),
            text: StringBuilder::with_capacity(rows, rows * 128),
            source_file: StringBuilder::with_capacity(rows, rows * 20),
            article_index: Int64Builder::with_capacity(rows),
        }
    }

    fn finish(mut self) -> Result<RecordBatch> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.pmid.finish()),
            Arc::new(self.version.finish()),
            Arc::new(self.sentence_index.finish()),
            Arc::new(self.section.finish()),
            Arc::new(self.start.finish()),
            Arc::new(self.end.finish()),
            Arc::new(self.text.finish()),
            Arc::new(self.source_file.finish()),
            Arc::new(self.article_index.finish()),
        ];
        Ok(RecordBatch::try_new(tables::sentences::schema(), columns)?)
    }
}

/// A span in bytes and in code points.
struct Span {
    bytes: (usize, usize),
    chars: (usize, usize),
}

/// Code-point offsets of increasing, non-overlapping byte spans of `text`, in one pass.
fn char_spans(text: &str, spans: &[(usize, usize)]) -> Vec<Span> {
    if text.is_ascii() {
        return spans
            .iter()
            .map(|&(s, e)| Span {
                bytes: (s, e),
                chars: (s, e),
            })
            .collect();
    }
    let mut result = Vec::with_capacity(spans.len());
    let mut chars = 0usize;
    let mut byte = 0usize;
    let mut advance = |to: usize| {
        chars += text[byte..to].chars().count();
        byte = to;
        chars
    };
    for &(s, e) in spans {
        let cs = advance(s);
        let ce = advance(e);
        result.push(Span {
            bytes: (s, e),
            chars: (cs, ce),
        });
    }
    result
}

/// An offset or count as the Int32 the tables use.
fn to_i32(n: usize) -> Result<i32> {
    i32::try_from(n).map_err(|_| {
        BaliError::Internal(format!("offset {n} does not fit the Int32 offset columns"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::articles_batch;
    use crate::testutil;

    #[test]
    fn splits_titles_and_abstracts_with_code_point_offsets() {
        let batch = articles_batch(&[
            (
                1,
                Some("Sjögren’s syndrome. A review"),
                Some("BACKGROUND: Dry eyes (≥ 3 mo). Next.\nSecond section"),
            ),
            (2, None, None),
            (3, Some("Only a title"), None),
        ]);
        let out = split_articles(&batch, &SentencesOptions::default().splitter(), true).unwrap();
        let texts = column::<StringArray>(&out, "text").unwrap();
        let got: Vec<&str> = texts.iter().map(|t| t.unwrap()).collect();
        assert_eq!(
            got,
            [
                "Sjögren’s syndrome.",
                "A review",
                "Dry eyes (≥ 3 mo).",
                "Next.",
                "Second section",
                "Only a title"
            ]
        );
        let start = column::<Int32Array>(&out, "start").unwrap();
        let end = column::<Int32Array>(&out, "end").unwrap();
        let index = column::<Int32Array>(&out, "sentence_index").unwrap();
        let section = column::<StringArray>(&out, "section").unwrap();
        assert_eq!(index.values().to_vec(), [0, 1, 2, 3, 4, 0]);
        assert_eq!((start.value(1), end.value(1)), (20, 28));
        assert_eq!((start.value(2), end.value(2)), (12, 30));
        assert_eq!(section.value(2), "abstract");
        check_round_trip(&batch, &out);
        let no_titles =
            split_articles(&batch, &SentencesOptions::default().splitter(), false).unwrap();
        assert_eq!(no_titles.num_rows(), 3);
    }

    /// Every sentence is `section_text[start:end]` in code points.
    fn check_round_trip(articles: &RecordBatch, sentences: &RecordBatch) {
        let pmids = column::<Int64Array>(articles, "pmid").unwrap();
        let titles = column::<StringArray>(articles, "title").unwrap();
        let abstracts = column::<StringArray>(articles, "abstract").unwrap();
        let row_of: std::collections::HashMap<i64, usize> = pmids
            .values()
            .iter()
            .enumerate()
            .map(|(i, p)| (*p, i))
            .collect();
        let s_pmid = column::<Int64Array>(sentences, "pmid").unwrap();
        let section = column::<StringArray>(sentences, "section").unwrap();
        let start = column::<Int32Array>(sentences, "start").unwrap();
        let end = column::<Int32Array>(sentences, "end").unwrap();
        let text = column::<StringArray>(sentences, "text").unwrap();
        for i in 0..sentences.num_rows() {
            let row = row_of[&s_pmid.value(i)];
            let source = if section.value(i) == "title" {
                titles.value(row)
            } else {
                abstracts.value(row)
            };
            let by_chars: String = source
                .chars()
                .skip(start.value(i) as usize)
                .take((end.value(i) - start.value(i)) as usize)
                .collect();
            assert_eq!(by_chars, text.value(i));
        }
    }

    #[test]
    fn real_abstracts_split_sensibly() {
        let Some(path) = testutil::shared("data/pubmed/pubmed20n0014.xml.gz") else {
            return;
        };
        let articles = testutil::pubmed_articles(&path);
        let batch = articles.slice(0, articles.num_rows().min(3000));
        let out = split_articles(&batch, &SentencesOptions::default().splitter(), true).unwrap();
        check_round_trip(&batch, &out);
        let texts = column::<StringArray>(&out, "text").unwrap();
        let section = column::<StringArray>(&out, "section").unwrap();
        let abstract_sentences: Vec<&str> = (0..out.num_rows())
            .filter(|&i| section.value(i) == "abstract")
            .map(|i| texts.value(i))
            .collect();
        let n_abstracts = {
            let text = column::<StringArray>(&batch, "abstract").unwrap();
            arrow::array::Array::len(text) - arrow::array::Array::null_count(text)
        };
        let per_abstract = abstract_sentences.len() as f64 / n_abstracts as f64;
        eprintln!(
            "{} abstracts -> {} sentences ({per_abstract:.1} each)",
            n_abstracts,
            abstract_sentences.len()
        );
        assert!(
            (4.0..12.0).contains(&per_abstract),
            "{per_abstract} sentences per abstract"
        );
        // No sentence ends right after a never-final abbreviation, and none starts with the
        // species part of a binomial name (a split after its initial).
        let bad_end = ["e.g.", "i.e.", "Fig.", " vs."];
        let bad_start = ["coli ", "aureus ", "cerevisiae ", "pneumoniae "];
        for s in &abstract_sentences {
            assert!(
                !bad_end.iter().any(|b| s.ends_with(b)),
                "split after an abbreviation: {s:?}"
            );
            assert!(
                !bad_start.iter().any(|b| s.starts_with(b)),
                "split inside a species name: {s:?}"
            );
        }
        let e_coli = abstract_sentences
            .iter()
            .filter(|s| s.contains("E. coli"))
            .count();
        assert!(e_coli > 5, "E. coli kept inside sentences: {e_coli}");
    }
}
