//! Input files named by URL (`s3://bucket/pubmed/*.xml.gz`): telling a URL from a local path,
//! the store of a bucket, listing by glob, an object's size and ETag, and a blocking reader of
//! its bytes.
//!
//! A URL travels through bali as the text of a `Path`, so a source's file list, partition keys
//! and messages treat it like a file; the four places that touch the bytes (globbing, sizes,
//! fingerprints and reading) ask [`ObjectUrl::parse`] first.
//!
//! S3 needs the `s3` feature (on by default). Its settings come from the standard AWS
//! environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
//! `AWS_REGION` or `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL` or `AWS_ENDPOINT`, `AWS_ALLOW_HTTP`
//! for a local server). Messages name the URL and object_store's reason, never a credential.

use std::collections::HashMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};

use super::objects::block_on;
use crate::error::{BaliError, IoResultExt, Result};

/// The URL schemes bali reads; anything else with `://` is an error, not a relative path.
const SCHEMES: &[&str] = &["s3"];

/// An object named by URL: `scheme://bucket/key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectUrl {
    /// `s3`.
    pub scheme: String,
    /// The bucket.
    pub bucket: String,
    /// The key inside the bucket (may hold glob characters while it is a pattern).
    pub key: String,
}

/// Whether `text` is written as a URL (`scheme://...`) rather than a path.
pub fn is_url(text: &str) -> bool {
    text.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

impl ObjectUrl {
    /// The URL `path` spells, if it spells one: `None` for a local path, an error for a URL
    /// bali cannot read (an unknown scheme, no bucket).
    pub fn parse(path: &Path) -> Result<Option<ObjectUrl>> {
        let Some(text) = path.to_str() else {
            return Ok(None);
        };
        if !is_url(text) {
            return Ok(None);
        }
        let Some((scheme, rest)) = text.split_once("://") else {
            return Ok(None);
        };
        if !SCHEMES.contains(&scheme) {
            return Err(BaliError::Spec(format!(
                "{text}: bali reads local paths and {} URLs, not `{scheme}://`",
                SCHEMES
                    .iter()
                    .map(|s| format!("`{s}://`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(BaliError::Spec(format!("{text}: the URL names no bucket")));
        }
        Ok(Some(ObjectUrl {
            scheme: scheme.to_string(),
            bucket: bucket.to_string(),
            key: key.to_string(),
        }))
    }

    /// The URL of the object `key` in the same bucket.
    /// The URL of another key in the same bucket.
    pub(crate) fn with_key(&self, key: &str) -> ObjectUrl {
        ObjectUrl {
            key: key.to_string(),
            ..self.clone()
        }
    }

    fn object_path(&self) -> Result<ObjectPath> {
        ObjectPath::parse(&self.key)
            .map_err(|e| BaliError::Spec(format!("{self}: not a valid object key: {e}")))
    }

    /// A failed call on this URL: what names nothing or is refused is a configuration error
    /// (exit 2, like a local glob that matches nothing); the rest (the network, the server) is
    /// an I/O error.
    pub(crate) fn error(&self, what: &str, e: object_store::Error) -> BaliError {
        use object_store::Error as E;
        let configuration = |reason: &str| BaliError::Spec(format!("{self}: {what}: {reason}"));
        match e {
            E::NotFound { .. } => configuration("no such object"),
            E::Unauthenticated { .. } | E::PermissionDenied { .. } => configuration(&format!(
                "access refused; check the AWS credentials in the environment ({})",
                describe(&e)
            )),
            e if e.to_string().contains("NoSuchBucket") => configuration("no such bucket"),
            // The last place object_store looks for credentials is the instance metadata
            // service; reaching it means the environment holds none.
            e if e.to_string().contains("169.254.169.254") => configuration(
                "found no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or \
                 a role through AWS_WEB_IDENTITY_TOKEN_FILE / the instance metadata service)",
            ),
            e => BaliError::Io {
                path: self.to_string().into(),
                source: io::Error::other(format!("{what}: {}", describe(&e))),
            },
        }
    }
}

/// An object-store error for a message: the server's XML error body (which can echo the
/// request's signature material, such as the access key id or a session token) is reduced to
/// its `Code` and `Message`.
pub fn describe(e: &object_store::Error) -> String {
    sanitize(&e.to_string())
}

fn sanitize(text: &str) -> String {
    let Some(start) = text.find("<?xml").or_else(|| text.find("<Error>")) else {
        return text.to_string();
    };
    let field = |name: &str| {
        let open = format!("<{name}>");
        let from = text.find(&open)? + open.len();
        let to = text[from..].find(&format!("</{name}>"))? + from;
        Some(text[from..to].to_string())
    };
    let summary = [field("Code"), field("Message")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(": ");
    format!("{}{summary}", &text[..start])
}

impl std::fmt::Display for ObjectUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}/{}", self.scheme, self.bucket, self.key)
    }
}

/// What bali needs to know of an object before reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Its size in bytes.
    pub size: u64,
    /// Its ETag (changes whenever the object is written again); empty where the store has none.
    pub etag: String,
}

impl From<&ObjectMeta> for ObjectInfo {
    fn from(meta: &ObjectMeta) -> ObjectInfo {
        ObjectInfo {
            size: meta.size,
            etag: meta.e_tag.clone().unwrap_or_default(),
        }
    }
}

/// The stores built so far, by (scheme, bucket).
type Stores = Mutex<HashMap<(String, String), Arc<dyn ObjectStore>>>;

/// The store of `url`'s bucket, built once per bucket from the environment.
fn store(url: &ObjectUrl) -> Result<Arc<dyn ObjectStore>> {
    static STORES: OnceLock<Stores> = OnceLock::new();
    let stores = STORES.get_or_init(Default::default);
    let key = (url.scheme.clone(), url.bucket.clone());
    if let Some(store) = stores.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(store.clone());
    }
    let store = build(url)?;
    stores
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, store.clone());
    Ok(store)
}

#[cfg(feature = "s3")]
fn build(url: &ObjectUrl) -> Result<Arc<dyn ObjectStore>> {
    let store = object_store::aws::AmazonS3Builder::from_env()
        .with_bucket_name(&url.bucket)
        .build()
        .map_err(|e| {
            BaliError::Spec(format!(
                "{url}: cannot configure S3 from the environment: {e}"
            ))
        })?;
    Ok(Arc::new(store))
}

#[cfg(not(feature = "s3"))]
fn build(url: &ObjectUrl) -> Result<Arc<dyn ObjectStore>> {
    Err(BaliError::Spec(format!(
        "{url}: this bali was built without S3 support (`--no-default-features`); build it with \
         the `s3` feature"
    )))
}

/// The store of `url`'s bucket and `url`'s key as an object path: where a commit log (or
/// anything else keyed under a prefix) can live.
pub fn store_at(url: &ObjectUrl) -> Result<(Arc<dyn ObjectStore>, String)> {
    Ok((store(url)?, url.key.trim_matches('/').to_string()))
}

/// The objects whose keys match `pattern`'s key as a glob (`*` and `?` stay inside one path
/// segment, `**` crosses them), sorted by key. Lists only below the pattern's literal folder.
pub fn glob(pattern: &ObjectUrl) -> Result<Vec<(ObjectUrl, ObjectInfo)>> {
    let matcher = glob::Pattern::new(&pattern.key)
        .map_err(|e| BaliError::Spec(format!("{pattern}: bad glob: {e}")))?;
    let options = glob::MatchOptions {
        require_literal_separator: true,
        ..Default::default()
    };
    // The folder to list: the key's folders up to the first one with a glob character (the
    // last segment is the file name or its pattern).
    let segments: Vec<&str> = pattern.key.split('/').collect();
    let folder = segments[..segments.len() - 1]
        .iter()
        .take_while(|segment| !segment.contains(['*', '?', '[']))
        .copied()
        .collect::<Vec<_>>()
        .join("/");
    let store = store(pattern)?;
    let prefix = (!folder.is_empty()).then(|| ObjectPath::from(folder.as_str()));
    let metas: Vec<ObjectMeta> = block_on(store.list(prefix.as_ref()).try_collect())
        .map_err(|e| pattern.error("cannot list the bucket", e))?;
    let mut found: Vec<(ObjectUrl, ObjectInfo)> = metas
        .iter()
        .filter(|m| matcher.matches_with(m.location.as_ref(), options))
        .map(|m| (pattern.with_key(m.location.as_ref()), ObjectInfo::from(m)))
        .collect();
    found.sort_by(|a, b| a.0.key.cmp(&b.0.key));
    let mut known = known().lock().unwrap_or_else(|p| p.into_inner());
    for (url, info) in &found {
        known.insert(url.to_string(), info.clone());
    }
    Ok(found)
}

/// What this process learnt of objects, by URL (from listings and HEAD requests): planning a
/// run over thousands of objects costs a listing per pattern, and the sizes, existence checks
/// and fingerprints of one object cost one request between them.
fn known() -> &'static Mutex<HashMap<String, ObjectInfo>> {
    static KNOWN: OnceLock<Mutex<HashMap<String, ObjectInfo>>> = OnceLock::new();
    KNOWN.get_or_init(Default::default)
}

