//! A runnable [`Plan`]: the spec's checked pipeline with each stage's runtime built from its
//! options. A problem found while building (a file an option names is not there) is reported
//! like the spec's own, at the option's key.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::kind::Registry;
use super::stage::{BuildContext, Stage};
use crate::diagnostic::Diagnostic;
use crate::error::{BaliError, Result};
use crate::kind::KindEntry;
use crate::spec::yaml::Loc;
use crate::spec::{self, Checked, LoadOptions, PlannedInput};

/// A checked pipeline ready to run, stages in an order where every producer comes before its
/// consumers.
pub struct Plan {
    /// `pipeline:` name.
    pub name: String,
    /// The file it came from (as given).
    pub file: PathBuf,
    /// The checkpoint store.
    pub workdir: PathBuf,
    /// The pipeline seed.
    pub seed: u64,
    /// Stages in topological order.
    pub stages: Vec<PlannedStage>,
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan")
            .field("name", &self.name)
            .field("workdir", &self.workdir)
            .field(
                "stages",
                &self.stages.iter().map(|s| &s.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Plan {
    /// Index of the stage called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.name == name)
    }
}

/// One stage of a plan.
pub struct PlannedStage {
    /// Stage name (the YAML key).
    pub name: String,
    /// Its kind.
    pub kind: KindEntry,
    /// Inputs in declaration order; `None` for an optional input left out.
    pub inputs: Vec<Option<PlannedInput>>,
    /// Options with defaults filled in (canonical JSON).
    pub options: serde_json::Value,
    /// The runtime stage.
    pub stage: Arc<dyn Stage>,
    /// Where the stage is defined in the file.
    pub loc: Loc,
}

/// Reads, checks and resolves a pipeline file ([`spec::load`]), then builds its stages. Every
/// problem found is reported at once, as a [`BaliError::Invalid`].
pub fn load(path: &Path, registry: &Registry, opts: &LoadOptions) -> Result<Plan> {
    build(spec::load(path, registry, opts)?, registry)
}

/// Like [`load`], from text already read; `path` is used for messages.
pub fn load_str(text: &str, path: &Path, registry: &Registry, opts: &LoadOptions) -> Result<Plan> {
    build(spec::load_str(text, path, registry, opts)?, registry)
}

/// Builds every stage of `checked`. A build error (e.g. an unreadable file named in options)
/// is a problem of the file at the stage: at the option's key when the error names one, at
/// `options:` otherwise.
pub fn build(mut checked: Checked, registry: &Registry) -> Result<Plan> {
    let mut diags = Vec::new();
    let mut stages = Vec::with_capacity(checked.stages.len());
    for s in std::mem::take(&mut checked.stages) {
        let ctx = BuildContext {
            stage: s.name.clone(),
            base_dir: checked.base_dir.clone(),
            seed: checked.seed,
        };
        match registry.build(s.kind.name, s.options.clone(), &ctx) {
            Ok(stage) => stages.push(PlannedStage {
                name: s.name,
                kind: s.kind,
                inputs: s.inputs,
                options: s.options,
                stage: Arc::from(stage),
                loc: s.loc,
            }),
            Err(BaliError::Option { option, source }) => diags.push(Diagnostic::at(
                s.option_loc(&option),
                format!(
                    "stage `{}` ({}): option `{option}`: {source}",
                    s.name, s.kind.name
                ),
            )),
            Err(e) => diags.push(Diagnostic::at(
                s.options_loc,
                format!("stage `{}` ({}): {e}", s.name, s.kind.name),
            )),
        }
    }
    if !diags.is_empty() {
        return Err(checked.problems(diags));
    }
    Ok(Plan {
        name: checked.name,
        file: checked.file,
        workdir: checked.workdir,
        seed: checked.seed,
        stages,
    })
}
