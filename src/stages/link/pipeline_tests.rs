//! `sentences`, `dictionary` and `link` run by the engine on `sample_data/` (read by the real
//! `pubmed` and `umls_concepts` sources), and the linker's precision and recall against the
//! hand-checked gold mentions (`sample_data/gold/`).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use arrow::array::{Int32Array, Int64Array, StringArray};

use crate::engine::Table;
use crate::tables::columns::column;
use crate::testutil::run_yaml;

/// The sample pipeline with the gold's rules as dictionary options: no minimum length, no
/// stop-list, every string without a lower-case letter case-sensitive, no hyphen variants.
const PIPELINE: &str = "
pipeline: sample_linking
stages:
  articles: { kind: pubmed, options: { paths: [sample_data/pubmed/pubmed26n0001.xml, sample_data/pubmed/pubmed26n0002.xml.gz] } }
  concepts: { kind: umls_concepts, options: { meta: sample_data/umls, languages: [ENG] } }
  sentences: { kind: sentences, inputs: [articles] }
  dictionary:
    kind: dictionary
    inputs: [concepts]
    options: { min_length: 0, stopwords: { builtin: false }, acronyms: { case_sensitive_max_length: 1000 }, hyphen_variants: false }
  mentions: { kind: link, inputs: [sentences, dictionary] }
";

fn run(workdir: &Path) -> crate::engine::RunReport {
    run_yaml(PIPELINE, workdir).unwrap_or_else(|e| panic!("run failed: {e}"))
}

/// A gold or found mention: (pmid, section, start, end, cui), offsets in the section text.
type Key = (i64, String, i32, i32, String);

fn gold() -> (BTreeSet<Key>, BTreeSet<i64>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/gold/mentions.tsv");
    let text = std::fs::read_to_string(path).unwrap();
    let mut rows = BTreeSet::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        rows.insert((
            f[0].parse().unwrap(),
            f[1].to_string(),
            f[2].parse().unwrap(),
            f[3].parse().unwrap(),
            f[5].to_string(),
        ));
    }
    let pmids = rows.iter().map(|r| r.0).collect();
    (rows, pmids)
}

#[test]
fn sample_pipeline_matches_the_gold_mentions() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(dir.path());
    let stages: HashMap<&str, usize> = report
        .stages
        .iter()
        .map(|s| (s.stage.as_str(), s.partitions_run))
        .collect();
    assert_eq!(
        (
            stages["sentences"],
            stages["dictionary"],
            stages["mentions"]
        ),
        (2, 1, 2)
    );

    let store = crate::store::Store::open(dir.path()).unwrap();
    let dictionary = Table::open(&store, "dictionary", None).unwrap();
    let index = dictionary
        .single_artifact_dir()
        .unwrap()
        .join(super::INDEX_FILE);
    assert!(
        index.exists(),
        "the matcher index is cached with the dictionary"
    );

    let (gold, pmids) = gold();
    let mut found = BTreeSet::new();
    for batch in Table::open(&store, "mentions", None)
        .unwrap()
        .scan()
        .unwrap()
    {
        let batch = batch.unwrap();
        let pmid = column::<Int64Array>(&batch, "pmid").unwrap();
        let section = column::<StringArray>(&batch, "section").unwrap();
        let start = column::<Int32Array>(&batch, "doc_start").unwrap();
        let end = column::<Int32Array>(&batch, "doc_end").unwrap();
        let cui = column::<StringArray>(&batch, "cui").unwrap();
        for i in 0..batch.num_rows() {
            if pmids.contains(&pmid.value(i)) {
                found.insert((
                    pmid.value(i),
                    section.value(i).to_string(),
                    start.value(i),
                    end.value(i),
                    cui.value(i).to_string(),
                ));
            }
        }
    }
    let hits = found.intersection(&gold).count();
    let precision = hits as f64 / found.len() as f64;
    let recall = hits as f64 / gold.len() as f64;
    eprintln!(
        "sample gold: {} gold rows, {} found, {hits} in both: precision {precision:.3}, recall {recall:.3}",
        gold.len(),
        found.len()
    );
    for k in found.difference(&gold) {
        eprintln!("  found, not gold: {k:?}");
    }
    for k in gold.difference(&found) {
        eprintln!("  gold, not found: {k:?}");
    }
    assert!(
        precision >= 0.95 && recall >= 0.95,
        "precision {precision}, recall {recall}"
    );

    // A second run finds everything fresh and runs nothing.
    let again = run(dir.path());
    assert!(
        again.stages.iter().all(|s| s.partitions_run == 0),
        "{again:?}"
    );
}

#[test]
fn kind_examples_parse_and_unknown_options_are_rejected() {
    let registry = crate::stages::registry();
    for name in ["sentences", "dictionary", "link"] {
        let kind = registry.get(name).unwrap();
        let options: serde_json::Value = serde_saphyr::from_str(kind.example).unwrap();
        let parsed = kind
            .parse(options)
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert!(parsed.is_object());
        let unknown = serde_json::json!({ "max_neighbours": 3 });
        let error = kind.parse(unknown).err().unwrap();
        assert_eq!(error.unknown_field.unwrap().0, "max_neighbours");
    }
}
