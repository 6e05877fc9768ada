//! `bali-bench engine`: what the engine itself costs when there is little or nothing to do.
//!
//! Issue 7's targets: a no-change re-run over many partitions costs well under a second per
//! hundred partitions, and adding one update file to a folder of N costs the same for N = 1
//! and N = 50. Both are costs of the engine (planning: reading manifests, hashing input files
//! through the cache of `store::fingerprint`, fingerprinting; committing; the run report), not
//! of any stage, so the stages run on tiny inputs: N copies of `sample_data`'s first PubMed file
//! (25 articles each), each with PMIDs of its own, through a realistic pipeline (articles ->
//! sentences -> mentions -> samples, with the sample UMLS excerpt's dictionary and tiny-bert).
//!
//! Every measured run is a whole `bali run` minus process start: the pipeline file loaded and
//! checked, then [`bali::engine::run`] (planning, running, the run report). Each figure is
//! the median of several runs, and each run is checked to have done exactly what it should
//! (nothing, or the new file's partitions only), so a figure can never come from a run that
//! silently did something else.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tempfile::TempDir;

use super::median;
use super::process::{Stopwatch, Timing};
use super::table::{count, seconds, Table};
use bali::engine::{load, Plan};
use bali::engine::{plan_state, run, ProgressMode, RunOptions, RunReport};
use bali::error::{BaliError, IoResultExt, Result};
use bali::spec::LoadOptions;
use bali::store::{FileHashCache, Store};

/// The sample file every generated file copies.
const TEMPLATE: &str = "pubmed/pubmed26n0001.xml";

/// The PMID prefix of the template's records (PMIDs 80000001-80000025, see
/// `sample_data/README.md`): replaced per file so that no two files share a PMID.
const TEMPLATE_PMID_PREFIX: &str = ">800000";

/// Largest number of files the renumbering supports (five digits of the PMID).
const MAX_FILES: usize = 99_999;

/// How to run the benchmark.
#[derive(Debug, Clone)]
pub struct EngineBenchOptions {
    /// Folder sizes for the no-change re-run.
    pub partitions: Vec<usize>,
    /// Folder sizes to which one file is added.
    pub add_to: Vec<usize>,
    /// Measured runs per figure (the median is reported).
    pub runs: usize,
    /// The `sample_data` folder (PubMed template, UMLS excerpt, tiny-bert).
    pub sample_data: PathBuf,
}

impl Default for EngineBenchOptions {
    fn default() -> Self {
        EngineBenchOptions {
            partitions: vec![100, 500],
            add_to: vec![1, 50],
            runs: 5,
            sample_data: super::repo_path("sample_data"),
        }
    }
}

/// The no-change re-run over one folder.
#[derive(Debug, Clone, Serialize)]
pub struct NoChangeRun {
    /// PubMed files (partitions of each partitioned stage).
    pub partitions: usize,
    /// The first run, which builds everything.
    pub initial: Timing,
    /// Each re-run.
    pub reruns: Vec<Timing>,
    /// Median wall seconds of a re-run.
    pub median_s: f64,
    /// `median_s` per 100 partitions (target: well under 1).
    pub per_100_partitions_s: f64,
    /// Loading the pipeline and planning alone (no run, no report), median: the share of a
    /// re-run that grows with the number of partitions.
    pub planning_s: f64,
}

/// Adding one file to a folder.
#[derive(Debug, Clone, Serialize)]
pub struct AddOneRun {
    /// Files in the folder before each addition (the first addition; each later one adds to
    /// the folder the previous left).
    pub existing: usize,
    /// The first run, which builds the folder.
    pub initial: Timing,
    /// Each addition's run.
    pub additions: Vec<Timing>,
    /// Median wall seconds of an addition's run.
    pub median_s: f64,
}

/// The benchmark's results.
#[derive(Debug, Clone, Serialize)]
pub struct EngineBenchReport {
    /// Stages of the pipeline, in plan order.
    pub stages: Vec<String>,
    /// Articles in each generated file.
    pub articles_per_file: u64,
    /// Runs per figure.
    pub runs: usize,
    /// No-change re-runs, by folder size.
    pub no_change: Vec<NoChangeRun>,
    /// One-file additions, by folder size.
    pub add_one: Vec<AddOneRun>,
    /// The largest folder's addition time over the smallest's (target: about 1).
    pub add_one_ratio: Option<f64>,
}

