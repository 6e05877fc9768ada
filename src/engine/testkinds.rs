//! Small purpose-built kinds for engine and spec tests: a numbered source, a per-partition
//! map, and a whole-table sum.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use arrow::array::{Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::*;
use crate::error::{BaliError, Result};
use crate::tables::TableType;

pub(crate) fn batch(values: &[i64], source: &str) -> Result<RecordBatch> {
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
pub(crate) static PRODUCED: AtomicU64 = AtomicU64::new(0);
pub(crate) static CONSUMED: AtomicU64 = AtomicU64::new(0);
pub(crate) static MAX_IN_FLIGHT: AtomicI64 = AtomicI64::new(0);

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
    const INPUTS: &'static [InputDecl] =
        &[InputDecl::partitioned("numbers", &[TableType::Deletions])];
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
    const INPUTS: &'static [InputDecl] = &[InputDecl::whole("numbers", &[TableType::Deletions])];
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

/// Accepts only concepts: feeding it numbers is a type error.
struct NeedsConcepts;
impl StageKind for NeedsConcepts {
    type Options = MapOptions;
    const NAME: &'static str = "needs_concepts";
    const SUMMARY: &'static str = "test kind with a typed input";
    const FORMAT_VERSION: u32 = 1;
    const INPUTS: &'static [InputDecl] = &[InputDecl::whole("concepts", &[TableType::Concepts])];
    const OUTPUTS: &'static [OutputDecl] = &[OutputDecl {
        name: "out",
        table: TableType::Deletions,
    }];
    const EXAMPLE: &'static str = "";
    fn build(_: MapOptions, _: &BuildContext) -> Result<Box<dyn Stage>> {
        Ok(Box::new(SumStage))
    }
}

pub(crate) fn registry() -> Registry {
    let mut r = Registry::empty();
    r.register::<Numbers>()
        .register::<MapKind>()
        .register::<SumKind>()
        .register::<NeedsConcepts>();
    r
}
