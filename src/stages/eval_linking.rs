//! The `eval_linking` kind: zero-shot entity linking of held-out items with the base model and
//! with the aligned model, compared on the same items ([`crate::train::eval`] has the
//! protocol).
//!
//! The held-out split and the base model come from the training stage's `train.json`, so the
//! evaluation always measures items of articles that training never saw, against the model
//! training started from (for `init: random`, the same random weights, rebuilt from the seed).
//! Rows: one per (model, split, item set). The aligned rows (and each interpolation of base
//! and aligned weights asked for with `mixes`) carry the paired difference to the base.
//!
//! Embeddings are cached in the store's cache folder by the model's content and the texts'
//! tokens, so re-evaluating a new aligned model embeds only that model.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use candle_core::{DType, Device};
use candle_nn::VarMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::engine::{BuildContext, InputDecl, OutputDecl, PartitionCtx, Stage, StageKind, Unit};
use crate::error::{BaliError, IoResultExt, Result};
use crate::stages::bali_train::DeviceOption;
use crate::stages::dictionary::cache::{CacheReader, CacheWriter};
use crate::stages::samples::load_tokenizer;
use crate::store::remote::{self, ObjectUrl};
use crate::tables::{misc, TableType};
use crate::train::artifacts::{trained_dir, Init, TrainSummary, MODEL_DIR};
use crate::train::bert::{Bert, BertConfig};
use crate::train::eval::items::{held_out_items, in_sentences, EvalItem, ItemStats, Split};
use crate::train::eval::paired::{compare, Paired, RESAMPLES};
use crate::train::eval::{
    embed, embed_in_sentence, gold_ranks, tokenize, Accuracy, EvalMention, InSentence, NameIndex,
    MAX_TOKENS,
};
use crate::train::model::{model_files, LmStart};
use crate::views::current::CurrentArticles;

/// Options of `eval_linking`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvalOptions {
    /// Names or items embedded per forward pass.
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// Evaluate at most this many items (a seeded uniform sample when there are more).
    #[serde(default = "default_max_items", alias = "max_mentions")]
    pub max_items: usize,
    /// Languages (LAT) of the concept names in the index (BALI: English).
    #[serde(default = "default_languages")]
    pub languages: Vec<String>,
    /// Also evaluate interpolations of base and aligned weights, `(1 - a) * base + a *
    /// aligned`, for each `a` here (each in (0, 1)); choose one on `dev`, report it on `test`.
    #[serde(default)]
    pub mixes: Vec<f64>,
    /// `cpu` or `cuda`.
    #[serde(default = "default_device")]
    pub device: DeviceOption,
}

fn default_batch_size() -> usize {
    128
}
fn default_max_items() -> usize {
    20_000
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
        "zero-shot entity linking (Acc@1, Acc@5) of held-out items: base vs aligned, paired difference with interval and p";
    const FORMAT_VERSION: u32 = 3;
    const INPUTS: &'static [InputDecl] = &[
        InputDecl::whole("train", &[TableType::TrainMetrics]),
        InputDecl::whole("concepts", &[TableType::Concepts]),
        InputDecl::whole("mentions", &[TableType::Mentions]),
        InputDecl::whole("articles", &[TableType::Articles]).optional(),
        InputDecl::whole("samples", &[TableType::Samples]).optional(),
    ];
    const OUTPUTS: &'static [OutputDecl] = &[OutputDecl {
        name: "linking_eval",
        table: TableType::LinkingEval,
    }];
    const EXAMPLE: &'static str =
        "batch_size: 128\nmax_items: 20000\nlanguages: [ENG]\nmixes: [0.5]";

    fn build(options: EvalOptions, _: &BuildContext) -> Result<Box<dyn Stage>> {
        if options.batch_size == 0 || options.max_items == 0 {
            return Err(BaliError::Spec(
                "eval_linking options: batch_size and max_items must be positive".into(),
            ));
        }
        if let Some(a) = options.mixes.iter().find(|a| !(**a > 0.0 && **a < 1.0)) {
            return Err(BaliError::Spec(format!(
                "eval_linking options: every mix must be in (0, 1), got {a}"
            )));
        }
        Ok(Box::new(EvalStage { options }))
    }
}

