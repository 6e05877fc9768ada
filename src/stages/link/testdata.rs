//! Minimal readers of the real files in `../shared`, for tests only.
//!
//! The `pubmed` and `obo` source kinds live in another area and were not merged when these
//! tests were written; these readers extract only what the linking tests need (PMID, title,
//! abstract sections joined with "\n"; term ids with their `name:` and `synonym:` lines) and
//! should give way to the real readers once they land.

use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Int32Array, Int64Array, ListBuilder, RecordBatch, StringArray,
    StructBuilder,
};
use arrow::datatypes::DataType;
use quick_xml::events::Event;

use crate::tables;

/// One citation: what the sentence splitter and linker read from `articles`.
pub(crate) struct TestArticle {
    pub pmid: i64,
    pub title: String,
    pub abstract_: Option<String>,
}

/// Reads up to `limit` PubmedArticle records of a baseline file (`.xml` or `.xml.gz`). Section
/// texts have inline markup dropped (its text kept), entities resolved and whitespace runs
/// collapsed; OtherAbstract (translations) is not part of the abstract.
pub(crate) fn read_pubmed(path: &Path, limit: usize) -> Vec<TestArticle> {
    let file = std::fs::File::open(path).expect("open the PubMed test file");
    let input: Box<dyn std::io::Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(input));
    let mut in_other_abstract = false;
    let mut buf = Vec::new();
    let mut articles = Vec::new();
    let mut pmid: Option<i64> = None;
    let mut title = String::new();
    let mut sections: Vec<String> = Vec::new();
    let mut in_pmid = false;
    // Depth inside ArticleTitle or AbstractText (inline markup nests inside them).
    let mut capture: Option<&'static str> = None;
    let mut text = String::new();
    loop {
        match reader
            .read_event_into(&mut buf)
            .expect("well-formed PubMed XML")
        {
            Event::Start(e) => match e.name().as_ref() {
                "PMID" if pmid.is_none() => in_pmid = true,
                "ArticleTitle" => {
                    capture = Some("title");
                    text.clear();
                }
                "AbstractText" if !in_other_abstract => {
                    capture = Some("abstract");
                    text.clear();
                }
                "OtherAbstract" => in_other_abstract = true,
                _ => {}
            },
            Event::Text(t) if in_pmid => pmid = t.xml10_content().trim().parse().ok(),
            Event::Text(t) if capture.is_some() => text.push_str(&t.xml10_content()),
            Event::CData(t) if capture.is_some() => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if capture.is_some() => {
                match r.resolve_char_ref().ok().flatten() {
                    Some(c) => text.push(c),
                    None => text.push_str(
                        quick_xml::escape::resolve_predefined_entity(&r.xml10_content())
                            .unwrap_or(""),
                    ),
                }
            }
            Event::End(e) => match e.name().as_ref() {
                "PMID" => in_pmid = false,
                "ArticleTitle" => {
                    title = text.split_whitespace().collect::<Vec<_>>().join(" ");
                    capture = None;
                }
                "AbstractText" if capture.is_some() => {
                    sections.push(text.split_whitespace().collect::<Vec<_>>().join(" "));
                    capture = None;
                }
                "OtherAbstract" => in_other_abstract = false,
                "PubmedArticle" => {
                    articles.push(TestArticle {
                        pmid: pmid.take().expect("every PubmedArticle has a PMID"),
                        title: std::mem::take(&mut title),
                        abstract_: (!sections.is_empty()).then(|| sections.join("\n")),
                    });
                    sections.clear();
                    if articles.len() == limit {
                        break;
                    }
                }
                "PubmedBookArticle" | "DeleteCitation" => {
                    pmid = None;
                    title.clear();
                    sections.clear();
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    articles
}

/// One HPO name or synonym: `(term id, text)`.
pub(crate) fn read_hpo_names(path: &Path) -> Vec<(String, String)> {
    let file = std::io::BufReader::new(std::fs::File::open(path).expect("open hp.obo"));
    let mut names = Vec::new();
    let mut id: Option<String> = None;
    let mut in_term = false;
    for line in file.lines() {
        let line = line.expect("hp.obo is UTF-8");
        if line.starts_with('[') {
            in_term = line == "[Term]";
            id = None;
        } else if !in_term {
            continue;
        } else if let Some(rest) = line.strip_prefix("id: ") {
            id = Some(rest.trim().to_string());
        } else if let Some(rest) = line.strip_prefix("name: ") {
            names.push((id.clone().expect("id before name"), rest.trim().to_string()));
        } else if let Some(rest) = line.strip_prefix("synonym: \"") {
            if let Some(end) = rest.find("\" ") {
                names.push((
                    id.clone().expect("id before synonym"),
                    rest[..end].replace("\\\"", "\""),
                ));
            }
        }
    }
    names
}

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

/// The English, unsuppressed-or-not atoms of an MRCONSO.RRF file as a `concepts` batch
/// (cui, name, language, suppress); the other columns get placeholders.
pub(crate) fn read_mrconso(path: &Path) -> RecordBatch {
    let text = std::fs::read_to_string(path).expect("read MRCONSO.RRF");
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('|').collect()).collect();
    concepts_batch_with(rows.iter().map(|f| (f[0], f[14], f[1], f[16])))
}
