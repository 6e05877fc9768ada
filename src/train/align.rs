//! The alignment loss of BALI: a multi-positive, symmetric NT-Xent (InfoNCE) over the mention
//! representations e_v and the graph representations g_v of a batch.
//!
//! Z = [e_1..e_n, g_1..g_m], each row labelled by its concept. With cosine similarity s and
//! temperature t, every ordered pair (i, j), i != j, with the same label is a positive, and the
//! negatives of anchor i are all k with a different label, from both modalities:
//!
//! `loss_ij = -log( exp(s_ij/t) / (exp(s_ij/t) + sum_{k in neg(i)} exp(s_ik/t)) )`,
//!
//! averaged over all positive pairs. Text -> graph, graph -> text, and same-modality pairs (one
//! concept mentioned twice in a batch) are all positives, as in pytorch-metric-learning's
//! `NTXentLoss`, which the reference uses.
//!
//! Numerics: each pair's log-sum-exp is shifted by max(s_ij, max_neg s_ik) (detached), so every
//! denominator is at least 1; masked entries are filled before `exp`, never multiplied by a
//! zero mask after it, so no `0 * inf` can turn into a NaN gradient, even for an anchor with
//! no negatives (its loss is exactly 0).

use candle_core::{DType, Tensor, D};

use crate::error::{BaliError, Result};

/// The BALI temperature.
pub const DEFAULT_TEMPERATURE: f64 = 0.07;

/// Smallest accepted temperature: similarities are bounded by 1/t, and the masking constant
/// below must dwarf them.
const MIN_TEMPERATURE: f64 = 1e-3;

/// Fill value for masked logits: exp of it is exactly 0 in every float type, and it is far
/// below any scaled cosine similarity (|s| <= 1/t <= 1000).
const MASKED: f64 = -1e4;

/// The alignment loss over mention representations `mentions` (`[n, d]`, labels
/// `mention_concepts`) and graph representations `nodes` (`[m, d]`, labels `node_concepts`).
///
/// Labels are concept ids; the trainer maps CUIs to ids once per batch. Usually `n == m` and
/// both label lists are equal (one e_v and one g_v per mentioned concept), but nothing here
/// relies on it.
pub fn alignment_loss(
    mentions: &Tensor,
    mention_concepts: &[u32],
    nodes: &Tensor,
    node_concepts: &[u32],
    temperature: f64,
) -> Result<Tensor> {
    let z = Tensor::cat(&[mentions, nodes], 0)?;
    let labels: Vec<u32> = mention_concepts
        .iter()
        .chain(node_concepts)
        .copied()
        .collect();
    nt_xent(&z, &labels, temperature)
}

