//! Tables that are not stage outputs: the current view of PubMed and the run reports.

use std::sync::{Arc, OnceLock};

use arrow::array::{ArrayRef, Int64Builder, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;
use serde::Serialize;

use crate::engine::report::RunReport;
use crate::engine::Table;
use crate::error::{IoResultExt, Result};
use crate::store::Store;
use crate::tables::TableType;
use crate::views::current::CurrentArticles;

/// Registers `<articles stage>_current` (and `<table>_current` for every table that carries
/// article provenance, when the store has exactly one articles stage) as views.
pub(crate) async fn register_current_views(
    ctx: &SessionContext,
    store: &Store,
    tables: &[(String, String, String)],
) -> Result<()> {
    let mut articles_stages = Vec::new();
    for (name, stage, output) in tables {
        let t = Table::open_remote(store, stage, output)?;
        if t.table_type() == TableType::Articles {
            articles_stages.push((name.clone(), stage.clone(), output.clone()));
        }
    }
    for (name, stage, output) in &articles_stages {
        let keys = CurrentKeys {
            store: store.clone(),
            stage: stage.clone(),
            output: output.clone(),
            table: OnceLock::new(),
        };
        let keys_name = format!("_{name}_current_keys");
        ctx.register_table(&keys_name, Arc::new(keys))?;
        ctx.sql(&format!(
            "CREATE VIEW {name}_current AS SELECT a.* FROM {name} a \
             JOIN {keys_name} k ON a.source_file = k.source_file AND a.article_index = k.article_index"
        ))
        .await?;
    }
    if let [(articles_name, _, _)] = articles_stages.as_slice() {
        for (name, stage, output) in tables {
            let t = Table::open_remote(store, stage, output)?;
            let schema = t.schema();
            let has_provenance = schema.field_with_name("source_file").is_ok()
                && schema.field_with_name("article_index").is_ok();
            if name == articles_name || !has_provenance {
                continue;
            }
            ctx.sql(&format!(
                "CREATE VIEW {name}_current AS SELECT t.* FROM {name} t \
                 JOIN _{articles_name}_current_keys k ON t.source_file = k.source_file AND t.article_index = k.article_index"
            ))
            .await?;
        }
    }
    Ok(())
}

/// The keys of the current articles of one articles stage, worked out on the first scan: a
/// query that reads no `_current` view reads no article (nor downloads one from a remote
/// workdir).
#[derive(Debug)]
struct CurrentKeys {
    store: Store,
    stage: String,
    output: String,
    table: OnceLock<Arc<MemTable>>,
}

impl CurrentKeys {
    fn table(&self) -> Result<Arc<MemTable>> {
        if let Some(t) = self.table.get() {
            return Ok(t.clone());
        }
        let articles = Table::open(&self.store, &self.stage, Some(&self.output))?;
        let deletions = Table::open(&self.store, &self.stage, Some("deletions")).ok();
        let current = CurrentArticles::build(&articles, deletions.as_ref())?;
        let table = Arc::new(keys_table(&current)?);
        Ok(self.table.get_or_init(|| table).clone())
    }
}

#[async_trait::async_trait]
impl TableProvider for CurrentKeys {
    fn schema(&self) -> SchemaRef {
        keys_schema()
    }

    fn table_type(&self) -> datafusion::datasource::TableType {
        datafusion::datasource::TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        let table = self
            .table()
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        table.scan(state, projection, filters, limit).await
    }
}

fn keys_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("pmid", DataType::Int64, false),
        Field::new("source_file", DataType::Utf8, false),
        Field::new("article_index", DataType::Int64, false),
    ]))
}

