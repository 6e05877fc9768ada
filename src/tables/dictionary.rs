//! `dictionary`: normalised surface forms mapped to concepts.

use arrow::datatypes::{DataType, SchemaRef};

use super::{col, table};

/// What a `dictionary` table holds.
pub const DESCRIPTION: &str = "Normalised surface forms mapped to concepts: one row per (form, cui) kept after the dictionary's filters";

/// Schema of `dictionary`.
pub fn schema() -> SchemaRef {
    table(
        DESCRIPTION,
        vec![
            col(
                "form",
                DataType::Utf8,
                false,
                "Normalised surface form the matcher searches for",
            ),
            col("cui", DataType::Utf8, false, "Concept the form names"),
            col(
                "name",
                DataType::Utf8,
                false,
                "One original concept name that normalised to this form",
            ),
            col(
                "case_sensitive",
                DataType::Boolean,
                false,
                "True for acronym-like forms that match only with the original casing",
            ),
            col(
                "n_cuis",
                DataType::Int32,
                false,
                "Number of concepts sharing this form (ambiguity)",
            ),
        ],
    )
}
