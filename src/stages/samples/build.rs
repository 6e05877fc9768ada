//! Sentences and mentions to `samples` batches.
//!
//! One sample per sentence with at least one linked mention that survives alignment and
//! truncation (BALI drops sentences without a linked concept). Sentences are tokenised in
//! parallel with rayon; the output keeps the sentences' order.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray, StructArray};
use arrow::datatypes::DataType;
use rayon::prelude::*;
use tracing::debug;

use super::align::{align_mentions, truncation_point};
use super::tokenizer::Tokenizer;
use super::{AmbiguousMentions, SamplesOptions, Truncation};
use crate::error::{BaliError, Position, Result};
use crate::tables::columns::{column, list_array, list_item};
use crate::tables::samples;

/// A sentence's key: (pmid, version, sentence_index).
type SentenceKey = (i64, i32, i32);

/// One mention with all its candidate concepts.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mention {
    /// Code-point span in the sentence.
    span: Range<usize>,
    /// Candidate concepts, sorted, distinct.
    cuis: Vec<String>,
}

/// The mentions of a partition grouped by sentence, ready for [`build_samples`].
#[derive(Debug, Clone, Default)]
pub struct SentenceMentions {
    by_sentence: HashMap<SentenceKey, Vec<Mention>>,
}

impl SentenceMentions {
    /// Groups `mentions` rows (one per mention and candidate) into mentions per sentence.
    pub fn from_batches<'a>(batches: impl IntoIterator<Item = &'a RecordBatch>) -> Result<Self> {
        // (sentence, mention_index) -> mention, then ordered by mention index.
        let mut grouped: HashMap<SentenceKey, HashMap<i32, Mention>> = HashMap::new();
        for batch in batches {
            let pmid = column::<Int64Array>(batch, "pmid")?;
            let version = column::<Int32Array>(batch, "version")?;
            let sentence = column::<Int32Array>(batch, "sentence_index")?;
            let index = column::<Int32Array>(batch, "mention_index")?;
            let start = column::<Int32Array>(batch, "start")?;
            let end = column::<Int32Array>(batch, "end")?;
            let cui = column::<StringArray>(batch, "cui")?;
            let file = column::<StringArray>(batch, "source_file")?;
            let record = column::<Int64Array>(batch, "article_index")?;
            for row in 0..batch.num_rows() {
                let (s, e) = (start.value(row), end.value(row));
                if s < 0 || e <= s {
                    return Err(BaliError::bad_input(
                        file.value(row),
                        Position::Record(record.value(row).max(0) as u64),
                        format!(
                            "mention {} of PMID {} sentence {} has the span [{s}, {e})",
                            index.value(row),
                            pmid.value(row),
                            sentence.value(row)
                        ),
                    ));
                }
                let key = (pmid.value(row), version.value(row), sentence.value(row));
                let mention = grouped
                    .entry(key)
                    .or_default()
                    .entry(index.value(row))
                    .or_insert_with(|| Mention {
                        span: s as usize..e as usize,
                        cuis: Vec::new(),
                    });
                mention.cuis.push(cui.value(row).to_string());
            }
        }
        let by_sentence = grouped
            .into_iter()
            .map(|(key, mentions)| {
                let mut mentions: Vec<(i32, Mention)> = mentions.into_iter().collect();
                mentions.sort_unstable_by_key(|(i, _)| *i);
                let mentions = mentions
                    .into_iter()
                    .map(|(_, mut m)| {
                        m.cuis.sort_unstable();
                        m.cuis.dedup();
                        m
                    })
                    .collect();
                (key, mentions)
            })
            .collect();
        Ok(SentenceMentions { by_sentence })
    }

    /// Number of sentences with at least one mention.
    pub fn sentence_count(&self) -> usize {
        self.by_sentence.len()
    }
}

