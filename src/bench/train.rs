//! Micro-benchmark of the language-model half of a training step: the BERT encoder's forward
//! pass, the MLM loss at the masked positions, and the backward pass through both, on a batch
//! of `batch x seq_len` tokens.
//!
//! The optimiser step is timed separately (candle-nn's dense `AdamW` over the encoder and the
//! head) so that the encoder's own cost can be compared with PyTorch's and with BUILD.md's
//! naive figures (MiniLM, 8 x 128, 2 threads: forward 0.33 s, backward 1.57 s, AdamW 0.58 s).

use std::path::PathBuf;
use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use candle_nn::{Optimizer, VarMap};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tracing::info;

use crate::error::Result;
use crate::train::bert::{Bert, Mode};
use crate::train::mlm::{mask_tokens, MaskingOptions, MlmHead};

/// What to time.
#[derive(Debug, Clone)]
pub struct EncoderBench {
    /// A Hugging Face BERT directory (config.json, model.safetensors).
    pub model: PathBuf,
    /// Sentences per batch.
    pub batch: usize,
    /// Tokens per sentence, `[CLS]` and `[SEP]` included; every token is real (no padding).
    pub seq_len: usize,
    /// Timed steps; the reported figures are medians.
    pub steps: usize,
    /// Untimed steps first (allocator and thread-pool warm-up).
    pub warmup: usize,
    /// Also time candle-nn's `AdamW` after each backward pass.
    pub adamw: bool,
}

/// Median seconds per phase of one step, and the resulting throughput.
#[derive(Debug, Clone)]
pub struct EncoderBenchReport {
    /// Encoder forward (training mode, dropout on).
    pub forward_s: f64,
    /// MLM head and loss at the masked positions.
    pub mlm_s: f64,
    /// `loss.backward()` through head and encoder.
    pub backward_s: f64,
    /// candle-nn `AdamW` over every encoder and head parameter (0 when not timed).
    pub adamw_s: f64,
    /// Forward + MLM + backward (without the optimiser).
    pub step_s: f64,
    /// CPU seconds (all threads of the process) per forward + MLM + backward, where the OS
    /// reports it (Linux): unlike wall time, it does not grow when other processes compete
    /// for the cores, so it compares variants on a shared machine.
    pub step_cpu_s: Option<f64>,
    /// `batch * seq_len / step_s`.
    pub tokens_per_s: f64,
    /// Number of masked positions per step (mean).
    pub masked: usize,
    /// Threads in rayon's global pool (gemm's parallelism; `RAYON_NUM_THREADS`).
    pub threads: usize,
}

/// CPU time of this process (user + system, all threads) from `/proc/self/stat`, in seconds;
/// `None` where that file does not exist. Linux reports it in clock ticks of 1/100 s.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs the benchmark on the CPU in f32.
pub fn encoder_step(opts: &EncoderBench) -> Result<EncoderBenchReport> {
    let dev = Device::Cpu;
    let varmap = VarMap::new();
    let bert = Bert::load(&opts.model, &varmap, DType::F32, &dev)?;
    let config = bert.config().clone();
    let head = MlmHead::new(&config, 29, &varmap, DType::F32, &dev)?;
    let mut opt = candle_nn::AdamW::new(varmap.all_vars(), candle_nn::ParamsAdamW::default())?;
    let mut rng = ChaCha8Rng::seed_from_u64(29);
    let (b, t) = (opts.batch, opts.seq_len);
    let vocab = config.vocab_size as u32;
    // Token ids do not change the cost; the layout [CLS] words [SEP] mirrors real samples.
    let (cls, sep, pad, mask_id) = (101u32, 102u32, 0u32, 103u32);
    let mut times: [Vec<f64>; 4] = Default::default();
    let mut cpu = Vec::new();
    let mut masked_total = 0;
    for step in 0..opts.warmup + opts.steps.max(1) {
        let ids: Vec<u32> = (0..b * t)
            .map(|i| match i % t {
                0 => cls,
                j if j == t - 1 => sep,
                _ => rng.random_range(1000..vocab),
            })
            .collect();
        let masked = mask_tokens(
            &ids,
            &[cls, sep, pad],
            mask_id,
            vocab,
            &MaskingOptions::default(),
            &mut rng,
        );
        let (input, positions, labels) = masked.to_tensors(b, t, &dev)?;
        let attention = Tensor::ones((b, t), DType::U32, &dev)?;

        let c0 = process_cpu_seconds();
        let t0 = Instant::now();
        let hidden = bert.forward(&input, None, &attention, &mut Mode::Train(&mut rng))?;
        let t1 = Instant::now();
        let loss = head.loss(&hidden, &positions, &labels)?;
        loss.to_scalar::<f32>()?;
        let t2 = Instant::now();
        let grads = loss.backward()?;
        let t3 = Instant::now();
        let c1 = process_cpu_seconds();
        if opts.adamw {
            opt.step(&grads)?;
        }
        drop(grads);
        let t4 = Instant::now();
        if step >= opts.warmup {
            if let (Some(a), Some(z)) = (c0, c1) {
                cpu.push(z - a);
            }
            masked_total += masked.positions.len();
            for (slot, (a, z)) in times
                .iter_mut()
                .zip([(t0, t1), (t1, t2), (t2, t3), (t3, t4)])
            {
                slot.push((z - a).as_secs_f64());
            }
        }
    }
    let steps = opts.steps.max(1);
    let [fwd, mlm, bwd, adamw] = times;
    let step_s: Vec<f64> = (0..steps).map(|i| fwd[i] + mlm[i] + bwd[i]).collect();
    let step_s = median(step_s);
    let report = EncoderBenchReport {
        forward_s: median(fwd),
        mlm_s: median(mlm),
        backward_s: median(bwd),
        adamw_s: median(adamw),
        step_s,
        step_cpu_s: (cpu.len() == steps).then(|| cpu.iter().sum::<f64>() / steps as f64),
        tokens_per_s: (b * t) as f64 / step_s,
        masked: masked_total / steps,
        threads: rayon::current_num_threads(),
    };
    info!(?report, "encoder benchmark");
    Ok(report)
}
