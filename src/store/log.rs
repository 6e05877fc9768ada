//! A stage's commit log: partitions are committed by creating objects, never by renaming or
//! rewriting one.
//!
//! ```text
//! <stage>/_log/00000000000000000001.json              one entry per commit
//! <stage>/_log/00000000000000000064.checkpoint.json   the folded manifest as of entry 64
//! ```
//!
//! An entry names the partitions it commits (their full [`PartitionRecord`]s) and the keys it
//! removes. It is written with a create-only put ([`PutMode::Create`]: If-None-Match on S3, a
//! hard link on a local disk), so of two writers that reach for the same sequence number
//! exactly one gets it; the other lists the log again and takes the next free number. Readers
//! fold the latest checkpoint and the entries after it into a [`Manifest`]; a partition is
//! committed exactly when an entry of the fold names it, so a writer killed at any point leaves
//! either no entry or a whole one.
//!
//! Every [`CHECKPOINT_EVERY`]th entry, its writer also writes the checkpoint of that entry
//! (create-only too, so a second writer's identical checkpoint is simply refused) and deletes
//! what the previous checkpoint covers: entries up to it and older checkpoints, once they are
//! older than the log's retention ([`RETENTION`]). A writer that finishes a batch of commits
//! checkpoints its last entry the same way ([`CommitLog::compact`]). A reader that listed the
//! log before that checkpoint existed starts from the previous one, whose later entries are
//! kept; one that finds an entry gone mid-fold lists again.
//!
//! The retention is what keeps a sequence number from being used twice: a deleted entry's
//! name could be created again by a writer that listed the log before the deletion and was
//! stalled since, and no fold would ever read that entry. Entries therefore outlive any
//! writer's list-to-create window by a wide margin, and a writer whose window exceeds half the
//! retention reports its commit as failed (the entry exists; the next run finds the partition
//! committed, or rebuilds it).
//!
//! A workdir from before the log has `<stage>/_manifest.json`: it reads as checkpoint 0, and
//! the first commit turns it into one.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde::{Deserialize, Serialize};

use super::manifest::{Manifest, PartitionRecord, MANIFEST_FORMAT};
use super::objects::block_on;
use crate::error::{BaliError, Result};

/// Folder of a stage's log, inside the stage folder.
pub const LOG_DIR: &str = "_log";

/// A checkpoint is written at every entry whose sequence number is a multiple of this.
pub const CHECKPOINT_EVERY: u64 = 64;

/// Version of the log entry format.
pub const LOG_FORMAT: u32 = 1;

/// How long compacted entries and checkpoints are kept before they are deleted.
pub const RETENTION: std::time::Duration = std::time::Duration::from_secs(3600);

/// How many times a commit lists the log again after losing a sequence number to another
/// writer before it gives up (each loss means another writer committed, so this is only
/// reached under hundreds of simultaneous committers).
const MAX_CONFLICTS: u32 = 1000;

/// One commit: the partitions it adds or replaces and the keys it removes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogEntry {
    /// [`LOG_FORMAT`] of the writer.
    pub log_format: u32,
    /// Stage name.
    pub stage: String,
    /// Stage kind (the fold keeps the latest entry's).
    pub kind: String,
    /// Outputs in declaration order: (name, table type).
    pub outputs: Vec<(String, String)>,
    /// Partitions committed by this entry, by key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub put: BTreeMap<String, PartitionRecord>,
    /// Keys removed by this entry (applied before `put`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<String>,
}

impl LogEntry {
    /// An entry with the header of `manifest` and nothing in it yet.
    pub fn for_manifest(manifest: &Manifest) -> LogEntry {
        LogEntry {
            log_format: LOG_FORMAT,
            stage: manifest.stage.clone(),
            kind: manifest.kind.clone(),
            outputs: manifest.outputs.clone(),
            put: BTreeMap::new(),
            remove: Vec::new(),
        }
    }

