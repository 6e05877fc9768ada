//! Text below the stages: the BERT WordPiece tokenizer that samples, names, the training corpus
//! and the evaluation share ([`tokenizer`]).

pub mod tokenizer;

pub use tokenizer::{load_tokenizer, SpecialTokens, Tokenizer};
