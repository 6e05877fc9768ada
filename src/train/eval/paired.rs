//! Paired comparison of two models scored on the same items: the difference in accuracy with a
//! seeded paired-bootstrap interval, and McNemar's exact test.
//!
//! Both read per-item outcomes (hit or miss) of model A (the base) and model B (the aligned
//! one) on the same items, in the same order. The bootstrap resamples *items*, keeping each
//! item's pair of outcomes together, so the interval accounts for the correlation between the
//! two models; McNemar's test uses only the discordant items (one model right, the other
//! wrong), whose split is Binomial(n, 1/2) under the null of equal accuracy.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Bootstrap resamples drawn by [`compare`] (the interval's percentiles move by well under
/// 0.1 points between seeds at this count).
pub const RESAMPLES: usize = 10_000;

/// The paired comparison of B against A.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paired {
    /// Items compared.
    pub n: usize,
    /// Accuracy of B minus accuracy of A.
    pub delta: f64,
    /// Lower end of the 95% paired-bootstrap percentile interval of `delta`.
    pub low: f64,
    /// Upper end of that interval.
    pub high: f64,
    /// Items A got right and B wrong.
    pub only_a: u64,
    /// Items B got right and A wrong.
    pub only_b: u64,
    /// McNemar's exact two-sided p-value.
    pub p_value: f64,
}

/// Compares outcomes `b` against `a` (same items, same order) with `resamples` bootstrap
/// resamples drawn from `seed`. An empty comparison has delta 0, interval [0, 0] and p 1.
pub fn compare(a: &[bool], b: &[bool], resamples: usize, seed: u64) -> Paired {
    let n = a.len().min(b.len());
    // Per-item difference in {-1, 0, +1}.
    let diff: Vec<i8> = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| i8::from(y) - i8::from(x))
        .collect();
    let only_a = diff.iter().filter(|&&d| d < 0).count() as u64;
    let only_b = diff.iter().filter(|&&d| d > 0).count() as u64;
    if n == 0 {
        return Paired {
            n,
            delta: 0.0,
            low: 0.0,
            high: 0.0,
            only_a,
            only_b,
            p_value: 1.0,
        };
    }
    let delta = (only_b as f64 - only_a as f64) / n as f64;
    let (low, high) = bootstrap_interval(&diff, resamples, seed);
    Paired {
        n,
        delta,
        low,
        high,
        only_a,
        only_b,
        p_value: mcnemar_exact(only_a, only_b),
    }
}

/// The 2.5% and 97.5% percentiles of the mean of `diff` over `resamples` resamples of its
/// items with replacement. Items with no difference are drawn too (they shrink the mean), but
/// when every item agrees the interval is exactly [0, 0].
fn bootstrap_interval(diff: &[i8], resamples: usize, seed: u64) -> (f64, f64) {
    let n = diff.len();
    if diff.iter().all(|&d| d == 0) || resamples == 0 {
        let mean = diff.iter().map(|&d| f64::from(d)).sum::<f64>() / n as f64;
        return (mean, mean);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| {
            let mut sum = 0i64;
            for _ in 0..n {
                sum += i64::from(diff[rng.random_range(0..n)]);
            }
            sum as f64 / n as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    (percentile(&means, 0.025), percentile(&means, 0.975))
}

/// The `q` quantile of sorted `values`, linearly interpolated between order statistics
/// (NumPy's default).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let at = q * (sorted.len() - 1) as f64;
    let lo = at.floor() as usize;
    let hi = at.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo as f64)
}

