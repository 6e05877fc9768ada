//! `mentions`: concept mentions found in sentences.

use arrow::datatypes::{DataType, SchemaRef};

use super::{col, provenance, table};

/// What a `mentions` table holds.
pub const DESCRIPTION: &str =
    "Concept mentions: one row per (mention, candidate concept); offsets are code points";

/// Schema of `mentions`.
pub fn schema() -> SchemaRef {
    let mut fields = vec![
        col(
            "pmid",
            DataType::Int64,
            false,
            "PubMed identifier of the article",
        ),
        col(
            "version",
            DataType::Int32,
            false,
            "PMID version of the article record",
        ),
        col(
            "sentence_index",
            DataType::Int32,
            false,
            "Sentence the mention lies in",
        ),
        col("section", DataType::Utf8, false, "title or abstract"),
        col(
            "mention_index",
            DataType::Int32,
            false,
            "0-based index of the mention in its sentence (shared by its candidate rows)",
        ),
        col(
            "start",
            DataType::Int32,
            false,
            "Start offset (code points) in the sentence text",
        ),
        col(
            "end",
            DataType::Int32,
            false,
            "End offset (exclusive) in the sentence text; sentence[start:end] == surface",
        ),
        col(
            "doc_start",
            DataType::Int32,
            false,
            "Start offset (code points) in the section text (title or abstract)",
        ),
        col(
            "doc_end",
            DataType::Int32,
            false,
            "End offset (exclusive) in the section text",
        ),
        col(
            "surface",
            DataType::Utf8,
            false,
            "The mention text as it appears",
        ),
        col("cui", DataType::Utf8, false, "Candidate concept"),
        col(
            "candidates",
            DataType::Int32,
            false,
            "Number of candidate concepts of this mention",
        ),
        col(
            "matched",
            DataType::Utf8,
            true,
            "Dictionary form that matched (null for imported annotations)",
        ),
        col(
            "origin",
            DataType::Utf8,
            false,
            "dictionary, or the annotation format the mention was imported from (pubtator)",
        ),
    ];
    fields.extend(provenance());
    table(DESCRIPTION, fields)
}

/// The columns of a `sentences` batch that every `mentions` row copies from its sentence.
pub struct SentenceColumns<'a> {
    pmid: &'a arrow::array::Int64Array,
    version: &'a arrow::array::Int32Array,
    sentence_index: &'a arrow::array::Int32Array,
    section: &'a arrow::array::StringArray,
    source_file: &'a arrow::array::StringArray,
    article_index: &'a arrow::array::Int64Array,
}

impl<'a> SentenceColumns<'a> {
    /// The columns of `sentences` (a `sentences` batch).
    pub fn of(sentences: &'a arrow::array::RecordBatch) -> crate::Result<Self> {
        use super::columns::column;
        Ok(SentenceColumns {
            pmid: column(sentences, "pmid")?,
            version: column(sentences, "version")?,
            sentence_index: column(sentences, "sentence_index")?,
            section: column(sentences, "section")?,
            source_file: column(sentences, "source_file")?,
            article_index: column(sentences, "article_index")?,
        })
    }
}

/// A mention's own fields, for one candidate concept (one `mentions` row).
#[derive(Debug, Clone, Copy)]
pub struct MentionRow<'a> {
    /// Position of the mention among its sentence's mentions.
    pub mention_index: i32,
    /// Start and end in the sentence (code points).
    pub span: (i32, i32),
    /// Start and end in the section text (code points).
    pub doc_span: (i32, i32),
    /// The mention's text.
    pub surface: &'a str,
    /// The candidate concept.
    pub cui: &'a str,
    /// How many candidate concepts the mention has.
    pub candidates: i32,
    /// The dictionary form that matched (none for imported annotations).
    pub matched: Option<&'a str>,
    /// Where the mention came from (`dictionary`, `pubtator`).
    pub origin: &'a str,
}

