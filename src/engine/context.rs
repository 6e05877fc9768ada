//! What a stage sees while it builds one partition: its inputs, its outputs, progress,
//! cancellation, and folders for files that belong to the partition.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use arrow::datatypes::{DataType, Field, SchemaRef};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use crossbeam_channel::{Receiver, RecvTimeoutError, SendTimeoutError, Sender};

use super::plan::Plan;
use super::progress::StageProgress;
use super::stage::InputMode;
use super::state::StageState;
use crate::error::{BaliError, IoResultExt, Result};
use crate::store::{read_parquet_files, BatchStream, Manifest, PartitionWriter, Store};
use crate::tables::TableType;

/// A message on a channel between two stages. Partitions follow each other in key order, each
/// closed by `End`.
#[derive(Debug, Clone)]
pub(crate) enum Msg {
    Batch(RecordBatch),
    End(String),
}

const POLL: Duration = Duration::from_millis(100);

/// Cancellation shared by the stages of a run: set by the first failure or by Ctrl-C.
#[derive(Debug, Default)]
pub(crate) struct Cancel {
    flag: AtomicBool,
    interrupt: Option<Arc<AtomicBool>>,
}

impl Cancel {
    pub(crate) fn new(interrupt: Option<Arc<AtomicBool>>) -> Cancel {
        Cancel {
            flag: AtomicBool::new(false),
            interrupt,
        }
    }
    pub(crate) fn set(&self) {
        self.flag.store(true, Ordering::SeqCst);
    }
    pub(crate) fn interrupted(&self) -> bool {
        self.interrupt
            .as_ref()
            .is_some_and(|i| i.load(Ordering::SeqCst))
    }
    pub(crate) fn is_set(&self) -> bool {
        self.flag.load(Ordering::SeqCst) || self.interrupted()
    }
    pub(crate) fn check(&self) -> Result<()> {
        if self.is_set() {
            Err(BaliError::Cancelled)
        } else {
            Ok(())
        }
    }
}

#[derive(Debug, Default)]
struct BoardEntry {
    pending: HashSet<String>,
    finished: bool,
    failed: bool,
}

/// Which partitions each stage has committed in this run, so that consumers reading a
/// checkpoint wait for it to exist.
#[derive(Debug)]
pub(crate) struct Board {
    entries: Mutex<Vec<BoardEntry>>,
    changed: Condvar,
}

impl Board {
    pub(crate) fn new(pending: Vec<Option<HashSet<String>>>) -> Board {
        Board {
            entries: Mutex::new(
                pending
                    .into_iter()
                    .map(|p| BoardEntry {
                        finished: p.is_none(),
                        pending: p.unwrap_or_default(),
                        failed: false,
                    })
                    .collect(),
            ),
            changed: Condvar::new(),
        }
    }

    fn wait(
        &self,
        cancel: &Cancel,
        mut done: impl FnMut(&BoardEntry) -> bool,
        stage: usize,
    ) -> Result<()> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let e = &entries[stage];
            if e.failed {
                return Err(BaliError::Cancelled);
            }
            if done(e) {
                return Ok(());
            }
            cancel.check()?;
            entries = self
                .changed
                .wait_timeout(entries, POLL)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    pub(crate) fn wait_committed(&self, cancel: &Cancel, stage: usize, key: &str) -> Result<()> {
        self.wait(cancel, |e| !e.pending.contains(key), stage)
    }

    pub(crate) fn wait_finished(&self, cancel: &Cancel, stage: usize) -> Result<()> {
        self.wait(cancel, |e| e.finished, stage)
    }

    fn update(&self, stage: usize, f: impl FnOnce(&mut BoardEntry)) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut entries[stage]);
        self.changed.notify_all();
    }

    pub(crate) fn mark_committed(&self, stage: usize, key: &str) {
        self.update(stage, |e| {
            e.pending.remove(key);
        });
    }

    pub(crate) fn mark_finished(&self, stage: usize) {
        self.update(stage, |e| e.finished = true);
    }

    pub(crate) fn mark_failed(&self, stage: usize) {
        self.update(stage, |e| e.failed = true);
    }
}