/// Runs the benchmark. Every folder lives in its own temporary directory, removed when its
/// measurement is done.
pub fn bench_engine(options: &EngineBenchOptions) -> Result<EngineBenchReport> {
    let runs = options.runs.max(1);
    let sample_data = std::fs::canonicalize(&options.sample_data).at(&options.sample_data)?;
    let template_path = sample_data.join(TEMPLATE);
    let template = std::fs::read_to_string(&template_path).at(&template_path)?;
    if !template.contains(TEMPLATE_PMID_PREFIX) {
        return Err(BaliError::bad_input(
            &template_path,
            bali::Position::Record(0),
            format!("no PMID starts with `{TEMPLATE_PMID_PREFIX}`: cannot renumber copies"),
        ));
    }
    let mut stages = Vec::new();
    let mut articles_per_file = 0;

    let mut no_change = Vec::new();
    for &n in &options.partitions {
        tracing::info!(partitions = n, "no-change re-run");
        let corpus = Corpus::new(&sample_data, &template, n)?;
        let (report, initial) = corpus.run()?;
        expect_built(&report, n, true)?;
        stages = report.stages.iter().map(|s| s.stage.clone()).collect();
        articles_per_file = articles_built(&report) / n.max(1) as u64;
        let mut reruns = Vec::with_capacity(runs);
        let mut planning = Vec::with_capacity(runs);
        for _ in 0..runs {
            let (report, timing) = corpus.run()?;
            expect_built(&report, 0, false)?;
            reruns.push(timing);
            planning.push(corpus.plan_only()?);
        }
        let median_s = median(reruns.iter().map(|t| t.wall));
        no_change.push(NoChangeRun {
            partitions: n,
            initial,
            reruns,
            median_s,
            per_100_partitions_s: median_s * 100.0 / n.max(1) as f64,
            planning_s: median(planning),
        });
    }

    let mut add_one = Vec::new();
    for &n in &options.add_to {
        tracing::info!(files = n, "adding one file");
        let mut corpus = Corpus::new(&sample_data, &template, n)?;
        let (report, initial) = corpus.run()?;
        expect_built(&report, n, true)?;
        let mut additions = Vec::with_capacity(runs);
        for _ in 0..runs {
            corpus.add_file()?;
            let (report, timing) = corpus.run()?;
            expect_built(&report, 1, false)?;
            additions.push(timing);
        }
        add_one.push(AddOneRun {
            existing: n,
            initial,
            median_s: median(additions.iter().map(|t| t.wall)),
            additions,
        });
    }
    let add_one_ratio = match (add_one.first(), add_one.last()) {
        (Some(first), Some(last)) if add_one.len() > 1 => Some(last.median_s / first.median_s),
        _ => None,
    };
    Ok(EngineBenchReport {
        stages,
        articles_per_file,
        runs,
        no_change,
        add_one,
        add_one_ratio,
    })
}

/// Writes `dir/pipeline.yaml`: the data stages the engine and shard benchmarks run
/// (articles -> sentences -> mentions -> samples, with the dictionary of `sample_data`'s UMLS
/// excerpt and its tiny-bert) over the PubMed files `glob`, with `workdir` when given.
pub(crate) fn write_data_pipeline(
    dir: &Path,
    name: &str,
    glob: &Path,
    sample_data: &Path,
    workdir: Option<&Path>,
) -> Result<PathBuf> {
    let quote = |p: &Path| serde_json::to_string(&p.display().to_string());
    let workdir = match workdir {
        Some(w) => format!("workdir: {}\n", quote(w)?),
        None => String::new(),
    };
    let yaml = format!(
        "pipeline: {name}\n\
         {workdir}\
         seed: 29\n\
         stages:\n\
         \x20 articles:   {{ kind: pubmed,        options: {{ paths: [{glob}] }} }}\n\
         \x20 concepts:   {{ kind: umls_concepts, options: {{ meta: {umls}, languages: [ENG] }} }}\n\
         \x20 sentences:  {{ kind: sentences,     inputs: [articles] }}\n\
         \x20 dictionary: {{ kind: dictionary,    inputs: [concepts, concepts.semantic_types], options: {{ min_length: 3 }} }}\n\
         \x20 mentions:   {{ kind: link,          inputs: [sentences, dictionary] }}\n\
         \x20 samples:    {{ kind: samples,       inputs: [sentences, mentions], options: {{ tokenizer: {model} }} }}\n",
        glob = quote(glob)?,
        umls = quote(&sample_data.join("umls"))?,
        model = quote(&sample_data.join("models/tiny-bert"))?,
    );
    let pipeline = dir.join("pipeline.yaml");
    std::fs::write(&pipeline, yaml).at(&pipeline)?;
    Ok(pipeline)
}

