//! `bali-bench linking`: the dictionary and the linker at UMLS scale and against Python.
//!
//! One run measures, in this order:
//! - [`scale`]: a synthetic MRCONSO of UMLS size (10M strings by default) streamed into the
//!   dictionary builder: build time, peak RSS, index size and memory, load time; with a PubMed
//!   file, the loaded index links its sentences (MB/s);
//! - optionally, the same forms in the character-level aho-corasick automaton a plain
//!   aho-corasick linker would use: which automaton kind the crate picks, its memory and build
//!   time (why the linker is a word trie);
//! - [`python`]: with a PubMed file, our linker against `bench/scripts/link_pyahocorasick.py`
//!   on its sentences, with an OBO ontology's dictionary (HPO) and a synthetic one: MB/s,
//!   abstracts/s, the ratio, and how many mentions both found.
//!
//! The sentences come from the `pubmed` source's reader and the `sentences` stage's splitter
//! ([`text`]), so the linker is timed on what the pipeline feeds it.

pub mod python;
pub mod scale;
pub mod text;

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;

use arrow::array::RecordBatch;
use serde::Serialize;

use crate::synthetic::mrconso::SyntheticMrconso;
use bali::error::{IoResultExt, Result};
use bali::sources::obo::{read_obo, OboOptions};
use bali::tables::TableType;

use super::peer::PeerOutcome;
use super::table::{count, gib, seconds, Table};
pub use python::{compare_with_python, PeerComparison};
pub use scale::{
    aho_corasick_automaton, build_dictionary, synthetic_config, umls_scale, AutomatonReport,
    ScaleReport,
};
pub use text::{time_linking, LinkTiming, Sentences};

/// How to run the benchmark.
#[derive(Debug, Clone)]
pub struct LinkingBenchOptions {
    /// Strings of the synthetic MRCONSO for the scale run (10M: UMLS 2020AB English).
    pub strings: usize,
    /// Also build the aho-corasick automaton of the scale run's forms (at 10M strings: about
    /// 15 minutes and 10 GiB on the 2-core machine).
    pub automaton: bool,
    /// Strings of the synthetic dictionary linked side by side with Python (0: HPO only).
    pub peer_strings: usize,
    /// A PubMed file whose sentences are linked (none: the scale run only).
    pub pubmed: Option<PathBuf>,
    /// An OBO ontology for the real-vocabulary comparison (HPO in BENCHMARKS.md).
    pub obo: Option<PathBuf>,
    /// Run the Python peer (false: our linker's figures alone).
    pub peers: bool,
    /// The Python interpreter for the peer.
    pub python: String,
    /// The peer script.
    pub peer_script: PathBuf,
}

impl Default for LinkingBenchOptions {
    fn default() -> Self {
        LinkingBenchOptions {
            strings: 10_000_000,
            automaton: false,
            peer_strings: 1_000_000,
            pubmed: None,
            obo: None,
            peers: true,
            python: "python3".to_string(),
            peer_script: super::repo_path("bench/scripts/link_pyahocorasick.py"),
        }
    }
}

/// The text linked.
#[derive(Debug, Clone, Serialize)]
pub struct TextInfo {
    /// The PubMed file.
    pub file: PathBuf,
    /// Sentences (titles and abstracts).
    pub sentences: usize,
    /// UTF-8 bytes of sentence text.
    pub bytes: usize,
    /// Articles with an abstract.
    pub abstracts: usize,
}

/// One dictionary linked by us and by the peer.
#[derive(Debug, Clone, Serialize)]
pub struct PeerRow {
    /// Which dictionary (the OBO file's name, or `synthetic, N strings`).
    pub dictionary: String,
    /// Its forms.
    pub forms: u64,
    /// Our linker.
    pub bali: LinkTiming,
    /// The Python peer.
    pub python: PeerOutcome<PeerComparison>,
    /// Python's link seconds over ours (how many times faster bali is).
    pub ratio: Option<f64>,
}

/// The benchmark's results.
#[derive(Debug, Clone, Serialize)]
pub struct LinkingBenchReport {
    /// Threads of rayon's pool (the linker's parallelism).
    pub threads: usize,
    /// The scale run.
    pub scale: ScaleReport,
    /// The automaton comparison, when asked for.
    pub automaton: Option<AutomatonReport>,
    /// The text linked, when a PubMed file was given.
    pub text: Option<TextInfo>,
    /// The scale run's loaded index linking that text.
    pub scale_linking: Option<LinkTiming>,
    /// Side-by-side rows (empty without a PubMed file).
    pub peers: Vec<PeerRow>,
}

