//! The dictionary at UMLS scale: a synthetic MRCONSO streamed into the builder, the index saved
//! and loaded back, and (optionally) the character-level aho-corasick automaton the same forms
//! would need, for the memory and build-time comparison that chose the word trie.

use std::path::Path;

use arrow::array::StringArray;
use serde::Serialize;

use crate::process::{peak_rss, reset_peak_rss, rss, Stopwatch};
use crate::synthetic::mrconso::{SyntheticConfig, SyntheticMrconso};
use bali::error::{BaliError, IoResultExt, Result};
use bali::stages::dictionary::{BuiltDictionary, DictionaryBuilder, DictionaryOptions};
use bali::stages::link::Matcher;
use bali::tables::columns::column;

/// A synthetic MRCONSO of `strings` atoms in UMLS 2020AB proportions: 3.03 strings per concept
/// and a vocabulary of a tenth as many words (at least 1,000).
pub fn synthetic_config(strings: usize) -> SyntheticConfig {
    SyntheticConfig {
        strings,
        concepts: ((strings as f64 / 3.03) as usize).max(1),
        vocabulary: (strings / 10).max(1000),
        ..SyntheticConfig::umls()
    }
}

/// Builds a dictionary with the `dictionary` stage's defaults from concept batches.
pub fn build_dictionary(
    batches: impl IntoIterator<Item = Result<arrow::array::RecordBatch>>,
) -> Result<BuiltDictionary> {
    let mut builder = DictionaryBuilder::new(DictionaryOptions::default());
    for batch in batches {
        builder.push_concepts(&batch?)?;
    }
    builder.finish()
}

/// What [`umls_scale`] measured.
#[derive(Debug, Clone, Serialize)]
pub struct ScaleReport {
    /// Strings generated.
    pub strings: usize,
    /// Concepts they were spread over.
    pub concepts: usize,
    /// Words of the generator's vocabulary.
    pub vocabulary: usize,
    /// The generator's seed.
    pub seed: u64,
    /// Seconds spent in the builder (pushing batches and finishing), generation excluded.
    pub build_s: f64,
    /// CPU seconds (all threads) spent in the builder.
    pub build_cpu_s: Option<f64>,
    /// Of `build_s`, the seconds of `finish` (filters, sorting, trie).
    pub finish_s: f64,
    /// Seconds of the whole run of generation and building.
    pub generate_and_build_s: f64,
    /// Peak RSS of the process during generation and building.
    pub build_peak_rss: Option<u64>,
    /// Forms kept.
    pub forms: u64,
    /// (form, concept) pairs kept: the rows of the `dictionary` table.
    pub pairs: u64,
    /// Distinct token keys of the index.
    pub words: usize,
    /// Trie nodes of the index.
    pub nodes: usize,
    /// Heap bytes of the index (hash tables estimated).
    pub index_memory_bytes: usize,
    /// Seconds to write the index file.
    pub save_s: f64,
    /// Its size in bytes.
    pub file_bytes: u64,
    /// Seconds to load it again (read, checksum, validation, hash tables).
    pub load_s: f64,
    /// RSS growth while loading (the loaded index's real footprint).
    pub load_rss_growth: Option<u64>,
    /// Peak RSS during loading, above the RSS before it.
    pub load_peak_growth: Option<u64>,
}

/// What the character-level aho-corasick automaton of a dictionary costs.
#[derive(Debug, Clone, Serialize)]
pub struct AutomatonReport {
    /// Patterns (distinct forms).
    pub patterns: usize,
    /// Bytes of all patterns.
    pub pattern_bytes: usize,
    /// The automaton kind the crate chose.
    pub kind: String,
    /// `AhoCorasick::memory_usage()`.
    pub memory_bytes: usize,
    /// Build seconds.
    pub build_s: f64,
    /// Peak RSS growth during the build.
    pub build_peak_growth: Option<u64>,
}