/// Multi-positive NT-Xent over the rows of `z` (`[N, d]`) labelled by `labels` (length N).
///
/// Errors when there is no positive pair at all (every label distinct): the loss is then
/// undefined, and a batch like that means the caller paired nothing.
pub fn nt_xent(z: &Tensor, labels: &[u32], temperature: f64) -> Result<Tensor> {
    let (rows, _) = z.dims2()?;
    if rows != labels.len() {
        return Err(BaliError::Internal(format!(
            "NT-Xent over {rows} rows with {} labels",
            labels.len()
        )));
    }
    if !(temperature >= MIN_TEMPERATURE && temperature.is_finite()) {
        return Err(BaliError::Spec(format!(
            "the alignment temperature must be at least {MIN_TEMPERATURE}, not {temperature}"
        )));
    }

    // Positive and negative masks from the labels (host side: N is a few hundred).
    let mut positive = vec![0u8; rows * rows];
    let mut negative = vec![0u8; rows * rows];
    let mut num_positive = 0usize;
    for (i, a) in labels.iter().enumerate() {
        for (j, b) in labels.iter().enumerate() {
            if a != b {
                negative[i * rows + j] = 1;
            } else if i != j {
                positive[i * rows + j] = 1;
                num_positive += 1;
            }
        }
    }
    if num_positive == 0 {
        return Err(BaliError::Internal(
            "NT-Xent batch without a positive pair: every item has its own concept".into(),
        ));
    }
    let device = z.device();
    let dtype = z.dtype();
    let positive = Tensor::from_vec(positive, (rows, rows), device)?.to_dtype(dtype)?;
    let negative = Tensor::from_vec(negative, (rows, rows), device)?;
    let masked = Tensor::full(MASKED, (rows, rows), device)?.to_dtype(dtype)?;

    // Cosine similarity (rows normalised as F.normalize does, norm clamped at 1e-12) over t.
    let norm = z
        .sqr()?
        .sum_keepdim(D::Minus1)?
        .sqrt()?
        .clamp(1e-12, f64::INFINITY)?;
    let unit = z.broadcast_div(&norm)?;
    let s = (unit.matmul(&unit.t()?)? / temperature)?;

    // c_i: the largest negative logit of anchor i (MASKED when it has none); n_i: the sum of
    // exp(s_ik - c_i) over its negatives, at least 1 when there is one, else exactly 0.
    let c = negative
        .where_cond(&s, &masked)?
        .max_keepdim(D::Minus1)?
        .detach();
    let shifted_negatives = negative.where_cond(&s.broadcast_sub(&c)?, &masked)?;
    let n = shifted_negatives.exp()?.sum_keepdim(D::Minus1)?;

    // Per pair: log(exp(s_ij) + sum_neg exp(s_ik)) with shift d_ij = max(s_ij, c_i).
    let d = s.broadcast_maximum(&c)?.detach();
    let denominator = ((&s - &d)?.exp()? + n.broadcast_mul(&c.broadcast_sub(&d)?.exp()?)?)?;
    let pair_loss = ((denominator.log()? + d)? - &s)?;
    let total = (pair_loss * positive)?.sum_all()?;
    Ok((total / num_positive as f64)?)
}

