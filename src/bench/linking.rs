//! Benchmarks of the dictionary and the linker (results in BENCHMARKS.md).
//!
//! Run as ignored tests, one at a time, on the dev profile (see BENCHMARKS.md for the exact
//! commands):
//! - `umls_scale`: a synthetic MRCONSO of UMLS size (10M strings by default,
//!   `BALI_BENCH_STRINGS` to change) streamed into the dictionary builder: build time, peak RSS,
//!   index size, memory and load time, and linking speed of the loaded index on the real
//!   abstracts (with `BALI_SHARED`);
//! - `aho_corasick_scale`: the same dictionary's forms in the character-level automaton a
//!   plain aho-corasick linker would use: which automaton kind the crate picks, its memory and
//!   build time (`BALI_BENCH_AC_STRINGS`, 1M by default);
//! - `linking_vs_python`: our linker against `scripts/bench/link_pyahocorasick.py` on the
//!   sentences of the real baseline file, with the HPO dictionary and a synthetic one: MB/s,
//!   abstracts/s, ratio, and mention agreement.

use std::collections::HashSet;
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use arrow::array::{BooleanArray, Int32Array, Int64Array, RecordBatch, StringArray};

use crate::error::{BaliError, IoResultExt, Result};
use crate::stages::columns::column;
use crate::stages::dictionary::synthetic::{SyntheticConfig, SyntheticMrconso};
use crate::stages::dictionary::{BuiltDictionary, DictionaryBuilder, DictionaryOptions};
use crate::stages::link::{link_sentences, LinkOptions, Matcher, MatcherStats};

/// A field of `/proc/self/status` in bytes (`VmHWM` peak, `VmRSS` current); None off Linux.
fn proc_status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// CPU seconds (user + system) this process has used, from `/proc/self/stat` (None off
/// Linux). On a shared machine this, not wall time, says what the work itself costs.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Peak resident memory of this process since start or the last [`reset_peak_rss`].
pub fn peak_rss_bytes() -> Option<u64> {
    proc_status_bytes("VmHWM:")
}

/// Current resident memory of this process.
pub fn rss_bytes() -> Option<u64> {
    proc_status_bytes("VmRSS:")
}

/// Resets the peak to the current resident memory (Linux `clear_refs` 5), so a peak can be
/// attributed to one phase.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Bytes in GiB, for the tables.
pub fn gib(bytes: impl Into<Option<u64>>) -> String {
    match bytes.into() {
        Some(b) => format!("{:.2} GiB", b as f64 / (1u64 << 30) as f64),
        None => "n/a".into(),
    }
}

/// What [`umls_scale`] measured.
#[derive(Debug, Clone)]
pub struct ScaleReport {
    /// Strings generated.
    pub strings: usize,
    /// Seconds spent in the builder (pushing batches and finishing), generation excluded.
    pub build_s: f64,
    /// CPU seconds (all threads) spent in the builder.
    pub build_cpu_s: f64,
    /// Of `build_s`, the seconds of `finish` (filters, sorting, trie).
    pub finish_s: f64,
    /// Seconds of the whole run of generation and building.
    pub generate_and_build_s: f64,
    /// Peak RSS of the process during generation and building.
    pub build_peak_rss: Option<u64>,
    /// Builder counts.
    pub stats: crate::stages::dictionary::build::DictionaryStats,
    /// Sizes of the built index.
    pub index: MatcherStats,
    /// Seconds to write the index file.
    pub save_s: f64,
    /// Its size in bytes.
    pub file_bytes: u64,
    /// Seconds to load it again.
    pub load_s: f64,
    /// RSS growth while loading (the loaded index's real footprint).
    pub load_rss_growth: Option<u64>,
    /// Peak RSS during loading, above the RSS before it.
    pub load_peak_growth: Option<u64>,
}

