//! The `names` kind: every concept name tokenised as `[CLS] name [SEP]`, the node features of
//! BALI's graph side (each node is encoded from one of its names by the same LM).
//!
//! Its own kind rather than a second output of `samples`: samples are partitioned per PubMed
//! file, names belong to the whole vocabulary, and one partition of names per PubMed file would
//! repeat them all. Input: the whole `concepts` table; output: one partition, `all`.

use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{Int32Array, RecordBatch, StringArray};
use rayon::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tracing::info;

use super::tokenizer::{load_tokenizer, Tokenizer};
use crate::engine::{BuildContext, InputDecl, OutputDecl, PartitionCtx, Stage, StageKind, Unit};
use crate::error::{BaliError, Result};
use crate::tables::columns::{column, list_array};
use crate::tables::{samples, TableType};

/// Options of the `names` kind. Defaults are the BALI reference choices (see BALI.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NamesOptions {
    /// The model whose tokenizer to use (as for `samples`): a Hugging Face model directory, or
    /// its tokenizer.json or vocab.txt.
    pub tokenizer: PathBuf,
    /// Longest tokenised name, `[CLS]` and `[SEP]` included (BALI: 32); longer names are cut.
    #[serde(default = "default_name_max_length")]
    pub name_max_length: usize,
    /// Languages (MRCONSO LAT) of the names kept (BALI: English only); empty keeps all.
    #[serde(default = "default_languages")]
    pub languages: Vec<String>,
}

fn default_name_max_length() -> usize {
    32
}
fn default_languages() -> Vec<String> {
    vec!["ENG".to_string()]
}

impl NamesOptions {
    /// Options with the reference defaults and the given tokenizer.
    pub fn new(tokenizer: impl Into<PathBuf>) -> Self {
        NamesOptions {
            tokenizer: tokenizer.into(),
            name_max_length: default_name_max_length(),
            languages: default_languages(),
        }
    }

    /// Checks the values serde cannot.
    pub fn validate(&self) -> Result<()> {
        if self.name_max_length < 3 {
            return Err(BaliError::Spec(format!(
                "names options: name_max_length must be at least 3, got {}",
                self.name_max_length
            )));
        }
        Ok(())
    }
}

/// The `names` kind.
pub struct Names;

impl StageKind for Names {
    type Options = NamesOptions;
    const NAME: &'static str = "names";
    const SUMMARY: &'static str =
        "every concept name tokenised as [CLS] name [SEP] (the graph nodes' text)";
    const FORMAT_VERSION: u32 = 1;
    const INPUTS: &'static [InputDecl] = &[InputDecl::whole("concepts", &[TableType::Concepts])];
    const OUTPUTS: &'static [OutputDecl] = &[OutputDecl {
        name: "names",
        table: TableType::Names,
    }];
    // The tokenizer's files are fingerprinted by content instead of by path.
    const UNFINGERPRINTED_OPTIONS: &'static [&'static str] = &["tokenizer"];
    const EXAMPLE: &'static str =
        "tokenizer: sample_data/models/tiny-bert\nname_max_length: 32\nlanguages: [ENG]";

    fn build(options: NamesOptions, ctx: &BuildContext) -> Result<Box<dyn Stage>> {
        options.validate()?;
        let tokenizer = ctx.option(
            "tokenizer",
            ctx.local(&options.tokenizer).and_then(load_tokenizer),
        )?;
        Ok(Box::new(NamesStage { options, tokenizer }))
    }
}

/// The runtime `names` stage.
struct NamesStage {
    options: NamesOptions,
    tokenizer: Tokenizer,
}

impl Stage for NamesStage {
    fn fingerprint_files(&self) -> Vec<PathBuf> {
        self.tokenizer.files().to_vec()
    }

    fn run(&self, ctx: &mut PartitionCtx<'_>) -> Result<()> {
        let concepts = ctx.whole(0)?;
        ctx.progress().start(concepts.num_rows(), Unit::Rows);
        let mut names = 0;
        for batch in concepts.scan_columns(&["cui", "name", "language"])? {
            let batch = batch?;
            let out = build_names(&batch, &self.tokenizer, &self.options)?;
            names += out.num_rows();
            ctx.progress().inc(batch.num_rows() as u64);
            ctx.emit(0, out)?;
            ctx.check_cancelled()?;
        }
        info!(names, "tokenised names");
        Ok(())
    }
}

