//! The UMLS readers: MRCONSO (concept names) into `concepts`, MRSTY (semantic types) into
//! `semantic_types`, MRREL (relations) into `relations`, with the filters a BALI run needs.
//!
//! Defaults follow the method (BALI.md): English names only (`LAT=ENG`), suppressible atoms
//! and relations dropped (`SUPPRESS` in O, E, Y), every source vocabulary and relation type
//! kept, and duplicate (CUI, name) pairs removed.
//!
//! Deduplication and memory: at UMLS scale MRCONSO has ~15M rows, and a set of every
//! (CUI, name) pair would take gigabytes. MRCONSO is sorted by CUI, so duplicates can only
//! occur within one CUI's run of lines: the reader keeps the names of the current CUI only.
//! It does not trust the order blindly: a CUI smaller than the one before it stops the read
//! with an error naming the line (and how to sort the file), because deduplication would
//! otherwise silently let duplicates through.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{BaliError, Position, Result};
use crate::sources::input::{input_exists, locate};
use crate::sources::policy::{file_name, Rejects};
use crate::sources::rrf::{for_each_line, Line};
use crate::sources::vocab::{
    ConceptRow, ConceptsBuilder, RelationsBuilder, SemanticTypesBuilder, TableBuilder,
};
use crate::sources::{default_batch_size, Emit, ErrorPolicy, ReadStats};

/// Fields per line of MRCONSO.RRF.
pub const MRCONSO_FIELDS: usize = 18;
/// Fields per line of MRREL.RRF.
pub const MRREL_FIELDS: usize = 16;
/// Fields per line of MRSTY.RRF.
pub const MRSTY_FIELDS: usize = 6;

fn default_languages() -> Vec<String> {
    vec!["ENG".to_string()]
}

fn default_suppress() -> Vec<String> {
    ["O", "E", "Y"].map(String::from).to_vec()
}

/// Options of the `umls_concepts` stage kind (MRCONSO and MRSTY).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UmlsConceptsOptions {
    /// The UMLS `META` directory holding MRCONSO.RRF and MRSTY.RRF (or `.RRF.gz`); a local
    /// folder or an `s3://bucket/prefix` URL.
    #[serde(default)]
    pub meta: Option<String>,
    /// MRCONSO file, overriding the one in `meta` (plain or gzip).
    #[serde(default)]
    pub mrconso: Option<String>,
    /// MRSTY file, overriding the one in `meta` (plain or gzip).
    #[serde(default)]
    pub mrsty: Option<String>,
    /// Languages (MRCONSO `LAT`) to keep; empty keeps all. BALI uses English names only.
    #[serde(default = "default_languages")]
    pub languages: Vec<String>,
    /// Source vocabularies (`SAB`) to keep; empty keeps all.
    #[serde(default)]
    pub sabs: Vec<String>,
    /// Source vocabularies to drop (applied after `sabs`).
    #[serde(default)]
    pub exclude_sabs: Vec<String>,
    /// Term types (`TTY`) to keep; empty keeps all.
    #[serde(default)]
    pub ttys: Vec<String>,
    /// `SUPPRESS` flags whose atoms are dropped: O (obsolete), E (suppressed by an editor),
    /// Y (suppressible by the source); N is never suppressed.
    #[serde(default = "default_suppress")]
    pub suppress: Vec<String>,
    /// What to do with a line that cannot be read: `fail`, `skip` or `quarantine`.
    #[serde(default)]
    pub on_error: ErrorPolicy,
    /// Rows per output batch.
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
}

impl Default for UmlsConceptsOptions {
    fn default() -> Self {
        UmlsConceptsOptions {
            meta: None,
            mrconso: None,
            mrsty: None,
            languages: default_languages(),
            sabs: Vec::new(),
            exclude_sabs: Vec::new(),
            ttys: Vec::new(),
            suppress: default_suppress(),
            on_error: ErrorPolicy::default(),
            batch_size: default_batch_size(),
        }
    }
}