/// Builds the dictionary of a synthetic MRCONSO, saves the index to `index_path` and loads
/// it back. Returns the measurements and the loaded matcher.
pub fn umls_scale(config: SyntheticConfig, index_path: &Path) -> Result<(ScaleReport, Matcher)> {
    reset_peak_rss();
    let start = Instant::now();
    let mut build_s = 0.0;
    let mut build_cpu_s = 0.0;
    let cpu = || cpu_seconds().unwrap_or(f64::NAN);
    let mut builder = DictionaryBuilder::new(DictionaryOptions::default());
    for batch in SyntheticMrconso::new(config)?.batches(64 * 1024) {
        let batch = batch?;
        let (t, c) = (Instant::now(), cpu());
        builder.push_concepts(&batch)?;
        build_s += t.elapsed().as_secs_f64();
        build_cpu_s += cpu() - c;
    }
    let (t, c) = (Instant::now(), cpu());
    let built = builder.finish()?;
    let finish_s = t.elapsed().as_secs_f64();
    build_s += finish_s;
    build_cpu_s += cpu() - c;
    let generate_and_build_s = start.elapsed().as_secs_f64();
    let build_peak_rss = peak_rss_bytes();
    let stats = built.stats;
    let index = built.matcher.stats();

    let t = Instant::now();
    built.matcher.save(index_path)?;
    let save_s = t.elapsed().as_secs_f64();
    let file_bytes = std::fs::metadata(index_path).at(index_path)?.len();
    drop(built);

    let before = rss_bytes();
    reset_peak_rss();
    let t = Instant::now();
    let matcher = Matcher::load(index_path)?;
    let load_s = t.elapsed().as_secs_f64();
    let after = rss_bytes();
    let growth = |x: Option<u64>| Some(x?.saturating_sub(before?));
    let report = ScaleReport {
        strings: config.strings,
        build_s,
        build_cpu_s,
        finish_s,
        generate_and_build_s,
        build_peak_rss,
        stats,
        index,
        save_s,
        file_bytes,
        load_s,
        load_rss_growth: growth(after),
        load_peak_growth: growth(peak_rss_bytes()),
    };
    Ok((report, matcher))
}

/// What the character-level aho-corasick automaton of a dictionary costs.
#[derive(Debug, Clone)]
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

/// Builds the leftmost-longest aho-corasick automaton over the dictionary's forms, encoded as
/// a character-level linker must (" k1  k2 ", see `scripts/bench/link_pyahocorasick.py`).
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
    let before = rss_bytes();
    reset_peak_rss();
    let t = Instant::now();
    let ac = aho_corasick::AhoCorasick::builder()
        .match_kind(aho_corasick::MatchKind::LeftmostLongest)
        .build(&patterns)
        .map_err(|e| BaliError::Internal(format!("aho-corasick build: {e}")))?;
    let build_s = t.elapsed().as_secs_f64();
    Ok(AutomatonReport {
        patterns: patterns.len(),
        pattern_bytes,
        kind: format!("{:?}", ac.kind()),
        memory_bytes: ac.memory_usage(),
        build_s,
        build_peak_growth: peak_rss_bytes()
            .zip(before)
            .map(|(p, b)| p.saturating_sub(b)),
    })
}

/// Our linker's time over sentence batches.
#[derive(Debug, Clone, Copy)]
pub struct LinkTiming {
    /// Seconds.
    pub seconds: f64,
    /// CPU seconds of all threads.
    pub cpu_seconds: f64,
    /// UTF-8 bytes of sentence text.
    pub bytes: usize,
    /// Mentions found (distinct spans).
    pub mentions: usize,
}

