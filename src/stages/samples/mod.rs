//! `samples` and `names`: tokenised training inputs.
//!
//! The library pieces: [`tokenizer`] loads the model's own tokenizer (shared with the trainer and
//! the evaluation); [`align`] maps mention character spans to sub-token spans and truncates
//! without cutting a mention; [`build`] turns sentences and mentions into `samples` batches.
//!
//! The kinds: `samples` here (per sentences partition) and [`names`] (`names`, every concept
//! name tokenised, one partition). Pre-annotated mentions (`pubtator`) are a kind beside
//! `link`, in `stages::pubtator`.
//!
//! Partitioned like its sentences (one partition per PubMed file), with the mentions of the same
//! partition: adding a PubMed file builds that file's samples only. Mentions come from whatever
//! stage produced them, the dictionary linker or the `pubtator` import.

pub mod align;
pub mod build;
pub mod names;
pub use crate::text::tokenizer;

pub use build::{build_samples, SampleStats, SamplesOutput, SentenceMentions};
pub use names::{build_names, Names, NamesOptions};
pub use tokenizer::{load_tokenizer, SpecialTokens, Tokenizer};

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tracing::info;

use crate::engine::{BuildContext, InputDecl, OutputDecl, PartitionCtx, Stage, StageKind, Unit};
use crate::error::{BaliError, Result};
use crate::tables::TableType;

/// What to do with a mention linked to several concepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AmbiguousMentions {
    /// Connect its tokens to all k concepts (BALI).
    All,
    /// Drop the mention.
    Drop,
}

/// What to do with a sentence longer than `max_length` tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Truncation {
    /// Cut the sentence, dropping any mention the cut would split together with its tokens
    /// (BALI); the sentence is dropped if no mention is left.
    DropTrailingMentions,
    /// Drop the sentence.
    SkipSentence,
}

/// Options of the `samples` kind. Defaults are the BALI reference choices (see BALI.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SamplesOptions {
    /// The model whose tokenizer to use: a Hugging Face model directory (tokenizer.json, or
    /// vocab.txt with tokenizer_config.json), or one of those files.
    pub tokenizer: PathBuf,
    /// Longest sample in tokens, `[CLS]` and `[SEP]` included (BALI: 128).
    #[serde(default = "default_max_length")]
    pub max_length: usize,
    /// A mention linked to several concepts: connect it to all of them (BALI) or drop it.
    #[serde(default = "default_ambiguous")]
    pub ambiguous: AmbiguousMentions,
    /// A sentence longer than max_length: cut it before the first mention that would be split
    /// (BALI), or drop it.
    #[serde(default = "default_truncation")]
    pub truncation: Truncation,
}

fn default_max_length() -> usize {
    128
}
fn default_ambiguous() -> AmbiguousMentions {
    AmbiguousMentions::All
}
fn default_truncation() -> Truncation {
    Truncation::DropTrailingMentions
}

impl SamplesOptions {
    /// Options with the reference defaults and the given tokenizer.
    pub fn new(tokenizer: impl Into<PathBuf>) -> Self {
        SamplesOptions {
            tokenizer: tokenizer.into(),
            max_length: default_max_length(),
            ambiguous: default_ambiguous(),
            truncation: default_truncation(),
        }
    }

    /// Checks the values serde cannot.
    pub fn validate(&self) -> Result<()> {
        // [CLS], [SEP] and at least one token.
        if self.max_length < 3 {
            return Err(BaliError::Spec(format!(
                "samples options: max_length must be at least 3, got {}",
                self.max_length
            )));
        }
        Ok(())
    }
}

/// The `samples` kind.
pub struct Samples;