/// State shared by every stage thread of one run.
pub(crate) struct Shared<'p> {
    pub(crate) plan: &'p Plan,
    pub(crate) store: Store,
    pub(crate) states: Vec<StageState>,
    /// In-memory manifests, kept current by the owning stage thread.
    pub(crate) manifests: Vec<Mutex<Manifest>>,
    pub(crate) board: Board,
    pub(crate) cancel: Cancel,
    pub(crate) run_id: String,
    pub(crate) read_batch_size: usize,
    /// This worker's share, in a sharded run.
    pub(crate) shard: Option<super::shard::Shard>,
}

impl Shared<'_> {
    /// Whether this run builds the planned partition `p`: it needs building and, in a sharded
    /// run, it is this worker's.
    pub(crate) fn builds(&self, p: &super::state::PartitionPlan) -> bool {
        p.status.needs_run() && self.shard.is_none_or(|s| s.owns(&p.key))
    }

    pub(crate) fn manifest(&self, stage: usize) -> std::sync::MutexGuard<'_, Manifest> {
        self.manifests[stage]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }
}

/// The streamed input of a partition: batches arrive through a channel until `End`.
pub(crate) struct StreamIn {
    pub(crate) input: usize,
    pub(crate) rx: Receiver<Msg>,
    pub(crate) ended: Arc<AtomicBool>,
}

/// What a stage gets while producing one partition.
pub struct PartitionCtx<'a> {
    pub(crate) shared: &'a Shared<'a>,
    pub(crate) stage_ix: usize,
    pub(crate) key: String,
    pub(crate) fingerprint: String,
    pub(crate) writer: PartitionWriter,
    pub(crate) tees: &'a [Vec<Sender<Msg>>],
    pub(crate) stream: Option<StreamIn>,
    pub(crate) taken: HashSet<usize>,
    pub(crate) rows_in: Arc<AtomicU64>,
    pub(crate) skipped: u64,
    pub(crate) note: Option<String>,
    /// Nanoseconds spent blocked on other stages: waiting for inputs, or for room in a
    /// downstream channel. The partition's reported seconds leave them out.
    pub(crate) waited: Arc<AtomicU64>,
    pub(crate) progress: &'a StageProgress,
    pub(crate) scratch: Option<PathBuf>,
}

impl<'a> PartitionCtx<'a> {
    /// The stage name.
    pub fn stage(&self) -> &str {
        &self.shared.plan.stages[self.stage_ix].name
    }

    /// The partition key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The partition's fingerprint.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The pipeline seed.
    pub fn seed(&self) -> u64 {
        self.shared.plan.seed
    }

    /// Whether optional input `index` was given.
    pub fn has_input(&self, index: usize) -> bool {
        self.shared.plan.stages[self.stage_ix]
            .inputs
            .get(index)
            .is_some_and(|i| i.is_some())
    }

    fn planned(&self, index: usize) -> Result<&crate::spec::PlannedInput> {
        self.shared.plan.stages[self.stage_ix]
            .inputs
            .get(index)
            .and_then(|i| i.as_ref())
            .ok_or_else(|| {
                BaliError::Internal(format!("stage `{}` has no input {index}", self.stage()))
            })
    }

