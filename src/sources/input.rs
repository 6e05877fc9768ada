//! Opening an input file (a local path or an object URL, [`crate::store::remote`]): plain or
//! gzip (told apart by the magic bytes, never by the name), decompressed on a thread of its
//! own, with progress counted in compressed bytes.
//!
//! Decompression and parsing cost about the same per byte, so they run on two threads joined
//! by a bounded channel of chunks: the parser sees a [`ChunkReader`] (a [`BufRead`]) and the
//! decompressor stays at most [`CHANNEL_CHUNKS`] chunks ahead, which keeps memory flat however
//! large the file. Chunks are recycled through a second channel, so a steady-state read
//! allocates nothing.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use aho_corasick::AhoCorasick;
use crossbeam_channel::{bounded, Receiver, Sender};
use flate2::bufread::MultiGzDecoder;

use crate::error::{IoResultExt, Result};
use crate::store::remote::{self, ObjectUrl};

/// Bytes per decompressed chunk: large enough that channel overhead is noise, small enough
/// that the parser starts at once.
pub const CHUNK_BYTES: usize = 256 * 1024;
/// Chunks the decompressor may run ahead of the parser.
pub const CHANNEL_CHUNKS: usize = 8;
/// The first two bytes of every gzip member (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// `path` taken from `base_dir` when it is relative; an object URL stays as it is.
pub fn locate(base_dir: &Path, path: &str) -> PathBuf {
    if remote::is_url(path) {
        PathBuf::from(path)
    } else {
        base_dir.join(path)
    }
}

/// Whether the input `path` names (a local file or an object) exists.
pub fn input_exists(path: &Path) -> Result<bool> {
    match ObjectUrl::parse(path)? {
        Some(url) => remote::exists(&url),
        None => Ok(path.is_file()),
    }
}

/// The size in bytes of the input `path` names: a local file's or an object's.
pub fn input_size(path: &Path) -> Result<u64> {
    match ObjectUrl::parse(path)? {
        Some(url) => Ok(remote::head(&url)?.size),
        None => Ok(std::fs::metadata(path).at(path)?.len()),
    }
}

/// Opens `path`, starts decompressing it on a scoped thread and hands the decompressed
/// stream to `consume`. Returns what `consume` returns; the thread is joined before this
/// returns, also when `consume` stops early (it drops the reader, which stops the thread).
///
/// `progress` grows by the compressed bytes read from disk, so a progress bar over file
/// sizes is exact whether the files are gzip or not.
pub fn with_decoded<T>(
    path: &Path,
    progress: &AtomicU64,
    consume: impl FnOnce(ChunkReader) -> Result<T>,
) -> Result<T> {
    let file: Box<dyn Read + Send> = match ObjectUrl::parse(path)? {
        Some(url) => Box::new(remote::open(&url)?),
        None => Box::new(File::open(path).at(path)?),
    };
    let (chunks_tx, chunks_rx) = bounded::<io::Result<Vec<u8>>>(CHANNEL_CHUNKS);
    let (recycle_tx, recycle_rx) = bounded::<Vec<u8>>(CHANNEL_CHUNKS + 2);
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("bali-decode".into())
            .spawn_scoped(scope, move || decode(file, progress, chunks_tx, recycle_rx))
            .at(path)?;
        consume(ChunkReader::new(chunks_rx, recycle_tx))
    })
}

