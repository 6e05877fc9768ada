//! The `eval_linking` kind: zero-shot entity linking of held-out mentions with the base model
//! and with the aligned model, side by side ([`crate::train::eval`] has the protocol).
//!
//! The held-out split and the base model come from the training stage's `train.json`, so the
//! evaluation always measures mentions of articles that training never saw, against the model
//! training started from (for `init: random`, the same random weights, rebuilt from the seed).

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use candle_core::DType;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::engine::{BuildContext, InputDecl, OutputDecl, PartitionCtx, Stage, StageKind, Unit};
use crate::error::{BaliError, Result};
use crate::stages::current::CurrentArticles;
use crate::stages::samples::load_tokenizer;
use crate::stages::train::DeviceOption;
use crate::tables::{misc, TableType};
use crate::train::artifacts::{trained_dir, Init, TrainSummary, MODEL_DIR};
use crate::train::bert::{Bert, BertConfig};
use crate::train::eval::{
    accuracy, embed, held_out_mentions, tokenize, Accuracy, NameIndex, MAX_TOKENS,
};
use crate::train::model::LmStart;

/// Options of `eval_linking`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvalOptions {
    /// Names or mentions embedded per forward pass.
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// Evaluate at most this many held-out mentions (a seeded uniform sample when there are
    /// more).
    #[serde(default = "default_max_mentions")]
    pub max_mentions: usize,
    /// Languages (LAT) of the concept names in the index (BALI: English).
    #[serde(default = "default_languages")]
    pub languages: Vec<String>,
    /// `cpu` or `cuda`.
    #[serde(default = "default_device")]
    pub device: DeviceOption,
}

fn default_batch_size() -> usize {
    128
}
fn default_max_mentions() -> usize {
    10_000
}
fn default_languages() -> Vec<String> {
    vec!["ENG".to_string()]
}
fn default_device() -> DeviceOption {
    DeviceOption::Cpu
}

/// The `eval_linking` kind.
pub struct EvalLinking;

impl StageKind for EvalLinking {
    type Options = EvalOptions;
    const NAME: &'static str = "eval_linking";
    const SUMMARY: &'static str =
        "zero-shot entity linking (Acc@1, Acc@5) of held-out mentions: base vs aligned model";
    const FORMAT_VERSION: u32 = 2;
    const INPUTS: &'static [InputDecl] = &[
        InputDecl::whole("train", &[TableType::TrainMetrics]),
        InputDecl::whole("concepts", &[TableType::Concepts]),
        InputDecl::whole("mentions", &[TableType::Mentions]),
        InputDecl::whole("articles", &[TableType::Articles]).optional(),
    ];
    const OUTPUTS: &'static [OutputDecl] = &[OutputDecl {
        name: "linking_eval",
        table: TableType::LinkingEval,
    }];
    const EXAMPLE: &'static str = "batch_size: 128\nmax_mentions: 10000\nlanguages: [ENG]";

    fn build(options: EvalOptions, _: &BuildContext) -> Result<Box<dyn Stage>> {
        if options.batch_size == 0 || options.max_mentions == 0 {
            return Err(BaliError::Spec(
                "eval_linking options: batch_size and max_mentions must be positive".into(),
            ));
        }
        Ok(Box::new(EvalStage { options }))
    }
}

struct EvalStage {
    options: EvalOptions,
}

/// One row of the result.
struct Scored {
    model: &'static str,
    /// `None` when there was nothing to evaluate.
    accuracy: Option<Accuracy>,
}

