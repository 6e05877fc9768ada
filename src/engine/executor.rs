//! Runs a plan: one thread per stage with work to do, bounded channels between them, commits
//! partition by partition, a report at the end.
//!
//! Streaming: a stage whose only partitioned input is being built in the same run receives it
//! through a bounded crossbeam channel (`channel_capacity` batches), so a slow consumer slows its
//! producer and memory stays flat however large the input. Everything else (whole dimension
//! tables, second partitioned inputs, partitions that were already fresh) is read from the
//! committed checkpoints, after waiting for the producer to commit them. Streaming is skipped
//! where it could deadlock: when the consumer also waits for a whole table that depends on the
//! streaming producer.

use std::collections::{BTreeSet, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::Utc;
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};

use super::context::{blocked, send, Board, Cancel, Msg, PartitionCtx, Shared, StreamIn};
use super::plan::Plan;
use super::progress::{ProgressHub, ProgressMode};
use super::report::{new_run_id, PartitionReport, RunReport, StageReport};
use super::shard::Shard;
use super::stage::InputMode;
use super::state::{natural_cmp, plan_state, StageState};
use crate::error::{BaliError, Result};
use crate::store::{FileHashCache, LogEntry, Manifest, PartitionRecord, PartitionWriter, Store};

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Run only these stages and the upstream stages they need (empty: every stage).
    pub only: Vec<String>,
    /// Progress display.
    pub progress: ProgressMode,
    /// Set by a Ctrl-C handler: the run stops cleanly and commits nothing half-done.
    pub interrupt: Option<Arc<AtomicBool>>,
    /// Batches in flight on each channel between two stages.
    pub channel_capacity: usize,
    /// Rows per batch when reading checkpoints.
    pub read_batch_size: usize,
    /// Build only this worker's share of the per-partition stages ([`Shard`]); whole-table
    /// stages are left to the unsharded run.
    pub shard: Option<Shard>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            only: Vec::new(),
            progress: ProgressMode::Auto,
            interrupt: None,
            channel_capacity: 4,
            read_batch_size: 8192,
            shard: None,
        }
    }
}

/// The result of a run: the report (always written) and the error that stopped it, if any.
#[derive(Debug)]
pub struct RunOutcome {
    /// What happened.
    pub report: RunReport,
    /// Where the report was written.
    pub report_path: Option<PathBuf>,
    /// The first error, when a stage failed or the run was interrupted.
    pub error: Option<BaliError>,
}

/// The stages `only` selects: each named stage and everything upstream of it. Unknown names are
/// a usage error.
pub fn select_stages(plan: &Plan, only: &[String]) -> Result<Vec<bool>> {
    if only.is_empty() {
        return Ok(vec![true; plan.stages.len()]);
    }
    let mut selected = vec![false; plan.stages.len()];
    let mut stack = Vec::new();
    for name in only {
        let ix = plan.index_of(name).ok_or_else(|| {
            let hint = crate::spec::did_you_mean(name, plan.stages.iter().map(|s| s.name.as_str()))
                .unwrap_or_default();
            BaliError::Spec(format!("error: --only names unknown stage `{name}` {hint}"))
        })?;
        stack.push(ix);
    }
    while let Some(ix) = stack.pop() {
        if !selected[ix] {
            selected[ix] = true;
            stack.extend(plan.stages[ix].inputs.iter().flatten().map(|i| i.producer));
        }
    }
    Ok(selected)
}

/// Whether stage `stage` has one partition per key (a source, or a stage with a partitioned
/// input) rather than one over whole tables: only such stages are split between shards.
pub fn per_partition(stage: &super::plan::PlannedStage) -> bool {
    let mut inputs = stage.inputs.iter().flatten().peekable();
    inputs.peek().is_none() || inputs.any(|i| i.decl.mode == InputMode::Partitioned)
}

