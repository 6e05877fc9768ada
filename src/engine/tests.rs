//! Engine tests with small purpose-built kinds: ordering, streaming and backpressure, skipping
//! fresh partitions, re-running what an option change invalidates, failure isolation.

use std::path::Path;
use std::sync::atomic::Ordering;

use arrow::array::Int64Array;

use super::testkinds::{registry, CONSUMED, MAX_IN_FLIGHT, PRODUCED};
use super::*;
use crate::engine::load_str;
use crate::error::{BaliError, Result};
use crate::spec::LoadOptions;

fn plan(dir: &Path, yaml: &str, sets: &[&str]) -> Result<crate::engine::Plan> {
    load_str(
        yaml,
        Path::new("test.yaml"),
        &registry(),
        &LoadOptions {
            workdir: Some(dir.to_path_buf()),
            overrides: sets.iter().map(|s| s.to_string()).collect(),
            base_dir: Some(dir.to_path_buf()),
        },
    )
}

fn run_ok(plan: &crate::engine::Plan) -> Result<RunReport> {
    let opts = RunOptions {
        progress: ProgressMode::Hidden,
        ..Default::default()
    };
    let outcome = run(plan, &opts)?;
    if let Some(e) = outcome.error {
        return Err(e);
    }
    Ok(outcome.report)
}

fn stage<'a>(r: &'a RunReport, name: &str) -> &'a StageReport {
    r.stages
        .iter()
        .find(|s| s.stage == name)
        .expect("stage in report")
}

fn sum_of(dir: &Path) -> Result<i64> {
    let store = crate::store::Store::open(dir)?;
    let t = Table::open(&store, "total", None)?;
    let b = t.scan()?.collect_all()?;
    let col = b[0]
        .column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .ok_or_else(|| BaliError::Internal("not int64".into()))?;
    Ok(col.value(0))
}

const CHAIN: &str = "
pipeline: t
stages:
  total: { kind: sum, inputs: [plus] }
  plus: { kind: map, inputs: [nums], options: { add: 1 } }
  nums: { kind: numbers, options: { partitions: [p2, p10, p1], batches: 3, rows: 4 } }
";

#[test]
fn runs_in_dependency_order_and_skips_fresh_work() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| BaliError::io("tempdir", e))?;
    let p = plan(dir.path(), CHAIN, &[])?;
    // Topological order regardless of file order.
    let names: Vec<&str> = p.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["nums", "plus", "total"]);
    let r = run_ok(&p)?;
    assert_eq!(stage(&r, "nums").partitions_run, 3);
    assert_eq!(stage(&r, "plus").rows_in, 36);
    // values 0..12 per partition, plus 1 each: 3 * (66 + 12)
    assert_eq!(sum_of(dir.path())?, 3 * (66 + 12));
    // Partition keys are in natural order in the report.
    let keys: Vec<&str> = stage(&r, "nums")
        .partitions
        .iter()
        .map(|p| p.key.as_str())
        .collect();
    assert_eq!(keys, vec!["p1", "p2", "p10"]);

    let again = run_ok(&plan(dir.path(), CHAIN, &[])?)?;
    for s in &again.stages {
        assert_eq!(s.partitions_run, 0, "{} re-ran", s.stage);
        assert!(s.partitions_skipped > 0);
    }
    Ok(())
}

#[test]
fn an_option_change_reruns_the_stage_and_its_descendants_only() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| BaliError::io("tempdir", e))?;
    run_ok(&plan(dir.path(), CHAIN, &[])?)?;
    let r = run_ok(&plan(dir.path(), CHAIN, &["plus.add=2"])?)?;
    assert_eq!(stage(&r, "nums").partitions_run, 0);
    assert_eq!(stage(&r, "plus").partitions_run, 3);
    assert_eq!(stage(&r, "total").partitions_run, 1);
    assert_eq!(sum_of(dir.path())?, 3 * (66 + 24));
    let reasons: Vec<&str> = stage(&r, "plus")
        .partitions
        .iter()
        .map(|p| p.reason.as_str())
        .collect();
    assert!(
        reasons.iter().all(|r| r.contains("options changed")),
        "{reasons:?}"
    );
    let reasons: Vec<&str> = stage(&r, "total")
        .partitions
        .iter()
        .map(|p| p.reason.as_str())
        .collect();
    assert!(
        reasons
            .iter()
            .all(|r| r.contains("input plus (whole) changed")),
        "{reasons:?}"
    );
    Ok(())
}

