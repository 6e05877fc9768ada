//! `bali-bench embed`: inference as the evaluation runs it, an ontology's names embedded by the
//! encoder, side by side with transformers under `torch.inference_mode()` on the same token ids
//! (`bench/scripts/embed_torch.py`).
//!
//! The names are the `name:` and `synonym:` lines of an OBO file (HPO: 41,498), the first
//! `--names` of them; both sides get bali's token ids (tokenisation is not timed on either
//! side) and embed them the evaluation's way ([`bali::train::eval::embed`]): sorted by length,
//! `batch` at a time, each batch padded to its longest name, mean-pooled, L2-normalised. A few
//! batches of the shortest names run first, untimed, on both sides. The peer also reads our
//! embeddings and reports the largest difference to its own, so a fast wrong answer shows.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use bali::error::{BaliError, IoResultExt, Result};
use bali::stages::samples::load_tokenizer;
use bali::train::bert::{Bert, BertConfig};
use bali::train::eval::{embed, tokenize, MAX_TOKENS};

use super::graph::ontology_names;
use super::peer::{PeerOutcome, TorchPeer};
use super::process::{peak_rss, reset_peak_rss, Stopwatch};
use super::table::{mib, seconds, Table};
use super::train::PYTHONPATH_VAR;

/// Batches of the shortest names run untimed first.
const WARMUP_BATCHES: usize = 2;

/// How to run the benchmark.
#[derive(Debug, Clone)]
pub struct EmbedBenchOptions {
    /// A Hugging Face BERT directory (config.json, model.safetensors, tokenizer).
    pub model: PathBuf,
    /// The OBO file whose names are embedded.
    pub obo: PathBuf,
    /// At most this many names (the first ones of the file); 0 for all.
    pub names: usize,
    /// Names per batch (the evaluation's `batch_size`).
    pub batch: usize,
    /// Threads (rayon pool and gemm; PyTorch's intra-op pool).
    pub threads: usize,
    /// Run the PyTorch peer.
    pub peers: bool,
    /// The peer's Python interpreter.
    pub python: String,
    /// The peer script.
    pub torch_script: PathBuf,
    /// `PYTHONPATH` for the peer (default: `$BALI_BENCH_PYTHONPATH`).
    pub pythonpath: Option<String>,
}

impl Default for EmbedBenchOptions {
    fn default() -> Self {
        EmbedBenchOptions {
            model: PathBuf::new(),
            obo: PathBuf::new(),
            names: 0,
            batch: 128,
            threads: 2,
            peers: true,
            python: "python3".to_string(),
            torch_script: super::repo_path("bench/scripts/embed_torch.py"),
            pythonpath: std::env::var(PYTHONPATH_VAR).ok(),
        }
    }
}

/// One side's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbedFigures {
    /// Wall seconds of the timed pass.
    pub wall_s: f64,
    /// CPU seconds of it (all threads), where the platform reports them.
    pub cpu_s: Option<f64>,
    /// Names per second.
    pub texts_per_s: f64,
    /// Real (unpadded) tokens per second.
    pub tokens_per_s: f64,
}

/// What the PyTorch peer reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TorchEmbed {
    /// Its figures.
    #[serde(flatten)]
    pub figures: EmbedFigures,
    /// Its threads.
    pub threads: usize,
    /// Its peak RSS.
    pub peak_rss_bytes: Option<u64>,
    /// torch and transformers versions.
    pub versions: Versions,
    /// transformers' attention implementation.
    pub attention: String,
    /// Largest absolute difference between our embeddings and its own.
    pub max_abs_diff: Option<f64>,
    /// Smallest cosine between our embedding of a name and its own.
    pub min_cosine: Option<f64>,
}

/// Library versions of the peer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Versions {
    /// torch.
    pub torch: String,
    /// transformers.
    pub transformers: String,
}

/// The benchmark's report.
#[derive(Debug, Clone, Serialize)]
pub struct EmbedBenchReport {
    /// The model.
    pub model: PathBuf,
    /// The OBO file.
    pub obo: PathBuf,
    /// Names embedded.
    pub names: usize,
    /// Their real tokens (`[CLS]` and `[SEP]` included).
    pub tokens: usize,
    /// Names per batch.
    pub batch: usize,
    /// Threads.
    pub threads: usize,
    /// Our figures.
    pub ours: EmbedFigures,
    /// Our peak RSS.
    pub peak_rss_bytes: Option<u64>,
    /// The peer.
    pub torch: PeerOutcome<TorchEmbed>,
    /// Our names/s over the peer's.
    pub ours_over_torch: Option<f64>,
}

