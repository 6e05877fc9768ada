//! The commit log and the sources' inputs on a real S3-compatible server: moto's server mode on 127.0.0.1, started and
//! stopped by the test (`.ci/run` installs `moto[server]` beside pyarrow; its PYTHONPATH comes
//! from BALI_PYTHONPATH). Needs the `s3` feature (on by default).
#![cfg(feature = "s3")]

mod common;

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bali::store::log::LOG_FORMAT;
use bali::store::{CommitLog, LogEntry};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

/// A moto server for the duration of a test.
struct Moto {
    child: Child,
    port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto() -> Option<Moto> {
    let pythonpath = std::env::var("BALI_PYTHONPATH").ok();
    if pythonpath.is_none() {
        eprintln!("note: BALI_PYTHONPATH not set; skipping the S3 tests (.ci/run sets it)");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut cmd = Command::new("python3");
    cmd.args([
        "-m",
        "moto.server",
        "-H",
        "127.0.0.1",
        "-p",
        &port.to_string(),
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    if let Some(p) = pythonpath {
        cmd.env("PYTHONPATH", p);
    }
    let child = cmd.spawn().expect("start moto's server");
    let server = Moto { child, port };
    let t0 = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "moto's server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(server)
}

fn bucket(server: &Moto, name: &str) -> Arc<dyn ObjectStore> {
    // Create the bucket with a plain request (object_store does not create buckets).
    let status = Command::new("python3")
        .args([
            "-c",
            "import sys, urllib.request as u; u.urlopen(u.Request(sys.argv[1], method='PUT'))",
            &format!("http://127.0.0.1:{}/{name}", server.port),
        ])
        .status()
        .expect("python3");
    assert!(status.success(), "creating bucket {name}");
    let store = AmazonS3Builder::new()
        .with_endpoint(format!("http://127.0.0.1:{}", server.port))
        .with_allow_http(true)
        .with_region("us-east-1")
        .with_bucket_name(name)
        .with_access_key_id("testing")
        .with_secret_access_key("testing")
        .build()
        .expect("an S3 store");
    Arc::new(store)
}

fn entry(key: &str) -> LogEntry {
    let record = serde_json::json!({
        "fingerprint": format!("fp-{key}"),
        "inputs": {"kind": "k@1", "options": "", "seed": 0, "files": {}, "inputs": {}},
        "files": {},
        "artifacts": null,
        "created_at": "2026-12-07T00:00:00Z",
        "run_id": "r",
        "seconds": 0.0,
        "rows_in": 0,
        "skipped": 0
    });
    LogEntry {
        log_format: LOG_FORMAT,
        stage: "s".into(),
        kind: "k".into(),
        outputs: vec![("out".into(), "articles".into())],
        put: [(
            key.to_string(),
            serde_json::from_value(record).expect("record"),
        )]
        .into(),
        remove: Vec::new(),
    }
}

#[test]
fn create_only_puts_and_the_commit_log_work_on_an_s3_server() {
    let Some(server) = moto() else { return };
    let objects = bucket(&server, "bali-log");

    // The primitive the log rests on: a second create-only put of a key is refused.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let key = ObjectPath::from("probe/once");
    let create = PutOptions {
        mode: PutMode::Create,
        ..Default::default()
    };
    rt.block_on(objects.put_opts(&key, PutPayload::from_static(b"a"), create.clone()))
        .expect("first create");
    let second = rt.block_on(objects.put_opts(&key, PutPayload::from_static(b"b"), create));
    assert!(
        matches!(second, Err(object_store::Error::AlreadyExists { .. })),
        "{second:?}"
    );
    drop(rt);

    // Appends from two writers, through two checkpoints and their compactions.
    let a = CommitLog::new(objects.clone(), "runs/x/articles", None).with_retention(Duration::ZERO);
    let b = CommitLog::new(objects, "runs/x/articles", None).with_retention(Duration::ZERO);
    for i in 0..140 {
        let writer = if i % 3 == 0 { &a } else { &b };
        let appended = writer.append(&entry(&format!("p{i}"))).expect("append");
        assert_eq!(appended.seq, i + 1);
    }
    b.compact().expect("compact");
    let (seq, manifest) = a.read().expect("read").expect("committed");
    assert_eq!(seq, 140);
    assert_eq!(manifest.partitions.len(), 140);
    assert_eq!(manifest.partitions["p77"].fingerprint, "fp-p77");
}

/// `bali` pointed at the server through the standard AWS environment.
fn bali_on(server: &Moto) -> assert_cmd::Command {
    let mut cmd = common::bali();
    cmd.env(
        "AWS_ENDPOINT_URL",
        format!("http://127.0.0.1:{}", server.port),
    )
    .env("AWS_ALLOW_HTTP", "true")
    .env("AWS_ACCESS_KEY_ID", "testing")
    .env("AWS_SECRET_ACCESS_KEY", "testing")
    .env("AWS_REGION", "us-east-1")
    .env_remove("AWS_ENDPOINT")
    .env_remove("AWS_SESSION_TOKEN")
    .env_remove("AWS_PROFILE");
    cmd
}

fn upload(objects: &Arc<dyn ObjectStore>, key: &str, file: &std::path::Path) {
    let bytes = std::fs::read(file).expect("read sample file");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(objects.put(&ObjectPath::from(key), PutPayload::from(bytes)))
        .expect("upload");
}

/// Stage, partition key, input content hashes, rows per output.
type Partition = (String, String, Vec<String>, Vec<(String, u64)>);

/// What every stage of a workdir committed, per partition: its key, the content hashes of its
/// input files (their paths differ between a local and an S3 run, so the fingerprints do too)
/// and the rows of each output.
fn partitions(workdir: &std::path::Path) -> Vec<Partition> {
    let mut out = Vec::new();
    let stages = bali::store::Store::at(workdir)
        .stage_names()
        .expect("stage names");
    for stage in &stages {
        let m = common::committed(workdir, stage);
        let parts = m["partitions"].as_object().expect("partitions").clone();
        for (key, record) in parts {
            let mut hashes: Vec<String> = record["inputs"]["files"]
                .as_object()
                .expect("input files")
                .values()
                .map(|h| h.as_str().unwrap_or("").to_string())
                .collect();
            hashes.sort();
            let rows = record["files"]
                .as_object()
                .expect("output files")
                .iter()
                .map(|(output, f)| (output.clone(), f["rows"].as_u64().unwrap_or(0)))
                .collect();
            out.push((stage.clone(), key, hashes, rows));
        }
    }
    out
}

#[test]
fn the_sample_pipeline_reads_its_inputs_from_s3_as_from_disk() {
    let Some(server) = moto() else { return };
    let inputs = bucket(&server, "inputs");
    let root = common::root();
    for dir in ["pubmed", "umls"] {
        for entry in std::fs::read_dir(root.join("sample_data").join(dir)).expect("sample_data") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .to_string();
            upload(&inputs, &format!("{dir}/{name}"), &path);
        }
    }
    // The sample pipeline with its sources on the server and everything else as it is.
    let text = std::fs::read_to_string(root.join("pipelines/sample.yaml"))
        .expect("sample.yaml")
        .replace("sample_data/pubmed/", "s3://inputs/pubmed/")
        .replace("meta: sample_data/umls", "meta: s3://inputs/umls")
        .replace("sample_data/", &format!("{}/sample_data/", root.display()));
    assert!(text.contains("s3://inputs/pubmed/*.xml*") && text.contains("s3://inputs/umls"));
    let dir = tempfile::tempdir().expect("tempdir");
    let pipeline = common::write(dir.path(), "s3.yaml", &text);
    let on_s3 = dir.path().join("wd");
    bali_on(&server)
        .arg("run")
        .arg(&pipeline)
        .arg("--workdir")
        .arg(&on_s3)
        .assert()
        .success();
    let (_local_dir, local) = common::sample_run();

    // The same partitions from the same bytes (the downloads hash as the local files do), with
    // the same rows, and the same answers.
    let (ours, theirs) = (partitions(&on_s3), partitions(&local));
    assert!(ours.len() > 10, "{ours:?}");
    assert!(ours
        .iter()
        .any(|(stage, _, hashes, _)| stage == "articles" && !hashes.is_empty()));
    assert_eq!(ours, theirs);
    for query in [
        "SELECT count(*) FROM articles",
        "SELECT count(*) FROM concepts",
        "SELECT count(*) FROM relations",
        "SELECT count(*) FROM mentions",
        "SELECT count(DISTINCT pmid) FROM sentences",
    ] {
        assert_eq!(
            common::sql_value(&on_s3, query),
            common::sql_value(&local, query),
            "{query}"
        );
    }

    // Nothing changed: nothing runs, and the cached hashes spare the downloads.
    bali_on(&server)
        .arg("run")
        .arg(&pipeline)
        .arg("--workdir")
        .arg(&on_s3)
        .assert()
        .success();
    let report = common::last_report(&on_s3);
    for stage in ["articles", "concepts", "relations", "train"] {
        assert_eq!(common::runs(&report, stage), 0, "{stage} re-ran");
    }

    // A new file arrives: only its partition is read.
    upload(
        &inputs,
        "pubmed/pubmed26n0004.xml",
        &root.join("sample_data/pubmed/pubmed26n0001.xml"),
    );
    bali_on(&server)
        .arg("run")
        .arg(&pipeline)
        .arg("--workdir")
        .arg(&on_s3)
        .assert()
        .success();
    let report = common::last_report(&on_s3);
    assert_eq!(common::runs(&report, "articles"), 1);
    assert_eq!(common::runs(&report, "concepts"), 0);
}

#[test]
fn a_url_that_names_nothing_is_a_configuration_error_naming_it() {
    let Some(server) = moto() else { return };
    let _ = bucket(&server, "empty");
    let dir = tempfile::tempdir().expect("tempdir");
    for (paths, expected) in [
        ("s3://empty/pubmed/*.xml", "no object matches"),
        (
            "s3://no-such-bucket/pubmed/*.xml",
            "s3://no-such-bucket/pubmed/*.xml",
        ),
    ] {
        let pipeline = common::write(
            dir.path(),
            "bad.yaml",
            &format!(
                "pipeline: t\nstages:\n  articles: {{ kind: pubmed, options: {{ paths: [\"{paths}\"] }} }}\n"
            ),
        );
        let out = bali_on(&server)
            .arg("run")
            .arg(&pipeline)
            .arg("--workdir")
            .arg(dir.path().join("wd"))
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{paths}: {stderr}");
        assert!(stderr.contains(expected), "{paths}: {stderr}");
        assert!(
            !stderr.contains("testing"),
            "a credential in a message: {stderr}"
        );
    }
}
