//! `bali inspect WORKDIR --lineage PMID`: one article traced through every stage, from the
//! source records (file, version, position, current or not) to sentences, mentions, samples and
//! the subgraphs of its concepts.

use std::fmt::Write as _;

use super::format::{format_batches, OutputFormat};
use super::session::{run_queries, table_names};
use crate::error::Result;
use crate::store::Store;
use crate::tables::TableType;

/// The lineage report of `pmid`.
pub fn lineage(store: &Store, pmid: i64) -> Result<String> {
    let tables = table_names(store)?;
    let of_type = |t: TableType| -> Vec<String> {
        tables
            .iter()
            .filter(|(_, stage, output)| {
                crate::engine::Table::open_remote(store, stage, output)
                    .map(|tb| tb.table_type() == t)
                    .unwrap_or(false)
            })
            .map(|(name, _, _)| name.clone())
            .collect()
    };
    let mut queries: Vec<(String, String)> = Vec::new();
    for name in of_type(TableType::Articles) {
        queries.push((
            format!("{name}: records of PMID {pmid} (every file and version; * = current)"),
            format!(
                "SELECT a.source_file, a.article_index, a.version, a.byte_offset, \
                 CASE WHEN k.pmid IS NULL THEN '' ELSE '*' END AS current, a.title \
                 FROM {name} a LEFT JOIN _{name}_current_keys k \
                 ON a.source_file = k.source_file AND a.article_index = k.article_index \
                 WHERE a.pmid = {pmid} ORDER BY a.source_file, a.article_index"
            ),
        ));
    }
    for name in of_type(TableType::Deletions) {
        queries.push((
            format!("{name}: deletions of PMID {pmid}"),
            format!("SELECT source_file, byte_offset FROM {name} WHERE pmid = {pmid}"),
        ));
    }
    for name in of_type(TableType::Sentences) {
        queries.push((
            format!("{name}: sentences per record"),
            format!(
                "SELECT source_file, article_index, count(*) AS sentences, sum(length(text)) AS characters \
                 FROM {name} WHERE pmid = {pmid} GROUP BY source_file, article_index ORDER BY source_file"
            ),
        ));
    }
    let mention_tables = of_type(TableType::Mentions);
    for name in &mention_tables {
        queries.push((
            format!("{name}: mentions"),
            format!(
                "SELECT source_file, sentence_index, start, \"end\", surface, cui, candidates \
                 FROM {name} WHERE pmid = {pmid} ORDER BY source_file, sentence_index, start, cui"
            ),
        ));
    }
    for name in of_type(TableType::Samples) {
        queries.push((
            format!("{name}: training samples"),
            format!(
                "SELECT source_file, sentence_index, array_length(input_ids) AS tokens, \
                 array_length(mentions) AS mentions FROM {name} WHERE pmid = {pmid} \
                 ORDER BY source_file, sentence_index"
            ),
        ));
    }
    if let Some(m) = mention_tables.first() {
        for name in of_type(TableType::Subgraphs) {
            queries.push((
                format!("{name}: subgraphs of the concepts mentioned"),
                format!(
                    "SELECT s.cui, s.degree, array_length(s.neighbors) AS stored_neighbors, s.names[1] AS name \
                     FROM {name} s WHERE s.cui IN (SELECT cui FROM {m} WHERE pmid = {pmid}) ORDER BY s.cui"
                ),
            ));
        }
    }
    let sqls: Vec<&str> = queries.iter().map(|(_, q)| q.as_str()).collect();
    let results = run_queries(store, &sqls)?;
    let mut out = String::new();
    for ((title, _), batches) in queries.iter().zip(results) {
        let _ = writeln!(out, "{title}");
        let _ = writeln!(
            out,
            "{}\n",
            format_batches(&batches, OutputFormat::Table, 70)?
        );
    }
    Ok(out)
}