    /// The batches of partitioned input `index` for this partition. Streamed from the producer
    /// when it is building the same partition in this run, read from its checkpoint otherwise.
    /// Each partitioned input can be taken once per partition.
    pub fn input(&mut self, index: usize) -> Result<BatchStream> {
        let planned = self.planned(index)?.clone();
        if planned.decl.mode != InputMode::Partitioned {
            return Err(BaliError::Internal(format!(
                "input {index} of `{}` is a whole table: use ctx.whole({index})",
                self.stage()
            )));
        }
        if !self.taken.insert(index) {
            return Err(BaliError::Internal(format!(
                "input {index} of `{}` was already taken for partition `{}`",
                self.stage(),
                self.key
            )));
        }
        let schema = self.shared.plan.stages[planned.producer].kind.outputs[planned.output]
            .table
            .schema();
        let rows = self.rows_in.clone();
        if let Some(stream) = self.stream.as_ref().filter(|s| s.input == index) {
            let rx = stream.rx.clone();
            let ended = stream.ended.clone();
            let key = self.key.clone();
            let waited = self.waited.clone();
            // The stream cannot borrow the context, so cancellation reaches it through the
            // channel: a stopping producer drops its sender.
            let iter = std::iter::from_fn(move || {
                if ended.load(Ordering::SeqCst) {
                    return None;
                }
                loop {
                    match blocked(&waited, || rx.recv_timeout(POLL)) {
                        Ok(Msg::Batch(b)) => {
                            rows.fetch_add(b.num_rows() as u64, Ordering::Relaxed);
                            return Some(Ok(b));
                        }
                        Ok(Msg::End(k)) => {
                            ended.store(true, Ordering::SeqCst);
                            if k != key {
                                return Some(Err(BaliError::Internal(format!(
                                    "stream out of step: expected the end of `{key}`, got `{k}`"
                                ))));
                            }
                            return None;
                        }
                        Err(RecvTimeoutError::Timeout) => continue,
                        Err(RecvTimeoutError::Disconnected) => {
                            return Some(Err(BaliError::Cancelled))
                        }
                    }
                }
            });
            return Ok(BatchStream::new(schema, iter));
        }
        blocked(&self.waited, || {
            self.shared
                .board
                .wait_committed(&self.shared.cancel, planned.producer, &self.key)
        })?;
        let producer = &self.shared.plan.stages[planned.producer];
        let output_name = producer.kind.outputs[planned.output].name;
        let file = {
            let m = self.shared.manifest(planned.producer);
            let rec = m.partitions.get(&self.key).ok_or_else(|| {
                BaliError::Internal(format!(
                    "input `{}` has no committed partition `{}`",
                    planned.label, self.key
                ))
            })?;
            let f = rec.files.get(output_name).ok_or_else(|| {
                BaliError::Internal(format!(
                    "partition `{}` of `{}` has no output `{output_name}`",
                    self.key, producer.name
                ))
            })?;
            f.path.clone()
        };
        let file = self.shared.store.stage(&producer.name).fetch_file(&file)?;
        let stream = read_parquet_files(
            schema.clone(),
            vec![file],
            None,
            self.shared.read_batch_size,
        )?;
        Ok(BatchStream::new(
            schema,
            stream.inspect(move |b| {
                if let Ok(b) = b {
                    rows.fetch_add(b.num_rows() as u64, Ordering::Relaxed);
                }
            }),
        ))
    }

    /// The whole table of input `index` (every partition), once its producer has finished.
    pub fn whole(&self, index: usize) -> Result<Table> {
        let (planned, manifest) = self.finished(index)?;
        let output = self.shared.plan.stages[planned.producer].kind.outputs[planned.output].name;
        let table = Table::from_manifest(&self.shared.store, &manifest, output)?;
        Ok(table.with_row_counter(self.rows_in.clone()))
    }

    /// Another output of the stage that produces input `index`, as a whole table, once that
    /// stage has finished: e.g. the `deletions` written beside an `articles` input, which the
    /// current view of PubMed needs. `None` when the producer declares no output of that name.
    ///
    /// No separate fingerprint is needed: a sibling output belongs to the same partitions as
    /// the input itself, whose fingerprints this stage's fingerprint already covers.
    pub fn whole_sibling(&self, index: usize, output: &str) -> Result<Option<Table>> {
        let (_, manifest) = self.finished(index)?;
        if !manifest.outputs.iter().any(|(name, _)| name == output) {
            return Ok(None);
        }
        let table = Table::from_manifest(&self.shared.store, &manifest, output)?;
        Ok(Some(table.with_row_counter(self.rows_in.clone())))
    }

    /// Waits (counted as blocked time) until the producer of input `index` has finished, then
    /// returns the input's plan and a copy of the producer's manifest.
    fn finished(&self, index: usize) -> Result<(&crate::spec::PlannedInput, Manifest)> {
        let planned = self.planned(index)?;
        blocked(&self.waited, || {
            self.shared
                .board
                .wait_finished(&self.shared.cancel, planned.producer)
        })?;
        Ok((planned, self.shared.manifest(planned.producer).clone()))
    }

    /// Appends a batch to output `index` (its checkpoint file and any stage streaming from it).
    /// The batch must have the output's declared columns, types and nullability.
    pub fn emit(&mut self, index: usize, batch: RecordBatch) -> Result<()> {
        self.shared.cancel.check()?;
        let schema = self.writer.schema(index).ok_or_else(|| {
            BaliError::Internal(format!("stage `{}` has no output {index}", self.stage()))
        })?;
        check_schema(&schema, &batch).map_err(|msg| {
            BaliError::Internal(format!(
                "stage `{}` emitted a batch that does not match output {index}'s schema: {msg}",
                self.stage()
            ))
        })?;
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let batch = RecordBatch::try_new_with_options(
            schema,
            batch.columns().to_vec(),
            &RecordBatchOptions::new().with_match_field_names(false),
        )?;
        self.writer.write(index, &batch)?;
        for tx in &self.tees[index] {
            blocked(&self.waited, || {
                send(tx, Msg::Batch(batch.clone()), &self.shared.cancel)
            })?;
        }
        Ok(())
    }

