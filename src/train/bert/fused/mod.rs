//! Fused CPU kernels, with their backward passes, for the element-wise hot spots of a BERT
//! training step: softmax over the last dimension, layer norm, GELU, and dropout joined with
//! the residual sum; the dense layer `x W^T + b` as one op; and multi-head self-attention as one
//! op ([`attention`], its own module).
//!
//! Written as candle ops composed from primitives, each of these costs 5 to 15 passes over its
//! tensor forward and as many again backward (candle's GELU backward alone is a dozen ops, with
//! a 6-digit constant). Here each is one pass forward and one or two backward, parallel over
//! rows with rayon. They are candle [`CustomOp1`]/[`CustomOp3`] ops whose `bwd` returns the
//! exact analytic gradient (computed by a second custom op); second derivatives are not
//! supported, which training does not need.
//!
//! The dense layer is one op for the sake of its backward pass: composed as candle's `matmul`
//! of `W.t()` plus a broadcast bias (and the reshapes around them), it leaves six nodes whose
//! gradients candle accumulates one by one, each into a freshly zeroed tensor: four of the
//! output's size, one of the input's, and the weight's twice, once through the transposed
//! view as a strided addition. As one op its backward is three products (`dx = g W`,
//! `dW = g^T x`, already in the weight's layout, `db` = column sums of `g`) and one
//! accumulation per input. Its products are the gemm calls candle's CPU matmul makes (split
//! over the threads, `dst = lhs rhs` without reading `dst`), so outputs equal candle's to the
//! bit (tested), without candle's zeroing of each output first.
//!
//! Only CPU tensors of `F32`/`F64` take these kernels; [`super::ops`] sends everything else
//! (CUDA, half precision) to the composed, differentiable candle ops. Both paths are checked
//! against finite differences and against each other.

use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub};

use candle_core::backend::BackendStorage;
use candle_core::{
    bail, CpuStorage, CustomOp1, CustomOp2, CustomOp3, DType, Layout, Shape, Tensor,
};
use multiversion::multiversion;
use rayon::prelude::*;

use crate::error::Result;

mod attention;

pub use attention::attention;

/// Rows handed to one rayon task: small rows (softmax over 128 keys) are too cheap to split
/// one by one.
const MIN_ROWS_PER_TASK: usize = 16;

/// True when `x` can take the fused kernels (CPU, `F32` or `F64`).
pub fn supports(x: &Tensor) -> bool {
    x.device().is_cpu() && matches!(x.dtype(), DType::F32 | DType::F64)
}

/// Softmax over the last dimension.
pub fn softmax_last(x: &Tensor) -> Result<Tensor> {
    Ok(x.contiguous()?.apply_op1(SoftmaxLast)?)
}

/// Layer norm over the last dimension with affine `gamma`, `beta` (biased variance, as PyTorch).
pub fn layer_norm(x: &Tensor, gamma: &Tensor, beta: &Tensor, eps: f64) -> Result<Tensor> {
    Ok(x.contiguous()?
        .apply_op3(&gamma.contiguous()?, &beta.contiguous()?, LayerNorm { eps })?)
}

/// `x * keep + residual` (dropout multipliers `keep` of `x`'s shape; they get no gradient).
pub fn dropout_add(x: &Tensor, residual: &Tensor, keep: &Tensor) -> Result<Tensor> {
    Ok(x.contiguous()?.apply_op3(
        &residual.contiguous()?,
        &keep.contiguous()?.detach(),
        DropoutAdd,
    )?)
}

/// GELU, exact (`erf`) or with the tanh approximation.
pub fn gelu(x: &Tensor, tanh: bool) -> Result<Tensor> {
    Ok(x.contiguous()?.apply_op1(Gelu { tanh })?)
}

/// `x W^T + b` for `x` `[rows, in]`, a weight `[out, in]` (PyTorch's layout) and a bias `[out]`.
pub fn linear(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    Ok(x.contiguous()?
        .apply_op3(&weight.contiguous()?, &bias.contiguous()?, Linear)?)
}

/// `a b` for stacks of matrices `a` `[B, m, k]` and `b` `[B, k, n]` (any strides, so a
/// transposed view costs no copy), the `B` products spread over the threads, each one
/// single-threaded. candle's CPU matmul runs the `B` products one after another, each split
/// over the threads: for attention's many small per-head products (names of a few tokens) the
/// split costs more than it gains and one core idles. Other devices and dtypes: candle's matmul.
pub fn batched_matmul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if supports(a) {
        Ok(a.apply_op2(b, BatchedMatmul::default())?)
    } else {
        Ok(a.matmul(b)?)
    }
}

/// The float types the kernels run on.
trait Real:
    Copy
    + Send
    + Sync
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + 'static
{
    fn of(v: f64) -> Self;
    fn exp(self) -> Self;
    fn sqrt(self) -> Self;
    fn tanh(self) -> Self;
    fn erf(self) -> Self;
}

