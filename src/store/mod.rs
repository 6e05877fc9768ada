//! The checkpoint store: one folder per stage, one Parquet file per partition and output.
//!
//! Layout of a workdir:
//!
//! ```text
//! WORKDIR/
//!   .lock                              held by a running `bali run`
//!   _runs/<run id>.json                one report per run
//!   _cache/file_hashes.json            content hashes of input files, keyed by path, size, mtime
//!   <stage>/_log/<seq>.json            the stage's commit log (see [`log`]): what is committed
//!   <stage>/<output>/<key>.<fp>.parquet
//!   <stage>/_artifacts/<key>.<fp>/     files a partition owns besides tables (an index, a model)
//!   <stage>/_scratch/<key>.<fp>/       survives a failed run (training checkpoints); removed on commit
//!   <stage>/_tmp/<run id>/             partitions being written; removed at the start of a run
//! ```
//!
//! A workdir may also be a prefix in a bucket (`s3://bucket/runs/x`) with the same layout; this
//! machine then works in a local working copy of it and uploads what it commits (see
//! [`mirror`]).
//!
//! A partition is committed by finishing its files under `_tmp`, syncing them, renaming them
//! into place (and, on a remote workdir, uploading them), and then creating the next entry of
//! the stage's commit log, which names them.
//! A file is part of the table only once an entry names it: a crash at any point leaves either
//! the old or the new partition visible, never a half-written one, and [`StageStore::clean`]
//! removes the debris. The log never renames or rewrites an object, so the same protocol works
//! where there is no rename (object storage).

pub mod atomic;
mod fingerprint;
pub mod log;
mod manifest;
pub mod mirror;
pub mod objects;
mod reader;
pub mod remote;
mod writer;

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use fingerprint::{hash_file, FileHashCache, Fingerprinter};
pub use log::{Appended, CommitLog, LogEntry};
pub use manifest::{FileRecord, FingerprintInputs, Manifest, PartitionRecord, MANIFEST_FORMAT};
pub use reader::{read_parquet_files, BatchStream};
pub use writer::{files_map as writer_files_map, PartitionWriter, WrittenOutput};

use mirror::Mirror;
use remote::ObjectUrl;

use crate::error::{BaliError, IoResultExt, Result};

/// Name of a stage folder's manifest before the commit log (read as the log's first
/// checkpoint, and turned into one by the next commit).
pub const MANIFEST_FILE: &str = "_manifest.json";

/// Folder of the run reports, inside the workdir.
pub const RUNS_DIR: &str = "_runs";

/// Whether `dir` is a stage folder: it has a commit log or a manifest from before the log.
pub fn is_stage_dir(dir: &Path) -> bool {
    dir.join(log::LOG_DIR).is_dir() || dir.join(MANIFEST_FILE).is_file()
}

/// A workdir holding the checkpoints of one pipeline: a local folder, or a prefix on object
/// storage with this machine's working copy of it (see [`mirror`]).
#[derive(Debug, Clone)]
pub struct Store {
    /// The local folder: the workdir itself, or the working copy of a remote one.
    root: PathBuf,
    remote: Option<Arc<Mirror>>,
}

impl Store {
    /// Opens (creating if needed) the store at `root`, a folder or an `s3://` URL. A remote
    /// workdir's bucket is reached once here, so a bad bucket or refused credentials fail
    /// before any work.
    pub fn open(root: impl AsRef<Path>) -> Result<Store> {
        let store = Store::at(root)?;
        if let Some(mirror) = &store.remote {
            mirror.is_empty()?;
        }
        fs::create_dir_all(&store.root).at(&store.root)?;
        Ok(store)
    }

    /// A handle on `root` that touches nothing (for read-only planning, where a missing
    /// workdir means nothing is committed yet). Fails only on a URL bali cannot use.
    pub fn at(root: impl AsRef<Path>) -> Result<Store> {
        let root = root.as_ref();
        Ok(match ObjectUrl::parse(root)? {
            None => Store {
                root: root.to_path_buf(),
                remote: None,
            },
            Some(url) => Store {
                root: mirror::working_copy(&url),
                remote: Some(Arc::new(Mirror::new(&url)?)),
            },
        })
    }

