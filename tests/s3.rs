//! The commit log on a real S3-compatible server: moto's server mode on 127.0.0.1, started and
//! stopped by the test (`.ci/run` installs `moto[server]` beside pyarrow; its PYTHONPATH comes
//! from BALI_PYTHONPATH). Built with `--features s3`.
#![cfg(feature = "s3")]

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bali::store::log::LOG_FORMAT;
use bali::store::{CommitLog, LogEntry};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutMode, PutOptions, PutPayload};

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