impl Real for f32 {
    #[inline(always)]
    fn of(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn exp(self) -> Self {
        exp_f32(self)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    #[inline(always)]
    fn tanh(self) -> Self {
        f32::tanh(self)
    }
    #[inline(always)]
    fn erf(self) -> Self {
        erf_f32(self)
    }
}

/// erf in single precision without branches, so that loops over it vectorise: Eigen's
/// rational approximation (`generic_fast_erf_float`, also XLA's), `x P(x^2) / Q(x^2)` on
/// `[-4, 4]`, where `erf` is within half an f32 ulp of +-1 outside. Largest absolute error
/// 4.3e-7 (test below); `libm`'s scalar `erff` with its branches took 14% of an inference pass.
#[inline(always)]
fn erf_f32(x: f32) -> f32 {
    const ALPHA: [f32; 7] = [
        -1.609_603_3e-2,
        -2.954_6e-3,
        -7.349_906_3e-4,
        -5.692_506_4e-5,
        -2.101_024e-6,
        2.770_681_4e-8,
        -2.726_142_3e-10,
    ];
    const BETA: [f32; 5] = [
        -1.426_473_9e-2,
        -7.373_329_2e-3,
        -1.682_827e-3,
        -2.133_740_6e-4,
        -1.456_607_2e-5,
    ];
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let p = ALPHA[..6]
        .iter()
        .rev()
        .fold(ALPHA[6], |acc, &c| acc * x2 + c);
    let q = BETA[..4].iter().rev().fold(BETA[4], |acc, &c| acc * x2 + c);
    x * p / q
}

/// exp in single precision without calls, so that loops over it vectorise (the softmax rows,
/// the GELU derivative): Cephes' `expf`, `2^n * P(r)` with `x = n ln 2 + r`, `|r| <= ln 2 / 2`
/// and a degree-6 polynomial, `2^n` built from exponent bits in two normal halves so that
/// results down to the subnormals come out of the final products. Largest relative error 2.2e-7
/// against `f64::exp` on `[-87, 88]` (test below); 0 below about -103.3, where f32 underflows;
/// +inf above 88.72; NaN stays NaN. `libm`'s scalar `expf` took 3% of a training step.
#[inline(always)]
fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split so that n * LN2_HI is exact for the n that occur.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits.
    const ROUND: f32 = 12_582_912.0;
    const P: [f32; 6] = [
        1.987_569_1e-4,
        1.398_2e-3,
        8.333_452e-3,
        4.166_579_6e-2,
        1.666_666_5e-1,
        0.5,
    ];
    const HI: f32 = 88.722_84;
    let xc = x.clamp(-110.0, HI);
    let t = xc * LOG2E + ROUND;
    let n = t - ROUND;
    let ni = (t.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    let r = xc - n * LN2_HI - n * LN2_LO;
    let poly = P[1..].iter().fold(P[0], |acc, &c| acc * r + c);
    let er = poly * r * r + r + 1.0;
    // Wrapping integer ops (the values stay far from overflow): bali's dev profile keeps
    // overflow checks, and their panic branches would stop the loops from vectorising.
    let half = ni >> 1;
    let scale = |e: i32| f32::from_bits((e.wrapping_add(127) as u32) << 23);
    let v = er * scale(half) * scale(ni.wrapping_sub(half));
    if x > HI {
        f32::INFINITY
    } else {
        v
    }
}

impl Real for f64 {
    #[inline(always)]
    fn of(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn exp(self) -> Self {
        f64::exp(self)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    #[inline(always)]
    fn tanh(self) -> Self {
        f64::tanh(self)
    }
    #[inline(always)]
    fn erf(self) -> Self {
        candle_core::cpu::erf::erf_f64(self)
    }
}

/// A raw pointer that tasks writing disjoint blocks of one buffer may share.
#[derive(Clone, Copy)]
struct Shared<T>(*mut T);
// SAFETY: only used to hand out pointers to disjoint blocks of one buffer, one per task.
unsafe impl<T> Send for Shared<T> {}
unsafe impl<T> Sync for Shared<T> {}

impl<T> Shared<T> {
    /// The pointer `offset` elements in (a method, so that closures capture the whole
    /// `Shared` rather than its raw-pointer field).
    ///
    /// # Safety
    /// `offset` must stay inside the buffer.
    unsafe fn at(self, offset: usize) -> *mut T {
        self.0.add(offset)
    }
}

/// The contiguous slice a layout describes (the wrappers make inputs contiguous).
fn slice<'a, T>(v: &'a [T], l: &Layout, op: &str) -> candle_core::Result<&'a [T]> {
    match l.contiguous_offsets() {
        Some((start, end)) => Ok(&v[start..end]),
        None => bail!("{op} expects contiguous inputs"),
    }
}

fn last_dim(l: &Layout) -> candle_core::Result<usize> {
    match l.dims().last() {
        Some(&d) if d > 0 => Ok(d),
        _ => bail!(
            "fused op on a tensor without a non-empty last dimension: {:?}",
            l.dims()
        ),
    }
}

/// Applies `f(input_row, output_row)` to every row, in parallel.
fn map_rows<T: Real>(x: &[T], d: usize, f: impl Fn(&[T], &mut [T]) + Sync) -> Vec<T> {
    let mut out = vec![T::of(0.0); x.len()];
    out.par_chunks_mut(d)
        .zip(x.par_chunks(d))
        .with_min_len(MIN_ROWS_PER_TASK)
        .for_each(|(o, i)| f(i, o));
    out
}

/// Independent partial sums of [`lane_sum`]: enough for the compiler to keep them in vector
/// registers (a single running sum is a chain of dependent adds that cannot be vectorised
/// without reordering it).
const LANES: usize = 8;

/// Elements per block of [`normalise_exp`]'s exponentials: one AVX-512 register of f32.
const EXP_BLOCK: usize = 16;

/// `sum f(a[i], b[i], c[i])` over rows of one length, in [`LANES`] interleaved partial sums
/// (a fixed order, so the result is deterministic). Pass a row twice where `f` needs fewer.
#[inline(always)]
fn lane_sum<T: Real>(a: &[T], b: &[T], c: &[T], f: impl Fn(T, T, T) -> T) -> T {
    let mut acc = [T::of(0.0); LANES];
    let (ac, bc, cc) = (
        a.chunks_exact(LANES),
        b.chunks_exact(LANES),
        c.chunks_exact(LANES),
    );
    let mut total = T::of(0.0);
    for ((&x, &y), &z) in ac
        .remainder()
        .iter()
        .zip(bc.remainder())
        .zip(cc.remainder())
    {
        total += f(x, y, z);
    }
    for ((ca, cb), cc) in ac.zip(bc).zip(cc) {
        for l in 0..LANES {
            acc[l] += f(ca[l], cb[l], cc[l]);
        }
    }
    acc.iter().fold(total, |t, &v| t + v)
}

macro_rules! dispatch1 {
    ($storage:expr, $layout:expr, $name:expr, |$v:ident| $body:expr) => {
        match $storage {
            CpuStorage::F32($v) => {
                let $v = slice($v, $layout, $name)?;
                #[allow(unused_braces)]
                let out = $body;
                Ok((CpuStorage::F32(out), $layout.shape().clone()))
            }
            CpuStorage::F64($v) => {
                let $v = slice($v, $layout, $name)?;
                #[allow(unused_braces)]
                let out = $body;
                Ok((CpuStorage::F64(out), $layout.shape().clone()))
            }
            other => bail!("{} supports f32 and f64, not {:?}", $name, other.dtype()),
        }
    };
}

macro_rules! dispatch2 {
    ($s1:expr, $l1:expr, $s2:expr, $l2:expr, $shape:expr, $name:expr, |$a:ident, $b:ident| $body:expr) => {
        match ($s1, $s2) {
            (CpuStorage::F32($a), CpuStorage::F32($b)) => {
                let ($a, $b) = (slice($a, $l1, $name)?, slice($b, $l2, $name)?);
                #[allow(unused_braces)]
                let out = $body;
                Ok((CpuStorage::F32(out), $shape))
            }
            (CpuStorage::F64($a), CpuStorage::F64($b)) => {
                let ($a, $b) = (slice($a, $l1, $name)?, slice($b, $l2, $name)?);
                #[allow(unused_braces)]
                let out = $body;
                Ok((CpuStorage::F64(out), $shape))
            }
            (a, b) => bail!(
                "{} supports f32 and f64, not {:?} and {:?}",
                $name,
                a.dtype(),
                b.dtype()
            ),
        }
    };
}

macro_rules! dispatch3 {
    ($s1:expr, $l1:expr, $s2:expr, $l2:expr, $s3:expr, $l3:expr, $shape:expr, $name:expr,
     |$a:ident, $b:ident, $c:ident| $body:expr) => {
        match ($s1, $s2, $s3) {
            (CpuStorage::F32($a), CpuStorage::F32($b), CpuStorage::F32($c)) => {
                let ($a, $b, $c) = (
                    slice($a, $l1, $name)?,
                    slice($b, $l2, $name)?,
                    slice($c, $l3, $name)?,
                );
                #[allow(unused_braces)]
                let out = $body;
                Ok((CpuStorage::F32(out), $shape))
            }
            (CpuStorage::F64($a), CpuStorage::F64($b), CpuStorage::F64($c)) => {
                let ($a, $b, $c) = (
                    slice($a, $l1, $name)?,
                    slice($b, $l2, $name)?,
                    slice($c, $l3, $name)?,
                );
                #[allow(unused_braces)]
                let out = $body;
                Ok((CpuStorage::F64(out), $shape))
            }
            _ => bail!("{} supports f32 and f64 inputs of one dtype", $name),
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Softmax

struct SoftmaxLast;

fn softmax_rows<T: Real>(x: &[T], d: usize) -> Vec<T> {
    map_rows(x, d, softmax_row)
}

#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2"))]
fn softmax_row<T: Real>(row: &[T], out: &mut [T]) {
    out.copy_from_slice(row);
    normalise_exp(out);
}

impl CustomOp1 for SoftmaxLast {
    fn name(&self) -> &'static str {
        "bali-softmax-last"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let d = last_dim(l)?;
        dispatch1!(s, l, self.name(), |v| softmax_rows(v, d))
    }

    fn bwd(
        &self,
        _arg: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        Ok(Some(res.apply_op2_no_bwd(
            &grad.contiguous()?,
            &SoftmaxGrad { scale: 1.0 },
        )?))
    }
}

/// `dx = scale * p * (g - sum(g * p))` per row, from the softmax output `p` and its gradient
/// `g` (`scale` is 1 for a plain softmax).
struct SoftmaxGrad {
    scale: f64,
}

fn softmax_grad_rows<T: Real>(p: &[T], g: &[T], d: usize, scale: f64) -> Vec<T> {
    let scale = T::of(scale);
    let mut out = vec![T::of(0.0); p.len()];
    out.par_chunks_mut(d)
        .zip(p.par_chunks(d).zip(g.par_chunks(d)))
        .with_min_len(MIN_ROWS_PER_TASK)
        .for_each(|(o, (p, g))| {
            o.copy_from_slice(g);
            softmax_grad_in_place(o, p, scale);
        });
    out
}

/// `g <- scale * p * (g - sum(g * p))`: one row of a softmax's gradient, from its output `p`.
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2"))]
fn softmax_grad_in_place<T: Real>(g: &mut [T], p: &[T], scale: T) {
    let dot = lane_sum(p, g, g, |pi, gi, _| pi * gi);
    for (o, &pi) in g.iter_mut().zip(p) {
        *o = scale * pi * (*o - dot);
    }
}

impl CustomOp2 for SoftmaxGrad {
    fn name(&self) -> &'static str {
        "bali-softmax-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let d = last_dim(l1)?;
        let scale = self.scale;
        dispatch2!(s1, l1, s2, l2, l1.shape().clone(), self.name(), |p, g| {
            softmax_grad_rows(p, g, d, scale)
        })
    }
}

/// `softmax(scale * row + bias)` in place: one row of attention scores over its keys, with the
/// key-padding bias of `ops::attention_bias` (see [`attention`]).
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2"))]
fn masked_softmax_in_place<T: Real>(row: &mut [T], bias: &[T], scale: T) {
    for (o, &b) in row.iter_mut().zip(bias) {
        *o = *o * scale + b;
    }
    normalise_exp(row);
}

/// `row <- exp(row - max(row)) / sum`: the loops apart, so that the exponentials (and the
/// partial sums of [`lane_sum`]) vectorise; a running sum inside the exp loop keeps it scalar.
/// The maximum is taken in [`LANES`] partial maxima, and the exponentials in whole blocks of
/// [`EXP_BLOCK`] (the row's tail padded with -inf, whose exponential is 0 and is dropped):
/// attention's rows are a few dozen keys long, and a scalar remainder loop of the polynomial
/// `exp` cost as much as the vector body.
#[inline(always)]
fn normalise_exp<T: Real>(row: &mut [T]) {
    let lanes = row.chunks_exact(LANES);
    let mut max = T::of(f64::NEG_INFINITY);
    for &v in lanes.remainder() {
        if v > max {
            max = v;
        }
    }
    let mut maxima = [max; LANES];
    for chunk in lanes {
        for (m, &v) in maxima.iter_mut().zip(chunk) {
            if v > *m {
                *m = v;
            }
        }
    }
    for m in maxima {
        if m > max {
            max = m;
        }
    }
    for block in row.chunks_mut(EXP_BLOCK) {
        let mut x = [T::of(f64::NEG_INFINITY); EXP_BLOCK];
        x[..block.len()].copy_from_slice(block);
        for v in x.iter_mut() {
            *v = (*v - max).exp();
        }
        block.copy_from_slice(&x[..block.len()]);
    }
    let inv = T::of(1.0) / lane_sum(row, row, row, |v, _, _| v);
    for o in row.iter_mut() {
        *o = *o * inv;
    }
}

// ---------------------------------------------------------------------------------------------
// Dense layer

struct Linear;

/// Adds `bias` to every row of `y` (`[rows, bias.len()]`) in place.
fn add_bias<T: Real>(y: &mut [T], bias: &[T]) {
    y.par_chunks_mut(bias.len())
        .with_min_len(MIN_ROWS_PER_TASK)
        .for_each(|row| {
            for (o, &b) in row.iter_mut().zip(bias) {
                *o += b;
            }
        });
}

impl CustomOp3 for Linear {
    fn name(&self) -> &'static str {
        "bali-linear"
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
        let (rows, input) = l1.shape().dims2()?;
        let (output, weight_input) = l2.shape().dims2()?;
        if weight_input != input || l3.dims() != [output] {
            bail!(
                "linear over {:?} with weight {:?} and bias {:?}",
                l1.dims(),
                l2.dims(),
                l3.dims()
            );
        }
        // x times the transposed view of W, the product candle's `x.matmul(&w.t())` runs.
        let wt = l2.transpose(0, 1)?;
        let dims = (1, rows, input, output);
        let shape = Shape::from((rows, output));
        let name = self.name();
        // y = x W^T (one product over the threads), then the bias on every row.
        fn affine<T: Real>(
            (x, lx): (&[T], &Layout),
            (w, lwt): (&[T], &Layout),
            (b, lb): (&[T], &Layout),
            dims: (usize, usize, usize, usize),
            name: &str,
        ) -> candle_core::Result<Vec<T>> {
            let sx = Strided::matrix(lx, x.len(), name)?;
            let sw = Strided::matrix(lwt, w.len(), name)?;
            let mut y = batched_products(x, sx, w, sw, dims, false);
            add_bias(&mut y, slice(b, lb, name)?);
            Ok(y)
        }
        match (s1, s2, s3) {
            (CpuStorage::F32(x), CpuStorage::F32(w), CpuStorage::F32(b)) => {
                let y = affine((x, l1), (w, &wt), (b, l3), dims, name)?;
                Ok((CpuStorage::F32(y), shape))
            }
            (CpuStorage::F64(x), CpuStorage::F64(w), CpuStorage::F64(b)) => {
                let y = affine((x, l1), (w, &wt), (b, l3), dims, name)?;
                Ok((CpuStorage::F64(y), shape))
            }
            _ => bail!("{name} supports f32 and f64 inputs of one dtype"),
        }
    }

    fn bwd(
        &self,
        x: &Tensor,
        weight: &Tensor,
        _bias: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        // Detached operands: products of tracked tensors would record ops, and the weight's
        // accumulated gradient would then keep `grad` alive until the optimiser step.
        let (x, weight) = (x.detach(), weight.detach());
        let grad = grad.detach().contiguous()?;
        // Each a product of one [`BatchedMatmul`] (no zeroed output; `g^T` is a strided view).
        // The two are independent, so they run side by side, each on one thread: on these
        // shapes (k = the batch's tokens, m and n the layer's widths) two single-threaded
        // products keep the cores busier than two products split over both (BENCHMARKS.md).
        let one_thread = BatchedMatmul { one_thread: true };
        let product = |a: &Tensor, b: &Tensor| -> candle_core::Result<Tensor> {
            a.unsqueeze(0)?
                .apply_op2_no_bwd(&b.unsqueeze(0)?, &one_thread)?
                .squeeze(0)
        };
        let gt = grad.t()?;
        let (dx, dw) = rayon::join(|| product(&grad, &weight), || product(&gt, &x));
        let (dx, dw) = (dx?, dw?);
        let db = grad.apply_op1_no_bwd(&ColumnSums)?;
        Ok((Some(dx), Some(dw), Some(db)))
    }
}

/// The column sums of a `[rows, cols]` matrix (the dense layer's bias gradient), in parallel
/// over blocks of rows: candle's `sum(0)` reduces across the rows of a row-major matrix one
/// strided element at a time on one thread.
struct ColumnSums;

/// Rows per partial sum: fixed, so the sum's order (and its rounding) is the same on any
/// number of threads.
const ROWS_PER_PARTIAL: usize = 64;

fn column_sums<T: Real>(x: &[T], cols: usize) -> Vec<T> {
    if cols == 0 {
        return Vec::new();
    }
    let partials: Vec<Vec<T>> = x
        .par_chunks(cols * ROWS_PER_PARTIAL)
        .map(|block| {
            let mut acc = vec![T::of(0.0); cols];
            for row in block.chunks_exact(cols) {
                for (a, &v) in acc.iter_mut().zip(row) {
                    *a += v;
                }
            }
            acc
        })
        .collect();
    add_partials(partials, cols)
}

/// The element-wise sum of per-task partial results of length `len`, in task order (so the
/// rounding does not depend on the number of threads).
fn add_partials<T: Real>(partials: Vec<Vec<T>>, len: usize) -> Vec<T> {
    let mut out = vec![T::of(0.0); len];
    for partial in partials {
        for (o, v) in out.iter_mut().zip(partial) {
            *o += v;
        }
    }
    out
}

impl CustomOp1 for ColumnSums {
    fn name(&self) -> &'static str {
        "bali-column-sums"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let (_, cols) = l.shape().dims2()?;
        let out = match s {
            CpuStorage::F32(v) => CpuStorage::F32(column_sums(slice(v, l, self.name())?, cols)),
            CpuStorage::F64(v) => CpuStorage::F64(column_sums(slice(v, l, self.name())?, cols)),
            other => bail!(
                "{} supports f32 and f64, not {:?}",
                self.name(),
                other.dtype()
            ),
        };
        Ok((out, Shape::from(cols)))
    }
}

// ---------------------------------------------------------------------------------------------
// Batched matrix products

#[derive(Clone, Copy, Default)]
struct BatchedMatmul {
    /// Each product on the calling thread alone: for two independent products run side by side.
    one_thread: bool,
}

/// A stack of matrices as gemm reads it: element `(i, r, c)` at
/// `offset + i * batch + r * row + c * col`.
#[derive(Debug, Clone, Copy)]
struct Strided {
    offset: usize,
    batch: usize,
    row: usize,
    col: usize,
}

impl Strided {
    /// The strides of a rank-2 layout `[rows, cols]`, as a stack of one matrix.
    fn matrix(l: &Layout, len: usize, op: &str) -> candle_core::Result<Strided> {
        let (rows, cols) = l.shape().dims2()?;
        let stride = l.stride();
        let three = Layout::new(
            Shape::from((1, rows, cols)),
            vec![rows * cols, stride[0], stride[1]],
            l.start_offset(),
        );
        Strided::of(&three, len, op)
    }

