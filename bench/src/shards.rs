//! `bali-bench shards`: what a sharded run costs on one machine (issue 17).
//!
//! Two measurements:
//! - the commit log alone: `commits` appends of a realistic partition record, spread over 1, 2,
//!   4 and 8 concurrent committers, on a local disk and in memory: the latency of one commit
//!   and how many sequence numbers a commit loses to other writers before it wins one;
//! - the data stages of a real PubMed file split into `parts` files (whole records each), as
//!   a scheduler runs them: `--shard-prepare`, then N worker processes at once (`--shard
//!   i/N`), then the final unsharded run, which must find every partition built. The workers'
//!   wall time and their CPU seconds together show the speed-up the machine's cores allow and
//!   what each worker repeats (loading the pipeline, planning, reading the dictionary).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use serde::Serialize;

use super::process::{cpu_times, Stopwatch, Timing};
use super::table::{seconds, Table};
use bali::engine::RunReport;
use bali::error::{BaliError, IoResultExt, Result};
use bali::store::remote::{self, ObjectUrl};
use bali::store::{CommitLog, FileRecord, FingerprintInputs, LogEntry, PartitionRecord};

/// How to run the benchmark.
#[derive(Debug, Clone)]
pub struct ShardBenchOptions {
    /// A PubMed file (.xml or .xml.gz), split into `parts`.
    pub file: PathBuf,
    /// Files the PubMed file is split into (partitions of each data stage).
    pub parts: usize,
    /// Worker counts to run.
    pub workers: Vec<usize>,
    /// Appends per commit-log measurement.
    pub commits: usize,
    /// Concurrent committers per commit-log measurement.
    pub committers: Vec<usize>,
    /// The `sample_data` folder (UMLS excerpt, tiny-bert).
    pub sample_data: PathBuf,
    /// The bali binary the workers run.
    pub binary: PathBuf,
    /// An `s3://bucket/prefix` where the commit log is also measured, one committer at a
    /// time (a test server such as moto does not make create-only puts atomic across
    /// concurrent requests), and where the sharded runs' workdirs also go.
    pub s3: Option<String>,
}

/// One commit-log measurement.
#[derive(Debug, Clone, Serialize)]
pub struct CommitRun {
    /// `local disk`, `in memory` or `S3 server`.
    pub backend: String,
    /// Concurrent committers.
    pub committers: usize,
    /// Appends in all.
    pub commits: usize,
    /// Wall seconds for all of them.
    pub wall_s: f64,
    /// Mean milliseconds of one append, as its committer saw it.
    pub latency_ms: f64,
    /// Sequence numbers lost to other writers, per commit.
    pub conflicts_per_commit: f64,
}

/// One sharded run of the data stages.
#[derive(Debug, Clone, Serialize)]
pub struct ShardRun {
    /// Where the workdir was: `local disk` or `S3 server` (each process then has a cache
    /// folder of its own, as on separate machines).
    pub workdir: String,
    /// Worker processes.
    pub workers: usize,
    /// `--shard-prepare`.
    pub prepare: Timing,
    /// Wall seconds from starting the workers to the last one's exit.
    pub workers_wall_s: f64,
    /// CPU seconds of all workers together.
    pub workers_cpu_s: Option<f64>,
    /// The final unsharded run (which must build no data partition).
    pub finish: Timing,
}

/// Everything the benchmark measured.
#[derive(Debug, Clone, Serialize)]
pub struct ShardBenchReport {
    /// The PubMed file.
    pub file: String,
    /// Parts it was split into.
    pub parts: usize,
    /// Records (articles, book articles) in it.
    pub records: usize,
    /// Commit-log measurements.
    pub commits: Vec<CommitRun>,
    /// Sharded runs.
    pub shards: Vec<ShardRun>,
}