/// The decompressing thread: reads `file`, sends full chunks, and on an error sends what it
/// has and then the error. Stops when the receiver goes away.
fn decode(
    file: Box<dyn Read + Send>,
    progress: &AtomicU64,
    chunks: Sender<io::Result<Vec<u8>>>,
    recycled: Receiver<Vec<u8>>,
) {
    let mut raw = BufReader::with_capacity(
        CHUNK_BYTES,
        Counting {
            inner: file,
            progress,
        },
    );
    let is_gzip = match raw.fill_buf() {
        Ok(head) => head.starts_with(&GZIP_MAGIC),
        Err(e) => {
            let _ = chunks.send(Err(e));
            return;
        }
    };
    let mut source: Box<dyn Read + '_> = if is_gzip {
        Box::new(MultiGzDecoder::new(raw))
    } else {
        Box::new(raw)
    };
    loop {
        let mut chunk = recycled
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK_BYTES));
        chunk.resize(CHUNK_BYTES, 0);
        let mut filled = 0;
        let mut failure = None;
        while filled < CHUNK_BYTES {
            match source.read(&mut chunk[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        chunk.truncate(filled);
        let at_end = filled < CHUNK_BYTES;
        if filled > 0 && chunks.send(Ok(chunk)).is_err() {
            return;
        }
        if let Some(e) = failure {
            let _ = chunks.send(Err(e));
            return;
        }
        if at_end {
            return;
        }
    }
}

/// Counts bytes read from the file into the shared progress counter.
struct Counting<'p> {
    inner: Box<dyn Read + Send>,
    progress: &'p AtomicU64,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The decompressed stream as a [`BufRead`] over the chunks of the decoding thread.
///
/// Besides reading, it knows the absolute offset of what has been consumed (for byte offsets
/// in errors and rows), remembers why the stream broke (a truncated or corrupt gzip file),
/// can record the bytes consumed (the raw bytes of a record to quarantine), and can skip
/// ahead to a pattern (to resynchronise after malformed input).
pub struct ChunkReader {
    chunks: Receiver<io::Result<Vec<u8>>>,
    recycle: Sender<Vec<u8>>,
    chunk: Vec<u8>,
    pos: usize,
    /// Absolute offset of `chunk[0]`.
    chunk_offset: u64,
    done: bool,
    failure: Option<String>,
    recording: Option<Recording>,
}

/// Bytes consumed since `base` (an absolute offset), kept while recording.
struct Recording {
    base: u64,
    bytes: Vec<u8>,
}

impl ChunkReader {
    fn new(chunks: Receiver<io::Result<Vec<u8>>>, recycle: Sender<Vec<u8>>) -> Self {
        ChunkReader {
            chunks,
            recycle,
            chunk: Vec::new(),
            pos: 0,
            chunk_offset: 0,
            done: false,
            failure: None,
            recording: None,
        }
    }

    /// Absolute offset of the next byte to be consumed, in the decompressed stream.
    pub fn offset(&self) -> u64 {
        self.chunk_offset + self.pos as u64
    }

    /// Why the stream ended early (an I/O or decompression error), once it has.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// Starts (or restarts) keeping every consumed byte, from the current offset.
    pub fn start_recording(&mut self) {
        let base = self.offset();
        match &mut self.recording {
            Some(rec) => {
                rec.base = base;
                rec.bytes.clear();
            }
            None => {
                self.recording = Some(Recording {
                    base,
                    bytes: Vec::new(),
                })
            }
        }
    }

    /// Drops recorded bytes before the absolute offset `from` (a record's first byte).
    pub fn forget_before(&mut self, from: u64) {
        if let Some(rec) = &mut self.recording {
            let cut = usize::try_from(from.saturating_sub(rec.base))
                .unwrap_or(usize::MAX)
                .min(rec.bytes.len());
            rec.bytes.drain(..cut);
            rec.base += cut as u64;
        }
    }

    /// The bytes recorded so far (empty when not recording).
    pub fn recorded(&self) -> &[u8] {
        self.recording
            .as_ref()
            .map_or(&[], |rec| rec.bytes.as_slice())
    }

    /// Skips input until one of `patterns` starts at the next byte (returns true), or the
    /// stream ends (false). Recording, if on, keeps the skipped bytes.
    pub fn skip_to(&mut self, patterns: &AhoCorasick, longest: usize) -> io::Result<bool> {
        loop {
            let available = self.fill_buf()?;
            if available.is_empty() {
                return Ok(false);
            }
            if let Some(found) = patterns.find(available) {
                let start = found.start();
                self.consume(start);
                return Ok(true);
            }
            // Keep a tail that might hold the start of a pattern cut by the chunk end.
            let keep = longest.saturating_sub(1).min(available.len());
            let skip = available.len() - keep;
            self.consume(skip);
            if !self.append_next_chunk()? {
                let rest = self.chunk.len() - self.pos;
                self.consume(rest);
                return Ok(false);
            }
        }
    }

    /// Consumes spaces, tabs, CRs and LFs up to the next other byte; returns how many.
    pub fn skip_ascii_whitespace(&mut self) -> io::Result<u64> {
        let mut skipped = 0u64;
        loop {
            let available = self.fill_buf()?;
            let blanks = available
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                .unwrap_or(available.len());
            let exhausted = blanks == available.len() && blanks > 0;
            self.consume(blanks);
            skipped += blanks as u64;
            if !exhausted {
                return Ok(skipped);
            }
        }
    }

    /// Appends the next chunk to the unconsumed rest of the current one, so that a search
    /// can see across the boundary. False at the end of the stream.
    pub fn append_next_chunk(&mut self) -> io::Result<bool> {
        match self.receive()? {
            None => Ok(false),
            Some(next) => {
                let mut joined = Vec::with_capacity(self.chunk.len() - self.pos + next.len());
                joined.extend_from_slice(&self.chunk[self.pos..]);
                joined.extend_from_slice(&next);
                self.chunk_offset += self.pos as u64;
                self.pos = 0;
                let old = std::mem::replace(&mut self.chunk, joined);
                let _ = self.recycle.try_send(old);
                let _ = self.recycle.try_send(next);
                Ok(true)
            }
        }
    }

    /// The next chunk, `None` at the end, or the stream's error (remembered for
    /// [`failure`](Self::failure)).
    fn receive(&mut self) -> io::Result<Option<Vec<u8>>> {
        if self.done {
            return Ok(None);
        }
        match self.chunks.recv() {
            Ok(Ok(chunk)) => Ok(Some(chunk)),
            Ok(Err(e)) => {
                self.done = true;
                self.failure = Some(e.to_string());
                Err(e)
            }
            Err(_) => {
                self.done = true;
                Ok(None)
            }
        }
    }
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for ChunkReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.chunk.len() {
            match self.receive()? {
                None => return Ok(&[]),
                Some(next) => {
                    self.chunk_offset += self.chunk.len() as u64;
                    self.pos = 0;
                    let old = std::mem::replace(&mut self.chunk, next);
                    let _ = self.recycle.try_send(old);
                }
            }
        }
        Ok(&self.chunk[self.pos..])
    }

    fn consume(&mut self, amount: usize) {
        let end = (self.pos + amount).min(self.chunk.len());
        if let Some(rec) = &mut self.recording {
            rec.bytes.extend_from_slice(&self.chunk[self.pos..end]);
        }
        self.pos = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn read_all(path: &Path, progress: &AtomicU64) -> (Vec<u8>, Option<String>) {
        with_decoded(path, progress, |mut reader| {
            let mut out = Vec::new();
            let result = reader.read_to_end(&mut out);
            assert_eq!(result.is_err(), reader.failure().is_some());
            Ok((out, reader.failure().map(str::to_string)))
        })
        .unwrap()
    }

    /// Data spanning several chunks, so chunk joins are exercised.
    fn sample() -> Vec<u8> {
        (0..(CHUNK_BYTES * 3 + 123))
            .map(|i| b"abcdefghij\n"[i % 11])
            .collect()
    }

    #[test]
    fn gzip_is_detected_by_magic_bytes_not_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let data = sample();
        // A gzip file without .gz and a plain file named .gz.
        let gz = dir.path().join("looks_plain.xml");
        std::fs::write(&gz, gzip(&data)).unwrap();
        let plain = dir.path().join("looks_gzipped.xml.gz");
        std::fs::write(&plain, &data).unwrap();
        let progress = AtomicU64::new(0);
        assert_eq!(read_all(&gz, &progress), (data.clone(), None));
        assert_eq!(read_all(&plain, &progress), (data.clone(), None));
        let on_disk =
            std::fs::metadata(&gz).unwrap().len() + std::fs::metadata(&plain).unwrap().len();
        assert_eq!(progress.load(Ordering::Relaxed), on_disk);
    }

    #[test]
    fn truncated_gzip_reports_the_failure_after_the_readable_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let data = sample();
        let full = gzip(&data);
        let path = dir.path().join("cut.gz");
        std::fs::write(&path, &full[..full.len() / 2]).unwrap();
        let (out, failure) = read_all(&path, &AtomicU64::new(0));
        assert!(failure.is_some());
        assert!(!out.is_empty() && out.len() < data.len());
        assert_eq!(&data[..out.len()], &out[..]);
    }

    #[test]
    fn concatenated_gzip_members_read_as_one_stream() {
        let dir = tempfile::tempdir().unwrap();
        let mut two = gzip(b"first|");
        two.extend(gzip(b"second|"));
        let path = dir.path().join("two.gz");
        std::fs::write(&path, two).unwrap();
        assert_eq!(read_all(&path, &AtomicU64::new(0)).0, b"first|second|");
    }

    #[test]
    fn skip_to_finds_a_pattern_across_chunk_ends_and_records_what_it_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let mut data = vec![b'x'; CHUNK_BYTES - 3];
        data.extend_from_slice(b"<Target>rest");
        let path = dir.path().join("skip.xml");
        std::fs::write(&path, &data).unwrap();
        let patterns = AhoCorasick::new(["<Target>"]).unwrap();
        with_decoded(&path, &AtomicU64::new(0), |mut reader| {
            reader.start_recording();
            assert!(reader.skip_to(&patterns, 8).unwrap());
            assert_eq!(reader.offset(), (CHUNK_BYTES - 3) as u64);
            assert_eq!(reader.recorded().len(), CHUNK_BYTES - 3);
            reader.forget_before(CHUNK_BYTES as u64 - 5);
            assert_eq!(reader.recorded(), b"xx");
            let mut rest = String::new();
            reader.read_to_string(&mut rest).unwrap();
            assert_eq!(rest, "<Target>rest");
            assert!(!reader.skip_to(&patterns, 8).unwrap());
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn a_missing_file_is_an_io_error_naming_it() {
        let err = with_decoded(Path::new("/nonexistent/x.xml"), &AtomicU64::new(0), |_| {
            Ok(())
        })
        .unwrap_err();
        assert!(err.to_string().starts_with("/nonexistent/x.xml:"), "{err}");
    }
}