/// The `names` batch of one `concepts` batch: every name in `options.languages`, tokenised as
/// `[CLS] name [SEP]` in at most `options.name_max_length` tokens, in parallel. The concepts
/// table has no duplicate (cui, name) pairs, so neither has this.
pub fn build_names(
    concepts: &RecordBatch,
    tokenizer: &Tokenizer,
    options: &NamesOptions,
) -> Result<RecordBatch> {
    let cui = column::<StringArray>(concepts, "cui")?;
    let name = column::<StringArray>(concepts, "name")?;
    let language = column::<StringArray>(concepts, "language")?;
    let rows: Vec<usize> = (0..concepts.num_rows())
        .filter(|&r| {
            options.languages.is_empty() || options.languages.iter().any(|l| l == language.value(r))
        })
        .collect();
    let ids: Vec<Vec<u32>> = rows
        .par_iter()
        .map(|&r| tokenizer.encode_name(name.value(r), options.name_max_length))
        .collect::<Result<_>>()?;
    let schema = samples::names_schema();
    let values = Int32Array::from_iter_values(ids.iter().flatten().map(|&i| i as i32));
    Ok(RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|&r| cui.value(r)),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|&r| name.value(r)),
            )),
            list_array(
                &schema,
                "input_ids",
                ids.iter().map(Vec::len),
                Arc::new(values),
            )?,
        ],
    )?)
}

#[cfg(test)]
mod tests {
    use arrow::array::AsArray;
    use arrow::datatypes::Int32Type;

    use super::*;
    use crate::engine::Table;
    use crate::stages::samples::tokenizer::load_tokenizer;
    use crate::stages::testkinds::run_yaml;
    use crate::store::Store;
    use crate::testutil::shared;

    #[test]
    fn options_default_to_the_reference() {
        let o: NamesOptions = serde_json::from_str(r#"{"tokenizer": "m"}"#).unwrap();
        assert_eq!(o, NamesOptions::new("m"));
        assert_eq!(
            (o.name_max_length, o.languages.as_slice()),
            (32, &["ENG".to_string()][..])
        );
        let bad = NamesOptions {
            name_max_length: 2,
            ..o
        };
        assert!(bad.validate().is_err());
        let example: NamesOptions = serde_saphyr::from_str(Names::EXAMPLE).unwrap();
        assert_eq!(example.name_max_length, 32);
        let schema = serde_json::to_value(schemars::schema_for!(NamesOptions)).unwrap();
        for (name, p) in schema["properties"].as_object().unwrap() {
            assert!(
                p["description"].as_str().is_some_and(|d| d.len() > 20),
                "{name}"
            );
        }
    }

    #[test]
    fn names_are_filtered_by_language_and_tokenised() {
        let Some(dir) = shared("models/all-minilm-l6-v2") else {
            return;
        };
        let tok = load_tokenizer(dir).unwrap();
        let concepts = crate::stages::subgraphs::names::tests::concepts_batch(&[
            ("C1", "Diabetes Mellitus", "ENG"),
            ("C1", "Diabète", "FRE"),
            ("C2", &"very long name ".repeat(20), "ENG"),
        ]);
        let names = build_names(&concepts, &tok, &NamesOptions::new("unused")).unwrap();
        assert_eq!(names.schema(), samples::names_schema());
        assert_eq!(names.num_rows(), 2);
        let ids = names.column(2).as_list::<i32>();
        let ints = |row: usize| -> Vec<u32> {
            ids.value(row)
                .as_primitive::<Int32Type>()
                .values()
                .iter()
                .map(|&i| i as u32)
                .collect()
        };
        assert_eq!(tok.decode(&ints(0)).unwrap(), "diabetes mellitus");
        assert_eq!(ints(1).len(), 32);
    }

    #[test]
    fn runs_end_to_end_through_the_engine() {
        let dir = tempfile::tempdir().unwrap();
        let concept = |cui: &str, name: &str, lat: &str| {
            format!(
                r#"{{"cui":"{cui}","name":"{name}","language":"{lat}","sab":"TEST","tty":"PT","code":null,"aui":null,"is_preferred":true,"suppress":null,"scope":null,"source_file":"MRCONSO.RRF","line":1}}"#
            )
        };
        let rows = [
            concept("C1", "fever", "ENG"),
            concept("C1", "pyrexia", "ENG"),
            concept("C1", "fievre", "FRE"),
            concept("C2", "cough", "ENG"),
        ]
        .join(" ");
        let yaml = format!(
            "pipeline: t\nstages:\n  \
             concepts: {{ kind: concepts_rows, options: {{ partitions: {{ a: '{rows}' }} }} }}\n  \
             names: {{ kind: names, inputs: [concepts], options: {{ tokenizer: sample_data/models/tiny-bert }} }}\n"
        );
        run_yaml(&yaml, dir.path()).unwrap();
        let store = Store::open(dir.path()).unwrap();
        let table = Table::open(&store, "names", None).unwrap();
        assert_eq!(table.partition_keys(), ["all"]);
        let batches = table.scan().unwrap().collect_all().unwrap();
        let names: Vec<String> = batches
            .iter()
            .flat_map(|b| {
                b.column(1)
                    .as_string::<i32>()
                    .iter()
                    .map(|n| n.unwrap().to_string())
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(names, ["fever", "pyrexia", "cough"]);
        let ids = batches[0].column(2).as_list::<i32>().value(0);
        let ids = ids.as_primitive::<Int32Type>().values();
        // [CLS] and [SEP] of the tiny vocabulary around the name.
        assert_eq!((ids[0], ids[ids.len() - 1]), (2, 3));
    }
}
