//! Every `bali-bench` command works end to end on tiny inputs: it exits 0, prints its table and
//! the machine line, and `--json` prints a report that parses. Nothing here is timed: the
//! figures themselves are for BENCHMARKS.md, from full-size runs.

use std::path::PathBuf;

use assert_cmd::Command;
use predicates::prelude::*;

/// The repository root (the workspace's), where `sample_data/` is.
fn root() -> PathBuf {
    let bench = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    bench.parent().map(PathBuf::from).unwrap_or(bench)
}

/// `bali-bench` with logs quiet, run from the repository root.
fn bench() -> Command {
    let mut cmd = Command::cargo_bin("bali-bench").expect("the bali-bench binary is built");
    cmd.current_dir(root()).env_remove("BALI_LOG");
    cmd
}

/// `bali-bench ARGS --json`, parsed.
fn bench_json(args: &[&str]) -> serde_json::Value {
    let out = bench()
        .args(args)
        .arg("--json")
        .env_remove("BALI_SHARED")
        .output()
        .expect("run bali-bench");
    assert!(
        out.status.success(),
        "bali-bench {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("--json prints JSON");
    assert!(report["machine"]["cores"].as_u64().is_some_and(|c| c > 0));
    report["report"].clone()
}

#[test]
fn bench_engine_runs_on_three_partitions_and_prints_its_tables() {
    bench()
        .args(["engine", "--partitions", "3", "--add-to", "1", "2"])
        .args(["--runs", "2"])
        .assert()
        .success()
        .stdout(predicate::str::contains("no-change re-run"))
        .stdout(predicate::str::contains("| 3 |"))
        .stdout(predicate::str::contains("adding one file to 2 vs to 1"))
        .stdout(predicate::str::contains("machine: "));
    let report = bench_json(&[
        "engine",
        "--partitions",
        "2",
        "--add-to",
        "1",
        "--runs",
        "1",
    ]);
    assert_eq!(report["no_change"][0]["partitions"], 2);
    assert_eq!(report["articles_per_file"], 25);
}

#[test]
fn bench_pubmed_reads_a_sample_file_with_and_without_peers() {
    bench()
        .args(["pubmed", "sample_data/pubmed/pubmed26n0002.xml.gz"])
        .args(["--runs", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("| bali read_pubmed |"))
        .stdout(predicate::str::contains("zcat -f"))
        .stdout(predicate::str::contains("peak RSS"));
    let report = bench_json(&[
        "pubmed",
        "sample_data/pubmed/pubmed26n0001.xml",
        "--runs",
        "1",
        "--no-peers",
    ]);
    assert_eq!(report["articles"], 25);
    assert_eq!(report["lxml"]["status"], "skipped");
}

#[test]
fn bench_linking_builds_a_small_dictionary_and_links_the_sample_text() {
    bench()
        .args(["linking", "--strings", "3000", "--peer-strings", "2000"])
        .args([
            "--automaton",
            "--pubmed",
            "sample_data/pubmed/pubmed26n0001.xml",
        ])
        .args(["--obo", "sample_data/ontology/mini.obo"])
        .env_remove("BALI_SHARED")
        .assert()
        .success()
        .stdout(predicate::str::contains("| dictionary build"))
        .stdout(predicate::str::contains("aho-corasick automaton"))
        .stdout(predicate::str::contains("| mini.obo |"));
    // Without a PubMed file the scale run stands alone and says what is missing.
    bench()
        .args(["linking", "--strings", "2000"])
        .env_remove("BALI_SHARED")
        .assert()
        .success()
        .stdout(predicate::str::contains("not run (give --pubmed FILE"));
    let report = bench_json(&["linking", "--strings", "2000", "--no-peers"]);
    assert_eq!(report["scale"]["strings"], 2000);
}

#[test]
fn bench_graph_and_samples_run_on_tiny_inputs() {
    bench()
        .args(["graph", "--rows", "100000"])
        .assert()
        .success()
        .stdout(predicate::str::contains("| 5,000 |"));
    let report = bench_json(&[
        "samples",
        "--articles",
        "25",
        "--pubmed",
        "sample_data/pubmed/pubmed26n0001.xml",
        "--obo",
        "sample_data/ontology/mini.obo",
        "--model",
        "sample_data/models/tiny-bert",
    ]);
    assert!(report["sentences"].as_u64().is_some_and(|n| n > 25));
    // Without the shared data or the three paths, samples is a usage error (exit 2).
    bench()
        .args(["samples"])
        .env_remove("BALI_SHARED")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--pubmed FILE"));
}

#[test]
fn bench_train_times_one_step_on_the_tiny_model() {
    bench()
        .args(["train", "--model", "sample_data/models/tiny-bert"])
        .args(["--steps", "1", "--warmup", "0", "--no-peers"])
        .assert()
        .success()
        .stdout(predicate::str::contains("| bali (candle) |"))
        .stdout(predicate::str::contains("not run: --no-peers"))
        .stdout(predicate::str::contains(
            "1024 + 512 = 1536 in the first step",
        ))
        .stdout(predicate::str::contains("machine: "));
    let report = bench_json(&[
        "train",
        "--model",
        "sample_data/models/tiny-bert",
        "--steps",
        "1",
        "--warmup",
        "0",
        "--batch",
        "2",
        "--seq-len",
        "16",
        "--names",
        "8",
        "--name-len",
        "6",
        "--no-peers",
    ]);
    assert_eq!(report["sentence_tokens"], 32);
    assert_eq!(report["name_tokens"], 48);
    assert_eq!(report["stars"], 2);
    assert_eq!(report["torch"]["status"], "skipped");
    assert!(report["ours"]["step_s"].as_f64().is_some_and(|s| s > 0.0));
    // One step of 2 sentences: sentences/s is 2 over the step's time.
    let (step, sentences) = (
        report["ours"]["step_s"].as_f64().unwrap_or(0.0),
        report["ours"]["sentences_per_s"].as_f64().unwrap_or(0.0),
    );
    assert!(
        (sentences * step - 2.0).abs() < 1e-9,
        "{sentences} x {step}"
    );
    assert_eq!(report["batch"], 2);
    assert!(report["batches_from"].is_null());
    // Without the shared data or --model, train is a usage error (exit 2).
    bench()
        .args(["train", "--no-peers"])
        .env_remove("BALI_SHARED")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--model DIR"));
}