/// A folder of generated PubMed files, the pipeline over it and its workdir.
struct Corpus {
    dir: TempDir,
    template: String,
    files: usize,
    pipeline: PathBuf,
}

impl Corpus {
    /// Writes `files` renumbered copies of the template and the pipeline file.
    fn new(sample_data: &Path, template: &str, files: usize) -> Result<Corpus> {
        let dir = tempfile::Builder::new()
            .prefix("bali-bench-engine-")
            .tempdir()
            .at(std::env::temp_dir())?;
        let pubmed = dir.path().join("pubmed");
        std::fs::create_dir_all(&pubmed).at(&pubmed)?;
        let pipeline = write_data_pipeline(
            dir.path(),
            "bench_engine",
            &pubmed.join("*.xml"),
            sample_data,
            Some(&dir.path().join("workdir")),
        )?;
        let mut corpus = Corpus {
            dir,
            template: template.to_string(),
            files: 0,
            pipeline,
        };
        for _ in 0..files {
            corpus.add_file()?;
        }
        Ok(corpus)
    }

    /// Writes the next file: `pubmed90nNNNN.xml`, PMIDs `9NNNNNxx`.
    fn add_file(&mut self) -> Result<()> {
        let i = self.files + 1;
        if i > MAX_FILES {
            return Err(BaliError::Spec(format!(
                "error: the engine benchmark renumbers PMIDs for at most {MAX_FILES} files"
            )));
        }
        let path = self
            .dir
            .path()
            .join("pubmed")
            .join(format!("pubmed90n{i:04}.xml"));
        let text = self
            .template
            .replace(TEMPLATE_PMID_PREFIX, &format!(">9{i:05}"));
        std::fs::write(&path, text).at(&path)?;
        self.files = i;
        Ok(())
    }

    fn load(&self) -> Result<Plan> {
        load(
            &self.pipeline,
            &bali::stages::registry(),
            &LoadOptions {
                workdir: None,
                overrides: Vec::new(),
                base_dir: None,
            },
        )
    }

    /// Loads the pipeline and runs it as `bali run` does (without progress display); fails
    /// when the run does.
    fn run(&self) -> Result<(RunReport, Timing)> {
        let watch = Stopwatch::start();
        let plan = self.load()?;
        let outcome = run(
            &plan,
            &RunOptions {
                progress: ProgressMode::Hidden,
                ..RunOptions::default()
            },
        )?;
        let timing = watch.stop();
        match outcome.error {
            Some(e) => Err(e.context("engine benchmark run")),
            None => Ok((outcome.report, timing)),
        }
    }

    /// Wall seconds of loading the pipeline and planning it, as `bali status` does.
    fn plan_only(&self) -> Result<f64> {
        let watch = Stopwatch::start();
        let plan = self.load()?;
        let store = Store::at(&plan.workdir)?;
        let hashes = FileHashCache::load(store.cache_dir().join("file_hashes.json"));
        plan_state(&plan, &store, &hashes)?;
        Ok(watch.stop().wall)
    }
}

/// The stages of the pipeline with one partition per PubMed file; the others (`concepts`,
/// `dictionary`) have one partition each, built by the first run.
const PARTITIONED_STAGES: [&str; 4] = ["articles", "sentences", "mentions", "samples"];

/// Checks that a run built `partitions` partitions of each partitioned stage, and the single
/// partition of every other stage exactly when `first_run` is set.
fn expect_built(report: &RunReport, partitions: usize, first_run: bool) -> Result<()> {
    for stage in &report.stages {
        let expected = if PARTITIONED_STAGES.contains(&stage.stage.as_str()) {
            partitions
        } else {
            usize::from(first_run)
        };
        if stage.partitions_run != expected {
            return Err(BaliError::Internal(format!(
                "the engine benchmark expected {expected} partition(s) of `{}` to be built, the run built {} and skipped {}",
                stage.stage, stage.partitions_run, stage.partitions_skipped
            )));
        }
    }
    Ok(())
}

/// Articles written by a run's `articles` stage.
fn articles_built(report: &RunReport) -> u64 {
    report
        .stages
        .iter()
        .filter(|s| s.stage == "articles")
        .filter_map(|s| s.rows_out.get("articles"))
        .sum()
}

