//! Sharded runs as a batch scheduler runs them: `--shard-prepare` once, `--shard I/N` in N
//! concurrent processes, then one unsharded run; the result equals a single-process run.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};

use bali::engine::Shard;
use common::*;
use predicates::prelude::*;

/// Queries whose answers must not depend on how the work was split.
const QUERIES: [&str; 6] = [
    "SELECT count(*) FROM articles",
    "SELECT count(*), sum(length(text)) FROM sentences",
    "SELECT count(*), count(distinct cui) FROM mentions",
    "SELECT count(*), sum(cardinality(input_ids)) FROM samples",
    "SELECT count(*) FROM subgraphs",
    "SELECT count(*) FROM names",
];

fn spawn(args: &[&str], pipeline: &Path, wd: &Path) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("bali"))
        .args(["--progress", "none", "run"])
        .arg(pipeline)
        .arg("--workdir")
        .arg(wd)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bali")
}

fn run_ok(args: &[&str], pipeline: &Path, wd: &Path) {
    let out = spawn(args, pipeline, wd).wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "bali run {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every stage's committed partitions: key -> fingerprint.
fn partitions(wd: &Path) -> Vec<(String, Vec<(String, String)>)> {
    let store = bali::store::Store::open_existing(wd).expect("workdir");
    store
        .stage_names()
        .expect("stages")
        .into_iter()
        .map(|name| {
            let m = committed(wd, &name);
            let parts = m["partitions"].as_object().expect("partitions");
            let fps = parts
                .iter()
                .map(|(k, p)| {
                    (
                        k.clone(),
                        p["fingerprint"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect();
            (name, fps)
        })
        .collect()
}

fn assert_same_as(single: &Path, sharded: &Path, queries: &[&str]) {
    assert_eq!(partitions(single), partitions(sharded));
    for &q in queries {
        assert_eq!(sql_value(single, q), sql_value(sharded, q), "{q}");
    }
    // Nothing is left to do, and the debris of the workers is gone.
    let store = bali::store::Store::open_existing(sharded).expect("workdir");
    for name in store.stage_names().expect("stages") {
        assert!(!sharded.join(&name).join("_tmp").exists(), "{name}/_tmp");
    }
}

fn three_workers(args: &[&str], pipeline: &Path, wd: &Path) {
    let workers: Vec<Child> = (0..3)
        .map(|i| {
            let shard = format!("{i}/3");
            spawn(&[args, &["--shard", &shard]].concat(), pipeline, wd)
        })
        .collect();
    for (i, w) in workers.into_iter().enumerate() {
        let out = w.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "worker {i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn three_concurrent_workers_between_prepare_and_a_final_run_equal_one_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pipeline = root().join("pipelines/sample.yaml");
    let single = dir.path().join("single");
    let sharded = dir.path().join("sharded");
    run_ok(&[], &pipeline, &single);

    // Workers before the whole tables exist: a usage error that says what to run first.
    bali()
        .args([
            "run",
            "pipelines/sample.yaml",
            "--shard",
            "0/3",
            "--workdir",
        ])
        .arg(&sharded)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("dictionary").and(predicate::str::contains("--shard-prepare")),
        );
    // A bad shard is a usage error too.
    bali()
        .args([
            "run",
            "pipelines/sample.yaml",
            "--shard",
            "3/3",
            "--workdir",
        ])
        .arg(&sharded)
        .assert()
        .code(2);

    run_ok(&["--shard-prepare"], &pipeline, &sharded);
    three_workers(&[], &pipeline, &sharded);
    // The workers built every per-partition stage between them, each partition once.
    let mut built = std::collections::BTreeMap::<String, u64>::new();
    for report in std::fs::read_dir(sharded.join("_runs")).expect("runs") {
        let text = std::fs::read_to_string(report.expect("entry").path()).expect("report");
        let r: serde_json::Value = serde_json::from_str(&text).expect("json");
        if r["shard"].is_string() {
            for s in r["stages"].as_array().expect("stages") {
                *built
                    .entry(s["stage"].as_str().expect("name").into())
                    .or_default() += s["partitions_run"].as_u64().expect("count");
            }
        }
    }
    assert_eq!(built["articles"], 3);
    assert_eq!(built["sentences"], 3);
    assert_eq!(built["train"], 0);
    run_ok(&[], &pipeline, &sharded);
    assert_same_as(&single, &sharded, &QUERIES);
    let report = last_report(&sharded);
    assert_eq!(runs(&report, "articles"), 0);
    assert_eq!(runs(&report, "train"), 1);
}

#[test]
fn a_worker_killed_mid_write_is_rerun_and_the_run_heals() {
    let Some(big) = shared("data/pubmed/pubmed20n0014.xml.gz") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    // The sample pipeline with a real baseline file beside the sample abstracts, so that one
    // worker has a partition that takes a while to write.
    let inputs = dir.path().join("pubmed");
    std::fs::create_dir_all(&inputs).expect("mkdir");
    for f in std::fs::read_dir(root().join("sample_data/pubmed")).expect("sample") {
        let f = f.expect("entry").path();
        copy(&f, &inputs.join(f.file_name().expect("name")));
    }
    copy(&big, &inputs.join("pubmed20n0014.xml.gz"));
    let text = std::fs::read_to_string(root().join("pipelines/sample.yaml"))
        .expect("sample pipeline")
        .replace(
            "sample_data/pubmed/*.xml*",
            &format!("{}/*.xml*", inputs.display()),
        )
        .replace(
            "sample_data/",
            &format!("{}/sample_data/", root().display()),
        );
    let pipeline = write(dir.path(), "p.yaml", &text);
    let single = dir.path().join("single");
    let sharded = dir.path().join("sharded");

    // The data stages only: training on a baseline file's samples is not what this tests.
    let only = ["--only", "samples", "--only", "subgraphs"];
    run_ok(
        &[&only[..], &["--shard-prepare"]].concat(),
        &pipeline,
        &sharded,
    );
    let owner = (0..3)
        .find(|&index| Shard { index, count: 3 }.owns("pubmed20n0014"))
        .expect("an owner");
    let shard = format!("{owner}/3");
    let mut victim = spawn(
        &[&only[..], &["--shard", &shard]].concat(),
        &pipeline,
        &sharded,
    );
    kill_mid_write(&mut victim, &sharded, "articles");
    let m = committed(&sharded, "articles");
    assert!(
        m["partitions"].get("pubmed20n0014").is_none(),
        "a partition of a killed worker reads as committed: {m}"
    );

    // The scheduler retries the worker; the others run; then the final run.
    three_workers(&only, &pipeline, &sharded);
    run_ok(&only, &pipeline, &sharded);
    run_ok(&only, &pipeline, &single);
    assert_same_as(&single, &sharded, &QUERIES[..5]);
}

/// `deploy/slurm/submit.sh` against a stand-in `sbatch` that runs each job at once (an array's
/// tasks concurrently, with Slurm's variables set), in dependency order as submitted.
#[test]
fn the_slurm_example_runs_the_three_phases() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let sbatch = write(
        &bin,
        "sbatch",
        r#"#!/usr/bin/env bash
set -euo pipefail
array="" cmd=""
while [ $# -gt 0 ]; do
  case "$1" in
    --array=*) array="${1#--array=}" ;;
    --wrap) cmd="$2"; shift ;;
  esac
  shift
done
if [ -n "$array" ]; then
  pids=()
  for i in $(seq "${array%-*}" "${array#*-}"); do
    SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_MIN=${array%-*} bash -c "$cmd" >&2 & pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
else
  bash -c "$cmd" >&2
fi
echo $RANDOM
"#,
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&sbatch, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let single = dir.path().join("single");
    let sharded = dir.path().join("sharded");
    let pipeline = root().join("pipelines/sample.yaml");
    run_ok(&[], &pipeline, &single);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(root().join("deploy/slurm/submit.sh"))
        .arg(&pipeline)
        .arg(&sharded)
        .arg("3")
        .env("PATH", path)
        .env("BALI", assert_cmd::cargo::cargo_bin("bali"))
        .current_dir(root())
        .output()
        .expect("submit.sh");
    assert!(
        out.status.success(),
        "submit.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same_as(&single, &sharded, &QUERIES);
    // Three workers, each with its own share of the article files.
    let shards = std::fs::read_dir(sharded.join("_runs"))
        .expect("runs")
        .filter(|r| {
            let text = std::fs::read_to_string(r.as_ref().expect("entry").path()).expect("read");
            text.contains("\"shard\"")
        })
        .count();
    assert_eq!(shards, 3);
}