/// The stages a sharded run of the `selected` stages needs built beforehand
/// (`--shard-prepare`): the whole tables that its per-partition stages read (with `--only`,
/// those stages select what they need).
pub fn shard_prerequisites(plan: &Plan, selected: &[bool]) -> Vec<String> {
    let mut names = BTreeSet::new();
    let chosen = plan.stages.iter().zip(selected).filter(|(_, &s)| s);
    for (stage, _) in chosen.filter(|(s, _)| per_partition(s)) {
        for inp in stage.inputs.iter().flatten() {
            let producer = &plan.stages[inp.producer];
            if inp.decl.mode == InputMode::Whole || !per_partition(producer) {
                names.insert(producer.name.clone());
            }
        }
    }
    names.into_iter().collect()
}

/// In a sharded run, the stages that may not run, and the whole tables that are not ready for
/// the ones that may (an error naming them: phase 1 has not run, or has not finished).
fn shard_plan(
    plan: &Plan,
    states: &mut [StageState],
    selected: &[bool],
    shard: Shard,
) -> Result<Vec<bool>> {
    let mut allowed = vec![false; plan.stages.len()];
    let mut missing = BTreeSet::new();
    for (i, stage) in plan.stages.iter().enumerate() {
        if !selected[i] || !per_partition(stage) {
            continue;
        }
        allowed[i] = true;
        for inp in stage.inputs.iter().flatten() {
            // A table this stage reads whole, or a whole-table stage it reads by partition:
            // either way its producer does not run in a shard, so it must be built already.
            let whole =
                inp.decl.mode == InputMode::Whole || !per_partition(&plan.stages[inp.producer]);
            if whole && states[inp.producer].needs_run() {
                missing.insert(plan.stages[inp.producer].name.clone());
            }
        }
    }
    if !missing.is_empty() {
        let names: Vec<String> = missing.into_iter().collect();
        return Err(BaliError::Spec(format!(
            "error: --shard {shard}: {} must be built before the shards run (the per-partition \
             stages read the whole of {})\n  hint: run `bali run {} --shard-prepare` once first",
            names.join(", "),
            if names.len() == 1 { "it" } else { "them" },
            plan.file.display()
        )));
    }
    for state in states.iter_mut() {
        state.removed.retain(|k| shard.owns(k));
    }
    Ok(allowed)
}