/// Runs the benchmark.
pub fn bench_linking(options: &LinkingBenchOptions) -> Result<LinkingBenchReport> {
    let sentences = options
        .pubmed
        .as_ref()
        .map(|path| Sentences::read(path).map(|s| (path.clone(), s)))
        .transpose()?;
    let text = match &sentences {
        Some((file, s)) => Some(TextInfo {
            file: file.clone(),
            sentences: s.count(),
            bytes: s.bytes()?,
            abstracts: s.abstracts,
        }),
        None => None,
    };
    let dir = tempfile::tempdir().at(std::env::temp_dir())?;

    tracing::info!(strings = options.strings, "scale run");
    let (scale, automaton, matcher) = umls_scale(
        synthetic_config(options.strings),
        &dir.path().join("index.bin"),
        options.automaton,
    )?;
    let scale_linking = match &sentences {
        Some((_, s)) => Some(time_linking(&matcher, s)?.0),
        None => None,
    };
    drop(matcher);

    let mut peers = Vec::new();
    if let Some((_, sentences)) = &sentences {
        let mut dictionaries = Vec::new();
        if let Some(obo) = &options.obo {
            let name = obo.file_name().unwrap_or(obo.as_os_str());
            dictionaries.push((name.to_string_lossy().into_owned(), obo_concepts(obo)?));
        }
        if options.peer_strings > 0 {
            let config = synthetic_config(options.peer_strings);
            let batches = SyntheticMrconso::new(config)?
                .batches(64 * 1024)
                .collect::<Result<Vec<_>>>()?;
            dictionaries.push((
                format!("synthetic, {} strings", count(config.strings as u64)),
                batches,
            ));
        }
        for (label, concepts) in dictionaries {
            tracing::info!(dictionary = %label, "linking side by side");
            let built = build_dictionary(concepts.into_iter().map(Ok))?;
            let (bali, ours) = time_linking(&built.matcher, sentences)?;
            let python = if options.peers {
                let dictionary: Vec<RecordBatch> =
                    built.batches(64 * 1024).collect::<Result<_>>()?;
                let exchange = tempfile::tempdir_in(dir.path()).at(dir.path())?;
                PeerOutcome::from_result(compare_with_python(
                    &options.python,
                    &options.peer_script,
                    &dictionary,
                    &sentences.batches,
                    &ours,
                    exchange.path(),
                ))
            } else {
                PeerOutcome::Skipped {
                    reason: "--no-peers".into(),
                }
            };
            peers.push(PeerRow {
                dictionary: label,
                forms: built.stats.forms,
                ratio: python.ran().map(|p| p.link_s / bali.seconds),
                bali,
                python,
            });
        }
    }
    Ok(LinkingBenchReport {
        threads: rayon::current_num_threads(),
        scale,
        automaton,
        text,
        scale_linking,
        peers,
    })
}

/// The `concepts` batches of an OBO file, read by the `obo` source with its defaults.
fn obo_concepts(path: &std::path::Path) -> Result<Vec<RecordBatch>> {
    let mut batches = Vec::new();
    read_obo(
        path,
        &OboOptions::new(path.display().to_string()),
        &AtomicU64::new(0),
        &mut |table, batch| {
            if table == TableType::Concepts {
                batches.push(batch);
            }
            Ok(())
        },
    )?;
    Ok(batches)
}

