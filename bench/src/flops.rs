//! The floating-point work of a training step, counted once from its shapes, and the machine's
//! fp32 peak, so that `bench train` reports each side's GFLOP/s per phase and its share of the
//! peak (both sides run the same batches, so one count serves both).

use std::time::Instant;

use serde::Serialize;

use bali::train::batch::HostBatch;
use bali::train::bert::config::BertConfig;

/// Floating-point operations AdamW spends per parameter, in PyTorch's order: the decay (1),
/// the first moment's lerp (3), the second moment (4), and the update `step * m / (sqrt(v) /
/// sqrt(bc2) + eps)` (6, the square root counted as one).
pub const ADAMW_FLOPS_PER_PARAMETER: f64 = 14.0;

/// Operations per phase of one step (means over the timed steps).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StepFlops {
    /// The matrix products of the forward pass (2 per multiply-add): the encoder's dense layers
    /// and attention over the padded sentences and names, and the MLM head over the masked
    /// positions. The graph encoder's products (a few stars of 384-wide vectors) and the
    /// element-wise work are not counted.
    pub forward: f64,
    /// Twice the forward products: the gradients of each product's input and weight.
    pub backward: f64,
    /// [`ADAMW_FLOPS_PER_PARAMETER`] per trainable parameter.
    pub optimizer: f64,
}

/// Forward matrix-product operations of the encoder over `rows` sequences of `len` tokens.
fn encoder(config: &BertConfig, rows: usize, len: usize) -> f64 {
    let (d, inter) = (config.hidden_size as f64, config.intermediate_size as f64);
    let tokens = (rows * len) as f64;
    // Q, K, V and the attention output (4 d^2), the feed-forward pair (2 d I); scores and the
    // context, each `len x d` per token.
    let dense = 2.0 * (4.0 * d * d + 2.0 * d * inter);
    let attention = 2.0 * 2.0 * len as f64 * d;
    config.num_hidden_layers as f64 * tokens * (dense + attention)
}

impl StepFlops {
    /// The mean count over `batches`, for a model of `parameters` trainable parameters.
    pub fn of(config: &BertConfig, batches: &[HostBatch], parameters: u64) -> StepFlops {
        let d = config.hidden_size as f64;
        let one = |b: &HostBatch| {
            let mlm = 2.0 * b.mlm_positions.len() as f64 * (d * d + d * config.vocab_size as f64);
            encoder(config, b.text.rows, b.text.cols)
                + encoder(config, b.names.rows, b.names.cols)
                + mlm
        };
        let forward = batches.iter().map(one).sum::<f64>() / batches.len().max(1) as f64;
        StepFlops {
            forward,
            backward: 2.0 * forward,
            optimizer: ADAMW_FLOPS_PER_PARAMETER * parameters as f64,
        }
    }
}

/// The machine's fp32 peak, nominal and attained.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Peak {
    /// cores x 2 FMA units x SIMD lanes x 2 x clock, from `/proc/cpuinfo` (Linux x86 only);
    /// turbo clocks run above the listed one, so a step can exceed it.
    pub nominal_gflops: Option<f64>,
    /// How the nominal figure was formed.
    pub nominal_formula: Option<String>,
    /// The best of three runs of gemm (the kernel candle and bali use) on one 2048^3 product on
    /// the step's threads: what this machine attains on a large product.
    pub gemm_gflops: f64,
}

/// The nominal peak from `/proc/cpuinfo`: the clock of its first processor and the widest of
/// AVX-512 (16 f32 lanes), AVX2 (8) or SSE (4) in its flags, over `threads` cores.
fn nominal(threads: usize) -> Option<(f64, String)> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let field = |name: &str| {
        info.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split(':').nth(1))
            .map(str::trim)
    };
    let mhz: f64 = field("cpu MHz")?.parse().ok()?;
    let flags: Vec<&str> = field("flags")?.split_whitespace().collect();
    let (lanes, isa) = if flags.contains(&"avx512f") {
        (16.0, "AVX-512")
    } else if flags.contains(&"avx2") && flags.contains(&"fma") {
        (8.0, "AVX2")
    } else {
        (4.0, "SSE")
    };
    let gflops = threads as f64 * 2.0 * lanes * 2.0 * mhz / 1000.0;
    let formula = format!(
        "{threads} cores x 2 FMA units x {lanes} f32 lanes ({isa}) x 2 x {:.2} GHz",
        mhz / 1000.0
    );
    Some((gflops, formula))
}

/// Measures [`Peak::gemm_gflops`] on the current rayon pool (`threads` wide).
pub fn peak(threads: usize) -> Peak {
    const N: usize = 2048;
    let a = vec![0.5f32; N * N];
    let b = vec![0.25f32; N * N];
    let mut c = vec![0f32; N * N];
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        // SAFETY: three N x N row-major matrices, each of N * N elements.
        unsafe {
            gemm::gemm(
                N,
                N,
                N,
                c.as_mut_ptr(),
                1,
                N as isize,
                false,
                a.as_ptr(),
                1,
                N as isize,
                b.as_ptr(),
                1,
                N as isize,
                0.0,
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::Rayon(threads),
            )
        };
        best = best.min(start.elapsed().as_secs_f64());
    }
    std::hint::black_box(&c);
    let (nominal_gflops, nominal_formula) = match nominal(threads) {
        Some((g, f)) => (Some(g), Some(f)),
        None => (None, None),
    };
    Peak {
        nominal_gflops,
        nominal_formula,
        gemm_gflops: 2.0 * (N * N * N) as f64 / best / 1e9,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minilm_forward_products_are_counted_from_the_shapes() {
        // MiniLM: d 384, I 1536, 6 layers, V 30522.
        let config = BertConfig {
            hidden_size: 384,
            intermediate_size: 1536,
            num_hidden_layers: 6,
            vocab_size: 30522,
            ..BertConfig::default()
        };
        // 8 x 128 sentence tokens: per token and layer 2 (4 d^2 + 2 d I) + 4 T d.
        let per_token_layer =
            2.0 * (4.0 * 384.0 * 384.0 + 2.0 * 384.0 * 1536.0) + 4.0 * 128.0 * 384.0;
        let expected = 6.0 * 1024.0 * per_token_layer;
        assert_eq!(encoder(&config, 8, 128), expected);
        assert!((expected / 1e9 - 22.9).abs() < 0.1, "{expected}");
    }
}