struct EvalStage {
    options: EvalOptions,
}

/// A model to evaluate.
struct Candidate {
    label: String,
    /// Builds the encoder.
    source: Source,
}

enum Source {
    /// The model training started from.
    Base,
    /// The trained model.
    Aligned,
    /// `(1 - a) * base + a * aligned`.
    Mix(f64),
}

/// How an item is embedded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// The bare surface string (the zero-shot linking benchmarks' protocol).
    String,
    /// The mention in its own sentence, averaged over its sub-tokens (what the alignment
    /// trains); needs the `samples` input.
    Sentence,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            Protocol::String => "string",
            Protocol::Sentence => "sentence",
        }
    }
}

/// Per protocol: which items it scores, and each candidate's gold rank on every item.
struct Scores {
    protocol: Protocol,
    available: Vec<bool>,
    ranks: Vec<Vec<Option<usize>>>,
}

/// One row of the result.
struct Row {
    protocol: Protocol,
    model: String,
    /// Mean cosine between this model's and the base's embedding of each name.
    name_cosine: Option<f64>,
    split: Split,
    unseen_only: bool,
    n: usize,
    accuracy: Option<Accuracy>,
    paired: Option<Paired>,
}

impl Stage for EvalStage {
    fn run(&self, ctx: &mut PartitionCtx<'_>) -> Result<()> {
        let o = &self.options;
        let trained = trained_dir(&ctx.whole(0)?)?;
        let summary = TrainSummary::read(&trained)?;
        let base_dir = &match ObjectUrl::parse(&summary.base_model.dir)? {
            Some(url) => remote::local_copy(&url)?,
            None => summary.base_model.dir.clone(),
        };
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
        let (items, stats) = held_out_items(
            &mentions,
            &index,
            &summary.holdout.split,
            current.as_ref(),
            o.max_items,
            ctx.seed(),
        )?;
        info!(
            names = index.names.len(),
            concepts = index.cuis.len(),
            ?stats,
            "linking evaluation"
        );
        let base = match summary.base_model.init {
            Init::Pretrained => LmStart::Pretrained(base_dir.clone()),
            Init::Random => LmStart::Random {
                config: match &summary.base_model.config {
                    Some(config) => config.clone(),
                    None => BertConfig::from_file(&base_dir.join("config.json"))?,
                },
                seed: summary.base_model.seed,
            },
        };
        let aligned_dir = trained.join(MODEL_DIR);
        let mut candidates = vec![
            Candidate {
                label: "base".into(),
                source: Source::Base,
            },
            Candidate {
                label: "aligned".into(),
                source: Source::Aligned,
            },
        ];
        candidates.extend(o.mixes.iter().map(|&a| Candidate {
            label: format!("mix{a:.2}"),
            source: Source::Mix(a),
        }));
        if items.is_empty() {
            // A small corpus (or a first update) may hold out no linked mention: say so and
            // record it, rather than failing the pipeline.
            warn!(
                ?stats,
                "nothing to evaluate: no held-out item with a findable gold concept"
            );
            ctx.progress().set_message("no held-out item to evaluate");
            let scores = [Scores {
                protocol: Protocol::String,
                available: Vec::new(),
                ranks: vec![Vec::new(); candidates.len()],
            }];
            let rows = score_rows(&candidates, &items, &scores, &[], ctx.seed());
            return emit_rows(ctx, &rows, &index, &stats);
        }

        let device = o.device.device()?;
        let base_config = match &base {
            LmStart::Pretrained(dir) => BertConfig::from_file(&dir.join("config.json"))?,
            LmStart::Random { config, .. } => config.clone(),
        };
        let d = base_config.hidden_size;
        let name_texts: Vec<&str> = index.names.iter().map(String::as_str).collect();
        let item_texts: Vec<&str> = items.iter().map(|i| i.query.surface.as_str()).collect();
        // All models share the tokenizer (the aligned one is exported from the base), so the
        // texts are tokenised once, with the base model's length limit.
        let max_tokens = MAX_TOKENS.min(base_config.max_position_embeddings);
        let name_ids = tokenize(&tokenizer, &name_texts, max_tokens)?;
        let item_ids = tokenize(&tokenizer, &item_texts, max_tokens)?;
        // The in-sentence protocol, for the items whose first mention has a sample.
        let in_sentence: Vec<Option<InSentence>> = if ctx.has_input(4) {
            in_sentences(&ctx.whole(4)?, &items)?
        } else {
            vec![None; items.len()]
        };
        let sentence_items: Vec<usize> = (0..items.len())
            .filter(|&i| in_sentence[i].is_some())
            .collect();
        let sentences: Vec<InSentence> = in_sentence.iter().flatten().cloned().collect();
        // The sentence inputs as id rows for the cache key: span first, then the tokens.
        let sentence_key_rows: Vec<Vec<u32>> = sentences
            .iter()
            .map(|m| {
                let mut row = vec![m.start as u32, m.end as u32];
                row.extend_from_slice(&m.ids);
                row
            })
            .collect();
        let pad = tokenizer.special().pad;
        let cache = EmbeddingCache {
            dir: ctx.cache_dir().join("embeddings"),
        };
        let base_key = model_key(&base)?;
        let aligned_key = model_key(&LmStart::Pretrained(aligned_dir.clone()))?;
        let keys: Vec<String> = candidates
            .iter()
            .map(|c| match c.source {
                Source::Base => base_key.clone(),
                Source::Aligned => aligned_key.clone(),
                Source::Mix(a) => {
                    let mut h = blake3::Hasher::new();
                    h.update(b"mix");
                    h.update(base_key.as_bytes());
                    h.update(aligned_key.as_bytes());
                    h.update(&a.to_le_bytes());
                    h.finalize().to_hex().to_string()
                }
            })
            .collect();
        let queries: Vec<&EvalMention> = items.iter().map(|i| &i.query).collect();
        let sentence_queries: Vec<&EvalMention> =
            sentence_items.iter().map(|&i| &items[i].query).collect();

        ctx.progress().start(candidates.len() as u64, Unit::Steps);
        let mut string_ranks = Vec::with_capacity(candidates.len());
        let mut base_names: Option<Vec<f32>> = None;
        let mut drift: Vec<f64> = Vec::with_capacity(candidates.len());
        let mut sentence_ranks = Vec::with_capacity(candidates.len());
        for (candidate, key) in candidates.iter().zip(&keys) {
            let mut bert: Option<Bert> = None;
            let mut embedded = |what: &str, ids: &[Vec<u32>]| -> Result<Vec<f32>> {
                let key = texts_key(key, what, ids);
                if let Some(cached) = cache.load(&key, ids.len() * d)? {
                    info!(model = %candidate.label, what, "embeddings from the cache");
                    return Ok(cached);
                }
                ctx.progress().set_message(format!(
                    "{}: embedding {} {what}",
                    candidate.label,
                    ids.len()
                ));
                let bert = match &mut bert {
                    Some(b) => b,
                    // Inference only: no autograd graph.
                    None => bert.insert(
                        build_model(&candidate.source, &base, &aligned_dir, &device)?.detached()?,
                    ),
                };
                let out = if what == "sentences" {
                    embed_in_sentence(bert, &sentences, pad, o.batch_size, &device)?
                } else {
                    embed(bert, ids, pad, o.batch_size, &device)?
                };
                cache.store(&key, &out)?;
                ctx.check_cancelled()?;
                Ok(out)
            };
            let names = embedded("names", &name_ids)?;
            // How far this model moved the name embeddings: mean cosine to the base's.
            let base_names = base_names.get_or_insert_with(|| names.clone());
            drift.push(mean_cosine(base_names, &names, d));
            let item_vectors = embedded("items", &item_ids)?;
            string_ranks.push(gold_ranks(&index, &queries, &names, &item_vectors, d)?);
            let mut ranks = vec![None; items.len()];
            if !sentences.is_empty() {
                let vectors = embedded("sentences", &sentence_key_rows)?;
                let r = gold_ranks(&index, &sentence_queries, &names, &vectors, d)?;
                for (&i, rank) in sentence_items.iter().zip(r) {
                    ranks[i] = rank;
                }
            }
            sentence_ranks.push(ranks);
            ctx.progress().inc(1);
        }
        let mut scores = vec![Scores {
            protocol: Protocol::String,
            available: vec![true; items.len()],
            ranks: string_ranks,
        }];
        if ctx.has_input(4) {
            scores.push(Scores {
                protocol: Protocol::Sentence,
                available: in_sentence.iter().map(Option::is_some).collect(),
                ranks: sentence_ranks,
            });
        }

        let rows = score_rows(&candidates, &items, &scores, &drift, ctx.seed());
        let table = render(&rows);
        info!(
            "zero-shot linking of held-out items ({} concepts, {} names; dropped: {} ambiguous, {} unfindable):\n{}",
            index.cuis.len(),
            index.names.len(),
            stats.ambiguous,
            stats.unfindable,
            table
        );
        let line = summary_line(&rows);
        ctx.progress().set_message(line.clone());
        ctx.note(line);
        emit_rows(ctx, &rows, &index, &stats)
    }
}