    /// Opens an existing store for reading; fails when the folder (or the prefix) holds
    /// nothing.
    pub fn open_existing(root: impl AsRef<Path>) -> Result<Store> {
        let store = Store::at(&root)?;
        let missing = match &store.remote {
            Some(mirror) => mirror.is_empty()?,
            None => !store.root.is_dir(),
        };
        if missing {
            return Err(BaliError::Usage {
                path: root.as_ref().to_path_buf(),
                reason: "no such workdir (has the pipeline been run?)".into(),
            });
        }
        Ok(store)
    }

    /// The local folder: the workdir, or the working copy of a remote workdir.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The workdir as the user named it: its folder or its URL.
    pub fn location(&self) -> String {
        match &self.remote {
            Some(mirror) => mirror.url().to_string(),
            None => self.root.display().to_string(),
        }
    }

    /// The bucket side of a remote workdir.
    pub fn remote(&self) -> Option<&Mirror> {
        self.remote.as_deref()
    }

    /// Whether a committed run of this workdir may exist: the local folder exists, or the
    /// workdir is remote (whose state is read from the bucket).
    pub fn may_exist(&self) -> bool {
        self.remote.is_some() || self.root.is_dir()
    }

    /// Where run reports go.
    pub fn runs_dir(&self) -> PathBuf {
        self.root.join(RUNS_DIR)
    }

    /// The run reports' folder, with a remote workdir's reports downloaded into it.
    pub fn pulled_runs_dir(&self) -> Result<PathBuf> {
        let dir = self.runs_dir();
        if let Some(mirror) = &self.remote {
            mirror.pull_folder(RUNS_DIR, &dir)?;
        }
        Ok(dir)
    }

    /// Uploads a run report written into [`runs_dir`](Self::runs_dir) (remote workdirs).
    pub fn publish_run_report(&self, path: &Path) -> Result<()> {
        match (&self.remote, path.file_name()) {
            (Some(mirror), Some(name)) => {
                mirror.publish(path, &format!("{RUNS_DIR}/{}", name.to_string_lossy()))
            }
            _ => Ok(()),
        }
    }

    /// Where caches (file hashes) go: always on this machine.
    pub fn cache_dir(&self) -> PathBuf {
        self.root.join("_cache")
    }

    /// The folder of stage `name`.
    pub fn stage(&self, name: &str) -> StageStore {
        StageStore {
            dir: self.root.join(name),
            name: name.to_string(),
            remote: self.remote.clone(),
        }
    }

