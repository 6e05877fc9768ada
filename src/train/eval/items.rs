//! The items of the linking evaluation: distinct (normalised surface, gold concept) pairs of
//! the held-out articles, split into a `dev` and a `test` half, each marked `unseen` when its
//! surface never occurs as a mention in a training sentence.
//!
//! Counting *distinct* pairs rather than mention occurrences is how zero-shot entity linking
//! is reported (a frequent string such as "severe" would otherwise weigh hundreds of times
//! more than a rare one). Items that no model can get right are dropped and counted, not left
//! in the denominator:
//! - *ambiguous*: the surface's held-out mentions carry more than one indexed concept (one
//!   mention linked to several candidates, or the same string linked to different concepts);
//! - *unfindable*: every name of the gold concept is removed for this item (its names all
//!   share the surface's normalised form, so with the matched synonym left out, the concept
//!   has no name to be found by).
//!
//! The split: each item belongs to the half of the held-out article with the smallest PMID
//! that mentions it, and an article's half is a seeded hash of its PMID (domain
//! `bali/eval/split`), independent of the held-out rule. Items are therefore disjoint between
//! the halves, so a recipe chosen on `dev` is reported on items it was not chosen on.

use std::collections::{BTreeMap, HashMap, HashSet};

use arrow::array::{Array, AsArray, ListArray, StructArray};
use arrow::datatypes::{Int32Type, Int64Type};
use rand::seq::index;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::{forms, EvalMention, InSentence, NameIndex};
use crate::engine::Table;
use crate::error::{BaliError, Result};
use crate::tables::columns::column;
use crate::train::holdout::Holdout;
use crate::views::current::CurrentArticles;

/// Hash domain of the dev/test split of the held-out articles.
const SPLIT_DOMAIN: &[u8] = b"bali/eval/split";

/// Which half of the held-out articles an item belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Split {
    /// For choosing settings.
    Dev,
    /// Reported once a recipe is chosen.
    Test,
}

impl Split {
    /// Both halves, in report order.
    pub const ALL: [Split; 2] = [Split::Dev, Split::Test];

    /// `dev` or `test`.
    pub fn name(self) -> &'static str {
        match self {
            Split::Dev => "dev",
            Split::Test => "test",
        }
    }

    /// The half of held-out article `pmid` under `seed`.
    pub fn of(seed: u64, pmid: i64) -> Split {
        let mut hasher = blake3::Hasher::new();
        hasher.update(SPLIT_DOMAIN);
        hasher.update(&seed.to_le_bytes());
        hasher.update(&pmid.to_le_bytes());
        if hasher.finalize().as_bytes()[0] & 1 == 0 {
            Split::Dev
        } else {
            Split::Test
        }
    }
}

/// Where a mention is: its sentence (file, record, sentence index) and character span.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MentionAt {
    /// Source file of the article record.
    pub file: String,
    /// Index of the record in the file.
    pub article: i64,
    /// Sentence index in the article.
    pub sentence: i32,
    /// Start offset (code points) in the sentence.
    pub start: i32,
    /// End offset (exclusive).
    pub end: i32,
}

/// One item to link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalItem {
    /// The text embedded (the surface of the item's first mention), its gold concept and the
    /// names left out of the index for it.
    pub query: EvalMention,
    /// The normalised surface that identifies the item.
    pub key: String,
    /// Its half.
    pub split: Split,
    /// Whether the surface never occurs as a mention in a training sentence.
    pub unseen: bool,
    /// Held-out mentions of this item.
    pub occurrences: u32,
    /// The item's first mention (in its first article), for the in-sentence protocol.
    pub first: MentionAt,
}

/// What [`held_out_items`] found and dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemStats {
    /// Held-out mentions (current records only, when the articles were given).
    pub mentions: u64,
    /// Of those, mentions without any gold concept in the index.
    pub without_indexed_gold: u64,
    /// Distinct normalised surfaces of the mentions with an indexed gold concept.
    pub surfaces: u64,
    /// Surfaces dropped because their mentions carry more than one indexed concept.
    pub ambiguous: u64,
    /// Surfaces dropped because their gold concept has no name left once the matched
    /// synonym is removed.
    pub unfindable: u64,
    /// Items dropped by the seeded sample down to the maximum.
    pub sampled_out: u64,
    /// Items kept.
    pub items: u64,
}

