//! Engine tests with small purpose-built kinds: ordering, streaming and backpressure, skipping
//! fresh partitions, re-running what an option change invalidates, failure isolation.

use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use arrow::array::{Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::*;
use crate::error::{BaliError, Result};
use crate::spec::{load_str, LoadOptions};
use crate::tables::TableType;

fn batch(values: &[i64], source: &str) -> Result<RecordBatch> {
    Ok(RecordBatch::try_new(
        TableType::Deletions.schema(),
        vec![
            Arc::new(Int64Array::from(values.to_vec())),
            Arc::new(StringArray::from(vec![source; values.len()])),
            Arc::new(Int64Array::from(vec![0i64; values.len()])),
        ],
    )?)
}

/// In-flight accounting shared by `numbers` (producer) and `slow` (consumer) in one test.
static PRODUCED: AtomicU64 = AtomicU64::new(0);
static CONSUMED: AtomicU64 = AtomicU64::new(0);
static MAX_IN_FLIGHT: AtomicI64 = AtomicI64::new(0);

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NumbersOptions {
    /// Partition keys.
    partitions: Vec<String>,
    /// Batches per partition.
    #[serde(default = "one")]
    batches: u64,
    /// Rows per batch.
    #[serde(default = "one")]
    rows: u64,
    /// Fail on this partition.
    #[serde(default)]
    fail_on: Option<String>,
    /// Count batches in the in-flight probe (one test at a time uses it).
    #[serde(default)]
    probe: bool,
}
fn one() -> u64 {
    1
}

struct Numbers;
impl StageKind for Numbers {
    type Options = NumbersOptions;
    const NAME: &'static str = "numbers";
    const SUMMARY: &'static str = "test source";
    const FORMAT_VERSION: u32 = 1;
    const INPUTS: &'static [InputDecl] = &[];
    const OUTPUTS: &'static [OutputDecl] = &[OutputDecl {
        name: "numbers",
        table: TableType::Deletions,
    }];
    const UNFINGERPRINTED_OPTIONS: &'static [&'static str] = &["partitions", "fail_on", "probe"];
    const EXAMPLE: &'static str = "partitions: [a, b]";
    fn build(o: NumbersOptions, _: &BuildContext) -> Result<Box<dyn Stage>> {
        Ok(Box::new(NumbersStage(o)))
    }
}
struct NumbersStage(NumbersOptions);
impl Stage for NumbersStage {
    fn source_partitions(&self) -> Result<Option<Vec<SourcePartition>>> {
        Ok(Some(
            self.0
                .partitions
                .iter()
                .map(|k| SourcePartition {
                    key: k.clone(),
                    files: vec![],
                })
                .collect(),
        ))
    }
    fn run(&self, ctx: &mut PartitionCtx<'_>) -> Result<()> {
        if self.0.fail_on.as_deref() == Some(ctx.key()) {
            return Err(BaliError::bad_input(
                ctx.key(),
                crate::Position::Record(0),
                "told to fail",
            ));
        }
        let key = ctx.key().to_string();
        for b in 0..self.0.batches {
            let values: Vec<i64> = (0..self.0.rows)
                .map(|r| (b * self.0.rows + r) as i64)
                .collect();
            ctx.emit(0, batch(&values, &key)?)?;
            if !self.0.probe {
                continue;
            }
            let p = PRODUCED.fetch_add(1, Ordering::SeqCst) as i64 + 1;
            let in_flight = p - CONSUMED.load(Ordering::SeqCst) as i64;
            MAX_IN_FLIGHT.fetch_max(in_flight, Ordering::SeqCst);
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct MapOptions {
    /// Added to every value.
    #[serde(default)]
    add: i64,
    /// Milliseconds to sleep per batch (a slow consumer).
    #[serde(default)]
    sleep_ms: u64,
    /// Count consumed batches in the in-flight probe.
    #[serde(default)]
    probe: bool,
}

struct MapKind;
impl StageKind for MapKind {
    type Options = MapOptions;
    const NAME: &'static str = "map";
    const SUMMARY: &'static str = "test transform";
    const FORMAT_VERSION: u32 = 1;
    const INPUTS: &'static [InputDecl] = &[InputDecl {
        role: "numbers",
        accepts: &[TableType::Deletions],
        mode: InputMode::Partitioned,
        optional: false,
    }];
    const OUTPUTS: &'static [OutputDecl] = &[OutputDecl {
        name: "numbers",
        table: TableType::Deletions,
    }];
    const EXAMPLE: &'static str = "add: 1";
    fn build(o: MapOptions, _: &BuildContext) -> Result<Box<dyn Stage>> {
        Ok(Box::new(MapStage(o)))
    }
}
struct MapStage(MapOptions);
impl Stage for MapStage {
    fn run(&self, ctx: &mut PartitionCtx<'_>) -> Result<()> {
        let input = ctx.input(0)?;
        for b in input {
            let b = b?;
            if self.0.sleep_ms > 0 {
                std::thread::sleep(std::time::Duration::from_millis(self.0.sleep_ms));
            }
            if self.0.probe {
                CONSUMED.fetch_add(1, Ordering::SeqCst);
            }
            let col = b
                .column(0)
                .as_any()
                .downcast_ref::<Int64Array>()
                .ok_or_else(|| BaliError::Internal("not int64".into()))?;
            let values: Vec<i64> = col.values().iter().map(|v| v + self.0.add).collect();
            ctx.emit(0, batch(&values, ctx.key())?)?;
        }
        Ok(())
    }
}

/// Sums a whole table into one row: a dimension-style consumer.
struct SumKind;
impl StageKind for SumKind {
    type Options = MapOptions;
    const NAME: &'static str = "sum";
    const SUMMARY: &'static str = "test whole-table consumer";
    const FORMAT_VERSION: u32 = 1;
    const INPUTS: &'static [InputDecl] = &[InputDecl {
        role: "numbers",
        accepts: &[TableType::Deletions],
        mode: InputMode::Whole,
        optional: false,
    }];
    const OUTPUTS: &'static [OutputDecl] = &[OutputDecl {
        name: "sum",
        table: TableType::Deletions,
    }];
    const EXAMPLE: &'static str = "";
    fn build(_: MapOptions, _: &BuildContext) -> Result<Box<dyn Stage>> {
        Ok(Box::new(SumStage))
    }
}
struct SumStage;
impl Stage for SumStage {
    fn run(&self, ctx: &mut PartitionCtx<'_>) -> Result<()> {
        let table = ctx.whole(0)?;
        let mut total = 0i64;
        for b in table.scan()? {
            let b = b?;
            let col = b
                .column(0)
                .as_any()
                .downcast_ref::<Int64Array>()
                .ok_or_else(|| BaliError::Internal("not int64".into()))?;
            total += col.values().iter().sum::<i64>();
        }
        ctx.emit(0, batch(&[total], "sum")?)
    }
}

fn registry() -> Registry {
    let mut r = Registry::empty();
    r.register::<Numbers>()
        .register::<MapKind>()
        .register::<SumKind>();
    r
}

fn plan(dir: &Path, yaml: &str, sets: &[&str]) -> Result<crate::spec::Plan> {
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

fn run_ok(plan: &crate::spec::Plan) -> Result<RunReport> {
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
    let r = run_ok(&plan(dir.path(), CHAIN, &["plus.add=5"])?)?;
    assert_eq!(stage(&r, "plus").partitions_run, 3);
    assert!(!orphan.exists());
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
