//! `samples` and `names`: tokenised training inputs.
//!
//! The library pieces: [`tokenizer`] loads the model's own tokenizer (shared with the trainer and
//! the evaluation); [`align`] maps mention character spans to sub-token spans and truncates
//! without cutting a mention; [`build`] turns sentences and mentions into `samples` batches.
//!
//! The kinds, one module each: [`stage`] (`samples`, per sentences partition) and [`names`]
//! (`names`, every concept name tokenised, one partition). Pre-annotated mentions (`pubtator`)
//! are a kind beside `link`, in `stages::pubtator`.

pub mod align;
pub mod build;
pub mod names;
pub mod stage;
pub use crate::text::tokenizer;

pub use build::{build_samples, SampleStats, SamplesOutput, SentenceMentions};
pub use names::{build_names, Names, NamesOptions};
pub use stage::{AmbiguousMentions, Samples, SamplesOptions, Truncation};
pub use tokenizer::{load_tokenizer, SpecialTokens, Tokenizer};
