//! `bali-bench pubmed FILE`: the PubMed reader against its floor and its peer, in one run.
//!
//! Three readers of the same file, each timed best-of-`runs` (wall clock, with the CPU
//! seconds of that run):
//! - bali's [`read_pubmed`], building every column and dropping the batches;
//! - `zcat -f FILE > /dev/null`, the decompression floor no parser can beat;
//! - `python3 bench/scripts/pubmed_lxml.py FILE`, lxml iterparse extracting the same fields
//!   (the usual Python way to read PubMed).
//!
//! Then peak resident memory of reading the file once and `memory_files` times in a row
//! (as a run over that many files would), to show that memory does not grow with input.
//! CPU seconds matter on a shared machine: bali decompresses and parses on two threads, so its
//! wall time depends on a second core being free while its CPU time does not.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicU64;

use serde::Serialize;

use bali::error::{BaliError, IoResultExt, Result};
use bali::sources::input::with_decoded;
use bali::sources::pubmed::{read_pubmed, PubmedReadOptions};

use super::peer::{run_captured, run_discarding, PeerOutcome};
use super::process::{peak_rss, reset_peak_rss, Stopwatch, Timing};
use super::table::{count, mib, seconds, Table};

/// How to run the benchmark.
#[derive(Debug, Clone)]
pub struct PubmedBenchOptions {
    /// Timed runs per reader; the best wall time is reported.
    pub runs: usize,
    /// Run `zcat` and the lxml peer (false: bali alone, for a quick look or a machine without
    /// Python).
    pub peers: bool,
    /// The Python interpreter for the lxml peer.
    pub python: String,
    /// The lxml peer script.
    pub lxml_script: PathBuf,
    /// Files read in a row for the memory comparison (the same file again).
    pub memory_files: usize,
}

impl Default for PubmedBenchOptions {
    fn default() -> Self {
        PubmedBenchOptions {
            runs: 3,
            peers: true,
            python: "python3".to_string(),
            lxml_script: super::repo_path("bench/scripts/pubmed_lxml.py"),
            memory_files: 3,
        }
    }
}

/// What the lxml peer did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LxmlRun {
    /// Its best run (wall time of the whole process, interpreter start included).
    pub timing: Timing,
    /// Articles it counted (must equal bali's).
    pub articles: u64,
}

/// The benchmark's results.
#[derive(Debug, Clone, Serialize)]
pub struct PubmedBenchReport {
    /// The file read.
    pub file: PathBuf,
    /// Its size on disk.
    pub file_bytes: u64,
    /// Its decompressed (XML) size.
    pub xml_bytes: u64,
    /// Article records bali read.
    pub articles: u64,
    /// bali's reader.
    pub bali: Timing,
    /// `zcat -f FILE > /dev/null`, the decompression floor.
    pub zcat: PeerOutcome<Timing>,
    /// The lxml peer.
    pub lxml: PeerOutcome<LxmlRun>,
    /// bali's wall time over the decompression floor's (target: at most 1.5).
    pub bali_over_zcat: Option<f64>,
    /// How many times faster than the lxml peer bali is, by wall time (target: at least 10).
    pub lxml_over_bali: Option<f64>,
    /// Peak RSS while reading the file once (bytes).
    pub peak_rss_one: Option<u64>,
    /// Peak RSS while reading it `many_files` times in a row.
    pub peak_rss_many: Option<u64>,
    /// Files read for `peak_rss_many`.
    pub many_files: usize,
}

