//! Arrow builders for `articles` and `deletions`: records go straight into column builders,
//! and the nested columns (lists of structs) are assembled from offsets and child arrays, so
//! no intermediate row objects exist.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Int32Builder, Int64Builder, ListArray, ListBuilder,
    RecordBatch, StringBuilder, StructArray,
};
use arrow::buffer::{OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, FieldRef, SchemaRef};

use crate::error::{BaliError, Result};
use crate::sources::policy::to_i64;
use crate::tables::articles;

use super::record::Record;

/// The item field of list column `name`: list arrays must carry the schema's exact field
/// (name, nullability and description), or the batch will not match its schema.
fn list_item(schema: &SchemaRef, name: &str) -> Result<FieldRef> {
    match schema.field_with_name(name)?.data_type() {
        DataType::List(item) => Ok(item.clone()),
        other => Err(BaliError::Internal(format!(
            "column {name} of articles is {other}, not a list"
        ))),
    }
}

/// A list-of-struct column: one offset per row, children filled by the caller.
struct StructList {
    item: FieldRef,
    offsets: Vec<i32>,
}

impl StructList {
    fn new(schema: &SchemaRef, name: &str) -> Result<Self> {
        Ok(StructList {
            item: list_item(schema, name)?,
            offsets: vec![0],
        })
    }

    /// Closes the current row after `items` more children.
    fn end_row(&mut self, items: usize) {
        let last = self.offsets.last().copied().unwrap_or(0);
        self.offsets
            .push(last + i32::try_from(items).unwrap_or(i32::MAX));
    }

    fn finish(&mut self, children: Vec<ArrayRef>) -> Result<ArrayRef> {
        let DataType::Struct(fields) = self.item.data_type() else {
            return Err(BaliError::Internal(format!(
                "list item {} is not a struct",
                self.item.name()
            )));
        };
        let values = StructArray::try_new(fields.clone(), children, None)?;
        let offsets = std::mem::replace(&mut self.offsets, vec![0]);
        let list = ListArray::try_new(
            self.item.clone(),
            OffsetBuffer::new(ScalarBuffer::from(offsets)),
            Arc::new(values),
            None,
        )?;
        Ok(Arc::new(list))
    }
}

fn string_list(schema: &SchemaRef, name: &str) -> Result<ListBuilder<StringBuilder>> {
    Ok(ListBuilder::new(StringBuilder::new()).with_field(list_item(schema, name)?))
}

/// Builds `articles` batches.
pub struct ArticlesBuilder {
    schema: SchemaRef,
    source_file: String,
    rows: usize,
    pmid: Int64Builder,
    version: Int32Builder,
    kind: StringBuilder,
    title: StringBuilder,
    abstract_text: StringBuilder,
    sections: StructList,
    section_label: StringBuilder,
    section_category: StringBuilder,
    section_text: StringBuilder,
    others: StructList,
    other_type: StringBuilder,
    other_language: StringBuilder,
    other_text: StringBuilder,
    languages: ListBuilder<StringBuilder>,
    journal: StringBuilder,
    journal_iso: StringBuilder,
    pub_year: Int32Builder,
    mesh: StructList,
    mesh_ui: StringBuilder,
    mesh_name: StringBuilder,
    mesh_major: BooleanBuilder,
    chemicals: StructList,
    chemical_ui: StringBuilder,
    chemical_name: StringBuilder,
    chemical_registry: StringBuilder,
    keywords: ListBuilder<StringBuilder>,
    publication_types: ListBuilder<StringBuilder>,
    doi: StringBuilder,
    date_revised: Date32Builder,
    byte_offset: Int64Builder,
    source_files: StringBuilder,
    article_index: Int64Builder,
}

impl ArticlesBuilder {
    /// Rows of `source_file` (the file name, without directory).
    pub fn new(source_file: String) -> Result<Self> {
        let schema = articles::schema();
        Ok(ArticlesBuilder {
            source_file,
            rows: 0,
            pmid: Int64Builder::new(),
            version: Int32Builder::new(),
            kind: StringBuilder::new(),
            title: StringBuilder::new(),
            abstract_text: StringBuilder::new(),
            sections: StructList::new(&schema, "abstract_sections")?,
            section_label: StringBuilder::new(),
            section_category: StringBuilder::new(),
            section_text: StringBuilder::new(),
            others: StructList::new(&schema, "other_abstracts")?,
            other_type: StringBuilder::new(),
            other_language: StringBuilder::new(),
            other_text: StringBuilder::new(),
            languages: string_list(&schema, "languages")?,
            journal: StringBuilder::new(),
            journal_iso: StringBuilder::new(),
            pub_year: Int32Builder::new(),
            mesh: StructList::new(&schema, "mesh")?,
            mesh_ui: StringBuilder::new(),
            mesh_name: StringBuilder::new(),
            mesh_major: BooleanBuilder::new(),
            chemicals: StructList::new(&schema, "chemicals")?,
            chemical_ui: StringBuilder::new(),
            chemical_name: StringBuilder::new(),
            chemical_registry: StringBuilder::new(),
            keywords: string_list(&schema, "keywords")?,
            publication_types: string_list(&schema, "publication_types")?,
            doi: StringBuilder::new(),
            date_revised: Date32Builder::new(),
            byte_offset: Int64Builder::new(),
            source_files: StringBuilder::new(),
            article_index: Int64Builder::new(),
            schema,
        })
    }

    /// Rows appended since the last [`finish`](Self::finish).
    pub fn len(&self) -> usize {
        self.rows
    }

