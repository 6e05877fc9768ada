//! `bali_train`, `eval_linking` and `bali export` on `sample_data/` through the engine, and the
//! trainer's guarantees at library level: the loss falls, every parameter trains, a killed run
//! resumes bit-for-bit, and held-out or superseded articles never reach a batch.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{AsArray, Float64Array, RecordBatch};
use arrow::datatypes::Int64Type;
use candle_core::{DType, Device, Tensor};

use crate::engine::{RunReport, StageKind, Table};
use crate::error::{BaliError, Result};
use crate::stages::samples::load_tokenizer;
use crate::store::Store;
use crate::train::artifacts::{export_stage, TrainSummary, CHECKPOINT_FILE, MODEL_DIR};
use crate::train::batch::{BatchConfig, BatchMaker, BatchTokens};
use crate::train::bert::Bert;
use crate::train::corpus::{SampleFilter, TrainingData};
use crate::train::holdout::Holdout;
use crate::train::mlm::MaskingOptions;
use crate::train::model::{BaliModel, GraphEncoderKind, GraphOptions, LmStart, LossConfig};
use crate::train::optim::{AdamW, OptimConfig};
use crate::train::rng::TrainRng;
use crate::train::trainer::{MetricsRow, TrainConfig, TrainObserver, Trainer};
use crate::views::current::CurrentArticles;

const TINY: &str = "sample_data/models/tiny-bert";