/// Links every batch with `matcher` (rayon across sentences, all threads), timing the calls.
pub fn time_linking(
    matcher: &Matcher,
    sentences: &[RecordBatch],
) -> Result<(LinkTiming, Vec<RecordBatch>)> {
    let options = LinkOptions::default();
    let bytes = sentences
        .iter()
        .map(|b| column::<StringArray>(b, "text").map(|t| t.value_data().len()))
        .sum::<Result<usize>>()?;
    let (t, cpu) = (Instant::now(), cpu_seconds());
    let out: Vec<RecordBatch> = sentences
        .iter()
        .map(|b| link_sentences(matcher, b, &options))
        .collect::<Result<_>>()?;
    let seconds = t.elapsed().as_secs_f64();
    let cpu_seconds = cpu_seconds().zip(cpu).map_or(f64::NAN, |(b, a)| b - a);
    let mut spans = HashSet::new();
    for batch in &out {
        spans.extend(mention_keys(batch)?.into_iter().map(|k| (k.0, k.1, k.2)));
    }
    Ok((
        LinkTiming {
            seconds,
            cpu_seconds,
            bytes,
            mentions: spans.len(),
        },
        out,
    ))
}

/// A mention as both linkers report it: (sentence key, start, end, sorted CUIs).
type MentionKey = (String, i32, i32, String);

/// The sentence key the peer files use: `pmid:sentence_index`.
fn sentence_key(pmid: i64, index: i32) -> String {
    format!("{pmid}:{index}")
}

/// Distinct mentions of a `mentions` batch with their candidate sets.
fn mention_keys(batch: &RecordBatch) -> Result<Vec<MentionKey>> {
    let pmid = column::<Int64Array>(batch, "pmid")?;
    let index = column::<Int32Array>(batch, "sentence_index")?;
    let start = column::<Int32Array>(batch, "start")?;
    let end = column::<Int32Array>(batch, "end")?;
    let cui = column::<StringArray>(batch, "cui")?;
    let mut keys: Vec<MentionKey> = Vec::new();
    let mut i = 0;
    while i < batch.num_rows() {
        let mut j = i;
        let mut cuis = Vec::new();
        while j < batch.num_rows()
            && (pmid.value(j), index.value(j), start.value(j))
                == (pmid.value(i), index.value(i), start.value(i))
        {
            cuis.push(cui.value(j));
            j += 1;
        }
        cuis.sort_unstable();
        keys.push((
            sentence_key(pmid.value(i), index.value(i)),
            start.value(i),
            end.value(i),
            cuis.join(","),
        ));
        i = j;
    }
    Ok(keys)
}

/// What the Python peer reported, and how its mentions compare with ours.
#[derive(Debug, Clone)]
pub struct PeerComparison {
    /// Seconds the peer spent building its automata.
    pub build_s: f64,
    /// Seconds the peer spent linking (normalisation and matching; no file I/O).
    pub link_s: f64,
    /// Mentions (span and candidate set) found by both.
    pub both: usize,
    /// Found by us only.
    pub ours_only: usize,
    /// Found by the peer only.
    pub peer_only: usize,
    /// A few differing mentions, for the report.
    pub examples: Vec<String>,
}

impl PeerComparison {
    /// Mentions found by both over mentions found by either, in percent.
    pub fn agreement_percent(&self) -> f64 {
        let union = self.both + self.ours_only + self.peer_only;
        if union == 0 {
            100.0
        } else {
            100.0 * self.both as f64 / union as f64
        }
    }
}

