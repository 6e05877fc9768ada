//! The seeded samplers shared by the `subgraphs` stage and the trainer.
//!
//! BALI re-samples each target's neighbours every time a sample is drawn, and represents every
//! node by one of its English names drawn at random per draw. For a run to be reproducible,
//! and for any draw to be repeated without replaying the ones before it (resuming a checkpoint
//! mid-run), each draw is a pure function of its inputs: the random stream is seeded by a
//! blake3 hash of (purpose, seed, draw, concept, node), so there is no sampler state to save.
//! Different purposes (the neighbour sample, the stored subset of a huge neighbourhood, a
//! node's name) use different streams, so they are independent of each other.
//!
//! The trainer draws once per training step (`draw` = the step); the `subgraphs` stage stores
//! draw 0, the sample of the first step.

use rand::seq::index;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Stream of the per-draw neighbour sample.
const NEIGHBORS: &[u8] = b"bali/subgraphs/neighbors";
/// Stream of the subset kept when a neighbourhood exceeds the stored cap.
const STORED: &[u8] = b"bali/subgraphs/stored";
/// Stream of the per-draw choice of a node's name.
const NAME: &[u8] = b"bali/subgraphs/name";

/// A random stream determined by its inputs alone. Lengths are hashed in front of the strings
/// so that no two different (concept, node) pairs can produce the same hash input.
fn stream(purpose: &[u8], seed: u64, draw_key: u64, concept: &str, node: &str) -> ChaCha8Rng {
    let mut hasher = blake3::Hasher::new();
    hasher.update(purpose);
    hasher.update(&seed.to_le_bytes());
    hasher.update(&draw_key.to_le_bytes());
    hasher.update(&(concept.len() as u64).to_le_bytes());
    hasher.update(concept.as_bytes());
    hasher.update(&(node.len() as u64).to_le_bytes());
    hasher.update(node.as_bytes());
    ChaCha8Rng::from_seed(*hasher.finalize().as_bytes())
}

/// `k` indices drawn uniformly without replacement from `0..n`, sorted ascending; all of
/// `0..n` when `n <= k` (no randomness is spent then).
fn draw(mut rng: ChaCha8Rng, n: u32, k: u32) -> Vec<u32> {
    if n <= k {
        return (0..n).collect();
    }
    let mut picked: Vec<u32> = index::sample(&mut rng, n as usize, k as usize)
        .into_iter()
        .map(|i| i as u32)
        .collect();
    picked.sort_unstable();
    picked
}

/// The neighbours of `concept` sampled for draw `draw_key` (the trainer's step): up to `k`
/// indices into its stored
/// neighbourhood of `neighborhood` entries, uniform without replacement, sorted ascending.
///
/// Every k-subset is equally likely, and the draw depends only on the arguments: the same
/// (seed, draw, concept, neighborhood, k) always gives the same indices, on any machine and in
/// any order of calls. BALI's default is `k = 3`, re-drawn for every sample.
pub fn sample_neighbors(
    seed: u64,
    draw_key: u64,
    concept: &str,
    neighborhood: u32,
    k: u32,
) -> Vec<u32> {
    draw(
        stream(NEIGHBORS, seed, draw_key, concept, ""),
        neighborhood,
        k,
    )
}

/// The subset of the `hop`-hop ring of `concept` (`neighborhood` entries) that is stored when
/// the ring does not fit the cap: a seeded uniform sample of `cap` entries, independent of
/// every [`sample_neighbors`] draw.
pub(crate) fn stored_subset(
    seed: u64,
    hop: u32,
    concept: &str,
    neighborhood: u32,
    cap: u32,
) -> Vec<u32> {
    draw(
        stream(STORED, seed, u64::from(hop), concept, ""),
        neighborhood,
        cap,
    )
}

