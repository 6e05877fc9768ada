//! Training batches as a pure function of (seed, step), and the loader thread that builds them
//! ahead of the training step.
//!
//! Step `s` (0-based) belongs to epoch `s / steps_per_epoch`; the epoch's sentence order is a
//! seeded permutation of all training sentences, and the step takes the next `batch_size` of
//! them (the last batch of an epoch may be smaller). Everything random in a batch is drawn from
//! streams keyed by its inputs: the order by (seed, epoch), the MLM corruption by (seed, step),
//! the neighbour sample and node names by the shared sampler's (seed, step, concept, node).
//! A resumed run therefore needs no loader state: the batch of step `s` is the same whenever
//! and wherever it is built.
//!
//! One batch holds: the masked sentences padded to the longest one, the MLM targets, one
//! mention span per (mention, concept) pair whose concept has a name, and one star per
//! distinct such concept (first-seen order): the target plus up to `max_neighbors` neighbours,
//! each node represented by one of its names. Neighbours and names are drawn afresh for every
//! batch, as the reference draws them for every sample (`random.sample` / `random.choice` in
//! its dataset): a concept shows a different name from step to step, not the same one for a
//! whole epoch (which often was the mention's own surface, making the pairing trivial). A name
//! drawn by several nodes is encoded once ([`crate::train::graph::Star`] rows may repeat).
//! One g_v per distinct concept rather than per mention keeps the name encoder, the dominant
//! cost (BALI.md), proportional to the concepts of the batch; NT-Xent is multi-positive, so two
//! mentions of one concept both pair with its g_v and with each other.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Receiver};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::bert::TokenSpan;
use super::corpus::TrainingData;
use super::graph::Star;
use super::linearized::{self, linearize, Neighbour};
use super::mlm::{mask_tokens, MaskingOptions};
use crate::error::{BaliError, Result};
use crate::kg::{pick_name, sample_neighbors};

/// The special tokens a batch needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchTokens {
    /// `[CLS]`.
    pub cls: u32,
    /// `[SEP]`.
    pub sep: u32,
    /// `[PAD]`.
    pub pad: u32,
    /// `[MASK]`.
    pub mask: u32,
    /// Vocabulary size (random replacements are drawn below it).
    pub vocab_size: u32,
}

/// How batches are built.
#[derive(Debug, Clone)]
pub struct BatchConfig {
    /// Seed of every draw.
    pub seed: u64,
    /// Sentences per batch.
    pub batch_size: usize,
    /// Neighbours sampled per target per epoch.
    pub max_neighbors: u32,
    /// MLM corruption.
    pub masking: MaskingOptions,
    /// Special token ids.
    pub tokens: BatchTokens,
    /// Build linearised-graph sequences instead of star graphs over name features.
    pub linearized: bool,
    /// Longest sequence the encoder accepts (`max_position_embeddings`): longer rows are cut.
    pub max_tokens: usize,
    /// Batch sentences of similar length ([`group_by_length`]), so that a batch pads little.
    pub group_by_length: bool,
}

/// Windows of this many batches are sorted by length under `group_by_length` (Hugging Face's
/// `group_by_length` uses mega-batches of 50 batches too).
pub const LENGTH_WINDOW_BATCHES: usize = 50;

/// Reorders an epoch's shuffled `order` so that each batch holds sentences of similar length,
/// while every sentence still comes exactly once: windows of [`LENGTH_WINDOW_BATCHES`]
/// batches of the shuffled order are each sorted by `length` (ties keep their shuffled
/// order), cut into batches, and the full batches of the whole epoch are shuffled by `rng`
/// so that short and long batches alternate; a last, partial batch stays last (the step
/// arithmetic takes `batch_size` sentences per step). A pure function of its inputs, so a
/// resumed run rebuilds the same epoch.
pub fn group_by_length(
    order: &[u32],
    length: impl Fn(u32) -> usize,
    batch_size: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<u32> {
    let batch_size = batch_size.max(1);
    let mut sorted = Vec::with_capacity(order.len());
    for window in order.chunks(batch_size * LENGTH_WINDOW_BATCHES) {
        let mut window = window.to_vec();
        window.sort_by_key(|&i| length(i));
        sorted.extend(window);
    }
    let full = sorted.len() / batch_size;
    let mut batches: Vec<&[u32]> = sorted.chunks(batch_size).take(full).collect();
    batches.shuffle(rng);
    let mut grouped: Vec<u32> = batches.concat();
    grouped.extend_from_slice(&sorted[full * batch_size..]);
    grouped
}

/// Token ids padded into a `[rows, cols]` matrix with its attention mask.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Padded {
    /// Rows.
    pub rows: usize,
    /// Columns (the longest row).
    pub cols: usize,
    /// Ids, row-major, padded with `[PAD]`.
    pub ids: Vec<u32>,
    /// 1 for a token, 0 for padding.
    pub mask: Vec<u32>,
}

