//! The `pubmed` kind: PubMed XML files, one partition per file.

use super::*;

/// `pubmed`: PubmedArticleSet files into articles, deletions and rejects.
pub struct PubmedKind;

const PUBMED_OUTPUTS: &[OutputDecl] = &[
    OutputDecl {
        name: "articles",
        table: TableType::Articles,
    },
    OutputDecl {
        name: "deletions",
        table: TableType::Deletions,
    },
    OutputDecl {
        name: "rejects",
        table: TableType::Rejects,
    },
];

impl StageKind for PubmedKind {
    type Options = PubmedOptions;
    const NAME: &'static str = "pubmed";
    const SUMMARY: &'static str =
        "PubMed XML files (plain or gzip), one partition per file, into articles and deletions";
    const FORMAT_VERSION: u32 = 1;
    const INPUTS: &'static [InputDecl] = &[];
    const OUTPUTS: &'static [OutputDecl] = PUBMED_OUTPUTS;
    const UNFINGERPRINTED_OPTIONS: &'static [&'static str] = &["paths"];
    const EXAMPLE: &'static str = "paths: [\"sample_data/pubmed/*.xml*\"]\non_error: quarantine";

    fn build(options: PubmedOptions, ctx: &BuildContext) -> Result<Box<dyn Stage>> {
        let files = partitions_by_file(
            &ctx.option("paths", expand(&options.paths, ctx))?,
            &ctx.stage,
        )?;
        Ok(Box::new(PubmedStage { options, files }))
    }
}

struct PubmedStage {
    options: PubmedOptions,
    files: BTreeMap<String, PathBuf>,
}

impl Stage for PubmedStage {
    fn source_partitions(&self) -> Result<Option<Vec<SourcePartition>>> {
        Ok(Some(source_partitions(&self.files)))
    }

    fn run(&self, ctx: &mut PartitionCtx<'_>) -> Result<()> {
        let file = file_of(&self.files, ctx)?.clone();
        let options = self.options.read_options();
        run_reader(ctx, PUBMED_OUTPUTS, &[&file], |_, progress, emit| {
            read_pubmed(&file, &options, progress, emit)
        })
    }
}
