//! The pipeline YAML as a tree of values that remember where they came from.
//!
//! serde-saphyr parses the text; every node keeps its line and column so that any later check
//! (an unknown input, a cycle, a bad option value) can point at the exact spot. Typed options are
//! deserialised from this tree (through JSON values), not from the text, so that `--set`
//! overrides apply before typing.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

pub use crate::diagnostic::Loc;

/// Where a parsed value starts.
fn loc_of<T>(s: &Spanned<T>) -> Loc {
    Loc {
        line: s.referenced.line(),
        column: s.referenced.column(),
    }
}

/// A YAML value with its location.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where it starts.
    pub loc: Loc,
}

/// A mapping key with its location.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key text.
    pub name: String,
    /// Where it starts.
    pub loc: Loc,
}

/// A YAML value. Mappings keep their order and any duplicate keys (the spec reports them).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string (plain or quoted).
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in file order.
    Map(Vec<(Key, Node)>),
}

impl Value {
    /// What kind of value this is, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl Node {
    /// Converts to a JSON value for typed deserialisation.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Seq(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            Value::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// Follows a path of mapping keys and sequence indices (as serde_path_to_error prints
    /// them, e.g. `paths[1]` or `a.b`) and returns the deepest node found and, when the last
    /// segment is a key, that key's location.
    pub fn locate(&self, path: &str) -> Loc {
        let mut node = self;
        let mut loc = self.loc;
        for seg in split_path(path) {
            match (&node.value, seg) {
                (Value::Map(entries), PathSeg::Key(k)) => {
                    match entries.iter().find(|(key, _)| key.name == k) {
                        Some((key, value)) => {
                            loc = key.loc;
                            node = value;
                        }
                        None => return loc,
                    }
                }
                (Value::Seq(items), PathSeg::Index(i)) => match items.get(i) {
                    Some(item) => {
                        loc = item.loc;
                        node = item;
                    }
                    None => return loc,
                },
                _ => return loc,
            }
        }
        // Point at the value rather than the key when the value is a scalar.
        match node.value {
            Value::Map(_) | Value::Seq(_) => loc,
            _ => node.loc,
        }
    }

    /// The entries of a mapping, or `None`.
    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(e) => Some(e),
            _ => None,
        }
    }

    /// The string, or `None`.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

enum PathSeg<'a> {
    Key(&'a str),
    Index(usize),
}

fn split_path(path: &str) -> Vec<PathSeg<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty() && *p != "?") {
        // `name[2][0]` -> Key(name), Index(2), Index(0)
        let (head, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !head.is_empty() {
            out.push(PathSeg::Key(head));
        }
        while let Some(end) = rest.find(']') {
            if let Ok(i) = rest[1..end].parse() {
                out.push(PathSeg::Index(i));
            }
            rest = &rest[end + 1..];
        }
    }
    out
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

fn node(s: Spanned<Value>) -> Node {
    let loc = loc_of(&s);
    Node {
        value: s.value,
        loc,
    }
}

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Int)
            .map_err(|_| E::custom(format!("integer {v} is too large")))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Value>>()? {
            items.push(node(item));
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<Value>>()? {
            let key_loc = loc_of(&key);
            let name = match key.value {
                Value::Str(s) => s,
                Value::Int(i) => i.to_string(),
                Value::Bool(b) => b.to_string(),
                other => {
                    return Err(de::Error::custom(format!(
                        "mapping keys must be strings, found {}",
                        other.type_name()
                    )))
                }
            };
            let value = map.next_value::<Spanned<Value>>()?;
            entries.push((Key { name, loc: key_loc }, node(value)));
        }
        Ok(Value::Map(entries))
    }
}

/// A YAML syntax error: message and location.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    /// What went wrong.
    pub message: String,
    /// Where (0:0 when the parser could not tell).
    pub loc: Loc,
}

/// Parses YAML text into a located tree.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    // YAML 1.2 booleans only: `NO`, `y` or `on` stay strings (a language code `NO` must not
    // turn into `false`).
    let options = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::PassThrough,
        strict_booleans: true,
    };
    match serde_saphyr::from_str_with_options::<Spanned<Value>>(text, options) {
        Ok(v) => Ok(node(v)),
        Err(e) => {
            let loc = e
                .location()
                .map(|l| Loc {
                    line: l.line(),
                    column: l.column(),
                })
                .unwrap_or_default();
            let message = e.without_snippet().to_string();
            Err(SyntaxError { message, loc })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_locations_and_order() {
        let n = parse("a: 1\nb:\n  - x\n  - {c: true}\n").expect("valid yaml");
        let m = n.as_map().expect("map");
        assert_eq!(m[0].0.name, "a");
        assert_eq!(m[0].0.loc, Loc { line: 1, column: 1 });
        assert_eq!(m[1].0.loc.line, 2);
        // A scalar's location is the value's, not the key's.
        assert_eq!(n.locate("b[1].c"), Loc { line: 4, column: 9 });
        assert_eq!(n.locate("b[0]"), Loc { line: 3, column: 5 });
    }

    #[test]
    fn only_yaml_1_2_booleans() {
        let n = parse("a: [y, NO, on, true]").expect("valid yaml");
        assert_eq!(
            n.to_json(),
            serde_json::json!({"a": ["y", "NO", "on", true]})
        );
    }

    #[test]
    fn duplicate_keys_are_kept_for_the_spec_to_report() {
        let n = parse("a: 1\na: 2\n").expect("valid yaml");
        assert_eq!(n.as_map().map(|m| m.len()), Some(2));
    }

    #[test]
    fn syntax_errors_have_a_location() {
        let e = parse("a: [1, 2\nb: 3\n").expect_err("invalid");
        assert!(e.loc.line >= 1, "{e:?}");
    }
}