impl Padded {
    /// Pads `seqs`, cutting each to at most `max_cols` tokens.
    pub fn new<'a>(seqs: impl IntoIterator<Item = &'a [u32]>, pad: u32, max_cols: usize) -> Self {
        let seqs: Vec<&[u32]> = seqs.into_iter().collect();
        let cols = seqs
            .iter()
            .map(|s| s.len().min(max_cols))
            .max()
            .unwrap_or(0);
        let mut ids = Vec::with_capacity(seqs.len() * cols);
        let mut mask = Vec::with_capacity(seqs.len() * cols);
        for s in &seqs {
            let s = &s[..s.len().min(max_cols)];
            ids.extend_from_slice(s);
            ids.extend(std::iter::repeat_n(pad, cols - s.len()));
            mask.extend(std::iter::repeat_n(1u32, s.len()));
            mask.extend(std::iter::repeat_n(0u32, cols - s.len()));
        }
        Padded {
            rows: seqs.len(),
            cols,
            ids,
            mask,
        }
    }

    /// Real (unpadded) tokens.
    pub fn tokens(&self) -> usize {
        self.mask.iter().filter(|&&m| m == 1).count()
    }
}

/// One training batch, on the host.
#[derive(Debug, Clone, PartialEq)]
pub struct HostBatch {
    /// Optimiser step (0-based) the batch is for.
    pub step: u64,
    /// Epoch of that step.
    pub epoch: u64,
    /// Training-sentence indices of the rows.
    pub sentences: Vec<u32>,
    /// PMID of each row.
    pub pmids: Vec<i64>,
    /// The MLM-corrupted sentences.
    pub text: Padded,
    /// Flat `row * cols + column` positions of the MLM targets.
    pub mlm_positions: Vec<u32>,
    /// The original id at each target.
    pub mlm_labels: Vec<u32>,
    /// One span per aligned (mention, concept) pair.
    pub spans: Vec<TokenSpan>,
    /// The pooled mention of each span: spans of one (sentence, concept) pool together, as
    /// the reference pools one vector per concept per sentence.
    pub span_groups: Vec<u32>,
    /// The concept of each pooled mention.
    pub span_concepts: Vec<u32>,
    /// The concept of each star (distinct, first-seen order).
    pub star_concepts: Vec<u32>,
    /// Whether each star's concept may take part in losses over concept names (the textual
    /// task): false for the concepts of held-out mentions, so that nothing trained on names
    /// touches an evaluation item's concept.
    pub name_loss: Vec<bool>,
    /// Each star as rows of [`names`](Self::names) (GNN variants; empty when linearised).
    pub stars: Vec<Star>,
    /// The distinct node names of the batch (GNN variants).
    pub names: Padded,
    /// One linearised sequence per star (linearised variant only).
    pub linearized: Option<Padded>,
}

impl HostBatch {
    /// Real tokens the encoder reads in this batch: sentences plus names or linearised stars.
    pub fn tokens(&self) -> usize {
        self.text.tokens()
            + self.names.tokens()
            + self.linearized.as_ref().map_or(0, Padded::tokens)
    }
}

/// Steps in one pass over `sentences` sentences.
pub fn steps_per_epoch(sentences: usize, batch_size: usize) -> u64 {
    sentences.div_ceil(batch_size.max(1)) as u64
}

