//! Tables that are not stage outputs: the current view of PubMed and the run reports.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Builder, Int64Builder, StringBuilder, UInt64Builder};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

use crate::engine::report::RunReport;
use crate::engine::Table;
use crate::error::{IoResultExt, Result};
use crate::stages::current::CurrentArticles;
use crate::store::Store;
use crate::tables::TableType;

/// Registers `<articles stage>_current` (and `<table>_current` for every table that carries
/// article provenance, when the store has exactly one articles stage) as views.
pub(crate) async fn register_current_views(
    ctx: &SessionContext,
    store: &Store,
    tables: &[(String, String, String)],
) -> Result<()> {
    let mut articles_stages = Vec::new();
    for (name, stage, output) in tables {
        let t = Table::open(store, stage, Some(output))?;
        if t.table_type() == TableType::Articles {
            articles_stages.push((name.clone(), stage.clone(), t));
        }
    }
    for (name, stage, articles) in &articles_stages {
        let deletions = Table::open(store, stage, Some("deletions")).ok();
        let current = CurrentArticles::build(articles, deletions.as_ref())?;
        let keys_name = format!("_{name}_current_keys");
        ctx.register_table(&keys_name, Arc::new(keys_table(&current)?))?;
        ctx.sql(&format!(
            "CREATE VIEW {name}_current AS SELECT a.* FROM {name} a \
             JOIN {keys_name} k ON a.source_file = k.source_file AND a.article_index = k.article_index"
        ))
        .await?;
    }
    if let [(articles_name, _, _)] = articles_stages.as_slice() {
        for (name, stage, output) in tables {
            let t = Table::open(store, stage, Some(output))?;
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

fn keys_table(current: &CurrentArticles) -> Result<MemTable> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("pmid", DataType::Int64, false),
        Field::new("source_file", DataType::Utf8, false),
        Field::new("article_index", DataType::Int64, false),
    ]));
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
    let dir = store.runs_dir();
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

/// Registers `runs` (one row per run) and `run_stages` (one row per stage of each run).
pub(crate) fn register_runs(ctx: &SessionContext, store: &Store) -> Result<()> {
    let runs = read_runs(store)?;
    let run_schema = Arc::new(Schema::new(vec![
        Field::new("run_id", DataType::Utf8, false),
        Field::new("pipeline", DataType::Utf8, false),
        Field::new("status", DataType::Utf8, false),
        Field::new("started_at", DataType::Utf8, false),
        Field::new("finished_at", DataType::Utf8, false),
        Field::new("seconds", DataType::Float64, false),
        Field::new("error", DataType::Utf8, true),
    ]));
    let (mut id, mut pipeline, mut status, mut start, mut finish, mut err) = (
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
    );
    let mut secs = Float64Builder::new();
    for r in &runs {
        id.append_value(&r.run_id);
        pipeline.append_value(&r.pipeline);
        status.append_value(&r.status);
        start.append_value(r.started_at.to_rfc3339());
        finish.append_value(r.finished_at.to_rfc3339());
        secs.append_value(r.seconds);
        err.append_option(r.error.as_deref());
    }
    let batch = RecordBatch::try_new(
        run_schema.clone(),
        vec![
            Arc::new(id.finish()),
            Arc::new(pipeline.finish()),
            Arc::new(status.finish()),
            Arc::new(start.finish()),
            Arc::new(finish.finish()),
            Arc::new(secs.finish()),
            Arc::new(err.finish()),
        ],
    )?;
    ctx.register_table(
        "runs",
        Arc::new(MemTable::try_new(run_schema, vec![vec![batch]])?),
    )?;

    let stage_schema = Arc::new(Schema::new(vec![
        Field::new("run_id", DataType::Utf8, false),
        Field::new("stage", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("partitions_run", DataType::UInt64, false),
        Field::new("partitions_skipped", DataType::UInt64, false),
        Field::new("partitions_removed", DataType::UInt64, false),
        Field::new("rows_in", DataType::UInt64, false),
        Field::new("rows_out", DataType::UInt64, false),
        Field::new("records_skipped", DataType::UInt64, false),
        Field::new("records_quarantined", DataType::UInt64, false),
        Field::new("seconds", DataType::Float64, false),
    ]));
    let (mut rid, mut stage, mut kind) = (
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
    );
    let mut counts: Vec<UInt64Builder> = (0..7).map(|_| UInt64Builder::new()).collect();
    let mut seconds = Float64Builder::new();
    for r in &runs {
        for s in &r.stages {
            rid.append_value(&r.run_id);
            stage.append_value(&s.stage);
            kind.append_value(&s.kind);
            let values = [
                s.partitions_run as u64,
                s.partitions_skipped as u64,
                s.partitions_removed as u64,
                s.rows_in,
                s.rows_out.values().sum(),
                s.records_skipped,
                s.records_quarantined,
            ];
            for (b, v) in counts.iter_mut().zip(values) {
                b.append_value(v);
            }
            seconds.append_value(s.seconds);
        }
    }
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(rid.finish()),
        Arc::new(stage.finish()),
        Arc::new(kind.finish()),
    ];
    columns.extend(counts.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    columns.push(Arc::new(seconds.finish()));
    let batch = RecordBatch::try_new(stage_schema.clone(), columns)?;
    ctx.register_table(
        "run_stages",
        Arc::new(MemTable::try_new(stage_schema, vec![vec![batch]])?),
    )?;
    Ok(())
}
