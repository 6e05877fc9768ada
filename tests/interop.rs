//! Our checkpoints are plain Parquet: pyarrow and DuckDB read them, schema descriptions and all.
//! And `bali export` writes a model that Hugging Face transformers loads as a complete BertModel.
//!
//! The Parquet test needs Python with pyarrow and duckdb. `.ci/run` installs them into a
//! private folder and points `BALI_PYTHONPATH` at it; then the test must pass. Without that
//! variable and without the packages, it is skipped with a note.
//!
//! The export test needs torch and transformers (several GB, so CI does not install them):
//! it runs when `BALI_TORCH_PYTHONPATH` names a folder that has them (`.ci/run` sets it to
//! `~/.cache/bali-bench-torch`, where BENCHMARKS.md installs them, when that folder exists),
//! and must then pass.

mod common;

use std::process::Command;

use common::*;

fn python(code: &str) -> Option<String> {
    let mut cmd = Command::new("python3");
    if let Some(p) = std::env::var_os("BALI_PYTHONPATH") {
        cmd.env("PYTHONPATH", p);
    }
    let probe = cmd.args(["-c", "import pyarrow, duckdb"]).output();
    let available = probe.as_ref().is_ok_and(|o| o.status.success());
    if !available {
        assert!(
            std::env::var_os("BALI_PYTHONPATH").is_none(),
            "BALI_PYTHONPATH is set but pyarrow/duckdb cannot be imported: {probe:?}"
        );
        eprintln!("note: pyarrow/duckdb not installed; skipping the interoperability test");
        return None;
    }
    let mut cmd = Command::new("python3");
    if let Some(p) = std::env::var_os("BALI_PYTHONPATH") {
        cmd.env("PYTHONPATH", p);
    }
    let out = cmd.args(["-c", code]).output().expect("python3");
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).expect("utf8"))
}

#[test]
fn pyarrow_and_duckdb_read_every_stage() {
    let (_dir, wd) = sample_run();
    let expected_mentions = sql_value(&wd, "SELECT count(*) FROM mentions");
    let expected_samples = sql_value(&wd, "SELECT count(*) FROM samples");
    // The committed files, as the commit log names them.
    let files = |stage: &str| -> Vec<String> {
        let m = committed(&wd, stage);
        let parts = m["partitions"].as_object().expect("partitions");
        parts
            .values()
            .map(|p| {
                let rel = p["files"][stage]["path"].as_str().expect("path");
                wd.join(stage).join(rel).display().to_string()
            })
            .collect()
    };
    let code = format!(
        r#"
import json, pyarrow.parquet as pq, duckdb
files = json.loads({mentions:?})
t = pq.read_table(files)
print(t.num_rows)
print(t.schema.field("surface").metadata[b"description"].decode())
sfiles = json.loads({samples:?})
con = duckdb.connect()
print(con.execute("SELECT count(*) FROM read_parquet(?)", [sfiles]).fetchone()[0])
print(con.execute("SELECT max(len(input_ids)) FROM read_parquet(?)", [sfiles]).fetchone()[0])
print(con.execute("SELECT count(*) FROM read_parquet(?) WHERE len(mentions) > 0", [sfiles]).fetchone()[0])
"#,
        mentions = serde_json::to_string(&files("mentions")).expect("json"),
        samples = serde_json::to_string(&files("samples")).expect("json"),
    );
    let Some(out) = python(&code) else { return };
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], expected_mentions);
    assert_eq!(lines[1], "The mention text as it appears");
    assert_eq!(lines[2], expected_samples);
    assert!(lines[3].parse::<u32>().expect("max length") <= 128);
    assert_eq!(lines[4], expected_samples, "every sample has a mention");
}

#[test]
fn the_exported_model_loads_in_transformers() {
    let Some(torch) = std::env::var_os("BALI_TORCH_PYTHONPATH") else {
        eprintln!("note: BALI_TORCH_PYTHONPATH not set; skipping the transformers export test");
        return;
    };
    let (dir, wd) = sample_run();
    let exported = dir.path().join("tiny-aligned");
    bali()
        .arg("export")
        .arg(wd.join("train"))
        .arg("--out")
        .arg(&exported)
        .assert()
        .success();
    let out = Command::new("python3")
        .env("PYTHONPATH", torch)
        .arg(root().join("scripts/check_export.py"))
        .arg(&exported)
        .output()
        .expect("python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("loads as BertModel"),
        "check_export.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