/// A random stream keyed by a purpose and two numbers.
fn keyed_stream(purpose: &[u8], seed: u64, a: u64) -> ChaCha8Rng {
    let mut hasher = blake3::Hasher::new();
    hasher.update(purpose);
    hasher.update(&seed.to_le_bytes());
    hasher.update(&a.to_le_bytes());
    ChaCha8Rng::from_seed(*hasher.finalize().as_bytes())
}

/// Builds batches; keeps the current epoch's permutation so that consecutive steps do not
/// shuffle the corpus again.
pub struct BatchMaker {
    data: Arc<TrainingData>,
    config: BatchConfig,
    steps_per_epoch: u64,
    order: Option<(u64, Vec<u32>)>,
}

impl BatchMaker {
    /// A maker over `data`; fails when there is no sentence to train on.
    pub fn new(data: Arc<TrainingData>, config: BatchConfig) -> Result<Self> {
        if data.sentences.is_empty() || config.batch_size == 0 {
            return Err(BaliError::Internal(
                "batches need at least one sentence and a positive batch size".into(),
            ));
        }
        let steps_per_epoch = steps_per_epoch(data.sentences.len(), config.batch_size);
        Ok(BatchMaker {
            data,
            config,
            steps_per_epoch,
            order: None,
        })
    }

    /// Steps per epoch.
    pub fn steps_per_epoch(&self) -> u64 {
        self.steps_per_epoch
    }

    fn order(&mut self, epoch: u64) -> &[u32] {
        if self.order.as_ref().map(|(e, _)| *e) != Some(epoch) {
            let mut order: Vec<u32> = (0..self.data.sentences.len() as u32).collect();
            order.shuffle(&mut keyed_stream(
                b"bali/train/order",
                self.config.seed,
                epoch,
            ));
            if self.config.group_by_length {
                let (tokens, max) = (&self.data.sentences.tokens, self.config.max_tokens);
                order = group_by_length(
                    &order,
                    |i| tokens.row(i as usize).len().min(max),
                    self.config.batch_size,
                    &mut keyed_stream(b"bali/train/length-batches", self.config.seed, epoch),
                );
            }
            self.order = Some((epoch, order));
        }
        self.order.as_ref().map_or(&[], |(_, o)| o.as_slice())
    }