/// Runs the benchmark: our pass, then the peer's on the same ids.
pub fn bench_embed(options: &EmbedBenchOptions) -> Result<EmbedBenchReport> {
    if options.batch == 0 || options.threads == 0 {
        return Err(BaliError::Spec(
            "error: bali-bench embed: --batch and --threads must be positive".into(),
        ));
    }
    let config = BertConfig::from_file(&options.model.join("config.json"))?;
    let tokenizer = load_tokenizer(&options.model)?;
    let pad = tokenizer.special().pad;
    let mut names: Vec<String> = ontology_names(&options.obo)?
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    if options.names > 0 {
        names.truncate(options.names);
    }
    if names.is_empty() {
        return Err(BaliError::Spec(format!(
            "error: bali-bench embed: {} has no names",
            options.obo.display()
        )));
    }
    let texts: Vec<&str> = names.iter().map(String::as_str).collect();
    let max_tokens = MAX_TOKENS.min(config.max_position_embeddings);
    let ids = tokenize(&tokenizer, &texts, max_tokens)?;
    let tokens: usize = ids.iter().map(Vec::len).sum();

    // candle reads RAYON_NUM_THREADS on every matrix product to split it for gemm.
    std::env::set_var("RAYON_NUM_THREADS", options.threads.to_string());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .thread_name(|i| format!("bali-bench-embed-{i}"))
        .build()
        .map_err(|e| BaliError::Internal(format!("cannot start the benchmark's threads: {e}")))?;
    let device = candle_core::Device::Cpu;
    let (ours, vectors) = pool.install(|| -> Result<(EmbedFigures, Vec<f32>)> {
        let bert = Bert::load(
            &options.model,
            &candle_nn::VarMap::new(),
            candle_core::DType::F32,
            &device,
        )?
        .detached()?;
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| (ids[i].len(), i));
        let warm: Vec<Vec<u32>> = order
            .iter()
            .take(WARMUP_BATCHES * options.batch)
            .map(|&i| ids[i].clone())
            .collect();
        embed(&bert, &warm, pad, options.batch, &device)?;
        reset_peak_rss();
        let clock = Stopwatch::start();
        let vectors = embed(&bert, &ids, pad, options.batch, &device)?;
        let lap = clock.stop();
        Ok((
            EmbedFigures {
                wall_s: lap.wall,
                cpu_s: lap.cpu,
                texts_per_s: ids.len() as f64 / lap.wall,
                tokens_per_s: tokens as f64 / lap.wall,
            },
            vectors,
        ))
    })?;
    let peak_rss_bytes = peak_rss();

    let torch = if options.peers {
        run_torch(options, &ids, pad, &vectors)
    } else {
        PeerOutcome::Skipped {
            reason: "--no-peers".into(),
        }
    };
    Ok(EmbedBenchReport {
        model: options.model.clone(),
        obo: options.obo.clone(),
        names: ids.len(),
        tokens,
        batch: options.batch,
        threads: options.threads,
        ours_over_torch: torch
            .ran()
            .map(|t| ours.texts_per_s / t.figures.texts_per_s),
        ours,
        peak_rss_bytes,
        torch,
    })
}

/// The peer's input.
#[derive(Serialize)]
struct PeerInput<'a> {
    threads: usize,
    batch: usize,
    warmup: usize,
    pad: u32,
    ids: &'a [Vec<u32>],
}

