//! `relations`: what `umls_relations` reads from MRREL and `obo` derives from is_a and
//! relationship lines.

use arrow::datatypes::{DataType, SchemaRef};

use super::{col, table};

/// What a `relations` table holds.
pub const DESCRIPTION: &str = "Concept relations in MRREL orientation: REL is the relationship of cui2 to cui1; both directions are listed";

/// Schema of `relations`.
pub fn schema() -> SchemaRef {
    table(
        DESCRIPTION,
        vec![
            col("cui1", DataType::Utf8, false, "First concept (MRREL CUI1)"),
            col(
                "rel",
                DataType::Utf8,
                false,
                "Relationship of cui2 to cui1 (MRREL REL: PAR, CHD, RB, RN, RO, SY, ...)",
            ),
            col("cui2", DataType::Utf8, false, "Second concept (MRREL CUI2)"),
            col(
                "rela",
                DataType::Utf8,
                true,
                "Relationship attribute (MRREL RELA, e.g. isa, may_treat; OBO relationship type)",
            ),
            col(
                "sab",
                DataType::Utf8,
                false,
                "Source vocabulary asserting the relation",
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