/// Counts of what a build did with its sentences and mentions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SampleStats {
    /// Sentences read.
    pub sentences: u64,
    /// Samples written.
    pub samples: u64,
    /// Sentences without any mention.
    pub without_mentions: u64,
    /// Sentences dropped because none of their mentions survived alignment and truncation.
    pub without_kept_mentions: u64,
    /// Sentences dropped for being too long (truncation: skip_sentence).
    pub too_long: u64,
    /// Mentions read.
    pub mentions: u64,
    /// Mentions written.
    pub kept_mentions: u64,
    /// Mentions whose span cuts a word or holds none.
    pub misaligned: u64,
    /// Mentions dropped because truncation would have cut them.
    pub truncated: u64,
    /// Mentions dropped for being linked to several concepts (ambiguous: drop).
    pub ambiguous: u64,
}

impl SampleStats {
    /// Adds the counts of another batch.
    pub(crate) fn add(&mut self, o: &SampleStats) {
        self.sentences += o.sentences;
        self.samples += o.samples;
        self.without_mentions += o.without_mentions;
        self.without_kept_mentions += o.without_kept_mentions;
        self.too_long += o.too_long;
        self.mentions += o.mentions;
        self.kept_mentions += o.kept_mentions;
        self.misaligned += o.misaligned;
        self.truncated += o.truncated;
        self.ambiguous += o.ambiguous;
    }
}

/// A `samples` batch and its counts.
#[derive(Debug, Clone)]
pub struct SamplesOutput {
    /// The batch (`samples` schema); may have no rows.
    pub batch: RecordBatch,
    /// Counts.
    pub stats: SampleStats,
}

/// One sample before it becomes a row.
struct Sample<'m> {
    row: usize,
    input_ids: Vec<i32>,
    offsets: Vec<i32>,
    /// (token span, mention).
    mentions: Vec<(Range<usize>, &'m Mention)>,
}

/// Builds the samples of one `sentences` batch, with the mentions of the same partition.
pub fn build_samples(
    sentences: &RecordBatch,
    mentions: &SentenceMentions,
    tokenizer: &Tokenizer,
    options: &SamplesOptions,
) -> Result<SamplesOutput> {
    options.validate()?;
    let pmid = column::<Int64Array>(sentences, "pmid")?;
    let version = column::<Int32Array>(sentences, "version")?;
    let sentence_index = column::<Int32Array>(sentences, "sentence_index")?;
    let text = column::<StringArray>(sentences, "text")?;
    let source_file = column::<StringArray>(sentences, "source_file")?;
    let article_index = column::<Int64Array>(sentences, "article_index")?;

    let results: Vec<(Option<Sample>, SampleStats)> = (0..sentences.num_rows())
        .into_par_iter()
        .map(|row| {
            let key = (
                pmid.value(row),
                version.value(row),
                sentence_index.value(row),
            );
            let found = mentions
                .by_sentence
                .get(&key)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            sample(row, text.value(row), found, tokenizer, options).map_err(|e| match e {
                BaliError::BadInput { reason, .. } => BaliError::bad_input(
                    source_file.value(row),
                    Position::Record(article_index.value(row).max(0) as u64),
                    format!("PMID {} sentence {}: {reason}", key.0, key.2),
                ),
                other => other,
            })
        })
        .collect::<Result<_>>()?;

    let mut stats = SampleStats::default();
    let mut kept = Vec::new();
    for (s, st) in results {
        stats.add(&st);
        kept.extend(s);
    }
    debug!(?stats, "built samples");
    let batch = samples_batch(
        &kept,
        pmid,
        version,
        sentence_index,
        source_file,
        article_index,
    )?;
    Ok(SamplesOutput { batch, stats })
}

