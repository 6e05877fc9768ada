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
    /// The cache folder of the `bali` processes that name no other (so no test writes into
    /// the user's cache).
    cache: tempfile::TempDir,
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
    let server = Moto {
        child,
        port,
        cache: tempfile::tempdir().expect("tempdir"),
    };
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
    .env("BALI_CACHE_DIR", server.cache.path())
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
        .expect("a workdir")
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

/// Uploads the sample inputs and tiny-bert to bucket `inputs` and returns the sample pipeline
/// reading its sources, tokenizer and model from there (and everything else from the
/// repository), as YAML text.
fn sample_on_s3(server: &Moto) -> (Arc<dyn ObjectStore>, String) {
    let inputs = bucket(server, "inputs");
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
    let model = root.join("sample_data/models/tiny-bert");
    for entry in std::fs::read_dir(&model).expect("tiny-bert") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_string();
        upload(&inputs, &format!("models/tiny-bert/{name}"), &path);
    }
    let text = std::fs::read_to_string(root.join("pipelines/sample.yaml"))
        .expect("sample.yaml")
        .replace("sample_data/pubmed/", "s3://inputs/pubmed/")
        .replace("meta: sample_data/umls", "meta: s3://inputs/umls")
        .replace(
            "sample_data/models/tiny-bert",
            "s3://inputs/models/tiny-bert",
        )
        .replace("sample_data/", &format!("{}/sample_data/", root.display()));
    assert!(text.contains("s3://inputs/pubmed/*.xml*") && text.contains("s3://inputs/umls"));
    assert!(text.contains("model: s3://inputs/models/tiny-bert"));
    (inputs, text)
}

