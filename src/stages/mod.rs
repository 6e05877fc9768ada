//! The stage kinds: sources and transforms, and the one table that registers them.