/// Builds the dictionary of a synthetic MRCONSO, measures the aho-corasick automaton of its
/// forms when `automaton` is set, saves the index to `index_path` and loads it back. Returns
/// the measurements and the loaded matcher.
///
/// The automaton is built before the index is saved, while the dictionary is alive anyway, so
/// that its peak is measured apart (reset first) and the load is measured after both are gone.
pub fn umls_scale(
    config: SyntheticConfig,
    index_path: &Path,
    automaton: bool,
) -> Result<(ScaleReport, Option<AutomatonReport>, Matcher)> {
    reset_peak_rss();
    let whole = Stopwatch::start();
    let (mut build_s, mut build_cpu_s) = (0.0, Some(0.0));
    let mut add = |t: crate::process::Timing| {
        build_s += t.wall;
        build_cpu_s = build_cpu_s.zip(t.cpu).map(|(a, b)| a + b);
    };
    let mut builder = DictionaryBuilder::new(DictionaryOptions::default());
    for (i, batch) in SyntheticMrconso::new(config)?
        .batches(64 * 1024)
        .enumerate()
    {
        let batch = batch?;
        let watch = Stopwatch::start();
        builder.push_concepts(&batch)?;
        add(watch.stop());
        if i % 32 == 0 {
            tracing::info!(
                rows = i * 64 * 1024,
                of = config.strings,
                "dictionary: pushed"
            );
        }
    }
    let watch = Stopwatch::start();
    let built = builder.finish()?;
    let finish = watch.stop();
    add(finish);
    let generate_and_build_s = whole.stop().wall;
    let build_peak_rss = peak_rss();
    let index = built.matcher.stats();

    let automaton = if automaton {
        tracing::info!("building the aho-corasick automaton of the same forms");
        Some(aho_corasick_automaton(&built)?)
    } else {
        None
    };

    let watch = Stopwatch::start();
    built.matcher.save(index_path)?;
    let save_s = watch.stop().wall;
    let file_bytes = std::fs::metadata(index_path).at(index_path)?.len();
    let stats = built.stats;
    drop(built);

    let before = rss();
    reset_peak_rss();
    let watch = Stopwatch::start();
    let matcher = Matcher::load(index_path)?;
    let load_s = watch.stop().wall;
    let growth = |x: Option<u64>| Some(x?.saturating_sub(before?));
    let report = ScaleReport {
        strings: config.strings,
        concepts: config.concepts,
        vocabulary: config.vocabulary,
        seed: config.seed,
        build_s,
        build_cpu_s,
        finish_s: finish.wall,
        generate_and_build_s,
        build_peak_rss,
        forms: stats.forms,
        pairs: stats.pairs,
        words: index.words,
        nodes: index.nodes,
        index_memory_bytes: index.memory_bytes,
        save_s,
        file_bytes,
        load_s,
        load_rss_growth: growth(rss()),
        load_peak_growth: growth(peak_rss()),
    };
    Ok((report, automaton, matcher))
}

/// Builds the leftmost-longest aho-corasick automaton over the dictionary's forms, encoded as
/// a character-level linker must (" k1  k2 ", see `bench/scripts/link_pyahocorasick.py`).
pub fn aho_corasick_automaton(dictionary: &BuiltDictionary) -> Result<AutomatonReport> {
    let mut patterns: Vec<String> = Vec::new();
    let mut last = String::new();
    for batch in dictionary.batches(64 * 1024) {
        let batch = batch?;
        let form = column::<StringArray>(&batch, "form")?;
        for i in 0..batch.num_rows() {
            if form.value(i) != last {
                last = form.value(i).to_string();
                patterns.push(format!(" {} ", last.replace(' ', "  ")));
            }
        }
    }
    let pattern_bytes = patterns.iter().map(String::len).sum();
    let before = rss();
    reset_peak_rss();
    let watch = Stopwatch::start();
    let ac = aho_corasick::AhoCorasick::builder()
        .match_kind(aho_corasick::MatchKind::LeftmostLongest)
        .build(&patterns)
        .map_err(|e| BaliError::Internal(format!("aho-corasick build: {e}")))?;
    let build_s = watch.stop().wall;
    Ok(AutomatonReport {
        patterns: patterns.len(),
        pattern_bytes,
        kind: format!("{:?}", ac.kind()),
        memory_bytes: ac.memory_usage(),
        build_s,
        build_peak_growth: peak_rss().zip(before).map(|(p, b)| p.saturating_sub(b)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_synthetic_dictionary_round_trips_through_its_index_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.bin");
        let (report, automaton, matcher) = umls_scale(synthetic_config(5000), &path, true).unwrap();
        assert_eq!(report.strings, 5000);
        assert!(
            report.forms > 1000 && report.pairs >= report.forms,
            "{report:?}"
        );
        assert_eq!(report.file_bytes, std::fs::metadata(&path).unwrap().len());
        // The loaded index is the saved one.
        assert_eq!(matcher.stats().words, report.words);
        assert_eq!(matcher.stats().nodes, report.nodes);
        let automaton = automaton.unwrap();
        // One pattern per distinct form text (a form kept both case-sensitive and not is one).
        assert!(automaton.patterns > 0 && automaton.patterns as u64 <= report.forms);
        assert!(automaton.memory_bytes > 0 && automaton.pattern_bytes > 0);
    }
}
