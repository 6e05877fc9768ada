//! The vocabulary side of linking, below the stages: how concept names and text are normalised
//! before they are matched ([`normalize`]), shared by the dictionary, the linker and the
//! evaluation.

pub mod normalize;