    /// The batch of step `step`.
    pub fn batch(&mut self, step: u64) -> Result<HostBatch> {
        let epoch = step / self.steps_per_epoch;
        let first = ((step % self.steps_per_epoch) as usize) * self.config.batch_size;
        let size = self.config.batch_size;
        let rows: Vec<u32> = {
            let order = self.order(epoch);
            order[first..(first + size).min(order.len())].to_vec()
        };
        let data = Arc::clone(&self.data);
        let c = &self.config;
        let s = &data.sentences;

        let text = Padded::new(
            rows.iter().map(|&i| s.tokens.row(i as usize)),
            c.tokens.pad,
            c.max_tokens,
        );
        let masked = mask_tokens(
            &text.ids,
            &[c.tokens.cls, c.tokens.sep, c.tokens.pad],
            c.tokens.mask,
            c.tokens.vocab_size,
            &c.masking,
            &mut keyed_stream(b"bali/train/mlm", c.seed, step),
        );

        // Mention spans of concepts that have a name, pooled per (sentence, concept), and the
        // distinct such concepts.
        let mut spans = Vec::new();
        let mut span_groups = Vec::new();
        let mut span_concepts = Vec::new();
        let mut groups: HashMap<(usize, u32), u32> = HashMap::new();
        let mut star_concepts: Vec<u32> = Vec::new();
        let mut seen: HashSet<u32> = HashSet::new();
        for (row, &i) in rows.iter().enumerate() {
            let i = i as usize;
            let first_mention = s.mentions.row_start(i);
            for (k, m) in s.mentions.row(i).iter().enumerate() {
                if m.end as usize > text.cols {
                    continue; // cut by max_tokens
                }
                for &concept in s.concepts.row(first_mention + k) {
                    if data.concept_names.row(concept as usize).is_empty() {
                        continue;
                    }
                    spans.push(TokenSpan {
                        row,
                        start: m.start as usize,
                        end: m.end as usize,
                    });
                    let next = span_concepts.len() as u32;
                    let group = *groups.entry((row, concept)).or_insert_with(|| {
                        span_concepts.push(concept);
                        next
                    });
                    span_groups.push(group);
                    if seen.insert(concept) {
                        star_concepts.push(concept);
                    }
                }
            }
        }

        // Stars: target and sampled neighbours, each with a name drawn for this step.
        let mut name_rows: HashMap<usize, u32> = HashMap::new();
        let mut name_order: Vec<usize> = Vec::new();
        let mut stars = Vec::with_capacity(star_concepts.len());
        let mut sequences = Vec::new();
        for &target in &star_concepts {
            let target_cui = data.concept_ids.cui(target);
            let mut nodes: Vec<(u32, usize, Option<u32>)> = Vec::new();
            let pick = |node: u32| -> Option<usize> {
                let names = data.concept_names.row(node as usize);
                pick_name(
                    c.seed,
                    step,
                    target_cui,
                    data.concept_ids.cui(node),
                    names.len(),
                )
                .map(|k| names[k] as usize)
            };
            let Some(target_name) = pick(target) else {
                return Err(BaliError::Internal(format!(
                    "star of {target_cui} without a name"
                )));
            };
            let row = data.star_rows[target as usize];
            if row != u32::MAX {
                let stored = data.neighbours.row(row as usize);
                for k in sample_neighbors(
                    c.seed,
                    step,
                    target_cui,
                    stored.len() as u32,
                    c.max_neighbors,
                ) {
                    let (node, relation) = stored[k as usize];
                    if let Some(name) = pick(node) {
                        nodes.push((node, name, Some(relation)));
                    }
                }
            }
            if c.linearized {
                let special = linearized::SpecialTokens {
                    cls: c.tokens.cls,
                    sep: c.tokens.sep,
                    pad: c.tokens.pad,
                };
                let bare = |name: usize| special.strip(data.name_tokens.row(name));
                let neighbours: Vec<Neighbour<'_>> = nodes
                    .iter()
                    .map(|&(_, name, relation)| Neighbour {
                        name: bare(name),
                        relation: relation
                            .filter(|&r| (r as usize) < data.relation_tokens.len())
                            .map_or(&[], |r| data.relation_tokens.row(r as usize)),
                    })
                    .collect();
                sequences.push(linearize(
                    bare(target_name),
                    &neighbours,
                    special,
                    linearized::MAX_TOKENS.min(c.max_tokens),
                )?);
            } else {
                let mut feature = |name: usize| -> u32 {
                    let next = name_order.len() as u32;
                    *name_rows.entry(name).or_insert_with(|| {
                        name_order.push(name);
                        next
                    })
                };
                let target_row = feature(target_name);
                let neighbours = nodes.iter().map(|&(_, name, _)| feature(name)).collect();
                stars.push(Star {
                    target: target_row,
                    neighbours,
                });
            }
        }
        let names = Padded::new(
            name_order.iter().map(|&n| data.name_tokens.row(n)),
            c.tokens.pad,
            c.max_tokens,
        );
        let linearized = c.linearized.then(|| {
            Padded::new(
                sequences.iter().map(Vec::as_slice),
                c.tokens.pad,
                c.max_tokens,
            )
        });

        Ok(HostBatch {
            step,
            epoch,
            pmids: rows.iter().map(|&i| s.pmids[i as usize]).collect(),
            sentences: rows,
            text: Padded {
                ids: masked.input_ids,
                ..text
            },
            mlm_positions: masked.positions,
            mlm_labels: masked.labels,
            spans,
            span_groups,
            name_loss: star_concepts
                .iter()
                .map(|&c| !data.eval_concepts.contains(&c))
                .collect(),
            span_concepts,
            star_concepts,
            stars,
            names,
            linearized,
        })
    }
}

