//! The OBO reader: an OBO 1.4 flat file (HPO, GO, MONDO, DOID...) into the same `concepts`,
//! `relations` and `semantic_types` tables the UMLS readers produce, so a pipeline can run
//! on an open ontology instead of a licensed UMLS.
//!
//! Mapping, per `[Term]` stanza (obsolete terms are skipped whole):
//! - `id` is both the concept identifier (`cui`) and its `code`;
//! - `name` is a `PT` row marked preferred; each `synonym` is an `SY` row with its scope
//!   (EXACT, BROAD, NARROW, RELATED) kept; the OBO 1.0 forms (`exact_synonym`...) are read too;
//!   duplicate (term, name) pairs are dropped (ontologies are small, so this is exact over
//!   the whole file);
//! - `is_a: P` gives two relations, as MRREL lists a hierarchy: (P, CHD, term, `isa`) and
//!   (term, PAR, P, `inverse_isa`), REL being the relationship of `cui2` to `cui1`;
//! - `relationship: T X` gives (X, RO, term, T) and (term, RO, X, `inverse_T`);
//! - the term's `namespace` (else the header's `default-namespace`, else the ontology name)
//!   is its semantic type.
//!
//! Values follow the OBO 1.4 syntax: `!` starts a comment, `{...}` at the end holds
//! modifiers, quoted strings use backslash escapes.

use std::collections::HashSet;
use std::io::BufRead;
use std::path::Path;
use std::sync::atomic::AtomicU64;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{BaliError, Result};
use crate::sources::input::with_decoded;
use crate::sources::policy::{file_name, Location, Rejects};
use crate::sources::vocab::{
    ConceptRow, ConceptsBuilder, RelationsBuilder, SemanticTypesBuilder, TableBuilder,
};
use crate::sources::{default_batch_size, Emit, ErrorPolicy, ReadStats};

fn default_language() -> String {
    "ENG".to_string()
}

/// Options of the `obo` stage kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OboOptions {
    /// The OBO file (plain or gzip), relative to the current directory.
    pub path: String,
    /// Source vocabulary name for the `sab` columns; default: the header's `ontology` tag in
    /// upper case without `.obo` (HP for `ontology: hp`).
    #[serde(default)]
    pub sab: Option<String>,
    /// Language recorded for every name (OBO names carry none).
    #[serde(default = "default_language")]
    pub language: String,
    /// What to do with a line or stanza that cannot be read: `fail`, `skip` or `quarantine`.
    #[serde(default)]
    pub on_error: ErrorPolicy,
    /// Rows per output batch.
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
}

impl OboOptions {
    /// Options for the file at `path` with every default.
    pub fn new(path: impl Into<String>) -> Self {
        OboOptions {
            path: path.into(),
            sab: None,
            language: default_language(),
            on_error: ErrorPolicy::default(),
            batch_size: default_batch_size(),
        }
    }
}

/// What kind of stanza lines belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Header,
    Term,
    /// `[Typedef]`, `[Instance]` or anything else: read past.
    Other,
}

/// A `[Term]` stanza being read.
#[derive(Debug, Default)]
struct Term {
    /// Line of the `[Term]` header.
    line: u64,
    /// Byte offset of the `[Term]` header.
    offset: u64,
    id: Option<String>,
    name: Option<(String, u64)>,
    /// Text, scope, line.
    synonyms: Vec<(String, &'static str, u64)>,
    /// Parent, line.
    parents: Vec<(String, u64)>,
    /// Type, target, line.
    relationships: Vec<(String, String, u64)>,
    namespace: Option<String>,
    obsolete: bool,
    /// The stanza's lines, for quarantine.
    raw: Vec<u8>,
}

/// Reads one OBO file into `concepts`, `relations` and `semantic_types` batches.
///
/// `read` counts `[Term]` stanzas; obsolete terms count as `filtered`, as do duplicate names.
pub fn read_obo(
    path: &Path,
    options: &OboOptions,
    progress: &AtomicU64,
    emit: &mut Emit<'_>,
) -> Result<ReadStats> {
    let mut reader = OboReader::new(path, options);
    with_decoded(path, progress, |mut input| {
        let mut buf = Vec::with_capacity(1024);
        let mut number = 0u64;
        loop {
            let offset = input.offset();
            buf.clear();
            match input.read_until(b'\n', &mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    let Some(failure) = input.failure() else {
                        return Err(BaliError::io(path, e));
                    };
                    let reason = format!("the input stream broke at byte {offset} (truncated or corrupt gzip?): {failure}");
                    reader.rejects.reject(
                        Location::line(number + 1, offset),
                        &reason,
                        &buf,
                        emit,
                    )?;
                    // The stanza in progress is incomplete: drop it rather than guess.
                    reader.term = None;
                    return Ok(());
                }
            }
            number += 1;
            reader.line(&buf, number, offset, emit)?;
        }
        Ok(())
    })?;
    reader.finish(emit)
}