impl UmlsConceptsOptions {
    /// The MRCONSO file these options name, relative paths taken from `base_dir`.
    pub fn mrconso_path(&self, base_dir: &Path) -> Result<PathBuf> {
        rrf_path(
            self.meta.as_deref(),
            self.mrconso.as_deref(),
            "MRCONSO.RRF",
            "mrconso",
            base_dir,
        )
    }

    /// The MRSTY file these options name, relative paths taken from `base_dir`.
    pub fn mrsty_path(&self, base_dir: &Path) -> Result<PathBuf> {
        rrf_path(
            self.meta.as_deref(),
            self.mrsty.as_deref(),
            "MRSTY.RRF",
            "mrsty",
            base_dir,
        )
    }
}

/// Options of the `umls_relations` stage kind (MRREL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UmlsRelationsOptions {
    /// The UMLS `META` directory holding MRREL.RRF (or `.RRF.gz`); a local folder or an
    /// `s3://bucket/prefix` URL.
    #[serde(default)]
    pub meta: Option<String>,
    /// MRREL file, overriding the one in `meta` (plain or gzip).
    #[serde(default)]
    pub mrrel: Option<String>,
    /// Source vocabularies (`SAB`) to keep; empty keeps all.
    #[serde(default)]
    pub sabs: Vec<String>,
    /// Source vocabularies to drop (applied after `sabs`).
    #[serde(default)]
    pub exclude_sabs: Vec<String>,
    /// Relationship types (`REL`, e.g. PAR, CHD, RB, RN, RO) to keep; empty keeps all (the
    /// BALI default).
    #[serde(default)]
    pub rels: Vec<String>,
    /// Relationship attributes (`RELA`, e.g. isa, may_treat) to keep; empty keeps all. When
    /// set, rows without a RELA are dropped.
    #[serde(default)]
    pub relas: Vec<String>,
    /// `SUPPRESS` flags whose relations are dropped.
    #[serde(default = "default_suppress")]
    pub suppress: Vec<String>,
    /// What to do with a line that cannot be read: `fail`, `skip` or `quarantine`.
    #[serde(default)]
    pub on_error: ErrorPolicy,
    /// Rows per output batch.
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
}

impl Default for UmlsRelationsOptions {
    fn default() -> Self {
        UmlsRelationsOptions {
            meta: None,
            mrrel: None,
            sabs: Vec::new(),
            exclude_sabs: Vec::new(),
            rels: Vec::new(),
            relas: Vec::new(),
            suppress: default_suppress(),
            on_error: ErrorPolicy::default(),
            batch_size: default_batch_size(),
        }
    }
}

impl UmlsRelationsOptions {
    /// The MRREL file these options name, relative paths taken from `base_dir`.
    pub fn mrrel_path(&self, base_dir: &Path) -> Result<PathBuf> {
        rrf_path(
            self.meta.as_deref(),
            self.mrrel.as_deref(),
            "MRREL.RRF",
            "mrrel",
            base_dir,
        )
    }
}

/// The file for `name`: the explicit option when set, else `meta/NAME` or `meta/NAME.gz`.
fn rrf_path(
    meta: Option<&str>,
    explicit: Option<&str>,
    name: &str,
    option: &str,
    base_dir: &Path,
) -> Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(locate(base_dir, path));
    }
    let Some(meta) = meta else {
        return Err(BaliError::Spec(format!(
            "set `meta` (the UMLS META directory) or `{option}` (the {name} file)"
        )));
    };
    let dir = locate(base_dir, meta);
    let plain = dir.join(name);
    let gzipped = dir.join(format!("{name}.gz"));
    if input_exists(&plain)? {
        return Ok(plain);
    }
    if input_exists(&gzipped)? {
        return Ok(gzipped);
    }
    Err(BaliError::Spec(format!(
        "neither {} nor {} exists; point `meta` at the UMLS META directory or set `{option}`",
        plain.display(),
        gzipped.display()
    )))
}

/// An include list (empty: everything) and an exclude list, as hash sets.
#[derive(Debug, Default)]
struct Filter {
    include: HashSet<String>,
    exclude: HashSet<String>,
}

