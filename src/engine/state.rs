//! What a run would do: partitions of every stage, their fingerprints, and whether each is
//! fresh, stale (and why) or missing. Computed without running anything, so `bali status`,
//! `bali run --dry-run` and the executor share one answer.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use super::plan::Plan;
use super::stage::InputMode;
use crate::error::{BaliError, Result};
use crate::store::{FileHashCache, FingerprintInputs, Fingerprinter, Manifest, Store};

/// The name of the single partition of a stage whose inputs are all whole tables.
pub const SINGLE_PARTITION: &str = "all";

/// Freshness of one planned partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartitionStatus {
    /// Committed with the same fingerprint: nothing to do.
    Fresh,
    /// Committed with another fingerprint; the reasons say which ingredient changed.
    Stale(Vec<String>),
    /// Never committed (or its files are gone).
    Missing,
}

impl PartitionStatus {
    /// Whether the partition must be (re)built.
    pub fn needs_run(&self) -> bool {
        !matches!(self, PartitionStatus::Fresh)
    }

    /// One word: fresh, stale or missing.
    pub fn word(&self) -> &'static str {
        match self {
            PartitionStatus::Fresh => "fresh",
            PartitionStatus::Stale(_) => "stale",
            PartitionStatus::Missing => "missing",
        }
    }

    /// The word and the reasons.
    pub fn describe(&self) -> String {
        match self {
            PartitionStatus::Stale(reasons) => format!("stale ({})", reasons.join("; ")),
            other => other.word().to_string(),
        }
    }
}

/// One planned partition.
#[derive(Debug, Clone)]
pub struct PartitionPlan {
    /// Partition key.
    pub key: String,
    /// What its fingerprint is made of.
    pub inputs: FingerprintInputs,
    /// The fingerprint.
    pub fingerprint: String,
    /// Fresh, stale or missing.
    pub status: PartitionStatus,
}

/// Planned state of one stage.
#[derive(Debug, Clone)]
pub struct StageState {
    /// Partitions in key order.
    pub partitions: Vec<PartitionPlan>,
    /// Committed partitions no longer produced (their source file is gone): removed by a run.
    pub removed: Vec<String>,
    /// The manifest as it is on disk.
    pub manifest: Option<Manifest>,
    /// Fingerprint of the whole table (all partition fingerprints), used by whole-table consumers.
    pub table_fingerprint: String,
}

impl StageState {
    /// Whether a run has anything to do for this stage.
    pub fn needs_run(&self) -> bool {
        !self.removed.is_empty() || self.partitions.iter().any(|p| p.status.needs_run())
    }

    /// The planned partition `key`.
    pub fn partition(&self, key: &str) -> Option<&PartitionPlan> {
        self.partitions.iter().find(|p| p.key == key)
    }
}

