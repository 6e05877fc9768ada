//! The text the linker is timed on: the sentences of a real PubMed file, made by the pipeline's
//! own reader and splitter, and the timing of our linker over them.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::AtomicU64;

use arrow::array::{Array, RecordBatch, StringArray};
use serde::Serialize;

use super::python::mention_keys;
use crate::process::Stopwatch;
use bali::error::Result;
use bali::sources::pubmed::{read_pubmed, PubmedReadOptions};
use bali::stages::link::{link_sentences, LinkOptions, Matcher};
use bali::stages::sentences::{split_articles, SentencesOptions};
use bali::tables::columns::column;
use bali::tables::TableType;

/// The sentences of one PubMed file.
#[derive(Debug, Clone)]
pub struct Sentences {
    /// `sentences` batches, as the `sentences` stage with default options makes them.
    pub batches: Vec<RecordBatch>,
    /// Articles with an abstract (the unit of the abstracts/s figures).
    pub abstracts: usize,
}

impl Sentences {
    /// Reads `path` with the `pubmed` source's reader and splits titles and abstracts with the
    /// `sentences` stage's splitter and defaults.
    pub fn read(path: &Path) -> Result<Sentences> {
        let options = SentencesOptions::default();
        let splitter = options.splitter();
        let mut batches = Vec::new();
        let mut abstracts = 0;
        read_pubmed(
            path,
            &PubmedReadOptions::default(),
            &AtomicU64::new(0),
            &mut |table, batch| {
                if table == TableType::Articles {
                    let text = column::<StringArray>(&batch, "abstract")?;
                    abstracts += text.len() - text.null_count();
                    batches.push(split_articles(&batch, &splitter, options.include_titles)?);
                }
                Ok(())
            },
        )?;
        Ok(Sentences { batches, abstracts })
    }

    /// Sentences in all batches.
    pub fn count(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// UTF-8 bytes of sentence text.
    pub fn bytes(&self) -> Result<usize> {
        self.batches
            .iter()
            .map(|b| column::<StringArray>(b, "text").map(|t| t.value_data().len()))
            .sum()
    }
}

/// Our linker's time over the sentences.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LinkTiming {
    /// Wall seconds.
    pub seconds: f64,
    /// CPU seconds of all threads.
    pub cpu_seconds: Option<f64>,
    /// UTF-8 bytes of sentence text.
    pub bytes: usize,
    /// Mentions found (distinct spans).
    pub mentions: usize,
}

impl LinkTiming {
    /// Megabytes (10^6) of sentence text per wall second.
    pub fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.seconds
    }
}

/// Links every batch with `matcher` (rayon across sentences, all threads), timing the calls;
/// returns the timing and the `mentions` batches.
pub fn time_linking(
    matcher: &Matcher,
    sentences: &Sentences,
) -> Result<(LinkTiming, Vec<RecordBatch>)> {
    let options = LinkOptions::default();
    let bytes = sentences.bytes()?;
    let watch = Stopwatch::start();
    let out: Vec<RecordBatch> = sentences
        .batches
        .iter()
        .map(|b| link_sentences(matcher, b, &options))
        .collect::<Result<_>>()?;
    let timing = watch.stop();
    let mut spans = HashSet::new();
    for batch in &out {
        spans.extend(mention_keys(batch)?.into_iter().map(|k| (k.0, k.1, k.2)));
    }
    Ok((
        LinkTiming {
            seconds: timing.wall,
            cpu_seconds: timing.cpu,
            bytes,
            mentions: spans.len(),
        },
        out,
    ))
}