    /// Names of the stages that have a commit log (or a manifest), sorted.
    pub fn stage_names(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        if let Some(mirror) = &self.remote {
            let (folders, _) = mirror.children("")?;
            for name in folders.into_iter().filter(|n| !n.starts_with(['_', '.'])) {
                let (inner, files) = mirror.children(&name)?;
                if inner.iter().any(|f| f == log::LOG_DIR)
                    || files.iter().any(|f| f == MANIFEST_FILE)
                {
                    names.push(name);
                }
            }
            names.sort();
            return Ok(names);
        }
        for entry in fs::read_dir(&self.root).at(&self.root)? {
            let entry = entry.at(&self.root)?;
            let name = entry.file_name().to_string_lossy().to_string();
            if !name.starts_with(['_', '.']) && is_stage_dir(&entry.path()) {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// Takes the workdir's run lock, so that two runs never write the same store.
    pub fn lock(&self) -> Result<StoreLock> {
        let path = self.root.join(".lock");
        let file = File::create(&path).at(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(StoreLock { _files: vec![file] }),
            Err(fs::TryLockError::WouldBlock) => Err(self
                .busy("another `bali run` is using this workdir (wait for it, or use --workdir)")),
            Err(fs::TryLockError::Error(e)) => Err(BaliError::io(&path, e)),
        }
    }

    /// Takes the locks of worker `index` of `count` in a sharded run: the workdir lock shared
    /// with the other workers (an unsharded run waits for all of them, and they for it), and
    /// the worker's own, so that the same worker never runs twice at once. Commits need no
    /// lock: the commit log serialises them.
    pub fn lock_shard(&self, index: u32, count: u32) -> Result<StoreLock> {
        let path = self.root.join(".lock");
        let shared = File::create(&path).at(&path)?;
        match shared.try_lock_shared() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(self
                    .busy("an unsharded `bali run` is using this workdir (shards run after it)"))
            }
            Err(fs::TryLockError::Error(e)) => return Err(BaliError::io(&path, e)),
        }
        let own_path = self.root.join(format!(".lock.shard-{index}-of-{count}"));
        let own = File::create(&own_path).at(&own_path)?;
        match own.try_lock() {
            Ok(()) => Ok(StoreLock {
                _files: vec![shared, own],
            }),
            Err(fs::TryLockError::WouldBlock) => Err(self.busy(&format!(
                "shard {index}/{count} is already running in this workdir"
            ))),
            Err(fs::TryLockError::Error(e)) => Err(BaliError::io(&own_path, e)),
        }
    }

    fn busy(&self, reason: &str) -> BaliError {
        BaliError::Usage {
            path: PathBuf::from(self.location()),
            reason: reason.into(),
        }
    }
}

/// Holds the workdir lock (and a sharded worker's own lock) until dropped.
#[derive(Debug)]
pub struct StoreLock {
    _files: Vec<File>,
}

/// The folder of one stage.
#[derive(Debug, Clone)]
pub struct StageStore {
    /// The stage's local folder (in the working copy of a remote workdir).
    dir: PathBuf,
    name: String,
    remote: Option<Arc<Mirror>>,
}

impl StageStore {
    /// The stage folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The stage name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What is committed: the commit log folded into a manifest; `None` when the stage has
    /// never committed anything.
    pub fn manifest(&self) -> Result<Option<Manifest>> {
        if self.remote.is_none() && !self.dir.is_dir() {
            return Ok(None);
        }
        Ok(self.log()?.read()?.map(|(_, m)| m))
    }

    /// Commits `entry` (its partitions, whose files are in place, and its removals) as the
    /// next entry of the stage's commit log. On a remote workdir the partitions' files and
    /// artifact folders are uploaded first, so an entry never names a missing object.
    pub fn commit(&self, entry: &LogEntry) -> Result<Appended> {
        if let Some(mirror) = &self.remote {
            for record in entry.put.values() {
                for file in record.files.values() {
                    mirror.upload_file(&self.resolve(&file.path), &self.rel(&file.path))?;
                }
                if let Some(dir) = &record.artifacts {
                    mirror.upload_dir(&self.resolve(dir), &self.rel(dir))?;
                }
            }
        } else {
            fs::create_dir_all(&self.dir).at(&self.dir)?;
        }
        self.log()?.append(entry)
    }

    /// Writes a checkpoint of the commit log as it stands (see [`CommitLog::compact`]).
    pub fn compact(&self) -> Result<()> {
        if self.remote.is_none() && !self.dir.is_dir() {
            return Ok(());
        }
        self.log()?.compact()
    }

    /// The stage's commit log: in the bucket, or on the local disk (whose folder must exist).
    fn log(&self) -> Result<CommitLog> {
        Ok(match &self.remote {
            Some(mirror) => {
                let (objects, _) = mirror.objects();
                let url = mirror.url_of(&self.name);
                CommitLog::new(objects, &url.key, None)
                    .with_url_base(format!("{}://{}", url.scheme, url.bucket))
            }
            None => CommitLog::new(objects::local(&self.dir)?, "", Some(&self.dir)),
        })
    }

    /// The workdir-relative path of stage-relative `relative`.
    fn rel(&self, relative: &str) -> String {
        format!("{}/{relative}", self.name)
    }

