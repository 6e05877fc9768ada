//! `rejects`, `train_metrics` and `linking_eval`.

use arrow::datatypes::{DataType, SchemaRef};

use super::{col, table};

/// What a `rejects` table holds.
pub const REJECTS_DESCRIPTION: &str =
    "Records a source could not read, quarantined with file, position and reason (on_error: quarantine)";
/// What a `train_metrics` table holds.
pub const TRAIN_METRICS_DESCRIPTION: &str = "Training metrics, one row per logged optimiser step";
/// What a `linking_eval` table holds.
pub const LINKING_EVAL_DESCRIPTION: &str =
    "Zero-shot entity linking of held-out items (dev and test, all and unseen): base vs aligned, with the paired difference, its interval and p";

/// Schema of `rejects`.
pub fn rejects_schema() -> SchemaRef {
    table(
        REJECTS_DESCRIPTION,
        vec![
            col(
                "source_file",
                DataType::Utf8,
                false,
                "File the record came from",
            ),
            col(
                "line",
                DataType::Int64,
                true,
                "1-based line of the record start, when known",
            ),
            col(
                "byte_offset",
                DataType::Int64,
                true,
                "Byte offset of the record start in the decompressed stream, when known",
            ),
            col(
                "reason",
                DataType::Utf8,
                false,
                "Why the record was rejected",
            ),
            col(
                "raw",
                DataType::Binary,
                false,
                "The raw bytes of the record (or of its readable prefix)",
            ),
        ],
    )
}

/// Schema of `train_metrics`.
pub fn train_metrics_schema() -> SchemaRef {
    table(
        TRAIN_METRICS_DESCRIPTION,
        vec![
            col("step", DataType::Int64, false, "Optimiser step (1-based)"),
            col("epoch", DataType::Int32, false, "Epoch (0-based)"),
            col("loss", DataType::Float64, false, "Total loss"),
            col(
                "mlm_loss",
                DataType::Float64,
                false,
                "Masked-language-model loss",
            ),
            col(
                "align_loss",
                DataType::Float64,
                false,
                "Alignment (NT-Xent) loss",
            ),
            col(
                "textual_loss",
                DataType::Float64,
                false,
                "Textual contrastive loss: mentions against the LM's embedding of their concept's name (0 when off)",
            ),
            col(
                "anchor_loss",
                DataType::Float64,
                false,
                "Anchor term: mean cosine distance of mentions and names to the starting model's embeddings (0 when off)",
            ),
            col(
                "heldout_align_loss",
                DataType::Float64,
                true,
                "Alignment loss on fixed batches of held-out sentences, without dropout (null when heldout_batches is 0)",
            ),
            col(
                "lr_lm",
                DataType::Float64,
                false,
                "Learning rate of the language-model group",
            ),
            col(
                "lr_graph",
                DataType::Float64,
                false,
                "Learning rate of the graph encoder and heads",
            ),
            col(
                "tokens_per_second",
                DataType::Float64,
                false,
                "Text and name tokens processed per second in this step",
            ),
            col(
                "sentences_per_second",
                DataType::Float64,
                false,
                "Training sentences processed per second in this step",
            ),
            col(
                "seconds",
                DataType::Float64,
                false,
                "Wall-clock seconds of the step",
            ),
        ],
    )
}

/// Schema of `linking_eval`.
pub fn linking_eval_schema() -> SchemaRef {
    table(
        LINKING_EVAL_DESCRIPTION,
        vec![
            col(
                "model",
                DataType::Utf8,
                false,
                "base, aligned, or mixA (base and aligned weights interpolated with share A of the aligned)",
            ),
            col(
                "protocol",
                DataType::Utf8,
                false,
                "string (the item's surface embedded alone) or sentence (its first mention embedded in its sentence)",
            ),
            col(
                "split",
                DataType::Utf8,
                false,
                "dev (for choosing settings) or test (reported): halves of the held-out articles",
            ),
            col(
                "items",
                DataType::Utf8,
                false,
                "all, or unseen (surfaces that never occur as a mention in a training sentence)",
            ),
            col(
                "mentions",
                DataType::Int64,
                false,
                "Items evaluated: distinct (normalised surface, gold concept) pairs",
            ),
            col(
                "concepts",
                DataType::Int64,
                false,
                "Concepts in the index (those with a name in the evaluated languages)",
            ),
            col(
                "names",
                DataType::Int64,
                false,
                "Concept names in the index",
            ),
            col(
                "acc_at_1",
                DataType::Float64,
                true,
                "Share of items whose top-ranked concept is gold (null when there is no item)",
            ),
            col(
                "acc_at_5",
                DataType::Float64,
                true,
                "Share of items with the gold concept in the top 5 (null when there is no item)",
            ),
            col(
                "delta_at_1",
                DataType::Float64,
                true,
                "Acc@1 of this model minus the base's on the same items (null on the base row)",
            ),
            col(
                "delta_low",
                DataType::Float64,
                true,
                "Lower end of the 95% paired-bootstrap interval of delta_at_1 (10,000 resamples)",
            ),
            col(
                "delta_high",
                DataType::Float64,
                true,
                "Upper end of the 95% paired-bootstrap interval of delta_at_1",
            ),
            col(
                "p_value",
                DataType::Float64,
                true,
                "McNemar's exact two-sided p-value of this model against the base at Acc@1",
            ),
            col(
                "name_cosine",
                DataType::Float64,
                true,
                "Mean cosine between this model's and the base's embedding of each concept name (1 for the base; how far training moved the name space)",
            ),
            col(
                "dropped_ambiguous",
                DataType::Int64,
                false,
                "Held-out surfaces left out because their mentions carry more than one concept (whole evaluation)",
            ),
            col(
                "dropped_unfindable",
                DataType::Int64,
                false,
                "Held-out surfaces left out because the gold concept has no name besides the matched synonym (whole evaluation)",
            ),
        ],
    )
}