impl Filter {
    fn new(include: &[String], exclude: &[String]) -> Self {
        Filter {
            include: include.iter().cloned().collect(),
            exclude: exclude.iter().cloned().collect(),
        }
    }

    fn keeps(&self, value: &str) -> bool {
        (self.include.is_empty() || self.include.contains(value)) && !self.exclude.contains(value)
    }
}

/// An empty field as `None`.
fn non_empty(field: &str) -> Option<&str> {
    (!field.is_empty()).then_some(field)
}

/// Reads MRCONSO into `concepts`: filtered, and deduplicated on (CUI, name) within each
/// CUI's run of lines (see the module docs for why and how order is checked).
pub fn read_mrconso(
    path: &Path,
    options: &UmlsConceptsOptions,
    progress: &AtomicU64,
    emit: &mut Emit<'_>,
) -> Result<ReadStats> {
    let languages = Filter::new(&options.languages, &[]);
    let sabs = Filter::new(&options.sabs, &options.exclude_sabs);
    let ttys = Filter::new(&options.ttys, &[]);
    let suppress: HashSet<&str> = options.suppress.iter().map(String::as_str).collect();
    let batch_size = options.batch_size.max(1);
    let mut rejects = Rejects::new(options.on_error, path, batch_size);
    let mut concepts = ConceptsBuilder::new(file_name(path));
    let mut stats = ReadStats::default();
    let mut current_cui = String::new();
    let mut names: HashSet<String> = HashSet::new();

    let lines = for_each_line(
        path,
        MRCONSO_FIELDS,
        progress,
        &mut rejects,
        emit,
        |line: &Line<'_>, emit| {
            let f = line.fields;
            let cui = f[0];
            if cui != current_cui {
                if cui < current_cui.as_str() {
                    return Err(BaliError::bad_input(
                    path,
                    Position::Line(line.number),
                    format!(
                        "CUI {cui} follows {current_cui}: MRCONSO must be sorted by CUI for (CUI, name) \
                         deduplication; sort it with `LC_ALL=C sort -t'|' -k1,1 -s`"
                    ),
                ));
                }
                current_cui.clear();
                current_cui.push_str(cui);
                names.clear();
            }
            let (lat, sab, tty, name, flag) = (f[1], f[11], f[12], f[14], f[16]);
            if !languages.keeps(lat)
                || !sabs.keeps(sab)
                || !ttys.keeps(tty)
                || suppress.contains(flag)
                || names.contains(name)
            {
                stats.filtered += 1;
                return Ok(());
            }
            names.insert(name.to_string());
            concepts.push(&ConceptRow {
                cui,
                name,
                language: lat,
                sab,
                tty,
                code: non_empty(f[13]),
                aui: non_empty(f[7]),
                is_preferred: f[2] == "P" && f[4] == "PF" && f[6] == "Y",
                suppress: non_empty(flag),
                scope: None,
                line: line.number,
            });
            stats.written += 1;
            concepts.flush_if_full(batch_size, emit)
        },
    )?;
    concepts.flush(emit)?;
    finish(stats, lines, &mut rejects, emit)
}

/// Reads MRSTY into `semantic_types` (every row: a concept's types are cheap to keep and
/// joins drop the CUIs without names).
pub fn read_mrsty(
    path: &Path,
    on_error: ErrorPolicy,
    batch_size: usize,
    progress: &AtomicU64,
    emit: &mut Emit<'_>,
) -> Result<ReadStats> {
    let batch_size = batch_size.max(1);
    let mut rejects = Rejects::new(on_error, path, batch_size);
    let mut types = SemanticTypesBuilder::new(file_name(path));
    let mut stats = ReadStats::default();
    let lines = for_each_line(
        path,
        MRSTY_FIELDS,
        progress,
        &mut rejects,
        emit,
        |line: &Line<'_>, emit| {
            let f = line.fields;
            types.push(f[0], f[1], non_empty(f[2]), f[3], line.number);
            stats.written += 1;
            types.flush_if_full(batch_size, emit)
        },
    )?;
    types.flush(emit)?;
    finish(stats, lines, &mut rejects, emit)
}