/// Mean cosine similarity of corresponding rows of two sets of L2-normalised embeddings.
fn mean_cosine(a: &[f32], b: &[f32], d: usize) -> f64 {
    let rows = a.len() / d.max(1);
    if rows == 0 {
        return 1.0;
    }
    let total: f64 = a
        .chunks_exact(d)
        .zip(b.chunks_exact(d))
        .map(|(x, y)| {
            x.iter()
                .zip(y)
                .map(|(p, q)| f64::from(*p) * f64::from(*q))
                .sum::<f64>()
        })
        .sum();
    total / rows as f64
}

/// Builds the encoder of `source`.
fn build_model(source: &Source, base: &LmStart, aligned: &Path, device: &Device) -> Result<Bert> {
    match source {
        Source::Base => base.build(&VarMap::new(), DType::F32, device),
        Source::Aligned => {
            LmStart::Pretrained(aligned.to_path_buf()).build(&VarMap::new(), DType::F32, device)
        }
        Source::Mix(a) => {
            let base_map = VarMap::new();
            base.build(&base_map, DType::F32, device)?;
            let mixed_map = VarMap::new();
            let bert =
                LmStart::Pretrained(aligned.to_path_buf()).build(&mixed_map, DType::F32, device)?;
            let base_vars = base_map
                .data()
                .lock()
                .map_err(|_| BaliError::Internal("a parameter map's lock is poisoned".into()))?
                .clone();
            let mixed = mixed_map
                .data()
                .lock()
                .map_err(|_| BaliError::Internal("a parameter map's lock is poisoned".into()))?;
            for (name, var) in mixed.iter() {
                let b = base_vars.get(name).ok_or_else(|| {
                    BaliError::Spec(format!(
                        "cannot mix the base and the aligned model: the base has no `{name}`"
                    ))
                })?;
                let value = ((b.as_tensor() * (1.0 - a))? + (var.as_tensor() * *a)?)?;
                var.set(&value)?;
            }
            Ok(bert)
        }
    }
}

