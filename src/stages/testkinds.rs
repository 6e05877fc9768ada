//! Test-only source kinds that emit rows given inline as JSON lines, one kind per table type,
//! so that a stage kind can be run end to end through the engine before the real source kinds
//! of its inputs exist in the same build, and with inputs small enough to check by hand.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::marker::PhantomData;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::engine::{
    BuildContext, InputDecl, OutputDecl, PartitionCtx, Registry, RunReport, SourcePartition, Stage,
    StageKind,
};
use crate::error::{BaliError, Result};
use crate::tables::TableType;

/// The table a fixture kind emits.
pub(crate) trait FixtureTable: Send + Sync + 'static {
    /// The kind's name.
    const NAME: &'static str;
    /// Its output.
    const TABLE: TableType;
}

/// Options of a fixture kind.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FixtureOptions {
    /// Partition key -> rows as JSON lines (one JSON object per line, columns by name).
    partitions: BTreeMap<String, String>,
}

/// A source kind emitting [`FixtureOptions::partitions`] as a `T::TABLE` table.
pub(crate) struct Fixture<T>(PhantomData<T>);

impl<T: FixtureTable> StageKind for Fixture<T> {
    type Options = FixtureOptions;
    const NAME: &'static str = T::NAME;
    const SUMMARY: &'static str = "test source: rows given inline as JSON lines";
    const FORMAT_VERSION: u32 = 1;
    const INPUTS: &'static [InputDecl] = &[];
    const OUTPUTS: &'static [OutputDecl] = &[OutputDecl {
        name: "rows",
        table: T::TABLE,
    }];
    const EXAMPLE: &'static str = "partitions: { p1: '{}' }";
    fn build(options: FixtureOptions, _: &BuildContext) -> Result<Box<dyn Stage>> {
        Ok(Box::new(FixtureStage {
            options,
            table: T::TABLE,
        }))
    }
}

struct FixtureStage {
    options: FixtureOptions,
    table: TableType,
}

impl Stage for FixtureStage {
    fn source_partitions(&self) -> Result<Option<Vec<SourcePartition>>> {
        Ok(Some(
            self.options
                .partitions
                .keys()
                .map(|key| SourcePartition {
                    key: key.clone(),
                    files: Vec::new(),
                })
                .collect(),
        ))
    }

    fn run(&self, ctx: &mut PartitionCtx<'_>) -> Result<()> {
        let rows = self.options.partitions.get(ctx.key()).ok_or_else(|| {
            BaliError::Internal(format!("fixture has no partition `{}`", ctx.key()))
        })?;
        let reader = arrow::json::ReaderBuilder::new(self.table.schema())
            .build(Cursor::new(rows.as_bytes()))?;
        for batch in reader {
            ctx.emit(0, batch?)?;
        }
        Ok(())
    }
}

macro_rules! fixture_table {
    ($marker:ident, $name:literal, $table:expr) => {
        pub(crate) struct $marker;
        impl FixtureTable for $marker {
            const NAME: &'static str = $name;
            const TABLE: TableType = $table;
        }
    };
}

fixture_table!(SentencesRows, "sentences_rows", TableType::Sentences);
fixture_table!(MentionsRows, "mentions_rows", TableType::Mentions);
fixture_table!(RelationsRows, "relations_rows", TableType::Relations);
fixture_table!(ConceptsRows, "concepts_rows", TableType::Concepts);

/// The built-in kinds plus the fixture kinds.
pub(crate) fn registry() -> Registry {
    let mut r = crate::stages::registry();
    r.register::<Fixture<SentencesRows>>()
        .register::<Fixture<MentionsRows>>()
        .register::<Fixture<RelationsRows>>()
        .register::<Fixture<ConceptsRows>>();
    r
}

/// Runs a pipeline given as YAML with [`registry`] in `workdir`; relative paths resolve
/// against the repository root.
pub(crate) fn run_yaml(yaml: &str, workdir: &Path) -> Result<RunReport> {
    crate::testutil::run_yaml_with(yaml, workdir, &registry())
}
