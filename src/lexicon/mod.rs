//! The vocabulary side of linking, below the stages: how concept names and text are normalised
//! ([`normalize`]), the interned vocabulary and string tables ([`vocab`]), the form trie
//! ([`trie`]), the index assembled from them ([`index`]), the [`matcher`] that finds mentions
//! with it, and its on-disk cache ([`cache`]). The `dictionary` stage builds the index and the
//! `link` stage runs the matcher; neither reaches into the other.

pub mod cache;
pub mod index;
pub mod matcher;
pub mod normalize;
pub mod trie;
pub mod vocab;

pub use index::{BuiltDictionary, DictionaryStats};
pub use matcher::{Matcher, MatcherStats, Mention, Overlaps, Scratch, INDEX_FORMAT_VERSION};

/// File name of the cached matcher index in the `dictionary` stage's artifact folder.
pub const INDEX_FILE: &str = "matcher.idx";
