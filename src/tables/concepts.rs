//! `concepts` and `semantic_types`: what `umls_concepts` reads from MRCONSO/MRSTY and `obo`
//! reads from an OBO ontology.

use arrow::datatypes::{DataType, SchemaRef};

use super::{col, table};

/// What a `concepts` table holds.
pub const DESCRIPTION: &str =
    "Concept names: one row per kept MRCONSO atom (or OBO term name and synonym), duplicates of (cui, name) removed";
/// What a `semantic_types` table holds.
pub const SEMANTIC_TYPES_DESCRIPTION: &str =
    "Semantic types of concepts (MRSTY layout); OBO terms get their ontology's namespace";

/// Schema of `concepts`.
pub fn schema() -> SchemaRef {
    table(
        DESCRIPTION,
        vec![
            col("cui", DataType::Utf8, false, "Concept identifier: UMLS CUI (C0011849) or OBO term id (HP:0001250)"),
            col("name", DataType::Utf8, false, "The name string (MRCONSO STR, OBO name or synonym text)"),
            col("language", DataType::Utf8, false, "Language of the name (MRCONSO LAT, e.g. ENG)"),
            col("sab", DataType::Utf8, false, "Source vocabulary (MRCONSO SAB, or the obo stage's sab option)"),
            col("tty", DataType::Utf8, false, "Term type (MRCONSO TTY; OBO: PT for the name, SY for synonyms)"),
            col("code", DataType::Utf8, true, "Identifier in the source vocabulary (MRCONSO CODE; OBO: the term id)"),
            col("aui", DataType::Utf8, true, "Atom identifier (MRCONSO AUI); null for OBO"),
            col(
                "is_preferred",
                DataType::Boolean,
                false,
                "MRCONSO TS=P, STT=PF and ISPREF=Y (the concept's preferred name); OBO: the term's name",
            ),
            col("suppress", DataType::Utf8, true, "MRCONSO SUPPRESS flag (N, O, E, Y)"),
            col("scope", DataType::Utf8, true, "OBO synonym scope (EXACT, BROAD, NARROW, RELATED); null for UMLS and names"),
            col("source_file", DataType::Utf8, false, "File the row was read from"),
            col("line", DataType::Int64, false, "1-based line number in that file"),
        ],
    )
}

/// Schema of `semantic_types`.
pub fn semantic_types_schema() -> SchemaRef {
    table(
        SEMANTIC_TYPES_DESCRIPTION,
        vec![
            col("cui", DataType::Utf8, false, "Concept identifier"),
            col(
                "tui",
                DataType::Utf8,
                false,
                "Semantic type identifier (MRSTY TUI, e.g. T047)",
            ),
            col(
                "stn",
                DataType::Utf8,
                true,
                "Semantic type tree number (MRSTY STN)",
            ),
            col(
                "sty",
                DataType::Utf8,
                false,
                "Semantic type name (MRSTY STY, e.g. Disease or Syndrome)",
            ),
            col(
                "source_file",
                DataType::Utf8,
                false,
                "File the row was read from",
            ),
            col(
                "line",
                DataType::Int64,
                false,
                "1-based line number in that file",
            ),
        ],
    )
}
