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
            "REL of the edge: the relationship of the neighbour to the target (MRREL orientation, cui1 = target); the first in (REL, RELA) order when several relate the pair",
        ),
        col("rela", DataType::Utf8, true, "RELA of that edge"),
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
            col("names", list_of(item(DataType::Utf8)), false, "Names of the target in the stage's languages (English by default), sorted"),
            col("degree", DataType::Int32, false, "Number of distinct one-hop neighbours in the graph, before the name requirement and the cap"),
            col(
                "neighbors",
                list_of(col("item", neighbour, false, "One neighbour")),
                false,
                "Stored neighbourhood: distinct neighbours with a name, at most max_stored_neighbors (a seeded uniform subset beyond that), ordered by (hops, concept id)",
            ),
            col(
                "sampled",
                list_of(item(DataType::Int32)),
                false,
                "Indices into neighbors of the seeded first draw (up to max_neighbors, uniform without replacement, ascending); the trainer draws afresh at every step s: stages::subgraphs::sample_neighbors(seed, s, cui, len(neighbors), max_neighbors)",
            ),
        ],
    )
}
