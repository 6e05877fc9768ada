//! Small hand-made input batches (articles, concepts, semantic types, sentences) for the unit
//! tests of the text stages. Tests on real files read them with the real sources
//! (`crate::testutil::pubmed_articles`, `crate::testutil::obo_concepts`).

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Int32Array, Int64Array, ListBuilder, RecordBatch, StringArray,
    StructBuilder,
};
use arrow::datatypes::DataType;

use crate::tables;

/// An `articles` batch with the given (pmid, title, abstract) rows and empty list columns.
pub(crate) fn articles_batch(rows: &[(i64, Option<&str>, Option<&str>)]) -> RecordBatch {
    let schema = tables::articles::schema();
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| -> ArrayRef {
            let n = rows.len();
            match f.name().as_str() {
                "pmid" => Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))),
                "version" => Arc::new(Int32Array::from(vec![1; n])),
                "title" => Arc::new(StringArray::from_iter(rows.iter().map(|r| r.1))),
                "abstract" => Arc::new(StringArray::from_iter(rows.iter().map(|r| r.2))),
                "kind" => Arc::new(StringArray::from(vec!["article"; n])),
                "source_file" => Arc::new(StringArray::from(vec!["test.xml"; n])),
                "article_index" | "byte_offset" => {
                    Arc::new(Int64Array::from_iter_values(0..n as i64))
                }
                _ => match f.data_type() {
                    DataType::List(item) => {
                        let mut b = match item.data_type() {
                            DataType::Struct(fields) => ListBuilder::new(Box::new(
                                StructBuilder::from_fields(fields.clone(), 0),
                            )
                                as Box<dyn arrow::array::ArrayBuilder>),
                            dt => ListBuilder::new(arrow::array::make_builder(dt, 0)),
                        }
                        .with_field(item.clone());
                        for _ in 0..n {
                            b.append(true);
                        }
                        Arc::new(b.finish())
                    }
                    dt => arrow::array::new_null_array(dt, n),
                },
            }
        })
        .collect();
    RecordBatch::try_new(schema, columns).expect("test batch matches the articles schema")
}

/// A `concepts` batch of `(cui, name)` rows (English, not suppressed).
pub(crate) fn concepts_batch(rows: &[(&str, &str)]) -> RecordBatch {
    concepts_batch_with(rows.iter().map(|&(c, n)| (c, n, "ENG", "N")))
}

/// A `concepts` batch of `(cui, name, language, suppress)` rows.
pub(crate) fn concepts_batch_with<'a>(
    rows: impl Iterator<Item = (&'a str, &'a str, &'a str, &'a str)>,
) -> RecordBatch {
    let rows: Vec<_> = rows.collect();
    let n = rows.len();
    type Row<'r> = (&'r str, &'r str, &'r str, &'r str);
    let strings = |f: &dyn Fn(&Row) -> String| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
    };
    let columns: Vec<ArrayRef> = vec![
        strings(&|r| r.0.to_string()),
        strings(&|r| r.1.to_string()),
        strings(&|r| r.2.to_string()),
        strings(&|_| "TEST".to_string()),
        strings(&|_| "SY".to_string()),
        strings(&|r| r.0.to_string()),
        Arc::new(StringArray::from(vec![None::<&str>; n])),
        Arc::new(BooleanArray::from(vec![false; n])),
        strings(&|r| r.3.to_string()),
        Arc::new(StringArray::from(vec![None::<&str>; n])),
        strings(&|_| "test.obo".to_string()),
        Arc::new(Int64Array::from_iter_values(1..=n as i64)),
    ];
    RecordBatch::try_new(tables::concepts::schema(), columns)
        .expect("test batch matches the concepts schema")
}

/// A `semantic_types` batch of `(cui, tui, sty)` rows.
pub(crate) fn semantic_types_batch(rows: &[(&str, &str, &str)]) -> RecordBatch {
    let n = rows.len();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
        Arc::new(StringArray::from(vec![None::<&str>; n])),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.2))),
        Arc::new(StringArray::from(vec!["MRSTY.RRF"; n])),
        Arc::new(Int64Array::from_iter_values(1..=n as i64)),
    ];
    RecordBatch::try_new(tables::concepts::semantic_types_schema(), columns)
        .expect("matches the schema")
}

/// A `sentences` batch: one sentence per text, article `i` (pmid `i + 1`), section abstract,
/// starting at code point 100 of its section.
pub(crate) fn sentences_batch(texts: &[&str]) -> RecordBatch {
    let n = texts.len();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(1..=n as i64)),
        Arc::new(Int32Array::from(vec![1; n])),
        Arc::new(Int32Array::from(vec![0; n])),
        Arc::new(StringArray::from(vec!["abstract"; n])),
        Arc::new(Int32Array::from(vec![100; n])),
        Arc::new(Int32Array::from_iter_values(
            texts.iter().map(|t| 100 + t.chars().count() as i32),
        )),
        Arc::new(StringArray::from_iter_values(texts.iter().copied())),
        Arc::new(StringArray::from(vec!["test.xml"; n])),
        Arc::new(Int64Array::from_iter_values(0..n as i64)),
    ];
    RecordBatch::try_new(tables::sentences::schema(), columns)
        .expect("matches the sentences schema")
}
