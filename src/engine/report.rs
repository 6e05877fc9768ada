//! The run report: written as JSON under `WORKDIR/_runs/` and printed as a summary.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{IoResultExt, Result};

/// Everything a run did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    /// Sortable run id (UTC time and a random suffix).
    pub run_id: String,
    /// Pipeline name.
    pub pipeline: String,
    /// Pipeline file.
    pub pipeline_file: String,
    /// Workdir.
    pub workdir: String,
    /// This worker's share (`I/N`), in a sharded run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// Start time.
    pub started_at: DateTime<Utc>,
    /// End time.
    pub finished_at: DateTime<Utc>,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// ok, failed or cancelled.
    pub status: String,
    /// The error, when the run failed.
    pub error: Option<String>,
    /// Per stage, in plan order.
    pub stages: Vec<StageReport>,
}

/// What one stage did.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StageReport {
    /// Stage name.
    pub stage: String,
    /// Kind.
    pub kind: String,
    /// Partitions built in this run.
    pub partitions_run: usize,
    /// Partitions that were fresh and skipped.
    pub partitions_skipped: usize,
    /// Partitions removed because their source is gone.
    pub partitions_removed: usize,
    /// Rows read from inputs.
    pub rows_in: u64,
    /// Rows written, per output.
    pub rows_out: std::collections::BTreeMap<String, u64>,
    /// Input records skipped (bad input under `on_error: skip`).
    pub records_skipped: u64,
    /// Records written to a rejects output (`on_error: quarantine`).
    pub records_quarantined: u64,
    /// Bytes of Parquet written.
    pub bytes_written: u64,
    /// Seconds of the stage's own work: the sum of its partitions' seconds.
    pub seconds: f64,
    /// Output rows per second (all outputs) of its own work.
    pub rows_per_second: f64,
    /// Per partition.
    pub partitions: Vec<PartitionReport>,
}

/// What happened to one partition.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartitionReport {
    /// Key.
    pub key: String,
    /// run, skipped, removed, failed or not_run.
    pub action: String,
    /// Why it ran (missing, or the staleness reasons) or why it was skipped.
    pub reason: String,
    /// Rows written (all outputs).
    pub rows_out: u64,
    /// Seconds of the partition's own work: wall time less the time it was blocked on other
    /// stages (waiting for its inputs, or for room in a downstream channel).
    pub seconds: f64,
    /// What the stage said about how it built the partition (see `PartitionCtx::note`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl RunReport {
    /// Writes the report to `dir/<run_id>.json`.
    pub fn write(&self, dir: &Path) -> Result<PathBuf> {
        std::fs::create_dir_all(dir).at(dir)?;
        let path = dir.join(format!("{}.json", self.run_id));
        crate::store::atomic::write(&path, serde_json::to_string_pretty(self)?.as_bytes())?;
        Ok(path)
    }

    /// The printed summary: one line per stage.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let width = self
            .stages
            .iter()
            .map(|s| s.stage.len())
            .max()
            .unwrap_or(5)
            .max(5);
        let _ = writeln!(
            out,
            "{:<width$}  {:>4} {:>5} {:>10} {:>10} {:>8} {:>8} {:>9} {:>10}",
            "stage",
            "run",
            "fresh",
            "rows in",
            "rows out",
            "skipped",
            "quarant",
            "seconds",
            "rows/s"
        );
        for s in &self.stages {
            let rows_out: u64 = s.rows_out.values().sum();
            let note = if s.partitions.iter().any(|p| p.action == "failed") {
                "  (failed)"
            } else if s.partitions_run == 0 && s.partitions_removed == 0 {
                "  (nothing to do)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "{:<width$}  {:>4} {:>5} {:>10} {:>10} {:>8} {:>8} {:>9.2} {:>10.0}{note}",
                s.stage,
                s.partitions_run,
                s.partitions_skipped,
                s.rows_in,
                rows_out,
                s.records_skipped,
                s.records_quarantined,
                s.seconds,
                s.rows_per_second,
            );
        }
        for s in &self.stages {
            for p in &s.partitions {
                if let Some(note) = &p.note {
                    let _ = writeln!(out, "{}/{}: {note}", s.stage, p.key);
                }
            }
        }
        let _ = write!(
            out,
            "run {} {} in {:.2}s",
            self.run_id, self.status, self.seconds
        );
        if let Some(e) = &self.error {
            let _ = write!(out, ": {e}");
        }
        out
    }
}

/// A new sortable run id.
pub fn new_run_id(now: DateTime<Utc>) -> String {
    let suffix: u16 = rand::random();
    format!("{}-{suffix:04x}", now.format("%Y%m%dT%H%M%S%.3fZ"))
}
