//! Peers: the other programs a benchmark runs side by side with bali (`zcat`, Python scripts
//! under `bench/scripts/`), and what became of each.
//!
//! A peer that cannot run (Python or a module missing, as on a bare CI machine) does not fail
//! the benchmark: bali's own figures are still worth having, and the report says why the
//! comparison is missing instead of leaving it out silently.

use std::ffi::OsStr;
use std::process::{Command, Stdio};

use serde::de::DeserializeOwned;
use serde::Serialize;

use bali::error::{BaliError, IoResultExt, Result};

/// A PyTorch peer script: the interpreter, its `PYTHONPATH` and the threads it may use (set
/// for OpenMP and MKL too, so that no library starts more).
pub(crate) struct TorchPeer<'a> {
    /// The Python interpreter.
    pub python: &'a str,
    /// Where torch and transformers were installed, if not on the interpreter's own path.
    pub pythonpath: Option<&'a str>,
    /// Intra-op threads.
    pub threads: usize,
}

impl TorchPeer<'_> {
    fn command(&self, args: &[&OsStr]) -> Command {
        let mut c = Command::new(self.python);
        c.args(args);
        if let Some(path) = self.pythonpath {
            c.env("PYTHONPATH", path);
        }
        let threads = self.threads.to_string();
        for var in ["OMP_NUM_THREADS", "MKL_NUM_THREADS"] {
            c.env(var, &threads);
        }
        c
    }

    /// Runs the script with `args` and parses the JSON report it prints as its last line:
    /// `skipped` (with what to install, and `pythonpath_var` to point at it) when the
    /// interpreter cannot import torch and transformers, `failed` when the run fails.
    pub(crate) fn run<T: DeserializeOwned>(
        &self,
        args: &[&OsStr],
        pythonpath_var: &str,
    ) -> PeerOutcome<T> {
        let mut probe = self.command(&["-c".as_ref(), "import torch, transformers".as_ref()]);
        if let Err(e) = run_captured(&mut probe) {
            return PeerOutcome::Skipped {
                reason: format!(
                    "{} cannot import torch and transformers ({e}); install them and point \
                     {pythonpath_var} at them",
                    self.python
                ),
            };
        }
        PeerOutcome::from_result((|| {
            let stdout = run_captured(&mut self.command(args))?;
            let line = stdout.trim().lines().last().unwrap_or("");
            serde_json::from_str::<T>(line).map_err(|e| {
                BaliError::Internal(format!(
                    "the PyTorch peer printed no report ({e}): {line:?}"
                ))
            })
        })())
    }
}

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
