//! Peers: the other programs a benchmark runs side by side with bali (`zcat`, Python scripts
//! under `scripts/bench/`), and what became of each.
//!
//! A peer that cannot run (Python or a module missing, as on a bare CI machine) does not fail
//! the benchmark: bali's own figures are still worth having, and the report says why the
//! comparison is missing instead of leaving it out silently.

use std::process::{Command, Stdio};

use serde::Serialize;

use crate::error::{BaliError, IoResultExt, Result};

/// What became of one peer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PeerOutcome<T> {
    /// It ran; its figures.
    Ran(T),
    /// It was asked for and could not run.
    Failed {
        /// Why, in words (the program's own error where it gave one).
        reason: String,
    },
    /// Not asked for (`--no-peers`, or an input it needs was not given).
    Skipped {
        /// Why.
        reason: String,
    },
}

impl<T> PeerOutcome<T> {
    /// The outcome of running a peer: its figures, or the error as the reason it failed.
    pub fn from_result(result: Result<T>) -> PeerOutcome<T> {
        match result {
            Ok(t) => PeerOutcome::Ran(t),
            Err(e) => PeerOutcome::Failed {
                reason: e.to_string(),
            },
        }
    }

    /// The figures, when it ran.
    pub fn ran(&self) -> Option<&T> {
        match self {
            PeerOutcome::Ran(t) => Some(t),
            _ => None,
        }
    }

    /// `not run: REASON` for a table cell, when it did not run.
    pub fn why_not(&self) -> Option<String> {
        match self {
            PeerOutcome::Ran(_) => None,
            PeerOutcome::Failed { reason } => Some(format!("failed: {reason}")),
            PeerOutcome::Skipped { reason } => Some(format!("not run: {reason}")),
        }
    }
}

/// Runs a peer with stdin closed and stdout and stderr captured; its stdout when it exits
/// with success, otherwise an error carrying its stderr (which says what is missing).
pub(crate) fn run_captured(command: &mut Command) -> Result<String> {
    run(command, Stdio::piped())
}

/// Runs a peer like [`run_captured`] with its stdout sent to the null device, so that a peer
/// writing much (`zcat`) is not slowed by a pipe and a copy that its real use would not have.
pub(crate) fn run_discarding(command: &mut Command) -> Result<()> {
    run(command, Stdio::null()).map(|_| ())
}

fn run(command: &mut Command, stdout: Stdio) -> Result<String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .at(&program)?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.trim().lines().last().unwrap_or("").to_string();
        // Not a bug in bali: the peer's own failure, reported as an error of that program.
        return Err(BaliError::io(
            &program,
            std::io::Error::other(format!("{}: {last}", output.status)),
        )
        .context("benchmark peer"));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_peer_reports_its_last_stderr_line() {
        let err = run_captured(
            Command::new("sh").args(["-c", "echo first >&2; echo 'no module' >&2; exit 3"]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("no module") && !err.contains("first"), "{err}");
        let outcome: PeerOutcome<()> =
            PeerOutcome::from_result(Err(BaliError::io("sh", std::io::Error::other(err))));
        assert!(outcome.why_not().is_some_and(|w| w.starts_with("failed: ")));
        assert_eq!(
            run_captured(Command::new("sh").args(["-c", "echo out"])).unwrap(),
            "out\n"
        );
        assert!(run_discarding(Command::new("sh").args(["-c", "echo out"])).is_ok());
    }

    #[test]
    fn outcomes_serialise_with_a_status_tag() {
        #[derive(Serialize)]
        struct Figures {
            seconds: f64,
        }
        let ran = serde_json::to_value(PeerOutcome::Ran(Figures { seconds: 1.5 })).unwrap();
        assert_eq!(ran, serde_json::json!({"status": "ran", "seconds": 1.5}));
        let skipped = serde_json::to_value(PeerOutcome::<Figures>::Skipped {
            reason: "--no-peers".into(),
        })
        .unwrap();
        assert_eq!(
            skipped,
            serde_json::json!({"status": "skipped", "reason": "--no-peers"})
        );
    }
}
