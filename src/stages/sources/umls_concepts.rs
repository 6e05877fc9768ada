//! The `umls_concepts` kind: MRCONSO and MRSTY, one partition.

use super::*;

/// `umls_concepts`: MRCONSO and MRSTY into concepts and semantic types.
pub struct UmlsConceptsKind;

const UMLS_CONCEPTS_OUTPUTS: &[OutputDecl] = &[
    OutputDecl {
        name: "concepts",
        table: TableType::Concepts,
    },
    OutputDecl {
        name: "semantic_types",
        table: TableType::SemanticTypes,
    },
    OutputDecl {
        name: "rejects",
        table: TableType::Rejects,
    },
];

impl StageKind for UmlsConceptsKind {
    type Options = UmlsConceptsOptions;
    const NAME: &'static str = "umls_concepts";
    const SUMMARY: &'static str = "UMLS MRCONSO and MRSTY (plain or gzip) into filtered, deduplicated concept names and semantic types";
    const FORMAT_VERSION: u32 = 1;
    const INPUTS: &'static [InputDecl] = &[];
    const OUTPUTS: &'static [OutputDecl] = UMLS_CONCEPTS_OUTPUTS;
    const UNFINGERPRINTED_OPTIONS: &'static [&'static str] = &["meta", "mrconso", "mrsty"];
    const EXAMPLE: &'static str = "meta: sample_data/umls\nlanguages: [ENG]";

    fn build(options: UmlsConceptsOptions, ctx: &BuildContext) -> Result<Box<dyn Stage>> {
        let mrconso = ctx.option(
            if options.mrconso.is_some() {
                "mrconso"
            } else {
                "meta"
            },
            options.mrconso_path(&ctx.base_dir),
        )?;
        let mrsty = ctx.option(
            if options.mrsty.is_some() {
                "mrsty"
            } else {
                "meta"
            },
            options.mrsty_path(&ctx.base_dir),
        )?;
        Ok(Box::new(UmlsConceptsStage {
            options,
            mrconso,
            mrsty,
        }))
    }
}

struct UmlsConceptsStage {
    options: UmlsConceptsOptions,
    mrconso: PathBuf,
    mrsty: PathBuf,
}

impl Stage for UmlsConceptsStage {
    fn source_partitions(&self) -> Result<Option<Vec<SourcePartition>>> {
        Ok(Some(vec![SourcePartition {
            key: UMLS_PARTITION.to_string(),
            files: vec![self.mrconso.clone(), self.mrsty.clone()],
        }]))
    }

    fn run(&self, ctx: &mut PartitionCtx<'_>) -> Result<()> {
        let options = &self.options;
        run_reader(
            ctx,
            UMLS_CONCEPTS_OUTPUTS,
            &[&self.mrconso, &self.mrsty],
            |file, progress, emit| match file {
                0 => read_mrconso(&self.mrconso, options, progress, emit),
                _ => read_mrsty(
                    &self.mrsty,
                    options.on_error,
                    options.batch_size,
                    progress,
                    emit,
                ),
            },
        )
    }
}