    /// Applies the entry to `manifest` (or to an empty one with its header).
    fn apply(self, manifest: Option<Manifest>) -> Manifest {
        let mut m = manifest.unwrap_or_else(|| Manifest::new(&self.stage, &self.kind, Vec::new()));
        m.manifest_format = MANIFEST_FORMAT;
        m.stage = self.stage;
        m.kind = self.kind;
        m.outputs = self.outputs;
        for key in &self.remove {
            m.partitions.remove(key);
        }
        m.partitions.extend(self.put);
        m
    }
}

/// What a commit did, for logs and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// The entry's sequence number.
    pub seq: u64,
    /// Sequence numbers lost to other writers before this one was won.
    pub conflicts: u32,
}

/// The commit log of one stage on an object store.
#[derive(Debug, Clone)]
pub struct CommitLog {
    objects: Arc<dyn ObjectStore>,
    /// The log folder (`<stage>/_log`) in the store.
    dir: ObjectPath,
    /// The stage folder in the store, for the legacy manifest.
    stage_dir: ObjectPath,
    /// Where the stage folder is on the local disk, when it is on one: entries are synced
    /// there, and errors name real paths.
    local: Option<PathBuf>,
    /// How long compacted objects are kept ([`RETENTION`]).
    retention: std::time::Duration,
    /// `scheme://bucket` of a log in a bucket, so messages name objects by URL.
    url_base: Option<String>,
}

/// The objects of a log folder, by kind, with their last-modified times.
#[derive(Debug, Default)]
struct Listing {
    entries: BTreeMap<u64, ObjectPath>,
    checkpoints: BTreeMap<u64, ObjectPath>,
    modified: BTreeMap<ObjectPath, chrono::DateTime<chrono::Utc>>,
}

impl Listing {
    fn last_seq(&self) -> u64 {
        let e = self.entries.keys().next_back().copied().unwrap_or(0);
        let c = self.checkpoints.keys().next_back().copied().unwrap_or(0);
        e.max(c)
    }

    fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.checkpoints.is_empty()
    }
}

/// Why a fold must start over: an object it listed was deleted by a compaction, or the listing
/// has a hole that a newer checkpoint covers.
struct Stale;

impl CommitLog {
    /// The log of the stage folder `stage_dir` (a path inside `objects`); `local` is that
    /// folder on the local disk when the store is one.
    pub fn new(objects: Arc<dyn ObjectStore>, stage_dir: &str, local: Option<&Path>) -> CommitLog {
        let stage_dir = ObjectPath::from(stage_dir);
        CommitLog {
            dir: stage_dir.clone().join(LOG_DIR),
            stage_dir,
            objects,
            local: local.map(Path::to_path_buf),
            retention: RETENTION,
            url_base: None,
        }
    }

    /// The same log, whose messages name its objects as URLs under `base` (`s3://bucket`).
    pub fn with_url_base(mut self, base: impl Into<String>) -> CommitLog {
        self.url_base = Some(base.into());
        self
    }

    /// The same log with another retention for compacted objects. Zero deletes them at once
    /// and turns off the check on slow commits: for tests of compaction only.
    pub fn with_retention(mut self, retention: std::time::Duration) -> CommitLog {
        self.retention = retention;
        self
    }

    /// The folded manifest and the sequence number it is current to; `None` when nothing was
    /// ever committed.
    pub fn read(&self) -> Result<Option<(u64, Manifest)>> {
        for _ in 0..MAX_CONFLICTS {
            let listing = self.list()?;
            if listing.is_empty() {
                // The legacy manifest is read before a second listing: adoption creates
                // checkpoint 0 before it deletes the manifest, so a manifest gone by now means
                // the second listing sees the checkpoint.
                let legacy = self.legacy_manifest()?;
                if self.list()?.is_empty() {
                    return Ok(legacy.map(|m| (0, m)));
                }
                continue;
            }
            match self.fold(&listing, u64::MAX)? {
                Ok(folded) => return Ok(folded),
                Err(Stale) => continue,
            }
        }
        Err(self.error(&self.dir, "the log kept changing under every read".into()))
    }

