//! `dictionary`: concept names into normalised surface forms, and the matcher index over them.
//!
//! [`DictionaryBuilder`] takes `concepts` batches (and, for semantic-type filters,
//! `semantic_types` batches), normalises every name ([`normalize`]), applies the options'
//! filters and finishes into a [`BuiltDictionary`]: the `dictionary` table (one row per kept
//! (form, concept) pair) and the [`Matcher`](crate::stages::link::Matcher) index, which
//! [`Matcher::save`](crate::stages::link::Matcher::save) caches on disk so a re-run loads it
//! instead of rebuilding. The index is a word-level trie ([`trie`]), chosen by measurement over
//! a character automaton for UMLS scale (BENCHMARKS.md).
//!
//! Order of the filters, per name: language and suppression; normalisation into a form (and
//! the hyphen-glued variant); minimum length; stop-list (not for acronyms). Then, over all
//! names: semantic-type allow/deny per concept; duplicate (form, concept) pairs removed; forms
//! naming more than `max_cuis_per_form` concepts dropped.

pub mod build;
pub use crate::lexicon::{cache, normalize, trie, vocab};
pub mod stopwords;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::engine::{BuildContext, InputDecl, OutputDecl, PartitionCtx, Stage, StageKind, Unit};
use crate::error::Result;
use crate::lexicon::INDEX_FILE;
use crate::tables::TableType;

pub use build::{BuiltDictionary, DictionaryBuilder};

/// Options of the `dictionary` kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DictionaryOptions {
    /// Forms with fewer letters and digits than this are dropped ("Ca", "II"): short strings
    /// are mostly ambiguous abbreviations.
    pub min_length: usize,
    /// The stop-list of forms never linked.
    pub stopwords: StopwordOptions,
    /// Forms naming more concepts than this are dropped (1 keeps only unambiguous forms);
    /// unset keeps every form, and the linker reports all candidates of an ambiguous mention.
    pub max_cuis_per_form: Option<usize>,
    /// Keep or drop concepts by semantic type (needs a `semantic_types` input).
    pub semantic_types: SemanticTypeFilter,
    /// How acronyms are matched.
    pub acronyms: AcronymOptions,
    /// Name languages kept (MRCONSO LAT); empty keeps all.
    pub languages: Vec<String>,
    /// Drop names flagged suppressible or obsolete (MRCONSO SUPPRESS O, E or Y).
    pub drop_suppressed: bool,
    /// Also add the variant of a hyphenated name with its hyphenated words glued together
    /// ("IL-6" also as "IL6"): text writes both.
    pub hyphen_variants: bool,
}

impl Default for DictionaryOptions {
    fn default() -> Self {
        DictionaryOptions {
            min_length: 3,
            stopwords: StopwordOptions::default(),
            max_cuis_per_form: None,
            semantic_types: SemanticTypeFilter::default(),
            acronyms: AcronymOptions::default(),
            languages: vec!["ENG".to_string()],
            drop_suppressed: true,
            hyphen_variants: true,
        }
    }
}

/// The `dictionary` kind: a dimension table in one partition, with the matcher index in its
/// artifact folder (`matcher.idx`), which `link` loads instead of rebuilding.
pub struct DictionaryKind;

impl StageKind for DictionaryKind {
    type Options = DictionaryOptions;
    const NAME: &'static str = "dictionary";
    const SUMMARY: &'static str =
        "Normalise concept names into a dictionary of surface forms and build the matcher index";
    const FORMAT_VERSION: u32 = 1;
    const INPUTS: &'static [InputDecl] = &[
        InputDecl::whole("concepts", &[TableType::Concepts]),
        InputDecl::whole("semantic_types", &[TableType::SemanticTypes]).optional(),
    ];
    const OUTPUTS: &'static [OutputDecl] = &[OutputDecl {
        name: "dictionary",
        table: TableType::Dictionary,
    }];
    const EXAMPLE: &'static str = "min_length: 3\nmax_cuis_per_form: 20\nstopwords: { builtin: true, extra: [patients] }\nacronyms: { case_sensitive_max_length: 6 }\nlanguages: [ENG]";

    fn build(options: DictionaryOptions, _: &BuildContext) -> Result<Box<dyn Stage>> {
        Ok(Box::new(DictionaryStage { options }))
    }
}

/// Rows per emitted `dictionary` batch.
const ROWS_PER_BATCH: usize = 64 * 1024;

/// The runtime stage.
struct DictionaryStage {
    options: DictionaryOptions,
}

impl Stage for DictionaryStage {
    fn run(&self, ctx: &mut PartitionCtx<'_>) -> Result<()> {
        let mut builder = DictionaryBuilder::new(self.options.clone());
        let concepts = ctx.whole(0)?;
        ctx.progress().start(concepts.num_rows(), Unit::Rows);
        for batch in concepts.scan()? {
            let batch = batch?;
            ctx.check_cancelled()?;
            builder.push_concepts(&batch)?;
            ctx.progress().inc(batch.num_rows() as u64);
        }
        if ctx.has_input(1) {
            for batch in ctx.whole(1)?.scan()? {
                builder.push_semantic_types(&batch?)?;
            }
        }
        let built = builder.finish()?;
        for batch in built.batches(ROWS_PER_BATCH) {
            ctx.emit(0, batch?)?;
        }
        let dir = ctx.artifact_dir()?;
        built.matcher.save(&dir.join(INDEX_FILE))
    }
}

/// The stop-list: the built-in one, extended or replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct StopwordOptions {
    /// Use the built-in list (English function words and generic words of abstracts, see
    /// `stopwords.rs`); false with `extra` replaces it.
    pub builtin: bool,
    /// More stop forms, normalised like names ("cell line" drops the form `cell line`).
    pub extra: Vec<String>,
}

impl Default for StopwordOptions {
    fn default() -> Self {
        StopwordOptions {
            builtin: true,
            extra: Vec::new(),
        }
    }
}

/// Semantic-type filters; entries are TUIs ("T047") or type names ("Disease or Syndrome",
/// any case).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SemanticTypeFilter {
    /// When non-empty, keep only concepts with at least one of these types.
    pub allow: Vec<String>,
    /// Drop concepts with any of these types (applied after `allow`).
    pub deny: Vec<String>,
}

impl SemanticTypeFilter {
    /// Whether any filter is set.
    pub fn is_active(&self) -> bool {
        !self.allow.is_empty() || !self.deny.is_empty()
    }
}

/// Acronym handling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AcronymOptions {
    /// A name with no lower-case letter, at least one capital and at most this many letters
    /// and digits ("MAP", "HIV-1") matches case-sensitively only, so "MAP" never matches the
    /// word "map"; 0 matches every name case-insensitively.
    pub case_sensitive_max_length: usize,
}

impl Default for AcronymOptions {
    fn default() -> Self {
        AcronymOptions {
            case_sensitive_max_length: 6,
        }
    }
}
