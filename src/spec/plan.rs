//! From YAML to a checked, resolved [`Checked`] pipeline: every kind, input and option checked
//! against what the kinds declare. Building the runtime stages is the engine's
//! (`engine::load`), which reports the problems found there in the same form.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::diagnostic::{did_you_mean, Diagnostic, Problems};
use super::overrides::Override;
use super::yaml::{self, Key, Loc, Node, Value};
use crate::error::{BaliError, Result};
use crate::kind::{InputDecl, KindEntry, Kinds};

/// The default seed (the reference implementation's).
pub const DEFAULT_SEED: u64 = 29;

/// A checked pipeline, stages in an order where every producer comes before its consumers.
#[derive(Debug)]
pub struct Checked {
    /// `pipeline:` name.
    pub name: String,
    /// The file it came from (as given).
    pub file: PathBuf,
    /// The file's text, to show problems found later against.
    pub text: String,
    /// The checkpoint store.
    pub workdir: PathBuf,
    /// The pipeline seed.
    pub seed: u64,
    /// Directory relative paths in options are resolved against.
    pub base_dir: PathBuf,
    /// Stages in topological order.
    pub stages: Vec<CheckedStage>,
}

impl Checked {
    /// The problems `diagnostics` of this file, as an error.
    pub fn problems(&self, diagnostics: Vec<Diagnostic>) -> BaliError {
        BaliError::Invalid(Box::new(Problems::new(
            self.file.display().to_string(),
            &self.text,
            diagnostics,
        )))
    }
}

/// One checked stage.
#[derive(Debug, Clone)]
pub struct CheckedStage {
    /// Stage name (the YAML key).
    pub name: String,
    /// Its kind.
    pub kind: KindEntry,
    /// Inputs in declaration order; `None` for an optional input left out.
    pub inputs: Vec<Option<PlannedInput>>,
    /// Options with defaults filled in (canonical JSON).
    pub options: serde_json::Value,
    /// Where the stage is defined in the file.
    pub loc: Loc,
    /// Where its `options:` are (the stage itself when it has none).
    pub options_loc: Loc,
    /// Where each top-level option's key is, for problems found when the stage is built.
    pub option_keys: Vec<(String, Loc)>,
}

impl CheckedStage {
    /// Where option `option`'s key is, or `options:` when it is not in the file.
    pub fn option_loc(&self, option: &str) -> Loc {
        self.option_keys
            .iter()
            .find(|(key, _)| key == option)
            .map_or(self.options_loc, |(_, loc)| *loc)
    }
}

/// One resolved input.
#[derive(Debug, Clone)]
pub struct PlannedInput {
    /// What the kind declared.
    pub decl: InputDecl,
    /// Index of the producing stage in the plan's stages.
    pub producer: usize,
    /// Index of the producer's output.
    pub output: usize,
    /// As written: `sentences` or `articles.deletions`.
    pub label: String,
}

/// What `load` needs besides the file.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--workdir`: replaces `workdir:` from the file.
    pub workdir: Option<PathBuf>,
    /// `--set` arguments, as given.
    pub overrides: Vec<String>,
    /// Directory relative paths are resolved against (default: the current directory).
    pub base_dir: Option<PathBuf>,
}

