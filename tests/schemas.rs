//! `schemas/<table>.json` describe every column of every table type (name, Arrow type,
//! nullability, meaning), generated from `src/tables/`. This test fails when a file and the
//! code disagree; `BALI_BLESS=1 cargo test --test schemas` rewrites the files.

use std::path::Path;

use arrow::datatypes::{DataType, Field};
use bali::tables::{TableType, DESCRIPTION_KEY};
use serde_json::{json, Value};

fn description(metadata: &std::collections::HashMap<String, String>) -> Value {
    metadata
        .get(DESCRIPTION_KEY)
        .map_or(Value::Null, |d| Value::String(d.clone()))
}

/// A column (or nested field) as JSON: nested lists and structs are spelled out.
fn field(field: &Field) -> Value {
    let mut value = json!({
        "name": field.name(),
        "type": type_name(field.data_type()),
        "nullable": field.is_nullable(),
        "description": description(field.metadata()),
    });
    match field.data_type() {
        DataType::List(item) | DataType::LargeList(item) => value["item"] = self::field(item),
        DataType::Struct(fields) => {
            value["fields"] = fields.iter().map(|f| self::field(f)).collect()
        }
        _ => {}
    }
    value
}

fn type_name(data_type: &DataType) -> String {
    match data_type {
        DataType::List(_) => "List".to_string(),
        DataType::LargeList(_) => "LargeList".to_string(),
        DataType::Struct(_) => "Struct".to_string(),
        other => other.to_string(),
    }
}

fn document(table: TableType) -> Value {
    let schema = table.schema();
    json!({
        "table": table.name(),
        "description": description(schema.metadata()),
        "columns": schema.fields().iter().map(|f| field(f)).collect::<Vec<_>>(),
    })
}

#[test]
fn schema_files_match_the_table_definitions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let bless = std::env::var_os("BALI_BLESS").is_some();
    let mut stale = Vec::new();
    for &table in TableType::ALL {
        let path = dir.join(format!("{}.json", table.name()));
        let expected = serde_json::to_string_pretty(&document(table)).unwrap() + "\n";
        let found = std::fs::read_to_string(&path).unwrap_or_default();
        if found == expected {
            continue;
        }
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, expected).unwrap();
        } else {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "schema files differ from src/tables (rewrite them with `BALI_BLESS=1 cargo test --test schemas`): {stale:?}"
    );
}
