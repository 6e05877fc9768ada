//! `bali validate` as a user sees it: one broken pipeline per class of validation error
//! (`tests/validate/<class>.yaml`), its whole stderr and exit code pinned in a snapshot
//! (`tests/snapshots/`). A change to any message, caret, hint or exit code shows up as a
//! snapshot diff: review it with `cargo insta review`, or accept all with
//! `INSTA_UPDATE=always cargo test --test validate`.
//!
//! A cycle needs a kind that reads its own table, which no built-in kind does (the type
//! check reports it first); `spec::tests` covers cycles with the engine's test kinds.

mod common;

use common::*;

/// Runs `bali validate` on `file` (relative to the repository root) with `args`, and returns
/// the exit code and stderr, with the checkout's absolute path written as `[ROOT]`.
fn validate(file: &str, args: &[&str]) -> String {
    let out = bali()
        .current_dir(root())
        .arg("validate")
        .arg(file)
        .args(args)
        .output()
        .expect("run bali");
    assert!(out.stdout.is_empty(), "an invalid file printed to stdout");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let root = root().display().to_string();
    format!(
        "exit code: {}\n{}",
        out.status.code().map_or("none".into(), |c| c.to_string()),
        stderr.replace(&root, "[ROOT]")
    )
}

#[test]
fn every_class_of_validation_error_prints_as_pinned() {
    let dir = root().join("tests/validate");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/validate")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "only {} cases", files.len());
    for name in files {
        let class = name.trim_end_matches(".yaml");
        insta::assert_snapshot!(class, validate(&format!("tests/validate/{name}"), &[]));
    }
}

#[test]
fn command_line_overrides_are_checked_with_the_file() {
    insta::assert_snapshot!(
        "bad_set",
        validate(
            "pipelines/sample.yaml",
            &[
                "--set",
                "nope.x=1",
                "--set",
                "dictionary.min_length",
                "--set",
                "dictionary.min_length=-1",
            ],
        )
    );
}

#[test]
fn a_missing_pipeline_file_is_a_usage_error() {
    insta::assert_snapshot!("missing_file", validate("tests/validate/none.yaml", &[]));
}
