//! The registry of stage kinds: each kind's declarations ([`crate::kind::Kinds`], all the
//! spec needs) and how to build its runtime stage from checked options.

use std::collections::HashMap;

use super::stage::{BuildContext, Stage, StageKind};
use crate::error::{BaliError, Result};
use crate::kind::{read_options, KindDecl, KindEntry, Kinds};

type Build = fn(serde_json::Value, &BuildContext) -> Result<Box<dyn Stage>>;

/// The kinds a pipeline may use: their declarations (it dereferences to [`Kinds`]) and their
/// builders.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    kinds: Kinds,
    builders: HashMap<&'static str, Build>,
}

impl std::ops::Deref for Registry {
    type Target = Kinds;
    fn deref(&self) -> &Kinds {
        &self.kinds
    }
}

impl Registry {
    /// A registry with no kinds.
    pub fn empty() -> Registry {
        Registry::default()
    }

    /// Adds kind `K` (replacing one of the same name).
    pub fn register<K: StageKind>(&mut self) -> &mut Self {
        self.kinds.add(KindEntry::new::<K::Options>(KindDecl {
            name: K::NAME,
            summary: K::SUMMARY,
            format_version: K::FORMAT_VERSION,
            inputs: K::INPUTS,
            outputs: K::OUTPUTS,
            unfingerprinted: K::UNFINGERPRINTED_OPTIONS,
            example: K::EXAMPLE,
        }));
        self.builders.insert(K::NAME, build::<K>);
        self
    }

    /// Builds the runtime stage of kind `kind` from its checked, canonical `options`.
    pub fn build(
        &self,
        kind: &str,
        options: serde_json::Value,
        ctx: &BuildContext,
    ) -> Result<Box<dyn Stage>> {
        let build = self
            .builders
            .get(kind)
            .ok_or_else(|| BaliError::Internal(format!("no kind `{kind}` is registered")))?;
        build(options, ctx)
    }
}

fn build<K: StageKind>(options: serde_json::Value, ctx: &BuildContext) -> Result<Box<dyn Stage>> {
    let options: K::Options = read_options(options).map_err(|e| {
        BaliError::Internal(format!(
            "kind `{}`: its canonical options do not read back: {} at {}",
            K::NAME,
            e.message,
            e.path
        ))
    })?;
    K::build(options, ctx)
}