#[test]
fn the_sample_pipeline_reads_its_inputs_from_s3_as_from_disk() {
    let Some(server) = moto() else { return };
    let (inputs, text) = sample_on_s3(&server);
    let root = common::root();
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

/// Copies every object under `prefix` into the folder `dest`, keeping the layout: a remote
/// workdir copied this way is a local workdir.
fn download(objects: &Arc<dyn ObjectStore>, prefix: &str, dest: &std::path::Path) -> usize {
    use futures::TryStreamExt;
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let metas: Vec<object_store::ObjectMeta> = rt
        .block_on(objects.list(Some(&ObjectPath::from(prefix))).try_collect())
        .expect("list");
    for meta in &metas {
        let key = meta.location.as_ref();
        let inner = key.strip_prefix(prefix).expect("under the prefix");
        let target = dest.join(inner.trim_start_matches('/'));
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        let bytes = rt
            .block_on(async { objects.get(&meta.location).await?.bytes().await })
            .expect("get");
        std::fs::write(&target, bytes).expect("write");
    }
    metas.len()
}

/// `bali` on the server with its own cache folder (a machine of its own: its working copies
/// of remote workdirs live there).
fn bali_machine(server: &Moto, cache: &std::path::Path) -> assert_cmd::Command {
    let mut cmd = bali_on(server);
    cmd.env("BALI_CACHE_DIR", cache);
    cmd
}

#[test]
fn the_sample_pipeline_with_its_workdir_on_s3_equals_a_local_run() {
    let Some(server) = moto() else { return };
    let (inputs, text) = sample_on_s3(&server);
    let work = bucket(&server, "work");
    let root = common::root();
    let dir = tempfile::tempdir().expect("tempdir");
    let pipeline = common::write(dir.path(), "s3.yaml", &text);
    let url = "s3://work/runs/sample";
    let machine = |name: &str| dir.path().join(name);
    // `bali run` of the pipeline into the bucket's workdir, on the machine whose cache is `cache`.
    let run_on = |cache: &std::path::Path| {
        bali_machine(&server, cache)
            .arg("run")
            .arg(&pipeline)
            .arg("--workdir")
            .arg(url)
            .assert()
            .success();
    };
    run_on(&machine("first"));
    let (_local_dir, local) = common::sample_run();

    // The bucket holds a whole workdir: copied to a folder, it reads as the local run, with
    // the same partitions from the same bytes and the same rows.
    let copy = dir.path().join("copy");
    assert!(download(&work, "runs/sample", &copy) > 20);
    let (ours, theirs) = (partitions(&copy), partitions(&local));
    assert!(ours.len() > 10, "{ours:?}");
    assert_eq!(ours, theirs);
    assert!(
        copy.join("train/_artifacts").is_dir(),
        "the model is in the bucket"
    );

    // `bali sql` on another machine reads the Parquet files in the bucket directly: its
    // working copy gets no table file.
    let reader = machine("reader");
    for query in [
        "SELECT count(*) FROM articles",
        "SELECT count(*) FROM concepts",
        "SELECT count(*) FROM mentions",
        "SELECT count(DISTINCT pmid) FROM sentences",
        "SELECT count(*) FROM runs",
    ] {
        let ours = sql_on(&server, &reader, url, query);
        let expected = if query.contains("runs") {
            "1".to_string()
        } else {
            common::sql_value(&local, query)
        };
        assert_eq!(ours, expected, "{query}");
    }
    let parquet_in_reader = walk(&reader)
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .count();
    assert_eq!(parquet_in_reader, 0);
    bali_machine(&server, &reader)
        .args(["status", "--workdir", url])
        .arg(&pipeline)
        .assert()
        .success()
        .stdout(predicates::str::contains("fresh"));
    bali_machine(&server, &reader)
        .args(["inspect", &format!("{url}/articles")])
        .assert()
        .success();

    // A fresh machine finds everything done: nothing runs.
    let second = machine("second");
    run_on(&second);
    let copy_of = |cache: &std::path::Path| cache.join("workdirs/s3/work/runs/sample");
    let report = common::last_report(&copy_of(&second));
    for stage in ["articles", "concepts", "relations", "dictionary", "train"] {
        assert_eq!(common::runs(&report, stage), 0, "{stage} re-ran");
    }

    // A new file arrives, on a third machine: only its partitions run, reading what they
    // need of the rest from the bucket.
    upload(
        &inputs,
        "pubmed/pubmed26n0004.xml",
        &root.join("sample_data/pubmed/pubmed26n0001.xml"),
    );
    let third = machine("third");
    run_on(&third);
    let report = common::last_report(&copy_of(&third));
    assert_eq!(common::runs(&report, "articles"), 1);
    assert_eq!(common::runs(&report, "concepts"), 0);
    let after = dir.path().join("after");
    download(&work, "runs/sample", &after);
    let committed = common::committed(&after, "articles");
    assert_eq!(
        committed["partitions"].as_object().map(|p| p.len()),
        Some(4)
    );
    // Three runs, three reports in the bucket.
    let reports = download(&work, "runs/sample/_runs", &dir.path().join("reports"));
    assert_eq!(reports, 3);
}

#[test]
fn sharded_workers_on_three_machines_share_a_workdir_on_s3_and_a_killed_one_heals() {
    let Some(server) = moto() else { return };
    let work = bucket(&server, "work");
    let dir = tempfile::tempdir().expect("tempdir");
    let pipeline = common::root().join("pipelines/sample.yaml");
    let url = "s3://work/sharded";
    let run = |machine: &str, args: &[&str]| {
        bali_machine(&server, &dir.path().join(machine))
            .arg("run")
            .arg(&pipeline)
            .args(["--workdir", url])
            .args(args)
            .assert()
            .success();
    };
    run("prepare", &["--shard-prepare"]);
    // Three workers on three machines (three caches), one of them killed part-way and run
    // again.
    let spawn = |i: usize| {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("bali"));
        cmd.args(["--progress", "none", "run"])
            .arg(&pipeline)
            .args(["--workdir", url, "--shard", &format!("{i}/3")])
            .env("BALI_CACHE_DIR", dir.path().join(format!("worker{i}")))
            .env(
                "AWS_ENDPOINT_URL",
                format!("http://127.0.0.1:{}", server.port),
            )
            .env("AWS_ALLOW_HTTP", "true")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd.spawn().expect("spawn a worker")
    };
    let mut workers: Vec<Child> = (0..3).map(spawn).collect();
    // Worker 1 dies as soon as it has a partition in progress (or wherever it is after 30 s).
    let copy1 = dir.path().join("worker1/workdirs/s3/work/sharded");
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(30)
        && matches!(workers[1].try_wait(), Ok(None))
        && !walk(&copy1)
            .iter()
            .any(|p| p.components().any(|c| c.as_os_str() == "_tmp"))
    {
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = workers[1].kill();
    for (i, w) in workers.into_iter().enumerate() {
        let out = w.wait_with_output().expect("wait");
        if i != 1 {
            assert!(
                out.status.success(),
                "worker {i}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let again = spawn(1).wait_with_output().expect("wait");
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    run("final", &[]);

    // The bucket now holds what one local process builds.
    let (_local_dir, local) = common::sample_run();
    let copy = dir.path().join("copy");
    download(&work, "sharded", &copy);
    assert_eq!(partitions(&copy), partitions(&local));
    for query in [
        "SELECT count(*), sum(length(text)) FROM sentences",
        "SELECT count(*), count(distinct cui) FROM mentions",
        "SELECT count(*) FROM subgraphs",
    ] {
        let ours = sql_on(&server, &dir.path().join("reader"), url, query);
        assert_eq!(ours, common::sql_value(&local, query), "{query}");
    }
}

/// One value of a one-row `bali sql` answer over the workdir `url`, as CSV text, from the
/// machine whose cache is `cache`.
fn sql_on(server: &Moto, cache: &std::path::Path, url: &str, query: &str) -> String {
    let out = bali_machine(server, cache)
        .args(["sql", "--format", "csv", "--workdir", url, query])
        .output()
        .expect("sql");
    assert!(
        out.status.success(),
        "{query}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .unwrap_or("")
        .trim()
        .to_string()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
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