fn keys_table(current: &CurrentArticles) -> Result<MemTable> {
    let schema = keys_schema();
    let keys = current.keys();
    let mut pmid = Int64Builder::with_capacity(keys.len());
    let mut file = StringBuilder::new();
    let mut index = Int64Builder::with_capacity(keys.len());
    for (p, f, i) in keys {
        pmid.append_value(p);
        file.append_value(f);
        index.append_value(i);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(pmid.finish()),
        Arc::new(file.finish()),
        Arc::new(index.finish()),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    Ok(MemTable::try_new(schema, vec![vec![batch]])?)
}

/// Reads every run report of the store, oldest first.
pub fn read_runs(store: &Store) -> Result<Vec<RunReport>> {
    let dir = store.pulled_runs_dir()?;
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .at(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    for p in paths {
        let text = std::fs::read_to_string(&p).at(&p)?;
        match serde_json::from_str::<RunReport>(&text) {
            Ok(r) => out.push(r),
            Err(e) => tracing::warn!("skipping unreadable run report {}: {e}", p.display()),
        }
    }
    Ok(out)
}

/// Registers `runs` (one row per run), `run_stages` (one row per stage of each run) and
/// `run_partitions` (one row per partition of each stage of each run: what happened to it, why,
/// and the stage's note).
pub(crate) fn register_runs(ctx: &SessionContext, store: &Store) -> Result<()> {
    let runs = read_runs(store)?;
    let run_rows: Vec<RunRow> = runs
        .iter()
        .map(|r| RunRow {
            run_id: &r.run_id,
            pipeline: &r.pipeline,
            status: &r.status,
            started_at: r.started_at.to_rfc3339(),
            finished_at: r.finished_at.to_rfc3339(),
            seconds: r.seconds,
            error: r.error.as_deref(),
        })
        .collect();
    let stage_rows: Vec<StageRow> = runs
        .iter()
        .flat_map(|r| {
            r.stages.iter().map(|s| StageRow {
                run_id: &r.run_id,
                stage: &s.stage,
                kind: &s.kind,
                partitions_run: s.partitions_run as u64,
                partitions_skipped: s.partitions_skipped as u64,
                partitions_removed: s.partitions_removed as u64,
                rows_in: s.rows_in,
                rows_out: s.rows_out.values().sum(),
                records_skipped: s.records_skipped,
                records_quarantined: s.records_quarantined,
                seconds: s.seconds,
            })
        })
        .collect();
    let partition_rows: Vec<PartitionRow> = runs
        .iter()
        .flat_map(|r| {
            r.stages.iter().flat_map(move |s| {
                s.partitions.iter().map(move |p| PartitionRow {
                    run_id: &r.run_id,
                    stage: &s.stage,
                    partition: &p.key,
                    action: &p.action,
                    reason: &p.reason,
                    rows_out: p.rows_out,
                    seconds: p.seconds,
                    note: p.note.as_deref(),
                })
            })
        })
        .collect();
    let text = |name: &str, nullable| Field::new(name, DataType::Utf8, nullable);
    let count = |name: &str| Field::new(name, DataType::UInt64, false);
    let secs = || Field::new("seconds", DataType::Float64, false);
    register_rows(
        ctx,
        "runs",
        vec![
            text("run_id", false),
            text("pipeline", false),
            text("status", false),
            text("started_at", false),
            text("finished_at", false),
            secs(),
            text("error", true),
        ],
        &run_rows,
    )?;
    register_rows(
        ctx,
        "run_stages",
        vec![
            text("run_id", false),
            text("stage", false),
            text("kind", false),
            count("partitions_run"),
            count("partitions_skipped"),
            count("partitions_removed"),
            count("rows_in"),
            count("rows_out"),
            count("records_skipped"),
            count("records_quarantined"),
            secs(),
        ],
        &stage_rows,
    )?;
    register_rows(
        ctx,
        "run_partitions",
        vec![
            text("run_id", false),
            text("stage", false),
            text("partition", false),
            text("action", false),
            text("reason", false),
            count("rows_out"),
            secs(),
            text("note", true),
        ],
        &partition_rows,
    )
}

/// One row of `runs`.
#[derive(Serialize)]
struct RunRow<'a> {
    run_id: &'a str,
    pipeline: &'a str,
    status: &'a str,
    started_at: String,
    finished_at: String,
    seconds: f64,
    error: Option<&'a str>,
}

/// One row of `run_stages`.
#[derive(Serialize)]
struct StageRow<'a> {
    run_id: &'a str,
    stage: &'a str,
    kind: &'a str,
    partitions_run: u64,
    partitions_skipped: u64,
    partitions_removed: u64,
    rows_in: u64,
    rows_out: u64,
    records_skipped: u64,
    records_quarantined: u64,
    seconds: f64,
}

/// One row of `run_partitions`.
#[derive(Serialize)]
struct PartitionRow<'a> {
    run_id: &'a str,
    stage: &'a str,
    partition: &'a str,
    action: &'a str,
    reason: &'a str,
    rows_out: u64,
    seconds: f64,
    note: Option<&'a str>,
}

/// Registers `rows` (serialised field by field into `fields`) as the in-memory table `name`.
fn register_rows<T: Serialize>(
    ctx: &SessionContext,
    name: &str,
    fields: Vec<Field>,
    rows: &[T],
) -> Result<()> {
    let schema = Arc::new(Schema::new(fields));
    let mut decoder = arrow::json::ReaderBuilder::new(schema.clone())
        .with_batch_size(rows.len().max(1))
        .build_decoder()?;
    decoder.serialize(rows)?;
    let batches: Vec<RecordBatch> = decoder.flush()?.into_iter().collect();
    ctx.register_table(name, Arc::new(MemTable::try_new(schema, vec![batches])?))?;
    Ok(())
}
