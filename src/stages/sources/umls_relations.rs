//! The `umls_relations` kind: MRREL, one partition.

use super::*;

/// `umls_relations`: MRREL into relations.
pub struct UmlsRelationsKind;

const UMLS_RELATIONS_OUTPUTS: &[OutputDecl] = &[
    OutputDecl {
        name: "relations",
        table: TableType::Relations,
    },
    OutputDecl {
        name: "rejects",
        table: TableType::Rejects,
    },
];

impl StageKind for UmlsRelationsKind {
    type Options = UmlsRelationsOptions;
    const NAME: &'static str = "umls_relations";
    const SUMMARY: &'static str =
        "UMLS MRREL (plain or gzip) into filtered concept relations, both directions";
    const FORMAT_VERSION: u32 = 1;
    const INPUTS: &'static [InputDecl] = &[];
    const OUTPUTS: &'static [OutputDecl] = UMLS_RELATIONS_OUTPUTS;
    const UNFINGERPRINTED_OPTIONS: &'static [&'static str] = &["meta", "mrrel"];
    const EXAMPLE: &'static str = "meta: sample_data/umls\nrels: [PAR, CHD, RO]";

    fn build(options: UmlsRelationsOptions, ctx: &BuildContext) -> Result<Box<dyn Stage>> {
        let mrrel = ctx.option(
            if options.mrrel.is_some() {
                "mrrel"
            } else {
                "meta"
            },
            options.mrrel_path(&ctx.base_dir),
        )?;
        Ok(Box::new(UmlsRelationsStage { options, mrrel }))
    }
}

struct UmlsRelationsStage {
    options: UmlsRelationsOptions,
    mrrel: PathBuf,
}

impl Stage for UmlsRelationsStage {
    fn source_partitions(&self) -> Result<Option<Vec<SourcePartition>>> {
        Ok(Some(vec![SourcePartition {
            key: UMLS_PARTITION.to_string(),
            files: vec![self.mrrel.clone()],
        }]))
    }

    fn run(&self, ctx: &mut PartitionCtx<'_>) -> Result<()> {
        run_reader(
            ctx,
            UMLS_RELATIONS_OUTPUTS,
            &[&self.mrrel],
            |_, progress, emit| read_mrrel(&self.mrrel, &self.options, progress, emit),
        )
    }
}