/// The size and ETag of the object `url` names, or `None` when there is none.
fn lookup(url: &ObjectUrl) -> Result<Option<ObjectInfo>> {
    let key = url.to_string();
    if let Some(info) = known().lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(Some(info.clone()));
    }
    let store = store(url)?;
    match block_on(store.head(&url.object_path()?)) {
        Ok(meta) => {
            let info = ObjectInfo::from(&meta);
            known()
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key, info.clone());
            Ok(Some(info))
        }
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(url.error("cannot read the object's metadata", e)),
    }
}

/// The size and ETag of the object `url` names.
pub fn head(url: &ObjectUrl) -> Result<ObjectInfo> {
    lookup(url)?.ok_or_else(|| {
        BaliError::Spec(format!(
            "{url}: cannot read the object's metadata: no such object"
        ))
    })
}

/// Whether the object `url` names exists.
pub fn exists(url: &ObjectUrl) -> Result<bool> {
    Ok(lookup(url)?.is_some())
}

/// Opens the object `url` names for reading, as a stream of its bytes.
pub fn open(url: &ObjectUrl) -> Result<ObjectReader> {
    let store = store(url)?;
    let path = url.object_path()?;
    let got = block_on(store.get(&path)).map_err(|e| url.error("cannot read", e))?;
    Ok(ObjectReader::new(url.to_string(), got.into_stream()))
}

