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
    // Parquet's projection yields the columns in file order; `order[k]` is the position of
    // the k-th requested column among them.
    let order: Option<Vec<usize>> = indices.as_ref().map(|ix| {
        let mut sorted = ix.clone();
        sorted.sort_unstable();
        sorted.dedup();
        ix.iter()
            .map(|i| sorted.partition_point(|s| s < i))
            .collect()
    });
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
                let columns = match &order {
                    None => b.columns().to_vec(),
                    Some(order) => order.iter().map(|&k| b.column(k).clone()).collect(),
                };
                Ok(RecordBatch::try_new(schema_for_check.clone(), columns)?)
            })
        }),
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{AsArray, Int32Array, StringArray};
    use arrow::datatypes::{DataType, Field, Int32Type, Schema};
    use parquet::arrow::ArrowWriter;

    use super::*;

    /// Columns come back in the order asked for, not the file's (Parquet's projection keeps
    /// file order), and a column asked for twice comes twice.
    #[test]
    fn projected_columns_come_in_the_requested_order() -> Result<()> {
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int32, false),
            Field::new("b", DataType::Utf8, false),
            Field::new("c", DataType::Int32, false),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int32Array::from(vec![1, 2])),
                Arc::new(StringArray::from(vec!["x", "y"])),
                Arc::new(Int32Array::from(vec![7, 8])),
            ],
        )?;
        let dir = tempfile::tempdir().at(std::path::Path::new("tempdir"))?;
        let path = dir.path().join("t.parquet");
        let mut writer =
            ArrowWriter::try_new(File::create(&path).at(&path)?, schema.clone(), None)?;
        writer.write(&batch)?;
        writer.close()?;
        let read =
            read_parquet_files(schema, vec![path], Some(&["c", "b", "c"]), 1024)?.collect_all()?;
        let b = &read[0];
        assert_eq!(b.schema().field(0).name(), "c");
        assert_eq!(b.column(0).as_primitive::<Int32Type>().values(), &[7, 8]);
        assert_eq!(b.column(1).as_string::<i32>().value(1), "y");
        assert_eq!(b.column(2).as_primitive::<Int32Type>().values(), &[7, 8]);
        Ok(())
    }
}
