//! A workdir on object storage (`workdir: s3://bucket/runs/x`).
//!
//! The bucket is the store: every stage's commit log, its Parquet files and artifact folders,
//! and the run reports live under the workdir's prefix, laid out as in a local workdir. Each
//! machine keeps a *working copy* of what it wrote or read under its cache folder
//! ([`working_copy`]): partitions are written there as on a local disk, uploaded under their
//! final (fingerprint-named) keys before the commit-log entry that names them is created, and
//! the files a stage reads are downloaded there on first use. The working copy is a cache: it
//! can be deleted at any time, and a fresh machine starts from the bucket alone.
//!
//! What stays per machine: the run lock (two runs on one machine), the input-file hash cache,
//! training's resumable scratch folders, and the temporary folders of partitions in progress.
//!
//! Presence checks (is a committed partition's file still there?) use one listing of the
//! stage's prefix per process, kept up to date by this process's uploads and deletions.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use object_store::buffered::BufWriter;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};

use super::objects::block_on;
use super::remote::{self, unique_temp, ObjectUrl};
use crate::error::{BaliError, IoResultExt, Result};

/// Bytes read from a local file per upload request (and the size above which an upload is
/// multipart).
const UPLOAD_CHUNK: usize = 8 << 20;

/// The folder under which the working copies of remote workdirs live: `$BALI_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/bali`, else `~/.cache/bali`.
pub fn cache_root() -> PathBuf {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = env("BALI_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = env("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("bali");
    }
    match env("HOME") {
        Some(home) => PathBuf::from(home).join(".cache").join("bali"),
        None => std::env::temp_dir().join("bali-cache"),
    }
}

/// This machine's working copy of the workdir at `url`: `<cache root>/workdirs/<scheme>/<bucket>/<key>`.
pub fn working_copy(url: &ObjectUrl) -> PathBuf {
    working_copy_in(&cache_root(), url)
}

/// The working copy of the workdir at `url` under the cache folder `cache`.
pub fn working_copy_in(cache: &Path, url: &ObjectUrl) -> PathBuf {
    let mut dir = cache.join("workdirs").join(&url.scheme).join(&url.bucket);
    for segment in url.key.split('/').filter(|s| !s.is_empty()) {
        dir.push(segment);
    }
    dir
}

/// An object under the workdir: when it was written.
#[derive(Debug, Clone, Copy)]
struct Listed {
    modified: DateTime<Utc>,
}

/// One stage's objects, by workdir-relative key, shared by the handles of this process.
type Listing = Arc<Mutex<BTreeMap<String, Listed>>>;

/// The bucket side of a remote workdir.
#[derive(Debug)]
pub struct Mirror {
    objects: Arc<dyn ObjectStore>,
    /// The workdir's key prefix in the bucket (no slashes at the ends; may be empty).
    prefix: String,
    url: ObjectUrl,
    /// Listings of stage prefixes, by stage: workdir-relative key -> object.
    listings: Mutex<HashMap<String, Listing>>,
}

impl Mirror {
    /// The bucket side of the workdir `url` (the bucket's store from the environment).
    pub fn new(url: &ObjectUrl) -> Result<Mirror> {
        let (objects, prefix) = remote::store_at(url)?;
        Ok(Mirror {
            prefix,
            ..Mirror::with_store(objects, url)
        })
    }

    /// The bucket side of the workdir `url` on the store `objects` (which holds `url`'s bucket).
    pub fn with_store(objects: Arc<dyn ObjectStore>, url: &ObjectUrl) -> Mirror {
        Mirror {
            objects,
            prefix: url.key.trim_matches('/').to_string(),
            url: url.clone(),
            listings: Mutex::new(HashMap::new()),
        }
    }

    /// The workdir's URL.
    pub fn url(&self) -> &ObjectUrl {
        &self.url
    }

    /// The bucket's store and the workdir's prefix in it, for the commit log and DataFusion.
    pub fn objects(&self) -> (Arc<dyn ObjectStore>, &str) {
        (self.objects.clone(), &self.prefix)
    }