/// Runs `script` (the pyahocorasick peer) on the same dictionary and sentences, in `dir`,
/// and compares its mentions with `ours` (the output of [`time_linking`]).
pub fn compare_with_python(
    script: &Path,
    dictionary: &[RecordBatch],
    sentences: &[RecordBatch],
    ours: &[RecordBatch],
    dir: &Path,
) -> Result<PeerComparison> {
    let dict_path = dir.join("dictionary.jsonl");
    let sent_path = dir.join("sentences.jsonl");
    let out_path = dir.join("mentions.tsv");
    write_dictionary_jsonl(dictionary, &dict_path)?;
    write_sentences_jsonl(sentences, &sent_path)?;
    let output = Command::new("python3")
        .arg(script)
        .args(["--dictionary".as_ref(), dict_path.as_os_str()])
        .args(["--sentences".as_ref(), sent_path.as_os_str()])
        .args(["--out".as_ref(), out_path.as_os_str()])
        .output()
        .at(script)?;
    if !output.status.success() {
        return Err(BaliError::Internal(format!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let timing: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let seconds = |k: &str| timing.get(k).and_then(|v| v.as_f64()).unwrap_or(f64::NAN);

    let mut peer: HashSet<MentionKey> = HashSet::new();
    let file = std::fs::File::open(&out_path).at(&out_path)?;
    for line in std::io::BufReader::new(file).lines() {
        let line = line.at(&out_path)?;
        let f: Vec<&str> = line.split('\t').collect();
        if let [sid, start, end, cuis] = f[..] {
            let parse = |s: &str| {
                s.parse::<i32>()
                    .map_err(|e| BaliError::Internal(format!("peer output {line:?}: {e}")))
            };
            peer.insert((
                sid.to_string(),
                parse(start)?,
                parse(end)?,
                cuis.to_string(),
            ));
        }
    }
    let mut our_keys: HashSet<MentionKey> = HashSet::new();
    for batch in ours {
        our_keys.extend(mention_keys(batch)?);
    }
    let both = our_keys.intersection(&peer).count();
    let mut examples: Vec<String> = our_keys
        .difference(&peer)
        .map(|k| format!("ours only: {k:?}"))
        .take(5)
        .chain(
            peer.difference(&our_keys)
                .map(|k| format!("peer only: {k:?}"))
                .take(5),
        )
        .collect();
    examples.sort();
    Ok(PeerComparison {
        build_s: seconds("build_s"),
        link_s: seconds("link_s"),
        both,
        ours_only: our_keys.len() - both,
        peer_only: peer.len() - both,
        examples,
    })
}

/// Writes `{"form", "case_sensitive", "cuis"}` lines, one per form.
fn write_dictionary_jsonl(dictionary: &[RecordBatch], path: &Path) -> Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path).at(path)?);
    let mut current: Option<(String, bool, Vec<String>)> = None;
    let flush = |entry: Option<(String, bool, Vec<String>)>,
                 out: &mut BufWriter<std::fs::File>|
     -> Result<()> {
        if let Some((form, cs, cuis)) = entry {
            let line = serde_json::json!({"form": form, "case_sensitive": cs, "cuis": cuis});
            writeln!(out, "{line}").at(path)?;
        }
        Ok(())
    };
    for batch in dictionary {
        let form = column::<StringArray>(batch, "form")?;
        let cui = column::<StringArray>(batch, "cui")?;
        let cs = column::<BooleanArray>(batch, "case_sensitive")?;
        for i in 0..batch.num_rows() {
            match &mut current {
                Some((f, c, cuis)) if f == form.value(i) && *c == cs.value(i) => {
                    cuis.push(cui.value(i).to_string())
                }
                _ => {
                    let next = Some((
                        form.value(i).to_string(),
                        cs.value(i),
                        vec![cui.value(i).to_string()],
                    ));
                    flush(std::mem::replace(&mut current, next), &mut out)?;
                }
            }
        }
    }
    flush(current.take(), &mut out)?;
    out.flush().at(path)
}

/// Writes `{"id", "text"}` lines, one per sentence.
fn write_sentences_jsonl(sentences: &[RecordBatch], path: &Path) -> Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path).at(path)?);
    for batch in sentences {
        let pmid = column::<Int64Array>(batch, "pmid")?;
        let index = column::<Int32Array>(batch, "sentence_index")?;
        let text = column::<StringArray>(batch, "text")?;
        for i in 0..batch.num_rows() {
            let line = serde_json::json!({"id": sentence_key(pmid.value(i), index.value(i)), "text": text.value(i)});
            writeln!(out, "{line}").at(path)?;
        }
    }
    out.flush().at(path)
}

#[cfg(test)]
mod benches {
    use super::*;
    use crate::stages::link::testdata::{
        articles_batch, concepts_batch, read_hpo_names, read_pubmed,
    };
    use crate::stages::sentences::{split_articles, SentencesOptions};
    use crate::testutil;