/// Runs the benchmark.
pub fn run_shard_bench(options: &ShardBenchOptions) -> Result<ShardBenchReport> {
    let dir = tempfile::Builder::new()
        .prefix("bali-bench-shards-")
        .tempdir()
        .at(std::env::temp_dir())?;
    let mut commits = Vec::new();
    for &committers in &options.committers {
        for backend in ["local disk", "in memory"] {
            let root = dir
                .path()
                .join(format!("log-{committers}-{}", backend.len()));
            let log = match backend {
                "local disk" => {
                    CommitLog::new(bali::store::objects::local(&root)?, "", Some(&root))
                }
                _ => CommitLog::new(Arc::new(object_store::memory::InMemory::new()), "", None),
            };
            commits.push(commit_run(backend, log, committers, options.commits)?);
        }
    }
    if let Some(url) = &options.s3 {
        let parsed = ObjectUrl::parse(Path::new(url))?
            .ok_or_else(|| BaliError::Spec(format!("--s3 {url}: not an s3:// URL")))?;
        let (objects, prefix) = remote::store_at(&parsed)?;
        // A prefix of its own per run, so earlier runs' entries do not count.
        let run = Utc::now().format("%Y%m%dT%H%M%S%.3f");
        let log = CommitLog::new(objects, &format!("{prefix}/bench-{run}"), None);
        commits.push(commit_run("S3 server", log, 1, options.commits)?);
    }

    let parts_dir = dir.path().join("pubmed");
    let records = split_pubmed(&options.file, options.parts, &parts_dir)?;
    let pipeline = super::engine::write_data_pipeline(
        dir.path(),
        "bench_shards",
        &parts_dir.join("*.xml.gz"),
        &options.sample_data,
        None,
    )?;
    let mut shards = Vec::new();
    let run = Utc::now().format("%Y%m%dT%H%M%S%.3f");
    let backends: Vec<(&str, Option<&str>)> = std::iter::once(("local disk", None))
        .chain(options.s3.as_deref().map(|u| ("S3 server", Some(u))))
        .collect();
    for (backend, url) in backends {
        for &n in &options.workers {
            tracing::info!(workers = n, backend, "sharded run");
            let wd = match url {
                None => dir.path().join(format!("workdir-{n}")),
                Some(u) => PathBuf::from(format!(
                    "{}/bench-{run}/workdir-{n}",
                    u.trim_end_matches('/')
                )),
            };
            // Each process of a remote run has a cache of its own, like a machine of its own.
            let cache = |who: &str| dir.path().join(format!("cache-{n}-{who}"));
            shards.push(sharded_run(
                options,
                &pipeline,
                &wd,
                n,
                url.map(|_| &cache as &dyn Fn(&str) -> PathBuf),
                backend,
            )?);
        }
    }
    Ok(ShardBenchReport {
        file: options.file.display().to_string(),
        parts: options.parts,
        records,
        commits,
        shards,
    })
}

/// `--shard-prepare`, `n` workers at once, then the final run, in workdir `wd`; `cache` gives
/// each process its own cache folder (remote workdirs).
fn sharded_run(
    options: &ShardBenchOptions,
    pipeline: &Path,
    wd: &Path,
    n: usize,
    cache: Option<&dyn Fn(&str) -> PathBuf>,
    backend: &str,
) -> Result<ShardRun> {
    let command = |args: &[String], who: &str| {
        let mut cmd = worker(&options.binary, pipeline, wd, args);
        if let Some(cache) = cache {
            cmd.env("BALI_CACHE_DIR", cache(who));
        }
        cmd
    };
    let bali = |args: &[String], who: &str| -> Result<Timing> {
        let clock = Stopwatch::start();
        let status = command(args, who).status().at(&options.binary)?;
        if !status.success() {
            return Err(BaliError::Internal(format!(
                "bali run {args:?} failed: {status}"
            )));
        }
        Ok(clock.stop())
    };
    let prepare = bali(&["--shard-prepare".into()], "prepare")?;
    let cpu_before = cpu_times().map(|c| c.children);
    let t0 = Instant::now();
    let children: Vec<_> = (0..n)
        .map(|i| {
            command(
                &["--shard".into(), format!("{i}/{n}")],
                &format!("worker{i}"),
            )
            .spawn()
            .at(&options.binary)
        })
        .collect::<Result<_>>()?;
    for mut child in children {
        let status = child.wait().at(&options.binary)?;
        if !status.success() {
            return Err(BaliError::Internal(format!("a worker failed: {status}")));
        }
    }
    let workers_wall_s = t0.elapsed().as_secs_f64();
    let workers_cpu_s = cpu_times()
        .map(|c| c.children)
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let finish = bali(&[], "final")?;
    // The final run's report: in the workdir, or in its working copy of a remote one.
    let final_copy = match (cache, ObjectUrl::parse(wd)?) {
        (Some(cache), Some(url)) => bali::store::mirror::working_copy_in(&cache("final"), &url),
        _ => wd.to_path_buf(),
    };
    check_final_run(&final_copy)?;
    Ok(ShardRun {
        workdir: backend.to_string(),
        workers: n,
        prepare,
        workers_wall_s,
        workers_cpu_s,
        finish,
    })
}