impl fmt::Display for LinkingBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.scale;
        writeln!(
            f,
            "synthetic MRCONSO: {} strings, {} concepts, {} words in the vocabulary (seed {}); rayon threads: {}",
            count(s.strings as u64),
            count(s.concepts as u64),
            count(s.vocabulary as u64),
            s.seed,
            self.threads
        )?;
        let mut t = Table::new(&["measure", "value", "target"]);
        t.row(vec![
            "dictionary build (time inside the builder)".into(),
            format!(
                "{:.1} s wall, {} s CPU (finish: {:.1} s)",
                s.build_s,
                seconds(s.build_cpu_s, 1),
                s.finish_s
            ),
            "< 2 min".into(),
        ]);
        t.row(vec![
            "generation + build, wall".into(),
            format!("{:.1} s", s.generate_and_build_s),
        ]);
        t.row(vec![
            "peak RSS, generation + build".into(),
            gib(s.build_peak_rss),
            "< 8 GiB".into(),
        ]);
        t.row(vec![
            "forms / (form, concept) pairs kept".into(),
            format!("{} / {}", count(s.forms), count(s.pairs)),
        ]);
        t.row(vec![
            "vocabulary / trie nodes".into(),
            format!(
                "{} words / {} nodes",
                count(s.words as u64),
                count(s.nodes as u64)
            ),
        ]);
        t.row(vec![
            "index memory (estimated from capacities and hash tables)".into(),
            gib(Some(s.index_memory_bytes as u64)),
        ]);
        t.row(vec![
            "index file".into(),
            format!("{}, written in {:.1} s", gib(Some(s.file_bytes)), s.save_s),
        ]);
        t.row(vec![
            "index load (read, checksum, validation, hash tables)".into(),
            format!("{:.2} s", s.load_s),
            "< 10 s".into(),
        ]);
        t.row(vec![
            "RSS growth after load / peak during load".into(),
            format!("{} / {}", gib(s.load_rss_growth), gib(s.load_peak_growth)),
        ]);
        if let (Some(text), Some(l)) = (&self.text, &self.scale_linking) {
            t.row(vec![
                format!(
                    "linking {} ({:.1} MB, {} sentences) with this index",
                    text.file.display(),
                    text.bytes as f64 / 1e6,
                    count(text.sentences as u64)
                ),
                format!(
                    "{:.2} s wall ({} s CPU): {:.1} MB/s, {:.0} abstracts/s, {} mentions",
                    l.seconds,
                    seconds(l.cpu_seconds, 2),
                    l.mb_per_s(),
                    text.abstracts as f64 / l.seconds,
                    count(l.mentions as u64)
                ),
            ]);
        }
        write!(f, "{t}")?;

        if let Some(a) = &self.automaton {
            writeln!(f)?;
            writeln!(
                f,
                "aho-corasick automaton over the same forms (LeftmostLongest):"
            )?;
            let mut t = Table::new(&[
                "strings",
                "patterns",
                "pattern bytes",
                "automaton kind",
                "memory_usage()",
                "build",
                "peak RSS growth",
                "word trie (same dictionary)",
                "automaton / trie memory",
            ]);
            t.row(vec![
                count(s.strings as u64),
                count(a.patterns as u64),
                format!("{:.0} MB", a.pattern_bytes as f64 / 1e6),
                a.kind.clone(),
                gib(Some(a.memory_bytes as u64)),
                format!("{:.1} s", a.build_s),
                gib(a.build_peak_growth),
                gib(Some(s.index_memory_bytes as u64)),
                format!(
                    "{:.1}x",
                    a.memory_bytes as f64 / s.index_memory_bytes.max(1) as f64
                ),
            ]);
            write!(f, "{t}")?;
        }

        writeln!(f)?;
        let Some(text) = &self.text else {
            return writeln!(
                f,
                "linking throughput and the Python peer: not run (give --pubmed FILE, or set BALI_SHARED)"
            );
        };
        writeln!(
            f,
            "side by side on {} ({} sentences, {:.1} MB, {} abstracts):",
            text.file.display(),
            count(text.sentences as u64),
            text.bytes as f64 / 1e6,
            count(text.abstracts as u64)
        )?;
        let mut t = Table::new(&[
            "dictionary",
            "forms",
            "bali",
            "bali abstracts/s",
            "Python",
            "Python abstracts/s",
            "ratio",
            "mentions (bali / Python)",
            "agreement",
        ]);
        let per_abstract = |s: f64| format!("{:.0}", text.abstracts as f64 / s);
        for row in &self.peers {
            let b = &row.bali;
            let mut cells = vec![
                row.dictionary.clone(),
                count(row.forms),
                format!(
                    "{:.1} MB/s ({:.2} s wall, {} s CPU)",
                    b.mb_per_s(),
                    b.seconds,
                    seconds(b.cpu_seconds, 2)
                ),
                per_abstract(b.seconds),
            ];
            match (&row.python, row.ratio) {
                (PeerOutcome::Ran(p), Some(ratio)) => cells.extend([
                    format!("{:.2} MB/s", b.bytes as f64 / 1e6 / p.link_s),
                    per_abstract(p.link_s),
                    format!("{ratio:.1}x"),
                    format!(
                        "{} / {}",
                        count(b.mentions as u64),
                        count((p.both + p.peer_only) as u64)
                    ),
                    format!("{:.2}%", p.agreement_percent()),
                ]),
                (other, _) => cells.push(other.why_not().unwrap_or_default()),
            }
            t.row(cells);
        }
        write!(f, "{t}")?;
        for row in &self.peers {
            if let PeerOutcome::Ran(p) = &row.python {
                writeln!(
                    f,
                    "{}: Python built its automata in {:.1} s; bali only {}, Python only {}",
                    row.dictionary, p.build_s, p.ours_only, p.peer_only
                )?;
                for e in &p.examples {
                    writeln!(f, "    {e}")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_benchmark_links_the_sample_file_with_both_dictionaries() {
        let root = super::super::repo_path("sample_data");
        let options = LinkingBenchOptions {
            strings: 3000,
            peer_strings: 2000,
            pubmed: Some(root.join("pubmed/pubmed26n0001.xml")),
            obo: Some(root.join("ontology/mini.obo")),
            ..LinkingBenchOptions::default()
        };
        let report = bench_linking(&options).unwrap();
        let text = report.text.as_ref().unwrap();
        // One of the file's 25 records has no abstract.
        assert_eq!(text.abstracts, 24);
        assert!(text.sentences > 25 && text.bytes > 1000, "{text:?}");
        assert!(report.scale_linking.is_some());
        assert_eq!(report.peers.len(), 2);
        // The sample abstracts mention the mini ontology's terms.
        assert!(report.peers[0].bali.mentions > 0);
        for row in &report.peers {
            match &row.python {
                // Where Python and pyahocorasick are installed, the peer finds the same mentions.
                PeerOutcome::Ran(p) => assert!(p.agreement_percent() > 99.0, "{p:?}"),
                other => assert!(other.why_not().is_some()),
            }
        }
        let table = report.to_string();
        assert!(table.contains("| dictionary build"), "{table}");
        assert!(table.contains("| mini.obo |"), "{table}");
    }
}
