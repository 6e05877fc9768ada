//! The differentiable building blocks of the encoder and its heads: linear maps, layer norm,
//! softmax, activations and a seeded dropout.
//!
//! candle-nn's fused `LayerNorm` / `ops::layer_norm` and `ops::softmax_last_dim` run without
//! recording a backward pass (`apply_op*_no_bwd`), so a model built from them trains only the
//! parameters above the first such op, silently (the tests at the bottom show it). Layer norm,
//! softmax and GELU here take bali's own fused CPU kernels, which carry an exact backward
//! ([`super::fused`]), and fall back to candle's differentiable compositions on other devices
//! and dtypes; everything is checked against finite differences.

use candle_core::{DType, Tensor, D};

use super::config::Activation;
use super::fused;
use crate::error::{BaliError, Result};
use crate::train::rng::TrainRng;

/// Whether a forward pass is for training (dropout active) or for inference.
///
/// Training draws its dropout masks from the caller's random stream, in a fixed order, so a
/// run that restores that stream ([`TrainRng::from_state`]) repeats the same masks after a
/// resume.
pub enum Mode<'r> {
    /// No dropout: evaluation, embedding, export checks.
    Eval,
    /// Dropout on, masks drawn from this stream.
    Train(&'r mut TrainRng),
}

impl Mode<'_> {
    /// Applies inverted dropout with probability `p` in training mode ([`TrainRng::dropout`]:
    /// the mask is drawn on the host, one `u32` per element compared with `p * 2^32`, so it
    /// replays on any device, where candle's `ops::dropout` draws from an unseeded thread RNG);
    /// the identity otherwise.
    pub fn dropout(&mut self, x: &Tensor, p: f64) -> Result<Tensor> {
        match self {
            Mode::Eval => Ok(x.clone()),
            Mode::Train(rng) => rng.dropout(x, p),
        }
    }

    /// The multipliers [`Mode::dropout`] would apply to a tensor of `shape` (with `like`'s dtype and
    /// device), drawn from the stream as it draws them; `None` in evaluation or when `p` is 0.
    pub fn dropout_mask(
        &mut self,
        shape: &[usize],
        p: f64,
        like: &Tensor,
    ) -> Result<Option<Tensor>> {
        match self {
            Mode::Eval => Ok(None),
            Mode::Train(rng) => rng.dropout_mask(shape, p, like),
        }
    }
}

/// `dropout(x) + residual`, a sublayer's output joining the residual stream: in training the
/// multipliers are drawn as [`Mode::dropout`] draws them, and on the CPU the product and the
/// sum are one op ([`fused::dropout_add`]).
pub fn dropout_add(x: &Tensor, residual: &Tensor, p: f64, mode: &mut Mode) -> Result<Tensor> {
    match mode.dropout_mask(x.dims(), p, x)? {
        None => Ok(x.add(residual)?),
        Some(keep) if fused::supports(x) => fused::dropout_add(x, residual, &keep),
        Some(keep) => Ok(x.mul(&keep)?.add(residual)?),
    }
}

/// `x W^T + b` over the last dimension, for a weight stored `[out, in]` as in PyTorch.
///
/// Inputs of rank 3 are flattened to one matrix product (`[B*T, in] x [in, out]`), which gemm
/// runs faster than a batch of small ones and which keeps the weight gradient a single product.
/// On the CPU it is one op with its own backward ([`fused::linear`]); a matrix input is used
/// as it is, without reshapes (each would add a node, and a zeroed gradient, to the backward
/// pass).
pub fn linear(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    let dims = x.dims().to_vec();
    let last = dims.len().saturating_sub(1);
    let rows: usize = dims[..last].iter().product();
    let flat = if dims.len() == 2 {
        x.clone()
    } else {
        x.reshape((rows, dims[last]))?
    };
    let out = if fused::supports(&flat) && weight.dtype() == flat.dtype() {
        fused::linear(&flat, weight, bias)?
    } else {
        flat.matmul(&weight.t()?)?.broadcast_add(bias)?
    };
    if dims.len() == 2 {
        return Ok(out);
    }
    let mut out_dims = dims;
    out_dims[last] = weight.dim(0)?;
    Ok(out.reshape(out_dims)?)
}

