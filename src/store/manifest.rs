//! The stage manifest: the list of committed partitions and how each was made.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Version of the manifest file format itself.
pub const MANIFEST_FORMAT: u32 = 1;

/// Everything committed for one stage.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// [`MANIFEST_FORMAT`] of the writer.
    pub manifest_format: u32,
    /// Stage name.
    pub stage: String,
    /// Stage kind.
    pub kind: String,
    /// Outputs in declaration order: (name, table type).
    pub outputs: Vec<(String, String)>,
    /// Committed partitions by key.
    pub partitions: BTreeMap<String, PartitionRecord>,
}

/// What goes into a partition's fingerprint, kept so that `bali status` can say which part
/// changed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FingerprintInputs {
    /// Kind name and format version, e.g. `pubmed@1`.
    pub kind: String,
    /// Hash of the resolved options (canonical JSON, minus unfingerprinted keys).
    pub options: String,
    /// The pipeline seed.
    pub seed: u64,
    /// Content hashes of the files read (source files and files such as tokenizers).
    pub files: BTreeMap<String, String>,
    /// Fingerprints of the input partitions or tables, by a label such as `articles` or
    /// `dictionary (whole)`.
    pub inputs: BTreeMap<String, String>,
}

impl FingerprintInputs {
    /// The fingerprint: a blake3 hash over every component, in a fixed order.
    pub fn fingerprint(&self) -> String {
        let mut h = blake3::Hasher::new();
        h.update(b"bali-partition-v1\0");
        h.update(self.kind.as_bytes());
        h.update(b"\0");
        h.update(self.options.as_bytes());
        h.update(b"\0");
        h.update(&self.seed.to_le_bytes());
        for (k, v) in &self.files {
            h.update(k.as_bytes());
            h.update(b"\0");
            h.update(v.as_bytes());
            h.update(b"\0");
        }
        h.update(b"\x01");
        for (k, v) in &self.inputs {
            h.update(k.as_bytes());
            h.update(b"\0");
            h.update(v.as_bytes());
            h.update(b"\0");
        }
        h.finalize().to_hex().to_string()
    }

    /// Human-readable reasons why `self` (recorded) differs from `new` (planned).
    pub fn differences(&self, new: &FingerprintInputs) -> Vec<String> {
        let mut out = Vec::new();
        if self.kind != new.kind {
            out.push(format!(
                "kind or format version changed ({} -> {})",
                self.kind, new.kind
            ));
        }
        if self.options != new.options {
            out.push("options changed".to_string());
        }
        if self.seed != new.seed {
            out.push(format!("seed changed ({} -> {})", self.seed, new.seed));
        }
        diff_maps(&self.files, &new.files, "file", &mut out);
        diff_maps(&self.inputs, &new.inputs, "input", &mut out);
        out
    }
}

fn diff_maps(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
    what: &str,
    out: &mut Vec<String>,
) {
    for (k, v) in new {
        match old.get(k) {
            None => out.push(format!("new {what} {k}")),
            Some(o) if o != v => out.push(format!("{what} {k} changed")),
            _ => {}
        }
    }
    for k in old.keys() {
        if !new.contains_key(k) {
            out.push(format!("{what} {k} no longer used"));
        }
    }
}

/// One output file of a committed partition.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileRecord {
    /// Path relative to the stage folder.
    pub path: String,
    /// Rows in the file.
    pub rows: u64,
    /// Size in bytes.
    pub bytes: u64,
}

/// One committed partition.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PartitionRecord {
    /// The partition's fingerprint.
    pub fingerprint: String,
    /// What the fingerprint was computed from.
    pub inputs: FingerprintInputs,
    /// Output name -> file.
    pub files: BTreeMap<String, FileRecord>,
    /// Artifact folder relative to the stage folder, when the partition wrote one.
    pub artifacts: Option<String>,
    /// When it was committed.
    pub created_at: DateTime<Utc>,
    /// The run that made it.
    pub run_id: String,
    /// Seconds spent producing it.
    pub seconds: f64,
    /// Rows read from inputs.
    pub rows_in: u64,
    /// Input records skipped (bad input under `on_error: skip`, filtered records excluded).
    pub skipped: u64,
}

impl Manifest {
    /// An empty manifest for a stage.
    pub fn new(stage: &str, kind: &str, outputs: Vec<(String, String)>) -> Manifest {
        Manifest {
            manifest_format: MANIFEST_FORMAT,
            stage: stage.to_string(),
            kind: kind.to_string(),
            outputs,
            partitions: BTreeMap::new(),
        }
    }

    /// Total rows of an output over all partitions.
    pub fn rows(&self, output: &str) -> u64 {
        self.partitions
            .values()
            .filter_map(|p| p.files.get(output))
            .map(|f| f.rows)
            .sum()
    }
}