/// Builds `mentions` batches row by row: the one row builder of the table, used by every kind
/// that writes mentions (`link`, `pubtator`).
pub struct MentionsBuilder {
    pmid: arrow::array::Int64Builder,
    version: arrow::array::Int32Builder,
    sentence_index: arrow::array::Int32Builder,
    section: arrow::array::StringBuilder,
    mention_index: arrow::array::Int32Builder,
    start: arrow::array::Int32Builder,
    end: arrow::array::Int32Builder,
    doc_start: arrow::array::Int32Builder,
    doc_end: arrow::array::Int32Builder,
    surface: arrow::array::StringBuilder,
    cui: arrow::array::StringBuilder,
    candidates: arrow::array::Int32Builder,
    matched: arrow::array::StringBuilder,
    origin: arrow::array::StringBuilder,
    source_file: arrow::array::StringBuilder,
    article_index: arrow::array::Int64Builder,
}

impl MentionsBuilder {
    /// A builder with room for `rows` rows.
    pub fn with_capacity(rows: usize) -> Self {
        use arrow::array::{Int32Builder, Int64Builder, StringBuilder};
        let strings = |bytes_per_row| StringBuilder::with_capacity(rows, rows * bytes_per_row);
        MentionsBuilder {
            pmid: Int64Builder::with_capacity(rows),
            version: Int32Builder::with_capacity(rows),
            sentence_index: Int32Builder::with_capacity(rows),
            section: strings(8),
            mention_index: Int32Builder::with_capacity(rows),
            start: Int32Builder::with_capacity(rows),
            end: Int32Builder::with_capacity(rows),
            doc_start: Int32Builder::with_capacity(rows),
            doc_end: Int32Builder::with_capacity(rows),
            surface: strings(16),
            cui: strings(10),
            candidates: Int32Builder::with_capacity(rows),
            matched: strings(16),
            origin: strings(10),
            source_file: strings(20),
            article_index: Int64Builder::with_capacity(rows),
        }
    }

    /// Adds mention `m` of sentence `row` of `sentences`.
    pub fn push(&mut self, sentences: &SentenceColumns<'_>, row: usize, m: &MentionRow<'_>) {
        self.pmid.append_value(sentences.pmid.value(row));
        self.version.append_value(sentences.version.value(row));
        self.sentence_index
            .append_value(sentences.sentence_index.value(row));
        self.section.append_value(sentences.section.value(row));
        self.mention_index.append_value(m.mention_index);
        self.start.append_value(m.span.0);
        self.end.append_value(m.span.1);
        self.doc_start.append_value(m.doc_span.0);
        self.doc_end.append_value(m.doc_span.1);
        self.surface.append_value(m.surface);
        self.cui.append_value(m.cui);
        self.candidates.append_value(m.candidates);
        self.matched.append_option(m.matched);
        self.origin.append_value(m.origin);
        self.source_file
            .append_value(sentences.source_file.value(row));
        self.article_index
            .append_value(sentences.article_index.value(row));
    }

    /// The batch of every row pushed.
    pub fn finish(mut self) -> crate::Result<arrow::array::RecordBatch> {
        use arrow::array::{ArrayRef, RecordBatch};
        use std::sync::Arc;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.pmid.finish()),
            Arc::new(self.version.finish()),
            Arc::new(self.sentence_index.finish()),
            Arc::new(self.section.finish()),
            Arc::new(self.mention_index.finish()),
            Arc::new(self.start.finish()),
            Arc::new(self.end.finish()),
            Arc::new(self.doc_start.finish()),
            Arc::new(self.doc_end.finish()),
            Arc::new(self.surface.finish()),
            Arc::new(self.cui.finish()),
            Arc::new(self.candidates.finish()),
            Arc::new(self.matched.finish()),
            Arc::new(self.origin.finish()),
            Arc::new(self.source_file.finish()),
            Arc::new(self.article_index.finish()),
        ];
        Ok(RecordBatch::try_new(schema(), columns)?)
    }
}
