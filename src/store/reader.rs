//! Reading committed Parquet files back as a stream of record batches.

use std::fs::File;
use std::path::PathBuf;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;

use crate::error::{BaliError, IoResultExt, Result};

/// A stream of record batches with a known schema.
pub struct BatchStream {
    schema: SchemaRef,
    inner: Box<dyn Iterator<Item = Result<RecordBatch>> + Send>,
}

impl BatchStream {
    /// Wraps an iterator of batches that all have `schema`.
    pub fn new(
        schema: SchemaRef,
        inner: impl Iterator<Item = Result<RecordBatch>> + Send + 'static,
    ) -> BatchStream {
        BatchStream {
            schema,
            inner: Box::new(inner),
        }
    }

    /// A stream with no batches.
    pub fn empty(schema: SchemaRef) -> BatchStream {
        BatchStream::new(schema, std::iter::empty())
    }

    /// The schema of every batch.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Reads every batch into memory.
    pub fn collect_all(self) -> Result<Vec<RecordBatch>> {
        self.collect()
    }
}

impl Iterator for BatchStream {
    type Item = Result<RecordBatch>;
    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next()
    }
}

impl std::fmt::Debug for BatchStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchStream")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

/// Streams the batches of `files` in order, optionally keeping only the named columns.
///
/// `schema` is the table's declared schema; with a projection the stream's schema is the
/// projected one. Files are opened lazily, one at a time.
pub fn read_parquet_files(
    schema: SchemaRef,
    files: Vec<PathBuf>,
    columns: Option<&[&str]>,
    batch_size: usize,
) -> Result<BatchStream> {
    let indices: Option<Vec<usize>> = match columns {
        None => None,
        Some(cols) => Some(
            cols.iter()
                .map(|c| {
                    schema.index_of(c).map_err(|_| {
                        BaliError::Internal(format!("column `{c}` is not in the table's schema"))
                    })
                })
                .collect::<Result<_>>()?,
        ),
    };
    let out_schema = match &indices {
        None => schema.clone(),
        Some(ix) => std::sync::Arc::new(schema.project(ix)?),
    };
    let mut files = files.into_iter();
    let mut current: Option<parquet::arrow::arrow_reader::ParquetRecordBatchReader> = None;
    let iter = std::iter::from_fn(move || loop {
        if let Some(reader) = current.as_mut() {
            match reader.next() {
                Some(Ok(b)) => return Some(Ok(b)),
                Some(Err(e)) => return Some(Err(BaliError::Arrow(e))),
                None => current = None,
            }
        }
        let path = files.next()?;
        let opened = (|| -> Result<_> {
            let file = File::open(&path).at(&path)?;
            let builder = ParquetRecordBatchReaderBuilder::try_new(file)
                .map_err(|e| BaliError::Store {
                    path: path.clone(),
                    reason: format!("unreadable checkpoint file: {e}"),
                })?
                .with_batch_size(batch_size);
            let builder = match &indices {
                None => builder,
                Some(ix) => {
                    let mask = ProjectionMask::roots(builder.parquet_schema(), ix.iter().copied());
                    builder.with_projection(mask)
                }
            };
            Ok(builder.build()?)
        })();
        match opened {
            Ok(r) => current = Some(r),
            Err(e) => return Some(Err(e)),
        }
    });
    let schema_for_check = out_schema.clone();
    Ok(BatchStream::new(
        out_schema,
        iter.map(move |b| {
            // Files carry the declared schema (with descriptions); re-attach it so consumers
            // see one schema whatever the file's metadata.
            b.and_then(|b| {
                Ok(RecordBatch::try_new(
                    schema_for_check.clone(),
                    b.columns().to_vec(),
                )?)
            })
        }),
    ))
}