/// Reads MRREL into `relations`, filtered by source, relationship type and attribute, and
/// suppression. Both directions are kept as MRREL lists them.
pub fn read_mrrel(
    path: &Path,
    options: &UmlsRelationsOptions,
    progress: &AtomicU64,
    emit: &mut Emit<'_>,
) -> Result<ReadStats> {
    let sabs = Filter::new(&options.sabs, &options.exclude_sabs);
    let rels = Filter::new(&options.rels, &[]);
    let relas = Filter::new(&options.relas, &[]);
    let suppress: HashSet<&str> = options.suppress.iter().map(String::as_str).collect();
    let batch_size = options.batch_size.max(1);
    let mut rejects = Rejects::new(options.on_error, path, batch_size);
    let mut relations = RelationsBuilder::new(file_name(path));
    let mut stats = ReadStats::default();
    let lines = for_each_line(
        path,
        MRREL_FIELDS,
        progress,
        &mut rejects,
        emit,
        |line: &Line<'_>, emit| {
            let f = line.fields;
            let (cui1, rel, cui2, rela, sab, flag) = (f[0], f[3], f[4], f[7], f[10], f[14]);
            if !sabs.keeps(sab) || !rels.keeps(rel) || !relas.keeps(rela) || suppress.contains(flag)
            {
                stats.filtered += 1;
                return Ok(());
            }
            relations.push(cui1, rel, cui2, non_empty(rela), sab, line.number);
            stats.written += 1;
            relations.flush_if_full(batch_size, emit)
        },
    )?;
    relations.flush(emit)?;
    finish(stats, lines, &mut rejects, emit)
}

