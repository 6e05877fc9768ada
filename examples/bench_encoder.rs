//! Times forward + MLM + backward (+ AdamW) of a BERT checkpoint on one batch.
//!
//!     RAYON_NUM_THREADS=2 cargo run --example bench_encoder -- MODEL_DIR [BATCH SEQ_LEN STEPS ADAMW]
//!
//! e.g. MODEL_DIR = ../shared/models/all-minilm-l6-v2 (MiniLM, 8 x 128 tokens by default).

use std::path::PathBuf;

use bali::bench::train::{encoder_step, EncoderBench};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(model) = args.first() else {
        eprintln!("usage: bench_encoder MODEL_DIR [BATCH SEQ_LEN STEPS ADAMW]");
        std::process::exit(2);
    };
    let num = |i: usize, default: usize| -> Result<usize, std::num::ParseIntError> {
        args.get(i).map_or(Ok(default), |s| s.parse())
    };
    let opts = EncoderBench {
        model: PathBuf::from(model),
        batch: num(1, 8)?,
        seq_len: num(2, 128)?,
        steps: num(3, 5)?,
        warmup: 1,
        adamw: num(4, 1)? != 0,
    };
    let r = encoder_step(&opts)?;
    println!(
        "{} x {} tokens, {} masked, {} threads: forward {:.3} s, mlm {:.3} s, backward {:.3} s, \
         step (fwd+mlm+bwd) {:.3} s = {:.0} tokens/s, {} CPU s; AdamW {:.3} s",
        opts.batch,
        opts.seq_len,
        r.masked,
        r.threads,
        r.forward_s,
        r.mlm_s,
        r.backward_s,
        r.step_s,
        r.tokens_per_s,
        r.step_cpu_s.map_or("?".to_string(), |c| format!("{c:.2}")),
        r.adamw_s
    );
    Ok(())
}