/// Runs the plan.
pub fn run(plan: &Plan, opts: &RunOptions) -> Result<RunOutcome> {
    let started_at = Utc::now();
    let t0 = Instant::now();
    let store = Store::open(&plan.workdir)?;
    let _lock = match opts.shard {
        None => store.lock()?,
        Some(shard) => store.lock_shard(shard.index, shard.count)?,
    };
    let hashes = FileHashCache::load(store.cache_dir().join("file_hashes.json"));
    let mut states = plan_state(plan, &store, &hashes)?;
    let selected = select_stages(plan, &opts.only)?;
    let allowed = match opts.shard {
        None => vec![true; plan.stages.len()],
        Some(shard) => shard_plan(plan, &mut states, &selected, shard)?,
    };
    // Whether this run builds partition `key` of a stage that needs it.
    let mine = |key: &str| opts.shard.is_none_or(|s| s.owns(key));
    let running: Vec<bool> = (0..plan.stages.len())
        .map(|i| {
            selected[i]
                && allowed[i]
                && (!states[i].removed.is_empty()
                    || states[i]
                        .partitions
                        .iter()
                        .any(|p| p.status.needs_run() && mine(&p.key)))
        })
        .collect();
    // Workers of a sharded run start together: their index keeps their run ids (and so their
    // `_tmp` folders and reports) apart.
    let run_id = match opts.shard {
        None => new_run_id(started_at),
        Some(s) => format!("{}-shard{}of{}", new_run_id(started_at), s.index, s.count),
    };

    // Debris of interrupted runs goes before anything is written: in the stages that run, and
    // wherever a killed worker of a sharded run left partitions half-written. Sharded workers
    // share the workdir, so they leave it to the next run that holds the workdir alone.
    for (i, stage) in plan.stages.iter().enumerate() {
        let debris = selected[i] && store.stage(&stage.name).tmp_dir().exists();
        if (running[i] || debris) && opts.shard.is_none() {
            let report = store
                .stage(&stage.name)
                .clean(states[i].manifest.as_ref())?;
            if report.tmp_removed || report.orphans_removed > 0 {
                let orphans = match report.orphans_removed {
                    0 => String::new(),
                    n => format!(" and {n} file(s) no manifest names"),
                };
                tracing::info!(
                    target: "bali::run",
                    "{}: removed the unfinished partitions of an interrupted or failed run{orphans}",
                    stage.name,
                );
            }
        }
    }

    // Channels for streamed inputs.
    let n = plan.stages.len();
    let mut tees: Vec<Vec<Vec<Sender<Msg>>>> = plan
        .stages
        .iter()
        .map(|s| vec![Vec::new(); s.kind.outputs.len()])
        .collect();
    let mut streams: Vec<Option<(usize, Receiver<Msg>)>> = (0..n).map(|_| None).collect();
    let ancestors = ancestor_sets(plan);
    for (c, stage) in plan.stages.iter().enumerate() {
        if !running[c] {
            continue;
        }
        let partitioned: Vec<(usize, &crate::spec::PlannedInput)> = stage
            .inputs
            .iter()
            .enumerate()
            .filter_map(|(i, inp)| inp.as_ref().map(|inp| (i, inp)))
            .filter(|(_, inp)| inp.decl.mode == InputMode::Partitioned)
            .collect();
        if partitioned.len() != 1 {
            continue;
        }
        let (index, inp) = partitioned[0];
        if !running[inp.producer] {
            continue;
        }
        let whole_depends_on_producer = stage
            .inputs
            .iter()
            .flatten()
            .filter(|i| i.decl.mode == InputMode::Whole)
            .any(|i| i.producer == inp.producer || ancestors[i.producer].contains(&inp.producer));
        if whole_depends_on_producer {
            continue;
        }
        let (tx, rx) = bounded(opts.channel_capacity.max(1));
        tees[inp.producer][inp.output].push(tx);
        streams[c] = Some((index, rx));
    }

    let pending: Vec<Option<HashSet<String>>> = (0..n)
        .map(|i| {
            running[i].then(|| {
                states[i]
                    .partitions
                    .iter()
                    .filter(|p| p.status.needs_run() && mine(&p.key))
                    .map(|p| p.key.clone())
                    .collect()
            })
        })
        .collect();
    let manifests = plan
        .stages
        .iter()
        .zip(&states)
        .map(|(s, st)| {
            Mutex::new(st.manifest.clone().unwrap_or_else(|| {
                Manifest::new(
                    &s.name,
                    s.kind.name,
                    s.kind
                        .outputs
                        .iter()
                        .map(|o| (o.name.to_string(), o.table.to_string()))
                        .collect(),
                )
            }))
        })
        .collect();
    let shared = Shared {
        plan,
        store: store.clone(),
        states,
        manifests,
        board: Board::new(pending),
        cancel: Cancel::new(opts.interrupt.clone()),
        run_id: run_id.clone(),
        read_batch_size: opts.read_batch_size,
        shard: opts.shard,
    };
    let hub = ProgressHub::new(opts.progress);

    let mut results: Vec<Option<(StageReport, Option<BaliError>)>> = (0..n).map(|_| None).collect();
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        let shared = &shared;
        let hub = &hub;
        for (i, stage) in plan.stages.iter().enumerate() {
            if !running[i] {
                continue;
            }
            let my_tees = std::mem::take(&mut tees[i]);
            let stream = streams[i].take();
            let handle = std::thread::Builder::new()
                .name(format!("stage-{}", stage.name))
                .spawn_scoped(scope, move || {
                    let (report, error) = run_stage(shared, hub, i, my_tees, stream);
                    if error.is_some() {
                        shared.cancel.set();
                        shared.board.mark_failed(i);
                    } else {
                        shared.board.mark_finished(i);
                    }
                    (report, error)
                });
            match handle {
                Ok(h) => handles.push((i, h)),
                Err(e) => {
                    shared.cancel.set();
                    shared.board.mark_failed(i);
                    results[i] = Some((
                        skipped_report(shared, i, "not_run"),
                        Some(BaliError::Internal(format!("cannot start a thread: {e}"))),
                    ));
                }
            }
        }
        // Senders not handed to a running producer are dropped here.
        drop(tees);
        for (i, h) in handles {
            let r = h.join().unwrap_or_else(|panic| {
                shared.cancel.set();
                shared.board.mark_failed(i);
                (
                    skipped_report(shared, i, "failed"),
                    Some(BaliError::Internal(format!(
                        "stage thread panicked: {}",
                        panic_message(&panic)
                    ))),
                )
            });
            results[i] = Some(r);
        }
    });

    // The first real error (not a cancellation caused by it) is the run's error.
    let mut error: Option<BaliError> = None;
    let mut stages = Vec::with_capacity(n);
    for (i, r) in results.into_iter().enumerate() {
        let (report, err) = r.unwrap_or_else(|| (skipped_report(&shared, i, "skipped"), None));
        if let Some(e) = err {
            let replace = match &error {
                None => true,
                Some(prev) => prev.is_cancelled() && !e.is_cancelled(),
            };
            if replace {
                error = Some(e);
            }
        }
        stages.push(report);
    }
    // A checkpoint of every log this run appended to, so that the next run reads one object per
    // stage. Best effort: without it, reads fold the entries instead.
    for report in &stages {
        if report.partitions_run + report.partitions_removed > 0 {
            if let Err(e) = store.stage(&report.stage).compact() {
                tracing::warn!(
                    "could not checkpoint the commit log of {}: {e}",
                    report.stage
                );
            }
        }
    }
    let interrupted = shared.cancel.interrupted();
    let status = match (&error, interrupted) {
        (None, _) => "ok",
        (Some(_), true) => "interrupted",
        (Some(_), false) => "failed",
    };
    let report = RunReport {
        run_id,
        pipeline: plan.name.clone(),
        pipeline_file: plan.file.display().to_string(),
        workdir: plan.workdir.display().to_string(),
        shard: opts.shard.map(|s| s.to_string()),
        started_at,
        finished_at: Utc::now(),
        seconds: t0.elapsed().as_secs_f64(),
        status: status.to_string(),
        error: error.as_ref().map(|e| e.to_string()),
        stages,
    };
    let report_path = match report
        .write(&store.runs_dir())
        .and_then(|path| store.publish_run_report(&path).map(|()| path))
    {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::warn!("could not write the run report: {e}");
            None
        }
    };
    Ok(RunOutcome {
        report,
        report_path,
        error,
    })
}

