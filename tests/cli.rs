//! The command line as a user runs it: the sample pipeline, validation errors, status,
//! inspection, SQL, exit codes, and a run killed mid-partition.

mod common;

use common::*;
use predicates::prelude::*;

#[test]
fn the_sample_pipeline_runs_then_skips_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wd = dir.path().join("wd");
    bali()
        .args(["run", "pipelines/sample.yaml", "--workdir"])
        .arg(&wd)
        .assert()
        .success()
        .stdout(predicate::str::contains("ok in").and(predicate::str::contains("report: ")));
    let first = last_report(&wd);
    assert_eq!(first["status"], "ok");
    assert_eq!(runs(&first, "articles"), 3);
    assert!(
        stage(&first, "samples")["rows_out"]["samples"]
            .as_u64()
            .unwrap_or(0)
            > 100
    );

    bali()
        .args(["run", "pipelines/sample.yaml", "--workdir"])
        .arg(&wd)
        .assert()
        .success()
        .stdout(predicate::str::contains("(nothing to do)"));
    let second = last_report(&wd);
    for s in second["stages"].as_array().expect("stages") {
        assert_eq!(s["partitions_run"], 0, "{} ran again", s["stage"]);
        assert!(s["partitions_skipped"].as_u64().unwrap_or(0) >= 1);
    }
}

#[test]
fn validate_points_at_the_line_and_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(root().join("pipelines/sample.yaml")).expect("sample");
    let broken = text.replace("kind: link,", "kind: linker,");
    let line = broken
        .lines()
        .position(|l| l.contains("linker"))
        .expect("line")
        + 1;
    let col = broken
        .lines()
        .nth(line - 1)
        .and_then(|l| l.find("linker"))
        .expect("col")
        + 1;
    let path = write(dir.path(), "broken.yaml", &broken);
    bali().arg("validate").arg(&path).assert().code(2).stderr(
        predicate::str::contains("unknown stage kind `linker`")
            .and(predicate::str::contains(format!(
                "broken.yaml:{line}:{col}"
            )))
            .and(predicate::str::contains("did you mean `link`?")),
    );
    bali()
        .args(["validate", "pipelines/sample.yaml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ok (11 stages"));
}

#[test]
fn every_committed_pipeline_validates() {
    // The real-data pipeline reads ../shared: it validates wherever that is present.
    if shared("models/all-minilm-l6-v2").is_some() && root().join("../shared").exists() {
        bali()
            .args(["validate", "pipelines/hpo-minilm.yaml"])
            .assert()
            .success()
            .stdout(predicate::str::contains("ok (10 stages"));
        bali()
            .args(["validate", "pipelines/hpo-mlm.yaml"])
            .assert()
            .success()
            .stdout(predicate::str::contains("ok (10 stages"));
        // Its second step starts from the first step's export: until that exists, the missing
        // model directory is the only error.
        let out = bali()
            .args(["validate", "pipelines/hpo-mlm-align.yaml"])
            .output()
            .expect("run bali");
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
            assert_eq!(errors.len(), 1, "{stderr}");
            assert!(errors[0].contains("out/hpo-mlm-model"), "{stderr}");
        }
    }
    // The full-scale one names data this machine does not have: its only errors are the
    // missing inputs (kinds, inputs and every option are valid).
    let out = bali()
        .args(["validate", "pipelines/pubmed-umls.yaml"])
        .output()
        .expect("run bali");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 6, "{stderr}");
    for e in errors {
        assert!(
            e.contains("no file matches")
                || e.contains("exists; point `meta`")
                || e.contains("No such file"),
            "{e}"
        );
    }
}

#[test]
fn a_bad_set_is_a_usage_error() {
    bali()
        .args([
            "run",
            "pipelines/sample.yaml",
            "--set",
            "dictionary.min_lenght=4",
            "--dry-run",
        ])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("unknown option `min_lenght`")
                .and(predicate::str::contains("did you mean `min_length`?")),
        );
}

