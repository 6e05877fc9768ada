//! Arrow builders of the vocabulary tables (`concepts`, `semantic_types`, `relations`),
//! shared by the UMLS and OBO readers so that both produce the same tables byte for byte.

use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanBuilder, Int64Builder, RecordBatch, StringBuilder};

use crate::error::Result;
use crate::sources::policy::to_i64;
use crate::sources::Emit;
use crate::tables::{concepts, relations, TableType};

/// A builder of one output table.
pub trait TableBuilder {
    /// The table the batches belong to.
    const TABLE: TableType;
    /// Rows pending.
    fn len(&self) -> usize;
    /// True when no row is pending.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The pending rows as one batch; the builder is empty afterwards.
    fn finish(&mut self) -> Result<RecordBatch>;

    /// Emits a batch once `batch_size` rows are pending.
    fn flush_if_full(&mut self, batch_size: usize, emit: &mut Emit<'_>) -> Result<()> {
        if self.len() >= batch_size {
            emit(Self::TABLE, self.finish()?)?;
        }
        Ok(())
    }

    /// Emits the pending rows, if any.
    fn flush(&mut self, emit: &mut Emit<'_>) -> Result<()> {
        if !self.is_empty() {
            emit(Self::TABLE, self.finish()?)?;
        }
        Ok(())
    }
}

/// One `concepts` row.
#[derive(Debug, Clone, Copy)]
pub struct ConceptRow<'a> {
    /// Concept identifier.
    pub cui: &'a str,
    /// The name.
    pub name: &'a str,
    /// Language (LAT).
    pub language: &'a str,
    /// Source vocabulary.
    pub sab: &'a str,
    /// Term type.
    pub tty: &'a str,
    /// Code in the source vocabulary.
    pub code: Option<&'a str>,
    /// Atom identifier.
    pub aui: Option<&'a str>,
    /// The concept's preferred name.
    pub is_preferred: bool,
    /// SUPPRESS flag.
    pub suppress: Option<&'a str>,
    /// OBO synonym scope.
    pub scope: Option<&'a str>,
    /// 1-based line in the source file.
    pub line: u64,
}

/// Builds `concepts` batches of one file.
pub struct ConceptsBuilder {
    source_file: String,
    rows: usize,
    cui: StringBuilder,
    name: StringBuilder,
    language: StringBuilder,
    sab: StringBuilder,
    tty: StringBuilder,
    code: StringBuilder,
    aui: StringBuilder,
    is_preferred: BooleanBuilder,
    suppress: StringBuilder,
    scope: StringBuilder,
    source_files: StringBuilder,
    line: Int64Builder,
}

impl ConceptsBuilder {
    /// Rows read from `source_file`.
    pub fn new(source_file: String) -> Self {
        ConceptsBuilder {
            source_file,
            rows: 0,
            cui: StringBuilder::new(),
            name: StringBuilder::new(),
            language: StringBuilder::new(),
            sab: StringBuilder::new(),
            tty: StringBuilder::new(),
            code: StringBuilder::new(),
            aui: StringBuilder::new(),
            is_preferred: BooleanBuilder::new(),
            suppress: StringBuilder::new(),
            scope: StringBuilder::new(),
            source_files: StringBuilder::new(),
            line: Int64Builder::new(),
        }
    }

    /// Appends one row.
    pub fn push(&mut self, row: &ConceptRow<'_>) {
        self.rows += 1;
        self.cui.append_value(row.cui);
        self.name.append_value(row.name);
        self.language.append_value(row.language);
        self.sab.append_value(row.sab);
        self.tty.append_value(row.tty);
        self.code.append_option(row.code);
        self.aui.append_option(row.aui);
        self.is_preferred.append_value(row.is_preferred);
        self.suppress.append_option(row.suppress);
        self.scope.append_option(row.scope);
        self.source_files.append_value(&self.source_file);
        self.line.append_value(to_i64(row.line));
    }
}

impl TableBuilder for ConceptsBuilder {
    const TABLE: TableType = TableType::Concepts;

    fn len(&self) -> usize {
        self.rows
    }

