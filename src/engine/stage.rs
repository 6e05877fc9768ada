//! What a stage kind is: its declared inputs and outputs, its options, and the `Stage` trait
//! the engine drives partition by partition.
//!
//! A kind is a type implementing [`StageKind`]; its options are a serde struct with
//! `deny_unknown_fields` and a doc comment per field (the doc feeds the JSON Schema). The
//! stages layer above lists every kind once (`bali::stages::registry()`); the engine only ever
//! sees a [`super::Registry`], and the spec only what a kind declares ([`crate::kind`]).

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::Result;
pub use crate::kind::{InputDecl, InputMode, OutputDecl};

pub use super::context::{PartitionCtx, Table};

/// Where the stage is being built: resolves relative paths and carries the pipeline seed.
#[derive(Debug, Clone)]
pub struct BuildContext {
    /// Name of the stage in the pipeline file.
    pub stage: String,
    /// Directory that relative paths in options are resolved against (the current directory).
    pub base_dir: PathBuf,
    /// The pipeline's seed.
    pub seed: u64,
}

impl BuildContext {
    /// Resolves a path from the options against [`base_dir`](Self::base_dir).
    pub fn resolve(&self, path: impl AsRef<std::path::Path>) -> PathBuf {
        let path = path.as_ref();
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.base_dir.join(path)
        }
    }

    /// `result`, its error (if any) tied to the option `option`, so that validation points at
    /// that key in the pipeline file rather than at `options:`.
    pub fn option<T>(
        &self,
        option: &str,
        result: crate::error::Result<T>,
    ) -> crate::error::Result<T> {
        result.map_err(|e| crate::error::BaliError::Option {
            option: option.to_string(),
            source: Box::new(e),
        })
    }

    /// A file or folder named in the options, on the local disk: [`resolve`](Self::resolve)d,
    /// or for an `s3://` URL a local copy of the object or of the folder below it
    /// ([`local_copy`](crate::store::remote::local_copy)).
    pub fn local(&self, path: impl AsRef<std::path::Path>) -> crate::error::Result<PathBuf> {
        let path = path.as_ref();
        match crate::store::remote::ObjectUrl::parse(path)? {
            Some(url) => crate::store::remote::local_copy(&url),
            None => Ok(self.resolve(path)),
        }
    }
}

/// A stage kind: a type-level description plus a constructor from its options.
pub trait StageKind: 'static {
    /// The options struct (`options:` in the YAML). Unknown keys must be rejected
    /// (`#[serde(deny_unknown_fields)]`), every field documented, defaults via `#[serde(default)]`.
    type Options: DeserializeOwned + Serialize + JsonSchema + Send + Sync + 'static;
    /// The `kind:` value.
    const NAME: &'static str;
    /// One line on what the kind does.
    const SUMMARY: &'static str;
    /// Bump when the output of the same inputs and options changes; invalidates checkpoints.
    const FORMAT_VERSION: u32;
    /// Positional inputs.
    const INPUTS: &'static [InputDecl];
    /// Outputs; the first is the default.
    const OUTPUTS: &'static [OutputDecl];
    /// Option keys left out of fingerprints because their effect is already captured elsewhere
    /// (e.g. the `paths` glob of a source: the matched files' contents are fingerprinted).
    const UNFINGERPRINTED_OPTIONS: &'static [&'static str] = &[];
    /// An example `options:` mapping in YAML, shown in docs and round-tripped by a test.
    const EXAMPLE: &'static str;
    /// Builds the runtime stage from resolved options.
    fn build(options: Self::Options, ctx: &BuildContext) -> Result<Box<dyn Stage>>;
}

/// A partition of a source stage: its key and the files it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePartition {
    /// Partition key, unique in the stage, e.g. the file stem `pubmed25n0001`.
    pub key: String,
    /// Files whose contents the partition's fingerprint covers.
    pub files: Vec<PathBuf>,
}

/// The runtime half of a stage, built from options for one run.
pub trait Stage: Send + Sync {
    /// For source stages (no partitioned input): the partitions and the files each reads.
    /// Derived stages return `None` and get the partitions of their first partitioned input,
    /// or a single partition named `all` when every input is whole.
    fn source_partitions(&self) -> Result<Option<Vec<SourcePartition>>> {
        Ok(None)
    }

    /// Files whose contents every partition's fingerprint includes (a tokenizer, a model).
    fn fingerprint_files(&self) -> Vec<PathBuf> {
        Vec::new()
    }

    /// Produces one partition: read inputs from `ctx`, emit batches to its outputs.
    /// Returning an error fails the run; nothing of the partition is committed.
    fn run(&self, ctx: &mut PartitionCtx<'_>) -> Result<()>;
}
