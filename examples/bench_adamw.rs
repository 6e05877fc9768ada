//! Times one AdamW update over the parameters of a BALI training step on the MiniLM checkpoint:
//! the encoder's 22.7M parameters, a 2-layer GATv2 with its read-out, and an MLM head of the
//! shapes the trainer uses (dense d x d, LayerNorm, decoder V x d + bias). Compares candle-nn's
//! `AdamW`, bali's tensor-op path and bali's fused CPU path on the same parameters and gradients.
//!
//!     RAYON_NUM_THREADS=2 cargo run --example bench_adamw -- ../shared/models/all-minilm-l6-v2
//!
//! Built with the dev profile (bali and candle are optimised there; see Cargo.toml).

use std::time::Instant;

use bali::train::graph::{GraphConfig, GraphModel};
use bali::train::optim::{AdamW, OptimConfig};
use bali::train::rng::TrainRng;
use bali::Result;
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{Optimizer, VarMap};

fn main() -> Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/models/all-minilm-l6-v2".into());
    let dev = Device::Cpu;
    let build = || -> Result<VarMap> {
        let varmap = VarMap::new();
        let tensors = candle_core::safetensors::load(format!("{dir}/model.safetensors"), &dev)?;
        let mut rng = TrainRng::new(29);
        {
            let mut vars = varmap
                .data()
                .lock()
                .map_err(|_| bali::BaliError::Internal("lock".into()))?;
            for (name, t) in tensors.into_iter().filter(|(_, t)| t.dtype() == DType::F32) {
                vars.insert(name, Var::from_tensor(&t)?);
            }
            let hidden = 384;
            let vocab = 30522;
            for (name, shape) in [
                ("mlm.dense.weight", vec![hidden, hidden]),
                ("mlm.dense.bias", vec![hidden]),
                ("mlm.layer_norm.weight", vec![hidden]),
                ("mlm.layer_norm.bias", vec![hidden]),
                ("mlm.decoder.weight", vec![vocab, hidden]),
                ("mlm.decoder.bias", vec![vocab]),
            ] {
                let t = rng.uniform(shape.as_slice(), 0.02, DType::F32, &dev)?;
                vars.insert(name.into(), Var::from_tensor(&t)?);
            }
        }
        let config = GraphConfig {
            layers: 2,
            ..GraphConfig::default()
        };
        GraphModel::new(&varmap, &config, 384, DType::F32, &dev, &mut rng)?;
        Ok(varmap)
    };

    let varmap = build()?;
    let vars = varmap.all_vars();
    let count: usize = vars.iter().map(|v| v.elem_count()).sum();
    // Gradients of a loss touching every parameter: d/dp sum(p * c) = c.
    let grads = || -> Result<candle_core::backprop::GradStore> {
        let mut loss = Tensor::zeros((), DType::F32, &dev)?;
        for v in &vars {
            loss = (loss + (v.as_tensor() * 1e-3)?.sum_all()?)?;
        }
        Ok(loss.backward()?)
    };
    let g = grads()?;
    println!(
        "{} tensors, {:.1}M parameters, rayon threads {}",
        vars.len(),
        count as f64 / 1e6,
        rayon::current_num_threads()
    );

    let repeats = 5;
    let time = |name: &str, step: &mut dyn FnMut() -> Result<()>| -> Result<()> {
        step()?; // warm-up: first-touch allocation of the moments
        let start = Instant::now();
        for _ in 0..repeats {
            step()?;
        }
        println!(
            "{name:<28} {:>8.1} ms per step",
            start.elapsed().as_secs_f64() * 1e3 / repeats as f64
        );
        Ok(())
    };

    let mut candle_opt = candle_nn::AdamW::new(
        vars.clone(),
        candle_nn::ParamsAdamW {
            lr: 2e-5,
            weight_decay: 0.01,
            ..Default::default()
        },
    )?;
    time("candle_nn::AdamW", &mut || Ok(candle_opt.step(&g)?))?;
    let mut tensor_ops = AdamW::with_backend(&varmap, OptimConfig::default(), 1000, false)?;
    time("bali AdamW, tensor ops", &mut || {
        tensor_ops.step(&g).map(|_| ())
    })?;
    let mut fused = AdamW::new(&varmap, OptimConfig::default(), 1000)?;
    time("bali AdamW, fused CPU", &mut || fused.step(&g).map(|_| ()))?;
    let clipped = OptimConfig {
        max_grad_norm: Some(1.0),
        ..OptimConfig::default()
    };
    let mut fused_clip = AdamW::new(&varmap, clipped, 1000)?;
    time("bali AdamW, fused + clipping", &mut || {
        fused_clip.step(&g).map(|_| ())
    })?;
    Ok(())
}
