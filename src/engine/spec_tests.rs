//! The spec's checks, one test per class of validation error: each asserts the message, the
//! `file:line:col` it points at, and the hint. They live here, beside the engine's test kinds
//! they check files against, so that the spec imports nothing from the engine.

use std::path::Path;

use crate::engine::testkinds::registry;
use crate::error::BaliError;
use crate::spec::*;

fn errors(yaml: &str, sets: &[&str]) -> String {
    problems(yaml, sets).render()
}

fn problems(yaml: &str, sets: &[&str]) -> Problems {
    let opts = LoadOptions {
        workdir: Some(std::env::temp_dir()),
        overrides: sets.iter().map(|s| s.to_string()).collect(),
        base_dir: Some(std::env::temp_dir()),
    };
    match load_str(yaml, Path::new("p.yaml"), &registry(), &opts) {
        Ok(_) => panic!("expected validation errors for:\n{yaml}"),
        Err(BaliError::Invalid(problems)) => *problems,
        Err(other) => panic!("expected the file's problems, got {other}"),
    }
}

fn assert_has(text: &str, parts: &[&str]) {
    for p in parts {
        assert!(text.contains(p), "missing {p:?} in:\n{text}");
    }
}

const GOOD: &str = "pipeline: t
stages:
  nums: { kind: numbers, options: { partitions: [a] } }
  plus: { kind: map, inputs: [nums], options: { add: 1 } }
";

#[test]
fn a_valid_file_loads() {
    let plan = load_str(
        GOOD,
        Path::new("p.yaml"),
        &registry(),
        &LoadOptions {
            base_dir: Some(std::env::temp_dir()),
            ..Default::default()
        },
    )
    .expect("valid");
    assert_eq!(plan.name, "t");
    assert_eq!(plan.seed, 29);
    assert!(plan.workdir.ends_with("out/t"));
    assert_eq!(
        plan.stages[1].options,
        serde_json::json!({"add": 1, "sleep_ms": 0, "probe": false})
    );
}

#[test]
fn syntax_error() {
    let text = errors("pipeline: t\nstages:\n  a: { kind: numbers\n  b: 1\n", &[]);
    assert_has(&text, &["error:", "--> p.yaml:"]);
}

#[test]
fn unknown_top_level_key() {
    let text = errors("pipeline: t\nstagez: {}\nstages:\n  nums: { kind: numbers, options: { partitions: [a] } }\n", &[]);
    assert_has(
        &text,
        &[
            "unknown key `stagez` in the pipeline",
            "--> p.yaml:2:1",
            "hint: did you mean `stages`?",
        ],
    );
}

#[test]
fn unknown_kind() {
    let text = errors("pipeline: t\nstages:\n  nums: { kind: numberz }\n", &[]);
    assert_has(
        &text,
        &[
            "unknown stage kind `numberz`",
            "--> p.yaml:3:17",
            "3 |   nums: { kind: numberz }",
            "  |                 ^",
            "hint: did you mean `numbers`?",
        ],
    );
}

/// A misspelled kind does not hide a misspelled input on the same line; the problems come as
/// data, in the file's order.
#[test]
fn every_problem_on_a_line_is_reported() {
    let found = problems(
        "pipeline: t\nstages:\n  nums: { kind: numbers, options: { partitions: [a] } }\n  plus: { kind: mapp, inputs: [numz] }\n",
        &[],
    );
    let got: Vec<(u64, u64, &str, Option<&str>)> = found
        .diagnostics
        .iter()
        .map(|d| {
            (
                d.loc.line,
                d.loc.column,
                d.message.as_str(),
                d.hint.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                4,
                17,
                "unknown stage kind `mapp`",
                Some("did you mean `map`?")
            ),
            (
                4,
                32,
                "input `numz` of stage `plus` is not a stage",
                Some("did you mean `nums`?")
            ),
        ]
    );
    assert_eq!(found.file, "p.yaml");
}

#[test]
fn unknown_option() {
    let text = errors("pipeline: t\nstages:\n  nums: { kind: numbers, options: { partitions: [a], batchez: 2 } }\n", &[]);
    assert_has(
        &text,
        &[
            "unknown option `batchez` for kind `numbers`",
            "--> p.yaml:3:54",
            "hint: did you mean `batches`?",
        ],
    );
}

#[test]
fn bad_option_type() {
    let text = errors(
        "pipeline: t\nstages:\n  nums: { kind: numbers, options: { partitions: [a] } }\n  plus:\n    kind: map\n    inputs: [nums]\n    options:\n      add: lots\n",
        &[],
    );
    assert_has(
        &text,
        &[
            "invalid option `add` for kind `map`",
            "invalid type: string \"lots\", expected i64",
            "--> p.yaml:8:12",
        ],
    );
}

