//! The JSON Schema of pipeline files, for editors (YAML language servers read JSON Schema).
//!
//! Each kind contributes the schema of its options struct (field docs become descriptions), so
//! the schema can never drift from what `bali validate` accepts.

use schemars::generate::SchemaSettings;
use serde_json::{json, Map, Value};

use crate::kind::Kinds;

/// The schema of a pipeline file accepted by `registry`.
pub fn pipeline_schema(registry: &Kinds) -> Value {
    let mut generator = SchemaSettings::draft07().into_generator();
    let mut variants = Vec::new();
    for kind in registry.kinds() {
        let options = kind.options_schema(&mut generator);
        let inputs: Vec<String> = kind
            .inputs
            .iter()
            .map(|d| {
                let types: Vec<&str> = d.accepts.iter().map(|t| t.name()).collect();
                format!(
                    "{}{}: {}",
                    d.role,
                    if d.optional { " (optional)" } else { "" },
                    types.join(" | ")
                )
            })
            .collect();
        let outputs: Vec<String> = kind
            .outputs
            .iter()
            .map(|o| format!("{} ({})", o.name, o.table))
            .collect();
        variants.push(json!({
            "title": kind.name,
            "description": format!("{}\n\ninputs: [{}]\noutputs: {}", kind.summary, inputs.join(", "), outputs.join(", ")),
            "type": "object",
            "additionalProperties": false,
            "required": ["kind"],
            "properties": {
                "kind": { "const": kind.name },
                "description": { "type": "string" },
                "inputs": {
                    "type": "array",
                    "items": { "type": "string" },
                    "maxItems": kind.inputs.len(),
                    "description": format!("Upstream stages, in order: {}", inputs.join(", ")),
                },
                "options": options.to_value(),
            }
        }));
    }
    let definitions: Map<String, Value> = generator.take_definitions(true).into_iter().collect();
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "bali pipeline",
        "type": "object",
        "additionalProperties": false,
        "required": ["pipeline", "stages"],
        "properties": {
            "pipeline": { "type": "string", "description": "Name of the pipeline" },
            "description": { "type": "string" },
            "workdir": { "type": "string", "description": "Checkpoint store (default out/<pipeline>); --workdir overrides" },
            "seed": { "type": "integer", "minimum": 0, "description": "Seed of every random choice (default 29)" },
            "stages": {
                "type": "object",
                "description": "Stage name -> stage",
                "propertyNames": { "pattern": "^[a-z][a-z0-9_]*$" },
                "additionalProperties": { "oneOf": variants },
            }
        },
        "definitions": definitions,
    })
}
