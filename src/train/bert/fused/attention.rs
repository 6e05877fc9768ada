//! Multi-head self-attention as one op, forward and backward.
//!
//! Composed from candle ops, one attention block is eleven nodes: three head-splitting copies
//! (`reshape`, `transpose`, `contiguous`) of Q, K and V, the score product, the masked softmax,
//! the dropout product, the context product and the copy that merges the heads again. Each
//! node costs candle's backward pass a freshly zeroed gradient plus an addition of the node's
//! size, and the copies cost a pass each way. Here the heads are strided views into the
//! `[B*T, d]` outputs of the Q, K and V projections: one task per (sentence, head) computes
//! `softmax(scale * Q K^T + bias) * keep` into a `T x T` scratch and writes its slice of the
//! context in place, and the backward pass recomputes the probabilities (as flash attention
//! does: two `T x T` products are cheaper than keeping `B*H*T*T` probabilities per layer) and
//! writes its slices of dQ, dK and dV. Each product is single-threaded gemm; rayon spreads the
//! tasks over the threads.
//!
//! The dropout multipliers `keep` (0 or `1 / (1 - p)`) are drawn by the caller from the
//! training stream exactly as [`crate::train::rng::TrainRng::dropout`] draws them, so the fused
//! and the composed paths apply the same masks.

use candle_core::backend::BackendStorage;
use candle_core::{bail, CpuStorage, CustomOp3, Layout, Shape, Storage, Tensor};
use rayon::prelude::*;

use super::{slice, softmax_grad_in_place, Real, Shared};
use crate::error::Result;

/// The per-head layout of a block: `batch` sentences of `tokens` rows of `heads * head`
/// columns, key-padding `scale`d scores.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    batch: usize,
    tokens: usize,
    heads: usize,
    head: usize,
    scale: f64,
}

impl Geometry {
    fn width(&self) -> usize {
        self.heads * self.head
    }

    /// Offset of head `h` of sentence `b` in a `[B*T, d]` matrix.
    fn base(&self, task: usize) -> usize {
        let (b, h) = (task / self.heads, task % self.heads);
        b * self.tokens * self.width() + h * self.head
    }

    fn tasks(&self) -> usize {
        self.batch * self.heads
    }
}

/// Multi-head attention of `q`, `k`, `v` (`[B*T, d]`, the projections' outputs, heads side by
/// side in the columns) with the key-padding `bias` `[B, T]` of `ops::attention_bias`, scores
/// scaled by `scale`, and dropout multipliers `keep` `[B, H, T, T]` on the probabilities in
/// training. Returns the context `[B*T, d]` with the heads side by side again.
pub fn attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    bias: &Tensor,
    heads: usize,
    scale: f64,
    keep: Option<&Tensor>,
) -> Result<Tensor> {
    let (batch, tokens) = bias.dims2()?;
    let (rows, width) = q.dims2()?;
    if rows != batch * tokens || heads == 0 || width % heads != 0 {
        return Err(crate::error::BaliError::Internal(format!(
            "attention over {:?} with {heads} heads and a bias of {:?}",
            q.dims(),
            bias.dims()
        )));
    }
    let op = Attention {
        bias: bias.contiguous()?.detach(),
        keep: keep
            .map(|m| m.contiguous().map(|m| m.detach()))
            .transpose()?,
        batch,
        heads,
        scale,
    };
    Ok(q.contiguous()?
        .apply_op3(&k.contiguous()?, &v.contiguous()?, op)?)
}

struct Attention {
    bias: Tensor,
    keep: Option<Tensor>,
    batch: usize,
    heads: usize,
    scale: f64,
}

/// The CPU values of a side input (bias, dropout multipliers), checked for dtype and size.
/// The contiguous values of `what` as `T`, the float type `pick` selects (that of q).
fn typed<'a, T: Real>(
    s: &'a CpuStorage,
    l: &Layout,
    what: &str,
    pick: fn(&CpuStorage) -> Option<&[T]>,
) -> candle_core::Result<&'a [T]> {
    match pick(s) {
        Some(all) => slice(all, l, "bali-attention"),
        None => bail!("bali-attention: the {what} has another dtype than q"),
    }
}