    /// Rows emitted so far to output `index` in this partition.
    pub fn rows_emitted(&self, index: usize) -> u64 {
        self.writer.rows(index)
    }

    /// Records one line for the run report about how this partition was built (e.g. the
    /// trainer: "continued from the previous run"); the last call wins.
    pub fn note(&mut self, text: impl Into<String>) {
        self.note = Some(text.into());
    }

    /// Counts input records skipped (bad input under `on_error: skip`).
    pub fn skipped(&mut self, n: u64) {
        self.skipped += n;
    }

    /// A folder for files that belong to this partition (an index, a model). It is committed
    /// with the partition and found by consumers through [`Table::artifact_dir`].
    pub fn artifact_dir(&mut self) -> Result<PathBuf> {
        self.writer.artifact_dir()
    }

    /// A folder that survives a failed or interrupted run of this same partition (same
    /// fingerprint), for resumable work such as training checkpoints. Removed once the
    /// partition commits.
    pub fn scratch_dir(&mut self) -> Result<PathBuf> {
        let dir = self
            .shared
            .store
            .stage(self.stage())
            .scratch_dir(&self.key, &self.fingerprint);
        std::fs::create_dir_all(&dir).at(&dir)?;
        self.scratch = Some(dir.clone());
        Ok(dir)
    }

    /// The store's cache folder, shared by every stage and run (content-keyed files that are
    /// safe to delete).
    pub fn cache_dir(&self) -> PathBuf {
        self.shared.store.cache_dir()
    }

    /// The artifact folder of this partition as last committed (an older fingerprint), if any:
    /// lets a stage continue from its previous result (e.g. training with `continue: true`).
    pub fn previous_artifact_dir(&self) -> Result<Option<PathBuf>> {
        let state = &self.shared.states[self.stage_ix];
        let Some(rel) = state
            .manifest
            .as_ref()
            .and_then(|m| m.partitions.get(&self.key))
            .and_then(|rec| rec.artifacts.as_ref())
        else {
            return Ok(None);
        };
        let stage_store = self.shared.store.stage(self.stage());
        if !stage_store.holds(rel, true)? {
            return Ok(None);
        }
        let dir = stage_store.fetch_dir(rel)?;
        Ok(dir.is_dir().then_some(dir))
    }

    /// The stage's progress display.
    pub fn progress(&self) -> &StageProgress {
        self.progress
    }

    /// `Err(Cancelled)` once the run is being stopped; call it in long loops.
    pub fn check_cancelled(&self) -> Result<()> {
        self.shared.cancel.check()
    }

    /// Whether the run is being stopped.
    pub fn is_cancelled(&self) -> bool {
        self.shared.cancel.is_set()
    }
}

/// Runs `f`, adding the time it took to `waited` (nanoseconds).
pub(crate) fn blocked<T>(waited: &AtomicU64, f: impl FnOnce() -> T) -> T {
    let t0 = std::time::Instant::now();
    let out = f();
    waited.fetch_add(t0.elapsed().as_nanos() as u64, Ordering::Relaxed);
    out
}

pub(crate) fn send(tx: &Sender<Msg>, mut msg: Msg, cancel: &Cancel) -> Result<()> {
    loop {
        match tx.send_timeout(msg, POLL) {
            Ok(()) => return Ok(()),
            Err(SendTimeoutError::Timeout(m)) => {
                cancel.check()?;
                msg = m;
            }
            Err(SendTimeoutError::Disconnected(_)) => return Err(BaliError::Cancelled),
        }
    }
}