/// Runs the benchmark on `file`.
pub fn bench_pubmed(file: &Path, options: &PubmedBenchOptions) -> Result<PubmedBenchReport> {
    let runs = options.runs.max(1);
    let file_bytes = std::fs::metadata(file).at(file)?.len();
    let xml_bytes = decompressed_size(file)?;

    let mut articles = read_once(file)?;
    let bali = best_of(runs, || {
        articles = read_once(file)?;
        Ok(())
    })?;
    let (zcat, lxml) = if options.peers {
        let zcat = best_of(runs, || {
            run_discarding(Command::new("zcat").arg("-f").arg(file))
        });
        (
            PeerOutcome::from_result(zcat),
            PeerOutcome::from_result(bench_lxml(file, options, runs)),
        )
    } else {
        let reason = "--no-peers".to_string();
        (
            PeerOutcome::Skipped {
                reason: reason.clone(),
            },
            PeerOutcome::Skipped { reason },
        )
    };

    let (peak_rss_one, peak_rss_many) = if reset_peak_rss() {
        read_once(file)?;
        let one = peak_rss();
        reset_peak_rss();
        for _ in 0..options.memory_files {
            read_once(file)?;
        }
        (one, peak_rss())
    } else {
        (None, None)
    };

    Ok(PubmedBenchReport {
        file: file.to_path_buf(),
        file_bytes,
        xml_bytes,
        articles,
        bali,
        bali_over_zcat: zcat.ran().map(|z| bali.wall / z.wall),
        lxml_over_bali: lxml.ran().map(|l| l.timing.wall / bali.wall),
        zcat,
        lxml,
        peak_rss_one,
        peak_rss_many,
        many_files: options.memory_files,
    })
}

/// Reads the file with bali, dropping batches; returns the article count.
fn read_once(file: &Path) -> Result<u64> {
    let mut articles = 0u64;
    let options = PubmedReadOptions::default();
    read_pubmed(file, &options, &AtomicU64::new(0), &mut |table, batch| {
        if table == bali::tables::TableType::Articles {
            articles += batch.num_rows() as u64;
        }
        Ok(())
    })?;
    Ok(articles)
}

fn decompressed_size(file: &Path) -> Result<u64> {
    with_decoded(file, &AtomicU64::new(0), |mut input| {
        let mut buf = vec![0u8; 1 << 16];
        let mut total = 0u64;
        loop {
            let n = input.read(&mut buf).at(file)?;
            if n == 0 {
                return Ok(total);
            }
            total += n as u64;
        }
    })
}

/// The best wall time of `runs` calls of `f`, with that call's CPU seconds (own and
/// children's, so it covers both in-process readers and child processes).
fn best_of(runs: usize, mut f: impl FnMut() -> Result<()>) -> Result<Timing> {
    let mut best: Option<Timing> = None;
    for _ in 0..runs {
        let watch = Stopwatch::start();
        f()?;
        let timing = watch.stop();
        if best.is_none_or(|b| timing.wall < b.wall) {
            best = Some(timing);
        }
    }
    best.ok_or_else(|| BaliError::Internal("no benchmark run".into()))
}

fn bench_lxml(file: &Path, options: &PubmedBenchOptions, runs: usize) -> Result<LxmlRun> {
    let mut articles = 0;
    let timing = best_of(runs, || {
        let stdout = run_captured(
            Command::new(&options.python)
                .arg(&options.lxml_script)
                .arg(file),
        )?;
        let report: serde_json::Value = serde_json::from_str(stdout.trim())?;
        articles = report["articles"].as_u64().unwrap_or(0);
        Ok(())
    })?;
    Ok(LxmlRun { timing, articles })
}

