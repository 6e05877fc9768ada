//! The `obo` kind: an OBO ontology as concepts, relations and semantic types.

use super::*;

/// `obo`: an OBO ontology into the same concepts, relations and semantic types as UMLS.
pub struct OboKind;

const OBO_OUTPUTS: &[OutputDecl] = &[
    OutputDecl {
        name: "concepts",
        table: TableType::Concepts,
    },
    OutputDecl {
        name: "relations",
        table: TableType::Relations,
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

impl StageKind for OboKind {
    type Options = OboOptions;
    const NAME: &'static str = "obo";
    const SUMMARY: &'static str = "An OBO ontology (HPO, GO, MONDO...) into concepts, relations and semantic types, in place of UMLS";
    const FORMAT_VERSION: u32 = 1;
    const INPUTS: &'static [InputDecl] = &[];
    const OUTPUTS: &'static [OutputDecl] = OBO_OUTPUTS;
    const UNFINGERPRINTED_OPTIONS: &'static [&'static str] = &["path"];
    const EXAMPLE: &'static str = "path: sample_data/ontology/mini.obo\nsab: HPO";

    fn build(options: OboOptions, ctx: &BuildContext) -> Result<Box<dyn Stage>> {
        let path = crate::sources::input::locate(&ctx.base_dir, &options.path);
        let found = crate::sources::input::input_exists(&path).and_then(|exists| match exists {
            true => Ok(()),
            false => Err(BaliError::Spec(format!(
                "no OBO file at {}",
                path.display()
            ))),
        });
        ctx.option("path", found)?;
        Ok(Box::new(OboStage { options, path }))
    }
}

struct OboStage {
    options: OboOptions,
    path: PathBuf,
}

impl Stage for OboStage {
    fn source_partitions(&self) -> Result<Option<Vec<SourcePartition>>> {
        Ok(Some(vec![SourcePartition {
            key: partition_key(&self.path),
            files: vec![self.path.clone()],
        }]))
    }

    fn run(&self, ctx: &mut PartitionCtx<'_>) -> Result<()> {
        run_reader(ctx, OBO_OUTPUTS, &[&self.path], |_, progress, emit| {
            read_obo(&self.path, &self.options, progress, emit)
        })
    }
}