/// Reads, checks and resolves a pipeline file. Every problem found is reported at once, as a
/// [`BaliError::Invalid`] holding each with its line and column.
pub fn load(path: &Path, registry: &Kinds, opts: &LoadOptions) -> Result<Checked> {
    let text = std::fs::read(path).map_err(|e| {
        BaliError::Spec(format!(
            "error: cannot read pipeline file {}: {e}",
            path.display()
        ))
    })?;
    let text = String::from_utf8(text).map_err(|e| {
        BaliError::Spec(format!(
            "error: {} is not valid UTF-8 (byte {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })?;
    load_str(&text, path, registry, opts)
}

/// Like [`load`], from text already read; `path` is used for messages.
pub fn load_str(text: &str, path: &Path, registry: &Kinds, opts: &LoadOptions) -> Result<Checked> {
    let file = path.display().to_string();
    let fail = |diags: Vec<Diagnostic>| {
        BaliError::Invalid(Box::new(Problems::new(file.clone(), text, diags)))
    };
    let root = yaml::parse(text).map_err(|e| fail(vec![Diagnostic::at(e.loc, e.message)]))?;
    let mut diags = Vec::new();
    let overrides: Vec<Override> = opts
        .overrides
        .iter()
        .filter_map(|raw| match Override::parse(raw) {
            Ok(o) => Some(o),
            Err(d) => {
                diags.push(d);
                None
            }
        })
        .collect();
    let checked = check(&root, registry, &overrides, &mut diags);
    if !diags.is_empty() {
        return Err(fail(diags));
    }
    let Some(raw) = checked else {
        return Err(BaliError::Internal(
            "spec check failed without diagnostics".into(),
        ));
    };
    let base_dir = match &opts.base_dir {
        Some(d) => d.clone(),
        None => std::env::current_dir().map_err(|e| BaliError::io(".", e))?,
    };
    let workdir = opts
        .workdir
        .clone()
        .unwrap_or_else(|| PathBuf::from(raw.workdir.clone()));
    // A URL (`s3://bucket/runs/x`) names the same place from anywhere.
    let workdir =
        if workdir.is_absolute() || crate::store::remote::is_url(&workdir.to_string_lossy()) {
            workdir
        } else {
            base_dir.join(workdir)
        };
    Ok(Checked {
        name: raw.name,
        file: path.to_path_buf(),
        text: text.to_string(),
        workdir,
        seed: raw.seed,
        base_dir,
        stages: raw.stages,
    })
}

struct RawPlan {
    name: String,
    workdir: String,
    seed: u64,
    stages: Vec<CheckedStage>,
}

const TOP_KEYS: &[&str] = &["pipeline", "description", "workdir", "seed", "stages"];
const STAGE_KEYS: &[&str] = &["kind", "inputs", "options", "description"];

fn unknown_key(key: &Key, allowed: &[&str], what: &str) -> Diagnostic {
    Diagnostic::at(key.loc, format!("unknown key `{}` in {what}", key.name)).maybe_hint(
        did_you_mean(&key.name, allowed.iter().copied())
            .or_else(|| Some(format!("expected one of: {}", allowed.join(", ")))),
    )
}

/// Checks everything; returns the raw plan only when no diagnostic was added.
fn check(
    root: &Node,
    registry: &Kinds,
    overrides: &[Override],
    diags: &mut Vec<Diagnostic>,
) -> Option<RawPlan> {
    let Some(top) = root.as_map() else {
        diags.push(Diagnostic::at(
            root.loc,
            format!(
                "a pipeline file is a mapping (pipeline:, stages:, ...), found {}",
                root.value.type_name()
            ),
        ));
        return None;
    };
    let mut seen: HashMap<&str, Loc> = HashMap::new();
    let (mut name, mut workdir, mut seed, mut stages_node) = (None, None, DEFAULT_SEED, None);
    for (key, value) in top {
        if let Some(first) = seen.insert(&key.name, key.loc) {
            diags.push(
                Diagnostic::at(key.loc, format!("duplicate key `{}`", key.name))
                    .hint(format!("first defined at line {}", first.line)),
            );
            continue;
        }
        match key.name.as_str() {
            "pipeline" => match value.as_str() {
                Some(s) if valid_name(s) => name = Some(s.to_string()),
                _ => diags.push(
                    Diagnostic::at(
                        value.loc,
                        "`pipeline` must be a name of letters, digits, `_` or `-`",
                    )
                    .hint("e.g. pipeline: sample"),
                ),
            },
            "description" => {}
            "workdir" => match value.as_str() {
                Some(s) => workdir = Some(s.to_string()),
                None => diags.push(Diagnostic::at(
                    value.loc,
                    format!(
                        "`workdir` must be a path, found {}",
                        value.value.type_name()
                    ),
                )),
            },
            "seed" => match value.value {
                Value::Int(i) if i >= 0 => seed = i as u64,
                _ => diags.push(Diagnostic::at(
                    value.loc,
                    format!(
                        "`seed` must be a non-negative integer, found {}",
                        value.value.type_name()
                    ),
                )),
            },
            "stages" => stages_node = Some(value),
            _ => diags.push(unknown_key(key, TOP_KEYS, "the pipeline")),
        }
    }
    if name.is_none() && !seen.contains_key("pipeline") {
        diags.push(
            Diagnostic::at(root.loc, "missing `pipeline:` (the pipeline's name)")
                .hint("add e.g. `pipeline: sample`"),
        );
    }
    let Some(stages_node) = stages_node else {
        diags.push(
            Diagnostic::at(root.loc, "missing `stages:`")
                .hint("a pipeline needs at least one stage"),
        );
        return None;
    };
    let Some(stage_entries) = stages_node.as_map() else {
        diags.push(Diagnostic::at(
            stages_node.loc,
            format!(
                "`stages` must be a mapping of stage name to stage, found {}",
                stages_node.value.type_name()
            ),
        ));
        return None;
    };
    if stage_entries.is_empty() {
        diags.push(Diagnostic::at(stages_node.loc, "`stages` is empty"));
    }

    // Pass 1: names, kinds and options of every stage.
    struct Pending<'a> {
        name: &'a Key,
        kind: Option<KindEntry>,
        inputs: Vec<(String, Loc)>,
        inputs_loc: Loc,
        canonical: Option<serde_json::Value>,
        options_loc: Loc,
        option_keys: Vec<(String, Loc)>,
    }
    /// The producer and output index an input label (`stage` or `stage.output`) names, or
    /// `None` after reporting a stage that does not exist or an output its kind lacks. A
    /// producer of unknown kind resolves to its first output, unchecked.
    fn producer_output(
        label: &str,
        loc: Loc,
        consumer: &str,
        by_name: &BTreeMap<&str, usize>,
        pending: &[Pending<'_>],
        diags: &mut Vec<Diagnostic>,
    ) -> Option<(usize, usize)> {
        let (stage_name, output_name) = match label.split_once('.') {
            Some((s, o)) => (s, Some(o)),
            None => (label, None),
        };
        let Some(&producer) = by_name.get(stage_name) else {
            diags.push(
                Diagnostic::at(
                    loc,
                    format!("input `{label}` of stage `{consumer}` is not a stage"),
                )
                .maybe_hint(
                    did_you_mean(stage_name, by_name.keys().copied()).or_else(|| {
                        Some(format!(
                            "stages: {}",
                            by_name.keys().copied().collect::<Vec<_>>().join(", ")
                        ))
                    }),
                ),
            );
            return None;
        };
        let (Some(pkind), Some(o)) = (&pending[producer].kind, output_name) else {
            return Some((producer, 0));
        };
        match pkind.output_index(o) {
            Some(i) => Some((producer, i)),
            None => {
                let outputs: Vec<&str> = pkind.outputs.iter().map(|x| x.name).collect();
                diags.push(
                    Diagnostic::at(
                        loc,
                        format!("stage `{stage_name}` ({}) has no output `{o}`", pkind.name),
                    )
                    .maybe_hint(
                        did_you_mean(o, outputs.iter().copied())
                            .or_else(|| Some(format!("its outputs: {}", outputs.join(", ")))),
                    ),
                );
                None
            }
        }
    }
    let mut pending: Vec<Pending<'_>> = Vec::new();
    let mut by_name: BTreeMap<&str, usize> = BTreeMap::new();
    for (key, stage) in stage_entries {
        if let Some(&first) = by_name.get(key.name.as_str()) {
            diags.push(
                Diagnostic::at(key.loc, format!("duplicate stage `{}`", key.name)).hint(format!(
                    "first defined at line {}; stage names must be unique",
                    pending[first].name.loc.line
                )),
            );
            continue;
        }
        if !valid_stage_name(&key.name) {
            diags.push(
                Diagnostic::at(key.loc, format!("invalid stage name `{}`", key.name))
                    .hint("stage names are folder and SQL table names: lowercase letters, digits and `_`, starting with a letter"),
            );
        }
        by_name.insert(&key.name, pending.len());
        let mut p = Pending {
            name: key,
            kind: None,
            inputs: Vec::new(),
            inputs_loc: stage.loc,
            canonical: None,
            options_loc: stage.loc,
            option_keys: Vec::new(),
        };
        let Some(fields) = stage.as_map() else {
            diags.push(Diagnostic::at(
                stage.loc,
                format!(
                    "stage `{}` must be a mapping with `kind:`, found {}",
                    key.name,
                    stage.value.type_name()
                ),
            ));
            pending.push(p);
            continue;
        };
        let mut options_node = Node {
            value: Value::Null,
            loc: stage.loc,
        };
        let mut kind_seen = false;
        for (fk, fv) in fields {
            match fk.name.as_str() {
                "kind" => {
                    kind_seen = true;
                    match fv.as_str() {
                        Some(k) => match registry.get(k) {
                            Some(entry) => p.kind = Some(entry.clone()),
                            None => diags.push(
                                Diagnostic::at(fv.loc, format!("unknown stage kind `{k}`"))
                                    .maybe_hint(
                                        did_you_mean(k, registry.kinds().iter().map(|e| e.name))
                                            .or_else(|| {
                                                Some(format!(
                                                    "known kinds: {}",
                                                    registry
                                                        .kinds()
                                                        .iter()
                                                        .map(|e| e.name)
                                                        .collect::<Vec<_>>()
                                                        .join(", ")
                                                ))
                                            }),
                                    ),
                            ),
                        },
                        None => diags.push(Diagnostic::at(fv.loc, "`kind` must be a string")),
                    }
                }
                "inputs" => {
                    p.inputs_loc = fv.loc;
                    match &fv.value {
                        Value::Seq(items) => {
                            for item in items {
                                match item.as_str() {
                                    Some(s) => p.inputs.push((s.to_string(), item.loc)),
                                    None => diags.push(Diagnostic::at(
                                        item.loc,
                                        "an input is a stage name (or `stage.output`)",
                                    )),
                                }
                            }
                        }
                        Value::Str(s) => p.inputs.push((s.clone(), fv.loc)),
                        _ => diags.push(Diagnostic::at(
                            fv.loc,
                            "`inputs` must be a list of stage names",
                        )),
                    }
                }
                "options" => {
                    p.options_loc = fv.loc;
                    options_node = fv.clone();
                }
                "description" => {}
                _ => diags.push(unknown_key(
                    fk,
                    STAGE_KEYS,
                    &format!("stage `{}`", key.name),
                )),
            }
        }
        if !kind_seen {
            diags.push(
                Diagnostic::at(key.loc, format!("stage `{}` has no `kind:`", key.name)).hint(
                    format!(
                        "known kinds: {}",
                        registry
                            .kinds()
                            .iter()
                            .map(|e| e.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            );
        }
        if let Some(duplicate) = duplicate_key(&options_node) {
            diags.push(Diagnostic::at(
                duplicate.loc,
                format!("duplicate option `{}`", duplicate.name),
            ));
        }
        for o in overrides.iter().filter(|o| o.stage == key.name) {
            o.apply(&mut options_node);
        }
        if let Some(options) = options_node.as_map() {
            p.option_keys = options
                .iter()
                .map(|(k, _)| (k.name.clone(), k.loc))
                .collect();
        }
        if let Some(kind) = &p.kind {
            match kind.parse(options_node.to_json()) {
                Ok(canonical) => p.canonical = Some(canonical),
                Err(e) => {
                    let from_override = overrides.iter().find(|o| {
                        o.stage == key.name
                            && (e.path.starts_with(&o.path.join("."))
                                || e.unknown_field
                                    .as_ref()
                                    .is_some_and(|(f, _)| o.path.first() == Some(f)))
                    });
                    let loc = match &e.unknown_field {
                        Some((field, _)) => {
                            find_key(&options_node, &e.path, field).unwrap_or(options_node.loc)
                        }
                        None => options_node.locate(&e.path),
                    };
                    let message = match &e.unknown_field {
                        Some((field, _)) => {
                            format!("unknown option `{field}` for kind `{}`", kind.name)
                        }
                        None if e.path.is_empty() || e.path == "." => {
                            format!("invalid options for kind `{}`: {}", kind.name, e.message)
                        }
                        None => format!(
                            "invalid option `{}` for kind `{}`: {}",
                            e.path, kind.name, e.message
                        ),
                    };
                    let hint = match &e.unknown_field {
                        Some((field, expected)) => {
                            did_you_mean(field, expected.iter().map(String::as_str)).or_else(|| {
                                Some(format!(
                                    "options of `{}`: {}",
                                    kind.name,
                                    expected.join(", ")
                                ))
                            })
                        }
                        None => Some(format!("see `bali kinds {}` for its options", kind.name)),
                    };
                    let mut d = Diagnostic::at(loc, message).maybe_hint(hint);
                    if let Some(o) = from_override {
                        d.origin = Some(o.raw.clone());
                    }
                    diags.push(d);
                }
            }
        }
        pending.push(p);
    }
    for o in overrides {
        if !by_name.contains_key(o.stage.as_str()) {
            diags.push(Diagnostic {
                loc: Loc::default(),
                message: format!("--set names unknown stage `{}`", o.stage),
                hint: did_you_mean(&o.stage, by_name.keys().copied()),
                origin: Some(o.raw.clone()),
            });
        }
    }

    // Pass 2: inputs (existence, outputs, arity, types).
    let mut resolved: Vec<Vec<Option<PlannedInput>>> = Vec::with_capacity(pending.len());
    for p in &pending {
        let mut ins: Vec<Option<PlannedInput>> = Vec::new();
        let Some(kind) = &p.kind else {
            // The kind is unknown (already reported): its inputs' names are still checked, so
            // that one mistake does not hide another on the same line.
            for (label, loc) in &p.inputs {
                let _ = producer_output(label, *loc, &p.name.name, &by_name, &pending, diags);
            }
            resolved.push(ins);
            continue;
        };
        let required = kind.inputs.iter().filter(|d| !d.optional).count();
        if p.inputs.len() > kind.inputs.len() {
            let (_, loc) = &p.inputs[kind.inputs.len()];
            diags.push(
                Diagnostic::at(
                    *loc,
                    format!(
                        "stage `{}` ({}) takes {} input(s) but {} are given",
                        p.name.name,
                        kind.name,
                        kind.inputs.len(),
                        p.inputs.len()
                    ),
                )
                .hint(describe_inputs(kind)),
            );
        } else if p.inputs.len() < required {
            diags.push(
                Diagnostic::at(
                    p.inputs_loc,
                    format!(
                        "stage `{}` ({}) needs {} input(s) but {} are given",
                        p.name.name,
                        kind.name,
                        required,
                        p.inputs.len()
                    ),
                )
                .hint(describe_inputs(kind)),
            );
        }
        for (i, decl) in kind.inputs.iter().enumerate() {
            let Some((label, loc)) = p.inputs.get(i) else {
                ins.push(None);
                continue;
            };
            let Some((producer, output)) =
                producer_output(label, *loc, &p.name.name, &by_name, &pending, diags)
            else {
                ins.push(None);
                continue;
            };
            let Some(pkind) = &pending[producer].kind else {
                ins.push(None);
                continue;
            };
            let stage_name = pending[producer].name.name.as_str();
            let table = pkind.outputs[output].table;
            if !decl.accepts.contains(&table) {
                let accepts: Vec<String> = decl.accepts.iter().map(|t| t.to_string()).collect();
                let alternative = pkind
                    .outputs
                    .iter()
                    .find(|o| decl.accepts.contains(&o.table))
                    .map(|o| format!("use `{stage_name}.{}`", o.name));
                diags.push(
                    Diagnostic::at(
                        *loc,
                        format!(
                            "input {} (`{}`) of stage `{}` expects {}, but `{label}` is {}",
                            i + 1,
                            decl.role,
                            p.name.name,
                            accepts.join(" or "),
                            table
                        ),
                    )
                    .maybe_hint(alternative.or_else(|| Some(describe_inputs(kind)))),
                );
                ins.push(None);
                continue;
            }
            ins.push(Some(PlannedInput {
                decl: *decl,
                producer,
                output,
                label: label.clone(),
            }));
        }
        resolved.push(ins);
    }

    // Pass 3: cycles, then a topological order (stable: file order among ready stages).
    let n = pending.len();
    let mut indegree = vec![0usize; n];
    let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (c, ins) in resolved.iter().enumerate() {
        for inp in ins.iter().flatten() {
            indegree[c] += 1;
            consumers[inp.producer].push(c);
        }
    }
    let mut order = Vec::with_capacity(n);
    let mut ready: std::collections::BTreeSet<usize> =
        (0..n).filter(|&i| indegree[i] == 0).collect();
    while let Some(&i) = ready.iter().next() {
        ready.remove(&i);
        order.push(i);
        for &c in &consumers[i] {
            indegree[c] -= 1;
            if indegree[c] == 0 {
                ready.insert(c);
            }
        }
    }
    if order.len() < n {
        if let Some(cycle) = find_cycle(&resolved, &indegree) {
            let names: Vec<&str> = cycle
                .iter()
                .map(|&i| pending[i].name.name.as_str())
                .collect();
            let first = cycle[0];
            let loc = pending[first].inputs_loc;
            diags.push(
                Diagnostic::at(
                    loc,
                    format!(
                        "the stages form a cycle: {} -> {}",
                        names.join(" -> "),
                        names[0]
                    ),
                )
                .hint("a stage cannot depend on its own output, directly or through others"),
            );
        }
    }
    if !diags.is_empty() {
        return None;
    }
    let name = name?;
    let workdir = workdir.unwrap_or_else(|| format!("out/{name}"));
    // Renumber producers into topological positions.
    let mut position = vec![0usize; n];
    for (pos, &i) in order.iter().enumerate() {
        position[i] = pos;
    }
    let mut slots: Vec<Option<(Pending<'_>, Vec<Option<PlannedInput>>)>> =
        pending.into_iter().zip(resolved).map(Some).collect();
    let mut stages = Vec::with_capacity(n);
    for &i in &order {
        let (p, mut ins) = slots[i].take()?;
        for inp in ins.iter_mut().flatten() {
            inp.producer = position[inp.producer];
        }
        stages.push(CheckedStage {
            name: p.name.name.clone(),
            kind: p.kind?,
            inputs: ins,
            options: p.canonical?,
            loc: p.name.loc,
            options_loc: p.options_loc,
            option_keys: p.option_keys,
        });
    }
    Some(RawPlan {
        name,
        workdir,
        seed,
        stages,
    })
}

fn describe_inputs(kind: &KindEntry) -> String {
    let parts: Vec<String> = kind
        .inputs
        .iter()
        .map(|d| {
            let types: Vec<&str> = d.accepts.iter().map(|t| t.name()).collect();
            format!(
                "{}{} ({})",
                d.role,
                if d.optional { "?" } else { "" },
                types.join("|")
            )
        })
        .collect();
    format!("`{}` takes inputs: [{}]", kind.name, parts.join(", "))
}

fn find_cycle(inputs: &[Vec<Option<PlannedInput>>], indegree: &[usize]) -> Option<Vec<usize>> {
    // Walk producer edges among the stages left with a positive in-degree: one must repeat.
    let start = indegree.iter().position(|&d| d > 0)?;
    let mut path = vec![start];
    let mut current = start;
    loop {
        let next = inputs[current]
            .iter()
            .flatten()
            .map(|i| i.producer)
            .find(|&p| indegree[p] > 0)?;
        if let Some(pos) = path.iter().position(|&s| s == next) {
            let mut cycle: Vec<usize> = path[pos..].to_vec();
            cycle.reverse();
            return Some(cycle);
        }
        path.push(next);
        current = next;
    }
}

fn duplicate_key(node: &Node) -> Option<&Key> {
    let entries = node.as_map()?;
    let mut seen = std::collections::HashSet::new();
    entries
        .iter()
        .map(|(k, _)| k)
        .find(|k| !seen.insert(k.name.as_str()))
}

/// Location of key `field` in the mapping at `path` (serde_path_to_error reports the path of
/// the unknown field itself, or of the mapping that holds it, with `?` for unknown segments).
fn find_key(options: &Node, path: &str, field: &str) -> Option<Loc> {
    let mut segments: Vec<&str> = path
        .split('.')
        .filter(|s| !s.is_empty() && *s != "?")
        .collect();
    if segments.last() == Some(&field) {
        segments.pop();
    }
    let mut node = options;
    for seg in segments {
        let (name, _) = seg.split_once('[').unwrap_or((seg, ""));
        node = node
            .as_map()?
            .iter()
            .find(|(k, _)| k.name == name)
            .map(|(_, v)| v)?;
    }
    node.as_map()?
        .iter()
        .find(|(k, _)| k.name == field)
        .map(|(k, _)| k.loc)
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn valid_stage_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
