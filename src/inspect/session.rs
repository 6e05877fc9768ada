//! A DataFusion session with every committed stage output registered as a table.
//!
//! Table names: a stage's default output is the stage name (`articles`), any other output is
//! `<stage>_<output>` (`articles_deletions`, `articles_rejects`). Only files the manifest names
//! are registered, so a half-written partition can never show up in a query.

use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::engine::Table;
use crate::error::{BaliError, Result};
use crate::store::Store;

/// `(table name, stage, output)` for every committed stage output.
pub fn table_names(store: &Store) -> Result<Vec<(String, String, String)>> {
    let mut out = Vec::new();
    for stage in store.stage_names()? {
        let Some(manifest) = store.stage(&stage).manifest()? else {
            continue;
        };
        for (i, (output, _)) in manifest.outputs.iter().enumerate() {
            let name = if i == 0 {
                stage.clone()
            } else {
                format!("{stage}_{output}")
            };
            out.push((name, stage.clone(), output.clone()));
        }
    }
    Ok(out)
}

/// A session over the store at its current state: every stage output, the current views of
/// PubMed (`articles_current`, `samples_current`, ...), `runs`, `run_stages` and `run_partitions`.
pub async fn session(store: &Store) -> Result<SessionContext> {
    let config = SessionConfig::new()
        .with_information_schema(true)
        .with_default_catalog_and_schema("bali", "public");
    let ctx = SessionContext::new_with_config(config);
    // A remote workdir's Parquet files are read where they are: DataFusion gets the bucket's
    // store and the objects' URLs.
    if let Some(mirror) = store.remote() {
        let url = mirror.url();
        let base = datafusion::execution::object_store::ObjectStoreUrl::parse(format!(
            "{}://{}",
            url.scheme, url.bucket
        ))?;
        ctx.register_object_store(base.as_ref(), mirror.objects().0);
    }
    let tables = table_names(store)?;
    for (name, stage, output) in &tables {
        let table = Table::open_remote(store, stage, output)?;
        let schema = table.schema();
        let files = table.locations();
        if files.is_empty() {
            let empty =
                MemTable::try_new(schema.clone(), vec![vec![RecordBatch::new_empty(schema)]])?;
            ctx.register_table(name, Arc::new(empty))?;
            continue;
        }
        let urls = files
            .iter()
            .map(|f| {
                if store.remote().is_some() {
                    return Ok(ListingTableUrl::parse(f)?);
                }
                let abs = std::fs::canonicalize(f).map_err(|e| BaliError::io(f, e))?;
                Ok(ListingTableUrl::parse(abs.to_string_lossy())?)
            })
            .collect::<Result<Vec<_>>>()?;
        let options =
            ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
        let config = ListingTableConfig::new_with_multi_paths(urls)
            .with_listing_options(options)
            .with_schema(schema);
        ctx.register_table(name, Arc::new(ListingTable::try_new(config)?))?;
    }
    super::extra_tables::register_current_views(&ctx, store, &tables).await?;
    super::extra_tables::register_runs(&ctx, store)?;
    Ok(ctx)
}

/// Runs one SQL statement against the store and collects the result.
pub fn query(store: &Store, sql: &str) -> Result<Vec<RecordBatch>> {
    Ok(run_queries(store, &[sql])?.pop().unwrap_or_default())
}

/// Runs several statements in one session (tables registered once).
pub fn run_queries(store: &Store, sqls: &[&str]) -> Result<Vec<Vec<RecordBatch>>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| BaliError::Internal(format!("cannot start the query runtime: {e}")))?;
    runtime.block_on(async {
        let ctx = session(store).await?;
        let mut out = Vec::with_capacity(sqls.len());
        for sql in sqls {
            out.push(ctx.sql(sql).await?.collect().await?);
        }
        Ok(out)
    })
}