fn finish(
    mut stats: ReadStats,
    lines: u64,
    rejects: &mut Rejects<'_>,
    emit: &mut Emit<'_>,
) -> Result<ReadStats> {
    rejects.flush(emit)?;
    stats.read = lines;
    stats.skipped = rejects.skipped();
    stats.quarantined = rejects.quarantined();
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::testing::Collected;
    use crate::tables::TableType;
    use arrow::array::{Array, AsArray, RecordBatch};
    use arrow::datatypes::Int64Type;
    use std::io::Write;

    /// A MRCONSO line: CUI, LAT, TS, STT, ISPREF, AUI, SAB, TTY, CODE, STR, SUPPRESS.
    #[allow(clippy::too_many_arguments)]
    fn conso(
        cui: &str,
        lat: &str,
        ts: &str,
        stt: &str,
        ispref: &str,
        aui: &str,
        sab: &str,
        tty: &str,
        code: &str,
        name: &str,
        suppress: &str,
    ) -> String {
        format!("{cui}|{lat}|{ts}|L0000001|{stt}|S0000001|{ispref}|{aui}|||{code}|{sab}|{tty}|{code}|{name}|0|{suppress}|256|\n")
    }

    fn sample_mrconso() -> String {
        [
            conso(
                "C0000005",
                "ENG",
                "P",
                "PF",
                "Y",
                "A0000001",
                "MSH",
                "PEP",
                "D012711",
                "(131)I-Macroaggregated \"Albumin\"",
                "N",
            ),
            conso(
                "C0000005",
                "ENG",
                "S",
                "VO",
                "Y",
                "A0000002",
                "MSH",
                "ET",
                "D012711",
                "(131)I-MAA",
                "N",
            ),
            // Same name from another source: a duplicate (CUI, name) pair.
            conso(
                "C0000005",
                "ENG",
                "S",
                "VO",
                "N",
                "A0000003",
                "RXNORM",
                "SY",
                "1",
                "(131)I-MAA",
                "N",
            ),
            conso(
                "C0000005",
                "FRE",
                "S",
                "PF",
                "Y",
                "A0000004",
                "MSHFRE",
                "EN",
                "D012711",
                "MAA marqué",
                "N",
            ),
            conso(
                "C0000039",
                "ENG",
                "P",
                "PF",
                "Y",
                "A0000005",
                "MSH",
                "MH",
                "D015060",
                "1,2-Dipalmitoylphosphatidylcholine",
                "N",
            ),
            conso(
                "C0000039",
                "ENG",
                "S",
                "VO",
                "N",
                "A0000006",
                "MSH",
                "PM",
                "D015060",
                "Dipalmitoyllecithin",
                "O",
            ),
            conso(
                "C0000052",
                "ENG",
                "P",
                "PF",
                "Y",
                "A0000007",
                "SNOMEDCT_US",
                "PT",
                "58488005",
                "1,4-alpha-Glucan branching enzyme",
                "Y",
            ),
            conso(
                "C0000052",
                "ENG",
                "S",
                "PF",
                "Y",
                "A0000008",
                "SNOMEDCT_US",
                "FN",
                "58488005",
                "1,4-alpha-Glucan branching enzyme (substance)",
                "N",
            ),
            // Same name under another CUI is not a duplicate.
            conso(
                "C0000097",
                "ENG",
                "P",
                "PF",
                "Y",
                "A0000009",
                "MSH",
                "MH",
                "D010641",
                "(131)I-MAA",
                "E",
            ),
            conso(
                "C0000097",
                "ENG",
                "P",
                "PF",
                "Y",
                "A0000010",
                "MSH",
                "EP",
                "D010641",
                "(131)I-MAA",
                "N",
            ),
        ]
        .concat()
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
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

    fn strs(values: &[&str]) -> Vec<Option<String>> {
        values.iter().map(|v| Some(v.to_string())).collect()
    }

    fn concepts_of(path: &Path, options: &UmlsConceptsOptions) -> (Result<ReadStats>, Collected) {
        let mut collected = Collected::default();
        let stats = read_mrconso(
            path,
            options,
            &AtomicU64::new(0),
            &mut collected.sink(options.batch_size),
        );
        (stats, collected)
    }

    #[test]
    fn mrconso_defaults_keep_english_unsuppressed_names_once_per_concept() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "MRCONSO.RRF", sample_mrconso().as_bytes());
        let (stats, collected) = concepts_of(&path, &UmlsConceptsOptions::default());
        assert_eq!(
            stats.unwrap(),
            ReadStats {
                read: 10,
                written: 5,
                filtered: 5,
                ..ReadStats::default()
            }
        );
        let concepts = collected.table(TableType::Concepts);
        assert_eq!(
            column(&concepts, "cui"),
            strs(&["C0000005", "C0000005", "C0000039", "C0000052", "C0000097"])
        );
        assert_eq!(
            column(&concepts, "name"),
            strs(&[
                "(131)I-Macroaggregated \"Albumin\"",
                "(131)I-MAA",
                "1,2-Dipalmitoylphosphatidylcholine",
                "1,4-alpha-Glucan branching enzyme (substance)",
                "(131)I-MAA"
            ])
        );
        assert_eq!(
            column(&concepts, "tty"),
            strs(&["PEP", "ET", "MH", "FN", "EP"])
        );
        assert_eq!(
            column(&concepts, "aui"),
            strs(&["A0000001", "A0000002", "A0000005", "A0000008", "A0000010"])
        );
        assert_eq!(column(&concepts, "code")[3].as_deref(), Some("58488005"));
        assert_eq!(
            column(&concepts, "suppress"),
            strs(&["N", "N", "N", "N", "N"])
        );
        assert_eq!(
            column(&concepts, "source_file")[0].as_deref(),
            Some("MRCONSO.RRF")
        );
        assert!(concepts.column_by_name("scope").unwrap().null_count() == 5);
        let preferred = concepts
            .column_by_name("is_preferred")
            .unwrap()
            .as_boolean();
        assert_eq!(
            preferred.iter().collect::<Vec<_>>(),
            [Some(true), Some(false), Some(true), Some(false), Some(true)]
        );
        let lines = concepts
            .column_by_name("line")
            .unwrap()
            .as_primitive::<Int64Type>();
        assert_eq!(lines.values().to_vec(), [1, 2, 5, 8, 10]);
    }

    #[test]
    fn mrconso_filters_select_languages_sources_term_types_and_suppression() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "MRCONSO.RRF", sample_mrconso().as_bytes());
        let options = UmlsConceptsOptions {
            languages: vec![],
            sabs: vec!["MSH".into(), "MSHFRE".into(), "SNOMEDCT_US".into()],
            exclude_sabs: vec!["SNOMEDCT_US".into()],
            ttys: vec!["PEP".into(), "EN".into(), "PM".into(), "MH".into()],
            suppress: vec![],
            batch_size: 2,
            ..UmlsConceptsOptions::default()
        };
        let (stats, collected) = concepts_of(&path, &options);
        assert_eq!(stats.unwrap().written, 5);
        let concepts = collected.table(TableType::Concepts);
        assert_eq!(
            column(&concepts, "aui"),
            strs(&["A0000001", "A0000004", "A0000005", "A0000006", "A0000009"])
        );
        assert_eq!(column(&concepts, "language")[1].as_deref(), Some("FRE"));
        assert_eq!(column(&concepts, "suppress")[3].as_deref(), Some("O"));
        assert_eq!(collected.batches[&TableType::Concepts].len(), 3);
    }

    #[test]
    fn unsorted_mrconso_is_an_error_not_silent_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let text = [
            conso(
                "C0000039", "ENG", "P", "PF", "Y", "A1", "MSH", "MH", "D1", "Lecithin", "N",
            ),
            conso(
                "C0000005", "ENG", "P", "PF", "Y", "A2", "MSH", "MH", "D2", "Albumin", "N",
            ),
        ]
        .concat();
        let path = write(dir.path(), "MRCONSO.RRF", text.as_bytes());
        let err = concepts_of(&path, &UmlsConceptsOptions::default())
            .0
            .unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("MRCONSO.RRF: line 2: CUI C0000005 follows C0000039"),
            "{message}"
        );
        assert!(message.contains("sort"), "{message}");
    }

    #[test]
    fn bad_lines_follow_the_policy_with_line_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let good = conso(
            "C0000005", "ENG", "P", "PF", "Y", "A1", "MSH", "MH", "D1", "Albumin", "N",
        );
        let short = "C0000006|ENG|P|L1|PF|\n";
        let mut latin1 = conso(
            "C0000007", "ENG", "P", "PF", "Y", "A3", "MSH", "MH", "D3", "caf", "N",
        )
        .into_bytes();
        let cut = latin1.iter().position(|b| *b == b'|').unwrap();
        latin1.insert(cut - 1, 0xe9);
        let last = conso(
            "C0000008", "ENG", "P", "PF", "Y", "A4", "MSH", "MH", "D4", "Last", "N",
        );
        let mut bytes = format!("{good}{short}").into_bytes();
        let latin1_offset = bytes.len();
        bytes.extend_from_slice(&latin1);
        bytes.extend_from_slice(last.as_bytes());
        let path = write(dir.path(), "MRCONSO.RRF", &bytes);

        let err = concepts_of(&path, &UmlsConceptsOptions::default())
            .0
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}: line 2: expected 18 fields, found 5", path.display())
        );

        let skip = UmlsConceptsOptions {
            on_error: ErrorPolicy::Skip,
            ..UmlsConceptsOptions::default()
        };
        let (stats, collected) = concepts_of(&path, &skip);
        assert_eq!(
            stats.unwrap(),
            ReadStats {
                read: 4,
                written: 2,
                skipped: 2,
                ..ReadStats::default()
            }
        );
        assert_eq!(collected.rows(TableType::Rejects), 0);

        let quarantine = UmlsConceptsOptions {
            on_error: ErrorPolicy::Quarantine,
            ..UmlsConceptsOptions::default()
        };
        let (stats, collected) = concepts_of(&path, &quarantine);
        assert_eq!(stats.unwrap().quarantined, 2);
        assert_eq!(
            column(&collected.table(TableType::Concepts), "cui"),
            strs(&["C0000005", "C0000008"])
        );
        let rejects = collected.table(TableType::Rejects);
        let lines = rejects
            .column_by_name("line")
            .unwrap()
            .as_primitive::<Int64Type>();
        assert_eq!(lines.values().to_vec(), [2, 3]);
        let offsets = rejects
            .column_by_name("byte_offset")
            .unwrap()
            .as_primitive::<Int64Type>();
        assert_eq!(
            offsets.values().to_vec(),
            [good.len() as i64, latin1_offset as i64]
        );
        let reasons = column(&rejects, "reason");
        assert_eq!(reasons[0].as_deref(), Some("expected 18 fields, found 5"));
        let bad_byte = latin1_offset + cut - 1;
        assert!(
            reasons[1]
                .as_deref()
                .unwrap()
                .starts_with(&format!("invalid UTF-8 at byte {bad_byte}")),
            "{reasons:?}"
        );
        let raw = rejects.column_by_name("raw").unwrap().as_binary::<i32>();
        assert_eq!(raw.value(0), short.trim_end().as_bytes());
        assert_eq!(raw.value(1), latin1.strip_suffix(b"\n").unwrap());
    }

    #[test]
    fn gzip_rrf_in_a_meta_directory_is_found_and_read() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "MRCONSO.RRF.gz",
            &gzip(sample_mrconso().as_bytes()),
        );
        let options = UmlsConceptsOptions {
            meta: Some(dir.path().display().to_string()),
            ..UmlsConceptsOptions::default()
        };
        let path = options.mrconso_path(Path::new("/unused")).unwrap();
        assert_eq!(path, dir.path().join("MRCONSO.RRF.gz"));
        let (stats, _) = concepts_of(&path, &options);
        assert_eq!(stats.unwrap().written, 5);

        let missing = options
            .mrsty_path(Path::new("/unused"))
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("MRSTY.RRF") && missing.contains("MRSTY.RRF.gz"),
            "{missing}"
        );
        let explicit = UmlsConceptsOptions {
            mrsty: Some("elsewhere/MRSTY.RRF".into()),
            ..UmlsConceptsOptions::default()
        };
        assert_eq!(
            explicit.mrsty_path(Path::new("/base")).unwrap(),
            Path::new("/base/elsewhere/MRSTY.RRF")
        );
        assert!(UmlsConceptsOptions::default()
            .mrconso_path(Path::new("/unused"))
            .is_err());
    }

    #[test]
    fn truncated_gzip_rrf_follows_the_policy() {
        let dir = tempfile::tempdir().unwrap();
        let text: String = (0..20_000)
            .map(|i| format!("C{i:07}|T047|B2.2.1.2.1|Disease or Syndrome|AT{i}|256|\n"))
            .collect();
        let full = gzip(text.as_bytes());
        let path = write(dir.path(), "MRSTY.RRF.gz", &full[..full.len() / 2]);
        let mut collected = Collected::default();
        let err = read_mrsty(
            &path,
            ErrorPolicy::Fail,
            1000,
            &AtomicU64::new(0),
            &mut collected.sink(1000),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("truncated or corrupt gzip"),
            "{err}"
        );
        let mut collected = Collected::default();
        let stats = read_mrsty(
            &path,
            ErrorPolicy::Skip,
            1000,
            &AtomicU64::new(0),
            &mut collected.sink(1000),
        )
        .unwrap();
        assert_eq!(stats.skipped, 1);
        assert_eq!(stats.read, stats.written + 1);
        assert!(stats.written > 1000 && stats.written < 20_000, "{stats:?}");
    }

    #[test]
    fn mrsty_rows_become_semantic_types() {
        let dir = tempfile::tempdir().unwrap();
        let text = "C0000005|T116|A1.4.1.2.1.7|Amino Acid, Peptide, or Protein|AT17648347|256|\nC0000005|T121|A1.4.1.1.1|Pharmacologic Substance|AT17575038||\n";
        let path = write(dir.path(), "MRSTY.RRF", text.as_bytes());
        let mut collected = Collected::default();
        let stats = read_mrsty(
            &path,
            ErrorPolicy::Fail,
            10,
            &AtomicU64::new(0),
            &mut collected.sink(10),
        )
        .unwrap();
        assert_eq!(stats.written, 2);
        let types = collected.table(TableType::SemanticTypes);
        assert_eq!(column(&types, "tui"), strs(&["T116", "T121"]));
        assert_eq!(
            column(&types, "sty")[1].as_deref(),
            Some("Pharmacologic Substance")
        );
        assert_eq!(column(&types, "stn")[0].as_deref(), Some("A1.4.1.2.1.7"));
    }

    #[test]
    fn mrrel_keeps_both_directions_and_applies_filters() {
        let dir = tempfile::tempdir().unwrap();
        let rel = |cui1: &str, rel: &str, cui2: &str, rela: &str, sab: &str, suppress: &str| {
            format!("{cui1}|A1|SCUI|{rel}|{cui2}|A2|SCUI|{rela}|R1||{sab}|{sab}|||{suppress}||\n")
        };
        let text = [
            rel("C0000001", "CHD", "C0000002", "isa", "SNOMEDCT_US", "N"),
            rel(
                "C0000002",
                "PAR",
                "C0000001",
                "inverse_isa",
                "SNOMEDCT_US",
                "N",
            ),
            rel("C0000001", "RO", "C0000003", "may_treat", "MED-RT", "N"),
            rel("C0000001", "RB", "C0000004", "", "MSH", "N"),
            rel("C0000001", "RN", "C0000005", "", "MSH", "O"),
        ]
        .concat();
        let path = write(dir.path(), "MRREL.RRF", text.as_bytes());
        let read = |options: &UmlsRelationsOptions| {
            let mut collected = Collected::default();
            let stats = read_mrrel(
                &path,
                options,
                &AtomicU64::new(0),
                &mut collected.sink(options.batch_size),
            )
            .unwrap();
            (stats, collected.table(TableType::Relations))
        };
        let (stats, all) = read(&UmlsRelationsOptions::default());
        assert_eq!((stats.read, stats.written, stats.filtered), (5, 4, 1));
        assert_eq!(column(&all, "rel"), strs(&["CHD", "PAR", "RO", "RB"]));
        assert_eq!(
            column(&all, "cui2"),
            strs(&["C0000002", "C0000001", "C0000003", "C0000004"])
        );
        assert_eq!(
            column(&all, "rela"),
            vec![
                Some("isa".into()),
                Some("inverse_isa".into()),
                Some("may_treat".into()),
                None
            ]
        );
        assert_eq!(column(&all, "sab")[2].as_deref(), Some("MED-RT"));

        let (_, hierarchy) = read(&UmlsRelationsOptions {
            rels: vec!["PAR".into(), "CHD".into()],
            ..UmlsRelationsOptions::default()
        });
        assert_eq!(column(&hierarchy, "rel"), strs(&["CHD", "PAR"]));
        let (_, treats) = read(&UmlsRelationsOptions {
            relas: vec!["may_treat".into()],
            ..UmlsRelationsOptions::default()
        });
        assert_eq!(column(&treats, "cui2"), strs(&["C0000003"]));
        let (_, no_snomed) = read(&UmlsRelationsOptions {
            exclude_sabs: vec!["SNOMEDCT_US".into()],
            suppress: vec![],
            ..UmlsRelationsOptions::default()
        });
        assert_eq!(column(&no_snomed, "rel"), strs(&["RO", "RB", "RN"]));
    }

    #[test]
    fn options_reject_unknown_keys_and_fill_defaults() {
        let options: UmlsConceptsOptions =
            serde_json::from_str(r#"{"meta": "umls/META"}"#).unwrap();
        assert_eq!(options.languages, ["ENG"]);
        assert_eq!(options.suppress, ["O", "E", "Y"]);
        assert_eq!(options.batch_size, crate::sources::DEFAULT_BATCH_SIZE);
        let err = serde_json::from_str::<UmlsRelationsOptions>(r#"{"mrrel": "x", "rel": ["PAR"]}"#)
            .unwrap_err();
        assert!(err.to_string().contains("unknown field `rel`"), "{err}");
    }
}