fn side<'a, T: Real>(
    storage: &'a Storage,
    layout: &Layout,
    len: usize,
    what: &str,
    pick: fn(&CpuStorage) -> Option<&[T]>,
) -> candle_core::Result<&'a [T]> {
    let Storage::Cpu(cpu) = storage else {
        bail!("bali-attention: the {what} is not on the CPU");
    };
    let values = typed(cpu, layout, what, pick)?;
    if values.len() != len {
        bail!(
            "bali-attention: the {what} has {} values, not {len}",
            values.len()
        );
    }
    Ok(values)
}

/// `dst (m x n) = lhs (m x k) rhs (k x n)` on strided operands, single-threaded.
///
/// # Safety
/// Every element each operand's strides reach must lie inside its allocation, and no other
/// thread may touch the `dst` block.
#[allow(clippy::too_many_arguments)]
unsafe fn product<T: Real>(
    (m, n, k): (usize, usize, usize),
    dst: *mut T,
    dst_row: usize,
    lhs: *const T,
    (lhs_row, lhs_col): (usize, usize),
    rhs: *const T,
    (rhs_row, rhs_col): (usize, usize),
) {
    gemm::gemm(
        m,
        n,
        k,
        dst,
        1,
        dst_row as isize,
        false,
        lhs,
        lhs_col as isize,
        lhs_row as isize,
        rhs,
        rhs_col as isize,
        rhs_row as isize,
        T::of(0.0),
        T::of(1.0),
        false,
        false,
        false,
        gemm::Parallelism::None,
    )
}

/// The attention probabilities of one (sentence, head) task into `p` (`T x T`): scores
/// `Q K^T`, scaled, plus the key bias, softmax over each row.
fn probabilities<T: Real>(q: &[T], k: &[T], bias: &[T], g: Geometry, task: usize, p: &mut [T]) {
    let (t, d) = (g.tokens, g.width());
    let base = g.base(task);
    // SAFETY: rows `b*T .. (b+1)*T` and columns `h*dh .. (h+1)*dh` of q and k lie inside the
    // `[B*T, d]` slices (checked by the op), and `p` is this task's own scratch.
    unsafe {
        product(
            (t, t, g.head),
            p.as_mut_ptr(),
            t,
            q.as_ptr().add(base),
            (d, 1),
            // K^T: element (j, c) is k[c, j].
            k.as_ptr().add(base),
            (1, d),
        )
    };
    let scale = T::of(g.scale);
    let key_bias = &bias[(task / g.heads) * t..][..t];
    for row in p.chunks_exact_mut(t) {
        super::masked_softmax_in_place(row, key_bias, scale);
    }
}

fn forward<T: Real>(
    (q, k, v): (&[T], &[T], &[T]),
    bias: &[T],
    keep: Option<&[T]>,
    g: Geometry,
) -> Vec<T> {
    let (t, d) = (g.tokens, g.width());
    let len = g.batch * t * d;
    if len == 0 || g.head == 0 {
        return vec![T::of(0.0); len];
    }
    // Every (sentence, head) block is written below, so the output starts unfilled.
    let mut out: Vec<T> = Vec::with_capacity(len);
    let dst = Shared(out.as_mut_ptr());
    (0..g.tasks()).into_par_iter().for_each_init(
        || vec![T::of(0.0); t * t],
        |p, task| {
            probabilities(q, k, bias, g, task, p);
            if let Some(keep) = keep {
                for (pi, &m) in p.iter_mut().zip(&keep[task * t * t..][..t * t]) {
                    *pi = *pi * m;
                }
            }
            let base = g.base(task);
            // SAFETY: task (b, h) alone writes rows b*T.. and columns h*dh.. of `out`; v's
            // block lies inside its slice.
            unsafe {
                product(
                    (t, g.head, t),
                    dst.at(base),
                    d,
                    p.as_ptr(),
                    (t, 1),
                    v.as_ptr().add(base),
                    (d, 1),
                )
            };
        },
    );
    // SAFETY: the tasks wrote all `len` elements (the blocks tile the matrix).
    unsafe { out.set_len(len) };
    out
}