/// Downloads object `path` of `objects` (named `label` in messages) into the local file
/// `local`: under a temporary name, synced, then renamed into place, so `local` is whole or
/// absent. Its folder is created.
pub(crate) fn download(
    objects: &Arc<dyn ObjectStore>,
    path: &ObjectPath,
    label: &ObjectUrl,
    local: &Path,
) -> Result<()> {
    if let Some(dir) = local.parent() {
        std::fs::create_dir_all(dir).at(dir)?;
    }
    let got = block_on(objects.get(path)).map_err(|e| label.error("cannot download", e))?;
    let mut reader = ObjectReader::new(label.to_string(), got.into_stream());
    let tmp = unique_temp(local);
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| io::copy(&mut reader, &mut f))
        .at(&tmp);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    super::atomic::publish(&tmp, local)
}

/// Marks the temporary names of downloads in progress.
const DOWNLOAD_TEMP: &str = ".download-";

/// A temporary name beside `path`, unique to this call: the process id, a counter and a random
/// number (containers sharing a cache folder may all be process 1).
pub(crate) fn unique_temp(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    path.with_file_name(format!(
        ".{name}{DOWNLOAD_TEMP}{}-{}-{:016x}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        rand::random::<u64>()
    ))
}

/// Whether `path` is a download in progress (named by `unique_temp`), which clean-ups leave
/// alone.
pub fn is_download_temp(path: &Path) -> bool {
    path.file_name()
        .map(|n| n.to_string_lossy())
        .is_some_and(|n| n.starts_with('.') && n.contains(DOWNLOAD_TEMP))
}