/// Compares names, types and nullability, ignoring metadata (descriptions live in the declared
/// schema only).
fn check_schema(declared: &SchemaRef, batch: &RecordBatch) -> std::result::Result<(), String> {
    let got = batch.schema();
    if got.fields().len() != declared.fields().len() {
        return Err(format!(
            "{} columns instead of {} ({:?})",
            got.fields().len(),
            declared.fields().len(),
            got.fields().iter().map(|f| f.name()).collect::<Vec<_>>()
        ));
    }
    for (d, g) in declared.fields().iter().zip(got.fields()) {
        same_field(d, g).map_err(|m| format!("column `{}`: {m}", d.name()))?;
    }
    for (d, col) in declared.fields().iter().zip(batch.columns()) {
        if !d.is_nullable() && col.null_count() > 0 {
            return Err(format!(
                "column `{}` is not nullable but has {} nulls",
                d.name(),
                col.null_count()
            ));
        }
    }
    Ok(())
}

fn same_field(d: &Field, g: &Field) -> std::result::Result<(), String> {
    if d.name() != g.name() {
        return Err(format!("named `{}`, expected `{}`", g.name(), d.name()));
    }
    same_type(d.data_type(), g.data_type())
}

fn same_type(d: &DataType, g: &DataType) -> std::result::Result<(), String> {
    match (d, g) {
        (DataType::List(a), DataType::List(b))
        | (DataType::LargeList(a), DataType::LargeList(b)) => {
            if a.is_nullable() != b.is_nullable() {
                return Err("list item nullability differs".into());
            }
            same_type(a.data_type(), b.data_type())
        }
        (DataType::Struct(a), DataType::Struct(b)) => {
            if a.len() != b.len() {
                return Err(format!(
                    "struct has {} fields, expected {}",
                    b.len(),
                    a.len()
                ));
            }
            for (x, y) in a.iter().zip(b.iter()) {
                same_field(x, y)?;
                if x.is_nullable() != y.is_nullable() {
                    return Err(format!("struct field `{}` nullability differs", x.name()));
                }
            }
            Ok(())
        }
        _ if d == g => Ok(()),
        _ => Err(format!("type {g}, expected {d}")),
    }
}

/// A committed table: every partition of one stage output, as the manifest lists it.
#[derive(Debug, Clone)]
pub struct Table {
    stage: String,
    output: String,
    table_type: TableType,
    schema: SchemaRef,
    partitions: Vec<(String, PathBuf, u64)>,
    /// The objects' URLs of a remote workdir's partitions, in partition order.
    urls: Vec<Option<String>>,
    artifacts: HashMap<String, PathBuf>,
    read_batch_size: usize,
    rows_counter: Option<Arc<AtomicU64>>,
}

/// What stage `stage` has committed; an error when it has never committed.
fn committed(store: &Store, stage: &str) -> Result<Manifest> {
    let stage_store = store.stage(stage);
    stage_store.manifest()?.ok_or_else(|| BaliError::Store {
        path: stage_store.location(),
        reason: format!("stage `{stage}` has no checkpoint (run the pipeline first)"),
    })
}

impl Table {
    /// Opens output `output` (`None`: the default one) of stage `stage` as committed on disk.
    pub fn open(store: &Store, stage: &str, output: Option<&str>) -> Result<Table> {
        let manifest = committed(store, stage)?;
        let output = match output {
            Some(o) => o.to_string(),
            None => manifest
                .outputs
                .first()
                .map(|o| o.0.clone())
                .ok_or_else(|| {
                    BaliError::Internal(format!("stage `{stage}` declares no output"))
                })?,
        };
        Table::from_manifest(store, &manifest, &output)
    }

    pub(crate) fn from_manifest(store: &Store, manifest: &Manifest, output: &str) -> Result<Table> {
        Table::from_manifest_fetching(store, manifest, output, true)
    }

    /// Like [`open`](Self::open), but a remote workdir's files are not downloaded: for readers
    /// that take the objects' URLs ([`locations`](Self::locations)), such as DataFusion.
    pub fn open_remote(store: &Store, stage: &str, output: &str) -> Result<Table> {
        Table::from_manifest_fetching(store, &committed(store, stage)?, output, false)
    }

