//! The on-disk format of the cached matcher index.
//!
//! One file: an 8-byte magic, a format version (u32 LE), a section count (u32 LE), then each
//! section as its byte length (u64 LE) and its bytes, and finally the blake3 hash (32 bytes) of
//! everything before it. Sections are flat little-endian arrays, so loading is one read, one
//! hash and one pass per array, with no parsing: a UMLS-size index loads in seconds. The hash
//! makes a truncated or damaged file an error rather than a wrong match; the reader still
//! bounds-checks every section, and the matcher validates the arrays' invariants on top.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{BaliError, IoResultExt, Position, Result};

/// First bytes of every cache file.
pub const MAGIC: &[u8; 8] = b"BALIMTCH";

/// Writes a cache file section by section; [`CacheWriter::finish`] appends the hash and
/// renames the temporary file into place, so a crash never leaves a cache that looks whole.
pub struct CacheWriter {
    path: PathBuf,
    tmp: PathBuf,
    out: BufWriter<File>,
    hasher: blake3::Hasher,
}

impl CacheWriter {
    /// Starts `path` (written under [`crate::store::atomic::temp_path`] until finished) with
    /// `version` and `sections`.
    pub fn create(path: &Path, version: u32, sections: u32) -> Result<Self> {
        let tmp = crate::store::atomic::temp_path(path);
        let file = File::create(&tmp).at(&tmp)?;
        let mut writer = CacheWriter {
            path: path.to_path_buf(),
            tmp,
            out: BufWriter::with_capacity(1 << 20, file),
            hasher: blake3::Hasher::new(),
        };
        writer.write(MAGIC)?;
        writer.write(&version.to_le_bytes())?;
        writer.write(&sections.to_le_bytes())?;
        Ok(writer)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.hasher.update(bytes);
        self.out.write_all(bytes).at(&self.tmp)
    }

    /// Writes a section of raw bytes.
    pub fn bytes(&mut self, bytes: &[u8]) -> Result<()> {
        self.write(&(bytes.len() as u64).to_le_bytes())?;
        self.write(bytes)
    }

    /// Writes a section of `u32`s.
    pub fn u32s(&mut self, values: &[u32]) -> Result<()> {
        self.write(&(values.len() as u64 * 4).to_le_bytes())?;
        let mut chunk = Vec::with_capacity(64 * 1024);
        for block in values.chunks(16 * 1024) {
            chunk.clear();
            chunk.extend(block.iter().flat_map(|v| v.to_le_bytes()));
            self.write(&chunk)?;
        }
        Ok(())
    }

    /// Writes a section of `u64`s.
    pub fn u64s(&mut self, values: &[u64]) -> Result<()> {
        self.write(&(values.len() as u64 * 8).to_le_bytes())?;
        let mut chunk = Vec::with_capacity(64 * 1024);
        for block in values.chunks(8 * 1024) {
            chunk.clear();
            chunk.extend(block.iter().flat_map(|v| v.to_le_bytes()));
            self.write(&chunk)?;
        }
        Ok(())
    }

    /// Appends the hash, flushes and moves the file into place.
    pub fn finish(mut self) -> Result<()> {
        let hash = self.hasher.finalize();
        self.out.write_all(hash.as_bytes()).at(&self.tmp)?;
        let file = self
            .out
            .into_inner()
            .map_err(|e| BaliError::io(&self.tmp, e.into_error()))?;
        drop(file);
        crate::store::atomic::publish(&self.tmp, &self.path)
    }
}

/// Reads a cache file written by [`CacheWriter`], section by section, in the same order.
#[derive(Debug)]
pub struct CacheReader {
    path: PathBuf,
    data: Vec<u8>,
    pos: usize,
    end: usize,
}

impl CacheReader {
    /// Reads `path`, checks magic, version and hash, and returns the reader and the section
    /// count.
    pub fn open(path: &Path, version: u32) -> Result<(Self, u32)> {
        let data = std::fs::read(path).at(path)?;
        let bad = |pos: usize, reason: &str| {
            BaliError::bad_input(path, Position::Byte(pos as u64), reason)
        };
        if data.len() < 16 + 32 || &data[..8] != MAGIC {
            return Err(bad(0, "not a bali matcher index (bad magic or too short)"));
        }
        let end = data.len() - 32;
        if blake3::hash(&data[..end]).as_bytes() != &data[end..] {
            return Err(bad(
                end,
                "the index is damaged (hash mismatch): delete it to rebuild",
            ));
        }
        let found = u32::from_le_bytes([data[8], data[9], data[10], data[11]]);
        if found != version {
            return Err(bad(
                8,
                &format!("index format version {found}, this bali reads version {version}: delete it to rebuild"),
            ));
        }
        let sections = u32::from_le_bytes([data[12], data[13], data[14], data[15]]);
        let reader = CacheReader {
            path: path.to_path_buf(),
            data,
            pos: 16,
            end,
        };
        Ok((reader, sections))
    }

    /// The error for a problem at the current position.
    pub fn error(&self, reason: impl Into<String>) -> BaliError {
        BaliError::bad_input(&self.path, Position::Byte(self.pos as u64), reason)
    }

    fn section(&mut self, width: usize) -> Result<&[u8]> {
        if self.pos + 8 > self.end {
            return Err(self.error("section header past the end of the index"));
        }
        let mut len = [0u8; 8];
        len.copy_from_slice(&self.data[self.pos..self.pos + 8]);
        let len = u64::from_le_bytes(len) as usize;
        let start = self.pos + 8;
        if len > self.end - start || !len.is_multiple_of(width) {
            return Err(self.error(format!("section of {len} bytes does not fit the index")));
        }
        self.pos = start + len;
        Ok(&self.data[start..start + len])
    }

    /// Reads a section of raw bytes.
    pub fn bytes(&mut self) -> Result<Vec<u8>> {
        Ok(self.section(1)?.to_vec())
    }

    /// Reads a section of `u32`s.
    pub fn u32s(&mut self) -> Result<Vec<u32>> {
        let s = self.section(4)?;
        Ok(s.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// Reads a section of `u64`s.
    pub fn u64s(&mut self) -> Result<Vec<u64>> {
        let s = self.section(8)?;
        Ok(s.chunks_exact(8)
            .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect())
    }

    /// Checks that every section was read.
    pub fn finish(self) -> Result<()> {
        if self.pos != self.end {
            return Err(self.error("unread bytes after the last section"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_detects_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.bin");
        let mut w = CacheWriter::create(&path, 3, 3).unwrap();
        w.bytes(b"hello").unwrap();
        w.u32s(&[1, 2, u32::MAX]).unwrap();
        w.u64s(&[7]).unwrap();
        w.finish().unwrap();
        let (mut r, n) = CacheReader::open(&path, 3).unwrap();
        assert_eq!(n, 3);
        assert_eq!(r.bytes().unwrap(), b"hello");
        assert_eq!(r.u32s().unwrap(), [1, 2, u32::MAX]);
        assert_eq!(r.u64s().unwrap(), [7]);
        r.finish().unwrap();

        assert!(CacheReader::open(&path, 4)
            .unwrap_err()
            .to_string()
            .contains("version 3"));
        let mut data = std::fs::read(&path).unwrap();
        data[20] ^= 1;
        std::fs::write(&path, &data).unwrap();
        assert!(CacheReader::open(&path, 3)
            .unwrap_err()
            .to_string()
            .contains("damaged"));
        std::fs::write(&path, &data[..10]).unwrap();
        assert!(CacheReader::open(&path, 3).is_err());
    }
}