impl StageKind for Samples {
    type Options = SamplesOptions;
    const NAME: &'static str = "samples";
    const SUMMARY: &'static str =
        "one training sample per sentence with a linked concept: WordPiece ids and the token span and concepts of every mention";
    const FORMAT_VERSION: u32 = 1;
    const INPUTS: &'static [InputDecl] = &[
        InputDecl::partitioned("sentences", &[TableType::Sentences]),
        InputDecl::partitioned("mentions", &[TableType::Mentions]),
    ];
    const OUTPUTS: &'static [OutputDecl] = &[OutputDecl {
        name: "samples",
        table: TableType::Samples,
    }];
    // The tokenizer's files are fingerprinted by content instead of by path.
    const UNFINGERPRINTED_OPTIONS: &'static [&'static str] = &["tokenizer"];
    const EXAMPLE: &'static str =
        "tokenizer: sample_data/models/tiny-bert\nmax_length: 128\ntruncation: drop_trailing_mentions";

    fn build(options: SamplesOptions, ctx: &BuildContext) -> Result<Box<dyn Stage>> {
        options.validate()?;
        let tokenizer = ctx.option(
            "tokenizer",
            ctx.local(&options.tokenizer).and_then(load_tokenizer),
        )?;
        Ok(Box::new(SamplesStage { options, tokenizer }))
    }
}

/// The runtime `samples` stage.
struct SamplesStage {
    options: SamplesOptions,
    tokenizer: Tokenizer,
}

impl Stage for SamplesStage {
    fn fingerprint_files(&self) -> Vec<PathBuf> {
        self.tokenizer.files().to_vec()
    }

