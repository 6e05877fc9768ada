//! Sharded runs: N workers (a Kubernetes Indexed Job, an AWS Batch or Slurm array) share one
//! workdir, and each builds the partitions whose key hashes to its index.
//!
//! A run has three phases when it is sharded:
//!
//! 1. `bali run P --shard-prepare`, once: the whole tables that per-partition stages read
//!    (a dictionary, a relation table), and what they need.
//! 2. `bali run P --shard I/N`, N times at once: every per-partition stage (sources, and stages
//!    with a partitioned input), for the keys this worker owns. Whole-table stages wait.
//! 3. `bali run P`, once: the rest (training, evaluation), with every partition already fresh;
//!    it also builds whatever a failed worker left undone.
//!
//! Partition keys hash to workers with blake3, so every worker, on any machine, agrees on who
//! owns what. Commits go through the stages' commit logs, so workers never overwrite each
//! other's entries, and a retried or duplicated worker only redoes (or finds fresh) its own
//! partitions.

use std::fmt;

use crate::error::{BaliError, Result};

/// The environment variables a batch scheduler sets to a worker's index, in the order they
/// are looked up: Kubernetes Indexed Jobs, AWS Batch array jobs, Slurm job arrays.
pub const INDEX_VARIABLES: [&str; 3] = [
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
    "SLURM_ARRAY_TASK_ID",
];

/// One worker's share: index `index` of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This worker's index, `0..count`.
    pub index: u32,
    /// How many workers share the run.
    pub count: u32,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Parses `I/N`, or `N` alone with the index taken from the scheduler's variable
    /// ([`INDEX_VARIABLES`], read through `env`; Slurm's index counts from
    /// `SLURM_ARRAY_TASK_MIN` when that is set).
    pub fn parse(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Shard> {
        let usage = |why: String| {
            BaliError::Spec(format!(
                "error: --shard {text}: {why}\n  hint: write --shard I/N (worker I of N, from 0), or --shard N to take I from {}",
                INDEX_VARIABLES.join(", ")
            ))
        };
        let number = |s: &str, what: &str| -> Result<u32> {
            s.trim()
                .parse::<u32>()
                .map_err(|_| usage(format!("{what} `{s}` is not a whole number")))
        };
        let (index, count) = match text.split_once('/') {
            Some((i, n)) => (number(i, "the index")?, number(n, "the count")?),
            None => {
                let count = number(text, "the count")?;
                let Some((var, value)) = INDEX_VARIABLES
                    .iter()
                    .find_map(|v| env(v).map(|value| (*v, value)))
                else {
                    return Err(usage(
                        "no index given and none of the variables is set".into(),
                    ));
                };
                let mut index = number(&value, var)?;
                if var == "SLURM_ARRAY_TASK_ID" {
                    if let Some(min) = env("SLURM_ARRAY_TASK_MIN") {
                        let min = number(&min, "SLURM_ARRAY_TASK_MIN")?;
                        index = index.checked_sub(min).ok_or_else(|| {
                            usage(format!(
                                "SLURM_ARRAY_TASK_ID {index} is below its minimum {min}"
                            ))
                        })?;
                    }
                }
                (index, count)
            }
        };
        if count == 0 {
            return Err(usage("the count must be at least 1".into()));
        }
        if index >= count {
            return Err(usage(format!(
                "index {index} is not below the count {count} (indices run from 0)"
            )));
        }
        Ok(Shard { index, count })
    }

    /// Whether partition `key` is this worker's.
    pub fn owns(&self, key: &str) -> bool {
        let hash = blake3::hash(key.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&hash.as_bytes()[..8]);
        u64::from_le_bytes(first) % u64::from(self.count) == u64::from(self.index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn shards_parse_from_the_flag_or_the_schedulers_variables() -> Result<()> {
        assert_eq!(Shard::parse("2/3", env(&[]))?, Shard { index: 2, count: 3 });
        let k8s = [("JOB_COMPLETION_INDEX", "1")];
        assert_eq!(Shard::parse("4", env(&k8s))?, Shard { index: 1, count: 4 });
        let slurm = [("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_MIN", "1")];
        assert_eq!(
            Shard::parse("3", env(&slurm))?,
            Shard { index: 2, count: 3 }
        );
        for bad in ["3/3", "1/0", "x/2", "2"] {
            let err = Shard::parse(bad, env(&[])).err().map(|e| e.to_string());
            assert!(
                err.as_deref().is_some_and(|e| e.contains("hint:")),
                "{bad}: {err:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn every_key_has_exactly_one_owner_and_the_shares_are_even() {
        let keys: Vec<String> = (0..3000).map(|i| format!("pubmed26n{i:04}")).collect();
        let count = 3;
        let mut sizes = [0usize; 3];
        for key in &keys {
            let owners: Vec<u32> = (0..count)
                .filter(|&index| Shard { index, count }.owns(key))
                .collect();
            assert_eq!(owners.len(), 1, "{key}: {owners:?}");
            sizes[owners[0] as usize] += 1;
        }
        // 3,000 keys over 3 workers: each share within 10% of 1,000.
        assert!(
            sizes.iter().all(|&s| (900..=1100).contains(&s)),
            "{sizes:?}"
        );
    }
}