/// A held-out mention occurrence, before deduplication.
struct Occurrence {
    pmid: i64,
    at: MentionAt,
    surface: String,
    matched: Option<String>,
    cuis: Vec<String>,
}

/// Per normalised surface: what its held-out mentions say.
struct Surface {
    first_pmid: i64,
    first: MentionAt,
    surface: String,
    matched: Option<String>,
    gold: Vec<u32>,
    occurrences: u32,
}

/// The identity of a surface: its first normalised form, or the case-folded text when
/// normalisation leaves nothing.
pub fn surface_key(surface: &str) -> String {
    forms(surface)
        .into_iter()
        .next()
        .unwrap_or_else(|| surface.trim().to_lowercase())
}

/// The evaluation items of `mentions`: distinct (normalised surface, gold concept) pairs of
/// the held-out (and current) articles, with what was dropped and why. When more than `max`
/// remain, a seeded uniform sample of `max` is kept. Items come sorted by (split, key).
pub fn held_out_items(
    mentions: &Table,
    index: &NameIndex,
    holdout: &Holdout,
    current: Option<&CurrentArticles>,
    max: usize,
    seed: u64,
) -> Result<(Vec<EvalItem>, ItemStats)> {
    type Key = (String, i64, i64, i32, i32);
    let mut found: BTreeMap<Key, Occurrence> = BTreeMap::new();
    let mut trained: HashSet<String> = HashSet::new();
    let columns = [
        "pmid",
        "sentence_index",
        "mention_index",
        "surface",
        "cui",
        "matched",
        "source_file",
        "article_index",
        "start",
        "end",
    ];
    for batch in mentions.scan_columns(&columns)? {
        let batch = batch?;
        let pmid = batch.column(0).as_primitive::<Int64Type>();
        let sentence = batch.column(1).as_primitive::<Int32Type>();
        let mention = batch.column(2).as_primitive::<Int32Type>();
        let surface = batch.column(3).as_string::<i32>();
        let cui = batch.column(4).as_string::<i32>();
        let matched = batch.column(5).as_string::<i32>();
        let file = batch.column(6).as_string::<i32>();
        let article = batch.column(7).as_primitive::<Int64Type>();
        let start = batch.column(8).as_primitive::<Int32Type>();
        let end = batch.column(9).as_primitive::<Int32Type>();
        for i in 0..batch.num_rows() {
            let p = pmid.value(i);
            if current.is_some_and(|c| !c.is_current(p, file.value(i), article.value(i))) {
                continue;
            }
            if !holdout.is_held_out(p) {
                // A training mention (one row per candidate concept; one key is enough).
                if !trained.contains(surface.value(i)) {
                    trained.insert(surface.value(i).to_string());
                }
                continue;
            }
            let key = (
                file.value(i).to_string(),
                article.value(i),
                p,
                sentence.value(i),
                mention.value(i),
            );
            found
                .entry(key)
                .or_insert_with(|| Occurrence {
                    pmid: p,
                    at: MentionAt {
                        file: file.value(i).to_string(),
                        article: article.value(i),
                        sentence: sentence.value(i),
                        start: start.value(i),
                        end: end.value(i),
                    },
                    surface: surface.value(i).to_string(),
                    matched: matched.is_valid(i).then(|| matched.value(i).to_string()),
                    cuis: Vec::new(),
                })
                .cuis
                .push(cui.value(i).to_string());
        }
    }
    Ok(items_from(
        found.into_values(),
        &trained,
        index,
        holdout.seed,
        max,
        seed,
    ))
}