#[test]
fn status_and_dry_run_say_what_would_run_and_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wd = dir.path().join("wd");
    bali()
        .args(["status", "pipelines/sample.yaml", "--workdir"])
        .arg(&wd)
        .assert()
        .success()
        .stdout(predicate::str::contains("pubmed26n0003            missing"));
    assert!(!wd.exists(), "status must not create the workdir");
    bali()
        .args(["run", "pipelines/sample.yaml", "--workdir"])
        .arg(&wd)
        .assert()
        .success();
    bali()
        .args([
            "run",
            "pipelines/sample.yaml",
            "--dry-run",
            "--set",
            "dictionary.min_length=4",
            "--workdir",
        ])
        .arg(&wd)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("stale (options changed)")
                .and(predicate::str::contains(
                    "stale (input dictionary (whole) changed)",
                ))
                .and(predicate::str::contains(
                    "a run would build 10 partition(s) in 6 stage(s)",
                )),
        );
    // The dry run ran nothing.
    bali()
        .args(["status", "pipelines/sample.yaml", "--workdir"])
        .arg(&wd)
        .assert()
        .success()
        .stdout(predicate::str::contains("everything is up to date"));
}

#[test]
fn inspect_and_sql_read_every_stage() {
    let (_dir, wd) = sample_run();
    bali()
        .arg("inspect")
        .arg(wd.join("mentions"))
        .assert()
        .success()
        .stdout(
            predicate::str::contains("schema of `mentions`")
                .and(predicate::str::contains("surface"))
                .and(predicate::str::contains("pubmed26n0003"))
                .and(predicate::str::contains("column statistics"))
                .and(predicate::str::contains("first 5 rows")),
        );
    bali()
        .arg("inspect")
        .arg(&wd)
        .assert()
        .success()
        .stdout(predicate::str::contains("articles").and(predicate::str::contains("3 partitions")));
    // Lineage: both records of a re-issued PMID, the later one current, down to its samples.
    bali()
        .arg("inspect")
        .arg(&wd)
        .args(["--lineage", "80000012"])
        .assert()
        .success()
        .stdout(
            predicate::str::is_match(r"pubmed26n0003\.xml\.gz \| 0 +\| 1 +\| \d+ +\| \*")
                .expect("regex")
                .and(predicate::str::contains("training samples"))
                .and(predicate::str::contains("C0018801")),
        );
    // Usage errors exit 2: a stage never built, a workdir that does not exist, a workdir
    // another run holds.
    bali()
        .arg("inspect")
        .arg(wd.join("nope"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("has no checkpoint"));
    bali()
        .args(["sql", "--workdir"])
        .arg(wd.join("missing"))
        .arg("SELECT 1")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no such workdir"));
    {
        let _held = bali::store::Store::at(&wd)
            .expect("a workdir")
            .lock()
            .expect("lock");
        bali()
            .args(["run", "pipelines/sample.yaml", "--workdir"])
            .arg(&wd)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "another `bali run` is using this workdir",
            ));
    }
    bali()
        .args(["sql", "--workdir"])
        .arg(&wd)
        .arg("SHOW TABLES")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("articles_current")
                .and(predicate::str::contains("run_stages")),
        );
    // 44 PMIDs were published, one deleted; one was re-issued and one has two versions.
    assert_eq!(
        sql_value(&wd, "SELECT count(*) FROM articles_current"),
        "43"
    );
    assert_eq!(
        sql_value(
            &wd,
            "SELECT version FROM articles_current WHERE pmid = 80000041"
        ),
        "2"
    );
    assert_eq!(
        sql_value(
            &wd,
            "SELECT count(*) FROM samples_current WHERE pmid = 80000035"
        ),
        "0"
    );
    assert_eq!(sql_value(&wd, "SELECT count(*) FROM runs"), "1");
    // Per partition: what happened, why, and what the stage noted.
    assert_eq!(
        sql_value(
            &wd,
            "SELECT count(*) FROM run_partitions WHERE stage = 'articles' AND action = 'run' \
             AND reason = 'missing'"
        ),
        "3"
    );
    assert!(sql_value(
        &wd,
        "SELECT note FROM run_partitions WHERE stage = 'train' AND partition = 'all'"
    )
    .starts_with("trained 60 steps from "));
    bali()
        .args(["sql", "--format", "json", "--workdir"])
        .arg(&wd)
        .arg("SELECT pmid, version FROM articles WHERE pmid = 80000041 ORDER BY version")
        .assert()
        .success()
        .stdout("{\"pmid\":80000041,\"version\":1}\n{\"pmid\":80000041,\"version\":2}\n\n");
    bali()
        .args(["sql", "--workdir"])
        .arg(&wd)
        .arg("SELECT nope FROM articles")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nope"));
}

