//! The current view of PubMed: which article record of which file is the live one.
//!
//! PubMed ships a baseline and then daily update files. Per-file partitions stay immutable; the
//! rules are applied when reading:
//! - files are ordered by their number (natural order of the partition key), not by arrival;
//! - a later file's record for a PMID supersedes every earlier one;
//! - within one file the highest `Version` wins (a tie goes to the later record);
//! - a `DeleteCitation` in a file removes the PMID if that file is not earlier than the file of
//!   the winning record (a deletion and a record in the same file: the deletion wins, as
//!   DeleteCitation closes the file).
//!
//! A record is identified by `(source_file, article_index)`, which every article-derived table
//! (sentences, mentions, samples) carries as provenance, so the same test filters all of them.

use std::collections::{HashMap, HashSet};

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Int32Type, Int64Type};

use crate::engine::state::natural_cmp;
use crate::engine::Table;
use crate::error::{BaliError, Result};

#[derive(Debug, Clone, Copy)]
struct Winner {
    file: u32,
    version: i32,
    index: i64,
}

/// The winning record of every live PMID.
#[derive(Debug, Default)]
pub struct CurrentArticles {
    files: Vec<String>,
    rank: HashMap<String, u32>,
    winners: HashMap<i64, Winner>,
    records: u64,
    deleted: u64,
}

impl CurrentArticles {
    /// Applies the rules to an `articles` table and its `deletions`.
    pub fn build(articles: &Table, deletions: Option<&Table>) -> Result<CurrentArticles> {
        let mut cur = CurrentArticles::default();
        // Source files in partition order: one partition per file.
        let mut seen: HashSet<String> = HashSet::new();
        for table in std::iter::once(articles).chain(deletions) {
            for batch in table.scan_columns(&["source_file"])? {
                let batch = batch?;
                let col = batch.column(0).as_string::<i32>();
                for i in 0..col.len() {
                    if !seen.contains(col.value(i)) {
                        seen.insert(col.value(i).to_string());
                    }
                }
            }
        }
        let mut files: Vec<String> = seen.into_iter().collect();
        files.sort_by(|a, b| natural_cmp(a, b));
        cur.rank = files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.clone(), i as u32))
            .collect();
        cur.files = files;
        for batch in articles.scan_columns(&["pmid", "version", "source_file", "article_index"])? {
            let batch = batch?;
            let pmid = batch.column(0).as_primitive::<Int64Type>();
            let version = batch.column(1).as_primitive::<Int32Type>();
            let file = batch.column(2).as_string::<i32>();
            let index = batch.column(3).as_primitive::<Int64Type>();
            for i in 0..batch.num_rows() {
                cur.records += 1;
                let w = Winner {
                    file: cur.file_rank(file.value(i))?,
                    version: version.value(i),
                    index: index.value(i),
                };
                cur.winners
                    .entry(pmid.value(i))
                    .and_modify(|old| {
                        if (w.file, w.version, w.index) > (old.file, old.version, old.index) {
                            *old = w;
                        }
                    })
                    .or_insert(w);
            }
        }
        if let Some(d) = deletions {
            for batch in d.scan_columns(&["pmid", "source_file"])? {
                let batch = batch?;
                let pmid = batch.column(0).as_primitive::<Int64Type>();
                let file = batch.column(1).as_string::<i32>();
                for i in 0..batch.num_rows() {
                    let rank = cur.file_rank(file.value(i))?;
                    if let Some(w) = cur.winners.get(&pmid.value(i)) {
                        if rank >= w.file {
                            cur.winners.remove(&pmid.value(i));
                            cur.deleted += 1;
                        }
                    }
                }
            }
        }
        Ok(cur)
    }

    fn file_rank(&self, file: &str) -> Result<u32> {
        self.rank
            .get(file)
            .copied()
            .ok_or_else(|| BaliError::Internal(format!("source file `{file}` not ranked")))
    }

    /// Whether the record `(source_file, article_index)` of `pmid` is the live one.
    pub fn is_current(&self, pmid: i64, source_file: &str, article_index: i64) -> bool {
        match (self.winners.get(&pmid), self.rank.get(source_file)) {
            (Some(w), Some(&rank)) => w.file == rank && w.index == article_index,
            _ => false,
        }
    }

    /// Live PMIDs.
    pub fn len(&self) -> usize {
        self.winners.len()
    }

    /// Whether no PMID is live.
    pub fn is_empty(&self) -> bool {
        self.winners.is_empty()
    }

    /// Article records read (all files, all versions).
    pub fn records(&self) -> u64 {
        self.records
    }

    /// PMIDs removed by a DeleteCitation.
    pub fn deleted(&self) -> u64 {
        self.deleted
    }

    /// The winning `(source_file, article_index)` of every live PMID, sorted by PMID.
    pub fn keys(&self) -> Vec<(i64, &str, i64)> {
        let mut out: Vec<(i64, &str, i64)> = self
            .winners
            .iter()
            .map(|(&pmid, w)| (pmid, self.files[w.file as usize].as_str(), w.index))
            .collect();
        out.sort_unstable_by_key(|k| k.0);
        out
    }
}