#[test]
fn a_new_source_partition_runs_alone_and_a_removed_one_is_dropped() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| BaliError::io("tempdir", e))?;
    run_ok(&plan(dir.path(), CHAIN, &[])?)?;
    let r = run_ok(&plan(
        dir.path(),
        CHAIN,
        &["nums.partitions=[p1, p2, p10, p11]"],
    )?)?;
    assert_eq!(stage(&r, "nums").partitions_run, 1);
    assert_eq!(stage(&r, "plus").partitions_run, 1);
    let r = run_ok(&plan(
        dir.path(),
        CHAIN,
        &["nums.partitions=[p1, p2, p11]"],
    )?)?;
    assert_eq!(stage(&r, "nums").partitions_removed, 1);
    assert_eq!(stage(&r, "plus").partitions_removed, 1);
    assert_eq!(sum_of(dir.path())?, 3 * (66 + 12));
    let store = crate::store::Store::open(dir.path())?;
    let files = std::fs::read_dir(store.stage("nums").dir().join("numbers"))
        .map_err(|e| BaliError::io("nums", e))?
        .count();
    assert_eq!(files, 3, "the removed partition's file is deleted");
    Ok(())
}

#[test]
fn a_slow_consumer_bounds_the_batches_in_flight() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| BaliError::io("tempdir", e))?;
    PRODUCED.store(0, Ordering::SeqCst);
    CONSUMED.store(0, Ordering::SeqCst);
    MAX_IN_FLIGHT.store(0, Ordering::SeqCst);
    let yaml = "
pipeline: t
stages:
  nums: { kind: numbers, options: { partitions: [only], batches: 200, rows: 10, probe: true } }
  slow: { kind: map, inputs: [nums], options: { sleep_ms: 2, probe: true } }
";
    let p = plan(dir.path(), yaml, &[])?;
    let opts = RunOptions {
        progress: ProgressMode::Hidden,
        channel_capacity: 4,
        ..Default::default()
    };
    let outcome = run(&p, &opts)?;
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    assert_eq!(CONSUMED.load(Ordering::SeqCst), 200);
    let max = MAX_IN_FLIGHT.load(Ordering::SeqCst);
    // capacity 4 in the channel, one batch being handled by the consumer, one being sent.
    assert!(max <= 4 + 2, "{max} batches in flight with a channel of 4");
    // Seconds are each stage's own work: the producer spent the run blocked on the consumer,
    // which slept 2 ms per batch.
    let (producer, consumer) = (
        stage(&outcome.report, "nums").seconds,
        stage(&outcome.report, "slow").seconds,
    );
    assert!(
        consumer >= 0.4,
        "the consumer slept 200 x 2 ms, reported {consumer} s"
    );
    assert!(
        producer < consumer / 2.0,
        "the producer's {producer} s include time blocked on the consumer ({consumer} s)"
    );
    Ok(())
}

#[test]
fn a_failing_partition_commits_nothing_and_the_next_run_resumes() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| BaliError::io("tempdir", e))?;
    let p = plan(dir.path(), CHAIN, &["nums.fail_on=p10"])?;
    let outcome = run(
        &p,
        &RunOptions {
            progress: ProgressMode::Hidden,
            ..Default::default()
        },
    )?;
    let err = outcome.error.expect("the run fails");
    let text = err.to_string();
    assert!(
        text.contains("stage `nums`, partition `p10`") && text.contains("told to fail"),
        "{text}"
    );
    assert_eq!(outcome.report.status, "failed");
    let summary = outcome.report.summary();
    assert!(
        summary
            .lines()
            .any(|l| l.starts_with("nums") && l.ends_with("(failed)")),
        "{summary}"
    );
    assert!(!summary.contains("-0.00"), "{summary}");
    assert!(outcome.report_path.is_some_and(|p| p.is_file()));
    let store = crate::store::Store::open(dir.path())?;
    let m = store.stage("nums").manifest()?.expect("p1, p2 committed");
    assert!(!m.partitions.contains_key("p10"));
    assert!(store.stage("total").manifest()?.is_none());
    // Fixed: the next run builds only what is missing.
    let r = run_ok(&plan(dir.path(), CHAIN, &[])?)?;
    assert_eq!(stage(&r, "nums").partitions_run, 3 - m.partitions.len());
    assert_eq!(sum_of(dir.path())?, 3 * (66 + 12));
    Ok(())
}