/// dQ, dK and dV from the context's gradient `go`, recomputing each task's probabilities.
fn backward<T: Real>(
    (q, k, v): (&[T], &[T], &[T]),
    go: &[T],
    bias: &[T],
    keep: Option<&[T]>,
    g: Geometry,
) -> [Vec<T>; 3] {
    let (t, d) = (g.tokens, g.width());
    let len = g.batch * t * d;
    if len == 0 || g.head == 0 {
        return [0, 1, 2].map(|_| vec![T::of(0.0); len]);
    }
    // Every (sentence, head) block of the three is written below: they start unfilled.
    let mut grads: [Vec<T>; 3] = [0, 1, 2].map(|_| Vec::with_capacity(len));
    let [dq, dk, dv] = grads.each_mut().map(|x| Shared(x.as_mut_ptr()));
    let scale = T::of(g.scale);
    (0..g.tasks()).into_par_iter().for_each_init(
        || (vec![T::of(0.0); t * t], vec![T::of(0.0); t * t]),
        |(p, dp), task| {
            let base = g.base(task);
            let keep = keep.map(|m| &m[task * t * t..][..t * t]);
            probabilities(q, k, bias, g, task, p);
            // The probabilities after dropout, as the context product saw them, in `dp` for
            // the moment.
            match keep {
                Some(m) => {
                    for ((o, &pi), &mi) in dp.iter_mut().zip(p.iter()).zip(m) {
                        *o = pi * mi;
                    }
                }
                None => dp.copy_from_slice(p),
            }
            // SAFETY (all products below): task (b, h) alone writes rows b*T.. and columns
            // h*dh.. of dq, dk and dv; every operand block lies inside its slice or scratch.
            unsafe {
                // dV = (P keep)^T dO
                product(
                    (t, g.head, t),
                    dv.at(base),
                    d,
                    dp.as_ptr(),
                    (1, t),
                    go.as_ptr().add(base),
                    (d, 1),
                );
                // d(P keep) = dO V^T
                product(
                    (t, t, g.head),
                    dp.as_mut_ptr(),
                    t,
                    go.as_ptr().add(base),
                    (d, 1),
                    v.as_ptr().add(base),
                    (1, d),
                );
            }
            if let Some(m) = keep {
                for (o, &mi) in dp.iter_mut().zip(m) {
                    *o = *o * mi;
                }
            }
            // dS = scale * P (dP - rowsum(dP P)), in `dp`.
            for (dp, p) in dp.chunks_exact_mut(t).zip(p.chunks_exact(t)) {
                softmax_grad_in_place(dp, p, scale);
            }
            unsafe {
                // dQ = dS K
                product(
                    (t, g.head, t),
                    dq.at(base),
                    d,
                    dp.as_ptr(),
                    (t, 1),
                    k.as_ptr().add(base),
                    (d, 1),
                );
                // dK = dS^T Q
                product(
                    (t, g.head, t),
                    dk.at(base),
                    d,
                    dp.as_ptr(),
                    (1, t),
                    q.as_ptr().add(base),
                    (d, 1),
                );
            }
        },
    );
    for x in &mut grads {
        // SAFETY: the tasks wrote all `len` elements of each (the blocks tile the matrix).
        unsafe { x.set_len(len) };
    }
    grads
}

impl Attention {
    fn geometry(&self, l: &Layout) -> candle_core::Result<Geometry> {
        let (rows, width) = l.shape().dims2()?;
        if self.heads == 0 || width % self.heads != 0 || rows % self.batch.max(1) != 0 {
            bail!(
                "bali-attention: {:?} does not split into {} sentences of {} heads",
                l.dims(),
                self.batch,
                self.heads
            );
        }
        Ok(Geometry {
            batch: self.batch,
            tokens: rows / self.batch.max(1),
            heads: self.heads,
            head: width / self.heads,
            scale: self.scale,
        })
    }

    /// Runs `f` on the bias and dropout multipliers as `T` values, read in place and checked
    /// against the geometry.
    fn with_sides<T: Real, R>(
        &self,
        g: Geometry,
        pick: fn(&CpuStorage) -> Option<&[T]>,
        f: impl FnOnce(&[T], Option<&[T]>) -> R,
    ) -> candle_core::Result<R> {
        let (storage, layout) = self.bias.storage_and_layout();
        let bias = side(&storage, layout, g.batch * g.tokens, "bias", pick)?;
        match &self.keep {
            Some(m) => {
                let (storage, layout) = m.storage_and_layout();
                let len = g.tasks() * g.tokens * g.tokens;
                Ok(f(
                    bias,
                    Some(side(&storage, layout, len, "dropout mask", pick)?),
                ))
            }
            None => Ok(f(bias, None)),
        }
    }
}

fn f32s(s: &CpuStorage) -> Option<&[f32]> {
    match s {
        CpuStorage::F32(v) => Some(v),
        _ => None,
    }
}

fn f64s(s: &CpuStorage) -> Option<&[f64]> {
    match s {
        CpuStorage::F64(v) => Some(v),
        _ => None,
    }
}