/// Builds the batches of a range of steps on a thread of its own, at most `capacity` ahead of
/// the consumer (a bounded channel), so that data preparation overlaps the training step.
/// Dropping the loader stops the thread.
pub struct Loader {
    rx: Option<Receiver<Result<HostBatch>>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Loader {
    /// Starts building the batches of `steps` (0-based step numbers) with `maker`.
    pub fn spawn(mut maker: BatchMaker, steps: std::ops::Range<u64>, capacity: usize) -> Loader {
        let (tx, rx) = bounded(capacity.max(1));
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("bali-train-loader".into())
            .spawn(move || {
                for step in steps {
                    if flag.load(Ordering::Relaxed) {
                        break;
                    }
                    let batch = maker.batch(step);
                    let failed = batch.is_err();
                    if tx.send(batch).is_err() || failed {
                        break;
                    }
                }
            });
        match handle {
            Ok(handle) => Loader {
                rx: Some(rx),
                stop,
                handle: Some(handle),
            },
            Err(e) => {
                // No thread: hand the failure to the first `next`.
                let (tx, rx) = bounded(1);
                let _ = tx.send(Err(BaliError::Internal(format!(
                    "cannot start the batch loader thread: {e}"
                ))));
                Loader {
                    rx: Some(rx),
                    stop,
                    handle: None,
                }
            }
        }
    }

    /// The next batch, waiting for the loader when it is behind.
    pub fn next_batch(&self) -> Result<HostBatch> {
        self.rx
            .as_ref()
            .and_then(|rx| rx.recv().ok())
            .unwrap_or_else(|| {
                Err(BaliError::Internal(
                    "the batch loader stopped before the last step".into(),
                ))
            })
    }
}

impl Drop for Loader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Dropping the receiver unblocks a loader waiting to send.
        self.rx.take();
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// Padded cells of an order cut into batches: what a batch's padding costs.
    fn padding(order: &[u32], lengths: &[usize], batch: usize) -> usize {
        order
            .chunks(batch)
            .map(|b| {
                let longest = b.iter().map(|&i| lengths[i as usize]).max().unwrap_or(0);
                b.iter()
                    .map(|&i| longest - lengths[i as usize])
                    .sum::<usize>()
            })
            .sum()
    }

    #[test]
    fn length_grouping_keeps_every_sentence_once_and_pads_far_less() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        // 2,003 sentences of 8 to 128 tokens: 41 windows of 3 batches of 16, a partial last.
        let lengths: Vec<usize> = (0..2003).map(|_| rng.random_range(8..=128)).collect();
        let mut order: Vec<u32> = (0..2003).collect();
        order.shuffle(&mut rng);
        let batch = 16;
        let grouped = group_by_length(
            &order,
            |i| lengths[i as usize],
            batch,
            &mut ChaCha8Rng::seed_from_u64(7),
        );
        let mut sorted = grouped.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..2003).collect::<Vec<u32>>());
        // The 3 sentences of the partial batch come last, and they are the longest of the
        // last window (sorted ascending).
        let last_window =
            &order[(2003 / (batch * LENGTH_WINDOW_BATCHES)) * batch * LENGTH_WINDOW_BATCHES..];
        let longest_of_window = last_window.iter().map(|&i| lengths[i as usize]).max();
        assert_eq!(
            grouped[2000..].iter().map(|&i| lengths[i as usize]).max(),
            longest_of_window
        );
        // A batch of sorted lengths pads a few tokens; a random one pads about half.
        let (plain, ours) = (
            padding(&order, &lengths, batch),
            padding(&grouped, &lengths, batch),
        );
        assert!(ours * 10 < plain, "padding {ours} grouped vs {plain} plain");
        // The same stream gives the same epoch; another stream another batch order.
        let again = group_by_length(
            &order,
            |i| lengths[i as usize],
            batch,
            &mut ChaCha8Rng::seed_from_u64(7),
        );
        assert_eq!(grouped, again);
        let other = group_by_length(
            &order,
            |i| lengths[i as usize],
            batch,
            &mut ChaCha8Rng::seed_from_u64(8),
        );
        assert_ne!(grouped, other);
    }

    #[test]
    fn length_grouping_of_fewer_sentences_than_a_batch_is_their_sorted_order() {
        let lengths = [5usize, 3, 9];
        let grouped = group_by_length(
            &[0, 1, 2],
            |i| lengths[i as usize],
            8,
            &mut ChaCha8Rng::seed_from_u64(1),
        );
        assert_eq!(grouped, vec![1, 0, 2]);
    }
}