    /// Appends `entry` under the next free sequence number.
    pub fn append(&self, entry: &LogEntry) -> Result<Appended> {
        let body = serde_json::to_vec_pretty(entry)?;
        let mut conflicts = 0;
        loop {
            let listed = std::time::Instant::now();
            let listing = self.list()?;
            if listing.is_empty() {
                self.adopt_legacy_manifest()?;
            }
            let seq = listing.last_seq() + 1;
            let path = self.entry_path(seq);
            match self.create(&path, body.clone())? {
                true => {
                    let stall = listed.elapsed();
                    if !self.retention.is_zero() && stall > self.retention / 2 {
                        return Err(self.error(
                            &path,
                            format!(
                                "this commit took {:.0} s from listing the log to writing its \
                                 entry, longer than half the log's retention: it may be \
                                 shadowed by a compaction, so it is reported as failed (the \
                                 next run checks the partition)",
                                stall.as_secs_f64()
                            ),
                        ));
                    }
                    if seq % CHECKPOINT_EVERY == 0 {
                        // Best effort: the entry is committed; reads fold entries without it.
                        if let Err(e) = self.checkpoint(seq) {
                            tracing::warn!("could not checkpoint the commit log: {e}");
                        }
                    }
                    return Ok(Appended { seq, conflicts });
                }
                false => {
                    conflicts += 1;
                    if conflicts >= MAX_CONFLICTS {
                        return Err(self.error(
                            &path,
                            format!("lost {conflicts} sequence numbers in a row to other writers"),
                        ));
                    }
                }
            }
        }
    }

    /// Writes the checkpoint of the latest entry, unless there is one, and deletes what the
    /// previous checkpoint covers: the next read is one object. Writers call it when they
    /// finish a batch of commits (a run does, per stage it committed to).
    pub fn compact(&self) -> Result<()> {
        let listing = self.list()?;
        let last = listing.last_seq();
        if last == 0 || listing.checkpoints.contains_key(&last) {
            return Ok(());
        }
        self.checkpoint(last)
    }

    fn entry_path(&self, seq: u64) -> ObjectPath {
        self.dir.clone().join(format!("{seq:020}.json"))
    }

    fn checkpoint_path(&self, seq: u64) -> ObjectPath {
        self.dir.clone().join(format!("{seq:020}.checkpoint.json"))
    }

    fn legacy_path(&self) -> ObjectPath {
        self.stage_dir.clone().join(super::MANIFEST_FILE)
    }

    /// A path for messages: the local file where there is one, the object path otherwise.
    fn display(&self, path: &ObjectPath) -> PathBuf {
        let rel = path
            .prefix_match(&self.stage_dir)
            .map(|parts| parts.map(|p| p.as_ref().to_string()).collect::<Vec<_>>());
        match (&self.local, rel, &self.url_base) {
            (Some(local), Some(parts), _) => parts.iter().fold(local.clone(), |p, s| p.join(s)),
            (_, _, Some(base)) => PathBuf::from(format!("{base}/{}", path.as_ref())),
            _ => PathBuf::from(path.as_ref()),
        }
    }

    fn error(&self, path: &ObjectPath, reason: String) -> BaliError {
        BaliError::Store {
            path: self.display(path),
            reason,
        }
    }

    fn list(&self) -> Result<Listing> {
        let metas: Vec<_> =
            block_on(self.objects.list(Some(&self.dir)).try_collect()).map_err(|e| {
                let e = super::remote::describe(&e);
                self.error(&self.dir, format!("cannot list the commit log: {e}"))
            })?;
        let mut listing = Listing::default();
        for meta in metas {
            listing
                .modified
                .insert(meta.location.clone(), meta.last_modified);
            let Some(name) = meta.location.filename() else {
                continue;
            };
            if let Some(seq) = name.strip_suffix(".checkpoint.json") {
                if let Ok(seq) = seq.parse() {
                    listing.checkpoints.insert(seq, meta.location);
                }
            } else if let Some(seq) = name.strip_suffix(".json") {
                if let Ok(seq) = seq.parse() {
                    listing.entries.insert(seq, meta.location);
                }
            }
        }
        Ok(listing)
    }