/// Layer normalisation over the last dimension, `(x - mean) / sqrt(var + eps) * gamma + beta`
/// with the biased variance, as PyTorch computes it: the fused CPU kernel with its backward
/// ([`fused::layer_norm`]) where it applies, otherwise `candle_nn::ops::layer_norm_slow`
/// (differentiable ops; see the module docs for why not candle-nn's fused kernel).
pub fn layer_norm(x: &Tensor, gamma: &Tensor, beta: &Tensor, eps: f64) -> Result<Tensor> {
    if fused::supports(x) {
        fused::layer_norm(x, gamma, beta, eps)
    } else {
        Ok(candle_nn::ops::layer_norm_slow(x, gamma, beta, eps as f32)?)
    }
}

/// Softmax over the last dimension: [`fused::softmax_last`] where it applies, otherwise
/// `candle_nn::ops::softmax` (differentiable ops).
pub fn softmax_last(x: &Tensor) -> Result<Tensor> {
    if fused::supports(x) {
        fused::softmax_last(x)
    } else {
        Ok(candle_nn::ops::softmax(x, D::Minus1)?)
    }
}

/// Applies the configured non-linearity (GELU through [`fused::gelu`] where it applies).
pub fn activate(x: &Tensor, act: Activation) -> Result<Tensor> {
    let fuse = fused::supports(x);
    Ok(match act {
        Activation::Gelu if fuse => fused::gelu(x, false)?,
        Activation::GeluTanh if fuse => fused::gelu(x, true)?,
        Activation::Gelu => x.gelu_erf()?,
        Activation::GeluTanh => x.gelu()?,
        Activation::Relu => x.relu()?,
    })
}

/// The additive attention bias `[B, T]` for a `[B, T]` mask of 1 (token) and 0 (padding): 0
/// where a key may be attended to and -10000 where it may not. -10000 (the original BERT's
/// constant) is exactly zero after the softmax in every float type, and unlike the dtype's
/// minimum it cannot overflow when added to a score.
pub fn attention_bias(mask: &Tensor, dtype: DType) -> Result<Tensor> {
    Ok(mask.to_dtype(dtype)?.affine(10000.0, -10000.0)?)
}

/// Multi-head self-attention of the projections `q`, `k`, `v` (`[B*T, d]`, heads side by
/// side in the columns) over the keys [`attention_bias`] `[B, T]` lets through, with scores
/// scaled by `1 / sqrt(d / heads)` and dropout with probability `p` on the probabilities in
/// training. Returns the context `[B*T, d]`.
///
/// On the CPU it is one op with its own backward ([`fused::attention`]); elsewhere the
/// composition of candle ops ([`composed_attention`]). Both draw the dropout mask from the
/// stream the same way, so they train the same model.
pub fn attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    bias: &Tensor,
    heads: usize,
    p: f64,
    mode: &mut Mode,
) -> Result<Tensor> {
    let (b, t) = bias.dims2()?;
    let width = q.dim(1)?;
    if heads == 0 || width % heads != 0 {
        return Err(BaliError::Internal(format!(
            "{width} columns do not split into {heads} heads"
        )));
    }
    let scale = 1.0 / ((width / heads) as f64).sqrt();
    let keep = mode.dropout_mask(&[b, heads, t, t], p, q)?;
    if fused::supports(q) {
        fused::attention(q, k, v, bias, heads, scale, keep.as_ref())
    } else {
        composed_attention(q, k, v, bias, heads, scale, keep.as_ref())
    }
}

