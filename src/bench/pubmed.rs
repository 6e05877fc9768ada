//! `bali bench pubmed FILE`: the PubMed reader against its floor and its peer, in one run.
//!
//! Three readers of the same file, each timed best-of-`runs` (wall clock, with the CPU
//! seconds of that run):
//! - bali's [`read_pubmed`], building every column and dropping the batches;
//! - `zcat -f FILE > /dev/null`, the decompression floor no parser can beat;
//! - `python3 scripts/bench/pubmed_lxml.py FILE`, lxml iterparse extracting the same fields
//!   (the usual Python way to read PubMed).
//!
//! Then peak resident memory of reading the file once and `memory_files` times in a row
//! (as a run over that many files would), to show that memory does not grow with input.
//! CPU seconds matter on a shared machine: bali decompresses and parses on two threads, so its
//! wall time depends on a second core being free while its CPU time does not.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use crate::error::{BaliError, IoResultExt, Result};
use crate::sources::input::with_decoded;
use crate::sources::pubmed::{read_pubmed, PubmedReadOptions};

use super::process::{cpu_times, peak_rss, reset_peak_rss, CpuTimes};

/// How to run the benchmark.
#[derive(Debug, Clone)]
pub struct PubmedBenchOptions {
    /// Timed runs per reader; the best wall time is reported.
    pub runs: usize,
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
            python: "python3".to_string(),
            lxml_script: Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/bench/pubmed_lxml.py"),
            memory_files: 3,
        }
    }
}

/// One reader's best run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// Wall-clock seconds.
    pub wall: f64,
    /// CPU seconds (all threads), when the platform reports them.
    pub cpu: Option<f64>,
}

/// What the lxml peer did, or why it could not run (Python or lxml missing).
#[derive(Debug, Clone, PartialEq)]
pub struct PeerRun {
    /// Its best run.
    pub timing: Timing,
    /// Articles it counted (must equal bali's).
    pub articles: u64,
}

/// The benchmark's results.
#[derive(Debug, Clone)]
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
    /// `zcat -f FILE > /dev/null`.
    pub zcat: Timing,
    /// The lxml peer, or why it did not run.
    pub lxml: std::result::Result<PeerRun, String>,
    /// Peak RSS while reading the file once (bytes).
    pub peak_rss_one: Option<u64>,
    /// Peak RSS while reading it `many_files` times in a row.
    pub peak_rss_many: Option<u64>,
    /// Files read for `peak_rss_many`.
    pub many_files: usize,
}

impl PubmedBenchReport {
    /// bali's wall time over the decompression floor's (target: at most 1.5).
    pub fn bali_over_zcat(&self) -> f64 {
        self.bali.wall / self.zcat.wall
    }

    /// How many times faster than the lxml peer bali is, by wall time (target: at least 10).
    pub fn speedup_over_lxml(&self) -> Option<f64> {
        self.lxml
            .as_ref()
            .ok()
            .map(|peer| peer.timing.wall / self.bali.wall)
    }
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
    let zcat = best_of(runs, || {
        run_quiet(Command::new("zcat").arg("-f").arg(file)).map(|_| ())
    })?;
    let lxml = bench_lxml(file, options, runs);

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
        if table == crate::tables::TableType::Articles {
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
        let cpu_before = cpu_times();
        let started = Instant::now();
        f()?;
        let wall = started.elapsed().as_secs_f64();
        let cpu = match (cpu_before, cpu_times()) {
            (Some(before), Some(after)) => Some(cpu_spent(before, after)),
            _ => None,
        };
        if best.is_none_or(|b| wall < b.wall) {
            best = Some(Timing { wall, cpu });
        }
    }
    best.ok_or_else(|| BaliError::Internal("no benchmark run".into()))
}

fn cpu_spent(before: CpuTimes, after: CpuTimes) -> f64 {
    (after.own - before.own) + (after.children - before.children)
}