/// A content key of a model: the blake3 of its files (or of its random initialisation).
fn model_key(start: &LmStart) -> Result<String> {
    let mut h = blake3::Hasher::new();
    match start {
        LmStart::Pretrained(dir) => {
            h.update(b"pretrained");
            for file in model_files(dir) {
                let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
                h.update(name.unwrap_or_default().as_bytes());
                let f = std::fs::File::open(&file).at(&file)?;
                h.update_reader(f).at(&file)?;
            }
        }
        LmStart::Random { config, seed } => {
            h.update(b"random");
            h.update(serde_json::to_string(config)?.as_bytes());
            h.update(&seed.to_le_bytes());
        }
    }
    Ok(h.finalize().to_hex().to_string())
}

/// The cache key of `model`'s embeddings of tokenised texts (`what`: names and items are
/// pooled over all tokens, sentences over the span in each row's first two values).
fn texts_key(model: &str, what: &str, ids: &[Vec<u32>]) -> String {
    let mut h = blake3::Hasher::new();
    // The embedding recipe: mean-pooled, L2-normalised.
    h.update(b"bali/eval/embedding/mean-l2/v1");
    h.update(what.as_bytes());
    h.update(model.as_bytes());
    h.update(&(ids.len() as u64).to_le_bytes());
    for row in ids {
        h.update(&(row.len() as u64).to_le_bytes());
        for id in row {
            h.update(&id.to_le_bytes());
        }
    }
    h.finalize().to_hex().to_string()
}