    /// The bytes of `path`; `None` when it does not exist.
    fn get(&self, path: &ObjectPath) -> Result<Option<Vec<u8>>> {
        let got = block_on(async {
            match self.objects.get(path).await {
                Ok(r) => r.bytes().await.map(Some),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        });
        got.map(|b| b.map(|b| b.to_vec())).map_err(|e| {
            self.error(
                path,
                format!("cannot read: {}", super::remote::describe(&e)),
            )
        })
    }

    /// Creates `path` with `body` unless it exists: `Ok(false)` when another writer has it.
    fn create(&self, path: &ObjectPath, body: Vec<u8>) -> Result<bool> {
        let opts = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        let put = block_on(self.objects.put_opts(path, PutPayload::from(body), opts));
        match put {
            Ok(_) => {
                self.sync(path)?;
                Ok(true)
            }
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            Err(e) => Err(self.error(
                path,
                format!("cannot write: {}", super::remote::describe(&e)),
            )),
        }
    }

    /// On a local disk, makes a created object durable: the store's put does not sync.
    fn sync(&self, path: &ObjectPath) -> Result<()> {
        if self.local.is_none() {
            return Ok(());
        }
        let file = self.display(path);
        std::fs::File::open(&file)
            .and_then(|f| f.sync_all())
            .map_err(|e| BaliError::io(&file, e))?;
        match file.parent() {
            Some(dir) => super::sync_dir(dir),
            None => Ok(()),
        }
    }

    fn delete(&self, path: &ObjectPath) {
        match block_on(self.objects.delete(path)) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => tracing::warn!("could not delete {}: {e}", self.display(path).display()),
        }
    }

    fn parse<T: for<'de> Deserialize<'de>>(&self, path: &ObjectPath, bytes: &[u8]) -> Result<T> {
        serde_json::from_slice(bytes).map_err(|e| {
            self.error(
                path,
                format!(
                    "unreadable commit log object ({e}); delete the stage folder to rebuild it"
                ),
            )
        })
    }

    fn legacy_manifest(&self) -> Result<Option<Manifest>> {
        let path = self.legacy_path();
        match self.get(&path)? {
            None => Ok(None),
            Some(bytes) => Ok(Some(check_format(self.parse(&path, &bytes)?, || {
                self.display(&path)
            })?)),
        }
    }

    /// Turns a pre-log `_manifest.json` into checkpoint 0, then removes it.
    fn adopt_legacy_manifest(&self) -> Result<()> {
        let Some(manifest) = self.legacy_manifest()? else {
            return Ok(());
        };
        self.create(
            &self.checkpoint_path(0),
            serde_json::to_vec_pretty(&manifest)?,
        )?;
        self.delete(&self.legacy_path());
        Ok(())
    }

    /// Folds the listed log up to entry `upto`.
    fn fold(
        &self,
        listing: &Listing,
        upto: u64,
    ) -> Result<std::result::Result<Option<(u64, Manifest)>, Stale>> {
        let base = listing.checkpoints.range(..=upto).next_back();
        let (mut seq, mut manifest) = match base {
            Some((&seq, path)) => match self.get(path)? {
                Some(bytes) => (
                    seq,
                    Some(check_format(self.parse::<Manifest>(path, &bytes)?, || {
                        self.display(path)
                    })?),
                ),
                None => return Ok(Err(Stale)),
            },
            None if listing.is_empty() => {
                return Ok(Ok(self.legacy_manifest()?.map(|m| (0, m))));
            }
            None => (0, None),
        };
        // `seq` may equal `upto` (another writer checkpointed that very entry): `seq + 1..=upto`
        // would then be a reversed range, which the map refuses with a panic.
        let pending = (Bound::Excluded(seq), Bound::Included(upto));
        for (&next, path) in listing.entries.range(pending) {
            if next != seq + 1 {
                // Entries before `next` were compacted away after this listing was taken.
                return Ok(Err(Stale));
            }
            let Some(bytes) = self.get(path)? else {
                return Ok(Err(Stale));
            };
            let entry: LogEntry = self.parse(path, &bytes)?;
            if entry.log_format > LOG_FORMAT {
                return Err(self.error(
                    path,
                    format!(
                        "log format {} is newer than this bali understands ({LOG_FORMAT})",
                        entry.log_format
                    ),
                ));
            }
            manifest = Some(entry.apply(manifest));
            seq = next;
        }
        Ok(Ok(manifest.map(|m| (seq, m))))
    }

