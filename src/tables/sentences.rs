//! `sentences`: titles and abstracts split into sentences.

use arrow::datatypes::{DataType, SchemaRef};

use super::{col, provenance, table};

/// What a `sentences` table holds.
pub const DESCRIPTION: &str =
    "Sentences of article titles and abstracts; offsets are Unicode code points (Python str indices) into the section text";

/// Schema of `sentences`.
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
            "0-based index of the sentence in the article (title first)",
        ),
        col("section", DataType::Utf8, false, "title or abstract"),
        col(
            "start",
            DataType::Int32,
            false,
            "Start offset (code points) of the sentence in the section text",
        ),
        col(
            "end",
            DataType::Int32,
            false,
            "End offset (exclusive, code points) in the section text",
        ),
        col(
            "text",
            DataType::Utf8,
            false,
            "The sentence: section_text[start:end]",
        ),
    ];
    fields.extend(provenance());
    table(DESCRIPTION, fields)
}