fn ancestor_sets(plan: &Plan) -> Vec<HashSet<usize>> {
    let mut out: Vec<HashSet<usize>> = Vec::with_capacity(plan.stages.len());
    for stage in &plan.stages {
        let mut set = HashSet::new();
        for inp in stage.inputs.iter().flatten() {
            set.insert(inp.producer);
            set.extend(out[inp.producer].iter().copied());
        }
        out.push(set);
    }
    out
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

fn skipped_report(shared: &Shared<'_>, i: usize, action: &str) -> StageReport {
    let stage = &shared.plan.stages[i];
    let state = &shared.states[i];
    StageReport {
        stage: stage.name.clone(),
        kind: stage.kind.name.to_string(),
        partitions_skipped: state
            .partitions
            .iter()
            .filter(|p| !p.status.needs_run())
            .count(),
        partitions: state
            .partitions
            .iter()
            .map(|p| PartitionReport {
                key: p.key.clone(),
                action: if p.status.needs_run() {
                    action.to_string()
                } else {
                    "skipped".into()
                },
                reason: if p.status.needs_run() {
                    format!("{} (not selected)", p.status.describe())
                } else {
                    "fresh".into()
                },
                rows_out: 0,
                seconds: 0.0,
                note: None,
            })
            .collect(),
        ..Default::default()
    }
}

fn run_stage(
    shared: &Shared<'_>,
    hub: &ProgressHub,
    i: usize,
    tees: Vec<Vec<Sender<Msg>>>,
    stream: Option<(usize, Receiver<Msg>)>,
) -> (StageReport, Option<BaliError>) {
    let stage = &shared.plan.stages[i];
    let state: &StageState = &shared.states[i];
    let mut report = StageReport {
        stage: stage.name.clone(),
        kind: stage.kind.name.to_string(),
        ..Default::default()
    };
    let to_run: Vec<&super::state::PartitionPlan> = state
        .partitions
        .iter()
        .filter(|p| shared.builds(p))
        .collect();
    let progress = hub.stage(&stage.name, to_run.len());
    // Keys the streaming producer will send, which we must consume even when ours are fresh.
    let streamed_keys: BTreeSet<String> = match &stream {
        Some((index, _)) => stage.inputs[*index]
            .as_ref()
            .map(|inp| {
                shared.states[inp.producer]
                    .partitions
                    .iter()
                    .filter(|p| shared.builds(p))
                    .map(|p| p.key.clone())
                    .collect()
            })
            .unwrap_or_default(),
        None => BTreeSet::new(),
    };
    let mut keys: Vec<String> = to_run.iter().map(|p| p.key.clone()).collect();
    keys.extend(streamed_keys.iter().cloned());
    keys.sort_by(|a, b| natural_cmp(a, b));
    keys.dedup();

    let mut error = None;
    for key in &keys {
        let plan_part = to_run.iter().find(|p| &p.key == key);
        let stream_in =
            stream
                .as_ref()
                .filter(|_| streamed_keys.contains(key))
                .map(|(index, rx)| StreamIn {
                    input: *index,
                    rx: rx.clone(),
                    ended: Arc::new(AtomicBool::new(false)),
                });
        let Some(part) = plan_part else {
            // Our partition is fresh but the producer rebuilt it: consume and drop its batches.
            if let Some(s) = &stream_in {
                if let Err(e) = drain(s, key, &shared.cancel) {
                    error = Some(e);
                    break;
                }
            }
            continue;
        };
        match run_partition(shared, &progress, i, part, &tees, stream_in) {
            Ok(pr) => {
                report.rows_in += pr.rows_in;
                report.records_skipped += pr.skipped;
                report.records_quarantined += pr.quarantined;
                report.bytes_written += pr.bytes;
                for (name, rows) in &pr.rows_out {
                    *report.rows_out.entry(name.clone()).or_default() += rows;
                }
                report.partitions.push(PartitionReport {
                    key: key.clone(),
                    action: "run".into(),
                    reason: part.status.describe(),
                    rows_out: pr.rows_out.iter().map(|(_, r)| r).sum(),
                    seconds: pr.seconds,
                    note: pr.note.clone(),
                });
                report.partitions_run += 1;
            }
            Err(e) => {
                report.partitions.push(PartitionReport {
                    key: key.clone(),
                    action: if e.is_cancelled() {
                        "cancelled".into()
                    } else {
                        "failed".into()
                    },
                    reason: e.to_string(),
                    rows_out: 0,
                    seconds: 0.0,
                    note: None,
                });
                error = Some(if e.is_cancelled() {
                    BaliError::Cancelled
                } else {
                    BaliError::Stage {
                        stage: stage.name.clone(),
                        partition: key.clone(),
                        source: Box::new(e),
                    }
                });
                break;
            }
        }
    }
    if error.is_none() && !state.removed.is_empty() {
        match remove_partitions(shared, i, &state.removed) {
            Ok(()) => {
                report.partitions_removed = state.removed.len();
                for k in &state.removed {
                    report.partitions.push(PartitionReport {
                        key: k.clone(),
                        action: "removed".into(),
                        reason: "its source is no longer part of the pipeline".into(),
                        rows_out: 0,
                        seconds: 0.0,
                        note: None,
                    });
                }
            }
            Err(e) => error = Some(e),
        }
    }
    if error.is_none() {
        let stage_store = shared.store.stage(&stage.name);
        let tmp = stage_store.run_tmp_dir(&shared.run_id);
        if tmp.exists() {
            if let Err(e) = std::fs::remove_dir_all(&tmp) {
                tracing::warn!("could not remove {}: {e}", tmp.display());
            }
        }
        // `_tmp` itself goes once no other run (another shard) has anything in it.
        let _ = std::fs::remove_dir(stage_store.tmp_dir());
    }
    for p in state.partitions.iter().filter(|p| !p.status.needs_run()) {
        report.partitions_skipped += 1;
        report.partitions.push(PartitionReport {
            key: p.key.clone(),
            action: "skipped".into(),
            reason: "fresh".into(),
            rows_out: 0,
            seconds: 0.0,
            note: None,
        });
    }
    report
        .partitions
        .sort_by(|a, b| natural_cmp(&a.key, &b.key));
    report.seconds = report
        .partitions
        .iter()
        .filter(|p| p.action == "run")
        .map(|p| p.seconds)
        .fold(0.0, |total, s| total + s);
    let rows: u64 = report.rows_out.values().sum();
    report.rows_per_second = if report.seconds > 0.0 {
        rows as f64 / report.seconds
    } else {
        0.0
    };
    let summary = match &error {
        None => format!(
            "{} partition(s) built, {} fresh · {rows} rows · {:.1}s",
            report.partitions_run, report.partitions_skipped, report.seconds
        ),
        Some(e) if e.is_cancelled() => "stopped".to_string(),
        Some(_) => "FAILED".to_string(),
    };
    progress.finish(&summary);
    (report, error)
}

struct PartitionResult {
    note: Option<String>,
    rows_in: u64,
    rows_out: Vec<(String, u64)>,
    skipped: u64,
    quarantined: u64,
    bytes: u64,
    seconds: f64,
}

fn run_partition(
    shared: &Shared<'_>,
    progress: &super::progress::StageProgress,
    i: usize,
    part: &super::state::PartitionPlan,
    tees: &[Vec<Sender<Msg>>],
    stream: Option<StreamIn>,
) -> Result<PartitionResult> {
    let stage = &shared.plan.stages[i];
    let stage_store = shared.store.stage(&stage.name);
    let t0 = Instant::now();
    progress.begin_partition(&part.key);
    let outputs: Vec<(String, arrow::datatypes::SchemaRef)> = stage
        .kind
        .outputs
        .iter()
        .map(|o| (o.name.to_string(), o.table.schema()))
        .collect();
    let writer = PartitionWriter::create(
        &stage_store,
        &stage_store.run_tmp_dir(&shared.run_id),
        &part.key,
        &part.fingerprint,
        &outputs,
    )?;
    let rows_in = Arc::new(AtomicU64::new(0));
    let waited = Arc::new(AtomicU64::new(0));
    let mut ctx = PartitionCtx {
        shared,
        stage_ix: i,
        key: part.key.clone(),
        fingerprint: part.fingerprint.clone(),
        writer,
        tees,
        stream,
        taken: HashSet::new(),
        rows_in: rows_in.clone(),
        skipped: 0,
        note: None,
        waited: waited.clone(),
        progress,
        scratch: None,
    };
    let result =
        catch_unwind(AssertUnwindSafe(|| stage.stage.run(&mut ctx))).unwrap_or_else(|panic| {
            Err(BaliError::Internal(format!(
                "stage panicked: {}",
                panic_message(&panic)
            )))
        });
    result?;
    // Keep the stream in step even if the stage did not read all of it.
    if let Some(s) = &ctx.stream {
        if !s.ended.load(Ordering::SeqCst) {
            blocked(&waited, || drain(s, &part.key, &shared.cancel))?;
        }
    }
    // Never commit before the inputs this partition was built from are committed.
    for inp in stage.inputs.iter().flatten() {
        blocked(&waited, || match inp.decl.mode {
            InputMode::Partitioned => {
                shared
                    .board
                    .wait_committed(&shared.cancel, inp.producer, &part.key)
            }
            InputMode::Whole => shared.board.wait_finished(&shared.cancel, inp.producer),
        })?;
    }
    shared.cancel.check()?;
    let PartitionCtx {
        writer,
        skipped,
        note,
        scratch,
        ..
    } = ctx;
    let rows_out: Vec<(String, u64)> = outputs
        .iter()
        .enumerate()
        .map(|(ix, (name, _))| (name.clone(), writer.rows(ix)))
        .collect();
    let (written, artifacts) = writer.commit()?;
    // The partition's own work: wall time less the time blocked on other stages.
    let seconds = t0
        .elapsed()
        .saturating_sub(std::time::Duration::from_nanos(
            waited.load(Ordering::Relaxed),
        ))
        .as_secs_f64();
    let quarantined = stage
        .kind
        .outputs
        .iter()
        .zip(&rows_out)
        .filter(|(o, _)| o.table == crate::tables::TableType::Rejects)
        .map(|(_, (_, r))| r)
        .sum();
    let record = PartitionRecord {
        fingerprint: part.fingerprint.clone(),
        inputs: part.inputs.clone(),
        files: crate::store::writer_files_map(&written),
        artifacts,
        created_at: Utc::now(),
        run_id: shared.run_id.clone(),
        seconds,
        rows_in: rows_in.load(Ordering::Relaxed),
        skipped,
    };
    let bytes = record.files.values().map(|f| f.bytes).sum();
    {
        let mut manifest = shared.manifest(i);
        let mut entry = LogEntry::for_manifest(&manifest);
        entry.put.insert(part.key.clone(), record.clone());
        stage_store.commit(&entry)?;
        let old = manifest.partitions.insert(part.key.clone(), record);
        if let Some(old) = old {
            delete_superseded(&stage_store, &old, manifest.partitions.get(&part.key));
        }
    }
    if let Some(dir) = scratch {
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            tracing::warn!("could not remove {}: {e}", dir.display());
        }
    }
    shared.board.mark_committed(i, &part.key);
    for out in tees {
        for tx in out {
            send(tx, Msg::End(part.key.clone()), &shared.cancel)?;
        }
    }
    progress.end_partition();
    Ok(PartitionResult {
        note,
        rows_in: rows_in.load(Ordering::Relaxed),
        rows_out,
        skipped,
        quarantined,
        bytes,
        seconds,
    })
}