    fn run(&self, ctx: &mut PartitionCtx<'_>) -> Result<()> {
        // A partition's mentions are grouped by sentence first (one PubMed file: ~10^5 rows).
        let mentions = ctx.input(1)?.collect_all()?;
        let mentions = SentenceMentions::from_batches(&mentions)?;
        ctx.progress().start(0, Unit::Rows);
        let mut stats = SampleStats::default();
        for batch in ctx.input(0)? {
            let batch = batch?;
            let out = build_samples(&batch, &mentions, &self.tokenizer, &self.options)?;
            stats.add(&out.stats);
            ctx.progress().inc(batch.num_rows() as u64);
            ctx.emit(0, out.batch)?;
            ctx.check_cancelled()?;
        }
        info!(partition = ctx.key(), ?stats, "samples");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{Int32Type, Int64Type};

    use super::*;
    use crate::engine::Table;
    use crate::stages::testkinds::run_yaml;
    use crate::store::Store;

    #[test]
    fn options_default_to_the_reference_and_need_a_tokenizer() {
        let o: SamplesOptions = serde_json::from_str(r#"{"tokenizer": "m"}"#).unwrap();
        assert_eq!(o, SamplesOptions::new("m"));
        assert_eq!(o.max_length, 128);
        assert_eq!(o.ambiguous, AmbiguousMentions::All);
        assert_eq!(o.truncation, Truncation::DropTrailingMentions);
        let err = serde_json::from_str::<SamplesOptions>("{}").unwrap_err();
        assert!(
            err.to_string().contains("missing field `tokenizer`"),
            "{err}"
        );
        let err = serde_json::from_str::<SamplesOptions>(r#"{"tokenizer": "m", "max_len": 5}"#)
            .unwrap_err();
        assert!(err.to_string().contains("unknown field `max_len`"), "{err}");
        let o: SamplesOptions = serde_json::from_str(
            r#"{"tokenizer": "m", "truncation": "skip_sentence", "max_length": 2}"#,
        )
        .unwrap();
        assert!(o.validate().unwrap_err().to_string().contains("max_length"));
        let example: SamplesOptions = serde_saphyr::from_str(Samples::EXAMPLE).unwrap();
        assert_eq!(
            example.tokenizer,
            PathBuf::from("sample_data/models/tiny-bert")
        );
    }

    #[test]
    fn every_option_is_documented_in_the_json_schema() {
        let schema = serde_json::to_value(schemars::schema_for!(SamplesOptions)).unwrap();
        let properties = schema["properties"].as_object().unwrap();
        assert_eq!(properties.len(), 4);
        for (name, p) in properties {
            assert!(
                p["description"].as_str().is_some_and(|d| d.len() > 20),
                "{name}"
            );
        }
    }

    pub(crate) fn sentence(pmid: i64, index: i32, text: &str) -> String {
        let n = text.chars().count();
        format!(
            r#"{{"pmid":{pmid},"version":1,"sentence_index":{index},"section":"abstract","start":0,"end":{n},"text":"{text}","source_file":"f.xml","article_index":0}}"#
        )
    }

    fn mention(pmid: i64, sentence: i32, index: i32, start: i32, end: i32, cui: &str) -> String {
        format!(
            r#"{{"pmid":{pmid},"version":1,"sentence_index":{sentence},"section":"abstract","mention_index":{index},"start":{start},"end":{end},"doc_start":{start},"doc_end":{end},"surface":"x","cui":"{cui}","candidates":1,"matched":null,"origin":"dictionary","source_file":"f.xml","article_index":0}}"#
        )
    }

    /// Sentences and mentions of two partitions through the engine with the sample data's tiny
    /// BERT: one sample per sentence with a mention, in the sentences' partitions, and a
    /// changed tokenizer file re-runs them.
    #[test]
    fn runs_end_to_end_through_the_engine() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("model");
        std::fs::create_dir(&model).unwrap();
        let tiny =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/models/tiny-bert");
        for f in [
            "tokenizer.json",
            "tokenizer_config.json",
            "special_tokens_map.json",
        ] {
            std::fs::copy(tiny.join(f), model.join(f)).unwrap();
        }
        let sentences_a = [
            sentence(1, 0, "Insulin resistance precedes diabetes."),
            sentence(1, 1, "Nothing is linked here."),
        ]
        .join(" ");
        let sentences_b = sentence(2, 0, "Fever and cough were common.");
        let mentions_a = [
            mention(1, 0, 0, 0, 18, "C0021655"),
            mention(1, 0, 1, 28, 36, "C0011849"),
            mention(1, 0, 1, 28, 36, "C0011860"),
        ]
        .join(" ");
        let mentions_b = mention(2, 0, 0, 0, 5, "C0015967");
        let yaml = format!(
            "pipeline: t\nstages:\n  \
             sentences: {{ kind: sentences_rows, options: {{ partitions: {{ a: '{sentences_a}', b: '{sentences_b}' }} }} }}\n  \
             mentions: {{ kind: mentions_rows, options: {{ partitions: {{ a: '{mentions_a}', b: '{mentions_b}' }} }} }}\n  \
             samples: {{ kind: samples, inputs: [sentences, mentions], options: {{ tokenizer: '{}' }} }}\n",
            model.display()
        );
        let report = run_yaml(&yaml, dir.path()).unwrap();
        let stage = report.stages.iter().find(|s| s.stage == "samples").unwrap();
        assert_eq!(stage.partitions_run, 2);

        let store = Store::open(dir.path()).unwrap();
        let table = Table::open(&store, "samples", None).unwrap();
        assert_eq!(table.partition_keys(), ["a", "b"]);
        let batches = table.scan().unwrap().collect_all().unwrap();
        let batch = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
        assert_eq!(batch.num_rows(), 2);
        let pmids: Vec<i64> = batch
            .column(0)
            .as_primitive::<Int64Type>()
            .values()
            .to_vec();
        assert_eq!(pmids, [1, 2]);
        let mentions = batch.column(5).as_list::<i32>();
        assert_eq!(mentions.value(0).len(), 2);
        let first = mentions.value(0);
        let cuis = first.as_struct().column(4).as_list::<i32>().value(1);
        assert_eq!(cuis.len(), 2);
        let ids = batch.column(3).as_list::<i32>().value(0);
        let ids = ids.as_primitive::<Int32Type>();
        assert!(
            ids.len() <= 128 && ids.value(0) == 2,
            "[CLS] of the tiny vocabulary"
        );

        // Same inputs: fresh. Another tokenizer file: both partitions run again.
        let again = run_yaml(&yaml, dir.path()).unwrap();
        assert_eq!(
            again
                .stages
                .iter()
                .find(|s| s.stage == "samples")
                .unwrap()
                .partitions_run,
            0
        );
        let config = model.join("tokenizer_config.json");
        let text = std::fs::read_to_string(&config).unwrap();
        std::fs::write(&config, text.replace('{', "{\"model_max_length\": 128, ")).unwrap();
        let changed = run_yaml(&yaml, dir.path()).unwrap();
        assert_eq!(
            changed
                .stages
                .iter()
                .find(|s| s.stage == "samples")
                .unwrap()
                .partitions_run,
            2
        );
    }
}