/// Embeddings on disk, one file per key (a hashed cache file: a damaged one is an error, a
/// missing one is recomputed). Safe to delete.
struct EmbeddingCache {
    dir: PathBuf,
}

/// Format version of the embedding cache files.
const CACHE_VERSION: u32 = 1;

impl EmbeddingCache {
    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.bin"))
    }

    fn load(&self, key: &str, len: usize) -> Result<Option<Vec<f32>>> {
        let path = self.path(key);
        if !path.is_file() {
            return Ok(None);
        }
        let (mut reader, _) = CacheReader::open(&path, CACHE_VERSION)?;
        let bytes = reader.bytes()?;
        reader.finish()?;
        if bytes.len() != len * 4 {
            warn!(path = %path.display(), "embedding cache of the wrong size: recomputing");
            return Ok(None);
        }
        Ok(Some(
            bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
        ))
    }

    fn store(&self, key: &str, values: &[f32]) -> Result<()> {
        std::fs::create_dir_all(&self.dir).at(&self.dir)?;
        let mut writer = CacheWriter::create(&self.path(key), CACHE_VERSION, 1)?;
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        writer.bytes(&bytes)?;
        writer.finish()
    }
}

/// The rows: per protocol, split and item set, each candidate's accuracy, and the paired
/// comparison of every candidate but the base against the base.
fn score_rows(
    candidates: &[Candidate],
    items: &[EvalItem],
    scores: &[Scores],
    drift: &[f64],
    seed: u64,
) -> Vec<Row> {
    let mut rows = Vec::new();
    for score in scores {
        for split in Split::ALL {
            for unseen_only in [false, true] {
                let chosen: Vec<usize> = (0..items.len())
                    .filter(|&i| {
                        score.available[i]
                            && items[i].split == split
                            && (!unseen_only || items[i].unseen)
                    })
                    .collect();
                let at_1 = |c: usize| -> Vec<bool> {
                    chosen
                        .iter()
                        .map(|&i| score.ranks[c][i] == Some(0))
                        .collect()
                };
                let base_hits = at_1(0);
                for (c, candidate) in candidates.iter().enumerate() {
                    let accuracy = Accuracy::from_ranks(chosen.iter().map(|&i| &score.ranks[c][i]));
                    let paired = (c > 0 && accuracy.is_some())
                        .then(|| compare(&base_hits, &at_1(c), RESAMPLES, seed));
                    rows.push(Row {
                        protocol: score.protocol,
                        model: candidate.label.clone(),
                        name_cosine: drift.get(c).copied(),
                        split,
                        unseen_only,
                        n: chosen.len(),
                        accuracy,
                        paired,
                    });
                }
            }
        }
    }
    rows
}

/// Items below which a split cannot resolve a difference of a few points (the 95% interval
/// of a paired difference is about +-2 points at 1,000 items with 10% discordant).
const FEW_ITEMS: usize = 300;

