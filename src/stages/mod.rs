//! The stage kinds: sources and transforms, and the one table that registers them.

pub(crate) mod columns;
pub mod dictionary;
pub mod link;
pub mod sentences;
