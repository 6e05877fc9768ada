//! Writing one partition: a Parquet file per output under `_tmp`, committed by renaming.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use super::{file_stem, sync_dir, FileRecord, StageStore};
use crate::error::{BaliError, IoResultExt, Result};

struct OpenOutput {
    name: String,
    schema: SchemaRef,
    tmp_path: PathBuf,
    writer: ArrowWriter<File>,
    rows: u64,
}

/// A partition being written. Nothing is visible to readers until
/// [`commit`](PartitionWriter::commit) has renamed the files and the caller has written the
/// manifest; dropping the writer without committing leaves only `_tmp` debris, which the next
/// run removes.
pub struct PartitionWriter {
    stage: StageStore,
    key: String,
    fingerprint: String,
    outputs: Vec<OpenOutput>,
    artifact_tmp: PathBuf,
    artifacts_used: bool,
}

/// A committed output file.
#[derive(Debug, Clone)]
pub struct WrittenOutput {
    /// Output name.
    pub name: String,
    /// Where the file is now, and its size.
    pub record: FileRecord,
}

impl PartitionWriter {
    /// Opens one temporary Parquet file per output, under `tmp` (the run's
    /// [`StageStore::run_tmp_dir`]).
    pub fn create(
        stage: &StageStore,
        tmp: &Path,
        key: &str,
        fingerprint: &str,
        outputs: &[(String, SchemaRef)],
    ) -> Result<PartitionWriter> {
        let stem = file_stem(key, fingerprint);
        let mut open = Vec::with_capacity(outputs.len());
        for (name, schema) in outputs {
            let dir = tmp.join(name);
            fs::create_dir_all(&dir).at(&dir)?;
            let tmp_path = dir.join(format!("{stem}.parquet"));
            let file = File::create(&tmp_path).at(&tmp_path)?;
            let props = WriterProperties::builder()
                .set_compression(Compression::ZSTD(ZstdLevel::try_new(1)?))
                .set_created_by(format!("bali {}", env!("CARGO_PKG_VERSION")))
                .set_key_value_metadata(Some(vec![
                    KeyValue::new("bali.stage".into(), stage.name().to_string()),
                    KeyValue::new("bali.output".into(), name.clone()),
                    KeyValue::new("bali.partition".into(), key.to_string()),
                    KeyValue::new("bali.fingerprint".into(), fingerprint.to_string()),
                ]))
                .build();
            let writer = ArrowWriter::try_new(file, schema.clone(), Some(props))?;
            open.push(OpenOutput {
                name: name.clone(),
                schema: schema.clone(),
                tmp_path,
                writer,
                rows: 0,
            });
        }
        Ok(PartitionWriter {
            stage: stage.clone(),
            key: key.to_string(),
            fingerprint: fingerprint.to_string(),
            outputs: open,
            artifact_tmp: tmp.join("_artifacts").join(stem),
            artifacts_used: false,
        })
    }

    /// The declared schema of output `index`.
    pub fn schema(&self, index: usize) -> Option<SchemaRef> {
        self.outputs.get(index).map(|o| o.schema.clone())
    }

    /// Appends a batch to output `index`. The batch must already have the declared schema.
    pub fn write(&mut self, index: usize, batch: &RecordBatch) -> Result<()> {
        let out = self
            .outputs
            .get_mut(index)
            .ok_or_else(|| BaliError::Internal(format!("no output {index}")))?;
        out.writer.write(batch)?;
        out.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Rows written so far to output `index`.
    pub fn rows(&self, index: usize) -> u64 {
        self.outputs.get(index).map(|o| o.rows).unwrap_or(0)
    }

    /// The temporary artifact folder (created on first use), committed with the partition.
    pub fn artifact_dir(&mut self) -> Result<PathBuf> {
        fs::create_dir_all(&self.artifact_tmp).at(&self.artifact_tmp)?;
        self.artifacts_used = true;
        Ok(self.artifact_tmp.clone())
    }

    /// Finishes every file, syncs it and renames it into place. Returns the files and the
    /// artifact folder (relative to the stage folder) for the caller to record in the manifest,
    /// which is what makes the partition visible.
    pub fn commit(self) -> Result<(Vec<WrittenOutput>, Option<String>)> {
        let stage_dir = self.stage.dir().to_path_buf();
        let mut written = Vec::with_capacity(self.outputs.len());
        for out in self.outputs {
            // Closed here; `publish` syncs it before the rename.
            drop(out.writer.into_inner()?);
            let final_path = self
                .stage
                .output_path(&out.name, &self.key, &self.fingerprint);
            rename_into(&out.tmp_path, &final_path)?;
            let bytes = fs::metadata(&final_path).at(&final_path)?.len();
            written.push(WrittenOutput {
                name: out.name,
                record: FileRecord {
                    path: relative(&stage_dir, &final_path)?,
                    rows: out.rows,
                    bytes,
                },
            });
        }
        let artifacts = if self.artifacts_used {
            let final_dir = self.stage.artifact_path(&self.key, &self.fingerprint);
            if final_dir.exists() {
                fs::remove_dir_all(&final_dir).at(&final_dir)?;
            }
            sync_tree(&self.artifact_tmp)?;
            rename_into(&self.artifact_tmp, &final_dir)?;
            Some(relative(&stage_dir, &final_dir)?)
        } else {
            None
        };
        Ok((written, artifacts))
    }
}

/// Output name -> committed file, as the manifest records it.
pub fn files_map(written: &[WrittenOutput]) -> BTreeMap<String, FileRecord> {
    written
        .iter()
        .map(|w| (w.name.clone(), w.record.clone()))
        .collect()
}

/// Moves a finished file or folder into place through [`super::atomic::publish`], creating
/// the folders above it first.
fn rename_into(from: &Path, to: &Path) -> Result<()> {
    let parent = to
        .parent()
        .ok_or_else(|| BaliError::Internal(format!("{} has no parent", to.display())))?;
    fs::create_dir_all(parent).at(parent)?;
    super::atomic::publish(from, to)
}

fn sync_tree(dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir).at(dir)? {
        let path = entry.at(dir)?.path();
        if path.is_dir() {
            sync_tree(&path)?;
        } else {
            File::open(&path).at(&path)?.sync_all().at(&path)?;
        }
    }
    sync_dir(dir)
}

fn relative(base: &Path, path: &Path) -> Result<String> {
    path.strip_prefix(base)
        .map(|p| p.to_string_lossy().to_string())
        .map_err(|_| {
            BaliError::Internal(format!("{} is outside {}", path.display(), base.display()))
        })
}
