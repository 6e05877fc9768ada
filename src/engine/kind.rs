//! The registry of stage kinds: one entry per [`StageKind`], erased to plain data and function
//! pointers so the spec can parse options, check inputs and emit the JSON Schema without
//! knowing the concrete types.

use schemars::{Schema, SchemaGenerator};

use super::stage::{BuildContext, InputDecl, OutputDecl, Stage, StageKind};
use crate::error::Result;

type Builder = Box<dyn FnOnce(&BuildContext) -> Result<Box<dyn Stage>> + Send>;

/// Options parsed and checked, ready to build a stage.
pub struct ParsedOptions {
    /// The options as the kind understood them, every default filled in (canonical JSON).
    pub canonical: serde_json::Value,
    builder: Builder,
}

impl ParsedOptions {
    /// Builds the runtime stage.
    pub fn build(self, ctx: &BuildContext) -> Result<Box<dyn Stage>> {
        (self.builder)(ctx)
    }
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

/// A registered kind.
#[derive(Clone)]
pub struct KindEntry {
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
    parse: fn(serde_json::Value) -> Result<ParsedOptions, OptionsError>,
    schema: fn(&mut SchemaGenerator) -> Schema,
}

impl std::fmt::Debug for KindEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KindEntry")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl KindEntry {
    /// The entry of kind `K`.
    pub fn of<K: StageKind>() -> KindEntry {
        KindEntry {
            name: K::NAME,
            summary: K::SUMMARY,
            format_version: K::FORMAT_VERSION,
            inputs: K::INPUTS,
            outputs: K::OUTPUTS,
            unfingerprinted: K::UNFINGERPRINTED_OPTIONS,
            example: K::EXAMPLE,
            parse: parse_options::<K>,
            schema: |g| g.subschema_for::<K::Options>(),
        }
    }

    /// Parses and checks options (`null` means all defaults).
    pub fn parse(&self, options: serde_json::Value) -> Result<ParsedOptions, OptionsError> {
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

fn parse_options<K: StageKind>(value: serde_json::Value) -> Result<ParsedOptions, OptionsError> {
    let value = if value.is_null() {
        serde_json::Value::Object(Default::default())
    } else {
        value
    };
    let options: K::Options = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let unknown_field = parse_unknown_field(&message);
        OptionsError {
            path,
            message,
            unknown_field,
        }
    })?;
    let canonical = serde_json::to_value(&options).map_err(|e| OptionsError {
        path: String::new(),
        message: format!("options could not be serialised: {e}"),
        unknown_field: None,
    })?;
    Ok(ParsedOptions {
        canonical,
        builder: Box::new(move |ctx| K::build(options, ctx)),
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

/// The kinds a pipeline may use.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    kinds: Vec<KindEntry>,
}

impl Registry {
    /// A registry with no kinds.
    pub fn empty() -> Registry {
        Registry::default()
    }

    /// Adds kind `K` (replacing one of the same name).
    pub fn register<K: StageKind>(&mut self) -> &mut Self {
        self.kinds.retain(|k| k.name != K::NAME);
        self.kinds.push(KindEntry::of::<K>());
        self
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
