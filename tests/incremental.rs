//! Incremental reprocessing across runs: update files, a changed dictionary option, a changed
//! UMLS file, and a failed run in the middle of an update.

mod common;

use std::path::{Path, PathBuf};

use common::*;

struct Fixture {
    _dir: tempfile::TempDir,
    input: PathBuf,
    umls: PathBuf,
    pipeline: PathBuf,
    wd: PathBuf,
}

/// The sample pipeline over copies of the inputs, so files can be added and changed.
fn fixture(pubmed_files: &[&str]) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("pubmed");
    let umls = dir.path().join("umls");
    for f in pubmed_files {
        copy(&root().join("sample_data/pubmed").join(f), &input.join(f));
    }
    for f in ["MRCONSO.RRF", "MRREL.RRF", "MRSTY.RRF"] {
        copy(&root().join("sample_data/umls").join(f), &umls.join(f));
    }
    let text = std::fs::read_to_string(root().join("pipelines/sample.yaml"))
        .expect("sample pipeline")
        .replace(
            "sample_data/pubmed/*.xml*",
            &format!("{}/*.xml*", input.display()),
        )
        .replace(
            "meta: sample_data/umls",
            &format!("meta: {}", umls.display()),
        );
    let pipeline = write(dir.path(), "p.yaml", &text);
    let wd = dir.path().join("wd");
    Fixture {
        _dir: dir,
        input,
        umls,
        pipeline,
        wd,
    }
}

fn run(f: &Fixture, extra: &[&str]) -> serde_json::Value {
    bali()
        .arg("run")
        .arg(&f.pipeline)
        .arg("--workdir")
        .arg(&f.wd)
        .args(extra)
        .assert()
        .success();
    last_report(&f.wd)
}

fn add(f: &Fixture, name: &str) {
    copy(
        &root().join("sample_data/pubmed").join(name),
        &f.input.join(name),
    );
}