fn delete_superseded(
    stage_store: &crate::store::StageStore,
    old: &PartitionRecord,
    new: Option<&PartitionRecord>,
) {
    let keep: HashSet<&str> = new
        .map(|n| {
            n.files
                .values()
                .map(|f| f.path.as_str())
                .chain(n.artifacts.as_deref())
                .collect()
        })
        .unwrap_or_default();
    for path in old
        .files
        .values()
        .map(|f| f.path.as_str())
        .chain(old.artifacts.as_deref())
    {
        if keep.contains(path) {
            continue;
        }
        if let Err(e) = stage_store.delete(path) {
            tracing::warn!(
                "could not remove superseded {path} of `{}`: {e}",
                stage_store.name()
            );
        }
    }
}

fn remove_partitions(shared: &Shared<'_>, i: usize, keys: &[String]) -> Result<()> {
    let stage = &shared.plan.stages[i];
    let stage_store = shared.store.stage(&stage.name);
    let mut manifest = shared.manifest(i);
    let mut entry = LogEntry::for_manifest(&manifest);
    entry.remove = keys.to_vec();
    stage_store.commit(&entry)?;
    let removed: Vec<PartitionRecord> = keys
        .iter()
        .filter_map(|k| manifest.partitions.remove(k))
        .collect();
    for old in &removed {
        delete_superseded(&stage_store, old, None);
    }
    Ok(())
}

fn drain(stream: &StreamIn, key: &str, cancel: &Cancel) -> Result<()> {
    loop {
        match stream
            .rx
            .recv_timeout(std::time::Duration::from_millis(100))
        {
            Ok(Msg::Batch(_)) => {}
            Ok(Msg::End(k)) => {
                stream.ended.store(true, Ordering::SeqCst);
                if k != key {
                    return Err(BaliError::Internal(format!(
                        "stream out of step: expected the end of `{key}`, got `{k}`"
                    )));
                }
                return Ok(());
            }
            Err(RecvTimeoutError::Timeout) => cancel.check()?,
            Err(RecvTimeoutError::Disconnected) => return Err(BaliError::Cancelled),
        }
    }
}