    /// Writes the checkpoint of entry `seq` and deletes what the previous checkpoint covers.
    fn checkpoint(&self, seq: u64) -> Result<()> {
        let mut folded = None;
        for _ in 0..MAX_CONFLICTS {
            let listing = self.list()?;
            if let Ok(f) = self.fold(&listing, seq)? {
                folded = f;
                break;
            }
        }
        let Some((at, manifest)) = folded else {
            return Ok(());
        };
        if at != seq {
            // Someone else compacted past `seq` already.
            return Ok(());
        }
        self.create(
            &self.checkpoint_path(seq),
            serde_json::to_vec_pretty(&manifest)?,
        )?;
        let listing = self.list()?;
        let previous: BTreeSet<u64> = listing.checkpoints.range(..seq).map(|(&s, _)| s).collect();
        let Some(&covered) = previous.iter().next_back() else {
            return Ok(());
        };
        let cutoff = chrono::Utc::now()
            - chrono::Duration::from_std(self.retention).unwrap_or(chrono::Duration::MAX);
        let expired = |path: &ObjectPath| listing.modified.get(path).is_some_and(|&m| m < cutoff);
        let old_entries = listing.entries.range(..=covered);
        for (_, path) in old_entries.chain(listing.checkpoints.range(..covered)) {
            if expired(path) {
                self.delete(path);
            }
        }
        Ok(())
    }
}