    /// The strides of a rank-3 layout `[count, rows, cols]`, checked to stay inside `len`
    /// elements (what makes the raw reads below sound).
    fn of(l: &Layout, len: usize, op: &str) -> candle_core::Result<Strided> {
        let (dims, stride) = (l.dims(), l.stride());
        if dims.len() != 3 {
            bail!("{op} takes rank-3 stacks of matrices, not {dims:?}");
        }
        let s = Strided {
            offset: l.start_offset(),
            batch: stride[0],
            row: stride[1],
            col: stride[2],
        };
        if dims.contains(&0) {
            return Ok(s);
        }
        let last =
            s.offset + (dims[0] - 1) * s.batch + (dims[1] - 1) * s.row + (dims[2] - 1) * s.col;
        if last >= len {
            bail!("{op}: layout {dims:?} / {stride:?} reaches past {len} elements");
        }
        Ok(s)
    }
}

fn batched_products<T: Real>(
    a: &[T],
    sa: Strided,
    b: &[T],
    sb: Strided,
    (count, m, k, n): (usize, usize, usize, usize),
    one_thread: bool,
) -> Vec<T> {
    let len = count * m * n;
    if len == 0 || k == 0 {
        return vec![T::of(0.0); len];
    }
    // gemm writes every element of `out` (it does not read it), so it starts unfilled: a
    // zeroing pass over every product's output was a few percent of a training step.
    let mut out: Vec<T> = Vec::with_capacity(len);
    let dst = Shared(out.as_mut_ptr());
    let product = |i: usize, parallelism| {
        // SAFETY: `Strided::of` checked that every element of matrix `i` of both operands lies
        // inside its slice, and matrix `i` of `out` (an exclusive, contiguous m x n block of
        // its capacity) is written by this call alone.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                dst.at(i * m * n),
                1,
                n as isize,
                false,
                a.as_ptr().add(sa.offset + i * sa.batch),
                sa.col as isize,
                sa.row as isize,
                b.as_ptr().add(sb.offset + i * sb.batch),
                sb.col as isize,
                sb.row as isize,
                T::of(0.0),
                T::of(1.0),
                false,
                false,
                false,
                parallelism,
            )
        }
    };
    if one_thread {
        (0..count).for_each(|i| product(i, gemm::Parallelism::None));
    } else if count == 1 {
        // One product (a dense layer's): gemm splits it over the threads.
        product(0, gemm::Parallelism::Rayon(rayon::current_num_threads()));
    } else {
        (0..count)
            .into_par_iter()
            .for_each(|i| product(i, gemm::Parallelism::None));
    }
    // SAFETY: the products above wrote all `len` elements.
    unsafe { out.set_len(len) };
    out
}

