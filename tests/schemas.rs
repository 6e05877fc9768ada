//! `schemas/<table>.json` describe every table type's columns (name, Arrow type, nullability,
//! meaning) for readers outside the code. They are generated from `bali::tables`; this test
//! fails when a file and the code disagree. After changing a table on purpose, rewrite them:
//!
//!     BALI_BLESS=1 cargo test --test schemas

use std::path::Path;

use arrow::datatypes::{DataType, Field};
use bali::tables::{TableType, DESCRIPTION_KEY};
use serde_json::{json, Map, Value};

/// One column (or nested field) as JSON.
fn field(f: &Field) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), json!(f.name()));
    let kind = match f.data_type() {
        DataType::List(item) => {
            out.insert("item".into(), field(item));
            "List".to_string()
        }
        DataType::Struct(fields) => {
            out.insert("fields".into(), fields.iter().map(|f| field(f)).collect());
            "Struct".to_string()
        }
        other => other.to_string(),
    };
    out.insert("type".into(), json!(kind));
    out.insert("nullable".into(), json!(f.is_nullable()));
    if let Some(d) = f.metadata().get(DESCRIPTION_KEY) {
        out.insert("description".into(), json!(d));
    }
    Value::Object(out)
}

fn document(table: TableType) -> String {
    let schema = table.schema();
    let doc = json!({
        "table": table.name(),
        "description": table.description(),
        "columns": schema.fields().iter().map(|f| field(f)).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&doc).unwrap() + "\n"
}

#[test]
fn schema_files_match_the_table_definitions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let bless = std::env::var_os("BALI_BLESS").is_some();
    let mut stale = Vec::new();
    for &table in TableType::ALL {
        let path = dir.join(format!("{}.json", table.name()));
        let expected = document(table);
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &expected).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(expected.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "these schema files differ from bali::tables (rewrite with BALI_BLESS=1 cargo test --test schemas): {stale:?}"
    );
}
