//! Readers of the raw inputs: PubMed XML, UMLS RRF and OBO ontologies, into Arrow batches.
//!
//! Readers are library code with no knowledge of the engine: the stage kinds of the stages
//! layer (`bali::stages`) wrap them. Every reader has the same shape:
//!
//! ```text
//! read_x(path, options, progress, emit) -> Result<ReadStats>
//! ```
//!
//! It streams one file (plain or gzip, told apart by magic bytes; see [`input`]), pushes
//! batches of at most `batch_size` rows to `emit` tagged with the [`TableType`] of the output
//! they belong to, counts compressed bytes into `progress`, and applies the file's
//! [`ErrorPolicy`] to bad records. An `Err` from `emit` (cancellation, a full disk) stops the
//! reader at once and is returned as is. Peak memory is a few chunks and one batch per output,
//! whatever the file size.

pub mod input;
pub mod obo;
pub mod policy;
pub mod pubmed;
pub mod rrf;
pub mod umls;
pub mod vocab;

use arrow::array::RecordBatch;

use crate::error::Result;
use crate::tables::TableType;

pub use policy::{ErrorPolicy, ReadStats};

/// Where a reader sends its batches: the output's table type and the batch.
pub type Emit<'a> = dyn FnMut(TableType, RecordBatch) -> Result<()> + 'a;

/// Rows per batch unless an option says otherwise: large enough to amortise per-batch costs
/// downstream, small enough that a batch of articles stays around ten megabytes.
pub const DEFAULT_BATCH_SIZE: usize = 4096;

/// Serde default for `batch_size` options.
pub(crate) fn default_batch_size() -> usize {
    DEFAULT_BATCH_SIZE
}

#[cfg(test)]
pub(crate) mod testing {
    //! Collecting a reader's output in tests.

    use std::collections::BTreeMap;

    use arrow::array::RecordBatch;
    use arrow::compute::concat_batches;

    use crate::error::Result;
    use crate::tables::TableType;

    /// Every batch a reader emitted, by output.
    #[derive(Default)]
    pub struct Collected {
        /// Batches per output, in emission order.
        pub batches: BTreeMap<TableType, Vec<RecordBatch>>,
    }

    impl Collected {
        /// An `emit` callback that stores batches here, checking each against its table's
        /// schema and the batch size.
        pub fn sink(
            &mut self,
            batch_size: usize,
        ) -> impl FnMut(TableType, RecordBatch) -> Result<()> + '_ {
            move |table, batch| {
                assert_eq!(
                    batch.schema(),
                    table.schema(),
                    "{table} batch does not match its schema"
                );
                assert!(
                    batch.num_rows() <= batch_size,
                    "{table} batch of {} rows",
                    batch.num_rows()
                );
                assert!(batch.num_rows() > 0, "empty {table} batch");
                self.batches.entry(table).or_default().push(batch);
                Ok(())
            }
        }

        /// All rows of one output as one batch (empty when nothing was emitted).
        pub fn table(&self, table: TableType) -> RecordBatch {
            let batches = self.batches.get(&table).map(Vec::as_slice).unwrap_or(&[]);
            concat_batches(&table.schema(), batches).expect("batches share the schema")
        }

        /// Rows emitted to one output.
        pub fn rows(&self, table: TableType) -> usize {
            self.batches
                .get(&table)
                .map_or(0, |b| b.iter().map(RecordBatch::num_rows).sum())
        }
    }
}
