//! Typed access to the columns of input batches.
//!
//! The spec checks that a stage's inputs have the table type it accepts, so a missing or
//! mistyped column here means bali wrote or validated something wrong: the error is
//! [`BaliError::Internal`] and names the column.

use arrow::array::{Array, RecordBatch};

use crate::error::{BaliError, Result};

/// The column `name` of `batch` as the concrete array type `A`.
pub(crate) fn column<'a, A: Array + 'static>(batch: &'a RecordBatch, name: &str) -> Result<&'a A> {
    let array = batch
        .column_by_name(name)
        .ok_or_else(|| BaliError::Internal(format!("input batch has no column `{name}`")))?;
    array.as_any().downcast_ref::<A>().ok_or_else(|| {
        BaliError::Internal(format!(
            "input column `{name}` has type {}, not the one its table declares",
            array.data_type()
        ))
    })
}