/// The sample pipeline (`pipelines/sample.yaml`) up to the trainer's inputs.
const DATA: &str = "
pipeline: sample_train
seed: 29
stages:
  articles:   { kind: pubmed,         options: { paths: [\"sample_data/pubmed/*.xml*\"] } }
  concepts:   { kind: umls_concepts,  options: { meta: sample_data/umls, languages: [ENG] } }
  relations:  { kind: umls_relations, options: { meta: sample_data/umls } }
  sentences:  { kind: sentences,      inputs: [articles] }
  dictionary: { kind: dictionary,     inputs: [concepts, concepts.semantic_types], options: { min_length: 3 } }
  mentions:   { kind: link,           inputs: [sentences, dictionary] }
  subgraphs:  { kind: subgraphs,      inputs: [mentions, relations, concepts] }
  samples:    { kind: samples,        inputs: [sentences, mentions], options: { tokenizer: sample_data/models/tiny-bert } }
  names:      { kind: names,          inputs: [concepts], options: { tokenizer: sample_data/models/tiny-bert } }
";

/// `DATA` plus training and evaluation with `train_options` (a YAML flow mapping's body).
fn full_pipeline(train_options: &str) -> String {
    format!(
        "{DATA}  train: {{ kind: bali_train, inputs: [samples, subgraphs, names, articles], options: {{ model: {TINY}, {train_options} }} }}\n  \
         evaluate: {{ kind: eval_linking, inputs: [train, concepts, mentions, articles, samples], options: {{ mixes: [0.5] }} }}\n"
    )
}

fn run(yaml: &str, workdir: &Path) -> Result<RunReport> {
    crate::testutil::run_yaml(yaml, workdir)
}

fn all_rows(store: &Store, stage: &str) -> RecordBatch {
    let table = Table::open(store, stage, None).unwrap();
    let batches = table.scan().unwrap().collect_all().unwrap();
    arrow::compute::concat_batches(&table.schema(), &batches).unwrap()
}

/// Options that make the tiny random model learn visibly in a few dozen steps.
const FAST: &str = "batch_size: 8, lr_lm: 0.001, lr_graph: 0.001, graph: { layers: 2 }, holdout_fraction: 0.2, log_every: 1, checkpoint_every: 20";

#[test]
fn trains_end_to_end_loss_falls_evaluates_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = full_pipeline(&format!("steps: 60, {FAST}"));
    let report = run(&yaml, dir.path()).unwrap();
    for stage in ["train", "evaluate"] {
        let s = report.stages.iter().find(|s| s.stage == stage).unwrap();
        assert_eq!(s.partitions_run, 1, "{stage}");
    }
    let store = Store::open(dir.path()).unwrap();

    // One metrics row per step; the loss of the last 10 steps is well below the first 10.
    let metrics = all_rows(&store, "train");
    assert_eq!(metrics.num_rows(), 60);
    let steps: Vec<i64> = metrics
        .column(0)
        .as_primitive::<Int64Type>()
        .values()
        .to_vec();
    assert_eq!(steps, (1..=60).collect::<Vec<i64>>());
    let loss = metrics
        .column_by_name("loss")
        .unwrap()
        .as_any()
        .downcast_ref::<Float64Array>()
        .unwrap();
    let mean =
        |r: std::ops::Range<usize>| r.clone().map(|i| loss.value(i)).sum::<f64>() / r.len() as f64;
    let (first, last) = (mean(0..10), mean(50..60));
    assert!(last < 0.8 * first, "loss {first} -> {last}");
    let align = metrics
        .column_by_name("align_loss")
        .unwrap()
        .as_any()
        .downcast_ref::<Float64Array>()
        .unwrap();
    assert!(
        (0..60).any(|i| align.value(i) > 0.0),
        "the alignment loss took part"
    );

    // The artifact folder: the HF model, the final checkpoint and train.json.
    let train = Table::open(&store, "train", None).unwrap();
    let artifacts = train.single_artifact_dir().unwrap().to_path_buf();
    assert!(artifacts.join(CHECKPOINT_FILE).is_file());
    let summary = TrainSummary::read(&artifacts).unwrap();
    assert_eq!(summary.steps, 60);
    assert_eq!(summary.start, crate::train::trainer::Start::Scratch);
    assert_eq!(summary.holdout.split, Holdout::new(29, 0.2).unwrap());
    assert!(
        summary.data.held_out > 0 && summary.data.not_current > 0,
        "{:?}",
        summary.data
    );
    assert_eq!(summary.final_metrics.as_ref().map(|m| m.step), Some(60));

    // Evaluation: base, aligned and their even mix on the same items, for both protocols,
    // both halves and both item sets; the deltas are the accuracies' differences.
    let eval = all_rows(&store, "evaluate");
    assert_eq!(eval.num_rows(), 2 * 2 * 2 * 3);
    let text = |name: &str| -> Vec<String> {
        eval.column_by_name(name)
            .unwrap()
            .as_string::<i32>()
            .iter()
            .map(|v| v.unwrap().to_string())
            .collect()
    };
    let float = |name: &str| -> Vec<Option<f64>> {
        eval.column_by_name(name)
            .unwrap()
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap()
            .iter()
            .collect()
    };
    let (models, protocols) = (text("model"), text("protocol"));
    let n = eval
        .column_by_name("mentions")
        .unwrap()
        .as_primitive::<Int64Type>();
    let (acc, delta, low, high, p) = (
        float("acc_at_1"),
        float("delta_at_1"),
        float("delta_low"),
        float("delta_high"),
        float("p_value"),
    );
    assert_eq!(&models[..3], ["base", "aligned", "mix0.50"]);
    assert!(protocols.iter().any(|p| p == "sentence"));
    assert!(n.value(0) > 0, "string items of dev");
    for group in 0..eval.num_rows() / 3 {
        let base = 3 * group;
        for row in base + 1..base + 3 {
            assert_eq!(n.value(row), n.value(base));
            match (acc[base], acc[row]) {
                (Some(b), Some(a)) => {
                    let d = delta[row].unwrap();
                    assert!((d - (a - b)).abs() < 1e-12, "row {row}");
                    assert!(low[row].unwrap() <= d && d <= high[row].unwrap());
                    assert!((0.0..=1.0).contains(&p[row].unwrap()));
                }
                (None, None) => assert_eq!(n.value(row), 0),
                other => panic!("row {row}: {other:?}"),
            }
        }
        assert!(delta[base].is_none() && p[base].is_none());
    }
    for col in ["acc_at_1", "acc_at_5"] {
        assert!(float(col)
            .into_iter()
            .flatten()
            .all(|v| (0.0..=1.0).contains(&v)));
    }

    // Export: the same tensors (names, shapes) as the input checkpoint, and the same outputs
    // as the committed model.
    let out = dir.path().join("exported");
    let files = export_stage(dir.path(), "train", &out).unwrap();
    assert!(files.iter().any(|f| f.ends_with("model.safetensors")));
    let header = |p: &Path| -> BTreeMap<String, (String, Vec<usize>)> {
        let bytes = std::fs::read(p).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        st.tensors()
            .into_iter()
            .map(|(n, v)| (n, (format!("{:?}", v.dtype()), v.shape().to_vec())))
            .collect()
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    assert_eq!(
        header(&out.join("model.safetensors")),
        header(&root.join(TINY).join("model.safetensors"))
    );
    let dev = Device::Cpu;
    let exported = Bert::load(&out, &candle_nn::VarMap::new(), DType::F32, &dev).unwrap();
    let committed = Bert::load(
        &artifacts.join(MODEL_DIR),
        &candle_nn::VarMap::new(),
        DType::F32,
        &dev,
    )
    .unwrap();
    let original = Bert::load(
        &root.join(TINY),
        &candle_nn::VarMap::new(),
        DType::F32,
        &dev,
    )
    .unwrap();
    let ids = Tensor::new(&[[2u32, 40, 41, 42, 3]], &dev).unwrap();
    let mask = Tensor::ones((1, 5), DType::U32, &dev).unwrap();
    let forward = |b: &Bert| -> Tensor {
        b.forward(&ids, None, &mask, &mut crate::train::bert::Mode::Eval)
            .unwrap()
    };
    let diff = |a: &Tensor, b: &Tensor| -> f32 {
        a.sub(b)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar()
            .unwrap()
    };
    assert_eq!(diff(&forward(&exported), &forward(&committed)), 0.0);
    assert!(
        diff(&forward(&exported), &forward(&original)) > 0.0,
        "training changed the model"
    );

    // Unchanged inputs and options: nothing runs again.
    let again = run(&yaml, dir.path()).unwrap();
    assert!(again.stages.iter().all(|s| s.partitions_run == 0));
}

/// The inputs of the trainer, built once per test through the engine.
struct Inputs {
    _dir: tempfile::TempDir,
    data: Arc<TrainingData>,
    current: CurrentArticles,
    holdout: Holdout,
    samples: RecordBatch,
    /// The held-out sentences, loaded as `heldout_batches` loads them.
    heldout: TrainingData,
}

fn inputs(fraction: f64, linearized: bool) -> Inputs {
    let dir = tempfile::tempdir().unwrap();
    run(DATA, dir.path()).unwrap();
    let store = Store::open(dir.path()).unwrap();
    let open = |s: &str| Table::open(&store, s, None).unwrap();
    let deletions = Table::open(&store, "articles", Some("deletions")).unwrap();
    let current = CurrentArticles::build(&open("articles"), Some(&deletions)).unwrap();
    let holdout = Holdout::new(29, fraction).unwrap();
    let tokenizer = load_tokenizer(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(TINY)).unwrap();
    let load = |held_out_only| {
        TrainingData::load(
            &open("samples"),
            &open("subgraphs"),
            &open("names"),
            &SampleFilter {
                holdout,
                current: Some(&current),
                held_out_only,
            },
            linearized.then_some(&tokenizer),
        )
        .unwrap()
    };
    let (data, heldout) = (load(false), load(true));
    let samples = all_rows(&store, "samples");
    Inputs {
        _dir: dir,
        data: Arc::new(data),
        current,
        holdout,
        samples,
        heldout,
    }
}

fn batch_config(linearized: bool) -> BatchConfig {
    BatchConfig {
        seed: 29,
        batch_size: 8,
        max_neighbors: 3,
        masking: MaskingOptions::default(),
        tokens: BatchTokens {
            cls: 2,
            sep: 3,
            pad: 0,
            mask: 4,
            vocab_size: 2074,
        },
        linearized,
        max_tokens: 128,
        group_by_length: false,
    }
}

#[test]
fn held_out_and_superseded_articles_never_reach_a_batch() {
    let inputs = inputs(0.3, false);
    let data = &inputs.data;
    assert!(data.stats.held_out > 0, "{:?}", data.stats);
    assert!(data.stats.not_current > 0, "{:?}", data.stats);

    // The sentences kept are exactly the samples of current, not held-out records.
    let s = &inputs.samples;
    let pmid = s
        .column_by_name("pmid")
        .unwrap()
        .as_primitive::<Int64Type>();
    let file = s.column_by_name("source_file").unwrap().as_string::<i32>();
    let index = s
        .column_by_name("article_index")
        .unwrap()
        .as_primitive::<Int64Type>();
    let mut expected: Vec<i64> = (0..s.num_rows())
        .filter(|&i| {
            inputs
                .current
                .is_current(pmid.value(i), file.value(i), index.value(i))
                && !inputs.holdout.is_held_out(pmid.value(i))
        })
        .map(|i| pmid.value(i))
        .collect();
    let mut kept = data.sentences.pmids.clone();
    expected.sort_unstable();
    kept.sort_unstable();
    assert_eq!(kept, expected);
    // The held-out view keeps exactly the current, held-out records.
    let mut held: Vec<i64> = (0..s.num_rows())
        .filter(|&i| {
            inputs
                .current
                .is_current(pmid.value(i), file.value(i), index.value(i))
                && inputs.holdout.is_held_out(pmid.value(i))
        })
        .map(|i| pmid.value(i))
        .collect();
    let mut kept_held = inputs.heldout.sentences.pmids.clone();
    held.sort_unstable();
    kept_held.sort_unstable();
    assert!(!held.is_empty());
    assert_eq!(kept_held, held);
    // The deleted article (80000035) and the superseded record of 80000012 (in file 0001; the
    // current one is in 0003) are gone.
    assert!(!kept.contains(&80000035));
    let superseded = (0..s.num_rows())
        .filter(|&i| pmid.value(i) == 80000012 && file.value(i) == "pubmed26n0001.xml")
        .count();
    let current = (0..s.num_rows())
        .filter(|&i| pmid.value(i) == 80000012 && file.value(i) == "pubmed26n0003.xml.gz")
        .count();
    assert!(superseded > 0 && current > 0);
    if !inputs.holdout.is_held_out(80000012) {
        assert_eq!(kept.iter().filter(|&&p| p == 80000012).count(), current);
    }

    // Two epochs of batches: every row is a training sentence, every one appears once per
    // epoch, and nothing held out shows up.
    let mut maker = BatchMaker::new(Arc::clone(data), batch_config(false)).unwrap();
    let per_epoch = maker.steps_per_epoch();
    for epoch in 0..2 {
        let mut seen = HashSet::new();
        for step in epoch * per_epoch..(epoch + 1) * per_epoch {
            let b = maker.batch(step).unwrap();
            assert_eq!(b.epoch, epoch);
            for (&sentence, &p) in b.sentences.iter().zip(&b.pmids) {
                assert!(!inputs.holdout.is_held_out(p) && p != 80000035);
                assert!(seen.insert(sentence));
            }
        }
        assert_eq!(seen.len(), data.sentences.len());
    }
}

#[test]
fn length_grouped_batches_cover_each_epoch_once_pad_less_and_rebuild_on_resume() {
    let inputs = inputs(0.1, false);
    let data = &inputs.data;
    let grouped = BatchConfig {
        batch_size: 4,
        group_by_length: true,
        ..batch_config(false)
    };
    let plain = BatchConfig {
        batch_size: 4,
        ..batch_config(false)
    };
    let mut a = BatchMaker::new(Arc::clone(data), grouped.clone()).unwrap();
    let mut b = BatchMaker::new(Arc::clone(data), grouped).unwrap();
    let mut p = BatchMaker::new(Arc::clone(data), plain).unwrap();
    let per_epoch = a.steps_per_epoch();
    assert_eq!(per_epoch, p.steps_per_epoch());
    let (mut padded_grouped, mut padded_plain) = (0usize, 0usize);
    for epoch in 0..2 {
        let mut seen = HashSet::new();
        for step in epoch * per_epoch..(epoch + 1) * per_epoch {
            let batch = a.batch(step).unwrap();
            assert!(batch.sentences.iter().all(|&s| seen.insert(s)));
            padded_grouped += batch.text.rows * batch.text.cols - batch.text.tokens();
            let plain = p.batch(step).unwrap();
            padded_plain += plain.text.rows * plain.text.cols - plain.text.tokens();
        }
        assert_eq!(seen.len(), data.sentences.len());
    }
    assert!(
        padded_grouped < padded_plain,
        "padding {padded_grouped} grouped vs {padded_plain} plain"
    );
    // A resumed run (a fresh maker, steps out of order) builds the same batches.
    for step in [per_epoch + 2, 1, 0, 2 * per_epoch - 1] {
        assert_eq!(a.batch(step).unwrap(), b.batch(step).unwrap());
    }
}

#[test]
fn batches_are_a_pure_function_of_the_step_and_resample_each_epoch() {
    let inputs = inputs(0.1, false);
    let mut a = BatchMaker::new(Arc::clone(&inputs.data), batch_config(false)).unwrap();
    let mut b = BatchMaker::new(Arc::clone(&inputs.data), batch_config(false)).unwrap();
    let per_epoch = a.steps_per_epoch();
    // Out of order, across epochs: the same batches.
    for step in [3, 0, per_epoch + 1, 2 * per_epoch + 2, 1] {
        assert_eq!(a.batch(step).unwrap(), b.batch(step).unwrap());
    }
    let first = a.batch(0).unwrap();
    assert!(!first.spans.is_empty() && !first.stars.is_empty());
    assert_eq!(first.spans.len(), first.span_groups.len());
    assert!(first.span_concepts.len() <= first.spans.len());
    assert!(first.names.cols <= 32 && first.names.rows > 0);
    assert!(!first.mlm_positions.is_empty());
    // Every star has at most 3 neighbours, every neighbour a feature row.
    assert!(first.stars.iter().all(|s| s.neighbours.len() <= 3));
    assert!(first
        .stars
        .iter()
        .flat_map(|s| s.neighbours.iter().chain([&s.target]))
        .all(|&r| (r as usize) < first.names.rows));
    // Over a few epochs the neighbour sample of some concept changes.
    let stars_of = |maker: &mut BatchMaker, epoch: u64| -> BTreeMap<u32, Vec<u32>> {
        let mut out = BTreeMap::new();
        for step in epoch * per_epoch..(epoch + 1) * per_epoch {
            let batch = maker.batch(step).unwrap();
            for (c, star) in batch.star_concepts.iter().zip(&batch.stars) {
                let names: Vec<u32> = star
                    .neighbours
                    .iter()
                    .map(|&r| {
                        let row = &batch.names.ids
                            [r as usize * batch.names.cols..(r as usize + 1) * batch.names.cols];
                        row.iter().map(|&t| t as u64).sum::<u64>() as u32
                    })
                    .collect();
                out.insert(*c, names);
            }
        }
        out
    };
    let e0 = stars_of(&mut a, 0);
    let e1 = stars_of(&mut a, 1);
    assert!(e0.iter().any(|(c, n)| e1.get(c).is_some_and(|m| m != n)));

    // The linearised variant: one sequence per star, starting with [CLS].
    let lin = self::inputs(0.1, true);
    let mut maker = BatchMaker::new(Arc::clone(&lin.data), batch_config(true)).unwrap();
    let batch = maker.batch(0).unwrap();
    let seqs = batch.linearized.as_ref().unwrap();
    assert_eq!(seqs.rows, batch.star_concepts.len());
    assert!(batch.stars.is_empty() && batch.names.rows == 0);
    assert!((0..seqs.rows).all(|r| seqs.ids[r * seqs.cols] == 2));
}

fn tiny_model(encoder: GraphEncoderKind) -> BaliModel {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(TINY);
    BaliModel::new(
        &LmStart::Pretrained(dir),
        encoder,
        &GraphOptions {
            layers: 2,
            ..GraphOptions::default()
        },
        29,
        DType::F32,
        &Device::Cpu,
    )
    .unwrap()
}

fn train_config(total: u64, linearized: bool) -> TrainConfig {
    TrainConfig {
        total_steps: total,
        batch: batch_config(linearized),
        loss: LossConfig {
            mlm_weight: 1.0,
            align_weight: 1.0,
            temperature: 0.07,
            textual_weight: 0.0,
            anchor_weight: 0.0,
        },
        checkpoint_every: 4,
        log_every: 1,
        seed: 29,
    }
}

fn optim(warmup_ratio: f64, weight_decay: f64) -> OptimConfig {
    OptimConfig {
        lr_lm: 1e-3,
        lr_graph: 1e-3,
        weight_decay,
        warmup_ratio,
        ..OptimConfig::default()
    }
}

/// Values of every parameter, by name.
fn snapshot(model: &BaliModel) -> BTreeMap<String, Vec<f32>> {
    let vars = model.varmap.data().lock().unwrap();
    vars.iter()
        .map(|(n, v)| {
            (
                n.clone(),
                v.as_tensor()
                    .flatten_all()
                    .unwrap()
                    .to_vec1::<f32>()
                    .unwrap(),
            )
        })
        .collect()
}

/// Records rows; fails with a simulated crash after `stop_after` steps.
struct Recorder {
    rows: Vec<MetricsRow>,
    stop_after: Option<u64>,
}

impl TrainObserver for Recorder {
    fn step_done(&mut self, step: u64, _: u64, row: Option<&MetricsRow>) -> Result<()> {
        self.rows.extend(row.cloned());
        if self.stop_after == Some(step) {
            return Err(BaliError::Cancelled);
        }
        Ok(())
    }
}

#[test]
fn every_parameter_changes_after_one_step() {
    let inputs = inputs(0.1, false);
    for encoder in [
        GraphEncoderKind::Gatv2,
        GraphEncoderKind::Graphsage,
        GraphEncoderKind::Linearized,
    ] {
        let linearized = encoder == GraphEncoderKind::Linearized;
        let data = if linearized {
            self::inputs(0.1, true).data
        } else {
            Arc::clone(&inputs.data)
        };
        let model = tiny_model(encoder);
        let before = snapshot(&model);
        // No warm-up (the first step would have learning rate 0) and no weight decay (so
        // that only a gradient can move a parameter).
        let optimizer = AdamW::new(&model.varmap, optim(0.0, 0.0), 1).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let trainer = Trainer::new(&model, optimizer, data, train_config(1, linearized));
        let mut rec = Recorder {
            rows: Vec::new(),
            stop_after: None,
        };
        trainer.run(dir.path(), &mut rec).unwrap();
        assert!(
            rec.rows[0].align_loss > 0.0,
            "{encoder:?}: {:?}",
            rec.rows[0]
        );
        let after = snapshot(&model);
        assert_eq!(before.len(), after.len());
        for (name, old) in &before {
            assert!(
                old != &after[name],
                "{encoder:?}: parameter {name} did not change"
            );
        }
    }
}

/// Parameters under `freeze_embeddings`/`freeze_layers` never move; with `lm_frozen_steps`
/// the language model stays put while the graph side trains.
#[test]
fn frozen_parameters_do_not_move() {
    let inputs = inputs(0.1, false);
    let graph = |name: &str| {
        ["graph.", "readout.", "mlm."]
            .iter()
            .any(|p| name.starts_with(p))
    };
    let step_once = |config: OptimConfig| {
        let model = tiny_model(GraphEncoderKind::Gatv2);
        let before = snapshot(&model);
        let optimizer = AdamW::new(&model.varmap, config, 1).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let trainer = Trainer::new(
            &model,
            optimizer,
            Arc::clone(&inputs.data),
            train_config(1, false),
        );
        let mut rec = Recorder {
            rows: Vec::new(),
            stop_after: None,
        };
        trainer.run(dir.path(), &mut rec).unwrap();
        let after = snapshot(&model);
        before
            .into_iter()
            .map(|(name, old)| {
                let moved = old != after[&name];
                (name, moved)
            })
            .collect::<BTreeMap<String, bool>>()
    };
    // The language model waits a step; the graph side trains from the first.
    let moved = step_once(OptimConfig {
        lm_frozen_steps: 1,
        ..optim(0.0, 0.0)
    });
    for (name, &m) in &moved {
        assert_eq!(m, graph(name), "{name}");
    }
    // Embeddings and the first layer frozen; everything else moves.
    let moved = step_once(OptimConfig {
        frozen_prefixes: vec!["embeddings.".into(), "encoder.layer.0.".into()],
        ..optim(0.0, 0.0)
    });
    for (name, &m) in &moved {
        let frozen = name.starts_with("embeddings.") || name.starts_with("encoder.layer.0.");
        assert_eq!(m, !frozen, "{name}");
    }
}

/// BALI draws a node's name afresh for every sample: within one epoch a concept shows
/// different names at different steps.
#[test]
fn names_are_drawn_afresh_at_every_step() {
    let inputs = inputs(0.1, false);
    let mut maker = BatchMaker::new(Arc::clone(&inputs.data), batch_config(false)).unwrap();
    let mut shown: BTreeMap<u32, HashSet<Vec<u32>>> = BTreeMap::new();
    for step in 0..maker.steps_per_epoch() {
        let batch = maker.batch(step).unwrap();
        for (c, star) in batch.star_concepts.iter().zip(&batch.stars) {
            let r = star.target as usize;
            let row = batch.names.ids[r * batch.names.cols..(r + 1) * batch.names.cols].to_vec();
            shown.entry(*c).or_default().insert(row);
        }
    }
    assert!(
        shown.values().any(|names| names.len() > 1),
        "every concept showed one name for the whole epoch"
    );
}

#[test]
fn a_killed_run_resumes_bit_for_bit() {
    let inputs = inputs(0.1, false);
    let total = 12;
    let straight = {
        let model = tiny_model(GraphEncoderKind::Gatv2);
        let optimizer = AdamW::new(&model.varmap, optim(0.1, 0.01), total).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut rec = Recorder {
            rows: Vec::new(),
            stop_after: None,
        };
        let trainer = Trainer::new(
            &model,
            optimizer,
            Arc::clone(&inputs.data),
            train_config(total, false),
        );
        let outcome = trainer.run(dir.path(), &mut rec).unwrap();
        assert_eq!(outcome.steps, total);
        (snapshot(&model), rec.rows)
    };

    let dir = tempfile::tempdir().unwrap();
    {
        // Killed after step 6: the checkpoint of step 4 survives, steps 5 and 6 are lost.
        let model = tiny_model(GraphEncoderKind::Gatv2);
        let optimizer = AdamW::new(&model.varmap, optim(0.1, 0.01), total).unwrap();
        let mut rec = Recorder {
            rows: Vec::new(),
            stop_after: Some(6),
        };
        let trainer = Trainer::new(
            &model,
            optimizer,
            Arc::clone(&inputs.data),
            train_config(total, false),
        );
        assert!(trainer.run(dir.path(), &mut rec).is_err());
    }
    let model = tiny_model(GraphEncoderKind::Gatv2);
    let optimizer = AdamW::new(&model.varmap, optim(0.1, 0.01), total).unwrap();
    let mut trainer = Trainer::new(
        &model,
        optimizer,
        Arc::clone(&inputs.data),
        train_config(total, false),
    );
    assert_eq!(trainer.resume(dir.path()).unwrap(), Some(4));
    assert_eq!(trainer.metrics().len(), 4);
    let mut rec = Recorder {
        rows: Vec::new(),
        stop_after: None,
    };
    let outcome = trainer.run(dir.path(), &mut rec).unwrap();
    assert_eq!(
        outcome.start,
        crate::train::trainer::Start::Resumed { from_step: 4 }
    );
    let resumed = snapshot(&model);
    for (name, values) in &straight.0 {
        assert!(values == &resumed[name], "{name} differs after resuming");
    }
    // Steps 5-12 were recomputed: the same losses to the bit. Rows 1-4 come back from the
    // checkpoint's JSON header, whose float parsing may differ in the last bit of an f64.
    let losses = |rows: &[MetricsRow]| -> Vec<(u64, f64, f64)> {
        rows.iter()
            .map(|r| (r.step, r.mlm_loss, r.align_loss))
            .collect()
    };
    let (got, want) = (losses(&outcome.metrics), losses(&straight.1));
    assert_eq!(got.len(), want.len());
    assert_eq!(got[4..], want[4..]);
    for (a, b) in got[..4].iter().zip(&want[..4]) {
        assert!(a.0 == b.0 && (a.1 - b.1).abs() < 1e-12 && (a.2 - b.2).abs() < 1e-12);
    }
    // Only the newest checkpoint is kept.
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1);
}

#[test]
fn continue_starts_from_the_previous_run() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = full_pipeline(&format!("steps: 6, {FAST}, continue: true"));
    let report = run(&yaml, dir.path()).unwrap();
    // The run report says how the model was trained.
    let train_note = |report: &RunReport| {
        let stage = report.stages.iter().find(|s| s.stage == "train").unwrap();
        stage.partitions[0].note.clone().unwrap_or_default()
    };
    assert!(
        train_note(&report).starts_with("trained 6 steps from "),
        "{}",
        train_note(&report)
    );
    let store = Store::open(dir.path()).unwrap();
    let summary = |store: &Store| {
        let t = Table::open(store, "train", None).unwrap();
        TrainSummary::read(t.single_artifact_dir().unwrap()).unwrap()
    };
    assert_eq!(summary(&store).start, crate::train::trainer::Start::Scratch);
    // A changed option re-runs training, which continues from the committed checkpoint.
    let yaml = full_pipeline(&format!("steps: 4, {FAST}, continue: true"));
    let report = run(&yaml, dir.path()).unwrap();
    assert!(
        train_note(&report).starts_with("continued from the previous run's weights"),
        "{}",
        train_note(&report)
    );
    match summary(&store).start {
        crate::train::trainer::Start::Continued { from } => {
            assert!(from.ends_with(CHECKPOINT_FILE))
        }
        other => panic!("expected a continued run, got {other:?}"),
    }
}

#[test]
fn options_default_to_bali_and_reject_mistakes() {
    use crate::stages::bali_train::TrainOptions;
    let o: TrainOptions = serde_json::from_str(r#"{"model": "m"}"#).unwrap();
    assert_eq!(o.batch_size, 256);
    assert_eq!(o.max_neighbors, 3);
    assert_eq!((o.lr_lm, o.lr_graph, o.weight_decay), (2e-5, 1e-4, 0.01));
    assert_eq!((o.warmup_ratio, o.warmup_max_steps), (0.1, 10_000));
    assert_eq!(o.graph_encoder, GraphEncoderKind::Gatv2);
    assert_eq!(o.graph, GraphOptions::default());
    assert_eq!((o.graph.layers, o.graph.heads), (5, 2));
    assert_eq!(o.temperature, 0.07);
    assert_eq!((o.mlm_weight, o.align_weight), (1.0, 1.0));
    assert_eq!(o.holdout_fraction, 0.1);
    assert!(!o.continue_training);
    assert_eq!(o.total_steps(1000), 10 * 4, "10 epochs of 4 steps");
    let err =
        serde_json::from_str::<TrainOptions>(r#"{"model": "m", "max_neighbours": 3}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field"), "{err}");
    let both: TrainOptions =
        serde_json::from_str(r#"{"model": "m", "steps": 5, "epochs": 1}"#).unwrap();
    assert!(both.validate().is_err());
    let example: TrainOptions =
        serde_saphyr::from_str(crate::stages::bali_train::BaliTrain::EXAMPLE).unwrap();
    assert_eq!(example.steps, Some(60));
    let schema = serde_json::to_value(schemars::schema_for!(TrainOptions)).unwrap();
    for (name, p) in schema["properties"].as_object().unwrap() {
        assert!(
            p["description"].as_str().is_some_and(|d| d.len() > 15),
            "{name} is not documented"
        );
    }
    #[cfg(not(feature = "cuda"))]
    {
        let err = crate::stages::bali_train::DeviceOption::Cuda
            .device()
            .unwrap_err();
        assert!(err.to_string().contains("--features cuda"), "{err}");
    }
}

#[test]
fn nothing_held_out_is_recorded_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let fast = FAST.replace("holdout_fraction: 0.2", "holdout_fraction: 0.0");
    let yaml = full_pipeline(&format!("steps: 2, {fast}"));
    run(&yaml, dir.path()).unwrap();
    let store = Store::open(dir.path()).unwrap();
    let eval = all_rows(&store, "evaluate");
    // base, aligned and the mix, for dev and test, all and unseen items.
    assert_eq!(eval.num_rows(), 12);
    assert!(eval
        .column_by_name("mentions")
        .unwrap()
        .as_primitive::<Int64Type>()
        .values()
        .iter()
        .all(|&n| n == 0));
    for col in ["acc_at_1", "acc_at_5", "delta_at_1", "p_value"] {
        assert_eq!(eval.column_by_name(col).unwrap().null_count(), 12, "{col}");
    }
}

#[test]
fn eval_options_reject_unknown_fields() {
    use crate::stages::eval_linking::{EvalLinking, EvalOptions};
    assert!(serde_json::from_str::<EvalOptions>(r#"{"k": [1, 5]}"#).is_err());
    let example: EvalOptions = serde_saphyr::from_str(EvalLinking::EXAMPLE).unwrap();
    assert_eq!(
        (example.max_items, example.mixes.as_slice()),
        (20_000, &[0.5][..])
    );
    // The option's earlier name still reads.
    let old: EvalOptions = serde_json::from_str(r#"{"max_mentions": 7}"#).unwrap();
    assert_eq!(old.max_items, 7);
}

/// The textual task scores mentions against their concepts' name embeddings, only over
/// concepts allowed in name losses; concepts of held-out mentions are never allowed.
#[test]
fn the_textual_task_leaves_held_out_concepts_out() {
    let inputs = inputs(0.1, false);
    let held: Vec<u32> = inputs.data.eval_concepts.iter().copied().collect();
    assert!(
        !held.is_empty(),
        "the sample holds out articles that mention concepts"
    );
    let mut maker = BatchMaker::new(Arc::clone(&inputs.data), batch_config(false)).unwrap();
    let model = tiny_model(GraphEncoderKind::Gatv2);
    let config = LossConfig {
        textual_weight: 1.0,
        ..train_config(1, false).loss
    };
    let mut textual_seen = false;
    for step in 0..maker.steps_per_epoch() {
        let mut batch = maker.batch(step).unwrap();
        for (c, allowed) in batch.star_concepts.iter().zip(&batch.name_loss) {
            assert_eq!(*allowed, !held.contains(c));
        }
        let losses = model
            .losses(&batch, &config, &mut TrainRng::new(5))
            .unwrap();
        textual_seen |= losses.textual > 0.0;
        // With every concept held out, the task has nothing to score.
        batch.name_loss.iter_mut().for_each(|a| *a = false);
        let none = model
            .losses(&batch, &config, &mut TrainRng::new(5))
            .unwrap();
        assert_eq!(none.textual, 0.0);
        assert_eq!(none.align, losses.align);
    }
    assert!(textual_seen);
}

/// Dropout draws come from the saved stream: two models with the same seed compute the same
/// training-mode losses on the same batch, and a different stream position changes them.
#[test]
fn training_losses_are_reproducible_from_the_rng_state() {
    let inputs = inputs(0.1, false);
    let mut maker = BatchMaker::new(Arc::clone(&inputs.data), batch_config(false)).unwrap();
    let batch = maker.batch(0).unwrap();
    let model = tiny_model(GraphEncoderKind::Gatv2);
    let config = train_config(1, false).loss;
    let mut r1 = TrainRng::new(5);
    let mut r2 = TrainRng::new(5);
    let a = model.losses(&batch, &config, &mut r1).unwrap();
    let b = model.losses(&batch, &config, &mut r2).unwrap();
    assert_eq!((a.mlm, a.align), (b.mlm, b.align));
    let c = model.losses(&batch, &config, &mut r1).unwrap();
    assert_ne!((a.mlm, a.align), (c.mlm, c.align));
}

/// The anchor term is the mean cosine distance to the frozen start: hand-computed on two rows,
/// positive under dropout, computed without touching the dropout stream, and a run with it
/// leaves the name embeddings nearer the start's than the same run without it.
#[test]
fn the_anchor_term_holds_the_start() {
    use crate::train::bert::{mean_pool, Mode};
    use crate::train::model::mean_cosine_distance;
    let a = Tensor::new(&[[1f32, 0.0], [1.0, 1.0]], &Device::Cpu).unwrap();
    let b = Tensor::new(&[[2f32, 0.0], [0.0, 3.0]], &Device::Cpu).unwrap();
    let d = mean_cosine_distance(&a, &b)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    let expected = (1.0 - 0.5f32.sqrt()) / 2.0;
    assert!((d - expected).abs() < 1e-6, "{d} vs {expected}");

    let inputs = inputs(0.1, false);
    let mut maker = BatchMaker::new(Arc::clone(&inputs.data), batch_config(false)).unwrap();
    let batch = maker.batch(0).unwrap();
    let start = LmStart::Pretrained(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(TINY));
    let mut model = tiny_model(GraphEncoderKind::Gatv2);
    model.anchor_to(&start, DType::F32).unwrap();
    let off = train_config(1, false).loss;
    let on = LossConfig {
        anchor_weight: 1.0,
        ..off
    };
    let with = model.losses(&batch, &on, &mut TrainRng::new(5)).unwrap();
    let without = model.losses(&batch, &off, &mut TrainRng::new(5)).unwrap();
    assert!(with.anchor > 0.0 && with.anchor < 0.5, "{}", with.anchor);
    assert_eq!((with.mlm, with.align), (without.mlm, without.align));
    assert_eq!(without.anchor, 0.0);

    // Names of the first batch through the model in evaluation mode.
    let names = |model: &BaliModel| -> Tensor {
        let p = &batch.names;
        let ids = Tensor::from_slice(&p.ids, (p.rows, p.cols), &Device::Cpu).unwrap();
        let mask = Tensor::from_slice(&p.mask, (p.rows, p.cols), &Device::Cpu).unwrap();
        let hidden = model
            .bert
            .forward(&ids, None, &mask, &mut Mode::Eval)
            .unwrap();
        mean_pool(&hidden, &mask).unwrap()
    };
    let base = names(&tiny_model(GraphEncoderKind::Gatv2));
    let drift = |anchor_weight: f64| -> f32 {
        let mut model = tiny_model(GraphEncoderKind::Gatv2);
        model.anchor_to(&start, DType::F32).unwrap();
        let optimizer = AdamW::new(&model.varmap, optim(0.0, 0.0), 6).unwrap();
        let mut config = train_config(6, false);
        config.loss = LossConfig {
            mlm_weight: 0.0,
            anchor_weight,
            ..config.loss
        };
        let dir = tempfile::tempdir().unwrap();
        let trainer = Trainer::new(&model, optimizer, Arc::clone(&inputs.data), config);
        let mut rec = Recorder {
            rows: Vec::new(),
            stop_after: None,
        };
        trainer.run(dir.path(), &mut rec).unwrap();
        assert_eq!(
            rec.rows.iter().any(|r| r.anchor_loss > 0.0),
            anchor_weight > 0.0
        );
        mean_cosine_distance(&names(&model), &base)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    };
    let (free, held) = (drift(0.0), drift(20.0));
    assert!(held < free, "anchored drift {held} vs free drift {free}");
}

/// Held-out losses are computed without dropout (the same value every time, the rng stream
/// untouched), logged at every logged step, and leave training bit-for-bit as it was.
#[test]
fn heldout_losses_are_logged_and_change_nothing() {
    let inputs = inputs(0.3, false);
    let held = Arc::new(inputs.heldout.clone());
    let mut maker = BatchMaker::new(Arc::clone(&held), batch_config(false)).unwrap();
    let heldout: Vec<_> = (0..2).map(|s| maker.batch(s).unwrap()).collect();
    let config = train_config(4, false);
    let model = tiny_model(GraphEncoderKind::Gatv2);
    let a = model.eval_losses(&heldout[0], &config.loss).unwrap();
    let b = model.eval_losses(&heldout[0], &config.loss).unwrap();
    assert_eq!((a.mlm, a.align), (b.mlm, b.align));
    let train = model
        .losses(&heldout[0], &config.loss, &mut TrainRng::new(5))
        .unwrap();
    assert_ne!(a.align, train.align, "training mode has dropout");

    let run = |heldout: Vec<crate::train::batch::HostBatch>| -> Vec<MetricsRow> {
        let model = tiny_model(GraphEncoderKind::Gatv2);
        let optimizer = AdamW::new(&model.varmap, optim(0.0, 0.0), 4).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let trainer = Trainer::new(&model, optimizer, Arc::clone(&inputs.data), config.clone())
            .with_heldout(heldout);
        let mut rec = Recorder {
            rows: Vec::new(),
            stop_after: None,
        };
        trainer.run(dir.path(), &mut rec).unwrap();
        rec.rows
    };
    let with = run(heldout);
    let without = run(Vec::new());
    assert_eq!(with.len(), 4);
    for (w, o) in with.iter().zip(&without) {
        assert_eq!(
            (w.loss, w.mlm_loss, w.align_loss),
            (o.loss, o.mlm_loss, o.align_loss)
        );
        assert!(
            w.heldout_align_loss
                .is_some_and(|l| l.is_finite() && l > 0.0),
            "{w:?}"
        );
        assert_eq!(o.heldout_align_loss, None);
    }
}