/// The sample of one sentence, or `None` with the reason counted.
fn sample<'m>(
    row: usize,
    text: &str,
    mentions: &'m [Mention],
    tokenizer: &Tokenizer,
    options: &SamplesOptions,
) -> Result<(Option<Sample<'m>>, SampleStats)> {
    let mut stats = SampleStats {
        sentences: 1,
        mentions: mentions.len() as u64,
        ..SampleStats::default()
    };
    if mentions.is_empty() {
        stats.without_mentions = 1;
        return Ok((None, stats));
    }
    let chars = text.chars().count();
    if let Some(m) = mentions.iter().find(|m| m.span.end > chars) {
        return Err(BaliError::bad_input(
            "",
            Position::Record(0),
            format!(
                "mention [{}, {}) lies beyond the sentence's {chars} characters",
                m.span.start, m.span.end
            ),
        ));
    }
    let usable: Vec<&Mention> = mentions
        .iter()
        .filter(|m| {
            let drop = options.ambiguous == AmbiguousMentions::Drop && m.cuis.len() > 1;
            stats.ambiguous += u64::from(drop);
            !drop
        })
        .collect();

    let plain = tokenizer.encode_plain(text)?;
    let spans: Vec<Range<usize>> = usable.iter().map(|m| m.span.clone()).collect();
    let mut aligned: Vec<(Range<usize>, &Mention)> = Vec::with_capacity(usable.len());
    for (tokens, m) in align_mentions(&plain, &spans).into_iter().zip(usable) {
        match tokens {
            Some(t) => aligned.push((t, m)),
            None => stats.misaligned += 1,
        }
    }

    let budget = options.max_length.saturating_sub(tokenizer.special_count());
    if plain.len() > budget && options.truncation == Truncation::SkipSentence {
        stats.too_long = 1;
        return Ok((None, stats));
    }
    let token_spans: Vec<Range<usize>> = aligned.iter().map(|(t, _)| t.clone()).collect();
    let cut = truncation_point(&plain, &token_spans, budget);
    let before = aligned.len();
    aligned.retain(|(t, _)| t.end <= cut);
    stats.truncated = (before - aligned.len()) as u64;
    if aligned.is_empty() {
        stats.without_kept_mentions = 1;
        return Ok((None, stats));
    }
    stats.kept_mentions = aligned.len() as u64;
    stats.samples = 1;

    let full = tokenizer.finish(plain, cut)?;
    // Plain token j sits after the leading special tokens.
    let lead = full
        .get_special_tokens_mask()
        .iter()
        .take_while(|&&m| m == 1)
        .count();
    let offsets = full
        .get_offsets()
        .iter()
        .zip(full.get_special_tokens_mask())
        .map(|(&(s, _), &special)| if special == 1 { -1 } else { s as i32 })
        .collect();
    let input_ids = full.get_ids().iter().map(|&i| i as i32).collect();
    let mentions = aligned
        .into_iter()
        .map(|(t, m)| (t.start + lead..t.end + lead, m))
        .collect();
    Ok((
        Some(Sample {
            row,
            input_ids,
            offsets,
            mentions,
        }),
        stats,
    ))
}