/// Which of its `names` names represents `node` in the subgraph of `target` at draw
/// `draw_key` (the trainer's step):
/// uniform over `0..names`, `None` when the node has no name.
///
/// The target takes part in the key so that a node shared by two subgraphs may show different
/// names in each, as in BALI, where every node of every drawn subgraph gets a fresh name.
pub fn pick_name(
    seed: u64,
    draw_key: u64,
    target: &str,
    node: &str,
    names: usize,
) -> Option<usize> {
    if names == 0 {
        return None;
    }
    Some(stream(NAME, seed, draw_key, target, node).random_range(0..names))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// The chi-square quantile with `df` degrees of freedom at the upper tail point of the
    /// standard normal `z` (Wilson-Hilferty; accurate to well under 1% for df >= 10).
    fn chi_square_quantile(df: f64, z: f64) -> f64 {
        let a = 2.0 / (9.0 * df);
        df * (1.0 - a + z * a.sqrt()).powi(3)
    }

    /// Pearson's statistic of `counts` against equal expected counts over `cells` cells.
    fn chi_square(counts: &HashMap<Vec<u32>, u64>, cells: usize, draws: u64) -> f64 {
        let expected = draws as f64 / cells as f64;
        let seen: f64 = counts
            .values()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        // Cells never drawn contribute (0 - e)^2 / e = e each.
        seen + (cells - counts.len()) as f64 * expected
    }

    #[test]
    fn same_inputs_same_draw_and_every_input_matters() {
        let a = sample_neighbors(29, 4, "C0011849", 50, 3);
        assert_eq!(a, sample_neighbors(29, 4, "C0011849", 50, 3));
        assert_eq!(a.len(), 3);
        assert!(a.windows(2).all(|w| w[0] < w[1]) && a.iter().all(|&i| i < 50));
        // Changing any one input changes the draw for most inputs: count over many epochs.
        let differs = |f: &dyn Fn(u64) -> Vec<u32>| {
            (0..100)
                .filter(|&e| f(e) != sample_neighbors(29, e, "C0011849", 50, 3))
                .count()
        };
        assert!(differs(&|e| sample_neighbors(30, e, "C0011849", 50, 3)) > 90);
        assert!(differs(&|e| sample_neighbors(29, e + 1, "C0011849", 50, 3)) > 90);
        assert!(differs(&|e| sample_neighbors(29, e, "C0011860", 50, 3)) > 90);
        // The stored subset is a stream of its own, not epoch 0's neighbour sample.
        let independent = (0..100)
            .map(|c| format!("C{c:07}"))
            .filter(|cui| stored_subset(29, 1, cui, 50, 3) != sample_neighbors(29, 0, cui, 50, 3))
            .count();
        assert!(independent > 90);
    }

    #[test]
    fn small_neighbourhoods_are_taken_whole() {
        assert_eq!(sample_neighbors(1, 0, "C1", 2, 3), vec![0, 1]);
        assert_eq!(sample_neighbors(1, 0, "C1", 3, 3), vec![0, 1, 2]);
        assert!(sample_neighbors(1, 0, "C1", 0, 3).is_empty());
        assert!(sample_neighbors(1, 0, "C1", 10, 0).is_empty());
        assert_eq!(pick_name(1, 0, "C1", "C2", 0), None);
    }

    /// Every 3-subset of 10 neighbours (120 cells) is drawn equally often across epochs, and
    /// across concepts at a fixed epoch: Pearson's chi-square stays below the 1e-4 upper
    /// quantile of chi-square with 119 degrees of freedom.
    #[test]
    fn neighbour_sample_is_uniform_over_subsets() {
        let (n, k, draws) = (10u32, 3u32, 120_000u64);
        let cells = 120usize; // C(10, 3)
        let threshold = chi_square_quantile((cells - 1) as f64, 3.719);

        let mut by_epoch: HashMap<Vec<u32>, u64> = HashMap::new();
        for epoch in 0..draws {
            *by_epoch
                .entry(sample_neighbors(29, epoch, "C0011849", n, k))
                .or_default() += 1;
        }
        let stat = chi_square(&by_epoch, cells, draws);
        eprintln!("subsets across epochs: chi-square {stat:.1}, threshold {threshold:.1}");
        assert_eq!(by_epoch.len(), cells);
        assert!(
            stat < threshold,
            "across epochs: chi-square {stat:.1} >= {threshold:.1}"
        );

        let mut by_concept: HashMap<Vec<u32>, u64> = HashMap::new();
        for c in 0..draws {
            let cui = format!("C{c:07}");
            *by_concept
                .entry(sample_neighbors(29, 0, &cui, n, k))
                .or_default() += 1;
        }
        let stat = chi_square(&by_concept, cells, draws);
        eprintln!("subsets across concepts: chi-square {stat:.1}, threshold {threshold:.1}");
        assert!(
            stat < threshold,
            "across concepts: chi-square {stat:.1} >= {threshold:.1}"
        );
    }

    /// A large neighbourhood (the path `rand::seq::index` takes for big n differs from the
    /// small one): each of 1000 positions is picked with probability k/n.
    #[test]
    fn neighbour_sample_is_uniform_over_positions_of_a_large_neighbourhood() {
        let (n, k, draws) = (1000u32, 3u32, 200_000u64);
        let mut counts = vec![0u64; n as usize];
        for epoch in 0..draws {
            for i in sample_neighbors(7, epoch, "C0000001", n, k) {
                counts[i as usize] += 1;
            }
        }
        let expected = (draws * k as u64) as f64 / n as f64;
        let stat: f64 = counts
            .iter()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        // Positions are not independent cells (each draw adds k), which only lowers the
        // statistic's variance; the 1e-4 quantile of chi-square(999) is still a valid bound.
        let threshold = chi_square_quantile(999.0, 3.719);
        eprintln!("positions of 1000: chi-square {stat:.1}, threshold {threshold:.1}");
        assert!(stat < threshold, "chi-square {stat:.1} >= {threshold:.1}");
    }

    #[test]
    fn name_choice_is_uniform_and_reproducible() {
        let names = 5usize;
        let draws = 50_000u64;
        let mut counts = vec![0u64; names];
        for epoch in 0..draws {
            let i = pick_name(29, epoch, "C0011849", "C0020538", names);
            assert_eq!(i, pick_name(29, epoch, "C0011849", "C0020538", names));
            counts[i.unwrap_or(names)] += 1;
        }
        let expected = draws as f64 / names as f64;
        let stat: f64 = counts
            .iter()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        // Upper 1e-4 quantile of chi-square with 4 degrees of freedom (statistical tables).
        let threshold = 23.51;
        eprintln!("names of 5: chi-square {stat:.1}, threshold {threshold:.1}");
        assert!(stat < threshold, "chi-square {stat:.1} >= {threshold:.1}");
    }
}