/// The items of held-out mention `occurrences` (one per mention, with all its candidate
/// concepts), given the raw surfaces of the training mentions; the split is drawn with
/// `split_seed`, the sample down to `max` with `seed`.
fn items_from(
    occurrences: impl IntoIterator<Item = Occurrence>,
    trained: &HashSet<String>,
    index: &NameIndex,
    split_seed: u64,
    max: usize,
    seed: u64,
) -> (Vec<EvalItem>, ItemStats) {
    // Training surfaces by their normalised key (normalised once per distinct string).
    let trained: HashSet<String> = trained.iter().map(|s| surface_key(s)).collect();
    let mut stats = ItemStats::default();
    let mut surfaces: BTreeMap<String, Surface> = BTreeMap::new();
    for occurrence in occurrences {
        stats.mentions += 1;
        let mut gold: Vec<u32> = occurrence
            .cuis
            .iter()
            .filter_map(|c| index.concept(c))
            .collect();
        if gold.is_empty() {
            stats.without_indexed_gold += 1;
            continue;
        }
        let entry = surfaces
            .entry(surface_key(&occurrence.surface))
            .or_insert_with(|| Surface {
                first_pmid: occurrence.pmid,
                first: occurrence.at.clone(),
                surface: occurrence.surface.clone(),
                matched: occurrence.matched.clone(),
                gold: Vec::new(),
                occurrences: 0,
            });
        if occurrence.pmid < entry.first_pmid {
            entry.first_pmid = occurrence.pmid;
            entry.first = occurrence.at;
            entry.surface = occurrence.surface;
            entry.matched = occurrence.matched;
        }
        entry.occurrences += 1;
        entry.gold.append(&mut gold);
    }
    stats.surfaces = surfaces.len() as u64;

    let mut items = Vec::new();
    for (key, mut s) in surfaces {
        s.gold.sort_unstable();
        s.gold.dedup();
        if s.gold.len() != 1 {
            stats.ambiguous += 1;
            continue;
        }
        let gold = s.gold[0];
        let excluded = index.names_with_form_of(s.matched.as_deref().unwrap_or(&s.surface));
        let findable = index
            .names_of(gold)
            .any(|name| excluded.binary_search(&(name as u32)).is_err());
        if !findable {
            stats.unfindable += 1;
            continue;
        }
        items.push(EvalItem {
            unseen: !trained.contains(&key),
            split: Split::of(split_seed, s.first_pmid),
            query: EvalMention {
                surface: s.surface,
                gold: vec![gold],
                excluded,
            },
            key,
            occurrences: s.occurrences,
            first: s.first,
        });
    }
    if items.len() > max {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut keep: Vec<usize> = index::sample(&mut rng, items.len(), max).into_vec();
        keep.sort_unstable();
        stats.sampled_out = (items.len() - max) as u64;
        let mut keep = keep.into_iter().peekable();
        items = items
            .into_iter()
            .enumerate()
            .filter_map(|(i, item)| keep.next_if_eq(&i).map(|_| item))
            .collect();
    }
    items.sort_by(|a, b| (a.split, &a.key).cmp(&(b.split, &b.key)));
    stats.items = items.len() as u64;
    (items, stats)
}