impl CustomOp2 for BatchedMatmul {
    fn name(&self) -> &'static str {
        "bali-batched-matmul"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (count, m, k) = l1.shape().dims3()?;
        let (count2, k2, n) = l2.shape().dims3()?;
        if count2 != count || k2 != k {
            bail!(
                "{}: cannot multiply {:?} by {:?}",
                self.name(),
                l1.dims(),
                l2.dims()
            );
        }
        let dims = (count, m, k, n);
        let out = match (s1, s2) {
            (CpuStorage::F32(a), CpuStorage::F32(b)) => CpuStorage::F32(batched_products(
                a,
                Strided::of(l1, a.len(), self.name())?,
                b,
                Strided::of(l2, b.len(), self.name())?,
                dims,
                self.one_thread,
            )),
            (CpuStorage::F64(a), CpuStorage::F64(b)) => CpuStorage::F64(batched_products(
                a,
                Strided::of(l1, a.len(), self.name())?,
                b,
                Strided::of(l2, b.len(), self.name())?,
                dims,
                self.one_thread,
            )),
            (a, b) => bail!(
                "{} supports f32 and f64, not {:?} and {:?}",
                self.name(),
                a.dtype(),
                b.dtype()
            ),
        };
        Ok((out, Shape::from((count, m, n))))
    }

    fn bwd(
        &self,
        a: &Tensor,
        b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        // d(ab)/da = g b^T and d(ab)/db = a^T g: the same products over transposed views.
        let (a, b, grad) = (a.detach(), b.detach(), grad.detach());
        let da = grad.apply_op2_no_bwd(&b.transpose(1, 2)?, &BatchedMatmul::default())?;
        let db = a
            .transpose(1, 2)?
            .apply_op2_no_bwd(&grad, &BatchedMatmul::default())?;
        Ok((Some(da), Some(db)))
    }
}

