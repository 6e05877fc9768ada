//! `bali status` and `bali run --dry-run`: what a run would do, and why.

use std::fmt::Write as _;

use crate::engine::Plan;
use crate::engine::StageState;

/// Renders the planned state: one line per stage, then every partition that is not fresh
/// (every partition with `all`).
pub fn render_status(plan: &Plan, states: &[StageState], selected: &[bool], all: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "pipeline {} ({}), workdir {}",
        plan.name,
        plan.file.display(),
        plan.workdir.display()
    );
    let name_w = plan
        .stages
        .iter()
        .map(|s| s.name.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let _ = writeln!(
        out,
        "{:<name_w$}  {:<14} {:>5} {:>6} {:>6} {:>8} {:>8}  inputs",
        "stage", "kind", "parts", "fresh", "stale", "missing", "removed"
    );
    let (mut to_build, mut stages_to_run) = (0, 0);
    for ((stage, state), &sel) in plan.stages.iter().zip(states).zip(selected) {
        let fresh = state
            .partitions
            .iter()
            .filter(|p| !p.status.needs_run())
            .count();
        let stale = state
            .partitions
            .iter()
            .filter(|p| matches!(p.status, crate::engine::PartitionStatus::Stale(_)))
            .count();
        let missing = state.partitions.len() - fresh - stale;
        let inputs: Vec<&str> = stage
            .inputs
            .iter()
            .flatten()
            .map(|i| i.label.as_str())
            .collect();
        let _ = writeln!(
            out,
            "{:<name_w$}  {:<14} {:>5} {:>6} {:>6} {:>8} {:>8}  [{}]{}",
            stage.name,
            stage.kind.name,
            state.partitions.len(),
            fresh,
            stale,
            missing,
            state.removed.len(),
            inputs.join(", "),
            if sel { "" } else { "  (not selected)" }
        );
        if sel && state.needs_run() {
            stages_to_run += 1;
            to_build += stale + missing;
        }
        for p in &state.partitions {
            if all || p.status.needs_run() {
                let _ = writeln!(out, "    {:<24} {}", p.key, p.status.describe());
            }
        }
        for k in &state.removed {
            let _ = writeln!(out, "    {k:<24} removed (its source is gone)");
        }
    }
    if stages_to_run == 0 {
        let _ = write!(out, "everything is up to date: a run would do nothing");
    } else {
        let _ = write!(
            out,
            "a run would build {to_build} partition(s) in {stages_to_run} stage(s)"
        );
    }
    out
}