    /// True when no row is pending.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Appends a complete, valid record whose PMID is `pmid`.
    pub fn append(&mut self, record: &Record, pmid: i64) {
        use std::fmt::Write;
        self.rows += 1;
        self.pmid.append_value(pmid);
        self.version.append_value(record.version);
        self.kind
            .append_value(record.kind.map_or("article", |k| k.as_str()));
        self.title.append_option(
            record
                .opt_text(record.title)
                .or(record.opt_text(record.book_title)),
        );

        if record.sections.is_empty() {
            self.abstract_text.append_null();
        } else {
            for (i, section) in record.sections.iter().enumerate() {
                if i > 0 {
                    let _ = self.abstract_text.write_char('\n');
                }
                let _ = self.abstract_text.write_str(record.text(section.text));
            }
            self.abstract_text.append_value("");
        }
        for section in &record.sections {
            self.section_label
                .append_option(record.opt_text(section.label));
            self.section_category
                .append_option(record.opt_text(section.category));
            self.section_text.append_value(record.text(section.text));
        }
        self.sections.end_row(record.sections.len());

        for other in &record.other_abstracts {
            self.other_type.append_option(record.opt_text(other.kind));
            self.other_language
                .append_option(record.opt_text(other.language));
            self.other_text.append_value(record.text(other.text));
        }
        self.others.end_row(record.other_abstracts.len());

        for language in &record.languages {
            self.languages.values().append_value(record.text(*language));
        }
        self.languages.append(true);
        self.journal.append_option(record.opt_text(record.journal));
        self.journal_iso
            .append_option(record.opt_text(record.journal_iso));
        self.pub_year.append_option(record.year());

        for mesh in &record.mesh {
            self.mesh_ui.append_value(record.text(mesh.ui));
            self.mesh_name.append_value(record.text(mesh.name));
            self.mesh_major.append_value(mesh.major);
        }
        self.mesh.end_row(record.mesh.len());
        for chemical in &record.chemicals {
            self.chemical_ui.append_option(record.opt_text(chemical.ui));
            self.chemical_name.append_value(record.text(chemical.name));
            self.chemical_registry
                .append_option(record.opt_text(chemical.registry));
        }
        self.chemicals.end_row(record.chemicals.len());

        for keyword in &record.keywords {
            self.keywords.values().append_value(record.text(*keyword));
        }
        self.keywords.append(true);
        for publication_type in &record.publication_types {
            self.publication_types
                .values()
                .append_value(record.text(*publication_type));
        }
        self.publication_types.append(true);
        self.doi.append_option(
            record
                .opt_text(record.doi)
                .or(record.opt_text(record.elocation_doi)),
        );
        self.date_revised.append_option(record.date_revised_days());
        self.byte_offset.append_value(to_i64(record.offset));
        self.source_files.append_value(&self.source_file);
        self.article_index.append_value(to_i64(record.index));
    }

    /// The rows appended so far as one batch of the `articles` schema; the builder is empty
    /// afterwards.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        self.rows = 0;
        let sections = self.sections.finish(vec![
            Arc::new(self.section_label.finish()),
            Arc::new(self.section_category.finish()),
            Arc::new(self.section_text.finish()),
        ])?;
        let others = self.others.finish(vec![
            Arc::new(self.other_type.finish()),
            Arc::new(self.other_language.finish()),
            Arc::new(self.other_text.finish()),
        ])?;
        let mesh = self.mesh.finish(vec![
            Arc::new(self.mesh_ui.finish()),
            Arc::new(self.mesh_name.finish()),
            Arc::new(self.mesh_major.finish()),
        ])?;
        let chemicals = self.chemicals.finish(vec![
            Arc::new(self.chemical_ui.finish()),
            Arc::new(self.chemical_name.finish()),
            Arc::new(self.chemical_registry.finish()),
        ])?;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.pmid.finish()),
            Arc::new(self.version.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.title.finish()),
            Arc::new(self.abstract_text.finish()),
            sections,
            others,
            Arc::new(self.languages.finish()),
            Arc::new(self.journal.finish()),
            Arc::new(self.journal_iso.finish()),
            Arc::new(self.pub_year.finish()),
            mesh,
            chemicals,
            Arc::new(self.keywords.finish()),
            Arc::new(self.publication_types.finish()),
            Arc::new(self.doi.finish()),
            Arc::new(self.date_revised.finish()),
            Arc::new(self.byte_offset.finish()),
            Arc::new(self.source_files.finish()),
            Arc::new(self.article_index.finish()),
        ];
        Ok(RecordBatch::try_new(self.schema.clone(), columns)?)
    }
}

/// Builds `deletions` batches.
pub struct DeletionsBuilder {
    source_file: String,
    pmid: Int64Builder,
    source_files: StringBuilder,
    byte_offset: Int64Builder,
    rows: usize,
}

impl DeletionsBuilder {
    /// Rows of `source_file`.
    pub fn new(source_file: String) -> Self {
        DeletionsBuilder {
            source_file,
            pmid: Int64Builder::new(),
            source_files: StringBuilder::new(),
            byte_offset: Int64Builder::new(),
            rows: 0,
        }
    }

    /// Rows appended since the last [`finish`](Self::finish).
    pub fn len(&self) -> usize {
        self.rows
    }

    /// True when no row is pending.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Appends a deleted PMID found at `offset`.
    pub fn append(&mut self, pmid: i64, offset: u64) {
        self.rows += 1;
        self.pmid.append_value(pmid);
        self.source_files.append_value(&self.source_file);
        self.byte_offset.append_value(to_i64(offset));
    }

    /// The rows so far as one `deletions` batch.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        self.rows = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.pmid.finish()),
            Arc::new(self.source_files.finish()),
            Arc::new(self.byte_offset.finish()),
        ];
        Ok(RecordBatch::try_new(articles::deletions_schema(), columns)?)
    }
}