// ---------------------------------------------------------------------------------------------
// Dropout and residual

/// `x * keep + residual`: a sublayer's output after dropout (the multipliers `keep`, 0 or
/// `1 / (1 - p)`), added to the sublayer's input. One node instead of two, so the backward
/// pass allocates, zeroes and accumulates one gradient fewer of the hidden states' size.
struct DropoutAdd;

fn dropout_add_values<T: Real>(x: &[T], r: &[T], keep: &[T]) -> Vec<T> {
    let mut out = vec![T::of(0.0); x.len()];
    out.par_chunks_mut(ELEMENTS_PER_TASK)
        .zip(x.par_chunks(ELEMENTS_PER_TASK))
        .zip(r.par_chunks(ELEMENTS_PER_TASK))
        .zip(keep.par_chunks(ELEMENTS_PER_TASK))
        .for_each(|(((o, x), r), k)| {
            for (((o, &x), &r), &k) in o.iter_mut().zip(x).zip(r).zip(k) {
                *o = x * k + r;
            }
        });
    out
}

impl CustomOp3 for DropoutAdd {
    fn name(&self) -> &'static str {
        "bali-dropout-add"
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
        if l2.dims() != l1.dims() || l3.dims() != l1.dims() {
            bail!(
                "{}: x {:?}, residual {:?} and multipliers {:?} differ",
                self.name(),
                l1.dims(),
                l2.dims(),
                l3.dims()
            );
        }
        dispatch3!(
            s1,
            l1,
            s2,
            l2,
            s3,
            l3,
            l1.shape().clone(),
            self.name(),
            |x, r, keep| { dropout_add_values(x, r, keep) }
        )
    }

    fn bwd(
        &self,
        _x: &Tensor,
        _residual: &Tensor,
        keep: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let grad = grad.detach();
        let dx = grad.clone().mul(keep)?;
        Ok((Some(dx), Some(grad), None))
    }
}

// ---------------------------------------------------------------------------------------------
// Layer norm

struct LayerNorm {
    eps: f64,
}

/// Mean and reciprocal standard deviation of a row (two passes, biased variance).
#[inline(always)]
fn moments<T: Real>(row: &[T], eps: f64) -> (T, T) {
    let n = T::of(row.len() as f64);
    let mean = lane_sum(row, row, row, |v, _, _| v) / n;
    let var = lane_sum(row, row, row, |v, _, _| (v - mean) * (v - mean));
    let rstd = T::of(1.0) / (var / n + T::of(eps)).sqrt();
    (mean, rstd)
}

fn layer_norm_rows<T: Real>(x: &[T], gamma: &[T], beta: &[T], eps: f64) -> Vec<T> {
    map_rows(x, gamma.len(), |row, out| {
        layer_norm_row(row, gamma, beta, eps, out)
    })
}

#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2"))]
fn layer_norm_row<T: Real>(row: &[T], gamma: &[T], beta: &[T], eps: f64, out: &mut [T]) {
    let (mean, rstd) = moments(row, eps);
    for (((o, &v), &g), &b) in out.iter_mut().zip(row).zip(gamma).zip(beta) {
        *o = (v - mean) * rstd * g + b;
    }
}

fn check_affine(l: &Layout, gamma: &Layout, beta: &Layout) -> candle_core::Result<usize> {
    let d = last_dim(l)?;
    if gamma.dims() != [d] || beta.dims() != [d] {
        bail!(
            "layer norm over {d} features with gamma {:?} and beta {:?}",
            gamma.dims(),
            beta.dims()
        );
    }
    Ok(d)
}

impl CustomOp3 for LayerNorm {
    fn name(&self) -> &'static str {
        "bali-layer-norm"
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
        check_affine(l1, l2, l3)?;
        let eps = self.eps;
        dispatch3!(
            s1,
            l1,
            s2,
            l2,
            s3,
            l3,
            l1.shape().clone(),
            self.name(),
            |x, g, b| layer_norm_rows(x, g, b, eps)
        )
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        _beta: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let dx = x.apply_op3_no_bwd(gamma, &grad, &LayerNormGradInput { eps: self.eps })?;
        let params = x.apply_op2_no_bwd(&grad, &LayerNormGradParams { eps: self.eps })?;
        Ok((Some(dx), Some(params.get(0)?), Some(params.get(1)?)))
    }
}

/// `dx = rstd * (g*gamma - mean(g*gamma) - xhat * mean(g*gamma*xhat))` per row.
struct LayerNormGradInput {
    eps: f64,
}

fn layer_norm_grad_rows<T: Real>(x: &[T], gamma: &[T], g: &[T], eps: f64) -> Vec<T> {
    let d = gamma.len();
    let mut out = vec![T::of(0.0); x.len()];
    out.par_chunks_mut(d)
        .zip(x.par_chunks(d).zip(g.par_chunks(d)))
        .with_min_len(MIN_ROWS_PER_TASK)
        .for_each(|(o, (row, gr))| layer_norm_grad_row(o, row, gr, gamma, eps));
    out
}