/// [`attention`] composed of candle ops: split the heads, `softmax(scale * Q K^T + bias)`,
/// the dropout multipliers `keep` `[B, H, T, T]`, the product with V, merge the heads.
pub fn composed_attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    bias: &Tensor,
    heads: usize,
    scale: f64,
    keep: Option<&Tensor>,
) -> Result<Tensor> {
    let (b, t) = bias.dims2()?;
    let d = q.dim(1)?;
    let dh = d / heads;
    let split = |y: &Tensor| -> Result<Tensor> {
        Ok(y.reshape((b, t, heads, dh))?
            .transpose(1, 2)?
            .contiguous()?)
    };
    let (q, k, v) = (split(q)?, split(k)?, split(v)?);
    let scores = q
        .matmul(&k.t()?)?
        .affine(scale, 0.0)?
        .broadcast_add(&bias.reshape((b, 1, 1, t))?)?;
    let probs = candle_nn::ops::softmax(&scores, D::Minus1)?;
    let probs = match keep {
        Some(keep) => probs.mul(keep)?,
        None => probs,
    };
    Ok(probs.matmul(&v)?.transpose(1, 2)?.reshape((b * t, d))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::gradcheck::check;
    use candle_core::{Device, Var};
    use rand::{RngCore, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn var(shape: &[usize], seed: u64, dev: &Device) -> Result<Var> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n: usize = shape.iter().product();
        let data: Vec<f64> = (0..n)
            .map(|_| (rng.next_u32() as f64 / u32::MAX as f64) * 2.0 - 1.0)
            .collect();
        Ok(Var::from_tensor(&Tensor::from_vec(data, shape, dev)?)?)
    }

    #[test]
    fn fused_candle_nn_ops_record_no_backward_pass() -> Result<()> {
        // The reason this module exists: with a contiguous input, candle-nn 0.11's LayerNorm
        // module and softmax_last_dim take fused kernels applied with `apply_op*_no_bwd`, so
        // the input receives no gradient at all. Our ops do.
        let dev = Device::Cpu;
        let x = Var::from_tensor(&Tensor::new(
            &[[0.3f32, -1.0, 2.0], [1.5, 0.2, -0.7]],
            &dev,
        )?)?;
        let w = Tensor::new(&[1.0f32, 2.0, 3.0], &dev)?;
        let gamma = Tensor::ones(3, DType::F32, &dev)?;
        let beta = Tensor::zeros(3, DType::F32, &dev)?;
        let weighted = |y: Tensor| -> Result<Tensor> { Ok(y.broadcast_mul(&w)?.sum_all()?) };

        let ln = candle_nn::LayerNorm::new(gamma.clone(), beta.clone(), 1e-12);
        let fused_ln = weighted(candle_core::Module::forward(&ln, x.as_tensor())?)?.backward()?;
        assert!(
            fused_ln.get(x.as_tensor()).is_none(),
            "candle_nn::LayerNorm now has a backward pass"
        );
        let fused_sm = weighted(candle_nn::ops::softmax_last_dim(x.as_tensor())?)?.backward()?;
        assert!(
            fused_sm.get(x.as_tensor()).is_none(),
            "softmax_last_dim now has a backward pass"
        );

        let ours_ln = weighted(layer_norm(x.as_tensor(), &gamma, &beta, 1e-12)?)?.backward()?;
        let ours_sm = weighted(softmax_last(x.as_tensor())?)?.backward()?;
        for grads in [ours_ln, ours_sm] {
            let g = grads
                .get(x.as_tensor())
                .ok_or_else(|| BaliError::Internal("no gradient".into()))?;
            assert!(g.abs()?.sum_all()?.to_scalar::<f32>()? > 0.0);
        }
        Ok(())
    }

    #[test]
    fn layer_norm_gradients_match_finite_differences() -> Result<()> {
        let dev = Device::Cpu;
        let x = var(&[3, 5], 1, &dev)?;
        let gamma = var(&[5], 2, &dev)?;
        let beta = var(&[5], 3, &dev)?;
        let w = var(&[3, 5], 4, &dev)?;
        let loss = || -> Result<Tensor> {
            let y = layer_norm(x.as_tensor(), gamma.as_tensor(), beta.as_tensor(), 1e-12)?;
            Ok(y.mul(w.as_tensor())?.sum_all()?)
        };
        let out = check(&[x.clone(), gamma.clone(), beta.clone()], loss, 1e-6, 15)?;
        assert!(out.max_error < 1e-6, "{out:?}");
        Ok(())
    }

    #[test]
    fn softmax_and_activations_match_finite_differences() -> Result<()> {
        let dev = Device::Cpu;
        let x = var(&[2, 3, 4], 5, &dev)?;
        let w = var(&[2, 3, 4], 6, &dev)?;
        for act in [None, Some(Activation::Gelu), Some(Activation::GeluTanh)] {
            let loss = || -> Result<Tensor> {
                let y = match act {
                    None => softmax_last(x.as_tensor())?,
                    Some(a) => activate(x.as_tensor(), a)?,
                };
                Ok(y.mul(w.as_tensor())?.sum_all()?)
            };
            let out = check(std::slice::from_ref(&x), loss, 1e-6, 24)?;
            assert!(out.max_error < 1e-6, "{act:?}: {out:?}");
        }
        Ok(())
    }

    #[test]
    fn a_padded_key_gets_no_attention() -> Result<()> {
        let dev = Device::Cpu;
        let mask = Tensor::new(&[[1u32, 1, 0]], &dev)?;
        // The padded key matches every query best and carries a huge value.
        let q = Tensor::new(&[[1.0f32, 0.5], [0.2, -1.0], [3.0, 3.0]], &dev)?;
        let k = Tensor::new(&[[0.1f32, 0.3], [-0.4, 0.2], [9.0, 9.0]], &dev)?;
        let v = Tensor::new(&[[1.0f32, -2.0], [0.5, 3.0], [1e4, 1e4]], &dev)?;
        // Both the fused op (f32 on CPU) and the composed ops (f16) ignore it.
        for dtype in [DType::F32, DType::F16] {
            let [q, k, v] = [&q, &k, &v].map(|x| x.to_dtype(dtype));
            let bias = attention_bias(&mask, dtype)?;
            let context = attention(&q?, &k?, &v?, &bias, 1, 0.0, &mut Mode::Eval)?;
            let context: Vec<f32> = context.to_dtype(DType::F32)?.flatten_all()?.to_vec1()?;
            for row in context.chunks(2) {
                assert!(row[0] <= 1.01 && row[0] >= 0.49, "{dtype:?}: {context:?}");
                assert!(row[1] <= 3.01 && row[1] >= -2.01, "{dtype:?}: {context:?}");
            }
        }
        Ok(())
    }

    #[test]
    fn dropout_drops_at_the_rate_and_replays_from_a_restored_stream() -> Result<()> {
        let dev = Device::Cpu;
        let x = Tensor::ones((200, 500), DType::F32, &dev)?;
        let mut rng = TrainRng::new(29);
        let first: Vec<f32> = rng.dropout(&x, 0.1)?.flatten_all()?.to_vec1()?;
        let zeros = first.iter().filter(|v| **v == 0.0).count() as f64 / first.len() as f64;
        // 100k Bernoulli(0.1) draws: the standard error of the rate is below 0.001.
        assert!((zeros - 0.1).abs() < 0.005, "dropped share {zeros}");
        let kept = first.iter().find(|v| **v != 0.0).copied().unwrap_or(0.0);
        assert!((kept - 1.0 / 0.9).abs() < 1e-6);

        // A stream restored to the same position gives the same mask; the next draw differs.
        let mut restored = TrainRng::from_state(&rng.state())?;
        let second: Vec<f32> = rng.dropout(&x, 0.1)?.flatten_all()?.to_vec1()?;
        let replay: Vec<f32> = restored.dropout(&x, 0.1)?.flatten_all()?.to_vec1()?;
        assert_eq!(second, replay);
        assert_ne!(first, second);

        let mut eval = Mode::Eval;
        assert_eq!(
            eval.dropout(&x, 0.5)?.sum_all()?.to_scalar::<f32>()?,
            100_000.0
        );
        Ok(())
    }
}
