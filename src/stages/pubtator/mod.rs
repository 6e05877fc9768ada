//! The `pubtator` kind: mentions imported from PubTator files instead of found by the
//! dictionary linker (the BALI reference took its mentions from a pre-annotated PubMed dump).
//!
//! Its output is a `mentions` table like the linker's, partitioned like the sentences, so that
//! `samples` and `subgraphs` consume imported annotations unchanged and agree on the mentioned
//! concepts. Identifiers map to CUIs through the concepts' (SAB, CODE) (see
//! [`format`]); unmapped identifiers and annotations that do not match the sentence
//! text are counted in the log.
//!
//! Every partition reads the PubTator files whole, keeping the documents of its own PMIDs: fine
//! for annotation sets of a corpus's size, but a full PubTator3 dump should be split per PubMed
//! file first (one `paths` glob per pipeline partition is not expressible yet).

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use arrow::array::Int64Array;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tracing::info;

pub mod format;

use crate::engine::{BuildContext, InputDecl, OutputDecl, PartitionCtx, Stage, StageKind, Table};
use crate::error::Result;
use crate::stages::sources::expand;
use crate::store::remote::{self, ObjectUrl};
use crate::tables::columns::column;
use crate::tables::TableType;
pub use format::{
    pubtator_mentions, read_documents, CodeIndex, IdentifierMapper, PubtatorDocument,
    PubtatorReader, PubtatorStats,
};

/// Options of the `pubtator` kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PubtatorOptions {
    /// PubTator files (plain or .gz); globs allowed, relative to the current directory.
    pub paths: Vec<String>,
    /// Identifier prefix (or, for a bare identifier, the annotation type) to the UMLS source
    /// vocabulary (MRCONSO SAB) whose CODE it is; `CUI` means the identifier is a CUI. The
    /// default is the reference's: MeSH, OMIM and NCBI Taxonomy.
    #[serde(default = "default_pubtator_vocabularies")]
    pub vocabularies: BTreeMap<String, String>,
}

/// The mapping the BALI reference used for PubTator-style annotations: MeSH (diseases,
/// chemicals; bare ids such as BC5CDR's D003920 too), OMIM (diseases) and NCBI Taxonomy
/// (species, also as bare numbers). Bare gene ids (NCBI Gene) have no UMLS source and stay
/// unmapped.
pub fn default_pubtator_vocabularies() -> BTreeMap<String, String> {
    [
        ("MESH", "MSH"),
        ("OMIM", "OMIM"),
        ("NCBITaxon", "NCBI"),
        ("Species", "NCBI"),
        ("Disease", "MSH"),
        ("Chemical", "MSH"),
        ("UMLS", "CUI"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// The `pubtator` kind.
pub struct Pubtator;

impl StageKind for Pubtator {
    type Options = PubtatorOptions;
    const NAME: &'static str = "pubtator";
    const SUMMARY: &'static str =
        "concept mentions imported from PubTator files, identifiers mapped to CUIs through MRCONSO (SAB, CODE)";
    const FORMAT_VERSION: u32 = 1;
    const INPUTS: &'static [InputDecl] = &[
        InputDecl::partitioned("sentences", &[TableType::Sentences]),
        InputDecl::whole("concepts", &[TableType::Concepts]),
    ];
    const OUTPUTS: &'static [OutputDecl] = &[OutputDecl {
        name: "mentions",
        table: TableType::Mentions,
    }];
    // The matched files are fingerprinted by content.
    const UNFINGERPRINTED_OPTIONS: &'static [&'static str] = &["paths"];
    const EXAMPLE: &'static str = "paths: [sample_data/annotations/*.pubtator]";

    fn build(options: PubtatorOptions, ctx: &BuildContext) -> Result<Box<dyn Stage>> {
        let files = ctx.option("paths", files_matching(&options.paths, ctx))?;
        Ok(Box::new(PubtatorStage {
            options,
            files,
            index: Mutex::new(None),
        }))
    }
}

/// The files `paths` names ([`expand`]), objects in a bucket copied to the local disk.
fn files_matching(paths: &[String], ctx: &BuildContext) -> Result<Vec<PathBuf>> {
    expand(paths, ctx)?
        .into_iter()
        .map(|path| match ObjectUrl::parse(&path)? {
            Some(url) => remote::local_copy(&url),
            None => Ok(path),
        })
        .collect()
}

/// The runtime `pubtator` stage.
struct PubtatorStage {
    options: PubtatorOptions,
    files: Vec<PathBuf>,
    /// The (SAB, CODE) index, built from the concepts by the first partition and shared.
    index: Mutex<Option<Arc<CodeIndex>>>,
}

impl PubtatorStage {
    fn index(&self, concepts: &Table) -> Result<Arc<CodeIndex>> {
        let mut slot = self.index.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(index) = slot.as_ref() {
            return Ok(index.clone());
        }
        let sabs = IdentifierMapper::sabs(&self.options.vocabularies);
        let batches = concepts
            .scan_columns(&["cui", "sab", "code"])?
            .collect_all()?;
        let index = Arc::new(CodeIndex::from_concepts(&batches, &sabs)?);
        *slot = Some(index.clone());
        Ok(index)
    }
}

impl Stage for PubtatorStage {
    fn fingerprint_files(&self) -> Vec<PathBuf> {
        self.files.clone()
    }