#[test]
fn leftovers_of_a_crash_are_removed_and_never_read() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| BaliError::io("tempdir", e))?;
    run_ok(&plan(dir.path(), CHAIN, &[])?)?;
    let store = crate::store::Store::open(dir.path())?;
    let plus = store.stage("plus");
    // A half-written partition and an orphan renamed into place before the manifest moved.
    std::fs::create_dir_all(plus.tmp_dir().join("numbers")).map_err(|e| BaliError::io("tmp", e))?;
    std::fs::write(
        plus.tmp_dir().join("numbers/p1.x.parquet"),
        b"PAR1 truncated",
    )
    .map_err(|e| BaliError::io("tmp", e))?;
    let orphan = plus.dir().join("numbers/p1.deadbeefdeadbeef.parquet");
    std::fs::write(&orphan, b"garbage").map_err(|e| BaliError::io("orphan", e))?;
    // An entry whose upload a crash cut short (the object store stages it as `<name>#<n>`).
    let staged = plus.dir().join("_log/00000000000000000009.json#1");
    std::fs::write(&staged, b"{\"log_fo").map_err(|e| BaliError::io("staged", e))?;
    let r = run_ok(&plan(dir.path(), CHAIN, &["plus.add=5"])?)?;
    assert_eq!(stage(&r, "plus").partitions_run, 3);
    assert!(!orphan.exists());
    assert!(!staged.exists());
    assert!(!plus.tmp_dir().exists());
    assert_eq!(sum_of(dir.path())?, 3 * (66 + 60));
    Ok(())
}

#[test]
fn only_runs_the_named_stage_and_what_it_needs() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| BaliError::io("tempdir", e))?;
    let p = plan(dir.path(), CHAIN, &[])?;
    let outcome = run(
        &p,
        &RunOptions {
            only: vec!["plus".into()],
            progress: ProgressMode::Hidden,
            ..Default::default()
        },
    )?;
    assert!(outcome.error.is_none());
    assert_eq!(stage(&outcome.report, "plus").partitions_run, 3);
    assert_eq!(stage(&outcome.report, "total").partitions_run, 0);
    let store = crate::store::Store::open(dir.path())?;
    assert!(store.stage("total").manifest()?.is_none());
    Ok(())
}

#[test]
fn a_workdir_from_before_the_commit_log_is_read_and_carried_over() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| BaliError::io("tempdir", e))?;
    let p = plan(dir.path(), CHAIN, &[])?;
    run_ok(&p)?;
    // Rewrite the workdir the way older bali left it: one `_manifest.json` per stage.
    let store = crate::store::Store::open(dir.path())?;
    for name in ["nums", "plus", "total"] {
        let st = store.stage(name);
        let m = st
            .manifest()?
            .ok_or_else(|| BaliError::Internal("committed".into()))?;
        let legacy = st.dir().join(crate::store::MANIFEST_FILE);
        std::fs::write(&legacy, serde_json::to_vec(&m)?).map_err(|e| BaliError::io(&legacy, e))?;
        let log = st.dir().join(crate::store::log::LOG_DIR);
        std::fs::remove_dir_all(&log).map_err(|e| BaliError::io(&log, e))?;
    }
    assert_eq!(store.stage_names()?, ["nums", "plus", "total"]);
    // Everything is fresh; a changed option re-runs from `plus` and moves those stages onto
    // the log, keeping the partitions that did not change.
    let r = run_ok(&p)?;
    assert_eq!(stage(&r, "nums").partitions_run, 0);
    assert_eq!(stage(&r, "total").partitions_run, 0);
    let p2 = plan(dir.path(), CHAIN, &["plus.add=2"])?;
    let r = run_ok(&p2)?;
    assert_eq!(stage(&r, "plus").partitions_run, 3);
    assert_eq!(sum_of(dir.path())?, 3 * (66 + 24));
    for name in ["plus", "total"] {
        let st = store.stage(name);
        assert!(
            !st.dir().join(crate::store::MANIFEST_FILE).exists(),
            "{name}"
        );
        assert!(st.dir().join(crate::store::log::LOG_DIR).is_dir(), "{name}");
    }
    assert!(store
        .stage("nums")
        .dir()
        .join(crate::store::MANIFEST_FILE)
        .exists());
    assert_eq!(
        run_ok(&p2)?
            .stages
            .iter()
            .map(|s| s.partitions_run)
            .sum::<usize>(),
        0
    );
    Ok(())
}