#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2"))]
fn layer_norm_grad_row<T: Real>(o: &mut [T], row: &[T], gr: &[T], gamma: &[T], eps: f64) {
    let n = T::of(gamma.len() as f64);
    let (mean, rstd) = moments(row, eps);
    let sum_gg = lane_sum(gr, gamma, gamma, |gi, ga, _| gi * ga);
    let sum_ggx = lane_sum(row, gr, gamma, |v, gi, ga| gi * ga * (v - mean) * rstd);
    let (m1, m2) = (sum_gg / n, sum_ggx / n);
    for (((o, &v), &gi), &ga) in o.iter_mut().zip(row).zip(gr).zip(gamma) {
        let xhat = (v - mean) * rstd;
        *o = rstd * (gi * ga - m1 - xhat * m2);
    }
}

impl CustomOp3 for LayerNormGradInput {
    fn name(&self) -> &'static str {
        "bali-layer-norm-grad-input"
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
        let eps = self.eps;
        dispatch3!(
            s1,
            l1,
            s2,
            l2,
            s3,
            l3,
            l1.shape().clone(),
            self.name(),
            |x, gamma, g| layer_norm_grad_rows(x, gamma, g, eps)
        )
    }
}

/// `[sum_rows(g * xhat); sum_rows(g)]`: the gradients of gamma and beta, shaped `[2, d]`.
struct LayerNormGradParams {
    eps: f64,
}

fn layer_norm_param_grads<T: Real>(x: &[T], g: &[T], d: usize, eps: f64) -> Vec<T> {
    // Fixed blocks of rows, each summed on its own, then the partial sums added in block
    // order: the result does not depend on how rayon schedules the blocks, so a resumed run
    // computes the same gradients to the bit (a work-stealing `fold`/`reduce` would not).
    let block = d * MIN_ROWS_PER_TASK;
    let partials: Vec<Vec<T>> = x
        .par_chunks(block)
        .zip(g.par_chunks(block))
        .map(|(xs, gs)| layer_norm_param_block(xs, gs, d, eps))
        .collect();
    add_partials(partials, 2 * d)
}

/// One block's `[sum_rows(g * xhat); sum_rows(g)]`.
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2"))]
fn layer_norm_param_block<T: Real>(xs: &[T], gs: &[T], d: usize, eps: f64) -> Vec<T> {
    let mut acc = vec![T::of(0.0); 2 * d];
    let (dg, db) = acc.split_at_mut(d);
    for (row, gr) in xs.chunks(d).zip(gs.chunks(d)) {
        let (mean, rstd) = moments(row, eps);
        for (((dg, db), &v), &gi) in dg.iter_mut().zip(db.iter_mut()).zip(row).zip(gr) {
            *dg += gi * (v - mean) * rstd;
            *db += gi;
        }
    }
    acc
}

impl CustomOp2 for LayerNormGradParams {
    fn name(&self) -> &'static str {
        "bali-layer-norm-grad-params"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let d = last_dim(l1)?;
        let eps = self.eps;
        let shape = Shape::from((2, d));
        dispatch2!(s1, l1, s2, l2, shape, self.name(), |x, g| {
            layer_norm_param_grads(x, g, d, eps)
        })
    }
}

// ---------------------------------------------------------------------------------------------
// GELU

struct Gelu {
    tanh: bool,
}

/// sqrt(2 / pi), the tanh approximation's scale.
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
/// 1 / sqrt(2 pi), the standard normal density at 0.
const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

#[inline(always)]
fn gelu_value<T: Real>(x: T, tanh: bool) -> T {
    let half = T::of(0.5);
    if tanh {
        let u = T::of(SQRT_2_OVER_PI) * (x + T::of(0.044715) * x * x * x);
        half * x * (T::of(1.0) + u.tanh())
    } else {
        half * x * (T::of(1.0) + (x * T::of(std::f64::consts::FRAC_1_SQRT_2)).erf())
    }
}

#[inline(always)]
fn gelu_derivative<T: Real>(x: T, tanh: bool) -> T {
    let half = T::of(0.5);
    if tanh {
        let u = T::of(SQRT_2_OVER_PI) * (x + T::of(0.044715) * x * x * x);
        let t = u.tanh();
        let du = T::of(SQRT_2_OVER_PI) * (T::of(1.0) + T::of(3.0 * 0.044715) * x * x);
        half * (T::of(1.0) + t) + half * x * (T::of(1.0) - t * t) * du
    } else {
        let cdf = half * (T::of(1.0) + (x * T::of(std::f64::consts::FRAC_1_SQRT_2)).erf());
        cdf + x * T::of(INV_SQRT_2PI) * (-(half * x * x)).exp()
    }
}

const ELEMENTS_PER_TASK: usize = 4096;

impl CustomOp1 for Gelu {
    fn name(&self) -> &'static str {
        "bali-gelu"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let tanh = self.tanh;
        dispatch1!(s, l, self.name(), |v| map_rows(
            v,
            ELEMENTS_PER_TASK.min(v.len().max(1)),
            |i, o| gelu_chunk(i, o, tanh)
        ))
    }

    fn bwd(
        &self,
        arg: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        Ok(Some(arg.apply_op2_no_bwd(
            &grad.contiguous()?,
            &GeluGrad { tanh: self.tanh },
        )?))
    }
}

/// `g * gelu'(x)`.
struct GeluGrad {
    tanh: bool,
}

impl CustomOp2 for GeluGrad {
    fn name(&self) -> &'static str {
        "bali-gelu-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let tanh = self.tanh;
        dispatch2!(s1, l1, s2, l2, l1.shape().clone(), self.name(), |x, g| {
            let mut out = vec![Real::of(0.0); x.len()];
            out.par_chunks_mut(ELEMENTS_PER_TASK)
                .zip(
                    x.par_chunks(ELEMENTS_PER_TASK)
                        .zip(g.par_chunks(ELEMENTS_PER_TASK)),
                )
                .for_each(|(o, (x, g))| gelu_grad_chunk(o, x, g, tanh));
            out
        })
    }
}

/// GELU of a chunk: one loop per variant, each free of calls and branches where it can be
/// (the exact GELU's erf is a rational function), so that the compiler vectorises it.
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2"))]
fn gelu_chunk<T: Real>(i: &[T], o: &mut [T], tanh: bool) {
    if tanh {
        for (o, &x) in o.iter_mut().zip(i) {
            *o = gelu_value(x, true);
        }
    } else {
        for (o, &x) in o.iter_mut().zip(i) {
            *o = gelu_value(x, false);
        }
    }
}