/// A local copy of the object, or of every object below the folder, that `url` names: for
/// options that take a file or a folder (a model, a tokenizer, annotation files). The copy
/// lives under `<cache root>/objects/<scheme>/<bucket>/<key>.<tag>`, where the tag hashes the
/// keys, sizes and ETags copied, so a changed object is downloaded again and an unchanged one
/// costs one listing. Returns the copy of the file or the folder.
///
/// Fingerprints name the copy by its URL ([`origin_of`]), so machines with different cache
/// folders agree on them.
pub fn local_copy(url: &ObjectUrl) -> Result<PathBuf> {
    let objects = store(url)?;
    let key = url.key.trim_matches('/').to_string();
    let exact = lookup(&url.with_key(&key))?;
    let inside: Vec<ObjectMeta> = match exact {
        Some(_) => Vec::new(),
        None => {
            let folder = ObjectPath::from(key.as_str());
            block_on(objects.list(Some(&folder)).try_collect())
                .map_err(|e| url.error("cannot list", e))?
        }
    };
    let mut tag = blake3::Hasher::new();
    let mut files: Vec<(String, String)> = Vec::new(); // (key, path inside the copy)
    match &exact {
        Some(info) => {
            tag.update(format!("{key}\0{}\0{}\n", info.size, info.etag).as_bytes());
            let name = key.rsplit('/').next().unwrap_or(&key).to_string();
            files.push((key.clone(), name));
        }
        None => {
            if inside.is_empty() {
                return Err(BaliError::Spec(format!(
                    "{url}: no such object, and no object below it"
                )));
            }
            for meta in &inside {
                let k = meta.location.as_ref();
                let e_tag = meta.e_tag.clone().unwrap_or_default();
                tag.update(format!("{k}\0{}\0{e_tag}\n", meta.size).as_bytes());
                let inner = match key.is_empty() {
                    true => k.to_string(),
                    false => k.get(key.len() + 1..).unwrap_or(k).to_string(),
                };
                files.push((k.to_string(), inner));
            }
        }
    }
    let tag = tag.finalize().to_hex();
    let mut dir = super::mirror::cache_root()
        .join("objects")
        .join(&url.scheme)
        .join(&url.bucket);
    dir.extend(key.split('/').filter(|s| !s.is_empty()));
    let dir = dir.with_file_name(format!(
        "{}.{}",
        dir.file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        &tag.as_str()[..16]
    ));
    if !dir.is_dir() {
        let tmp = unique_temp(&dir);
        let fetched = (|| {
            for (k, inner) in &files {
                let mut target = tmp.clone();
                target.extend(inner.split('/'));
                let path = ObjectPath::parse(k).map_err(|e| {
                    BaliError::Spec(format!("{}: not a valid object key: {e}", url.with_key(k)))
                })?;
                download(&objects, &path, &url.with_key(k), &target)?;
            }
            super::atomic::publish(&tmp, &dir)
        })();
        if let Err(e) = fetched {
            let _ = std::fs::remove_dir_all(&tmp);
            if !dir.is_dir() {
                return Err(e);
            }
        }
    }
    let origin = format!("{}://{}/{key}", url.scheme, url.bucket);
    let local = match exact {
        Some(_) => dir.join(&files[0].1),
        None => dir.clone(),
    };
    // The canonical path, as callers that canonicalize will hold it.
    let local = local.canonicalize().at(&local)?;
    lock_origins().push((local.clone(), origin));
    Ok(local)
}

fn lock_origins() -> std::sync::MutexGuard<'static, Vec<(PathBuf, String)>> {
    static ORIGINS: OnceLock<Mutex<Vec<(PathBuf, String)>>> = OnceLock::new();
    ORIGINS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// The URL a local path was copied from by [`local_copy`] (a file of a copied folder gets the