    /// Where a committed file (`relative` to the stage folder) is read: its local path, after
    /// downloading it into the working copy of a remote workdir if it is not there yet.
    pub fn fetch_file(&self, relative: &str) -> Result<PathBuf> {
        let local = self.resolve(relative);
        if let Some(mirror) = &self.remote {
            mirror.download_file(&self.rel(relative), &local)?;
        }
        Ok(local)
    }

    /// [`fetch_file`](Self::fetch_file) for a committed artifact folder.
    pub fn fetch_dir(&self, relative: &str) -> Result<PathBuf> {
        let local = self.resolve(relative);
        if let Some(mirror) = &self.remote {
            mirror.download_dir(&self.rel(relative), &local)?;
        }
        Ok(local)
    }

    /// Whether a committed file (`dir`: an artifact folder) is still in the store.
    pub fn holds(&self, relative: &str, dir: bool) -> Result<bool> {
        Ok(match (&self.remote, dir) {
            (Some(mirror), false) => mirror.has_file(&self.rel(relative))?,
            (Some(mirror), true) => mirror.has_dir(&self.rel(relative))?,
            (None, false) => self.resolve(relative).is_file(),
            (None, true) => self.resolve(relative).is_dir(),
        })
    }

    /// The URL of a committed file of a remote workdir.
    pub fn url_of(&self, relative: &str) -> Option<String> {
        self.remote
            .as_ref()
            .map(|m| m.url_of(&self.rel(relative)).to_string())
    }

    /// Deletes a superseded file or artifact folder (`relative` to the stage folder). In a
    /// bucket it stays until [`clean`](Self::clean) collects it after the log's retention: a
    /// reader on another machine may have folded the log before this commit and still be
    /// reading it.
    pub fn delete(&self, relative: &str) -> Result<()> {
        let full = self.resolve(relative);
        let res = if full.is_dir() {
            fs::remove_dir_all(&full)
        } else {
            fs::remove_file(&full)
        };
        match res {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(BaliError::io(&full, e))
            }
            _ => {}
        }
        Ok(())
    }

    /// The stage as the user knows it, for messages: its folder, or its URL.
    pub fn location(&self) -> PathBuf {
        match &self.remote {
            Some(mirror) => PathBuf::from(mirror.url_of(&self.name).to_string()),
            None => self.dir.clone(),
        }
    }

    /// Folder for partitions in progress (one subfolder per run).
    pub fn tmp_dir(&self) -> PathBuf {
        self.dir.join("_tmp")
    }

    /// Folder for the partitions run `run_id` has in progress: runs that share the workdir
    /// (the workers of a sharded run) never touch each other's.
    pub fn run_tmp_dir(&self, run_id: &str) -> PathBuf {
        self.tmp_dir().join(run_id)
    }

    /// Durable scratch folder of a partition being built (kept across failed runs).
    pub fn scratch_dir(&self, key: &str, fingerprint: &str) -> PathBuf {
        self.dir.join("_scratch").join(file_stem(key, fingerprint))
    }

    /// Final path of an output file of a partition.
    pub fn output_path(&self, output: &str, key: &str, fingerprint: &str) -> PathBuf {
        self.dir
            .join(output)
            .join(format!("{}.parquet", file_stem(key, fingerprint)))
    }

    /// Final path of a partition's artifact folder.
    pub fn artifact_path(&self, key: &str, fingerprint: &str) -> PathBuf {
        self.dir
            .join("_artifacts")
            .join(file_stem(key, fingerprint))
    }

    /// Resolves a path recorded in the manifest (relative to the stage folder).
    pub fn resolve(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }

    /// Removes what a crashed run left behind: the `_tmp` folder, and output files and artifact
    /// folders that the manifest does not name (renamed into place just before a crash, or
    /// superseded ones whose deletion was interrupted). Scratch folders of partitions that are
    /// committed are removed too; others are kept for resumption. On a remote workdir, objects
    /// no entry names are deleted once they are older than the log's retention.
    pub fn clean(&self, manifest: Option<&Manifest>) -> Result<CleanReport> {
        let mut report = CleanReport::default();
        if let Some(mirror) = &self.remote {
            let mut referenced = std::collections::HashSet::new();
            for p in manifest.iter().flat_map(|m| m.partitions.values()) {
                referenced.extend(p.files.values().map(|f| f.path.clone()));
                referenced.extend(p.artifacts.clone());
            }
            report.orphans_removed +=
                mirror.collect_orphans(&self.name, &referenced, log::RETENTION)?;
        }
        let tmp = self.tmp_dir();
        if tmp.exists() {
            fs::remove_dir_all(&tmp).at(&tmp)?;
            report.tmp_removed = true;
        }
        if !self.dir.is_dir() {
            return Ok(report);
        }
        let mut referenced = std::collections::HashSet::new();
        let mut committed_stems = std::collections::HashSet::new();
        if let Some(m) = manifest {
            for (key, p) in &m.partitions {
                committed_stems.insert(file_stem(key, &p.fingerprint));
                for f in p.files.values() {
                    referenced.insert(self.dir.join(&f.path));
                }
                if let Some(a) = &p.artifacts {
                    referenced.insert(self.dir.join(a));
                }
            }
        }
        for entry in fs::read_dir(&self.dir).at(&self.dir)? {
            let entry = entry.at(&self.dir)?;
            let name = entry.file_name().to_string_lossy().to_string();
            let path = entry.path();
            if name == log::LOG_DIR && path.is_dir() {
                // Uploads the object store staged (`<name>#<n>`) and a crash left unfinished.
                for sub in fs::read_dir(&path).at(&path)? {
                    let sub = sub.at(&path)?;
                    if sub.file_name().to_string_lossy().contains('#') {
                        fs::remove_file(sub.path()).at(sub.path())?;
                        report.orphans_removed += 1;
                    }
                }
                continue;
            }
            if !path.is_dir() || name == "_tmp" {
                continue;
            }
            if name == "_scratch" {
                for sub in fs::read_dir(&path).at(&path)? {
                    let sub = sub.at(&path)?;
                    let stem = sub.file_name().to_string_lossy().to_string();
                    if committed_stems.contains(&stem) {
                        fs::remove_dir_all(sub.path()).at(sub.path())?;
                    }
                }
                continue;
            }
            // An output folder or _artifacts: everything not referenced is debris, except
            // what a reader on this machine is downloading into the working copy.
            for sub in fs::read_dir(&path).at(&path)? {
                let sub = sub.at(&path)?;
                let p = sub.path();
                if remote::is_download_temp(&p) {
                    continue;
                }
                if !referenced.contains(&p) {
                    if p.is_dir() {
                        fs::remove_dir_all(&p).at(&p)?;
                    } else {
                        fs::remove_file(&p).at(&p)?;
                    }
                    report.orphans_removed += 1;
                }
            }
        }
        Ok(report)
    }
}

/// What [`StageStore::clean`] removed.
#[derive(Debug, Default, Clone, Copy)]
pub struct CleanReport {
    /// Whether a `_tmp` folder (an interrupted partition) was removed.
    pub tmp_removed: bool,
    /// Output files or artifact folders not named by the manifest.
    pub orphans_removed: usize,
}

/// The file-name stem of a partition: its key and the first 16 hex digits of its fingerprint,
/// so that a re-built partition never overwrites the committed one before the manifest moves.
pub fn file_stem(key: &str, fingerprint: &str) -> String {
    let short = &fingerprint[..fingerprint.len().min(16)];
    format!("{key}.{short}")
}

/// Syncs a directory so that renames inside it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    // Directories can be opened read-only and fsync'ed on Unix; elsewhere this is a no-op.
    #[cfg(unix)]
    {
        let f = File::open(dir).at(dir)?;
        f.sync_all().at(dir)?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
