//! The held-out split: which articles the trainer never sees, so that evaluation can measure
//! linking on mentions the aligned model was not trained on.
//!
//! The rule is a pure function of (seed, PMID): a PMID is held out when the first 8 bytes of
//! `blake3("bali/holdout" || seed as u64 LE || pmid as i64 LE)`, read as a little-endian `u64`
//! and divided by 2^64, fall below `fraction`. Splitting by article (not by sentence or
//! mention) keeps every sentence of a held-out abstract out of training, and the split needs
//! no list of PMIDs: the trainer writes the rule's parameters to `train.json` and the
//! evaluation applies the same function to the mentions it reads. The split does not move when
//! articles are added or removed, so an incremental run keeps its test set.

use serde::{Deserialize, Serialize};

use crate::error::{BaliError, Result};

/// Hash domain of the split, so that no other seeded draw of bali can coincide with it.
const DOMAIN: &[u8] = b"bali/holdout";

/// The text of the rule, written to `train.json` for readers outside bali.
pub const RULE: &str = "held out when u64_le(blake3(\"bali/holdout\" || u64_le(seed) || i64_le(pmid))[0..8]) / 2^64 < fraction";

/// A held-out split: its seed and the share of PMIDs it holds out.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holdout {
    /// Seed of the hash (the pipeline's seed by default).
    pub seed: u64,
    /// Expected share of PMIDs held out, in [0, 1).
    pub fraction: f64,
}

impl Holdout {
    /// A split, checking that `fraction` is in [0, 1): holding out every article would leave
    /// nothing to train on.
    pub fn new(seed: u64, fraction: f64) -> Result<Holdout> {
        if !(0.0..1.0).contains(&fraction) {
            return Err(BaliError::Spec(format!(
                "holdout_fraction must be in [0, 1), got {fraction}"
            )));
        }
        Ok(Holdout { seed, fraction })
    }

    /// Whether the article `pmid` is held out.
    pub fn is_held_out(&self, pmid: i64) -> bool {
        let mut hasher = blake3::Hasher::new();
        hasher.update(DOMAIN);
        hasher.update(&self.seed.to_le_bytes());
        hasher.update(&pmid.to_le_bytes());
        let hash = hasher.finalize();
        let mut word = [0u8; 8];
        word.copy_from_slice(&hash.as_bytes()[..8]);
        // u64 / 2^64 in f64: the division is exact up to f64's 53-bit mantissa, which is
        // finer than any fraction a user writes.
        (u64::from_le_bytes(word) as f64 / 18_446_744_073_709_551_616.0) < self.fraction
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_out_about_the_fraction_and_depends_only_on_seed_and_pmid() -> Result<()> {
        let split = Holdout::new(29, 0.1)?;
        let held = (1..=100_000i64).filter(|p| split.is_held_out(*p)).count();
        // Binomial(100000, 0.1): sd ~95.
        assert!((held as i64 - 10_000).abs() < 500, "{held}");
        let again = Holdout::new(29, 0.1)?;
        assert!((1..=1000i64).all(|p| split.is_held_out(p) == again.is_held_out(p)));
        let other = Holdout::new(30, 0.1)?;
        assert!((1..=1000i64).any(|p| split.is_held_out(p) != other.is_held_out(p)));
        // A larger fraction holds out a superset.
        let more = Holdout::new(29, 0.3)?;
        assert!((1..=1000i64).all(|p| !split.is_held_out(p) || more.is_held_out(p)));
        let none = Holdout::new(29, 0.0)?;
        assert!((1..=1000i64).all(|p| !none.is_held_out(p)));
        assert!(Holdout::new(29, 1.0).is_err());
        Ok(())
    }
}