/// folder's URL and its path inside), if it was.
pub fn origin_of(path: &Path) -> Option<String> {
    let origins = lock_origins();
    if origins.is_empty() {
        return None;
    }
    let canonical = path.canonicalize().ok();
    let path = canonical.as_deref().unwrap_or(path);
    origins.iter().find_map(|(local, url)| {
        let rest = path.strip_prefix(local).ok()?;
        let inner: Vec<String> = rest
            .components()
            .map(|c| c.as_os_str().to_string_lossy().to_string())
            .collect();
        Some(match inner.is_empty() {
            true => url.clone(),
            false => format!("{url}/{}", inner.join("/")),
        })
    })
}

/// A blocking [`Read`] over an object's byte stream: each read that finds its buffer empty
/// waits for the next piece of the download.
pub struct ObjectReader {
    url: String,
    stream: BoxStream<'static, object_store::Result<Bytes>>,
    current: Bytes,
}

impl ObjectReader {
    /// A reader of `stream`, the body of the object `url` names (for messages).
    pub fn new(
        url: String,
        stream: BoxStream<'static, object_store::Result<Bytes>>,
    ) -> ObjectReader {
        ObjectReader {
            url,
            stream,
            current: Bytes::new(),
        }
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match block_on(self.stream.next()) {
                None => return Ok(0),
                Some(Ok(piece)) => self.current = piece,
                Some(Err(e)) => {
                    return Err(io::Error::other(format!(
                        "{}: the download failed: {}",
                        self.url,
                        describe(&e)
                    )))
                }
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_from_paths_and_bad_ones_are_named() -> Result<()> {
        assert_eq!(ObjectUrl::parse(Path::new("data/pubmed/*.xml.gz"))?, None);
        assert_eq!(ObjectUrl::parse(Path::new("/abs/a.xml"))?, None);
        let url = ObjectUrl::parse(Path::new("s3://bucket/pubmed/x.xml.gz"))?;
        assert_eq!(
            url,
            Some(ObjectUrl {
                scheme: "s3".into(),
                bucket: "bucket".into(),
                key: "pubmed/x.xml.gz".into()
            })
        );
        assert_eq!(
            url.map(|u| u.to_string()).as_deref(),
            Some("s3://bucket/pubmed/x.xml.gz")
        );
        let err = ObjectUrl::parse(Path::new("gs://bucket/x"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("gs://bucket/x") && err.contains("`s3://`"),
            "{err}"
        );
        assert!(ObjectUrl::parse(Path::new("s3:///x")).is_err());
        Ok(())
    }

    #[test]
    fn an_error_body_is_reduced_to_its_code_and_message() {
        let raw = "Server returned non-2xx status code: 403 Forbidden: <?xml version=\"1.0\"?>\
                   <Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we \
                   calculated does not match</Message><AWSAccessKeyId>AKIDSECRETISH</AWSAccessKeyId>\
                   <CanonicalRequest>x-amz-security-token:TOKEN</CanonicalRequest></Error>";
        let clean = sanitize(raw);
        assert!(clean.starts_with("Server returned non-2xx status code: 403 Forbidden: "));
        assert!(
            clean.contains("SignatureDoesNotMatch: The request signature"),
            "{clean}"
        );
        assert!(
            !clean.contains("AKID") && !clean.contains("TOKEN"),
            "{clean}"
        );
        assert_eq!(sanitize("connection refused"), "connection refused");
    }

    #[cfg(not(feature = "s3"))]
    #[test]
    fn without_the_feature_an_s3_url_says_how_to_get_it() -> Result<()> {
        let url = ObjectUrl::parse(Path::new("s3://bucket/x.xml"))?
            .ok_or(BaliError::Internal("not a URL".into()))?;
        let err = head(&url).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("the `s3` feature"), "{err}");
        Ok(())
    }
}