/// Runs the PyTorch peer on the same ids: `not run` when the interpreter cannot import torch
/// and transformers, `failed` when the pass itself fails.
fn run_torch(
    options: &EmbedBenchOptions,
    ids: &[Vec<u32>],
    pad: u32,
    ours: &[f32],
) -> PeerOutcome<TorchEmbed> {
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => return PeerOutcome::from_result(Err(BaliError::io("a temporary folder", e))),
    };
    let (input, vectors) = (dir.path().join("ids.json"), dir.path().join("ours.f32"));
    let job = PeerInput {
        threads: options.threads,
        batch: options.batch,
        warmup: WARMUP_BATCHES,
        pad,
        ids,
    };
    let written = serde_json::to_vec(&job)
        .map_err(BaliError::from)
        .and_then(|bytes| std::fs::write(&input, bytes).at(&input))
        .and_then(|()| {
            let bytes: Vec<u8> = ours.iter().flat_map(|v| v.to_le_bytes()).collect();
            std::fs::write(&vectors, bytes).at(&vectors)
        });
    if let Err(e) = written {
        return PeerOutcome::from_result(Err(e));
    }
    let peer = TorchPeer {
        python: &options.python,
        pythonpath: options.pythonpath.as_deref(),
        threads: options.threads,
    };
    peer.run(
        &[
            options.torch_script.as_os_str(),
            "--model".as_ref(),
            options.model.as_os_str(),
            "--input".as_ref(),
            input.as_os_str(),
            "--ours".as_ref(),
            vectors.as_os_str(),
        ],
        PYTHONPATH_VAR,
    )
}

fn figures_row(name: &str, f: &EmbedFigures, rss: Option<u64>, reference: f64) -> Vec<String> {
    vec![
        name.to_string(),
        format!("{:.2}", f.wall_s),
        seconds(f.cpu_s, 2),
        format!("{:.0}", f.texts_per_s),
        format!("{:.0}", f.tokens_per_s),
        mib(rss),
        format!("{:.2}x", f.texts_per_s / reference),
    ]
}

impl fmt::Display for EmbedBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "model: {}; {} names of {} ({} tokens, {:.1} per name), {} per batch sorted by \
             length; {} threads; tokenisation not timed",
            self.model.display(),
            self.names,
            self.obo.display(),
            self.tokens,
            self.tokens as f64 / self.names as f64,
            self.batch,
            self.threads
        )?;
        let mut table = Table::new(&[
            "embed",
            "wall s",
            "CPU s",
            "names/s",
            "tokens/s",
            "peak RSS",
            "names/s vs bali",
        ]);
        let reference = self.ours.texts_per_s;
        table.row(figures_row(
            "bali (candle)",
            &self.ours,
            self.peak_rss_bytes,
            reference,
        ));
        match &self.torch {
            PeerOutcome::Ran(t) => {
                let name = format!(
                    "PyTorch {} + transformers {} ({}, inference_mode)",
                    t.versions.torch, t.versions.transformers, t.attention
                );
                table.row(figures_row(&name, &t.figures, t.peak_rss_bytes, reference));
            }
            other => {
                table.row(vec![
                    "PyTorch + transformers".into(),
                    other.why_not().unwrap_or_default(),
                ]);
            }
        }
        write!(f, "{table}")?;
        if let Some(t) = self.torch.ran() {
            if let (Some(diff), Some(cos)) = (t.max_abs_diff, t.min_cosine) {
                writeln!(
                    f,
                    "agreement: largest |difference| {diff:.2e}, smallest cosine {cos:.6}"
                )?;
            }
            if t.threads != self.threads {
                writeln!(
                    f,
                    "warning: PyTorch ran on {} threads, not {}",
                    t.threads, self.threads
                )?;
            }
        }
        if let Some(ratio) = self.ours_over_torch {
            writeln!(
                f,
                "bali / PyTorch names/s: {ratio:.2} (target >= 1: {})",
                if ratio >= 1.0 { "met" } else { "not met" }
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeds_every_name_of_the_ontology_and_reports_without_a_peer() -> Result<()> {
        let options = EmbedBenchOptions {
            model: super::super::repo_path("sample_data/models/tiny-bert"),
            obo: super::super::repo_path("sample_data/ontology/mini.obo"),
            batch: 4,
            threads: 1,
            peers: false,
            ..EmbedBenchOptions::default()
        };
        let names = ontology_names(&options.obo)?.len();
        let report = bench_embed(&options)?;
        assert_eq!(report.names, names);
        assert!(
            report.tokens >= 3 * names,
            "[CLS], a token and [SEP] at least"
        );
        assert!(report.ours.texts_per_s > 0.0 && report.ours_over_torch.is_none());
        let text = report.to_string();
        assert!(
            text.contains("bali (candle)") && text.contains("--no-peers"),
            "{text}"
        );
        // --names keeps the first ones.
        let two = bench_embed(&EmbedBenchOptions {
            names: 2,
            ..options
        })?;
        assert_eq!(two.names, 2);
        Ok(())
    }
}
