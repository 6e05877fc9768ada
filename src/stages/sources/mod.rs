//! The source kinds, one file each (`pubmed`, `umls_concepts`, `umls_relations`, `obo`):
//! thin wrappers that turn the readers of [`crate::sources`] into stages. What they share
//! (running a reader, globbing the paths, one partition per file) is here.
//!
//! Each reader pushes batches tagged with a [`TableType`]; the stage maps that to its output
//! index, forwards the batch to [`PartitionCtx::emit`] (which also checks for cancellation),
//! and moves the progress bar by the compressed bytes read. Input files are resolved and
//! globbed when the stage is built, so `bali validate` already reports a pattern that matches
//! nothing; their contents, not the path options, go into the fingerprints.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::RecordBatch;

use crate::engine::{
    BuildContext, InputDecl, OutputDecl, PartitionCtx, SourcePartition, Stage, StageKind, Unit,
};
use crate::error::{BaliError, Result};
use crate::sources::obo::{read_obo, OboOptions};
use crate::sources::pubmed::{read_pubmed, PubmedOptions};
use crate::sources::umls::{
    read_mrconso, read_mrrel, read_mrsty, UmlsConceptsOptions, UmlsRelationsOptions,
};
use crate::sources::ReadStats;
use crate::store::remote::{self, ObjectUrl};
use crate::tables::TableType;

/// The partition key of the single-partition UMLS stages.
const UMLS_PARTITION: &str = "umls";

mod obo;
mod pubmed;
mod umls_concepts;
mod umls_relations;

pub use obo::OboKind;
pub use pubmed::PubmedKind;
pub use umls_concepts::UmlsConceptsKind;
pub use umls_relations::UmlsRelationsKind;

/// Runs one reader for a partition: batches go to the output of their table type.
fn run_reader(
    ctx: &mut PartitionCtx<'_>,
    outputs: &[OutputDecl],
    files: &[&Path],
    mut read: impl FnMut(
        usize,
        &AtomicU64,
        &mut dyn FnMut(TableType, RecordBatch) -> Result<()>,
    ) -> Result<ReadStats>,
) -> Result<()> {
    let total = files
        .iter()
        .map(|f| crate::sources::input::input_size(f))
        .sum::<Result<u64>>()?;
    ctx.progress().start(total, Unit::Bytes);
    let progress = AtomicU64::new(0);
    let mut stats = ReadStats::default();
    for file in 0..files.len() {
        let mut emit = |table: TableType, batch: RecordBatch| -> Result<()> {
            let index = outputs
                .iter()
                .position(|o| o.table == table)
                .ok_or_else(|| {
                    BaliError::Internal(format!(
                        "a reader emitted {table}, which stage `{}` does not declare",
                        ctx.stage()
                    ))
                })?;
            ctx.emit(index, batch)?;
            ctx.progress()
                .set_position(progress.load(Ordering::Relaxed));
            Ok(())
        };
        stats.add(&read(file, &progress, &mut emit)?);
    }
    ctx.progress()
        .set_position(progress.load(Ordering::Relaxed));
    ctx.skipped(stats.skipped);
    tracing::info!(
        stage = ctx.stage(),
        partition = ctx.key(),
        read = stats.read,
        written = stats.written,
        filtered = stats.filtered,
        skipped = stats.skipped,
        quarantined = stats.quarantined,
        "read"
    );
    Ok(())
}