    fn from_manifest_fetching(
        store: &Store,
        manifest: &Manifest,
        output: &str,
        fetch: bool,
    ) -> Result<Table> {
        let stage_store = store.stage(&manifest.stage);
        let (_, type_name) = manifest
            .outputs
            .iter()
            .find(|(n, _)| n == output)
            .ok_or_else(|| BaliError::Store {
                path: stage_store.location(),
                reason: format!("stage `{}` has no output `{output}`", manifest.stage),
            })?;
        let table_type = TableType::from_name(type_name).ok_or_else(|| BaliError::Store {
            path: stage_store.location(),
            reason: format!("unknown table type `{type_name}` (written by a newer bali?)"),
        })?;
        let mut keys: Vec<&String> = manifest.partitions.keys().collect();
        keys.sort_by(|a, b| super::state::natural_cmp(a, b));
        let mut partitions = Vec::new();
        let mut urls = Vec::new();
        let mut artifacts = HashMap::new();
        for key in keys {
            let rec = &manifest.partitions[key];
            if let Some(f) = rec.files.get(output) {
                let local = match fetch {
                    true => stage_store.fetch_file(&f.path)?,
                    false => stage_store.resolve(&f.path),
                };
                urls.push(stage_store.url_of(&f.path));
                partitions.push((key.clone(), local, f.rows));
            }
            if let Some(a) = &rec.artifacts {
                let local = match fetch {
                    true => stage_store.fetch_dir(a)?,
                    false => stage_store.resolve(a),
                };
                artifacts.insert(key.clone(), local);
            }
        }
        Ok(Table {
            stage: manifest.stage.clone(),
            output: output.to_string(),
            table_type,
            schema: table_type.schema(),
            partitions,
            urls,
            artifacts,
            read_batch_size: 8192,
            rows_counter: None,
        })
    }

    fn with_row_counter(mut self, counter: Arc<AtomicU64>) -> Table {
        self.rows_counter = Some(counter);
        self
    }

    /// The producing stage.
    pub fn stage(&self) -> &str {
        &self.stage
    }

    /// The output name.
    pub fn output(&self) -> &str {
        &self.output
    }

    /// What the table holds.
    pub fn table_type(&self) -> TableType {
        self.table_type
    }

    /// The declared schema.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Partition keys in order.
    pub fn partition_keys(&self) -> Vec<&str> {
        self.partitions.iter().map(|(k, _, _)| k.as_str()).collect()
    }

    /// Rows over all partitions.
    pub fn num_rows(&self) -> u64 {
        self.partitions.iter().map(|(_, _, r)| r).sum()
    }

    /// The Parquet files, in partition order.
    pub fn files(&self) -> Vec<PathBuf> {
        self.partitions.iter().map(|(_, p, _)| p.clone()).collect()
    }

    /// Where each partition's file is, in partition order: its object's URL on a remote
    /// workdir, its local path otherwise.
    pub fn locations(&self) -> Vec<String> {
        self.partitions
            .iter()
            .zip(&self.urls)
            .map(|((_, path, _), url)| {
                url.clone()
                    .unwrap_or_else(|| path.to_string_lossy().to_string())
            })
            .collect()
    }

    /// Every batch of every partition, in partition order.
    pub fn scan(&self) -> Result<BatchStream> {
        self.scan_files(self.files(), None)
    }

    /// Like [`scan`](Self::scan), keeping only `columns` (in that order).
    pub fn scan_columns(&self, columns: &[&str]) -> Result<BatchStream> {
        self.scan_files(self.files(), Some(columns))
    }

    /// The batches of one partition.
    pub fn scan_partition(&self, key: &str) -> Result<BatchStream> {
        let files = self
            .partitions
            .iter()
            .filter(|(k, _, _)| k == key)
            .map(|(_, p, _)| p.clone())
            .collect();
        self.scan_files(files, None)
    }

    fn scan_files(&self, files: Vec<PathBuf>, columns: Option<&[&str]>) -> Result<BatchStream> {
        let stream = read_parquet_files(self.schema.clone(), files, columns, self.read_batch_size)?;
        match &self.rows_counter {
            None => Ok(stream),
            Some(counter) => {
                let counter = counter.clone();
                let schema = stream.schema();
                Ok(BatchStream::new(
                    schema,
                    stream.inspect(move |b| {
                        if let Ok(b) = b {
                            counter.fetch_add(b.num_rows() as u64, Ordering::Relaxed);
                        }
                    }),
                ))
            }
        }
    }

    /// The artifact folder of partition `key`, if it wrote one.
    pub fn artifact_dir(&self, key: &str) -> Option<&Path> {
        self.artifacts.get(key).map(PathBuf::as_path)
    }

    /// The artifact folder of the only partition (for single-partition dimension stages).
    pub fn single_artifact_dir(&self) -> Option<&Path> {
        if self.artifacts.len() == 1 {
            self.artifacts.values().next().map(PathBuf::as_path)
        } else {
            None
        }
    }
}