impl Stage for EvalStage {
    fn run(&self, ctx: &mut PartitionCtx<'_>) -> Result<()> {
        let o = &self.options;
        let trained = trained_dir(&ctx.whole(0)?)?;
        let summary = TrainSummary::read(&trained)?;
        let base_dir = &summary.base_model.dir;
        let tokenizer = load_tokenizer(base_dir)?;
        let concepts = ctx.whole(1)?;
        let mentions = ctx.whole(2)?;
        let current = if ctx.has_input(3) {
            let articles = ctx.whole(3)?;
            let deletions = ctx.whole_sibling(3, "deletions")?;
            Some(CurrentArticles::build(&articles, deletions.as_ref())?)
        } else {
            None
        };
        let index = NameIndex::from_concepts(&concepts, &o.languages)?;
        let (held_out, stats) = held_out_mentions(
            &mentions,
            &index,
            &summary.holdout.split,
            current.as_ref(),
            o.max_mentions,
            ctx.seed(),
        )?;
        info!(
            names = index.names.len(),
            concepts = index.cuis.len(),
            ?stats,
            "linking evaluation"
        );
        let device = o.device.device()?;
        let base = match summary.base_model.init {
            Init::Pretrained => LmStart::Pretrained(base_dir.clone()),
            Init::Random => LmStart::Random {
                config: BertConfig::from_file(&base_dir.join("config.json"))?,
                seed: summary.base_model.seed,
            },
        };
        if held_out.is_empty() {
            // A small corpus (or a first update) may hold out no linked mention: say so and
            // record it, rather than failing the pipeline.
            warn!(
                ?stats,
                "nothing to evaluate: no held-out mention with a gold concept in the index"
            );
            ctx.progress()
                .set_message("no held-out mention to evaluate");
            let rows = ["base", "aligned"].map(|model| Scored {
                model,
                accuracy: None,
            });
            return emit_rows(ctx, &rows, 0, &index);
        }
        let name_texts: Vec<&str> = index.names.iter().map(String::as_str).collect();
        let mention_texts: Vec<&str> = held_out.iter().map(|m| m.surface.as_str()).collect();
        ctx.progress().start(4, Unit::Steps);
        let pad = tokenizer.special().pad;
        // Both models share the tokenizer (the aligned one is exported from the base), so the
        // texts are tokenised once, with the base model's length limit.
        type Ids = Vec<Vec<u32>>;
        let mut tokenized: Option<(Ids, Ids)> = None;
        let mut rows = Vec::new();
        for (label, start) in [
            ("base", base),
            ("aligned", LmStart::Pretrained(trained.join(MODEL_DIR))),
        ] {
            let bert: Bert = start.build(&candle_nn::VarMap::new(), DType::F32, &device)?;
            let d = bert.config().hidden_size;
            let (name_ids, mention_ids) = match &tokenized {
                Some(ids) => ids,
                None => {
                    let max = MAX_TOKENS.min(bert.config().max_position_embeddings);
                    tokenized.insert((
                        tokenize(&tokenizer, &name_texts, max)?,
                        tokenize(&tokenizer, &mention_texts, max)?,
                    ))
                }
            };
            ctx.progress()
                .set_message(format!("{label}: embedding {} names", name_texts.len()));
            let names = embed(&bert, name_ids, pad, o.batch_size, &device)?;
            ctx.progress().inc(1);
            ctx.check_cancelled()?;
            let queries = embed(&bert, mention_ids, pad, o.batch_size, &device)?;
            let acc = accuracy(&index, &held_out, &names, &queries, d)?;
            ctx.progress().inc(1);
            ctx.check_cancelled()?;
            rows.push(Scored {
                model: label,
                accuracy: Some(acc),
            });
        }
        let table = rows
            .iter()
            .filter_map(|r| {
                r.accuracy
                    .map(|a| format!("{:<8} Acc@1 {:.4}  Acc@5 {:.4}", r.model, a.at_1, a.at_5))
            })
            .collect::<Vec<_>>();
        info!(
            "zero-shot linking, {} held-out mentions, {} concepts ({} names):\n{}",
            held_out.len(),
            index.cuis.len(),
            index.names.len(),
            table.join("\n")
        );
        ctx.progress().set_message(table.join(" | "));
        emit_rows(ctx, &rows, held_out.len(), &index)
    }
}

/// Writes one `linking_eval` row per model.
fn emit_rows(
    ctx: &mut PartitionCtx<'_>,
    rows: &[Scored],
    mentions: usize,
    index: &NameIndex,
) -> Result<()> {
    let n = rows.len();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.model))),
        Arc::new(Int64Array::from(vec![mentions as i64; n])),
        Arc::new(Int64Array::from(vec![index.cuis.len() as i64; n])),
        Arc::new(Int64Array::from(vec![index.names.len() as i64; n])),
        Arc::new(Float64Array::from_iter(
            rows.iter().map(|r| r.accuracy.map(|a| a.at_1)),
        )),
        Arc::new(Float64Array::from_iter(
            rows.iter().map(|r| r.accuracy.map(|a| a.at_5)),
        )),
    ];
    ctx.emit(
        0,
        RecordBatch::try_new(misc::linking_eval_schema(), columns)?,
    )
}
