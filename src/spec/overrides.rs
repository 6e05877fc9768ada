//! `--set stage.option=value`: command-line changes to stage options, applied to the tree
//! before options are typed, so they are validated exactly like the file.

use super::diagnostic::Diagnostic;
use super::yaml::{self, Key, Loc, Node, Value};

/// One `--set` argument.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The argument as given.
    pub raw: String,
    /// Stage name.
    pub stage: String,
    /// Option path inside `options` (dotted for nested mappings).
    pub path: Vec<String>,
    /// The value, parsed as YAML (`3` is an integer, `[a, b]` a list, `"3"` a string).
    pub value: Node,
}

impl Override {
    /// Parses `stage.option=value` (or `stage.a.b=value`).
    pub fn parse(raw: &str) -> Result<Override, Diagnostic> {
        let bad = |msg: &str| Diagnostic {
            loc: Loc::default(),
            message: msg.to_string(),
            hint: Some("write --set STAGE.OPTION=VALUE, e.g. --set train.steps=10".into()),
            origin: Some(raw.to_string()),
        };
        let (lhs, rhs) = raw.split_once('=').ok_or_else(|| bad("missing `=`"))?;
        let mut parts = lhs.trim().split('.').map(str::to_string);
        let stage = parts
            .next()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| bad("missing stage name"))?;
        let path: Vec<String> = parts.collect();
        if path.is_empty() || path.iter().any(String::is_empty) {
            return Err(bad("missing option name after the stage name"));
        }
        let value = match yaml::parse(rhs.trim()) {
            Ok(node) => node,
            Err(e) => return Err(bad(&format!("value is not valid YAML: {}", e.message))),
        };
        // Locations inside an override mean nothing in the file.
        let value = strip_locations(value);
        Ok(Override {
            raw: raw.to_string(),
            stage,
            path,
            value,
        })
    }

    /// Sets the value inside a stage's `options` node, creating mappings as needed.
    pub fn apply(&self, options: &mut Node) {
        let mut node = options;
        for (i, seg) in self.path.iter().enumerate() {
            if !matches!(node.value, Value::Map(_)) {
                node.value = Value::Map(Vec::new());
            }
            let Value::Map(entries) = &mut node.value else {
                return;
            };
            let last = i + 1 == self.path.len();
            let pos = match entries.iter().position(|(k, _)| &k.name == seg) {
                Some(p) => p,
                None => {
                    entries.push((
                        Key {
                            name: seg.clone(),
                            loc: Loc::default(),
                        },
                        Node {
                            value: Value::Map(Vec::new()),
                            loc: Loc::default(),
                        },
                    ));
                    entries.len() - 1
                }
            };
            if last {
                entries[pos].1 = self.value.clone();
                return;
            }
            node = &mut entries[pos].1;
        }
    }
}

fn strip_locations(mut node: Node) -> Node {
    node.loc = Loc::default();
    node.value = match node.value {
        Value::Seq(items) => Value::Seq(items.into_iter().map(strip_locations).collect()),
        Value::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(mut k, v)| {
                    k.loc = Loc::default();
                    (k, strip_locations(v))
                })
                .collect(),
        ),
        other => other,
    };
    node
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_typed_values_and_nested_paths() {
        let o = Override::parse("train.steps=10").expect("valid");
        assert_eq!(o.stage, "train");
        assert_eq!(o.path, vec!["steps"]);
        assert_eq!(o.value.value, Value::Int(10));
        let o = Override::parse("a.b.c=[x, y]").expect("valid");
        assert_eq!(o.path, vec!["b", "c"]);
        let mut opts = yaml::parse("b: {d: 1}").expect("yaml");
        o.apply(&mut opts);
        assert_eq!(
            opts.to_json(),
            serde_json::json!({"b": {"d": 1, "c": ["x", "y"]}})
        );
    }

    #[test]
    fn rejects_malformed_arguments() {
        for bad in ["train", "train=3", ".steps=3", "train.=3"] {
            let e = Override::parse(bad).expect_err(bad);
            assert_eq!(e.origin.as_deref(), Some(bad));
        }
    }
}
