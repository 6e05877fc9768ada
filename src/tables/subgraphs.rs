//! `subgraphs`: one-hop knowledge-graph neighbourhoods of mentioned concepts.

use arrow::datatypes::{DataType, SchemaRef};

use super::{col, item, list_of, struct_of, table};

/// What a `subgraphs` table holds.
pub const DESCRIPTION: &str = "Local subgraphs: one row per mentioned concept with its neighbours, relation types and names, and the epoch-0 neighbour sample";

/// Schema of `subgraphs`.
pub fn schema() -> SchemaRef {
    let neighbour = struct_of(vec![
        col("cui", DataType::Utf8, false, "Neighbouring concept"),
        col(
            "rel",
            DataType::Utf8,
            false,
            "REL of the edge (neighbour to target)",
        ),
        col("rela", DataType::Utf8, true, "RELA of the edge"),
        col(
            "hops",
            DataType::Int32,
            false,
            "Distance from the target (1 unless the hops option is larger)",
        ),
    ]);
    table(
        DESCRIPTION,
        vec![
            col("cui", DataType::Utf8, false, "Target concept"),
            col("names", list_of(item(DataType::Utf8)), false, "English names of the target"),
            col("degree", DataType::Int32, false, "Number of distinct neighbours in the graph"),
            col(
                "neighbors",
                list_of(col("item", neighbour, false, "One neighbour")),
                false,
                "Neighbourhood (all distinct neighbours up to the stage's cap), ordered by concept id",
            ),
            col(
                "sampled",
                list_of(item(DataType::Int32)),
                false,
                "Indices into neighbors of the seeded epoch-0 sample (up to max_neighbors, uniform without replacement)",
            ),
        ],
    )
}