    fn run(&self, ctx: &mut PartitionCtx<'_>) -> Result<()> {
        let sentences = ctx.input(0)?.collect_all()?;
        let mut pmids = HashSet::new();
        for batch in &sentences {
            pmids.extend(
                column::<Int64Array>(batch, "pmid")?
                    .values()
                    .iter()
                    .copied(),
            );
        }
        let docs = read_documents(&self.files, Some(&pmids))?;
        let index = self.index(&ctx.whole(1)?)?;
        let mapper = IdentifierMapper::new(&self.options.vocabularies, &index);
        let (mut mentions, mut misplaced, mut annotations) = (0, 0, 0);
        let mut unmapped: BTreeMap<String, u64> = BTreeMap::new();
        for batch in &sentences {
            let (out, stats) = pubtator_mentions(batch, &docs, &mapper)?;
            mentions += stats.mentions;
            misplaced += stats.misplaced;
            annotations += stats.annotations;
            for (k, v) in stats.unmapped {
                *unmapped.entry(k).or_default() += v;
            }
            ctx.emit(0, out)?;
            ctx.check_cancelled()?;
        }
        info!(
            partition = ctx.key(),
            documents = docs.len(),
            annotations,
            mentions,
            misplaced,
            ?unmapped,
            "imported PubTator mentions"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::AsArray;

    use super::*;
    use crate::stages::testkinds::run_yaml;
    use crate::store::Store;

    #[test]
    fn options_need_paths_and_default_to_the_reference_mapping() {
        let o: PubtatorOptions = serde_saphyr::from_str(Pubtator::EXAMPLE).unwrap();
        assert_eq!(o.vocabularies, default_pubtator_vocabularies());
        assert_eq!(o.vocabularies["MESH"], "MSH");
        let err = serde_json::from_str::<PubtatorOptions>("{}").unwrap_err();
        assert!(err.to_string().contains("missing field `paths`"), "{err}");
        let schema = serde_json::to_value(schemars::schema_for!(PubtatorOptions)).unwrap();
        for (name, p) in schema["properties"].as_object().unwrap() {
            assert!(
                p["description"].as_str().is_some_and(|d| d.len() > 20),
                "{name}"
            );
        }
    }

    /// The first article of the sample data's PubTator file, as sentences, through the engine:
    /// its MeSH and NCBI Taxonomy identifiers map through MRCONSO codes, and `samples` takes
    /// the imported mentions like the linker's.
    #[test]
    fn imports_the_sample_data_annotations_through_the_engine() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let doc = read_documents(
            &[root.join("sample_data/annotations/sample.pubtator")],
            None,
        )
        .unwrap()
        .remove(&80000002)
        .unwrap();
        let sentence = |index: i32, section: &str, text: &str| {
            format!(
                r#"{{"pmid":80000002,"version":1,"sentence_index":{index},"section":"{section}","start":0,"end":{},"text":"{text}","source_file":"pubmed26n0001.xml","article_index":1}}"#,
                text.chars().count()
            )
        };
        // The abstract as one sentence keeps PubTator's offsets checkable by hand.
        let sentences = [
            sentence(0, "title", &doc.title),
            sentence(1, "abstract", &doc.abstract_text),
        ]
        .join(" ")
        .replace('\'', "''");
        let concept = |cui: &str, sab: &str, code: &str| {
            format!(
                r#"{{"cui":"{cui}","name":"n","language":"ENG","sab":"{sab}","tty":"PT","code":"{code}","aui":null,"is_preferred":true,"suppress":null,"scope":null,"source_file":"MRCONSO.RRF","line":1}}"#
            )
        };
        let concepts = [
            concept("C0036983", "MSH", "D012772"),
            concept("C0020538", "MSH", "D006973"),
            concept("C0086418", "NCBI", "9606"),
        ]
        .join(" ");
        let yaml = format!(
            "pipeline: t\nstages:\n  \
             sentences: {{ kind: sentences_rows, options: {{ partitions: {{ pubmed26n0001: '{sentences}' }} }} }}\n  \
             concepts: {{ kind: concepts_rows, options: {{ partitions: {{ all: '{concepts}' }} }} }}\n  \
             mentions: {{ kind: pubtator, inputs: [sentences, concepts], options: {{ paths: ['sample_data/annotations/*.pubtator'] }} }}\n  \
             samples: {{ kind: samples, inputs: [sentences, mentions], options: {{ tokenizer: sample_data/models/tiny-bert }} }}\n"
        );
        run_yaml(&yaml, dir.path()).unwrap();
        let store = Store::open(dir.path()).unwrap();
        let batches = Table::open(&store, "mentions", None)
            .unwrap()
            .scan()
            .unwrap()
            .collect_all()
            .unwrap();
        let batch = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
        let surface = batch.column_by_name("surface").unwrap().as_string::<i32>();
        let cui = batch.column_by_name("cui").unwrap().as_string::<i32>();
        let rows: Vec<(&str, &str)> = (0..batch.num_rows())
            .map(|i| (surface.value(i), cui.value(i)))
            .collect();
        // 2 septic shock + 4 hypertension(-sive: D006973) + 3 patients; the rest is unmapped.
        assert_eq!(rows.iter().filter(|r| r.1 == "C0036983").count(), 3);
        assert_eq!(rows.iter().filter(|r| r.1 == "C0086418").count(), 3);
        assert_eq!(rows.iter().filter(|r| r.1 == "C0020538").count(), 4);
        assert!(rows.iter().all(|(s, _)| [
            "septic shock",
            "hypertension",
            "hypertensive",
            "patients"
        ]
        .contains(s)));

        let samples = Table::open(&store, "samples", None).unwrap();
        assert_eq!(samples.num_rows(), 2);
    }
}