/// Each item's first mention in its tokenised sentence, from the `samples` table; `None`
/// where the sample has no such mention (cut by the sample's truncation).
pub fn in_sentences(samples: &Table, items: &[EvalItem]) -> Result<Vec<Option<InSentence>>> {
    type SentenceKey = (String, i64, i32);
    let mut wanted: HashMap<SentenceKey, Vec<usize>> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let at = &item.first;
        wanted
            .entry((at.file.clone(), at.article, at.sentence))
            .or_default()
            .push(i);
    }
    let mut out = vec![None; items.len()];
    let columns = [
        "source_file",
        "article_index",
        "sentence_index",
        "input_ids",
        "mentions",
    ];
    for batch in samples.scan_columns(&columns)? {
        let batch = batch?;
        let file = batch.column(0).as_string::<i32>();
        let article = batch.column(1).as_primitive::<Int64Type>();
        let sentence = batch.column(2).as_primitive::<Int32Type>();
        let ids = column::<ListArray>(&batch, "input_ids")?;
        let mentions = column::<ListArray>(&batch, "mentions")?;
        let spans: &StructArray = mentions.values().as_struct();
        let field = |name: &str| {
            spans
                .column_by_name(name)
                .map(|c| c.as_primitive::<Int32Type>())
                .ok_or_else(|| BaliError::Internal(format!("samples mentions lack {name}")))
        };
        let (token_start, token_end, start, end) = (
            field("token_start")?,
            field("token_end")?,
            field("start")?,
            field("end")?,
        );
        for row in 0..batch.num_rows() {
            let key = (
                file.value(row).to_string(),
                article.value(row),
                sentence.value(row),
            );
            let Some(wanting) = wanted.get(&key) else {
                continue;
            };
            let tokens: Vec<u32> = ids
                .value(row)
                .as_primitive::<Int32Type>()
                .values()
                .iter()
                .map(|&v| v as u32)
                .collect();
            let offsets = mentions.value_offsets();
            for m in offsets[row] as usize..offsets[row + 1] as usize {
                for &i in wanting {
                    let at = &items[i].first;
                    if (start.value(m), end.value(m)) != (at.start, at.end) {
                        continue;
                    }
                    let (a, b) = (token_start.value(m), token_end.value(m));
                    if a < 0 || b as usize > tokens.len() || a >= b {
                        return Err(BaliError::Internal(format!(
                            "sample of {} record {} sentence {} has a mention span {a}..{b} outside its {} tokens",
                            at.file,
                            at.article,
                            at.sentence,
                            tokens.len()
                        )));
                    }
                    out[i] = Some(InSentence {
                        ids: tokens.clone(),
                        start: a as usize,
                        end: b as usize,
                    });
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> NameIndex {
        let pairs = [
            ("A", "heart attack"),
            ("A", "myocardial infarction"),
            ("B", "fever"),
            ("D", "acute nasopharyngitis"),
            ("E", "chills"),
        ];
        NameIndex::from_pairs(
            pairs
                .iter()
                .map(|(c, n)| (c.to_string(), n.to_string()))
                .collect(),
        )
    }

    fn occurrence(pmid: i64, surface: &str, cuis: &[&str]) -> Occurrence {
        Occurrence {
            pmid,
            at: MentionAt {
                article: pmid,
                ..MentionAt::default()
            },
            surface: surface.into(),
            matched: Some(surface.to_lowercase()),
            cuis: cuis.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn items_are_distinct_findable_unambiguous_pairs() {
        let index = index();
        let occurrences = vec![
            // One item, seen twice (case and spacing differ); its first article is PMID 10.
            occurrence(11, "heart  attack", &["A"]),
            occurrence(10, "Heart attack", &["A"]),
            // B's only name is the surface itself: unfindable.
            occurrence(12, "fever", &["B"]),
            // Linked to two concepts: ambiguous.
            occurrence(13, "cold", &["D", "E"]),
            // Not in the index.
            occurrence(14, "pyrexia", &["X"]),
            // Seen in training (under another case): not unseen.
            occurrence(15, "myocardial infarction", &["A"]),
        ];
        let trained: HashSet<String> = ["Myocardial Infarction".to_string()].into();
        let (items, stats) = items_from(occurrences, &trained, &index, 3, usize::MAX, 0);
        assert_eq!(
            stats,
            ItemStats {
                mentions: 6,
                without_indexed_gold: 1,
                surfaces: 4,
                ambiguous: 1,
                unfindable: 1,
                sampled_out: 0,
                items: 2,
            }
        );
        let by_key: HashMap<&str, &EvalItem> = items.iter().map(|i| (i.key.as_str(), i)).collect();
        let heart = by_key["heart attack"];
        assert_eq!(heart.occurrences, 2);
        assert_eq!(heart.query.surface, "Heart attack");
        assert_eq!(heart.query.gold, [0]);
        // Its own synonym is left out of the index, the other name of A stays.
        assert_eq!(heart.query.excluded, [0]);
        assert!(heart.unseen);
        assert_eq!(heart.split, Split::of(3, 10));
        assert!(!by_key["myocardial infarction"].unseen);
        // The same string linked to different concepts in different mentions is ambiguous too.
        let (items, stats) = items_from(
            vec![
                occurrence(1, "heart attack", &["A"]),
                occurrence(2, "heart attack", &["E"]),
            ],
            &HashSet::new(),
            &index,
            3,
            usize::MAX,
            0,
        );
        assert!(items.is_empty());
        assert_eq!(stats.ambiguous, 1);
    }

    #[test]
    fn the_split_is_seeded_and_roughly_even() {
        let dev = (0..10_000)
            .filter(|&p| Split::of(5, p) == Split::Dev)
            .count();
        assert!((4_700..5_300).contains(&dev), "{dev}");
        let moved = (0..10_000)
            .filter(|&p| Split::of(5, p) != Split::of(6, p))
            .count();
        assert!(moved > 4_000, "{moved}");
    }

    #[test]
    fn sampling_down_is_seeded() {
        let index = index();
        let many: Vec<Occurrence> = (0..50)
            .map(|i| occurrence(i, &format!("heart attack type {i}"), &["A"]))
            .collect();
        let again: Vec<Occurrence> = (0..50)
            .map(|i| occurrence(i, &format!("heart attack type {i}"), &["A"]))
            .collect();
        let (a, stats) = items_from(many, &HashSet::new(), &index, 1, 20, 9);
        let (b, _) = items_from(again, &HashSet::new(), &index, 1, 20, 9);
        assert_eq!((a.len(), stats.sampled_out), (20, 30));
        assert_eq!(a, b);
    }
}