/// The state of one file.
struct OboReader<'a> {
    options: &'a OboOptions,
    batch_size: usize,
    rejects: Rejects<'a>,
    section: Section,
    term: Option<Term>,
    sab: Option<String>,
    default_namespace: Option<String>,
    ontology: Option<String>,
    seen: HashSet<(String, String)>,
    concepts: ConceptsBuilder,
    relations: RelationsBuilder,
    types: SemanticTypesBuilder,
    stats: ReadStats,
}

impl<'a> OboReader<'a> {
    fn new(path: &'a Path, options: &'a OboOptions) -> Self {
        let batch_size = options.batch_size.max(1);
        OboReader {
            options,
            batch_size,
            rejects: Rejects::new(options.on_error, path, batch_size),
            section: Section::Header,
            term: None,
            sab: options.sab.clone(),
            default_namespace: None,
            ontology: None,
            seen: HashSet::new(),
            concepts: ConceptsBuilder::new(file_name(path)),
            relations: RelationsBuilder::new(file_name(path)),
            types: SemanticTypesBuilder::new(file_name(path)),
            stats: ReadStats::default(),
        }
    }

    fn line(&mut self, raw: &[u8], number: u64, offset: u64, emit: &mut Emit<'_>) -> Result<()> {
        let content = raw.strip_suffix(b"\n").unwrap_or(raw);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        let text = match std::str::from_utf8(content) {
            Ok(text) => text.trim(),
            Err(e) => {
                let reason = format!(
                    "invalid UTF-8 at byte {}: {e}",
                    offset + e.valid_up_to() as u64
                );
                return self
                    .rejects
                    .reject(Location::line(number, offset), &reason, content, emit);
            }
        };
        if !text.starts_with('[') {
            if let Some(term) = &mut self.term {
                term.raw.extend_from_slice(raw);
            }
        }
        if text.is_empty() || text.starts_with('!') {
            return Ok(());
        }
        if text.starts_with('[') {
            self.end_stanza(emit)?;
            self.section = if text == "[Term]" {
                Section::Term
            } else {
                Section::Other
            };
            if self.section == Section::Term {
                self.stats.read += 1;
                self.term = Some(Term {
                    line: number,
                    offset,
                    raw: raw.to_vec(),
                    ..Term::default()
                });
            }
            return Ok(());
        }
        let Some((tag, value)) = text.split_once(':') else {
            let reason = "expected `tag: value`".to_string();
            return self
                .rejects
                .reject(Location::line(number, offset), &reason, content, emit);
        };
        let value = value.trim();
        match self.section {
            Section::Header => match tag {
                "ontology" => {
                    self.ontology = Some(first_token(value).trim_end_matches(".obo").to_string())
                }
                "default-namespace" => {
                    self.default_namespace = Some(first_token(value).to_string())
                }
                _ => {}
            },
            Section::Other => {}
            Section::Term => {
                let Some(term) = &mut self.term else {
                    return Ok(());
                };
                match tag {
                    "id" => term.id = Some(first_token(value).to_string()),
                    "name" => term.name = Some((unescape(strip_comment(value)), number)),
                    "namespace" => term.namespace = Some(first_token(value).to_string()),
                    "is_obsolete" => term.obsolete = first_token(value) == "true",
                    "is_a" => term.parents.push((first_token(value).to_string(), number)),
                    "relationship" => {
                        let mut tokens = strip_comment(value).split_whitespace();
                        match (tokens.next(), tokens.next()) {
                            (Some(kind), Some(target)) => {
                                term.relationships.push((
                                    kind.to_string(),
                                    target.to_string(),
                                    number,
                                ));
                            }
                            _ => {
                                let reason = "relationship needs a type and a target".to_string();
                                return self.rejects.reject(
                                    Location::line(number, offset),
                                    &reason,
                                    content,
                                    emit,
                                );
                            }
                        }
                    }
                    "synonym" | "exact_synonym" | "narrow_synonym" | "broad_synonym"
                    | "related_synonym" => match parse_synonym(tag, value) {
                        Ok((synonym, scope)) => term.synonyms.push((synonym, scope, number)),
                        Err(reason) => {
                            return self.rejects.reject(
                                Location::line(number, offset),
                                &reason,
                                content,
                                emit,
                            );
                        }
                    },
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Emits the rows of the finished `[Term]` stanza, if one is open.
    fn end_stanza(&mut self, emit: &mut Emit<'_>) -> Result<()> {
        let Some(term) = self.term.take() else {
            return Ok(());
        };
        let Some(id) = term.id.as_deref() else {
            let raw = term.raw.trim_ascii_end();
            let at = Location::line(term.line, term.offset);
            return self
                .rejects
                .reject(at, "a [Term] stanza without an id", raw, emit);
        };
        if term.obsolete {
            self.stats.filtered += 1;
            return Ok(());
        }
        let sab = self.sab.get_or_insert_with(|| {
            self.ontology
                .as_deref()
                .map_or_else(|| "OBO".to_string(), str::to_uppercase)
        });
        let language = self.options.language.as_str();
        let names = term
            .name
            .iter()
            .map(|(name, line)| (name.as_str(), None, *line));
        let synonyms = term
            .synonyms
            .iter()
            .map(|(name, scope, line)| (name.as_str(), Some(*scope), *line));
        for (name, scope, line) in names.chain(synonyms) {
            let name = name.trim();
            if name.is_empty() || !self.seen.insert((id.to_string(), name.to_string())) {
                self.stats.filtered += 1;
                continue;
            }
            self.concepts.push(&ConceptRow {
                cui: id,
                name,
                language,
                sab,
                tty: if scope.is_none() { "PT" } else { "SY" },
                code: Some(id),
                aui: None,
                is_preferred: scope.is_none(),
                suppress: None,
                scope,
                line,
            });
            self.stats.written += 1;
            self.concepts.flush_if_full(self.batch_size, emit)?;
        }
        let namespace = term
            .namespace
            .as_deref()
            .or(self.default_namespace.as_deref())
            .or(self.ontology.as_deref());
        if let Some(namespace) = namespace {
            self.types.push(id, namespace, None, namespace, term.line);
            self.stats.written += 1;
        }
        self.types.flush_if_full(self.batch_size, emit)?;
        let hierarchy = term.parents.iter().flat_map(|(parent, line)| {
            [
                (parent.as_str(), "CHD", id, "isa".to_string(), *line),
                (id, "PAR", parent.as_str(), "inverse_isa".to_string(), *line),
            ]
        });
        let others = term.relationships.iter().flat_map(|(kind, target, line)| {
            [
                (target.as_str(), "RO", id, kind.clone(), *line),
                (id, "RO", target.as_str(), format!("inverse_{kind}"), *line),
            ]
        });
        for (cui1, rel, cui2, rela, line) in hierarchy.chain(others) {
            self.relations.push(cui1, rel, cui2, Some(&rela), sab, line);
            self.stats.written += 1;
            self.relations.flush_if_full(self.batch_size, emit)?;
        }
        Ok(())
    }

    fn finish(mut self, emit: &mut Emit<'_>) -> Result<ReadStats> {
        self.end_stanza(emit)?;
        self.concepts.flush(emit)?;
        self.relations.flush(emit)?;
        self.types.flush(emit)?;
        self.rejects.flush(emit)?;
        self.stats.skipped = self.rejects.skipped();
        self.stats.quarantined = self.rejects.quarantined();
        Ok(self.stats)
    }
}

/// The first whitespace-separated token of an unquoted value (ids, flags).
fn first_token(value: &str) -> &str {
    value.split_whitespace().next().unwrap_or("")
}

/// An unquoted value without its trailing `! comment` and `{modifiers}` (escaped `\!` and
/// `\{` are text).
fn strip_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    let mut end = bytes.len();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'!' => {
                end = i;
                break;
            }
            _ => {}
        }
        i += 1;
    }
    let value = value[..end].trim_end();
    if value.ends_with('}') {
        let open = value
            .rfind('{')
            .filter(|&at| at == 0 || value.as_bytes()[at - 1] != b'\\');
        if let Some(open) = open {
            return value[..open].trim();
        }
    }
    value.trim()
}

/// Resolves OBO backslash escapes (`\n`, `\t`, `\"`, `\\`, `\!`...: an escaped character
/// stands for itself except n and t).
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('W') => out.push(' '),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// A synonym line's text and scope: `"text" SCOPE [TYPE] [xrefs]`; the OBO 1.0 tags carry
/// the scope in their name.
fn parse_synonym(tag: &str, value: &str) -> std::result::Result<(String, &'static str), String> {
    let rest = value
        .strip_prefix('"')
        .ok_or_else(|| format!("{tag} must start with a quoted string"))?;
    let mut text = String::new();
    let mut chars = rest.char_indices();
    let mut close = None;
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, 'n')) => text.push('\n'),
                Some((_, 't')) => text.push('\t'),
                Some((_, other)) => text.push(other),
                None => {}
            },
            '"' => {
                close = Some(i);
                break;
            }
            c => text.push(c),
        }
    }
    let close = close.ok_or_else(|| format!("{tag} text has no closing quote"))?;
    let scope = match tag {
        "exact_synonym" => "EXACT",
        "narrow_synonym" => "NARROW",
        "broad_synonym" => "BROAD",
        "related_synonym" => "RELATED",
        _ => match first_token(&rest[close + 1..]) {
            "EXACT" => "EXACT",
            "NARROW" => "NARROW",
            "BROAD" => "BROAD",
            // OBO 1.2 made the scope optional, defaulting to RELATED.
            "RELATED" | "" => "RELATED",
            other if other.starts_with('[') || other.starts_with('{') => "RELATED",
            other => return Err(format!("unknown synonym scope {other:?}")),
        },
    };
    Ok((text, scope))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::testing::Collected;
    use crate::tables::TableType;
    use arrow::array::{Array, AsArray, RecordBatch};
    use arrow::datatypes::Int64Type;
    use std::path::PathBuf;

    fn read(path: &Path, options: &OboOptions) -> (Result<ReadStats>, Collected) {
        let mut collected = Collected::default();
        let stats = read_obo(
            path,
            options,
            &AtomicU64::new(0),
            &mut collected.sink(options.batch_size),
        );
        (stats, collected)
    }

    fn column(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
        batch
            .column_by_name(name)
            .unwrap()
            .as_string::<i32>()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect()
    }

    /// Rows of `batch` whose `key` column equals `value`, as tuples of the named columns.
    fn rows_where(
        batch: &RecordBatch,
        key: &str,
        value: &str,
        columns: &[&str],
    ) -> Vec<Vec<Option<String>>> {
        let keys = column(batch, key);
        let values: Vec<Vec<Option<String>>> = columns.iter().map(|c| column(batch, c)).collect();
        keys.iter()
            .enumerate()
            .filter(|(_, k)| k.as_deref() == Some(value))
            .map(|(i, _)| values.iter().map(|v| v[i].clone()).collect())
            .collect()
    }

    fn s(value: &str) -> Option<String> {
        Some(value.to_string())
    }

    #[test]
    fn real_hpo_counts_and_spot_checks() {
        let Some(path) = crate::testutil::shared("data/ontologies/hp.obo") else {
            return;
        };
        let options = OboOptions::new(path.display().to_string());
        let (stats, collected) = read(&path, &options);
        let stats = stats.unwrap();
        // 19,484 [Term] stanzas: 450 obsolete, 19,034 kept with a name each; 23,519 synonym
        // lines of kept terms, 1,055 of them repeating the term's name or an earlier synonym.
        assert_eq!(stats.read, 19_484);
        assert_eq!((stats.skipped, stats.quarantined), (0, 0));
        let concepts = collected.table(TableType::Concepts);
        let ttys = column(&concepts, "tty");
        assert_eq!(
            ttys.iter().filter(|t| t.as_deref() == Some("PT")).count(),
            19_034
        );
        assert_eq!(
            ttys.iter().filter(|t| t.as_deref() == Some("SY")).count(),
            22_464
        );
        assert_eq!(collected.rows(TableType::SemanticTypes), 19_034);
        assert_eq!(collected.rows(TableType::Relations), 2 * 23_392);
        assert_eq!(stats.written, 19_034 + 22_464 + 19_034 + 2 * 23_392);
        assert_eq!(stats.filtered, 450 + 1_048);

        let seizure = rows_where(
            &concepts,
            "cui",
            "HP:0001250",
            &["name", "tty", "scope", "sab", "language", "code"],
        );
        assert_eq!(
            seizure,
            [
                vec![
                    s("Seizure"),
                    s("PT"),
                    None,
                    s("HP"),
                    s("ENG"),
                    s("HP:0001250")
                ],
                vec![
                    s("Epilepsy"),
                    s("SY"),
                    s("RELATED"),
                    s("HP"),
                    s("ENG"),
                    s("HP:0001250")
                ],
                vec![
                    s("Epileptic seizure"),
                    s("SY"),
                    s("EXACT"),
                    s("HP"),
                    s("ENG"),
                    s("HP:0001250")
                ],
                vec![
                    s("Seizures"),
                    s("SY"),
                    s("EXACT"),
                    s("HP"),
                    s("ENG"),
                    s("HP:0001250")
                ],
            ]
        );
        // The layperson synonym repeats the name: one row.
        let height = rows_where(&concepts, "cui", "HP:0000002", &["name", "tty"]);
        assert_eq!(height, [vec![s("Abnormality of body height"), s("PT")]]);
        assert!(
            rows_where(&concepts, "cui", "HP:0000057", &["name"]).is_empty(),
            "obsolete term kept"
        );

        let relations = collected.table(TableType::Relations);
        let kidney = rows_where(
            &relations,
            "cui2",
            "HP:0000003",
            &["cui1", "rel", "rela", "sab"],
        );
        assert_eq!(kidney, [vec![s("HP:0000107"), s("CHD"), s("isa"), s("HP")]]);
        let kidney_up = rows_where(&relations, "cui1", "HP:0000003", &["rel", "cui2", "rela"]);
        assert_eq!(
            kidney_up,
            [vec![s("PAR"), s("HP:0000107"), s("inverse_isa")]]
        );

        let types = collected.table(TableType::SemanticTypes);
        let seizure_type = rows_where(&types, "cui", "HP:0001250", &["tui", "sty"]);
        assert_eq!(
            seizure_type,
            [vec![s("human_phenotype"), s("human_phenotype")]]
        );
        let lines = concepts
            .column_by_name("line")
            .unwrap()
            .as_primitive::<Int64Type>();
        assert_eq!(lines.value(0), 32, "`grep -n '^name: All$' hp.obo`");
    }

    const SMALL: &str = "format-version: 1.4\nontology: go\n\n\
        [Term]\nid: GO:0000001\nname: mitochondrion inheritance ! a comment\nnamespace: biological_process\n\
        synonym: \"mitochondrial \\\"inheritance\\\"\" EXACT []\n\
        narrow_synonym: \"old style\" []\n\
        synonym: \"no scope\" []\n\
        is_a: GO:0048308 {source=\"x\"} ! organelle inheritance\n\
        relationship: part_of GO:0007005 ! mitochondrion organization\n\
        intersection_of: GO:0008150\n\n\
        [Term]\nid: GO:0000002\nname: obsolete thing\nis_obsolete: true\nis_a: GO:0000001\n\n\
        [Typedef]\nid: part_of\nname: part of\nis_transitive: true\n";

    fn write(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn synonyms_relationships_modifiers_and_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "go.obo", SMALL.as_bytes());
        let (stats, collected) = read(&path, &OboOptions::new("go.obo"));
        let stats = stats.unwrap();
        assert_eq!((stats.read, stats.filtered), (2, 1));
        let concepts = collected.table(TableType::Concepts);
        assert_eq!(
            rows_where(
                &concepts,
                "cui",
                "GO:0000001",
                &["name", "tty", "scope", "sab"]
            ),
            [
                vec![s("mitochondrion inheritance"), s("PT"), None, s("GO")],
                vec![
                    s("mitochondrial \"inheritance\""),
                    s("SY"),
                    s("EXACT"),
                    s("GO")
                ],
                vec![s("old style"), s("SY"), s("NARROW"), s("GO")],
                vec![s("no scope"), s("SY"), s("RELATED"), s("GO")],
            ]
        );
        let preferred = concepts
            .column_by_name("is_preferred")
            .unwrap()
            .as_boolean();
        assert_eq!(preferred.true_count(), 1);
        assert!(concepts.column_by_name("aui").unwrap().null_count() == concepts.num_rows());
        let relations = collected.table(TableType::Relations);
        let all = rows_where(&relations, "sab", "GO", &["cui1", "rel", "cui2", "rela"]);
        assert_eq!(
            all,
            [
                vec![s("GO:0048308"), s("CHD"), s("GO:0000001"), s("isa")],
                vec![s("GO:0000001"), s("PAR"), s("GO:0048308"), s("inverse_isa")],
                vec![s("GO:0007005"), s("RO"), s("GO:0000001"), s("part_of")],
                vec![
                    s("GO:0000001"),
                    s("RO"),
                    s("GO:0007005"),
                    s("inverse_part_of")
                ],
            ]
        );
        let types = collected.table(TableType::SemanticTypes);
        assert_eq!(column(&types, "sty"), [s("biological_process")]);
    }

    #[test]
    fn the_sab_option_overrides_the_ontology_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "go.obo", SMALL.as_bytes());
        let options = OboOptions {
            sab: Some("GO_2025".into()),
            language: "FRE".into(),
            ..OboOptions::new("go.obo")
        };
        let (_, collected) = read(&path, &options);
        let concepts = collected.table(TableType::Concepts);
        assert!(column(&concepts, "sab")
            .iter()
            .all(|v| v.as_deref() == Some("GO_2025")));
        assert!(column(&concepts, "language")
            .iter()
            .all(|v| v.as_deref() == Some("FRE")));
    }

    #[test]
    fn bad_lines_and_stanzas_follow_the_policy() {
        let dir = tempfile::tempdir().unwrap();
        let text = b"ontology: x\n\n[Term]\nid: X:1\nname: one\nsynonym: \"unterminated EXACT []\nnot a tag line\n\n[Term]\nname: no id\n\n[Term]\nid: X:3\nname: caf\xe9\n";
        let path = write(dir.path(), "x.obo", text);
        let err = read(&path, &OboOptions::new("x.obo")).0.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: line 6: synonym text has no closing quote",
                path.display()
            )
        );

        let options = OboOptions {
            on_error: ErrorPolicy::Quarantine,
            ..OboOptions::new("x.obo")
        };
        let (stats, collected) = read(&path, &options);
        let stats = stats.unwrap();
        assert_eq!((stats.read, stats.quarantined), (3, 4));
        let rejects = collected.table(TableType::Rejects);
        let lines = rejects
            .column_by_name("line")
            .unwrap()
            .as_primitive::<Int64Type>();
        assert_eq!(lines.values().to_vec(), [6, 7, 9, 14]);
        let reasons = column(&rejects, "reason");
        assert_eq!(reasons[1].as_deref(), Some("expected `tag: value`"));
        assert_eq!(reasons[2].as_deref(), Some("a [Term] stanza without an id"));
        assert!(reasons[3].as_deref().unwrap().starts_with("invalid UTF-8"));
        let raw = rejects.column_by_name("raw").unwrap().as_binary::<i32>();
        assert_eq!(raw.value(2), b"[Term]\nname: no id");
        let concepts = collected.table(TableType::Concepts);
        assert_eq!(column(&concepts, "cui"), [s("X:1")]);
        assert_eq!(column(&concepts, "sab"), [s("X")]);
    }

    #[test]
    fn value_syntax_helpers() {
        assert_eq!(strip_comment("name ! comment"), "name");
        assert_eq!(strip_comment("a \\! b {x=\"1\"} ! c"), "a \\! b");
        assert_eq!(unescape("a \\! b\\\\c"), "a ! b\\c");
        assert_eq!(
            parse_synonym("synonym", "\"x\" BROAD [a:b]"),
            Ok(("x".into(), "BROAD"))
        );
        assert!(parse_synonym("synonym", "\"x\" WIDE []")
            .unwrap_err()
            .contains("WIDE"));
        assert!(parse_synonym("synonym", "x EXACT").is_err());
    }
}
