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
