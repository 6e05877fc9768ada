//! Helpers shared by the integration tests: the binary, the crate root, pipelines in temp
//! dirs, run reports.
#![allow(dead_code)] // each test file uses a different subset

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The crate root (where sample_data/ and pipelines/ are).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `bali` with logs quiet and no progress bars, run from the crate root.
pub fn bali() -> Command {
    let mut cmd = Command::cargo_bin("bali").expect("the bali binary is built");
    cmd.current_dir(root())
        .env_remove("BALI_LOG")
        .arg("--progress")
        .arg("none");
    cmd
}

/// A file under `$BALI_SHARED`, or `None` (with a note) when it is unset; fails when it is set
/// and the file is missing.
pub fn shared(rel: &str) -> Option<PathBuf> {
    match std::env::var_os("BALI_SHARED") {
        Some(dir) => {
            let p = Path::new(&dir).join(rel);
            assert!(
                p.exists(),
                "BALI_SHARED is set but {} does not exist",
                p.display()
            );
            Some(p)
        }
        None => {
            eprintln!("note: BALI_SHARED is not set; skipping the part that needs {rel}");
            None
        }
    }
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&p, text).expect("write");
    p
}

/// Copies a file.
pub fn copy(from: &Path, to: &Path) {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::copy(from, to)
        .unwrap_or_else(|e| panic!("copy {} -> {}: {e}", from.display(), to.display()));
}

/// The newest run report in `workdir`.
pub fn last_report(workdir: &Path) -> serde_json::Value {
    let dir = workdir.join("_runs");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("runs dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let text = std::fs::read_to_string(paths.last().expect("a report")).expect("read report");
    serde_json::from_str(&text).expect("report json")
}

/// Kills `child` (SIGKILL) once `workdir`'s stage `stage` has a partition being written, and
/// a little later, so that it dies mid-write.
pub fn kill_mid_write(child: &mut std::process::Child, workdir: &Path, stage: &str) {
    let tmp = workdir.join(stage).join("_tmp");
    let t0 = std::time::Instant::now();
    while !tmp.exists() && t0.elapsed() < std::time::Duration::from_secs(60) {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(tmp.exists(), "the run never started writing {stage}");
    std::thread::sleep(std::time::Duration::from_millis(200));
    child.kill().expect("kill -9");
    child.wait().expect("wait");
}

/// What `stage` of `workdir` has committed (its commit log, folded), as JSON: `{"partitions":
/// {}}` when nothing is.
pub fn committed(workdir: &Path, stage: &str) -> serde_json::Value {
    let manifest = bali::store::Store::at(workdir)
        .expect("a workdir")
        .stage(stage)
        .manifest()
        .unwrap_or_else(|e| panic!("commit log of {stage}: {e}"));
    match manifest {
        Some(m) => serde_json::to_value(m).expect("manifest json"),
        None => serde_json::json!({ "partitions": {} }),
    }
}

/// The report entry of `stage`.
pub fn stage<'a>(report: &'a serde_json::Value, stage: &str) -> &'a serde_json::Value {
    report["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .find(|s| s["stage"] == stage)
        .unwrap_or_else(|| panic!("no stage {stage} in report"))
}

/// Partitions a stage built in a report.
pub fn runs(report: &serde_json::Value, name: &str) -> u64 {
    stage(report, name)["partitions_run"]
        .as_u64()
        .expect("partitions_run")
}

/// One value of a one-row SQL result, as CSV text.
pub fn sql_value(workdir: &Path, query: &str) -> String {
    let out = bali()
        .args(["sql", "--format", "csv", "--workdir"])
        .arg(workdir)
        .arg(query)
        .output()
        .expect("run sql");
    assert!(
        out.status.success(),
        "sql failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf8");
    text.lines().nth(1).unwrap_or("").trim().to_string()
}

/// Runs `pipelines/sample.yaml` into a fresh temporary workdir and checks it succeeded.
/// Returns the temporary directory (keep it alive) and the workdir inside it.
pub fn sample_run() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let wd = dir.path().join("wd");
    bali()
        .args(["run", "pipelines/sample.yaml", "--workdir"])
        .arg(&wd)
        .assert()
        .success();
    (dir, wd)
}