#[test]
fn misspelled_input() {
    let text = errors("pipeline: t\nstages:\n  nums: { kind: numbers, options: { partitions: [a] } }\n  plus: { kind: map, inputs: [numz] }\n", &[]);
    assert_has(
        &text,
        &[
            "input `numz` of stage `plus` is not a stage",
            "--> p.yaml:4:31",
            "hint: did you mean `nums`?",
        ],
    );
}

#[test]
fn missing_input() {
    let text = errors("pipeline: t\nstages:\n  plus: { kind: map }\n", &[]);
    assert_has(
        &text,
        &[
            "stage `plus` (map) needs 1 input(s) but 0 are given",
            "--> p.yaml:3:9",
            "`map` takes inputs: [numbers (deletions)]",
        ],
    );
}

#[test]
fn unknown_output() {
    let text = errors("pipeline: t\nstages:\n  nums: { kind: numbers, options: { partitions: [a] } }\n  plus: { kind: map, inputs: [nums.numberz] }\n", &[]);
    assert_has(
        &text,
        &[
            "stage `nums` (numbers) has no output `numberz`",
            "--> p.yaml:4:31",
            "did you mean `numbers`?",
        ],
    );
}

#[test]
fn type_mismatch() {
    let text = errors("pipeline: t\nstages:\n  nums: { kind: numbers, options: { partitions: [a] } }\n  c: { kind: needs_concepts, inputs: [nums] }\n", &[]);
    assert_has(
        &text,
        &[
            "input 1 (`concepts`) of stage `c` expects concepts, but `nums` is deletions",
            "--> p.yaml:4:39",
        ],
    );
}

#[test]
fn cycle() {
    let text = errors(
        "pipeline: t\nstages:\n  a: { kind: map, inputs: [b] }\n  b: { kind: map, inputs: [a] }\n",
        &[],
    );
    assert_has(
        &text,
        &[
            "the stages form a cycle:",
            "a -> b",
            "hint: a stage cannot depend on its own output",
        ],
    );
    let text = errors(
        "pipeline: t\nstages:\n  a: { kind: map, inputs: [a] }\n",
        &[],
    );
    assert_has(
        &text,
        &["the stages form a cycle: a -> a", "--> p.yaml:3:27"],
    );
}

#[test]
fn duplicate_stage() {
    let text = errors(
        "pipeline: t\nstages:\n  nums: { kind: numbers, options: { partitions: [a] } }\n  nums: { kind: numbers, options: { partitions: [b] } }\n",
        &[],
    );
    assert_has(
        &text,
        &[
            "duplicate stage `nums`",
            "--> p.yaml:4:3",
            "first defined at line 3",
        ],
    );
}

#[test]
fn invalid_stage_name() {
    let text = errors(
        "pipeline: t\nstages:\n  My-Stage: { kind: numbers, options: { partitions: [a] } }\n",
        &[],
    );
    assert_has(&text, &["invalid stage name `My-Stage`", "--> p.yaml:3:3"]);
}

#[test]
fn every_error_is_reported_at_once() {
    let text = errors(
        "pipeline: t\nstages:\n  nums: { kind: numberz }\n  plus: { kind: map, inputs: [x] }\n",
        &[],
    );
    assert_has(
        &text,
        &[
            "unknown stage kind `numberz`",
            "input `x` of stage `plus` is not a stage",
            "2 errors in p.yaml",
        ],
    );
}

#[test]
fn overrides_are_validated_like_the_file() {
    let text = errors(GOOD, &["plus.add=lots"]);
    assert_has(
        &text,
        &[
            "invalid option `add` for kind `map`",
            "--> command line: --set plus.add=lots",
        ],
    );
    let text = errors(GOOD, &["plux.add=1"]);
    assert_has(
        &text,
        &["--set names unknown stage `plux`", "did you mean `plus`?"],
    );
    let text = errors(GOOD, &["plus.ad=1"]);
    assert_has(
        &text,
        &[
            "unknown option `ad` for kind `map`",
            "--set plus.ad=1",
            "did you mean `add`?",
        ],
    );
    let ok = load_str(
        GOOD,
        Path::new("p.yaml"),
        &registry(),
        &LoadOptions {
            overrides: vec!["plus.add=7".into()],
            base_dir: Some(std::env::temp_dir()),
            ..Default::default()
        },
    )
    .expect("valid override");
    assert_eq!(ok.stages[1].options["add"], 7);
}
