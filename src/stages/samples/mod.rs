//! `samples`, `names` and `pubtator`: tokenised training inputs, and pre-annotated mentions.
//!
//! The library pieces: [`tokenizer`] loads the model's own tokenizer (shared with the trainer and
//! the evaluation); [`align`] maps mention character spans to sub-token spans and truncates
//! without cutting a mention; [`build`] turns sentences and mentions into `samples` batches;
//! [`pubtator`] reads PubTator files and maps their identifiers to CUIs.
//!
//! The kinds, one module each: [`stage`] (`samples`, per sentences partition), [`names`]
//! (`names`, every concept name tokenised, one partition) and [`import`] (`pubtator`, mentions
//! from PubTator files in the `mentions` layout, so that `samples` and `subgraphs` consume
//! imported annotations exactly as they consume the linker's).

pub mod align;
pub mod build;
pub mod import;
pub mod names;
pub mod pubtator;
pub mod stage;
pub use crate::text::tokenizer;

pub use build::{build_samples, SampleStats, SamplesOutput, SentenceMentions};
pub use import::{default_pubtator_vocabularies, Pubtator, PubtatorOptions};
pub use names::{build_names, Names, NamesOptions};
pub use pubtator::{
    pubtator_mentions, read_documents, CodeIndex, IdentifierMapper, PubtatorDocument,
    PubtatorReader, PubtatorStats,
};
pub use stage::{AmbiguousMentions, Samples, SamplesOptions, Truncation};
pub use tokenizer::{load_tokenizer, SpecialTokens, Tokenizer};