/// Orders partition keys naturally: digit runs compare as numbers, so `pubmed25n0100` sorts
/// after `pubmed25n0099` and `part10` after `part9`, whatever the order files arrived in.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let (na, nb) = (trim_zeros(&a[..da]), trim_zeros(&b[..db]));
                let ord = na
                    .len()
                    .cmp(&nb.len())
                    .then_with(|| na.cmp(nb))
                    .then(da.cmp(&db));
                if ord != Ordering::Equal {
                    return ord;
                }
                a = &a[da..];
                b = &b[db..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

fn trim_zeros(d: &[u8]) -> &[u8] {
    let start = d.iter().take_while(|&&c| c == b'0').count();
    &d[start.min(d.len().saturating_sub(1))..]
}

/// Hash of options with the kind's unfingerprinted keys removed.
pub fn options_fingerprint(options: &serde_json::Value, unfingerprinted: &[&str]) -> String {
    let mut v = options.clone();
    if let serde_json::Value::Object(map) = &mut v {
        for k in unfingerprinted {
            map.remove(*k);
        }
    }
    // serde_json maps are sorted (no preserve_order feature), so this text is canonical.
    Fingerprinter::new().add(&v.to_string()).finish()
}

/// Plans every stage: partitions, fingerprints, freshness.
pub fn plan_state(plan: &Plan, store: &Store, hashes: &FileHashCache) -> Result<Vec<StageState>> {
    let mut states: Vec<StageState> = Vec::with_capacity(plan.stages.len());
    for stage in &plan.stages {
        let stage_err = |e: BaliError| BaliError::Stage {
            stage: stage.name.clone(),
            partition: "(planning)".into(),
            source: Box::new(e),
        };
        let manifest = store.stage(&stage.name).manifest()?;
        let options = options_fingerprint(&stage.options, stage.kind.unfingerprinted);
        let kind = format!("{}@{}", stage.kind.name, stage.kind.format_version);
        let mut common_files = BTreeMap::new();
        for f in stage.stage.fingerprint_files() {
            common_files.insert(file_key(&f), hashes.hash(&f).map_err(stage_err)?);
        }
        // Partition keys and per-partition files.
        let mut parts: Vec<(String, BTreeMap<String, String>)> = Vec::new();
        match stage.stage.source_partitions().map_err(stage_err)? {
            Some(sources) => {
                let mut seen = BTreeSet::new();
                for sp in sources {
                    if !seen.insert(sp.key.clone()) {
                        return Err(stage_err(BaliError::Spec(format!(
                            "two inputs of stage `{}` have the partition key `{}`; give the files distinct names",
                            stage.name, sp.key
                        ))));
                    }
                    let mut files = common_files.clone();
                    for f in &sp.files {
                        files.insert(file_key(f), hashes.hash(f).map_err(stage_err)?);
                    }
                    parts.push((sp.key, files));
                }
            }
            None => {
                let first_partitioned = stage
                    .inputs
                    .iter()
                    .flatten()
                    .find(|i| i.decl.mode == InputMode::Partitioned);
                match first_partitioned {
                    Some(inp) => {
                        for p in &states[inp.producer].partitions {
                            parts.push((p.key.clone(), common_files.clone()));
                        }
                    }
                    None => parts.push((SINGLE_PARTITION.to_string(), common_files.clone())),
                }
            }
        }
        parts.sort_by(|a, b| natural_cmp(&a.0, &b.0));
        let mut partitions = Vec::with_capacity(parts.len());
        for (key, files) in parts {
            let mut inputs = BTreeMap::new();
            for inp in stage.inputs.iter().flatten() {
                let producer = &states[inp.producer];
                match inp.decl.mode {
                    InputMode::Whole => {
                        inputs.insert(
                            format!("{} (whole)", inp.label),
                            producer.table_fingerprint.clone(),
                        );
                    }
                    InputMode::Partitioned => {
                        let p = producer.partition(&key).ok_or_else(|| {
                            stage_err(BaliError::Spec(format!(
                                "input `{}` has no partition `{key}`: partitioned inputs of one stage must come from the same source partitions",
                                inp.label
                            )))
                        })?;
                        inputs.insert(inp.label.clone(), p.fingerprint.clone());
                    }
                }
            }
            let fi = FingerprintInputs {
                kind: kind.clone(),
                options: options.clone(),
                seed: plan.seed,
                files,
                inputs,
            };
            let fingerprint = fi.fingerprint();
            let status = match manifest.as_ref().and_then(|m| m.partitions.get(&key)) {
                None => PartitionStatus::Missing,
                Some(rec) if rec.fingerprint == fingerprint => {
                    let stage_store = store.stage(&stage.name);
                    let mut complete = true;
                    for f in rec.files.values() {
                        complete = complete && stage_store.holds(&f.path, false)?;
                    }
                    if let Some(a) = &rec.artifacts {
                        complete = complete && stage_store.holds(a, true)?;
                    }
                    if complete {
                        PartitionStatus::Fresh
                    } else {
                        PartitionStatus::Stale(vec!["checkpoint files are missing".into()])
                    }
                }
                Some(rec) => {
                    let mut reasons = rec.inputs.differences(&fi);
                    if reasons.is_empty() {
                        reasons.push("fingerprint changed".into());
                    }
                    PartitionStatus::Stale(reasons)
                }
            };
            partitions.push(PartitionPlan {
                key,
                inputs: fi,
                fingerprint,
                status,
            });
        }
        let planned: BTreeSet<&str> = partitions.iter().map(|p| p.key.as_str()).collect();
        let removed = manifest
            .as_ref()
            .map(|m| {
                m.partitions
                    .keys()
                    .filter(|k| !planned.contains(k.as_str()))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let mut fp = Fingerprinter::new();
        for p in &partitions {
            fp.add(&p.key).add(&p.fingerprint);
        }
        states.push(StageState {
            partitions,
            removed,
            manifest,
            table_fingerprint: fp.finish(),
        });
    }
    hashes.save();
    Ok(states)
}

/// How an input file is named in fingerprints: its path, or the URL a local copy came from
/// (so machines with different cache folders agree).
fn file_key(path: &std::path::Path) -> String {
    crate::store::remote::origin_of(path).unwrap_or_else(|| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_compares_numbers() {
        let mut keys = vec![
            "pubmed25n0100",
            "pubmed25n0099",
            "part10",
            "part9",
            "pubmed24n1274",
            "a",
        ];
        keys.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            keys,
            vec![
                "a",
                "part9",
                "part10",
                "pubmed24n1274",
                "pubmed25n0099",
                "pubmed25n0100"
            ]
        );
        assert_eq!(natural_cmp("x01", "x1"), Ordering::Greater);
        assert_eq!(natural_cmp("x1", "x1"), Ordering::Equal);
    }

    #[test]
    fn unfingerprinted_options_do_not_count() {
        let a = serde_json::json!({"paths": ["a/*.xml"], "batch_size": 10});
        let b = serde_json::json!({"paths": ["b/*.xml"], "batch_size": 10});
        assert_eq!(
            options_fingerprint(&a, &["paths"]),
            options_fingerprint(&b, &["paths"])
        );
        assert_ne!(options_fingerprint(&a, &[]), options_fingerprint(&b, &[]));
    }
}
