//! Content hashes of input files, cached by (path, size, modification time).
//!
//! Fingerprints use file *contents* (blake3), so touching a file without changing it does not
//! re-run anything, and replacing it with different bytes of the same size always does. Hashing
//! a full PubMed baseline (tens of GB) on every run would cost a minute, so hashes are cached in
//! the workdir and recomputed only when a file's size or mtime changed.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use crate::error::{IoResultExt, Result};

/// Hashes a file's contents with blake3 (hex).
pub fn hash_file(path: &Path) -> Result<String> {
    hash_reader(path, File::open(path).at(path)?)
}

/// Hashes what `reader` yields with blake3 (hex); errors name `what`.
fn hash_reader(what: impl AsRef<Path>, mut reader: impl Read) -> Result<String> {
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader.read(&mut buf).at(what.as_ref())?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().to_hex().to_string())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    size: u64,
    mtime_ns: u128,
    hash: String,
    /// An object's ETag (objects have no modification time bali can trust across stores).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
}

/// A persistent cache of file content hashes.
#[derive(Debug)]
pub struct FileHashCache {
    path: Option<PathBuf>,
    entries: Mutex<BTreeMap<String, Entry>>,
    dirty: Mutex<bool>,
}

impl FileHashCache {
    /// Loads the cache stored at `path` (a missing or unreadable file starts empty).
    pub fn load(path: PathBuf) -> FileHashCache {
        let entries = fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        FileHashCache {
            path: Some(path),
            entries: Mutex::new(entries),
            dirty: Mutex::new(false),
        }
    }

    /// A cache that is never saved (for read-only commands on a missing workdir).
    pub fn in_memory() -> FileHashCache {
        FileHashCache {
            path: None,
            entries: Mutex::new(BTreeMap::new()),
            dirty: Mutex::new(false),
        }
    }

    /// The content hash of `path`, from the cache when size and mtime are unchanged. For an
    /// object URL ([`super::remote`]) the cache keys on (URL, size, ETag), so the object is
    /// downloaded for hashing only when it is new or was written again.
    pub fn hash(&self, path: &Path) -> Result<String> {
        if let Some(url) = super::remote::ObjectUrl::parse(path)? {
            return self.hash_object(&url);
        }
        let meta = fs::metadata(path).at(path)?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let key = fs::canonicalize(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .to_string_lossy()
            .to_string();
        if let Some(e) = lock(&self.entries).get(&key) {
            if e.size == meta.len() && e.mtime_ns == mtime_ns && mtime_ns != 0 {
                return Ok(e.hash.clone());
            }
        }
        let hash = hash_file(path)?;
        lock(&self.entries).insert(
            key,
            Entry {
                size: meta.len(),
                mtime_ns,
                hash: hash.clone(),
                etag: None,
            },
        );
        *lock(&self.dirty) = true;
        Ok(hash)
    }

    fn hash_object(&self, url: &super::remote::ObjectUrl) -> Result<String> {
        let info = super::remote::head(url)?;
        let key = url.to_string();
        if let Some(e) = lock(&self.entries).get(&key) {
            if e.size == info.size && !info.etag.is_empty() && e.etag.as_ref() == Some(&info.etag) {
                return Ok(e.hash.clone());
            }
        }
        let hash = hash_reader(&key, super::remote::open(url)?)?;
        lock(&self.entries).insert(
            key,
            Entry {
                size: info.size,
                mtime_ns: 0,
                hash: hash.clone(),
                etag: Some(info.etag),
            },
        );
        *lock(&self.dirty) = true;
        Ok(hash)
    }

    /// Writes the cache back if anything changed (atomically; failures are only logged, since
    /// the cache is an optimisation).
    pub fn save(&self) {
        let Some(path) = &self.path else { return };
        if !*lock(&self.dirty) {
            return;
        }
        let text = match serde_json::to_string(&*lock(&self.entries)) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!("could not serialise the file hash cache: {e}");
                return;
            }
        };
        let res = match path.parent().map(fs::create_dir_all).transpose() {
            Ok(_) => super::atomic::write(path, text.as_bytes()),
            Err(e) => Err(crate::error::BaliError::io(path, e)),
        };
        if let Err(e) = res {
            tracing::warn!("could not save the file hash cache {}: {e}", path.display());
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Incremental hashing of configuration values and fingerprints.
#[derive(Debug, Default)]
pub struct Fingerprinter {
    hasher: blake3::Hasher,
}

impl Fingerprinter {
    /// A new, empty fingerprinter.
    pub fn new() -> Fingerprinter {
        Fingerprinter::default()
    }

    /// Adds a string (length-prefixed, so concatenations cannot collide).
    pub fn add(&mut self, s: &str) -> &mut Self {
        self.hasher.update(&(s.len() as u64).to_le_bytes());
        self.hasher.update(s.as_bytes());
        self
    }

    /// The hex digest.
    pub fn finish(&self) -> String {
        self.hasher.finalize().to_hex().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_tracks_content_changes() -> Result<()> {
        let dir = tempfile::tempdir().at("tempdir")?;
        let file = dir.path().join("a.txt");
        fs::write(&file, "one").at(&file)?;
        let cache = FileHashCache::load(dir.path().join("cache.json"));
        let h1 = cache.hash(&file)?;
        assert_eq!(h1, hash_file(&file)?);
        // Different content of a different size: a new hash even from the cache.
        fs::write(&file, "three").at(&file)?;
        let h2 = cache.hash(&file)?;
        assert_ne!(h1, h2);
        cache.save();
        let reloaded = FileHashCache::load(dir.path().join("cache.json"));
        assert_eq!(reloaded.hash(&file)?, h2);
        Ok(())
    }
}