/// The files `patterns` name, relative to `base`, or the objects an `s3://` pattern names
/// (as their URLs): globs expanded, sorted and deduplicated. A pattern that matches nothing is
/// an error (a typo would otherwise read nothing silently). Used by every kind whose `paths`
/// option lists input files (the sources here, `pubtator`).
pub(crate) fn expand(patterns: &[String], ctx: &BuildContext) -> Result<Vec<PathBuf>> {
    if patterns.is_empty() {
        return Err(BaliError::Spec("`paths` lists no file".into()));
    }
    let mut files = Vec::new();
    for pattern in patterns {
        if let Some(url) = ObjectUrl::parse(Path::new(pattern))? {
            let found = remote::glob(&url)?;
            if found.is_empty() {
                return Err(BaliError::Spec(format!("no object matches {pattern:?}")));
            }
            files.extend(found.into_iter().map(|(u, _)| PathBuf::from(u.to_string())));
            continue;
        }
        let full = ctx.resolve(pattern);
        let text = full.to_string_lossy();
        let matches =
            glob::glob(&text).map_err(|e| BaliError::Spec(format!("bad glob {pattern:?}: {e}")))?;
        let before = files.len();
        for entry in matches {
            let path = entry.map_err(|e| {
                let path = e.path().to_owned();
                BaliError::io(path, e.into())
            })?;
            if path.is_file() {
                files.push(path);
            }
        }
        if files.len() == before {
            return Err(BaliError::Spec(format!(
                "no file matches {pattern:?} (looked for {text})"
            )));
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// A partition key from a file name: `pubmed25n0001.xml.gz` is `pubmed25n0001`.
fn partition_key(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    let name = name
        .strip_suffix(".xml")
        .or_else(|| name.strip_suffix(".obo"))
        .unwrap_or(name);
    name.to_string()
}

/// One partition per file, keyed by file stem; two files with the same stem are an error.
fn partitions_by_file(files: &[PathBuf], stage: &str) -> Result<BTreeMap<String, PathBuf>> {
    let mut by_key = BTreeMap::new();
    for file in files {
        if let Some(other) = by_key.insert(partition_key(file), file.clone()) {
            return Err(BaliError::Spec(format!(
                "stage `{stage}`: {} and {} would be the same partition `{}`; rename one",
                other.display(),
                file.display(),
                partition_key(file)
            )));
        }
    }
    Ok(by_key)
}

fn source_partitions(files: &BTreeMap<String, PathBuf>) -> Vec<SourcePartition> {
    files
        .iter()
        .map(|(key, file)| SourcePartition {
            key: key.clone(),
            files: vec![file.clone()],
        })
        .collect()
}

fn file_of<'a>(
    files: &'a BTreeMap<String, PathBuf>,
    ctx: &PartitionCtx<'_>,
) -> Result<&'a PathBuf> {
    files.get(ctx.key()).ok_or_else(|| {
        BaliError::Internal(format!(
            "stage `{}` has no partition `{}`",
            ctx.stage(),
            ctx.key()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{RunReport, StageReport, Table};
    use crate::store::Store;
    use crate::testutil::run_yaml;
    use arrow::array::AsArray;
    use arrow::datatypes::Int64Type;

    const SAMPLE: &str = r#"
pipeline: sources
stages:
  articles:  { kind: pubmed, options: { paths: ["sample_data/pubmed/*.xml*"], on_error: quarantine } }
  concepts:  { kind: umls_concepts, options: { meta: sample_data/umls } }
  relations: { kind: umls_relations, options: { meta: sample_data/umls } }
  hpo:       { kind: obo, options: { path: sample_data/ontology/mini.obo, sab: HPO } }
"#;

    fn stage<'a>(report: &'a RunReport, name: &str) -> &'a StageReport {
        report
            .stages
            .iter()
            .find(|s| s.stage == name)
            .expect("stage in report")
    }

    fn rows(report: &RunReport, stage_name: &str, output: &str) -> u64 {
        stage(report, stage_name)
            .rows_out
            .get(output)
            .copied()
            .unwrap_or(0)
    }

    #[test]
    fn the_sample_sources_run_end_to_end_and_are_fresh_the_second_time() {
        let dir = tempfile::tempdir().unwrap();
        let report = run_yaml(SAMPLE, dir.path()).unwrap();
        assert_eq!(stage(&report, "articles").partitions_run, 3);
        assert_eq!(rows(&report, "articles", "articles"), 25 + 15 + 6);
        assert_eq!(rows(&report, "articles", "deletions"), 1);
        assert_eq!(rows(&report, "articles", "rejects"), 0);
        // 495 atoms: 319 English, unsuppressed and distinct per concept.
        assert_eq!(rows(&report, "concepts", "concepts"), 319);
        assert_eq!(rows(&report, "concepts", "semantic_types"), 160);
        assert_eq!(rows(&report, "relations", "relations"), 446);
        // mini.obo: 35 live terms (one obsolete), 36 is_a and 5 relationship lines, both ways.
        assert_eq!(rows(&report, "hpo", "semantic_types"), 35);
        assert_eq!(rows(&report, "hpo", "relations"), 2 * (36 + 5));

        let store = Store::open(dir.path()).unwrap();
        let deletions = Table::open(&store, "articles", Some("deletions"))
            .unwrap()
            .scan()
            .unwrap()
            .collect_all()
            .unwrap();
        let deleted = deletions[0]
            .column_by_name("pmid")
            .unwrap()
            .as_primitive::<Int64Type>()
            .value(0);
        assert_eq!(deleted, 80_000_035);
        let articles = Table::open(&store, "articles", None).unwrap();
        assert_eq!(
            articles.partition_keys(),
            ["pubmed26n0001", "pubmed26n0002", "pubmed26n0003"]
        );
        let hpo = Table::open(&store, "hpo", None).unwrap();
        assert_eq!(hpo.table_type(), TableType::Concepts);

        let again = run_yaml(SAMPLE, dir.path()).unwrap();
        for name in ["articles", "concepts", "relations", "hpo"] {
            assert_eq!(stage(&again, name).partitions_run, 0, "{name} ran again");
        }
    }

    #[test]
    fn a_pattern_that_matches_nothing_is_a_validation_error() {
        let dir = tempfile::tempdir().unwrap();
        let yaml = "pipeline: t\nstages:\n  a: { kind: pubmed, options: { paths: [\"sample_data/pubmed/none*.xml\"] } }\n";
        let err = run_yaml(yaml, dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("no file matches \"sample_data/pubmed/none*.xml\""),
            "{err}"
        );
        let yaml =
            "pipeline: t\nstages:\n  c: { kind: umls_concepts, options: { meta: sample_data } }\n";
        let err = run_yaml(yaml, dir.path()).unwrap_err().to_string();
        assert!(err.contains("MRCONSO.RRF"), "{err}");
    }

    #[test]
    fn bad_records_are_counted_in_the_run_report() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in");
        std::fs::create_dir(&input).unwrap();
        let good =
            "<PubmedArticle><MedlineCitation><PMID>1</PMID></MedlineCitation></PubmedArticle>";
        let bad = "<PubmedArticle><MedlineCitation></MedlineCitation></PubmedArticle>";
        let xml = format!("<PubmedArticleSet>{good}{bad}</PubmedArticleSet>");
        std::fs::write(input.join("pubmed99n0001.xml"), xml).unwrap();
        for (policy, skipped, quarantined) in [("skip", 1, 0), ("quarantine", 0, 1)] {
            let workdir = dir.path().join(policy);
            let yaml = format!(
                "pipeline: t\nstages:\n  a: {{ kind: pubmed, options: {{ paths: [\"{}/*.xml\"], on_error: {policy} }} }}\n",
                input.display()
            );
            let report = run_yaml(&yaml, &workdir).unwrap();
            let a = stage(&report, "a");
            assert_eq!(
                (a.records_skipped, a.records_quarantined),
                (skipped, quarantined),
                "{policy}"
            );
            assert_eq!(rows(&report, "a", "articles"), 1);
        }
        let yaml = format!(
            "pipeline: t\nstages:\n  a: {{ kind: pubmed, options: {{ paths: [\"{}/*.xml\"] }} }}\n",
            input.display()
        );
        let err = run_yaml(&yaml, &dir.path().join("fail"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("pubmed99n0001.xml: byte ") && err.contains("has no PMID"),
            "{err}"
        );
    }

    #[test]
    fn partition_keys_are_file_stems() {
        assert_eq!(
            partition_key(Path::new("/x/pubmed25n0001.xml.gz")),
            "pubmed25n0001"
        );
        assert_eq!(
            partition_key(Path::new("pubmed25n0002.xml")),
            "pubmed25n0002"
        );
        assert_eq!(partition_key(Path::new("hp.obo")), "hp");
        let clash = partitions_by_file(
            &[PathBuf::from("a/p1.xml"), PathBuf::from("b/p1.xml.gz")],
            "s",
        );
        assert!(clash
            .unwrap_err()
            .to_string()
            .contains("same partition `p1`"));
    }
}