/// `g * gelu'(x)` over a chunk.
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2"))]
fn gelu_grad_chunk<T: Real>(o: &mut [T], x: &[T], g: &[T], tanh: bool) {
    if tanh {
        for ((o, &x), &g) in o.iter_mut().zip(x).zip(g) {
            *o = g * gelu_derivative(x, true);
        }
    } else {
        for ((o, &x), &g) in o.iter_mut().zip(x).zip(g) {
            *o = g * gelu_derivative(x, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::gradcheck::check;
    use candle_core::{Device, Var, D};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The kernels compiled for AVX-512 and AVX2 (whichever this machine runs) give the bits
    /// of the same arithmetic written as plain scalar loops here: the versions differ only in
    /// vector width, never in the operations or their order, so a run resumed on another
    /// machine continues exactly.
    #[test]
    fn vectorised_kernels_equal_their_scalar_arithmetic_bit_for_bit() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for len in [1, 7, 16, 45, 128, 385] {
            let row: Vec<f32> = (0..len).map(|_| rng.random_range(-6.0..6.0)).collect();
            let bias: Vec<f32> = (0..len)
                .map(|i| if i % 5 == 4 { -1e4 } else { 0.0 })
                .collect();
            let scale = 0.125f32;

            let mut fast = row.clone();
            masked_softmax_in_place(&mut fast, &bias, scale);
            let x: Vec<f32> = row
                .iter()
                .zip(&bias)
                .map(|(&v, &b)| v * scale + b)
                .collect();
            let max = x
                .iter()
                .fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m });
            let e: Vec<f32> = x.iter().map(|&v| exp_f32(v - max)).collect();
            let inv = 1.0 / lane_sum(&e, &e, &e, |v, _, _| v);
            let slow: Vec<f32> = e.iter().map(|&v| v * inv).collect();
            assert_eq!(bits(&fast), bits(&slow), "softmax, {len} keys");

            let g: Vec<f32> = (0..len).map(|_| rng.random_range(-1.0..1.0)).collect();
            let mut fast = g.clone();
            softmax_grad_in_place(&mut fast, &slow, scale);
            let dot = lane_sum(&slow, &g, &g, |p, g, _| p * g);
            let want: Vec<f32> = slow
                .iter()
                .zip(&g)
                .map(|(&p, &g)| scale * p * (g - dot))
                .collect();
            assert_eq!(bits(&fast), bits(&want), "softmax gradient, {len} keys");

            let (gamma, beta): (Vec<f32>, Vec<f32>) = (0..len)
                .map(|_| (rng.random_range(0.5..1.5), rng.random_range(-0.5..0.5)))
                .unzip();
            let mut fast = vec![0.0; len];
            layer_norm_row(&row, &gamma, &beta, 1e-12, &mut fast);
            let n = len as f32;
            let mean = lane_sum(&row, &row, &row, |v, _, _| v) / n;
            let var = lane_sum(&row, &row, &row, |v, _, _| (v - mean) * (v - mean));
            let rstd = 1.0 / (var / n + 1e-12f64 as f32).sqrt();
            let want: Vec<f32> = (0..len)
                .map(|i| (row[i] - mean) * rstd * gamma[i] + beta[i])
                .collect();
            assert_eq!(bits(&fast), bits(&want), "layer norm, {len} features");

            for tanh in [false, true] {
                let mut fast = vec![0.0; len];
                gelu_chunk(&row, &mut fast, tanh);
                let want: Vec<f32> = row.iter().map(|&x| gelu_value(x, tanh)).collect();
                assert_eq!(bits(&fast), bits(&want), "GELU (tanh {tanh}), {len} values");
                let mut fast = vec![0.0; len];
                gelu_grad_chunk(&mut fast, &row, &g, tanh);
                let want: Vec<f32> = row
                    .iter()
                    .zip(&g)
                    .map(|(&x, &g)| g * gelu_derivative(x, tanh))
                    .collect();
                assert_eq!(bits(&fast), bits(&want), "GELU gradient, {len} values");
            }
        }
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// A tensor of `shape` drawn uniformly from `[-scale, scale)` (also the attention tests').
    pub(super) fn random(shape: &[usize], seed: u64, scale: f64) -> Result<Tensor> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n: usize = shape.iter().product();
        let v: Vec<f64> = (0..n).map(|_| rng.random_range(-scale..scale)).collect();
        Ok(Tensor::from_vec(v, shape, &Device::Cpu)?)
    }

    /// The largest absolute difference of two tensors.
    pub(super) fn max_diff(a: &Tensor, b: &Tensor) -> Result<f64> {
        Ok(a.sub(b)?
            .abs()?
            .max_all()?
            .to_dtype(DType::F64)?
            .to_scalar()?)
    }

    #[test]
    fn single_precision_erf_is_within_half_a_micro_of_the_double_one() {
        let mut worst = 0f64;
        for i in -600_000..=600_000 {
            let x = i as f64 * 1e-5;
            let err = (erf_f32(x as f32) as f64 - candle_core::cpu::erf::erf_f64(x)).abs();
            worst = worst.max(err);
        }
        assert!(worst < 5e-7, "largest error {worst}");
        assert_eq!(erf_f32(0.0), 0.0);
        assert_eq!(erf_f32(-1.5), -erf_f32(1.5));
        assert!((erf_f32(f32::INFINITY) - 1.0).abs() < 1e-6);
        assert!((erf_f32(f32::NEG_INFINITY) + 1.0).abs() < 1e-6);
    }

    #[test]
    fn single_precision_exp_is_within_a_few_ulp_of_the_double_one() {
        let mut worst = 0f64;
        for i in -870_000..=880_000 {
            let x = i as f64 * 1e-4;
            let exact = x.exp();
            let err = ((exp_f32(x as f32) as f64 - (x as f32 as f64).exp()) / exact).abs();
            worst = worst.max(err);
        }
        assert!(worst < 3e-7, "largest relative error {worst}");
        assert_eq!(exp_f32(0.0), 1.0);
        // Subnormal results, underflow to exactly 0 (the attention bias of -10000), overflow,
        // and NaN.
        let tiny = exp_f32(-90.0) as f64;
        assert!((tiny / (-90f64).exp() - 1.0).abs() < 1e-4, "{tiny}");
        assert_eq!(exp_f32(-104.0), 0.0);
        assert_eq!(exp_f32(-10_000.0), 0.0);
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp_f32(89.0), f32::INFINITY);
        assert!(exp_f32(f32::NAN).is_nan());
    }

    #[test]
    fn column_sums_over_many_row_blocks_match_candles_sum() -> Result<()> {
        // 200 rows: four blocks of partial sums, the last one short.
        let x = random(&[200, 7], 21, 3.0)?;
        let ours = x.apply_op1_no_bwd(&ColumnSums)?;
        assert_eq!(ours.dims(), [7]);
        assert!(max_diff(&ours, &x.sum(0)?)? < 1e-12);
        // No columns, or no rows.
        let empty = Tensor::zeros((3, 0), DType::F64, &Device::Cpu)?;
        assert_eq!(empty.apply_op1_no_bwd(&ColumnSums)?.dims(), [0]);
        let none = Tensor::zeros((0, 4), DType::F64, &Device::Cpu)?;
        assert_eq!(
            none.apply_op1_no_bwd(&ColumnSums)?.to_vec1::<f64>()?,
            [0.0; 4]
        );
        Ok(())
    }

    #[test]
    fn batched_products_match_candles_matmul_on_strided_views() -> Result<()> {
        for dtype in [DType::F64, DType::F32] {
            let tol = if dtype == DType::F32 { 1e-5 } else { 1e-12 };
            let a = random(&[6, 5, 4], 31, 1.0)?.to_dtype(dtype)?;
            let b = random(&[6, 4, 3], 32, 1.0)?.to_dtype(dtype)?;
            assert!(max_diff(&batched_matmul(&a, &b)?, &a.matmul(&b)?)? < tol);
            // A transposed view (attention's K^T) and a narrowed one (an offset).
            let k = random(&[6, 3, 4], 33, 1.0)?.to_dtype(dtype)?;
            let kt = k.transpose(1, 2)?;
            assert!(max_diff(&batched_matmul(&a, &kt)?, &a.matmul(&kt.contiguous()?)?)? < tol);
            let wide = random(&[6, 4, 7], 34, 1.0)?.to_dtype(dtype)?;
            let part = wide.narrow(2, 2, 3)?;
            assert!(max_diff(&batched_matmul(&a, &part)?, &a.matmul(&part.contiguous()?)?)? < tol);
        }
        let (a, b) = (random(&[2, 3, 4], 35, 1.0)?, random(&[2, 5, 3], 36, 1.0)?);
        assert!(batched_matmul(&a, &b).is_err());
        Ok(())
    }

    #[test]
    fn batched_products_backward_matches_finite_differences() -> Result<()> {
        let a = Var::from_tensor(&random(&[3, 4, 5], 37, 1.0)?)?;
        let b = Var::from_tensor(&random(&[3, 2, 5], 38, 1.0)?)?;
        let w = random(&[3, 4, 2], 39, 1.0)?;
        // Through a transposed view, as attention's scores use K.
        let g = check(
            &[a.clone(), b.clone()],
            || {
                Ok(
                    batched_matmul(a.as_tensor(), &b.as_tensor().transpose(1, 2)?)?
                        .mul(&w)?
                        .sum_all()?,
                )
            },
            1e-6,
            60,
        )?;
        assert!(g.max_error < 1e-7, "{g:?}");
        Ok(())
    }

    #[test]
    fn kernels_agree_with_the_composed_candle_ops() -> Result<()> {
        for dtype in [DType::F64, DType::F32] {
            let tol = if dtype == DType::F32 { 1e-5 } else { 1e-12 };
            let x = random(&[3, 4, 37], 1, 4.0)?.to_dtype(dtype)?;
            let gamma = random(&[37], 2, 1.0)?.to_dtype(dtype)?;
            let beta = random(&[37], 3, 1.0)?.to_dtype(dtype)?;
            assert!(max_diff(&softmax_last(&x)?, &candle_nn::ops::softmax(&x, D::Minus1)?)? < tol);
            let composed = candle_nn::ops::layer_norm_slow(&x, &gamma, &beta, 1e-12)?;
            assert!(max_diff(&layer_norm(&x, &gamma, &beta, 1e-12)?, &composed)? < tol);
            assert!(max_diff(&gelu(&x, false)?, &x.gelu_erf()?)? < tol);
            assert!(max_diff(&gelu(&x, true)?, &x.gelu()?)? < tol);
            // The dense layer computes what the composed ops compute, to the bit.
            let rows = x.reshape((12, 37))?;
            let w = random(&[5, 37], 12, 1.0)?.to_dtype(dtype)?;
            let b = random(&[5], 13, 1.0)?.to_dtype(dtype)?;
            let composed = rows.matmul(&w.t()?)?.broadcast_add(&b)?;
            assert_eq!(max_diff(&linear(&rows, &w, &b)?, &composed)?, 0.0);
        }
        // A transposed (non-contiguous) input is made contiguous first.
        let x = random(&[5, 7], 4, 2.0)?;
        let t = x.t()?;
        assert!(
            max_diff(
                &softmax_last(&t)?,
                &candle_nn::ops::softmax(&t.contiguous()?, D::Minus1)?
            )? < 1e-12
        );
        Ok(())
    }

    #[test]
    fn backward_passes_match_finite_differences() -> Result<()> {
        let x = Var::from_tensor(&random(&[6, 9], 5, 2.0)?)?;
        let gamma = Var::from_tensor(&random(&[9], 6, 1.0)?)?;
        let beta = Var::from_tensor(&random(&[9], 7, 1.0)?)?;
        let w = random(&[6, 9], 8, 1.0)?;
        let weighted = |y: Tensor| -> Result<Tensor> { Ok(y.mul(&w)?.sum_all()?) };

        let sm = check(
            std::slice::from_ref(&x),
            || weighted(softmax_last(x.as_tensor())?),
            1e-6,
            54,
        )?;
        assert!(sm.max_error < 1e-7, "softmax {sm:?}");
        let ln = check(
            &[x.clone(), gamma.clone(), beta.clone()],
            || {
                weighted(layer_norm(
                    x.as_tensor(),
                    gamma.as_tensor(),
                    beta.as_tensor(),
                    1e-12,
                )?)
            },
            1e-6,
            54,
        )?;
        assert!(ln.max_error < 1e-7, "layer norm {ln:?}");
        let weight = Var::from_tensor(&random(&[4, 9], 12, 1.0)?)?;
        let lin_bias = Var::from_tensor(&random(&[4], 13, 1.0)?)?;
        let w2 = random(&[6, 4], 14, 1.0)?;
        let lin = check(
            &[x.clone(), weight.clone(), lin_bias.clone()],
            || {
                Ok(
                    linear(x.as_tensor(), weight.as_tensor(), lin_bias.as_tensor())?
                        .mul(&w2)?
                        .sum_all()?,
                )
            },
            1e-6,
            54,
        )?;
        assert!(lin.max_error < 1e-7, "linear {lin:?}");
        // Dropout and residual: the multipliers (0 or 1 / (1 - p)) get no gradient.
        let residual = Var::from_tensor(&random(&[6, 9], 15, 1.0)?)?;
        let keep = random(&[6, 9], 16, 1.0)?
            .ge(0.0)?
            .to_dtype(DType::F64)?
            .affine(1.25, 0.0)?;
        let da = check(
            &[x.clone(), residual.clone()],
            || weighted(dropout_add(x.as_tensor(), residual.as_tensor(), &keep)?),
            1e-6,
            54,
        )?;
        assert!(da.max_error < 1e-7, "dropout add {da:?}");
        let composed = x.as_tensor().mul(&keep)?.add(residual.as_tensor())?;
        assert!(
            max_diff(
                &dropout_add(x.as_tensor(), residual.as_tensor(), &keep)?,
                &composed
            )? < 1e-15
        );
        for tanh in [false, true] {
            let g = check(
                std::slice::from_ref(&x),
                || weighted(gelu(x.as_tensor(), tanh)?),
                1e-6,
                54,
            )?;
            assert!(g.max_error < 1e-7, "gelu tanh={tanh} {g:?}");
        }
        Ok(())
    }

    #[test]
    fn other_dtypes_are_not_fused() -> Result<()> {
        let x = Tensor::zeros((2, 3), DType::F16, &Device::Cpu)?;
        assert!(!supports(&x));
        assert!(supports(&x.to_dtype(DType::F32)?));
        Ok(())
    }
}
