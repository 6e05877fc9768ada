//! The pipeline YAML: parsed into a located tree, checked against the kinds' declarations,
//! and resolved into a [`Checked`] pipeline (which `engine::load` builds into a runnable plan).
//!
//! Every check runs and every problem is kept before failing, so one `bali validate` lists them
//! all, each with `file:line:col`, the line, and a hint where one helps.

pub(crate) use crate::diagnostic;
mod json_schema;
mod overrides;
mod plan;
pub mod yaml;

pub use crate::diagnostic::{did_you_mean, render, Diagnostic, Problems};
pub use json_schema::pipeline_schema;
pub use overrides::Override;
pub use plan::{load, load_str, Checked, CheckedStage, LoadOptions, PlannedInput};
