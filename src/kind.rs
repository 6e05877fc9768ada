//! What a stage kind declares: its inputs and outputs, its options (checked and put in canonical
//! form, with their JSON Schema), a summary and an example. The spec checks a pipeline against
//! these declarations alone; what a kind runs (`engine::Stage`, built by `engine::Registry`)
//! stays above, in the engine, so that neither of the two imports the other.

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::tables::TableType;

/// How a stage consumes one of its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputMode {
    /// Partition by partition. The stage's partitions are those of its first partitioned
    /// input, and every other partitioned input is read at the same partition key. The first
    /// one is streamed from its producer through a bounded channel when both run in the same
    /// pass; otherwise (and for the others) the committed checkpoint is read.
    Partitioned,
    /// The whole table (every partition), read once the producer has finished: dimension
    /// tables such as a dictionary or a graph. A change to any of its partitions changes the
    /// fingerprint of every partition of this stage.
    Whole,
}

/// One declared input of a kind (positional: the n-th entry of `inputs:` in the YAML).
#[derive(Debug, Clone, Copy)]
pub struct InputDecl {
    /// What the input is for, e.g. `sentences` or `dictionary`.
    pub role: &'static str,
    /// Table types a producer's output may have to be accepted here.
    pub accepts: &'static [TableType],
    /// How it is consumed.
    pub mode: InputMode,
    /// Whether the input may be left out (only trailing inputs can be optional).
    pub optional: bool,
}

impl InputDecl {
    /// A required input consumed whole: every partition of the producer at once.
    pub const fn whole(role: &'static str, accepts: &'static [TableType]) -> InputDecl {
        InputDecl {
            role,
            accepts,
            mode: InputMode::Whole,
            optional: false,
        }
    }

    /// A required input consumed partition by partition (one output partition per input one).
    pub const fn partitioned(role: &'static str, accepts: &'static [TableType]) -> InputDecl {
        InputDecl {
            role,
            accepts,
            mode: InputMode::Partitioned,
            optional: false,
        }
    }

    /// The same input, allowed to be left out (only trailing inputs can be optional).
    pub const fn optional(self) -> InputDecl {
        InputDecl {
            optional: true,
            ..self
        }
    }
}

/// One output table of a kind. The first output is the default one: `inputs: [stage]` means
/// it, `inputs: [stage.name]` picks another.
#[derive(Debug, Clone, Copy)]
pub struct OutputDecl {
    /// Output name, unique within the kind, e.g. `deletions`.
    pub name: &'static str,
    /// What it holds (and so its schema).
    pub table: TableType,
}

/// Why a kind rejected its options.
#[derive(Debug, Clone)]
pub struct OptionsError {
    /// Path of the offending value inside `options`, e.g. `paths[1]` (empty for the whole).
    pub path: String,
    /// serde's message.
    pub message: String,
    /// For an unknown key: the key and the keys the kind accepts.
    pub unknown_field: Option<(String, Vec<String>)>,
}

/// A kind as the spec sees it: its declarations (which it dereferences to: `entry.name`,
/// `entry.inputs`, ...) and an options checker; no runtime.
#[derive(Clone)]
pub struct KindEntry {
    decl: KindDecl,
    parse: fn(serde_json::Value) -> Result<serde_json::Value, OptionsError>,
    schema: fn(&mut SchemaGenerator) -> Schema,
}

impl std::ops::Deref for KindEntry {
    type Target = KindDecl;
    fn deref(&self) -> &KindDecl {
        &self.decl
    }
}

impl std::fmt::Debug for KindEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KindEntry")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// What a kind declares besides its options' type.
#[derive(Debug, Clone, Copy)]
pub struct KindDecl {
    /// `kind:` value.
    pub name: &'static str,
    /// One line on what it does.
    pub summary: &'static str,
    /// Output format version.
    pub format_version: u32,
    /// Positional inputs.
    pub inputs: &'static [InputDecl],
    /// Outputs (first is the default).
    pub outputs: &'static [OutputDecl],
    /// Option keys excluded from fingerprints.
    pub unfingerprinted: &'static [&'static str],
    /// Example options in YAML.
    pub example: &'static str,
}

impl KindEntry {
    /// The entry of a kind declared as `decl` whose options are `O`.
    pub fn new<O: DeserializeOwned + Serialize + JsonSchema>(decl: KindDecl) -> KindEntry {
        KindEntry {
            decl,
            parse: canonical_options::<O>,
            schema: |g| g.subschema_for::<O>(),
        }
    }

    /// Checks options (`null` means all defaults) and returns them in canonical form, every
    /// default filled in.
    pub fn parse(&self, options: serde_json::Value) -> Result<serde_json::Value, OptionsError> {
        (self.parse)(options)
    }

    /// The JSON Schema of the options.
    pub fn options_schema(&self, generator: &mut SchemaGenerator) -> Schema {
        (self.schema)(generator)
    }

    /// Index of output `name`.
    pub fn output_index(&self, name: &str) -> Option<usize> {
        self.outputs.iter().position(|o| o.name == name)
    }
}

/// Options `O` read from `value` (`null`: every default), or why not.
pub fn read_options<O: DeserializeOwned>(value: serde_json::Value) -> Result<O, OptionsError> {
    let value = if value.is_null() {
        serde_json::Value::Object(Default::default())
    } else {
        value
    };
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let unknown_field = parse_unknown_field(&message);
        OptionsError {
            path,
            message,
            unknown_field,
        }
    })
}

fn canonical_options<O: DeserializeOwned + Serialize>(
    value: serde_json::Value,
) -> Result<serde_json::Value, OptionsError> {
    let options: O = read_options(value)?;
    serde_json::to_value(&options).map_err(|e| OptionsError {
        path: String::new(),
        message: format!("options could not be serialised: {e}"),
        unknown_field: None,
    })
}

/// Reads serde's "unknown field `x`, expected one of `a`, `b`" (or "expected `a`").
fn parse_unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let end = rest.find('`')?;
    let field = rest[..end].to_string();
    let expected = rest[end + 1..]
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some((field, expected))
}

/// The kinds a pipeline may use, as declared.
#[derive(Debug, Clone, Default)]
pub struct Kinds {
    kinds: Vec<KindEntry>,
}

impl Kinds {
    /// Adds `entry` (replacing a kind of the same name).
    pub fn add(&mut self, entry: KindEntry) {
        self.kinds.retain(|k| k.name != entry.name);
        self.kinds.push(entry);
    }

    /// Looks a kind up.
    pub fn get(&self, name: &str) -> Option<&KindEntry> {
        self.kinds.iter().find(|k| k.name == name)
    }

    /// Every kind, in registration order.
    pub fn kinds(&self) -> &[KindEntry] {
        &self.kinds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_serde_unknown_field_messages() {
        assert_eq!(
            parse_unknown_field(
                "unknown field `max_neigbors`, expected one of `max_neighbors`, `hops`"
            ),
            Some((
                "max_neigbors".into(),
                vec!["max_neighbors".into(), "hops".into()]
            ))
        );
        assert_eq!(
            parse_unknown_field("unknown field `x`, expected `y`"),
            Some(("x".into(), vec!["y".into()]))
        );
        assert_eq!(parse_unknown_field("invalid type: string"), None);
    }
}