impl fmt::Display for EngineBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "pipeline: {} over copies of sample_data/{TEMPLATE} ({} articles each, PMIDs renumbered); medians of {} runs",
            self.stages.join(", "),
            self.articles_per_file,
            self.runs
        )?;
        if !self.no_change.is_empty() {
            writeln!(
                f,
                "no-change re-run (target: well under 1 s per 100 partitions):"
            )?;
            let mut t = Table::new(&[
                "partitions",
                "initial build (wall)",
                "re-run (wall)",
                "re-run CPU s",
                "per 100 partitions",
                "load + plan alone",
            ]);
            for r in &self.no_change {
                let cpu = median(r.reruns.iter().filter_map(|t| t.cpu));
                t.row(vec![
                    count(r.partitions as u64),
                    format!("{:.1} s", r.initial.wall),
                    format!("{:.3} s", r.median_s),
                    seconds(
                        (!r.reruns.iter().any(|t| t.cpu.is_none())).then_some(cpu),
                        2,
                    ),
                    format!("{:.3} s", r.per_100_partitions_s),
                    format!("{:.3} s", r.planning_s),
                ]);
            }
            write!(f, "{t}")?;
        }
        if !self.add_one.is_empty() {
            writeln!(
                f,
                "adding one file (target: the same cost for every folder size):"
            )?;
            let mut t = Table::new(&[
                "files already there",
                "initial build (wall)",
                "run after adding one (wall)",
                "CPU s",
                "vs the smallest folder",
            ]);
            let base = self.add_one.first().map_or(1.0, |r| r.median_s);
            for r in &self.add_one {
                let cpu = median(r.additions.iter().filter_map(|t| t.cpu));
                t.row(vec![
                    count(r.existing as u64),
                    format!("{:.1} s", r.initial.wall),
                    format!("{:.3} s", r.median_s),
                    seconds(
                        (!r.additions.iter().any(|t| t.cpu.is_none())).then_some(cpu),
                        2,
                    ),
                    format!("{:.2}x", r.median_s / base),
                ]);
            }
            write!(f, "{t}")?;
        }
        if let (Some(ratio), Some(first), Some(last)) = (
            self.add_one_ratio,
            self.add_one.first(),
            self.add_one.last(),
        ) {
            writeln!(
                f,
                "adding one file to {} vs to {}: {ratio:.2}x (target: about 1)",
                count(last.existing as u64),
                count(first.existing as u64)
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renumbered_copies_run_and_every_run_does_what_it_should() {
        let options = EngineBenchOptions {
            partitions: vec![2],
            add_to: vec![1, 2],
            runs: 2,
            ..EngineBenchOptions::default()
        };
        let report = bench_engine(&options).unwrap();
        assert_eq!(report.articles_per_file, 25);
        assert_eq!(
            report.stages,
            [
                "articles",
                "concepts",
                "sentences",
                "dictionary",
                "mentions",
                "samples"
            ]
        );
        let r = &report.no_change[0];
        assert_eq!((r.partitions, r.reruns.len()), (2, 2));
        assert!(r.median_s > 0.0 && r.planning_s > 0.0);
        assert_eq!(report.add_one.len(), 2);
        assert!(report.add_one_ratio.is_some_and(|x| x > 0.0));
        let table = report.to_string();
        assert!(table.contains("| 2 |"), "{table}");
        assert!(table.contains("adding one file to 2 vs to 1"), "{table}");
    }

    #[test]
    fn copies_have_pmids_of_their_own() {
        let dir = super::super::repo_path("sample_data");
        let template = std::fs::read_to_string(dir.join(TEMPLATE)).unwrap();
        let mut corpus = Corpus::new(&dir, &template, 2).unwrap();
        corpus.add_file().unwrap();
        let read = |i: usize| {
            let path = corpus
                .dir
                .path()
                .join(format!("pubmed/pubmed90n{i:04}.xml"));
            std::fs::read_to_string(path).unwrap()
        };
        assert!(read(1).contains("<PMID Version=\"1\">90000101</PMID>"));
        assert!(read(3).contains("<PMID Version=\"1\">90000325</PMID>"));
        assert!(!read(3).contains(">800000"));
    }

    #[test]
    fn a_run_that_built_the_wrong_partitions_is_an_error() {
        let mut report: RunReport = serde_json::from_value(serde_json::json!({
            "run_id": "r", "pipeline": "p", "pipeline_file": "p.yaml", "workdir": "w",
            "started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:00:01Z",
            "seconds": 1.0, "status": "ok", "error": null, "stages": []
        }))
        .unwrap();
        report.stages.push(bali::engine::StageReport {
            stage: "sentences".into(),
            partitions_run: 1,
            ..Default::default()
        });
        assert!(expect_built(&report, 1, false).is_ok());
        let err = expect_built(&report, 0, false).unwrap_err().to_string();
        assert!(
            err.contains("expected 0 partition(s) of `sentences`"),
            "{err}"
        );
    }
}