/// McNemar's exact two-sided p-value for `b` and `c` discordant items: twice the smaller tail
/// of Binomial(b + c, 1/2), capped at 1 (scipy's `binomtest(..., alternative="two-sided")`
/// equals this for p = 1/2, where the distribution is symmetric). Computed in log space, so it
/// stays exact-to-rounding for tens of thousands of items.
pub fn mcnemar_exact(b: u64, c: u64) -> f64 {
    let n = b + c;
    if n == 0 {
        return 1.0;
    }
    let k = b.min(c);
    // ln C(n, i) for i = 0..=k, incrementally; the tail is sum_i C(n, i) / 2^n.
    let mut log_choose = 0.0f64;
    let mut logs = Vec::with_capacity(k as usize + 1);
    for i in 0..=k {
        if i > 0 {
            log_choose += ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        logs.push(log_choose);
    }
    let max = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = logs.iter().map(|l| (l - max).exp()).sum();
    let log_tail = max + sum.ln() - n as f64 * std::f64::consts::LN_2;
    (2.0 * log_tail.exp()).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-300)
    }

    #[test]
    fn mcnemar_matches_hand_computed_binomial_tails() {
        // No discordant item: nothing to test.
        assert_eq!(mcnemar_exact(0, 0), 1.0);
        // 0 vs 5: 2 * (1/2)^5 = 1/16.
        assert!(close(mcnemar_exact(0, 5), 0.0625, 1e-12));
        assert!(close(mcnemar_exact(5, 0), 0.0625, 1e-12));
        // 1 vs 9: 2 * (1 + 10) / 1024 = 22/1024.
        assert!(close(mcnemar_exact(1, 9), 22.0 / 1024.0, 1e-12));
        // 2 vs 8: 2 * (1 + 10 + 45) / 1024 = 112/1024.
        assert!(close(mcnemar_exact(8, 2), 112.0 / 1024.0, 1e-12));
        // A balanced split is capped at 1.
        assert!(close(mcnemar_exact(7, 7), 1.0, 1e-12));
        // 3 vs 4 out of 7: 2 * (1 + 7 + 21 + 35) / 128 = 1, capped.
        assert!(close(mcnemar_exact(3, 4), 1.0, 1e-12));
        // scipy.stats.binomtest(40, 100, 0.5).pvalue = 0.05688793364098...
        assert!(close(mcnemar_exact(40, 60), 0.056_887_933_640_981, 1e-9));
        // Large counts stay finite and tiny: 1,000 vs 1,400.
        let p = mcnemar_exact(1_000, 1_400);
        assert!(p > 0.0 && p < 1e-15, "{p}");
    }

    #[test]
    fn identical_models_differ_by_exactly_zero() {
        let a: Vec<bool> = (0..500).map(|i| i % 3 == 0).collect();
        let r = compare(&a, &a, RESAMPLES, 7);
        assert_eq!(r.n, 500);
        assert_eq!((r.delta, r.low, r.high), (0.0, 0.0, 0.0));
        assert_eq!((r.only_a, r.only_b), (0, 0));
        assert_eq!(r.p_value, 1.0);
    }

    #[test]
    fn the_interval_brackets_the_difference_and_is_seeded() {
        // 1,000 items: B fixes 80 of A's misses and breaks 20 of its hits: +6 points.
        let a: Vec<bool> = (0..1000).map(|i| i < 500).collect();
        let b: Vec<bool> = (0..1000)
            .map(|i| if i < 500 { i >= 20 } else { i < 580 })
            .collect();
        let r = compare(&a, &b, RESAMPLES, 1);
        assert_eq!((r.only_a, r.only_b), (20, 80));
        assert!((r.delta - 0.06).abs() < 1e-12);
        assert!(r.low < r.delta && r.delta < r.high);
        // The normal approximation of the paired difference: sd = sqrt(100/1000 - 0.06^2)
        // / sqrt(1000) = 0.0098, so the 95% interval is about 0.06 +- 0.019.
        assert!((r.low - 0.041).abs() < 0.004, "{r:?}");
        assert!((r.high - 0.079).abs() < 0.004, "{r:?}");
        assert!(r.p_value < 1e-8);
        assert_eq!(compare(&a, &b, RESAMPLES, 1), r);
        assert_ne!(compare(&a, &b, RESAMPLES, 2).low, r.low);
    }

    #[test]
    fn percentiles_interpolate_like_numpy() {
        let v = [0.0, 1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 0.5), 2.0);
        assert_eq!(percentile(&v, 0.025), 0.1);
        assert!((percentile(&v, 0.975) - 3.9).abs() < 1e-12);
    }
}
