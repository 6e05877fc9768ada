//! `samples` and `names`: tokenised training inputs.
//!
//! [`tokenizer`] loads the model's own tokenizer (shared with the trainer and the evaluation);
//! [`align`] maps mention character spans to sub-token spans and truncates without cutting a
//! mention; [`build`] turns sentences and mentions into `samples` batches and concepts into
//! `names` batches; [`pubtator`] reads pre-annotated mentions (PubTator format) as an
//! alternative to the dictionary linker.

pub mod align;
pub mod build;
pub mod pubtator;
pub mod tokenizer;

use std::collections::BTreeMap;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use build::{build_names, build_samples, SampleStats, SamplesOutput, SentenceMentions};
pub use pubtator::{CodeIndex, PubtatorDocument, PubtatorReader, PubtatorStats};
pub use tokenizer::{load_tokenizer, SpecialTokens, Tokenizer};

use crate::error::{BaliError, Result};

/// Where the mentions of the samples come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MentionSource {
    /// The `mentions` input (the dictionary linker's output).
    Linker,
    /// PubTator files (`pubtator` option), mapped to concepts through MRCONSO (SAB, CODE).
    Pubtator,
}

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
    /// Longest sample in tokens, [CLS] and [SEP] included (BALI: 128).
    #[serde(default = "default_max_length")]
    pub max_length: usize,
    /// Longest tokenised concept name, [CLS] and [SEP] included (BALI: 32); longer names are cut.
    #[serde(default = "default_name_max_length")]
    pub name_max_length: usize,
    /// Take mentions from the linker's `mentions` input or from PubTator files.
    #[serde(default = "default_mentions_from")]
    pub mentions_from: MentionSource,
    /// PubTator files (globs allowed) when mentions_from is pubtator.
    #[serde(default)]
    pub pubtator: Vec<String>,
    /// PubTator identifier prefix (or, for a bare identifier, the annotation type) to the UMLS
    /// source vocabulary (MRCONSO SAB) whose CODE it is; `CUI` means the identifier is a CUI.
    #[serde(default = "default_pubtator_vocabularies")]
    pub pubtator_vocabularies: BTreeMap<String, String>,
    /// A mention linked to several concepts: connect it to all of them (BALI) or drop it.
    #[serde(default = "default_ambiguous")]
    pub ambiguous: AmbiguousMentions,
    /// A sentence longer than max_length: cut it before the first mention that would be split
    /// (BALI), or drop it.
    #[serde(default = "default_truncation")]
    pub truncation: Truncation,
    /// Languages (MRCONSO LAT) of the names in the `names` output (BALI: English only).
    #[serde(default = "default_languages")]
    pub languages: Vec<String>,
}

fn default_max_length() -> usize {
    128
}
fn default_name_max_length() -> usize {
    32
}
fn default_mentions_from() -> MentionSource {
    MentionSource::Linker
}
fn default_ambiguous() -> AmbiguousMentions {
    AmbiguousMentions::All
}
fn default_truncation() -> Truncation {
    Truncation::DropTrailingMentions
}
fn default_languages() -> Vec<String> {
    vec!["ENG".to_string()]
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

impl SamplesOptions {
    /// Options with the reference defaults and the given tokenizer.
    pub fn new(tokenizer: impl Into<PathBuf>) -> Self {
        SamplesOptions {
            tokenizer: tokenizer.into(),
            max_length: default_max_length(),
            name_max_length: default_name_max_length(),
            mentions_from: default_mentions_from(),
            pubtator: Vec::new(),
            pubtator_vocabularies: default_pubtator_vocabularies(),
            ambiguous: default_ambiguous(),
            truncation: default_truncation(),
            languages: default_languages(),
        }
    }

    /// Checks the values serde cannot: every problem, in one error.
    pub fn validate(&self) -> Result<()> {
        let mut problems = Vec::new();
        // [CLS], [SEP] and at least one token.
        if self.max_length < 3 {
            problems.push(format!(
                "max_length must be at least 3, got {}",
                self.max_length
            ));
        }
        if self.name_max_length < 3 {
            problems.push(format!(
                "name_max_length must be at least 3, got {}",
                self.name_max_length
            ));
        }
        match (self.mentions_from, self.pubtator.is_empty()) {
            (MentionSource::Pubtator, true) => problems
                .push("mentions_from: pubtator needs files in the pubtator option".to_string()),
            (MentionSource::Linker, false) => problems
                .push("the pubtator option is only read with mentions_from: pubtator".to_string()),
            _ => {}
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(BaliError::Spec(format!(
                "samples options: {}",
                problems.join("; ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_default_to_the_reference_and_need_a_tokenizer() {
        let o: SamplesOptions = serde_json::from_str(r#"{"tokenizer": "m"}"#).unwrap();
        assert_eq!(o, SamplesOptions::new("m"));
        assert_eq!((o.max_length, o.name_max_length), (128, 32));
        assert_eq!(o.pubtator_vocabularies["MESH"], "MSH");
        assert!(o.validate().is_ok());
        let err = serde_json::from_str::<SamplesOptions>("{}").unwrap_err();
        assert!(
            err.to_string().contains("missing field `tokenizer`"),
            "{err}"
        );
        let err = serde_json::from_str::<SamplesOptions>(r#"{"tokenizer": "m", "max_len": 5}"#)
            .unwrap_err();
        assert!(err.to_string().contains("unknown field `max_len`"), "{err}");
        let o: SamplesOptions = serde_json::from_str(
            r#"{"tokenizer": "m", "mentions_from": "pubtator", "truncation": "skip_sentence", "max_length": 2}"#,
        )
        .unwrap();
        let msg = o.validate().unwrap_err().to_string();
        assert!(
            msg.contains("max_length") && msg.contains("pubtator"),
            "{msg}"
        );
    }

    #[test]
    fn every_option_is_documented_in_the_json_schema() {
        let schema = serde_json::to_value(schemars::schema_for!(SamplesOptions)).unwrap();
        let properties = schema["properties"].as_object().unwrap();
        assert_eq!(properties.len(), 9);
        for (name, p) in properties {
            assert!(
                p["description"].as_str().is_some_and(|d| d.len() > 20),
                "{name}"
            );
        }
    }
}