/// The run note: the aligned model against the base on all items of each split with the
/// string protocol, e.g. `aligned vs base (string protocol, all items): dev n 740, Acc@1 +1.20
/// pts [-0.40, +2.80], p 0.160; test n 760, ...`.
fn summary_line(rows: &[Row]) -> String {
    let parts: Vec<String> = Split::ALL
        .iter()
        .filter_map(|&split| {
            rows.iter().find(|r| {
                r.protocol == Protocol::String
                    && r.model == "aligned"
                    && r.split == split
                    && !r.unseen_only
            })
        })
        .map(|r| match r.paired {
            Some(p) => format!(
                "{} n {}, Acc@1 {:+.2} pts [{:+.2}, {:+.2}], p {:.3}",
                r.split.name(),
                r.n,
                100.0 * p.delta,
                100.0 * p.low,
                100.0 * p.high,
                p.p_value
            ),
            None => format!("{} n {}", r.split.name(), r.n),
        })
        .collect();
    let warning = if rows
        .iter()
        .filter(|r| r.protocol == Protocol::String && !r.unseen_only)
        .any(|r| r.n < FEW_ITEMS)
    {
        format!(" (fewer than {FEW_ITEMS} items in a split: too few to resolve a difference of a few points)")
    } else {
        String::new()
    };
    format!(
        "aligned vs base (string protocol, all items): {}{warning}",
        parts.join("; ")
    )
}

/// The rows as an aligned text table for the log.
fn render(rows: &[Row]) -> String {
    let mut out = format!(
        "{:<8} {:<8} {:<5} {:<7} {:>6} {:>7} {:>7} {:>8} {:>18} {:>8}",
        "protocol", "model", "split", "items", "n", "Acc@1", "Acc@5", "delta", "95% interval", "p"
    );
    for r in rows {
        let acc = |f: fn(&Accuracy) -> f64| {
            r.accuracy
                .as_ref()
                .map_or("-".to_string(), |a| format!("{:.4}", f(a)))
        };
        let (delta, interval, p) = match r.paired {
            Some(p) => (
                format!("{:+.4}", p.delta),
                format!("[{:+.4}, {:+.4}]", p.low, p.high),
                format!("{:.2e}", p.p_value),
            ),
            None => ("".into(), "".into(), "".into()),
        };
        out.push_str(&format!(
            "\n{:<8} {:<8} {:<5} {:<7} {:>6} {:>7} {:>7} {:>8} {:>18} {:>8}",
            r.protocol.name(),
            r.model,
            r.split.name(),
            if r.unseen_only { "unseen" } else { "all" },
            r.n,
            acc(|a| a.at_1),
            acc(|a| a.at_5),
            delta,
            interval,
            p
        ));
    }
    out
}

/// Writes the `linking_eval` rows.
fn emit_rows(
    ctx: &mut PartitionCtx<'_>,
    rows: &[Row],
    index: &NameIndex,
    stats: &ItemStats,
) -> Result<()> {
    let n = rows.len();
    let float = |f: &dyn Fn(&Row) -> Option<f64>| -> ArrayRef {
        Arc::new(Float64Array::from_iter(rows.iter().map(f)))
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| r.model.as_str()),
        )),
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| r.protocol.name()),
        )),
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| r.split.name()),
        )),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| {
            if r.unseen_only {
                "unseen"
            } else {
                "all"
            }
        }))),
        Arc::new(Int64Array::from_iter_values(
            rows.iter().map(|r| r.n as i64),
        )),
        Arc::new(Int64Array::from(vec![index.cuis.len() as i64; n])),
        Arc::new(Int64Array::from(vec![index.names.len() as i64; n])),
        float(&|r| r.accuracy.map(|a| a.at_1)),
        float(&|r| r.accuracy.map(|a| a.at_5)),
        float(&|r| r.paired.map(|p| p.delta)),
        float(&|r| r.paired.map(|p| p.low)),
        float(&|r| r.paired.map(|p| p.high)),
        float(&|r| r.paired.map(|p| p.p_value)),
        float(&|r| r.name_cosine),
        Arc::new(Int64Array::from(vec![stats.ambiguous as i64; n])),
        Arc::new(Int64Array::from(vec![stats.unfindable as i64; n])),
    ];
    ctx.emit(
        0,
        RecordBatch::try_new(misc::linking_eval_schema(), columns)?,
    )
}