/// The three `[B*T, d]` operands as slices of one float type.
fn operands<'a, T: Real>(
    (s1, l1): (&'a CpuStorage, &Layout),
    (s2, l2): (&'a CpuStorage, &Layout),
    (s3, l3): (&'a CpuStorage, &Layout),
    pick: fn(&CpuStorage) -> Option<&[T]>,
) -> candle_core::Result<(&'a [T], &'a [T], &'a [T])> {
    let mut out = Vec::with_capacity(3);
    for (s, l) in [(s1, l1), (s2, l2), (s3, l3)] {
        if l.dims() != l1.dims() {
            bail!(
                "bali-attention: q {:?} but k or v {:?}",
                l1.dims(),
                l.dims()
            );
        }
        out.push(typed(s, l, "q, k and v", pick)?);
    }
    Ok((out[0], out[1], out[2]))
}

impl CustomOp3 for Attention {
    fn name(&self) -> &'static str {
        "bali-attention"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let g = self.geometry(l1)?;
        let shape = l1.shape().clone();
        let out = match s1 {
            CpuStorage::F32(_) => {
                let ops = operands((s1, l1), (s2, l2), (s3, l3), f32s)?;
                CpuStorage::F32(self.with_sides(g, f32s, |bias, keep| forward(ops, bias, keep, g))?)
            }
            CpuStorage::F64(_) => {
                let ops = operands((s1, l1), (s2, l2), (s3, l3), f64s)?;
                CpuStorage::F64(self.with_sides(g, f64s, |bias, keep| forward(ops, bias, keep, g))?)
            }
            other => bail!(
                "bali-attention supports f32 and f64, not {:?}",
                other.dtype()
            ),
        };
        Ok((out, shape))
    }

    fn bwd(
        &self,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let (q, k, v) = (q.contiguous()?, k.contiguous()?, v.contiguous()?);
        let (sq, lq) = q.storage_and_layout();
        let (sk, lk) = k.storage_and_layout();
        let (sv, lv) = v.storage_and_layout();
        let (sg, lg) = grad.storage_and_layout();
        let (Storage::Cpu(sq), Storage::Cpu(sk), Storage::Cpu(sv), Storage::Cpu(sg)) =
            (&*sq, &*sk, &*sv, &*sg)
        else {
            bail!("bali-attention runs on the CPU only");
        };
        if lg.dims() != lq.dims() {
            bail!(
                "bali-attention: gradient {:?} for an output {:?}",
                lg.dims(),
                lq.dims()
            );
        }
        let g = self.geometry(lq)?;
        let (shape, device) = (lq.shape().clone(), q.device().clone());
        let [dq, dk, dv] = match sq {
            CpuStorage::F32(_) => {
                let ops = operands((sq, lq), (sk, lk), (sv, lv), f32s)?;
                let go = typed(sg, lg, "gradient", f32s)?;
                self.with_sides(g, f32s, |bias, keep| backward(ops, go, bias, keep, g))?
                    .map(|x| Tensor::from_vec(x, shape.clone(), &device))
            }
            CpuStorage::F64(_) => {
                let ops = operands((sq, lq), (sk, lk), (sv, lv), f64s)?;
                let go = typed(sg, lg, "gradient", f64s)?;
                self.with_sides(g, f64s, |bias, keep| backward(ops, go, bias, keep, g))?
                    .map(|x| Tensor::from_vec(x, shape.clone(), &device))
            }
            other => bail!(
                "bali-attention supports f32 and f64, not {:?}",
                other.dtype()
            ),
        };
        Ok((Some(dq?), Some(dk?), Some(dv?)))
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{DType, Device, Tensor, Var};

    use super::super::tests::{max_diff, random};
    use super::attention;
    use crate::error::Result;
    use crate::train::bert::ops::{attention_bias, composed_attention, Mode};
    use crate::train::gradcheck::check;

    /// Two sentences of 5 tokens, the first with 2 padded, 3 heads of 2 columns.
    fn padding_bias(dtype: DType) -> Result<Tensor> {
        let mask = Tensor::new(&[[1u32, 1, 1, 0, 0], [1, 1, 1, 1, 1]], &Device::Cpu)?;
        attention_bias(&mask, dtype)
    }

    /// Dropout multipliers for `[2, 3, 5, 5]` probabilities, as `Mode::Train` draws them.
    fn keep(dtype: DType) -> Result<Tensor> {
        let like = Tensor::zeros(1, dtype, &Device::Cpu)?;
        let mut rng = crate::train::rng::TrainRng::new(7);
        let mask = Mode::Train(&mut rng).dropout_mask(&[2, 3, 5, 5], 0.3, &like)?;
        mask.ok_or_else(|| crate::error::BaliError::Internal("no mask".into()))
    }

    #[test]
    fn fused_attention_matches_the_composed_ops_forward_and_backward() -> Result<()> {
        for dtype in [DType::F64, DType::F32] {
            let tol = if dtype == DType::F32 { 2e-5 } else { 1e-12 };
            let bias = padding_bias(dtype)?;
            for keep in [None, Some(keep(dtype)?)] {
                let [q, k, v] = [41, 42, 43].map(|seed| {
                    random(&[10, 6], seed, 1.5)
                        .and_then(|t| Ok(Var::from_tensor(&t.to_dtype(dtype)?)?))
                });
                let (q, k, v) = (q?, k?, v?);
                let w = random(&[10, 6], 44, 1.0)?.to_dtype(dtype)?;
                let scale = 1.0 / 2f64.sqrt();
                let ops = [q.as_tensor(), k.as_tensor(), v.as_tensor()];
                let fused = attention(ops[0], ops[1], ops[2], &bias, 3, scale, keep.as_ref())?;
                let composed =
                    composed_attention(ops[0], ops[1], ops[2], &bias, 3, scale, keep.as_ref())?;
                assert!(max_diff(&fused, &composed)? < tol, "{dtype:?} forward");
                let fused_grads = fused.mul(&w)?.sum_all()?.backward()?;
                let composed_grads = composed.mul(&w)?.sum_all()?.backward()?;
                for (name, x) in ["q", "k", "v"].iter().zip(ops) {
                    let (Some(a), Some(b)) = (fused_grads.get(x), composed_grads.get(x)) else {
                        panic!("{dtype:?}: no gradient for {name}");
                    };
                    assert!(max_diff(a, b)? < tol, "{dtype:?} d{name}");
                }
            }
        }
        Ok(())
    }

    #[test]
    fn fused_attention_backward_matches_finite_differences() -> Result<()> {
        let bias = padding_bias(DType::F64)?;
        let keep = keep(DType::F64)?;
        let [q, k, v] = [51, 52, 53]
            .map(|seed| random(&[10, 6], seed, 1.5).and_then(|t| Ok(Var::from_tensor(&t)?)));
        let (q, k, v) = (q?, k?, v?);
        let w = random(&[10, 6], 54, 1.0)?;
        for keep in [None, Some(&keep)] {
            let g = check(
                &[q.clone(), k.clone(), v.clone()],
                || {
                    Ok(attention(
                        q.as_tensor(),
                        k.as_tensor(),
                        v.as_tensor(),
                        &bias,
                        3,
                        0.7,
                        keep,
                    )?
                    .mul(&w)?
                    .sum_all()?)
                },
                1e-6,
                60,
            )?;
            assert!(g.max_error < 1e-7, "{g:?}");
        }
        Ok(())
    }

    #[test]
    fn padded_keys_get_no_weight_and_mismatched_shapes_are_errors() -> Result<()> {
        // Changing a padded key or value (tokens 3 and 4 of sentence 0) changes nothing.
        let bias = padding_bias(DType::F64)?;
        let (q, k, v) = (
            random(&[10, 6], 61, 1.0)?,
            random(&[10, 6], 62, 1.0)?,
            random(&[10, 6], 63, 1.0)?,
        );
        let before = attention(&q, &k, &v, &bias, 3, 0.5, None)?;
        let noise = random(&[2, 6], 64, 100.0)?;
        let k2 = k.slice_assign(&[3..5, 0..6], &noise)?;
        let v2 = v.slice_assign(&[3..5, 0..6], &noise)?;
        let after = attention(&q, &k2, &v2, &bias, 3, 0.5, None)?;
        assert!(max_diff(&before.narrow(0, 0, 5)?, &after.narrow(0, 0, 5)?)? < 1e-12);
        // 6 columns do not split into 4 heads; a bias for 3 sentences does not fit 10 rows.
        assert!(attention(&q, &k, &v, &bias, 4, 0.5, None).is_err());
        let wrong = Tensor::zeros((3, 5), DType::F64, &Device::Cpu)?;
        assert!(attention(&q, &k, &v, &wrong, 3, 0.5, None).is_err());
        Ok(())
    }
}
