//! Files that appear whole or not at all: written under a temporary name beside their final
//! one, synced, renamed into place, and the folder synced so the rename survives a power cut.
//! Committed partition files and artifact folders, the run reports, the file-hash cache,
//! exports, training checkpoints, the dictionary cache and downloads from object storage (files
//! and whole folders) all write through here: the one place that renames a file into place.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::{IoResultExt, Result};

/// The temporary name of `path` while it is written: hidden, in the same folder (so the rename
/// stays on one filesystem), and unique to this process (so two processes never share one).
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Writes `bytes` to `path` atomically.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_path(path);
    std::fs::write(&tmp, bytes).at(&tmp)?;
    publish(&tmp, path)
}

/// Moves a finished temporary file or folder `tmp` (written by someone else: a serializer, a
/// copy, a download) to `path`: syncs it, renames it and syncs the parent folder. On failure a
/// temporary file is removed (a folder is left to the caller).
pub fn publish(tmp: &Path, path: &Path) -> Result<()> {
    let moved = File::open(tmp)
        .and_then(|f| f.sync_all())
        .at(tmp)
        .and_then(|()| std::fs::rename(tmp, path).at(path));
    if let Err(e) = moved {
        let _ = std::fs::remove_file(tmp);
        return Err(e);
    }
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => super::sync_dir(dir),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_whole_and_no_temporary_file_is_left() -> Result<()> {
        let dir = tempfile::tempdir().at(std::env::temp_dir())?;
        let path = dir.path().join("report.json");
        write(&path, b"first")?;
        write(&path, b"second")?;
        assert_eq!(std::fs::read(&path).at(&path)?, b"second");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .at(dir.path())?
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
            .collect();
        assert_eq!(names, ["report.json"]);
        // A temporary file that cannot be published is removed.
        let tmp = temp_path(&path);
        std::fs::write(&tmp, b"x").at(&tmp)?;
        assert!(publish(&tmp, &dir.path().join("missing/sub/file")).is_err());
        assert!(!tmp.exists());
        Ok(())
    }
}