    fn env_usize(name: &str, default: usize) -> usize {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    /// The sentences of the real baseline file in batches of 8192, and the number of articles
    /// with an abstract.
    fn real_sentences() -> Option<(Vec<RecordBatch>, usize)> {
        let path = testutil::shared("data/pubmed/pubmed20n0014.xml.gz")?;
        let articles = read_pubmed(&path, usize::MAX);
        let abstracts = articles.iter().filter(|a| a.abstract_.is_some()).count();
        let rows: Vec<(i64, Option<&str>, Option<&str>)> = articles
            .iter()
            .map(|a| (a.pmid, Some(a.title.as_str()), a.abstract_.as_deref()))
            .collect();
        let splitter = SentencesOptions::default().splitter();
        let batches = rows
            .chunks(2048)
            .map(|chunk| split_articles(&articles_batch(chunk), &splitter, true).unwrap())
            .collect();
        Some((batches, abstracts))
    }

    fn build_dictionary(batches: impl Iterator<Item = Result<RecordBatch>>) -> BuiltDictionary {
        let mut b = DictionaryBuilder::new(DictionaryOptions::default());
        for batch in batches {
            b.push_concepts(&batch.unwrap()).unwrap();
        }
        b.finish().unwrap()
    }

    #[test]
    #[ignore = "benchmark: run alone, see BENCHMARKS.md"]
    fn umls_scale() {
        let strings = env_usize("BALI_BENCH_STRINGS", 10_000_000);
        let config = SyntheticConfig {
            strings,
            concepts: (strings as f64 / 3.03) as usize,
            vocabulary: (strings / 10).max(1000),
            ..SyntheticConfig::umls()
        };
        let dir = tempfile::tempdir().unwrap();
        let (r, matcher) = super::umls_scale(config, &dir.path().join("index.bin")).unwrap();
        println!(
            "synthetic MRCONSO: {} strings, {} words in the vocabulary (seed {})",
            r.strings, config.vocabulary, config.seed
        );
        println!("| measure | value |\n| --- | --- |");
        println!(
            "| dictionary build (builder time) | {:.1} s wall ({:.1} s of it in finish), {:.1} s CPU |",
            r.build_s, r.finish_s, r.build_cpu_s
        );
        println!(
            "| generation + build (wall) | {:.1} s |",
            r.generate_and_build_s
        );
        println!(
            "| peak RSS, generation + build | {} |",
            gib(r.build_peak_rss)
        );
        println!(
            "| forms / (form, concept) pairs | {} / {} |",
            r.stats.forms, r.stats.pairs
        );
        println!(
            "| vocabulary words / trie nodes | {} / {} |",
            r.index.words, r.index.nodes
        );
        println!(
            "| index memory (estimated) | {} |",
            gib(r.index.memory_bytes as u64)
        );
        println!(
            "| index file | {} (written in {:.1} s) |",
            gib(r.file_bytes),
            r.save_s
        );
        println!("| index load | {:.2} s |", r.load_s);
        println!(
            "| RSS growth after load / peak during load | {} / {} |",
            gib(r.load_rss_growth),
            gib(r.load_peak_growth)
        );
        if let Some((sentences, abstracts)) = real_sentences() {
            let (t, _) = time_linking(&matcher, &sentences).unwrap();
            println!(
                "| linking the real file ({:.1} MB, {} mentions) | {:.2} s ({:.2} s CPU): {:.1} MB/s, {:.0} abstracts/s |",
                t.bytes as f64 / 1e6,
                t.mentions,
                t.seconds,
                t.cpu_seconds,
                t.bytes as f64 / 1e6 / t.seconds,
                abstracts as f64 / t.seconds
            );
        }
        assert!(r.stats.pairs > 0);
    }

    #[test]
    #[ignore = "benchmark: run alone, see BENCHMARKS.md"]
    fn aho_corasick_scale() {
        let strings = env_usize("BALI_BENCH_AC_STRINGS", 1_000_000);
        let config = SyntheticConfig {
            strings,
            concepts: (strings as f64 / 3.03) as usize,
            vocabulary: (strings / 10).max(1000),
            ..SyntheticConfig::umls()
        };
        let built = build_dictionary(SyntheticMrconso::new(config).unwrap().batches(64 * 1024));
        let trie = built.matcher.stats();
        let r = aho_corasick_automaton(&built).unwrap();
        println!("| strings | patterns | pattern bytes | automaton | memory_usage | build | peak RSS growth | word trie memory |");
        println!(
            "| {strings} | {} | {:.0} MB | {} | {} | {:.1} s | {} | {} |",
            r.patterns,
            r.pattern_bytes as f64 / 1e6,
            r.kind,
            gib(r.memory_bytes as u64),
            r.build_s,
            gib(r.build_peak_growth),
            gib(trie.memory_bytes as u64)
        );
        assert!(r.memory_bytes > 0);
    }

    #[test]
    #[ignore = "benchmark: run alone, see BENCHMARKS.md"]
    fn linking_vs_python() {
        let (Some((sentences, abstracts)), Some(hpo)) =
            (real_sentences(), testutil::shared("data/ontologies/hp.obo"))
        else {
            return;
        };
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/bench/link_pyahocorasick.py");
        let names = read_hpo_names(&hpo);
        let rows: Vec<(&str, &str)> = names
            .iter()
            .map(|(c, n)| (c.as_str(), n.as_str()))
            .collect();
        let synthetic_strings = env_usize("BALI_BENCH_PEER_STRINGS", 1_000_000);
        let dictionaries = [
            (
                "HPO",
                build_dictionary(std::iter::once(Ok(concepts_batch(&rows)))),
            ),
            (
                "synthetic",
                build_dictionary(
                    SyntheticMrconso::new(SyntheticConfig {
                        strings: synthetic_strings,
                        concepts: (synthetic_strings as f64 / 3.03) as usize,
                        vocabulary: (synthetic_strings / 10).max(1000),
                        ..SyntheticConfig::umls()
                    })
                    .unwrap()
                    .batches(64 * 1024),
                ),
            ),
        ];
        let threads = rayon::current_num_threads();
        println!("rayon threads: {threads}; synthetic dictionary: {synthetic_strings} strings");
        println!("| dictionary | forms | text | bali | bali abstracts/s | python | python abstracts/s | ratio | mentions (bali / python) | agreement |");
        println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        for (label, built) in &dictionaries {
            let dictionary: Vec<RecordBatch> =
                built.batches(64 * 1024).collect::<Result<_>>().unwrap();
            let (t, ours) = time_linking(&built.matcher, &sentences).unwrap();
            let dir = tempfile::tempdir().unwrap();
            let peer =
                compare_with_python(&script, &dictionary, &sentences, &ours, dir.path()).unwrap();
            let mb = t.bytes as f64 / 1e6;
            println!(
                "| {label} | {} | {mb:.1} MB | {:.1} MB/s | {:.0} | {:.2} MB/s | {:.0} | {:.1}x | {} / {} | {:.2}% |",
                built.stats.forms,
                mb / t.seconds,
                abstracts as f64 / t.seconds,
                mb / peer.link_s,
                abstracts as f64 / peer.link_s,
                peer.link_s / t.seconds,
                t.mentions,
                peer.both + peer.peer_only,
                peer.agreement_percent()
            );
            for e in &peer.examples {
                println!("    {e}");
            }
            println!(
                "    bali: {:.2} s wall, {:.2} s CPU; python: {:.2} s; python automaton build: {:.1} s",
                t.seconds, t.cpu_seconds, peer.link_s, peer.build_s
            );
            assert!(peer.agreement_percent() > 99.0, "{label}: {:?}", peer);
        }
    }
}