#[test]
fn bad_input_fails_the_run_with_file_and_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    copy(
        &root().join("sample_data/pubmed/pubmed26n0001.xml"),
        &input.join("pubmed26n0001.xml"),
    );
    write(&input, "pubmed26n0002.xml", "<?xml version=\"1.0\"?>\n<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article><ArticleTitle>cut");
    let p = write(
        dir.path(),
        "p.yaml",
        &format!(
            "pipeline: bad\nstages:\n  articles: {{ kind: pubmed, options: {{ paths: [\"{}/*.xml\"] }} }}\n  sentences: {{ kind: sentences, inputs: [articles] }}\n",
            input.display()
        ),
    );
    let wd = dir.path().join("wd");
    bali()
        .arg("run")
        .arg(&p)
        .arg("--workdir")
        .arg(&wd)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("pubmed26n0002.xml").and(predicate::str::contains("byte")),
        );
    let report = last_report(&wd);
    assert_eq!(report["status"], "failed");
    // The good file's partition is committed or cleanly absent; the bad one is not committed.
    let manifest = committed(&wd, "articles");
    assert!(manifest["partitions"].get("pubmed26n0002").is_none());
    // With skip, the same input runs and the bad record is counted.
    bali()
        .arg("run")
        .arg(&p)
        .args(["--set", "articles.on_error=quarantine", "--workdir"])
        .arg(&wd)
        .assert()
        .success();
    let report = last_report(&wd);
    assert_eq!(stage(&report, "articles")["records_quarantined"], 1);
    assert_eq!(
        sql_value(
            &wd,
            "SELECT count(*) FROM articles_rejects WHERE source_file = 'pubmed26n0002.xml'"
        ),
        "1"
    );
}

/// A run killed with SIGKILL while it writes a partition leaves nothing that looks complete,
/// and the next run cleans up and finishes.
#[test]
fn a_killed_run_leaves_no_partition_that_looks_complete() {
    let Some(big) = shared("data/pubmed/pubmed20n0014.xml.gz") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(
        dir.path(),
        "p.yaml",
        &format!(
            "pipeline: kill\nstages:\n  articles: {{ kind: pubmed, options: {{ paths: [\"{}\"] }} }}\n  sentences: {{ kind: sentences, inputs: [articles] }}\n",
            big.display()
        ),
    );
    let wd = dir.path().join("wd");
    let bin = assert_cmd::cargo::cargo_bin("bali");
    let mut child = std::process::Command::new(&bin)
        .args(["--progress", "none", "run"])
        .arg(&p)
        .arg("--workdir")
        .arg(&wd)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    kill_mid_write(&mut child, &wd, "articles");
    let m = committed(&wd, "articles");
    assert!(
        m["partitions"].as_object().is_none_or(|p| p.is_empty()),
        "a partition was committed by a run killed mid-write: {m}"
    );
    // Nothing in the table folders; SQL sees no rows.
    bali()
        .args(["status"])
        .arg(&p)
        .arg("--workdir")
        .arg(&wd)
        .assert()
        .success()
        .stdout(predicate::str::contains("missing"));
    bali()
        .arg("run")
        .arg(&p)
        .arg("--workdir")
        .arg(&wd)
        .assert()
        .success();
    assert!(!wd.join("articles/_tmp").exists(), "leftovers are removed");
    assert_eq!(sql_value(&wd, "SELECT count(*) FROM articles"), "30000");
}

#[test]
fn kinds_and_schema_describe_every_kind() {
    bali()
        .arg("kinds")
        .assert()
        .success()
        .stdout(predicate::str::contains("pubmed").and(predicate::str::contains("subgraphs")));
    bali()
        .args(["kinds", "subgraphs"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("max_neighbors").and(predicate::str::contains("[default: 3]")),
        );
    let out = bali().arg("schema").output().expect("schema");
    assert!(out.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json schema");
    let variants = schema["properties"]["stages"]["additionalProperties"]["oneOf"]
        .as_array()
        .expect("oneOf");
    assert!(variants
        .iter()
        .any(|v| v["properties"]["kind"]["const"] == "link"));
}
