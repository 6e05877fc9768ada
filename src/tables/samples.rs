//! `samples` and `names`: tokenised training inputs.

use arrow::datatypes::{DataType, SchemaRef};

use super::{col, item, list_of, provenance, struct_of, table};

/// What a `samples` table holds.
pub const DESCRIPTION: &str =
    "Training samples: one tokenised sentence with at least one linked concept, and the token span of every mention";
/// What a `names` table holds.
pub const NAMES_DESCRIPTION: &str = "Concept names tokenised as [CLS] name [SEP]";

/// Schema of `samples`.
pub fn schema() -> SchemaRef {
    let mention = struct_of(vec![
        col(
            "token_start",
            DataType::Int32,
            false,
            "First sub-token of the mention",
        ),
        col(
            "token_end",
            DataType::Int32,
            false,
            "One past the last sub-token",
        ),
        col(
            "start",
            DataType::Int32,
            false,
            "Start offset (code points) in the sentence",
        ),
        col(
            "end",
            DataType::Int32,
            false,
            "End offset (exclusive) in the sentence",
        ),
        col(
            "cuis",
            list_of(item(DataType::Utf8)),
            false,
            "Concepts the mention is linked to",
        ),
    ]);
    let mut fields = vec![
        col("pmid", DataType::Int64, false, "PubMed identifier"),
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
            "Sentence index in the article",
        ),
        col(
            "input_ids",
            list_of(item(DataType::Int32)),
            false,
            "WordPiece ids including [CLS] and [SEP]",
        ),
        col(
            "offsets",
            list_of(item(DataType::Int32)),
            false,
            "Start offset (code points) of each token in the sentence; -1 for special tokens",
        ),
        col(
            "mentions",
            list_of(col("item", mention, false, "One mention")),
            false,
            "Mentions kept after truncation (never cut in half)",
        ),
    ];
    fields.extend(provenance());
    table(DESCRIPTION, fields)
}

/// Schema of `names`.
pub fn names_schema() -> SchemaRef {
    table(
        NAMES_DESCRIPTION,
        vec![
            col("cui", DataType::Utf8, false, "Concept"),
            col("name", DataType::Utf8, false, "The name"),
            col(
                "input_ids",
                list_of(item(DataType::Int32)),
                false,
                "WordPiece ids: [CLS] name [SEP], at most 32",
            ),
        ],
    )
}