    /// The key of workdir-relative path `rel`.
    fn key(&self, rel: &str) -> String {
        let rel = rel.trim_matches('/');
        match (self.prefix.is_empty(), rel.is_empty()) {
            (true, _) => rel.to_string(),
            (false, true) => self.prefix.clone(),
            (false, false) => format!("{}/{rel}", self.prefix),
        }
    }

    fn path(&self, rel: &str) -> Result<ObjectPath> {
        let key = self.key(rel);
        ObjectPath::parse(&key).map_err(|e| {
            BaliError::Spec(format!(
                "{}: not a valid object key: {e}",
                self.url.with_key(&key)
            ))
        })
    }

    /// The URL of workdir-relative path `rel`.
    pub fn url_of(&self, rel: &str) -> ObjectUrl {
        self.url.with_key(&self.key(rel))
    }

    fn error(&self, rel: &str, what: &str, e: object_store::Error) -> BaliError {
        self.url_of(rel).error(what, e)
    }

    /// The folders and files directly under workdir-relative folder `rel` (names only).
    pub fn children(&self, rel: &str) -> Result<(Vec<String>, Vec<String>)> {
        let path = self.path(rel)?;
        let prefix = (!path.as_ref().is_empty()).then_some(&path);
        let listed = block_on(self.objects.list_with_delimiter(prefix))
            .map_err(|e| self.error(rel, "cannot list", e))?;
        let name = |p: &ObjectPath| p.filename().unwrap_or_default().to_string();
        Ok((
            listed.common_prefixes.iter().map(name).collect(),
            listed.objects.iter().map(|m| name(&m.location)).collect(),
        ))
    }

    /// Whether anything at all is stored under the workdir (a workdir that was never run has
    /// nothing; the check also reaches the bucket, so a bad bucket or refused credentials
    /// show up here).
    pub fn is_empty(&self) -> Result<bool> {
        let (folders, files) = self.children("")?;
        Ok(folders.is_empty() && files.is_empty())
    }

    /// The listing of stage `stage`'s prefix, listed once per process.
    fn listing(&self, stage: &str) -> Result<Listing> {
        if let Some(l) = lock(&self.listings).get(stage) {
            return Ok(l.clone());
        }
        let map: BTreeMap<String, Listed> = self
            .list_below(stage)?
            .into_iter()
            .map(|(key, modified)| (key, Listed { modified }))
            .collect();
        let shared = Arc::new(Mutex::new(map));
        Ok(lock(&self.listings)
            .entry(stage.to_string())
            .or_insert(shared)
            .clone())
    }

    fn stage_of(rel: &str) -> &str {
        rel.split('/').next().unwrap_or_default()
    }

    /// Whether the object `rel` (workdir-relative) exists.
    pub fn has_file(&self, rel: &str) -> Result<bool> {
        let listing = self.listing(Self::stage_of(rel))?;
        let found = lock(&listing).contains_key(rel);
        Ok(found)
    }