/// The scalar value of a loss tensor, for logs and metrics.
pub fn scalar(loss: &Tensor) -> Result<f64> {
    Ok(loss.to_dtype(DType::F64)?.to_scalar::<f64>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::gradcheck::check;
    use crate::train::rng::TrainRng;
    use candle_core::{Device, Var};

    const DEV: Device = Device::Cpu;

    /// The loss by loops over pairs, straight from the definition (f64).
    fn by_loops(z: &[Vec<f64>], labels: &[u32], t: f64) -> f64 {
        let unit: Vec<Vec<f64>> = z
            .iter()
            .map(|r| {
                let n = r.iter().map(|v| v * v).sum::<f64>().sqrt();
                r.iter().map(|v| v / n).collect()
            })
            .collect();
        let sim = |i: usize, j: usize| -> f64 {
            unit[i]
                .iter()
                .zip(&unit[j])
                .map(|(a, b)| a * b)
                .sum::<f64>()
                / t
        };
        let (mut total, mut count) = (0.0, 0);
        for i in 0..z.len() {
            for j in 0..z.len() {
                if i == j || labels[i] != labels[j] {
                    continue;
                }
                let negatives: f64 = (0..z.len())
                    .filter(|&k| labels[k] != labels[i])
                    .map(|k| sim(i, k).exp())
                    .sum();
                total += -(sim(i, j).exp() / (sim(i, j).exp() + negatives)).ln();
                count += 1;
            }
        }
        total / count as f64
    }

    fn random(rows: usize, dim: usize, seed: u64) -> Result<Tensor> {
        TrainRng::new(seed).uniform((rows, dim), 1.0, DType::F64, &DEV)
    }

    #[test]
    fn matches_the_definition_computed_by_loops() -> Result<()> {
        // Symmetric pairs (e_i, g_i), a concept mentioned twice (multi-positive), and a
        // concept with a single item on the graph side only.
        let cases: [&[u32]; 3] = [&[0, 1, 2, 0, 1, 2], &[5, 5, 7, 5, 5, 7], &[1, 2, 1, 2, 3]];
        for (seed, labels) in cases.iter().enumerate() {
            let z = random(labels.len(), 4, seed as u64)?;
            for t in [DEFAULT_TEMPERATURE, 0.5] {
                let ours = scalar(&nt_xent(&z, labels, t)?)?;
                let expected = by_loops(&z.to_vec2()?, labels, t);
                assert!(
                    (ours - expected).abs() < 1e-10 * expected.abs().max(1.0),
                    "{labels:?} t={t}: {ours} vs {expected}"
                );
            }
        }
        Ok(())
    }

    #[test]
    fn alignment_loss_is_nt_xent_over_both_modalities() -> Result<()> {
        let e = random(3, 5, 1)?;
        let g = random(3, 5, 2)?;
        let labels = [4, 9, 4];
        let ours = scalar(&alignment_loss(
            &e,
            &labels,
            &g,
            &labels,
            DEFAULT_TEMPERATURE,
        )?)?;
        let z: Vec<Vec<f64>> = Tensor::cat(&[&e, &g], 0)?.to_vec2()?;
        let expected = by_loops(&z, &[4, 9, 4, 4, 9, 4], DEFAULT_TEMPERATURE);
        assert!((ours - expected).abs() < 1e-10, "{ours} vs {expected}");
        Ok(())
    }

    fn gradcheck_case(labels: &[u32]) -> Result<()> {
        let half = labels.len() / 2;
        let e = Var::from_tensor(&random(half, 4, 3)?)?;
        let g = Var::from_tensor(&random(labels.len() - half, 4, 4)?)?;
        let (le, lg) = labels.split_at(half);
        let result = check(
            &[e.clone(), g.clone()],
            || alignment_loss(e.as_tensor(), le, g.as_tensor(), lg, DEFAULT_TEMPERATURE),
            1e-6,
            16,
        )?;
        assert!(result.max_error < 1e-6, "{labels:?}: {result:?}");
        Ok(())
    }

    #[test]
    fn symmetric_gradients_match_finite_differences() -> Result<()> {
        gradcheck_case(&[0, 1, 2, 0, 1, 2])
    }

    #[test]
    fn multi_positive_gradients_match_finite_differences() -> Result<()> {
        gradcheck_case(&[3, 3, 8, 3, 3, 8])
    }

    #[test]
    fn an_anchor_without_negatives_contributes_zero_and_no_nan() -> Result<()> {
        // One concept only: every pair is positive and no anchor has a negative.
        let z = Var::from_tensor(&random(2, 3, 9)?)?;
        let loss = nt_xent(z.as_tensor(), &[1, 1], DEFAULT_TEMPERATURE)?;
        assert_eq!(scalar(&loss)?, 0.0);
        let grads = loss.backward()?;
        let grad: Vec<f64> = grads
            .get(z.as_tensor())
            .ok_or_else(|| BaliError::Internal("no gradient".into()))?
            .flatten_all()?
            .to_vec1()?;
        assert!(grad.iter().all(|v| v.is_finite()));
        Ok(())
    }

    #[test]
    fn tiny_temperatures_stay_finite() -> Result<()> {
        let z = random(6, 4, 5)?.to_dtype(DType::F32)?;
        let loss = scalar(&nt_xent(&z, &[0, 1, 2, 0, 1, 2], MIN_TEMPERATURE)?)?;
        assert!(loss.is_finite() && loss >= 0.0, "{loss}");
        Ok(())
    }

    #[test]
    fn bad_arguments_are_errors() -> Result<()> {
        let z = random(3, 2, 1)?;
        assert!(nt_xent(&z, &[0, 1, 2], DEFAULT_TEMPERATURE).is_err());
        assert!(nt_xent(&z, &[0, 0], DEFAULT_TEMPERATURE).is_err());
        assert!(nt_xent(&z, &[0, 0, 1], 0.0).is_err());
        Ok(())
    }
}