fn check_format(m: Manifest, path: impl Fn() -> PathBuf) -> Result<Manifest> {
    if m.manifest_format > MANIFEST_FORMAT {
        return Err(BaliError::Store {
            path: path(),
            reason: format!(
                "manifest format {} is newer than this bali understands ({MANIFEST_FORMAT})",
                m.manifest_format
            ),
        });
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::Arc;

    use chrono::Utc;
    use object_store::memory::InMemory;
    use object_store::ObjectStore;

    use super::*;
    use crate::store::manifest::FingerprintInputs;

    fn record(fingerprint: &str) -> PartitionRecord {
        PartitionRecord {
            fingerprint: fingerprint.to_string(),
            inputs: FingerprintInputs::default(),
            files: BTreeMap::new(),
            artifacts: None,
            created_at: Utc::now(),
            run_id: "test".into(),
            seconds: 0.0,
            rows_in: 0,
            skipped: 0,
        }
    }

    fn entry(put: &[(&str, &str)], remove: &[&str]) -> LogEntry {
        LogEntry {
            log_format: LOG_FORMAT,
            stage: "s".into(),
            kind: "k".into(),
            outputs: vec![("out".into(), "articles".into())],
            put: put
                .iter()
                .map(|(k, f)| (k.to_string(), record(f)))
                .collect(),
            remove: remove.iter().map(|k| k.to_string()).collect(),
        }
    }

    fn fingerprints(log: &CommitLog) -> Result<BTreeMap<String, String>> {
        Ok(log
            .read()?
            .map(|(_, m)| m.partitions)
            .unwrap_or_default()
            .into_iter()
            .map(|(k, p)| (k, p.fingerprint))
            .collect())
    }

    fn names(objects: &Arc<dyn ObjectStore>) -> Result<BTreeSet<String>> {
        let metas: Vec<_> = block_on(objects.list(None).try_collect())
            .map_err(|e| BaliError::Internal(e.to_string()))?;
        Ok(metas.into_iter().map(|m| m.location.to_string()).collect())
    }

    #[test]
    fn the_fold_follows_puts_and_removes_through_checkpoints_and_compaction() -> Result<()> {
        let objects: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let log = CommitLog::new(objects.clone(), "runs/x/stage", None)
            .with_retention(std::time::Duration::ZERO);
        assert!(log.read()?.is_none());
        // A reference map, changed the way each entry says.
        let mut expected = BTreeMap::new();
        for i in 0..200u64 {
            let key = format!("p{}", i % 37);
            let fp = format!("f{i}");
            let removed = format!("p{}", (i * 7) % 37);
            let e = if i % 5 == 4 {
                expected.remove(&removed);
                entry(&[], &[removed.as_str()])
            } else {
                expected.insert(key.clone(), fp.clone());
                entry(&[(key.as_str(), fp.as_str())], &[])
            };
            let appended = log.append(&e)?;
            assert_eq!(
                appended,
                Appended {
                    seq: i + 1,
                    conflicts: 0
                }
            );
            assert_eq!(fingerprints(&log)?, expected, "after entry {}", i + 1);
        }
        // Checkpoints at 64, 128 and 192; the compactions at 128 and 192 removed entries up to
        // 128 and the checkpoints before it.
        let names = names(&objects)?;
        let at = |s: u64| format!("runs/x/stage/_log/{s:020}.json");
        let cp = |s: u64| format!("runs/x/stage/_log/{s:020}.checkpoint.json");
        assert!(!names.contains(&at(128)) && names.contains(&at(129)));
        assert!(!names.contains(&cp(64)));
        assert!(names.contains(&cp(128)) && names.contains(&cp(192)));
        assert_eq!(names.len(), 72 + 2, "{names:?}");
        let (seq, m) = log.read()?.ok_or(BaliError::Internal("empty".into()))?;
        assert_eq!((seq, m.stage.as_str(), m.kind.as_str()), (200, "s", "k"));
        // Compaction checkpoints the last entry and drops what checkpoint 192 covered.
        log.compact()?;
        log.compact()?;
        let after = self::names(&objects)?;
        assert!(after.contains(&cp(200)) && after.contains(&cp(192)) && !after.contains(&cp(128)));
        assert_eq!(after.len(), 8 + 2, "{after:?}");
        assert_eq!(fingerprints(&log)?, expected);
        assert_eq!(log.append(&entry(&[("z", "fz")], &[]))?.seq, 201);
        Ok(())
    }

    #[test]
    fn two_writers_compacting_to_the_same_entry_both_succeed() -> Result<()> {
        let objects: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let a = CommitLog::new(objects.clone(), "s", None);
        let b = CommitLog::new(objects, "s", None);
        for i in 0..5u64 {
            let key = format!("p{i}");
            a.append(&entry(&[(key.as_str(), "f")], &[]))?;
        }
        // `b` decided to checkpoint entry 5 before `a` wrote that checkpoint: its own pass
        // then finds a checkpoint at exactly the entry it folds to.
        a.compact()?;
        b.checkpoint(5)?;
        b.compact()?;
        assert_eq!(fingerprints(&b)?.len(), 5);
        // And many at once, racing on the same listing.
        for i in 5..9u64 {
            let key = format!("p{i}");
            a.append(&entry(&[(key.as_str(), "f")], &[]))?;
        }
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..6)
                .map(|_| {
                    let b = b.clone();
                    s.spawn(move || b.compact())
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect::<Result<Vec<()>>>()
        })?;
        assert_eq!(fingerprints(&a)?.len(), 9);
        Ok(())
    }

    #[test]
    fn compacted_objects_stay_for_the_retention_so_no_sequence_number_is_reused() -> Result<()> {
        let objects: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let log = CommitLog::new(objects.clone(), "s", None);
        for i in 0..130u64 {
            let key = format!("p{i}");
            log.append(&entry(&[(key.as_str(), "f")], &[]))?;
        }
        log.compact()?;
        // Checkpoints at 64, 128 and 130, and every entry: none is an hour old yet.
        assert_eq!(names(&objects)?.len(), 130 + 3);
        assert_eq!(fingerprints(&log)?.len(), 130);
        // A writer that listed the log before entry 1 existed cannot take number 1 again.
        let late = CommitLog::new(objects, "s", None);
        assert_eq!(late.append(&entry(&[("late", "f")], &[]))?.seq, 131);
        Ok(())
    }

    #[test]
    fn concurrent_committers_never_lose_or_duplicate_an_entry() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| BaliError::io(std::path::Path::new("tmp"), e))?;
        let backends: Vec<(Arc<dyn ObjectStore>, Option<&Path>)> = vec![
            (Arc::new(InMemory::new()), None),
            (crate::store::objects::local(dir.path())?, Some(dir.path())),
        ];
        for (objects, local) in backends {
            let log = CommitLog::new(objects, "", local);
            let (threads, each) = (8, 30);
            let results: Vec<Result<Vec<Appended>>> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let log = log.clone();
                        s.spawn(move || {
                            (0..each)
                                .map(|i| {
                                    let key = format!("t{t}-{i}");
                                    log.append(&entry(&[(key.as_str(), "f")], &[]))
                                })
                                .collect()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                    .collect()
            });
            let mut seqs = BTreeSet::new();
            for r in results {
                for a in r? {
                    assert!(seqs.insert(a.seq), "sequence number {} won twice", a.seq);
                }
            }
            let n = (threads * each) as u64;
            assert_eq!(seqs, (1..=n).collect::<BTreeSet<_>>());
            let keys = fingerprints(&log)?;
            assert_eq!(keys.len(), threads * each, "{local:?}");
        }
        Ok(())
    }

    #[test]
    fn a_manifest_from_before_the_log_is_read_and_then_adopted() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| BaliError::io(std::path::Path::new("tmp"), e))?;
        let mut old = Manifest::new("s", "k", vec![("out".into(), "articles".into())]);
        old.partitions.insert("a".into(), record("fa"));
        let legacy = dir.path().join(crate::store::MANIFEST_FILE);
        std::fs::write(&legacy, serde_json::to_vec(&old)?)
            .map_err(|e| BaliError::io(&legacy, e))?;
        let log = CommitLog::new(
            crate::store::objects::local(dir.path())?,
            "",
            Some(dir.path()),
        );
        assert_eq!(
            log.read()?.map(|(s, m)| (s, m.partitions.len())),
            Some((0, 1))
        );
        log.append(&entry(&[("b", "fb")], &[]))?;
        assert!(!legacy.exists(), "the old manifest is now checkpoint 0");
        assert!(dir
            .path()
            .join("_log")
            .join(format!("{:020}.checkpoint.json", 0))
            .is_file());
        let fps = fingerprints(&log)?;
        assert_eq!(fps.get("a").map(String::as_str), Some("fa"));
        assert_eq!(fps.get("b").map(String::as_str), Some("fb"));
        Ok(())
    }

    #[test]
    fn a_torn_upload_is_ignored_and_a_damaged_entry_is_named() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| BaliError::io(std::path::Path::new("tmp"), e))?;
        let log = CommitLog::new(
            crate::store::objects::local(dir.path())?,
            "",
            Some(dir.path()),
        );
        log.append(&entry(&[("a", "fa")], &[]))?;
        // What a writer killed inside the store's put leaves: its staging file.
        let staging = dir.path().join("_log").join(format!("{:020}.json#1", 2));
        std::fs::write(&staging, b"{\"log_form").map_err(|e| BaliError::io(&staging, e))?;
        assert_eq!(fingerprints(&log)?.len(), 1);
        assert_eq!(log.append(&entry(&[("b", "fb")], &[]))?.seq, 2);
        // An entry that is not JSON is an error naming the file.
        let bad = dir.path().join("_log").join(format!("{:020}.json", 3));
        std::fs::write(&bad, b"not json").map_err(|e| BaliError::io(&bad, e))?;
        let err = log.read().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            err.contains(&bad.display().to_string()) && err.contains("unreadable"),
            "{err}"
        );
        Ok(())
    }
}