impl fmt::Display for PubmedBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mb = self.xml_bytes as f64 / 1e6;
        writeln!(
            f,
            "file: {} ({:.1} MB on disk, {:.1} MB of XML, {} articles)",
            self.file.display(),
            self.file_bytes as f64 / 1e6,
            mb,
            count(self.articles)
        )?;
        let mut table = Table::new(&[
            "reader",
            "wall s",
            "CPU s",
            "XML MB/s (wall)",
            "articles/s (wall)",
            "wall vs bali",
        ]);
        let row = |name: &str, t: &Timing, articles: Option<u64>| {
            vec![
                name.to_string(),
                format!("{:.2}", t.wall),
                seconds(t.cpu, 2),
                format!("{:.0}", mb / t.wall),
                articles.map_or("-".to_string(), |a| format!("{:.0}", a as f64 / t.wall)),
                format!("{:.2}x", t.wall / self.bali.wall),
            ]
        };
        table.row(row("bali read_pubmed", &self.bali, Some(self.articles)));
        match &self.zcat {
            PeerOutcome::Ran(t) => table.row(row("zcat -f (decompression floor)", t, None)),
            other => table.row(vec![
                "zcat -f (decompression floor)".into(),
                other.why_not().unwrap_or_default(),
            ]),
        };
        match &self.lxml {
            PeerOutcome::Ran(peer) => table.row(row(
                "Python lxml iterparse",
                &peer.timing,
                Some(peer.articles),
            )),
            other => table.row(vec![
                "Python lxml iterparse".into(),
                other.why_not().unwrap_or_default(),
            ]),
        };
        write!(f, "{table}")?;
        if let Some(ratio) = self.bali_over_zcat {
            writeln!(f, "bali / zcat wall: {ratio:.2} (target <= 1.5)")?;
        }
        if let Some(speedup) = self.lxml_over_bali {
            writeln!(f, "lxml / bali wall: {speedup:.1} (target >= 10)")?;
        }
        if let Some(peer) = self.lxml.ran() {
            if peer.articles != self.articles {
                writeln!(
                    f,
                    "warning: lxml counted {} articles, bali {}",
                    peer.articles, self.articles
                )?;
            }
        }
        writeln!(
            f,
            "peak RSS: {} reading 1 file, {} reading {} files in a row",
            mib(self.peak_rss_one),
            mib(self.peak_rss_many),
            self.many_files
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn small_gzip_file(dir: &Path, articles: usize) -> (PathBuf, usize) {
        let mut xml = String::from("<?xml version=\"1.0\"?>\n<PubmedArticleSet>\n");
        for pmid in 1..=articles {
            xml.push_str(&format!(
                "<PubmedArticle><MedlineCitation><PMID Version=\"1\">{pmid}</PMID><Article><ArticleTitle>T {pmid}</ArticleTitle>\
                 <Abstract><AbstractText>Text of {pmid}.</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>\n"
            ));
        }
        xml.push_str("</PubmedArticleSet>\n");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(xml.as_bytes()).unwrap();
        let path = dir.join("bench.xml.gz");
        std::fs::write(&path, encoder.finish().unwrap()).unwrap();
        (path, xml.len())
    }

    #[test]
    fn the_benchmark_reads_the_file_with_each_reader_and_reports_ratios() {
        let dir = tempfile::tempdir().unwrap();
        let (path, xml_len) = small_gzip_file(dir.path(), 300);
        let options = PubmedBenchOptions {
            runs: 1,
            memory_files: 2,
            ..PubmedBenchOptions::default()
        };
        let report = bench_pubmed(&path, &options).unwrap();
        assert_eq!(report.articles, 300);
        assert_eq!(report.xml_bytes, xml_len as u64);
        assert!(report.bali.wall > 0.0);
        assert!(report.zcat.ran().is_some_and(|z| z.wall > 0.0));
        assert!(report.bali_over_zcat.is_some_and(|r| r > 0.0));
        // The peer needs Python with lxml; when it is there, it must count the same records.
        match &report.lxml {
            PeerOutcome::Ran(peer) => assert_eq!(peer.articles, 300),
            other => {
                let why = other.why_not().unwrap_or_default();
                assert!(why.contains("python3") || why.contains("lxml"), "{why}")
            }
        }
        let table = report.to_string();
        assert!(table.contains("| bali read_pubmed |"), "{table}");
        assert!(table.contains("bali / zcat wall:"), "{table}");

        let alone = bench_pubmed(
            &path,
            &PubmedBenchOptions {
                peers: false,
                ..options
            },
        )
        .unwrap();
        assert_eq!(alone.articles, 300);
        assert!(alone.lxml.ran().is_none() && alone.bali_over_zcat.is_none());
        assert!(alone.to_string().contains("not run: --no-peers"));
    }
}