fn worker(binary: &Path, pipeline: &Path, wd: &Path, args: &[String]) -> Command {
    let mut cmd = Command::new(binary);
    cmd.args(["--progress", "none", "-q", "run"])
        .arg(pipeline)
        .arg("--workdir")
        .arg(wd)
        .args(args)
        .stdout(std::process::Stdio::null());
    cmd
}

/// The final run must have found every data partition built by the workers.
fn check_final_run(wd: &Path) -> Result<()> {
    let runs = wd.join("_runs");
    let mut reports: Vec<PathBuf> = std::fs::read_dir(&runs)
        .at(&runs)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    reports.sort();
    let last = reports
        .last()
        .ok_or_else(|| BaliError::Internal("no run report".into()))?;
    let text = std::fs::read_to_string(last).at(last)?;
    let report: RunReport = serde_json::from_str(&text)?;
    let built: usize = report.stages.iter().map(|s| s.partitions_run).sum();
    if built != 0 {
        return Err(BaliError::Internal(format!(
            "the final run built {built} partition(s) the workers should have built"
        )));
    }
    Ok(())
}

/// A partition record the size of a real one (one output file, a few fingerprint inputs).
fn sample_record(i: usize) -> PartitionRecord {
    let mut files = BTreeMap::new();
    files.insert(
        "sentences".to_string(),
        FileRecord {
            path: format!("sentences/pubmed26n{i:04}.0123456789abcdef.parquet"),
            rows: 123_456,
            bytes: 9_876_543,
        },
    );
    let mut inputs = BTreeMap::new();
    inputs.insert("articles".to_string(), "ab".repeat(32));
    PartitionRecord {
        fingerprint: "cd".repeat(32),
        inputs: FingerprintInputs {
            kind: "sentences@1".into(),
            options: "ef".repeat(32),
            seed: 29,
            files: BTreeMap::new(),
            inputs,
        },
        files,
        artifacts: None,
        created_at: Utc::now(),
        run_id: "20261207T000000.000Z-0000".into(),
        seconds: 1.5,
        rows_in: 30_000,
        skipped: 0,
    }
}

fn commit_run(
    backend: &str,
    log: CommitLog,
    committers: usize,
    commits: usize,
) -> Result<CommitRun> {
    let committers = committers.max(1);
    let each = commits.div_ceil(committers);
    let t0 = Instant::now();
    let results: Vec<Result<(f64, u64)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..committers)
            .map(|t| {
                let log = log.clone();
                s.spawn(move || -> Result<(f64, u64)> {
                    let (mut busy, mut conflicts) = (0.0, 0u64);
                    for i in 0..each {
                        let mut entry = LogEntry {
                            log_format: bali::store::log::LOG_FORMAT,
                            stage: "sentences".into(),
                            kind: "sentences".into(),
                            outputs: vec![("sentences".into(), "sentences".into())],
                            put: BTreeMap::new(),
                            remove: Vec::new(),
                        };
                        entry
                            .put
                            .insert(format!("p{t}-{i}"), sample_record(t * each + i));
                        let start = Instant::now();
                        let appended = log.append(&entry)?;
                        busy += start.elapsed().as_secs_f64();
                        conflicts += u64::from(appended.conflicts);
                    }
                    Ok((busy, conflicts))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(BaliError::Internal("committer panicked".into())))
            })
            .collect()
    });
    let wall_s = t0.elapsed().as_secs_f64();
    let (mut busy, mut conflicts) = (0.0, 0u64);
    for r in results {
        let (b, c) = r?;
        busy += b;
        conflicts += c;
    }
    let total = each * committers;
    let folded = log.read()?.map(|(_, m)| m.partitions.len()).unwrap_or(0);
    if folded != total {
        return Err(BaliError::Internal(format!(
            "{total} commits but {folded} partitions in the log"
        )));
    }
    Ok(CommitRun {
        backend: backend.to_string(),
        committers,
        commits: total,
        wall_s,
        latency_ms: busy * 1000.0 / total.max(1) as f64,
        conflicts_per_commit: conflicts as f64 / total.max(1) as f64,
    })
}