    fn finish(&mut self) -> Result<RecordBatch> {
        self.rows = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.cui.finish()),
            Arc::new(self.name.finish()),
            Arc::new(self.language.finish()),
            Arc::new(self.sab.finish()),
            Arc::new(self.tty.finish()),
            Arc::new(self.code.finish()),
            Arc::new(self.aui.finish()),
            Arc::new(self.is_preferred.finish()),
            Arc::new(self.suppress.finish()),
            Arc::new(self.scope.finish()),
            Arc::new(self.source_files.finish()),
            Arc::new(self.line.finish()),
        ];
        Ok(RecordBatch::try_new(concepts::schema(), columns)?)
    }
}

/// Builds `semantic_types` batches of one file.
pub struct SemanticTypesBuilder {
    source_file: String,
    rows: usize,
    cui: StringBuilder,
    tui: StringBuilder,
    stn: StringBuilder,
    sty: StringBuilder,
    source_files: StringBuilder,
    line: Int64Builder,
}

impl SemanticTypesBuilder {
    /// Rows read from `source_file`.
    pub fn new(source_file: String) -> Self {
        SemanticTypesBuilder {
            source_file,
            rows: 0,
            cui: StringBuilder::new(),
            tui: StringBuilder::new(),
            stn: StringBuilder::new(),
            sty: StringBuilder::new(),
            source_files: StringBuilder::new(),
            line: Int64Builder::new(),
        }
    }

    /// Appends one row.
    pub fn push(&mut self, cui: &str, tui: &str, stn: Option<&str>, sty: &str, line: u64) {
        self.rows += 1;
        self.cui.append_value(cui);
        self.tui.append_value(tui);
        self.stn.append_option(stn);
        self.sty.append_value(sty);
        self.source_files.append_value(&self.source_file);
        self.line.append_value(to_i64(line));
    }
}

impl TableBuilder for SemanticTypesBuilder {
    const TABLE: TableType = TableType::SemanticTypes;

    fn len(&self) -> usize {
        self.rows
    }

    fn finish(&mut self) -> Result<RecordBatch> {
        self.rows = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.cui.finish()),
            Arc::new(self.tui.finish()),
            Arc::new(self.stn.finish()),
            Arc::new(self.sty.finish()),
            Arc::new(self.source_files.finish()),
            Arc::new(self.line.finish()),
        ];
        Ok(RecordBatch::try_new(
            concepts::semantic_types_schema(),
            columns,
        )?)
    }
}

/// Builds `relations` batches of one file.
pub struct RelationsBuilder {
    source_file: String,
    rows: usize,
    cui1: StringBuilder,
    rel: StringBuilder,
    cui2: StringBuilder,
    rela: StringBuilder,
    sab: StringBuilder,
    source_files: StringBuilder,
    line: Int64Builder,
}

impl RelationsBuilder {
    /// Rows read from `source_file`.
    pub fn new(source_file: String) -> Self {
        RelationsBuilder {
            source_file,
            rows: 0,
            cui1: StringBuilder::new(),
            rel: StringBuilder::new(),
            cui2: StringBuilder::new(),
            rela: StringBuilder::new(),
            sab: StringBuilder::new(),
            source_files: StringBuilder::new(),
            line: Int64Builder::new(),
        }
    }

    /// Appends one row: `rel` (and `rela`) is the relationship of `cui2` to `cui1`.
    pub fn push(
        &mut self,
        cui1: &str,
        rel: &str,
        cui2: &str,
        rela: Option<&str>,
        sab: &str,
        line: u64,
    ) {
        self.rows += 1;
        self.cui1.append_value(cui1);
        self.rel.append_value(rel);
        self.cui2.append_value(cui2);
        self.rela.append_option(rela);
        self.sab.append_value(sab);
        self.source_files.append_value(&self.source_file);
        self.line.append_value(to_i64(line));
    }
}

impl TableBuilder for RelationsBuilder {
    const TABLE: TableType = TableType::Relations;

    fn len(&self) -> usize {
        self.rows
    }

    fn finish(&mut self) -> Result<RecordBatch> {
        self.rows = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.cui1.finish()),
            Arc::new(self.rel.finish()),
            Arc::new(self.cui2.finish()),
            Arc::new(self.rela.finish()),
            Arc::new(self.sab.finish()),
            Arc::new(self.source_files.finish()),
            Arc::new(self.line.finish()),
        ];
        Ok(RecordBatch::try_new(relations::schema(), columns)?)
    }
}
