//! Times the graph side of one BALI training step at MiniLM's hidden size (384): building the
//! batched star graph, GATv2 (or GraphSAGE) + read-out + NT-Xent forward, and backward down to
//! the node features and mention vectors. The batch is the trainer benchmark's: 8 stars of
//! 1 target + 3 neighbours = 32 node names.
//!
//!     RAYON_NUM_THREADS=2 cargo run --example bench_graph
//!
//! Built with the dev profile (bali and candle are optimised there; see Cargo.toml).

use std::time::Instant;

use bali::train::align::{alignment_loss, DEFAULT_TEMPERATURE};
use bali::train::graph::{GraphBatch, GraphConfig, GraphLayerKind, GraphModel, Star};
use bali::train::rng::TrainRng;
use bali::Result;
use candle_core::{DType, Device, Var};
use candle_nn::VarMap;

fn main() -> Result<()> {
    let dev = Device::Cpu;
    let hidden = 384;
    let stars: Vec<Star> = (0..8u32)
        .map(|t| Star {
            target: 4 * t,
            neighbours: vec![4 * t + 1, 4 * t + 2, 4 * t + 3],
        })
        .collect();
    let labels: Vec<u32> = (0..8).collect();
    println!(
        "8 stars, 32 nodes, hidden {hidden}, rayon threads {}",
        rayon::current_num_threads()
    );
    for (layer, layers) in [
        (GraphLayerKind::Gatv2, 2),
        (GraphLayerKind::Gatv2, 5),
        (GraphLayerKind::Graphsage, 2),
    ] {
        let varmap = VarMap::new();
        let mut rng = TrainRng::new(29);
        let config = GraphConfig {
            layer,
            layers,
            ..GraphConfig::default()
        };
        let model = GraphModel::new(&varmap, &config, hidden, DType::F32, &dev, &mut rng)?;
        let features = Var::from_tensor(&rng.uniform((32, hidden), 1.0, DType::F32, &dev)?)?;
        let mentions = Var::from_tensor(&rng.uniform((8, hidden), 1.0, DType::F32, &dev)?)?;
        let mut dropout = TrainRng::with_stream(29, 1);
        let mut step = || -> Result<()> {
            let batch = GraphBatch::new(&stars, 32, &dev)?;
            let g = model.forward(features.as_tensor(), &batch, Some(&mut dropout))?;
            let loss = alignment_loss(
                mentions.as_tensor(),
                &labels,
                &g,
                &labels,
                DEFAULT_TEMPERATURE,
            )?;
            loss.backward()?;
            Ok(())
        };
        step()?;
        let repeats = 20;
        let start = Instant::now();
        for _ in 0..repeats {
            step()?;
        }
        println!(
            "{layer:?} x {layers}: {:.2} ms per forward + backward",
            start.elapsed().as_secs_f64() * 1e3 / repeats as f64
        );
    }
    Ok(())
}
