//! The tables that flow between stages: one module per table type, each holding the Arrow
//! schema with a description of every column.
//!
//! A table type names what a stage output *is* (articles, concepts, mentions, ...), independent
//! of the user's stage names. The spec checks that every input of a stage is produced by an
//! output of an accepted type, and `schemas/` holds one file per table type, generated from these
//! definitions and checked by `tests/schemas.rs` (run with `BALI_BLESS=1` to rewrite them).
//!
//! Descriptions travel inside the schema as field metadata (`description`), so they also reach
//! every Parquet file and any tool that reads it (pyarrow shows them as field metadata).

pub mod articles;
pub mod columns;
pub mod concepts;
pub mod dictionary;
pub mod mentions;
pub mod misc;
pub mod relations;
pub mod samples;
pub mod sentences;
pub mod subgraphs;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef};
use serde::Serialize;

/// What a stage output holds. Inputs are type-checked against these during validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TableType {
    /// PubMed citations, one row per article record (see [`articles`]).
    Articles,
    /// PMIDs removed by `DeleteCitation` elements.
    Deletions,
    /// Records a source could not read, kept with file, position and reason (quarantine policy).
    Rejects,
    /// Concept names (UMLS atoms or ontology terms and synonyms).
    Concepts,
    /// Concept-to-concept relations (MRREL layout).
    Relations,
    /// Semantic types per concept (MRSTY layout).
    SemanticTypes,
    /// Sentences of titles and abstracts with character offsets.
    Sentences,
    /// Normalised surface forms mapped to concepts.
    Dictionary,
    /// Concept mentions in sentences.
    Mentions,
    /// Local knowledge-graph neighbourhoods of mentioned concepts.
    Subgraphs,
    /// Tokenised training samples (one sentence each) with mention token spans.
    Samples,
    /// Tokenised concept names.
    Names,
    /// Training metrics, one row per logged step.
    TrainMetrics,
    /// Entity-linking evaluation results.
    LinkingEval,
}

impl TableType {
    /// Every table type, in a stable order.
    pub const ALL: &'static [TableType] = &[
        TableType::Articles,
        TableType::Deletions,
        TableType::Rejects,
        TableType::Concepts,
        TableType::Relations,
        TableType::SemanticTypes,
        TableType::Sentences,
        TableType::Dictionary,
        TableType::Mentions,
        TableType::Subgraphs,
        TableType::Samples,
        TableType::Names,
        TableType::TrainMetrics,
        TableType::LinkingEval,
    ];

    /// The snake_case name used in YAML, messages and `schemas/<name>.json`.
    pub fn name(self) -> &'static str {
        match self {
            TableType::Articles => "articles",
            TableType::Deletions => "deletions",
            TableType::Rejects => "rejects",
            TableType::Concepts => "concepts",
            TableType::Relations => "relations",
            TableType::SemanticTypes => "semantic_types",
            TableType::Sentences => "sentences",
            TableType::Dictionary => "dictionary",
            TableType::Mentions => "mentions",
            TableType::Subgraphs => "subgraphs",
            TableType::Samples => "samples",
            TableType::Names => "names",
            TableType::TrainMetrics => "train_metrics",
            TableType::LinkingEval => "linking_eval",
        }
    }

    /// One sentence on what the table holds.
    pub fn description(self) -> &'static str {
        match self {
            TableType::Articles => articles::DESCRIPTION,
            TableType::Deletions => articles::DELETIONS_DESCRIPTION,
            TableType::Rejects => misc::REJECTS_DESCRIPTION,
            TableType::Concepts => concepts::DESCRIPTION,
            TableType::Relations => relations::DESCRIPTION,
            TableType::SemanticTypes => concepts::SEMANTIC_TYPES_DESCRIPTION,
            TableType::Sentences => sentences::DESCRIPTION,
            TableType::Dictionary => dictionary::DESCRIPTION,
            TableType::Mentions => mentions::DESCRIPTION,
            TableType::Subgraphs => subgraphs::DESCRIPTION,
            TableType::Samples => samples::DESCRIPTION,
            TableType::Names => samples::NAMES_DESCRIPTION,
            TableType::TrainMetrics => misc::TRAIN_METRICS_DESCRIPTION,
            TableType::LinkingEval => misc::LINKING_EVAL_DESCRIPTION,
        }
    }

    /// The Arrow schema every output of this type has.
    pub fn schema(self) -> SchemaRef {
        match self {
            TableType::Articles => articles::schema(),
            TableType::Deletions => articles::deletions_schema(),
            TableType::Rejects => misc::rejects_schema(),
            TableType::Concepts => concepts::schema(),
            TableType::Relations => relations::schema(),
            TableType::SemanticTypes => concepts::semantic_types_schema(),
            TableType::Sentences => sentences::schema(),
            TableType::Dictionary => dictionary::schema(),
            TableType::Mentions => mentions::schema(),
            TableType::Subgraphs => subgraphs::schema(),
            TableType::Samples => samples::schema(),
            TableType::Names => samples::names_schema(),
            TableType::TrainMetrics => misc::train_metrics_schema(),
            TableType::LinkingEval => misc::linking_eval_schema(),
        }
    }

    /// Looks a type up by its [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<TableType> {
        Self::ALL.iter().copied().find(|t| t.name() == name)
    }
}

impl fmt::Display for TableType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Metadata key under which a column's description is stored.
pub const DESCRIPTION_KEY: &str = "description";

/// A column: name, type, nullability and what it means.
pub fn col(name: &str, data_type: DataType, nullable: bool, description: &str) -> Field {
    Field::new(name, data_type, nullable).with_metadata(HashMap::from([(
        DESCRIPTION_KEY.to_string(),
        description.to_string(),
    )]))
}

/// A list of `item` values (the list itself may be empty but not null unless `nullable`).
pub fn list_of(item: Field) -> DataType {
    DataType::List(Arc::new(item))
}

/// A struct of the given fields.
pub fn struct_of(fields: Vec<Field>) -> DataType {
    DataType::Struct(Fields::from(fields))
}

/// A list item field of a primitive type (non-null items).
pub fn item(data_type: DataType) -> Field {
    Field::new("item", data_type, false)
}

/// Builds a schema with the table's description in its metadata.
pub fn table(description: &str, fields: Vec<Field>) -> SchemaRef {
    Arc::new(Schema::new(fields).with_metadata(HashMap::from([(
        DESCRIPTION_KEY.to_string(),
        description.to_string(),
    )])))
}

/// The provenance columns every row-level table carries, so that any row can be traced to the
/// source file and record it came from.
pub fn provenance() -> Vec<Field> {
    vec![
        col(
            "source_file",
            DataType::Utf8,
            false,
            "File name (without directory) of the source the row derives from, e.g. pubmed25n0001.xml.gz",
        ),
        col(
            "article_index",
            DataType::Int64,
            false,
            "0-based index of the source record within its file",
        ),
    ]
}
