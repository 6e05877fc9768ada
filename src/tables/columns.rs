//! Typed access to the columns of input batches, and list-array construction that matches the
//! declared schemas of `src/tables/`.
//!
//! The spec checks that a stage's inputs have the table type it accepts, so a missing or
//! mistyped column here means bali wrote or validated something wrong: the error is
//! [`BaliError::Internal`] and names the column.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, ListArray, RecordBatch};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, FieldRef, SchemaRef};

use crate::error::{BaliError, Result};

/// The column `name` of `batch` as the concrete array type `A`.
pub fn column<'a, A: Array + 'static>(batch: &'a RecordBatch, name: &str) -> Result<&'a A> {
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

/// The item field of the list column `name` in `schema`, with its metadata, so that a list
/// array built from it equals the declared type exactly.
pub(crate) fn list_item(schema: &SchemaRef, name: &str) -> Result<FieldRef> {
    let field = schema
        .field_with_name(name)
        .map_err(|e| BaliError::Internal(format!("schema lookup of `{name}`: {e}")))?;
    match field.data_type() {
        DataType::List(item) => Ok(item.clone()),
        other => Err(BaliError::Internal(format!(
            "column `{name}` is declared as {other}, not a list"
        ))),
    }
}

/// A list array of `values` split by `lengths`, typed as the list column `name` of `schema`.
pub(crate) fn list_array(
    schema: &SchemaRef,
    name: &str,
    lengths: impl IntoIterator<Item = usize>,
    values: ArrayRef,
) -> Result<ArrayRef> {
    let item = list_item(schema, name)?;
    let offsets = OffsetBuffer::<i32>::from_lengths(lengths);
    Ok(Arc::new(ListArray::try_new(item, offsets, values, None)?))
}