    /// Whether any object lies under folder `rel` (workdir-relative).
    pub fn has_dir(&self, rel: &str) -> Result<bool> {
        let listing = self.listing(Self::stage_of(rel))?;
        let folder = format!("{}/", rel.trim_end_matches('/'));
        let found = lock(&listing)
            .range(folder.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&folder));
        Ok(found)
    }

    fn remember(&self, rel: &str) {
        if let Some(listing) = lock(&self.listings).get(Self::stage_of(rel)) {
            lock(listing).insert(
                rel.to_string(),
                Listed {
                    modified: Utc::now(),
                },
            );
        }
    }

    fn forget(&self, rel: &str) {
        if let Some(listing) = lock(&self.listings).get(Self::stage_of(rel)) {
            lock(listing).remove(rel);
        }
    }

    /// Uploads the local file `local` as `rel`, replacing any object of that name (a retry's
    /// or a dead attempt's). Large files go up in parts, read a chunk at a time; a failed upload
    /// is aborted, so no parts are left behind by an error (a killed process can leave some: a
    /// bucket lifecycle rule that aborts incomplete multipart uploads collects them).
    pub fn upload_file(&self, local: &Path, rel: &str) -> Result<()> {
        let path = self.path(rel)?;
        let mut file = std::fs::File::open(local).at(local)?;
        let uploaded: Result<()> = block_on(async {
            let mut writer =
                BufWriter::with_capacity(self.objects.clone(), path.clone(), UPLOAD_CHUNK);
            loop {
                let mut chunk = vec![0u8; UPLOAD_CHUNK];
                let n = match read_full(&mut file, &mut chunk).at(local) {
                    Ok(n) => n,
                    Err(e) => {
                        let _ = writer.abort().await;
                        return Err(e);
                    }
                };
                if n == 0 {
                    break;
                }
                chunk.truncate(n);
                if let Err(e) = writer.put(Bytes::from(chunk)).await {
                    let _ = writer.abort().await;
                    return Err(self.error(rel, "cannot upload", e));
                }
            }
            futures::future::poll_fn(|cx| {
                tokio::io::AsyncWrite::poll_shutdown(std::pin::Pin::new(&mut writer), cx)
            })
            .await
            .map_err(|e| BaliError::Store {
                path: PathBuf::from(self.url_of(rel).to_string()),
                reason: format!("cannot finish the upload: {e}"),
            })
        });
        uploaded?;
        self.remember(rel);
        Ok(())
    }

    /// Uploads every file below the local folder `local` under folder `rel`, and deletes what
    /// else lies under `rel` (files a dead attempt at the same partition left), so the folder
    /// in the bucket holds exactly this attempt's files.
    pub fn upload_dir(&self, local: &Path, rel: &str) -> Result<()> {
        let mut uploaded = HashSet::new();
        for entry in walkdir::WalkDir::new(local).sort_by_file_name() {
            let entry = entry.map_err(|e| BaliError::Store {
                path: local.to_path_buf(),
                reason: format!("cannot walk the folder: {e}"),
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let inner = entry
                .path()
                .strip_prefix(local)
                .map_err(|e| BaliError::Internal(format!("{e}")))?;
            let inner: Vec<String> = inner
                .components()
                .map(|c| c.as_os_str().to_string_lossy().to_string())
                .collect();
            let key = format!("{rel}/{}", inner.join("/"));
            self.upload_file(entry.path(), &key)?;
            uploaded.insert(key);
        }
        for stale in self.list_folder(rel)? {
            if !uploaded.contains(&stale) {
                self.delete(&stale)?;
            }
        }
        Ok(())
    }

    /// The workdir-relative keys below folder `rel`, listed now (not from the cached listing).
    fn list_folder(&self, rel: &str) -> Result<Vec<String>> {
        Ok(self.list_below(rel)?.into_iter().map(|(k, _)| k).collect())
    }

    /// The objects below folder `rel`, listed now: workdir-relative key and when written.
    fn list_below(&self, rel: &str) -> Result<Vec<(String, DateTime<Utc>)>> {
        let path = self.path(rel)?;
        let metas: Vec<object_store::ObjectMeta> =
            block_on(self.objects.list(Some(&path)).try_collect())
                .map_err(|e| self.error(rel, "cannot list", e))?;
        let strip = if self.prefix.is_empty() {
            0
        } else {
            self.prefix.len() + 1
        };
        Ok(metas
            .iter()
            .map(|m| {
                let key = m.location.as_ref();
                (key.get(strip..).unwrap_or(key).to_string(), m.last_modified)
            })
            .collect())
    }

    /// Makes sure the local file `local` holds object `rel`: downloads it (under a temporary
    /// name, renamed into place when complete) unless it is already there.
    pub fn download_file(&self, rel: &str, local: &Path) -> Result<()> {
        if local.is_file() {
            return Ok(());
        }
        remote::download(&self.objects, &self.path(rel)?, &self.url_of(rel), local)
    }

    /// Makes sure the local folder `local` holds every object under folder `rel`: downloads
    /// them into a temporary folder renamed into place when complete, unless `local` exists.
    pub fn download_dir(&self, rel: &str, local: &Path) -> Result<()> {
        if local.is_dir() {
            return Ok(());
        }
        let folder = format!("{}/", rel.trim_end_matches('/'));
        let inside: Vec<String> = self
            .list_folder(rel)?
            .into_iter()
            .filter_map(|k| k.strip_prefix(&folder).map(str::to_string))
            .collect();
        if inside.is_empty() {
            return Err(BaliError::Store {
                path: PathBuf::from(self.url_of(rel).to_string()),
                reason: "the committed folder has no objects".into(),
            });
        }
        let tmp = unique_temp(local);
        let fetched = (|| {
            for inner in &inside {
                let mut target = tmp.clone();
                target.extend(inner.split('/'));
                self.download_file(&format!("{folder}{inner}"), &target)?;
            }
            super::atomic::publish(&tmp, local)
        })();
        if fetched.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
            if local.is_dir() {
                // Another thread finished the same folder first.
                return Ok(());
            }
        }
        fetched
    }

    /// Deletes object `rel`, or every object under folder `rel`.
    pub fn delete(&self, rel: &str) -> Result<()> {
        let listing = self.listing(Self::stage_of(rel))?;
        let folder = format!("{}/", rel.trim_end_matches('/'));
        let keys: Vec<String> = {
            let l = lock(&listing);
            l.range(rel.to_string()..)
                .take_while(|(k, _)| k.as_str() == rel || k.starts_with(&folder))
                .map(|(k, _)| k.clone())
                .collect()
        };
        for key in keys {
            match block_on(self.objects.delete(&self.path(&key)?)) {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => self.forget(&key),
                Err(e) => return Err(self.error(&key, "cannot delete", e)),
            }
        }
        Ok(())
    }

    /// Deletes the objects of stage `stage` that no committed partition names (`referenced`:
    /// stage-relative paths of files and artifact folders) and that are older than `grace`:
    /// files uploaded by a writer that died before its commit. The grace period spares the
    /// uploads of writers still on their way to a commit. The commit log is left alone (it
    /// collects its own). Returns how many objects went.
    pub fn collect_orphans(
        &self,
        stage: &str,
        referenced: &HashSet<String>,
        grace: std::time::Duration,
    ) -> Result<usize> {
        let listing = self.listing(stage)?;
        let cutoff =
            Utc::now() - chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::MAX);
        let stage_folder = format!("{stage}/");
        let orphans: Vec<String> = lock(&listing)
            .iter()
            .filter(|(_, l)| l.modified < cutoff)
            .filter_map(|(k, _)| {
                let inner = k.strip_prefix(&stage_folder)?;
                let mut parts = inner.splitn(3, '/');
                let (top, second) = (parts.next()?, parts.next()?);
                if top == super::log::LOG_DIR {
                    return None;
                }
                // A file of an output folder, or anything inside an artifact folder.
                let owner = if top == "_artifacts" {
                    format!("{top}/{second}")
                } else {
                    inner.to_string()
                };
                (!referenced.contains(&owner)).then(|| k.clone())
            })
            .collect();
        for key in &orphans {
            self.delete(key)?;
        }
        Ok(orphans.len())
    }

    /// Uploads a run report (or any file of the workdir's own folders) as `rel`.
    pub fn publish(&self, local: &Path, rel: &str) -> Result<()> {
        self.upload_file(local, rel)
    }

    /// Downloads every object of the workdir's folder `rel` (the run reports) that the local
    /// folder `local` lacks.
    pub fn pull_folder(&self, rel: &str, local: &Path) -> Result<()> {
        let (_, files) = self.children(rel)?;
        for name in files {
            let target = local.join(&name);
            self.download_file(&format!("{rel}/{name}"), &target)?;
        }
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Reads until `buf` is full or the file ends.
fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_working_copy_lives_under_the_cache_by_bucket_and_prefix() -> Result<()> {
        let url = ObjectUrl::parse(Path::new("s3://bucket/runs/x/"))?
            .ok_or(BaliError::Internal("not a URL".into()))?;
        let dir = working_copy(&url);
        assert!(
            dir.ends_with("workdirs/s3/bucket/runs/x"),
            "{}",
            dir.display()
        );
        assert!(dir.starts_with(cache_root()));
        Ok(())
    }

    #[test]
    fn uploads_downloads_and_orphans_follow_the_committed_names() -> Result<()> {
        let url = ObjectUrl::parse(Path::new("s3://bucket/runs/x"))?
            .ok_or(BaliError::Internal("not a URL".into()))?;
        let objects: Arc<dyn ObjectStore> = Arc::new(object_store::memory::InMemory::new());
        let mirror = Mirror::with_store(objects.clone(), &url);
        assert!(mirror.is_empty()?);
        let dir = tempfile::tempdir().at(std::env::temp_dir())?;
        let local = dir.path().join("a.parquet");
        std::fs::write(&local, b"partition bytes").at(&local)?;
        let art = dir.path().join("art");
        std::fs::create_dir_all(art.join("model")).at(&art)?;
        std::fs::write(art.join("model/config.json"), b"{}").at(&art)?;
        std::fs::write(art.join("index.bin"), b"idx").at(&art)?;

        mirror.upload_file(&local, "st/out/a.parquet")?;
        mirror.upload_file(&local, "st/out/orphan.parquet")?;
        mirror.upload_dir(&art, "st/_artifacts/k.fp")?;
        mirror.upload_file(&local, "st/_log/00000000000000000001.json")?;
        // The objects sit under the workdir's prefix, in the local layout.
        let meta = block_on(objects.head(&ObjectPath::from(
            "runs/x/st/_artifacts/k.fp/model/config.json",
        )));
        assert!(meta.is_ok());
        assert!(!mirror.is_empty()?);
        assert!(mirror.has_file("st/out/a.parquet")? && mirror.has_dir("st/_artifacts/k.fp")?);
        assert!(!mirror.has_file("st/out/b.parquet")? && !mirror.has_dir("st/_artifacts/k")?);
        assert_eq!(mirror.children("st")?.0, ["_artifacts", "_log", "out"]);

        // Downloads are whole copies.
        let copy = dir.path().join("copy/a.parquet");
        mirror.download_file("st/out/a.parquet", &copy)?;
        assert_eq!(std::fs::read(&copy).at(&copy)?, b"partition bytes");
        let art_copy = dir.path().join("copy/art");
        mirror.download_dir("st/_artifacts/k.fp", &art_copy)?;
        assert_eq!(
            std::fs::read(art_copy.join("model/config.json")).at(&art_copy)?,
            b"{}"
        );
        assert!(mirror
            .download_dir("st/_artifacts/none", &dir.path().join("none"))
            .is_err());

        // Orphans go only once older than the grace period; what is named, and the log, stay.
        let referenced: HashSet<String> =
            ["out/a.parquet".to_string(), "_artifacts/k.fp".to_string()].into();
        let hour = std::time::Duration::from_secs(3600);
        assert_eq!(mirror.collect_orphans("st", &referenced, hour)?, 0);
        assert_eq!(
            mirror.collect_orphans("st", &referenced, std::time::Duration::ZERO)?,
            1
        );
        assert!(!mirror.has_file("st/out/orphan.parquet")?);
        let fresh = Mirror::with_store(objects.clone(), &url);
        assert!(
            !fresh.has_file("st/out/orphan.parquet")?,
            "deleted in the store too"
        );
        assert!(fresh.has_file("st/out/a.parquet")? && fresh.has_dir("st/_artifacts/k.fp")?);
        assert!(fresh.has_file("st/_log/00000000000000000001.json")?);
        // Deleting a folder deletes what is under it.
        fresh.delete("st/_artifacts/k.fp")?;
        assert!(!Mirror::with_store(objects, &url).has_dir("st/_artifacts/k.fp")?);
        Ok(())
    }
}