#[test]
fn an_update_file_is_processed_alone_and_its_rules_apply() {
    let f = fixture(&["pubmed26n0001.xml", "pubmed26n0002.xml.gz"]);
    let first = run(&f, &[]);
    assert_eq!(runs(&first, "articles"), 2);
    assert_eq!(
        sql_value(
            &f.wd,
            "SELECT count(*) FROM articles_current WHERE pmid = 80000035"
        ),
        "1"
    );

    add(&f, "pubmed26n0003.xml.gz");
    let second = run(&f, &[]);
    for s in ["articles", "sentences", "mentions", "samples"] {
        assert_eq!(runs(&second, s), 1, "{s} should build only the new file");
        assert_eq!(stage(&second, s)["partitions_skipped"], 2, "{s}");
        let built: Vec<&str> = stage(&second, s)["partitions"]
            .as_array()
            .expect("partitions")
            .iter()
            .filter(|p| p["action"] == "run")
            .map(|p| p["key"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(built, vec!["pubmed26n0003"], "{s}");
    }
    // Dimension stages are untouched; the whole-table subgraphs see new mentions.
    assert_eq!(runs(&second, "concepts"), 0);
    assert_eq!(runs(&second, "dictionary"), 0);
    assert_eq!(runs(&second, "subgraphs"), 1);
    // Deleted in the update: gone from every current view, kept in the immutable partitions.
    assert_eq!(
        sql_value(
            &f.wd,
            "SELECT count(*) FROM articles_current WHERE pmid = 80000035"
        ),
        "0"
    );
    assert_eq!(
        sql_value(
            &f.wd,
            "SELECT count(*) FROM samples_current WHERE pmid = 80000035"
        ),
        "0"
    );
    assert!(
        sql_value(&f.wd, "SELECT count(*) FROM samples WHERE pmid = 80000035")
            .parse::<u64>()
            .unwrap_or(0)
            > 0
    );
    // Re-issued in the update: the later file's record wins.
    assert_eq!(
        sql_value(
            &f.wd,
            "SELECT source_file FROM articles_current WHERE pmid = 80000012"
        ),
        "pubmed26n0003.xml.gz"
    );
    assert_eq!(
        sql_value(
            &f.wd,
            "SELECT count(DISTINCT source_file) FROM samples_current WHERE pmid = 80000012"
        ),
        "1"
    );
    // Two versions in one file: the highest wins.
    assert_eq!(
        sql_value(
            &f.wd,
            "SELECT version FROM articles_current WHERE pmid = 80000041"
        ),
        "2"
    );
    assert_eq!(
        sql_value(&f.wd, "SELECT count(*) FROM articles_current"),
        "43"
    );
}

#[test]
fn files_are_ordered_by_number_not_by_arrival() {
    // The update arrives first; the baseline later. The update must still win.
    let f = fixture(&["pubmed26n0003.xml.gz"]);
    run(&f, &[]);
    add(&f, "pubmed26n0001.xml");
    add(&f, "pubmed26n0002.xml.gz");
    let r = run(&f, &[]);
    assert_eq!(runs(&r, "articles"), 2);
    assert_eq!(
        sql_value(
            &f.wd,
            "SELECT source_file FROM articles_current WHERE pmid = 80000012"
        ),
        "pubmed26n0003.xml.gz"
    );
    assert_eq!(
        sql_value(
            &f.wd,
            "SELECT count(*) FROM articles_current WHERE pmid = 80000035"
        ),
        "0"
    );
}

#[test]
fn a_changed_dictionary_option_relinks_without_reparsing() {
    let f = fixture(&[
        "pubmed26n0001.xml",
        "pubmed26n0002.xml.gz",
        "pubmed26n0003.xml.gz",
    ]);
    run(&f, &[]);
    let r = run(&f, &["--set", "dictionary.min_length=5"]);
    for s in ["articles", "concepts", "relations", "sentences", "names"] {
        assert_eq!(runs(&r, s), 0, "{s} must not re-run");
    }
    assert_eq!(runs(&r, "dictionary"), 1);
    assert_eq!(runs(&r, "mentions"), 3);
    assert_eq!(runs(&r, "samples"), 3);
    assert_eq!(runs(&r, "subgraphs"), 1);
    let reason = stage(&r, "mentions")["partitions"][0]["reason"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        reason.contains("input dictionary (whole) changed"),
        "{reason}"
    );
    // Back to the old option: rebuilt again (fingerprints, not history), same output as before.
    run(&f, &[]);
    assert_eq!(
        sql_value(&f.wd, "SELECT min(length(surface)) >= 3 FROM mentions"),
        "true"
    );
}

#[test]
fn a_changed_umls_file_reruns_its_dependents_only() {
    let f = fixture(&["pubmed26n0001.xml", "pubmed26n0002.xml.gz"]);
    run(&f, &[]);
    // A new synonym for an existing concept (a new UMLS release, in miniature).
    let mrconso = f.umls.join("MRCONSO.RRF");
    let mut text = std::fs::read_to_string(&mrconso).expect("mrconso");
    let line = text
        .lines()
        .find(|l| l.starts_with("C0025598|ENG|"))
        .expect("metformin atom")
        .to_string();
    let fields: Vec<&str> = line.split('|').collect();
    let mut new = fields.clone();
    new[7] = "A99999999";
    new[14] = "Dimethylbiguanide";
    text = text.replace(&line, &format!("{line}\n{}", new.join("|")));
    std::fs::write(&mrconso, text).expect("write");
    let r = run(&f, &[]);
    assert_eq!(runs(&r, "concepts"), 1);
    assert_eq!(runs(&r, "relations"), 0);
    assert_eq!(runs(&r, "articles"), 0);
    assert_eq!(runs(&r, "sentences"), 0);
    assert_eq!(runs(&r, "dictionary"), 1);
    assert_eq!(runs(&r, "mentions"), 2);
    let reason = stage(&r, "concepts")["partitions"][0]["reason"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(reason.contains("MRCONSO.RRF changed"), "{reason}");
    assert_eq!(
        sql_value(
            &f.wd,
            "SELECT count(*) FROM dictionary WHERE form = 'dimethylbiguanide'"
        ),
        "1"
    );
}

#[test]
fn a_failed_update_resumes_with_only_the_missing_work() {
    let f = fixture(&["pubmed26n0001.xml", "pubmed26n0002.xml.gz"]);
    // The sample pipeline quarantines bad records; here a bad file must stop the run.
    let fail = ["--set", "articles.on_error=fail"];
    run(&f, &fail);
    // The update arrives truncated (a download cut short): the run fails on it.
    let good = root().join("sample_data/pubmed/pubmed26n0003.xml.gz");
    let bytes = std::fs::read(&good).expect("read");
    let cut = f.input.join("pubmed26n0003.xml.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    bali()
        .arg("run")
        .arg(&f.pipeline)
        .arg("--workdir")
        .arg(&f.wd)
        .args(fail)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("pubmed26n0003"));
    assert_eq!(last_report(&f.wd)["status"], "failed");
    assert_eq!(
        sql_value(
            &f.wd,
            "SELECT count(*) FROM articles WHERE source_file = 'pubmed26n0003.xml.gz'"
        ),
        "0"
    );
    // The complete file arrives: only its partitions are built.
    copy(&good, &cut);
    let r = run(&f, &fail);
    for s in ["articles", "sentences", "mentions", "samples"] {
        assert_eq!(runs(&r, s), 1, "{s}");
    }
    assert_eq!(
        sql_value(&f.wd, "SELECT count(*) FROM articles_current"),
        "43"
    );
}

#[test]
fn a_removed_file_drops_its_partitions() {
    let f = fixture(&["pubmed26n0001.xml", "pubmed26n0002.xml.gz"]);
    run(&f, &[]);
    std::fs::remove_file(f.input.join("pubmed26n0002.xml.gz")).expect("rm");
    let r = run(&f, &[]);
    assert_eq!(stage(&r, "articles")["partitions_removed"], 1);
    assert_eq!(stage(&r, "samples")["partitions_removed"], 1);
    assert_eq!(
        sql_value(&f.wd, "SELECT count(DISTINCT source_file) FROM samples"),
        "1"
    );
    let leftovers: Vec<PathBuf> = std::fs::read_dir(f.wd.join("articles/articles"))
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().contains("pubmed26n0002"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let _: &Path = &f.umls;
}