/// Builds the `samples` batch of the kept samples, provenance taken from the sentences.
fn samples_batch(
    kept: &[Sample],
    pmid: &Int64Array,
    version: &Int32Array,
    sentence_index: &Int32Array,
    source_file: &StringArray,
    article_index: &Int64Array,
) -> Result<RecordBatch> {
    let schema = samples::schema();
    let rows: Vec<usize> = kept.iter().map(|s| s.row).collect();
    let take_i64 = |a: &Int64Array| Int64Array::from_iter_values(rows.iter().map(|&r| a.value(r)));
    let take_i32 = |a: &Int32Array| Int32Array::from_iter_values(rows.iter().map(|&r| a.value(r)));

    let ids = Int32Array::from_iter_values(kept.iter().flat_map(|s| s.input_ids.iter().copied()));
    let offsets = Int32Array::from_iter_values(kept.iter().flat_map(|s| s.offsets.iter().copied()));
    let all: Vec<&(Range<usize>, &Mention)> = kept.iter().flat_map(|s| &s.mentions).collect();
    let mention_fields = match list_item(&schema, "mentions")?.data_type() {
        DataType::Struct(fields) => fields.clone(),
        other => {
            return Err(BaliError::Internal(format!(
                "samples.mentions items are {other}"
            )))
        }
    };
    let cuis_schema = Arc::new(arrow::datatypes::Schema::new(vec![mention_fields[4]
        .as_ref()
        .clone()]));
    let mentions = StructArray::try_new(
        mention_fields.clone(),
        vec![
            Arc::new(Int32Array::from_iter_values(
                all.iter().map(|(t, _)| t.start as i32),
            )) as ArrayRef,
            Arc::new(Int32Array::from_iter_values(
                all.iter().map(|(t, _)| t.end as i32),
            )),
            Arc::new(Int32Array::from_iter_values(
                all.iter().map(|(_, m)| m.span.start as i32),
            )),
            Arc::new(Int32Array::from_iter_values(
                all.iter().map(|(_, m)| m.span.end as i32),
            )),
            list_array(
                &cuis_schema,
                "cuis",
                all.iter().map(|(_, m)| m.cuis.len()),
                Arc::new(StringArray::from(
                    all.iter()
                        .flat_map(|(_, m)| m.cuis.iter().map(String::as_str))
                        .collect::<Vec<_>>(),
                )),
            )?,
        ],
        None,
    )?;

    Ok(RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(take_i64(pmid)),
            Arc::new(take_i32(version)),
            Arc::new(take_i32(sentence_index)),
            list_array(
                &schema,
                "input_ids",
                kept.iter().map(|s| s.input_ids.len()),
                Arc::new(ids),
            )?,
            list_array(
                &schema,
                "offsets",
                kept.iter().map(|s| s.offsets.len()),
                Arc::new(offsets),
            )?,
            list_array(
                &schema,
                "mentions",
                kept.iter().map(|s| s.mentions.len()),
                Arc::new(mentions),
            )?,
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|&r| source_file.value(r)),
            )),
            Arc::new(take_i64(article_index)),
        ],
    )?)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::HashMap;

    use arrow::array::{AsArray, ListArray};
    use arrow::datatypes::Int32Type;

    use super::*;
    use crate::stages::samples::tokenizer::load_tokenizer;
    use crate::tables::{mentions, sentences};
    use crate::testutil::shared;

    /// (pmid, sentence_index, mention_index, start, end, cui).
    pub(crate) type MentionRow<'a> = (i64, i32, i32, i32, i32, &'a str);

    /// A `mentions` batch of [`MentionRow`]s.
    pub(crate) fn mentions_batch(rows: &[MentionRow]) -> RecordBatch {
        let n = rows.len();
        let i32s = |f: fn(&MentionRow) -> i32| {
            Arc::new(Int32Array::from_iter_values(rows.iter().map(f))) as ArrayRef
        };
        let strs = |s: &str| {
            Arc::new(StringArray::from_iter_values(std::iter::repeat_n(s, n))) as ArrayRef
        };
        RecordBatch::try_new(
            mentions::schema(),
            vec![
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))),
                Arc::new(Int32Array::from_iter_values(std::iter::repeat_n(1, n))),
                i32s(|r| r.1),
                strs("abstract"),
                i32s(|r| r.2),
                i32s(|r| r.3),
                i32s(|r| r.4),
                i32s(|r| r.3),
                i32s(|r| r.4),
                strs("surface"),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.5))),
                Arc::new(Int32Array::from_iter_values(std::iter::repeat_n(1, n))),
                Arc::new(StringArray::new_null(n)),
                strs("dictionary"),
                strs("test.xml"),
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))),
            ],
        )
        .unwrap()
    }

    /// A `sentences` batch of (pmid, sentence_index, text) rows.
    pub(crate) fn sentences_batch(rows: &[(i64, i32, &str)]) -> RecordBatch {
        let n = rows.len();
        RecordBatch::try_new(
            sentences::schema(),
            vec![
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))),
                Arc::new(Int32Array::from_iter_values(std::iter::repeat_n(1, n))),
                Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.1))),
                Arc::new(StringArray::from_iter_values(std::iter::repeat_n(
                    "abstract", n,
                ))),
                Arc::new(Int32Array::from_iter_values(std::iter::repeat_n(0, n))),
                Arc::new(Int32Array::from_iter_values(
                    rows.iter().map(|r| r.2.chars().count() as i32),
                )),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.2))),
                Arc::new(StringArray::from_iter_values(std::iter::repeat_n(
                    "test.xml", n,
                ))),
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))),
            ],
        )
        .unwrap()
    }

    fn ints(list: &ListArray, row: usize) -> Vec<i32> {
        list.value(row)
            .as_primitive::<Int32Type>()
            .values()
            .to_vec()
    }

    #[test]
    fn samples_keep_linked_sentences_with_mention_spans_and_all_candidates() {
        let Some(dir) = shared("models/all-minilm-l6-v2") else {
            return;
        };
        let tok = load_tokenizer(dir).unwrap();
        let text = "Insulin resistance precedes type 2 diabetes.";
        let sentences = sentences_batch(&[
            (7, 0, text),
            (7, 1, "No concept here."),
            (8, 0, "Fever and cough."),
        ]);
        let mentions = SentenceMentions::from_batches([&mentions_batch(&[
            (7, 0, 1, 28, 43, "C0011860"),
            (7, 0, 0, 0, 18, "C0021655"),
            (7, 0, 1, 28, 43, "C0011849"),
            (8, 0, 0, 4, 8, "C9"), // "r an": cuts two words
        ])])
        .unwrap();
        let out =
            build_samples(&sentences, &mentions, &tok, &SamplesOptions::new("unused")).unwrap();
        assert_eq!(out.batch.schema(), samples::schema());
        assert_eq!(out.batch.num_rows(), 1);
        let s = out.stats;
        assert_eq!(
            (
                s.sentences,
                s.samples,
                s.without_mentions,
                s.without_kept_mentions
            ),
            (3, 1, 1, 1)
        );
        assert_eq!((s.mentions, s.kept_mentions, s.misaligned), (3, 2, 1));

        let ids = ints(out.batch.column(3).as_list::<i32>(), 0);
        assert_eq!((ids[0], *ids.last().unwrap()), (101, 102));
        let offsets = ints(out.batch.column(4).as_list::<i32>(), 0);
        assert_eq!(
            (offsets[0], offsets[1], *offsets.last().unwrap()),
            (-1, 0, -1)
        );
        let m = out.batch.column(5).as_list::<i32>().value(0);
        let m = m.as_struct();
        let col = |i: usize| m.column(i).as_primitive::<Int32Type>().values().to_vec();
        assert_eq!(col(2), [0, 28]);
        assert_eq!(col(3), [18, 43]);
        let u = |r: Range<i32>| {
            ids[r.start as usize..r.end as usize]
                .iter()
                .map(|&i| i as u32)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            tok.decode(&u(col(0)[0]..col(1)[0])).unwrap(),
            "insulin resistance"
        );
        assert_eq!(
            tok.decode(&u(col(0)[1]..col(1)[1])).unwrap(),
            "type 2 diabetes"
        );
        let cuis = m.column(4).as_list::<i32>();
        let second = cuis.value(1);
        let second: Vec<&str> = second
            .as_string::<i32>()
            .iter()
            .map(|c| c.unwrap())
            .collect();
        assert_eq!(second, ["C0011849", "C0011860"]);

        let drop = SamplesOptions {
            ambiguous: AmbiguousMentions::Drop,
            ..SamplesOptions::new("unused")
        };
        let out = build_samples(&sentences, &mentions, &tok, &drop).unwrap();
        assert_eq!((out.stats.ambiguous, out.stats.kept_mentions), (1, 1));
    }

    #[test]
    fn long_sentences_are_cut_before_the_mention_that_would_be_split() {
        let Some(dir) = shared("models/all-minilm-l6-v2") else {
            return;
        };
        let tok = load_tokenizer(dir).unwrap();
        // 10 one-token words, a two-word mention at words 5-6, then more words.
        let text = "w0 w1 w2 w3 w4 heart failure w7 w8 w9";
        let words: Vec<&str> = text.split(' ').collect();
        assert!(words
            .iter()
            .all(|w| tok.encode_plain(w).unwrap().len() <= 2));
        let start = text.find("heart").unwrap() as i32;
        let mentions = SentenceMentions::from_batches([&mentions_batch(&[
            (1, 0, 0, 0, 2, "C0"),
            (1, 0, 1, start, start + 13, "C1"),
        ])])
        .unwrap();
        let sentences = sentences_batch(&[(1, 0, text)]);
        let plain = tok.encode_plain(text).unwrap();
        let heart = plain
            .get_tokens()
            .iter()
            .position(|t| t == "heart")
            .unwrap();
        // Room for the tokens up to and including "heart" only: the mention goes, and so do
        // its tokens.
        let options = SamplesOptions {
            max_length: heart + 1 + 2,
            ..SamplesOptions::new("unused")
        };
        let out = build_samples(&sentences, &mentions, &tok, &options).unwrap();
        assert_eq!((out.stats.truncated, out.stats.kept_mentions), (1, 1));
        let ids = ints(out.batch.column(3).as_list::<i32>(), 0);
        assert_eq!(ids.len(), heart + 2);
        assert!(ids.len() <= options.max_length);
        let body: Vec<u32> = ids.iter().map(|&i| i as u32).collect();
        assert!(!tok.decode(&body).unwrap().contains("heart"));

        let skip = SamplesOptions {
            truncation: Truncation::SkipSentence,
            ..options
        };
        let out = build_samples(&sentences, &mentions, &tok, &skip).unwrap();
        assert_eq!((out.batch.num_rows(), out.stats.too_long), (0, 1));
    }

    #[test]
    fn a_mention_beyond_its_sentence_is_bad_input_naming_the_record() {
        let Some(dir) = shared("models/all-minilm-l6-v2") else {
            return;
        };
        let tok = load_tokenizer(dir).unwrap();
        let sentences = sentences_batch(&[(5, 0, "Short.")]);
        let mentions =
            SentenceMentions::from_batches([&mentions_batch(&[(5, 0, 0, 2, 40, "C1")])]).unwrap();
        let err =
            build_samples(&sentences, &mentions, &tok, &SamplesOptions::new("unused")).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("test.xml: record 5: PMID 5 sentence 0: mention [2, 40)"),
            "{msg}"
        );
    }

    /// Real abstracts split by the `sentences` splitter, HPO names found by the `link` linker, the
    /// real MiniLM tokenizer: every kept mention's
    /// tokens decode to its surface text (modulo case, accents and whitespace, which the uncased
    /// model's normaliser removes), no sample exceeds 128
    /// tokens, and every token offset points at the token's text in the sentence.
    #[test]
    fn every_mention_of_real_abstracts_decodes_to_its_surface_text() {
        let (Some(pubmed), Some(obo), Some(model)) = (
            shared("data/pubmed/pubmed20n0014.xml.gz"),
            shared("data/ontologies/hp.obo"),
            shared("models/all-minilm-l6-v2"),
        ) else {
            return;
        };
        use crate::stages::dictionary::{DictionaryBuilder, DictionaryOptions};
        use crate::stages::link::{link_sentences, LinkOptions};
        use crate::stages::sentences::{split_articles, SentencesOptions};
        let tok = load_tokenizer(model).unwrap();
        let articles = crate::testutil::pubmed_articles(&pubmed);
        let sentences =
            split_articles(&articles, &SentencesOptions::default().splitter(), true).unwrap();
        let mut dictionary = DictionaryBuilder::new(DictionaryOptions::default());
        dictionary
            .push_concepts(&crate::testutil::obo_concepts(&obo))
            .unwrap();
        let matcher = dictionary.finish().unwrap().matcher;
        let mention_rows = link_sentences(&matcher, &sentences, &LinkOptions::default()).unwrap();
        let grouped = SentenceMentions::from_batches([&mention_rows]).unwrap();
        let options = SamplesOptions::new("unused");
        let out = build_samples(&sentences, &grouped, &tok, &options).unwrap();
        let s = out.stats;
        eprintln!("{s:?}");
        assert!(
            sentences.num_rows() > 10_000,
            "{} sentences",
            sentences.num_rows()
        );
        assert!(s.samples > 1_000 && s.kept_mentions > 2_000, "{s:?}");
        // The linker matches whole words, so its mentions align; one cutting a word the BERT
        // pre-tokeniser splits differently would be counted here, not hidden.
        assert!(s.misaligned * 100 <= s.mentions, "{s:?}");
        assert!(
            s.truncated > 0,
            "long sentences exist in real abstracts: {s:?}"
        );

        // Modulo case, accents and whitespace: what the uncased model's normaliser removes.
        let norm = |t: &str| {
            use tokenizers::{NormalizedString, Normalizer};
            let mut n = NormalizedString::from(t);
            tok.inner()
                .get_normalizer()
                .unwrap()
                .normalize(&mut n)
                .unwrap();
            n.get()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
        };
        let text = sentences.column_by_name("text").unwrap().as_string::<i32>();
        let key: HashMap<(i64, i32), usize> = (0..sentences.num_rows())
            .map(|r| {
                let p = sentences
                    .column(0)
                    .as_primitive::<arrow::datatypes::Int64Type>()
                    .value(r);
                let i = sentences.column(2).as_primitive::<Int32Type>().value(r);
                ((p, i), r)
            })
            .collect();
        let b = &out.batch;
        let (pmids, idx) = (
            b.column(0).as_primitive::<arrow::datatypes::Int64Type>(),
            b.column(2).as_primitive::<Int32Type>(),
        );
        let (ids, offsets, mentions) = (
            b.column(3).as_list::<i32>(),
            b.column(4).as_list::<i32>(),
            b.column(5).as_list::<i32>(),
        );
        let mut checked = 0;
        for row in 0..b.num_rows() {
            let chars: Vec<char> = text
                .value(key[&(pmids.value(row), idx.value(row))])
                .chars()
                .collect();
            let ids: Vec<u32> = ints(ids, row).into_iter().map(|i| i as u32).collect();
            let offsets = ints(offsets, row);
            assert!(ids.len() <= 128);
            for (&id, &o) in ids.iter().zip(&offsets) {
                if o < 0 {
                    continue;
                }
                // The token's text (without "##") starts at its offset, modulo case/accents.
                let piece = tok.inner().id_to_token(id).unwrap();
                let piece = piece.trim_start_matches("##");
                if piece != "[UNK]" {
                    let first = piece.chars().next().unwrap();
                    let at = chars[o as usize].to_lowercase().next().unwrap();
                    assert!(
                        at == first || !at.is_ascii(),
                        "token {piece} at {o} of {chars:?}"
                    );
                }
            }
            let m = mentions.value(row);
            let m = m.as_struct();
            let col = |i: usize| m.column(i).as_primitive::<Int32Type>().values().to_vec();
            let (ts, te, cs, ce) = (col(0), col(1), col(2), col(3));
            for k in 0..ts.len() {
                let decoded = tok.decode(&ids[ts[k] as usize..te[k] as usize]).unwrap();
                let surface: String = chars[cs[k] as usize..ce[k] as usize].iter().collect();
                assert_eq!(
                    norm(&decoded),
                    norm(&surface),
                    "PMID {} sentence {}",
                    pmids.value(row),
                    idx.value(row)
                );
                checked += 1;
            }
        }
        assert_eq!(checked as u64, s.kept_mentions);
    }
}