/// Splits a PubMed file into `parts` gzipped files of whole records (the header before the
/// first record in each, the tail after the last one in the last); returns the record count.
pub fn split_pubmed(file: &Path, parts: usize, out: &Path) -> Result<usize> {
    let raw = std::fs::read(file).at(file)?;
    let mut text = String::new();
    if raw.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_string(&mut text)
            .at(file)?;
    } else {
        text = String::from_utf8(raw).map_err(|e| BaliError::Internal(format!("{e}")))?;
    }
    let starts: Vec<usize> = text
        .match_indices("<PubmedArticle>")
        .chain(text.match_indices("<PubmedBookArticle>"))
        .map(|(i, _)| i)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let end = text.rfind("</PubmedArticleSet>").ok_or_else(|| {
        BaliError::Internal(format!("{}: no </PubmedArticleSet>", file.display()))
    })?;
    let (Some(&first), parts) = (starts.first(), parts.clamp(1, starts.len().max(1))) else {
        return Err(BaliError::Internal(format!(
            "{}: no records",
            file.display()
        )));
    };
    let header = &text[..first];
    let stem = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let stem = stem.split('.').next().unwrap_or("part");
    std::fs::create_dir_all(out).at(out)?;
    let per = starts.len().div_ceil(parts);
    for (p, chunk) in starts.chunks(per).enumerate() {
        let from = chunk[0];
        let to = starts.get((p + 1) * per).copied().unwrap_or(end);
        let path = out.join(format!("{stem}p{:02}.xml.gz", p + 1));
        let f = std::fs::File::create(&path).at(&path)?;
        let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
        gz.write_all(header.as_bytes()).at(&path)?;
        gz.write_all(&text.as_bytes()[from..to]).at(&path)?;
        gz.write_all(b"</PubmedArticleSet>\n").at(&path)?;
        gz.finish().at(&path)?;
    }
    Ok(starts.len())
}

impl std::fmt::Display for ShardBenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "commit log: appends of one partition record each, spread over concurrent committers"
        )?;
        let mut t = Table::new(&[
            "backend",
            "committers",
            "commits",
            "wall",
            "ms per commit",
            "lost numbers per commit",
        ]);
        for c in &self.commits {
            t.row(vec![
                c.backend.clone(),
                c.committers.to_string(),
                c.commits.to_string(),
                seconds(Some(c.wall_s), 2),
                format!("{:.2}", c.latency_ms),
                format!("{:.2}", c.conflicts_per_commit),
            ]);
        }
        writeln!(f, "{t}")?;
        writeln!(
            f,
            "sharded data stages: {} ({} records) split into {} files; articles -> sentences -> mentions -> samples",
            self.file, self.records, self.parts
        )?;
        let mut t = Table::new(&[
            "workdir",
            "workers",
            "prepare",
            "workers (wall)",
            "workers (CPU s)",
            "speed-up",
            "final run",
        ]);
        for s in &self.shards {
            // Speed-up against one worker on the same backend.
            let base = self
                .shards
                .iter()
                .find(|b| b.workdir == s.workdir)
                .map(|b| b.workers_wall_s);
            t.row(vec![
                s.workdir.clone(),
                s.workers.to_string(),
                seconds(Some(s.prepare.wall), 2),
                seconds(Some(s.workers_wall_s), 2),
                s.workers_cpu_s
                    .map(|c| format!("{c:.2}"))
                    .unwrap_or_else(|| "-".into()),
                base.map(|b| format!("{:.2}x", b / s.workers_wall_s.max(1e-9)))
                    .unwrap_or_default(),
                seconds(Some(s.finish.wall), 2),
            ]);
        }
        write!(f, "{t}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_file_keeps_every_record_once_and_each_part_parses() -> Result<()> {
        let dir = tempfile::tempdir().at(std::env::temp_dir())?;
        let sample = super::super::repo_path("sample_data/pubmed/pubmed26n0001.xml");
        let records = split_pubmed(&sample, 4, dir.path())?;
        let mut pmids = 0;
        let mut files: Vec<_> = std::fs::read_dir(dir.path())
            .at(dir.path())?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        assert_eq!(files.len(), 4);
        for f in &files {
            let mut text = String::new();
            flate2::read::GzDecoder::new(std::fs::File::open(f).at(f)?)
                .read_to_string(&mut text)
                .at(f)?;
            assert!(text.trim_end().ends_with("</PubmedArticleSet>"), "{f:?}");
            pmids += text.matches("<PubmedArticle>").count();
        }
        assert_eq!(pmids, records);
        assert!(records > 4);
        Ok(())
    }

    #[test]
    fn the_commit_log_measurement_checks_what_it_committed() -> Result<()> {
        let dir = tempfile::tempdir().at(std::env::temp_dir())?;
        let log = CommitLog::new(
            bali::store::objects::local(dir.path())?,
            "",
            Some(dir.path()),
        );
        let run = commit_run("local disk", log, 3, 20)?;
        assert_eq!((run.committers, run.commits), (3, 21));
        assert!(run.latency_ms > 0.0 && run.conflicts_per_commit >= 0.0);
        Ok(())
    }
}