/// Runs a command with stdout captured and stderr inherited; its stdout on success.
fn run_quiet(command: &mut Command) -> Result<String> {
    let program = format!("{:?}", command.get_program());
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .at(&program)?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(BaliError::Internal(format!(
            "{program} failed ({}): {}",
            output.status,
            stderr.trim()
        ))
        .context("benchmark peer"));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn bench_lxml(
    file: &Path,
    options: &PubmedBenchOptions,
    runs: usize,
) -> std::result::Result<PeerRun, String> {
    let mut articles = 0;
    let timing = best_of(runs, || {
        let mut command = Command::new(&options.python);
        command
            .arg(&options.lxml_script)
            .arg(file)
            .stdout(Stdio::piped());
        let stdout = run_quiet(&mut command)?;
        let report: serde_json::Value = serde_json::from_str(stdout.trim())?;
        articles = report["articles"].as_u64().unwrap_or(0);
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    Ok(PeerRun { timing, articles })
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
            self.articles
        )?;
        writeln!(
            f,
            "| reader | wall s | CPU s | XML MB/s | articles/s | wall vs bali |"
        )?;
        writeln!(f, "| --- | ---: | ---: | ---: | ---: | ---: |")?;
        let cpu = |t: &Timing| t.cpu.map_or("n/a".to_string(), |c| format!("{c:.2}"));
        let mut row = |name: &str, t: &Timing, articles: Option<u64>| {
            let per_second =
                articles.map_or("-".to_string(), |a| format!("{:.0}", a as f64 / t.wall));
            writeln!(
                f,
                "| {name} | {:.2} | {} | {:.0} | {per_second} | {:.2}x |",
                t.wall,
                cpu(t),
                mb / t.wall,
                t.wall / self.bali.wall
            )
        };
        row("bali read_pubmed", &self.bali, Some(self.articles))?;
        row("zcat -f (decompression floor)", &self.zcat, None)?;
        match &self.lxml {
            Ok(peer) => row("python lxml iterparse", &peer.timing, Some(peer.articles))?,
            Err(why) => writeln!(f, "| python lxml iterparse | not run: {why} | | | | |")?,
        }
        writeln!(
            f,
            "bali / zcat wall: {:.2} (target <= 1.5)",
            self.bali_over_zcat()
        )?;
        if let Some(speedup) = self.speedup_over_lxml() {
            writeln!(f, "lxml / bali wall: {speedup:.1} (target >= 10)")?;
        }
        if let (Some(one), Some(many)) = (self.peak_rss_one, self.peak_rss_many) {
            writeln!(
                f,
                "peak RSS: {:.1} MiB reading 1 file, {:.1} MiB reading {} files in a row",
                one as f64 / 1048576.0,
                many as f64 / 1048576.0,
                self.many_files
            )?;
        }
        Ok(())
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
        assert!(report.bali.wall > 0.0 && report.zcat.wall > 0.0);
        assert!(report.bali_over_zcat() > 0.0);
        // The peer needs Python with lxml; when it is there, it must count the same records.
        match &report.lxml {
            Ok(peer) => assert_eq!(peer.articles, 300),
            Err(why) => assert!(why.contains("python3") || why.contains("lxml"), "{why}"),
        }
        let table = report.to_string();
        assert!(table.contains("| bali read_pubmed |"), "{table}");
        assert!(table.contains("bali / zcat wall:"), "{table}");
    }

    /// The numbers in BENCHMARKS.md: `BALI_SHARED=/work/shared cargo test --lib
    /// bench::pubmed -- --ignored --nocapture` (timings, so not part of the normal suite).
    #[test]
    #[ignore = "a benchmark: run it explicitly"]
    fn real_baseline_benchmark() {
        let Some(path) = crate::testutil::shared("data/pubmed/pubmed20n0014.xml.gz") else {
            return;
        };
        let report = bench_pubmed(&path, &PubmedBenchOptions::default()).unwrap();
        println!("{report}");
        assert_eq!(report.articles, 30_000);
        assert_eq!(report.lxml.as_ref().map(|peer| peer.articles), Ok(30_000));
    }
}
