//! A synthetic MRCONSO at UMLS scale, for benchmarks and tests without a UMLS licence.
//!
//! Deterministic for a seed. What it imitates of the real file (2020AB: ~10M English strings
//! for ~3.3M concepts):
//! - the 18-field, `|`-terminated RRF layout, one concept's atoms together, the first one
//!   preferred (TS=P, STT=PF, ISPREF=Y, TTY=PT), a few percent suppressible or obsolete;
//! - name lengths of 1 to 10 words with a mean near 4 (weights below);
//! - Zipf-like word reuse: words are drawn with probability ~ 1/rank over a vocabulary whose
//!   top ranks are real high-frequency words of UMLS names ("of", "NOS", "structure", ...), so
//!   names share words and the real abstracts find matches in the synthetic dictionary; one
//!   word of each made-up name is drawn uniformly instead, so that, as in UMLS, distinct
//!   concepts rarely share a whole string (acronyms excepted);
//! - shared prefixes: a third of concepts extend the previous concept's name ("X" then
//!   "X of Y"), as UMLS hierarchies do;
//! - synonyms as variants of the preferred name: case and word-order changes ("Y, X"),
//!   qualifiers ("NOS", "(disorder)"), plurals, hyphenation, dropped words, acronyms, and
//!   unrelated synonyms; about 3 strings per concept, geometrically distributed.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanBuilder, Int64Builder, RecordBatch, StringBuilder};
use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use bali::error::{BaliError, IoResultExt, Result};
use bali::tables;

/// Real high-frequency words of UMLS names, given the top Zipf ranks.
const COMMON_WORDS: &[&str] = &[
    "of",
    "NOS",
    "and",
    "the",
    "structure",
    "with",
    "in",
    "disease",
    "left",
    "right",
    "acute",
    "chronic",
    "syndrome",
    "cell",
    "disorder",
    "finding",
    "procedure",
    "injury",
    "to",
    "by",
    "body",
    "muscle",
    "bone",
    "blood",
    "cancer",
    "carcinoma",
    "tumor",
    "neoplasm",
    "malignant",
    "benign",
    "type",
    "protein",
    "gene",
    "human",
    "receptor",
    "factor",
    "artery",
    "vein",
    "nerve",
    "skin",
    "liver",
    "kidney",
    "heart",
    "lung",
    "brain",
    "infection",
    "fracture",
    "pain",
    "level",
    "test",
    "serum",
    "urine",
    "deficiency",
    "abnormal",
    "congenital",
    "primary",
    "secondary",
    "lower",
    "upper",
    "anterior",
    "posterior",
    "unspecified",
    "other",
];

/// Weights of name lengths 1..=10 words (mean 4.1).
const LENGTH_WEIGHTS: [u32; 10] = [8, 18, 20, 17, 13, 9, 6, 4, 3, 2];

/// Source vocabularies and their weights.
const SABS: &[(&str, u32)] = &[
    ("SNOMEDCT_US", 30),
    ("MSH", 12),
    ("NCI", 12),
    ("MDR", 10),
    ("LNC", 10),
    ("RXNORM", 8),
    ("MTH", 8),
    ("MEDCIN", 6),
    ("ICD10CM", 4),
];

/// Qualifiers UMLS strings carry.
const QUALIFIERS: &[&str] = &[
    "NOS",
    ", unspecified",
    "(disorder)",
    "(finding)",
    "[Ambiguous]",
    "(procedure)",
];

/// Syllables words are built from (consonant + vowel, so a word reads like a word).
const CONSONANTS: &[u8] = b"bcdfghklmnprstvz";
const VOWELS: &[u8] = b"aeiou";
const SUFFIXES: &[&str] = &[
    "", "itis", "osis", "emia", "ase", "in", "al", "ic", "oma", "ine", "ol", "ide",
];

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticConfig {
    /// Atoms (lines) to write.
    pub strings: usize,
    /// Concepts to spread them over (approximately: the last concept may take fewer).
    pub concepts: usize,
    /// Distinct words drawn from.
    pub vocabulary: usize,
    /// Seed of the generator.
    pub seed: u64,
}

impl SyntheticConfig {
    /// UMLS 2020AB English size: 10M strings, 3.3M concepts, 1M words.
    pub fn umls() -> Self {
        SyntheticConfig {
            strings: 10_000_000,
            concepts: 3_300_000,
            vocabulary: 1_000_000,
            seed: 29,
        }
    }

    /// A small dictionary with the same proportions, for tests.
    pub fn small(strings: usize) -> Self {
        SyntheticConfig {
            strings,
            concepts: (strings as f64 / 3.03).ceil() as usize,
            vocabulary: (strings / 10).max(COMMON_WORDS.len() * 2),
            seed: 29,
        }
    }
}

/// One generated atom (an MRCONSO line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Atom {
    /// Concept number (CUI `C` + 7 digits).
    pub concept: u64,
    /// Atom number (AUI `A` + 8 digits; also LUI and SUI numbers).
    pub atom: u64,
    /// The string.
    pub string: String,
    /// Source vocabulary.
    pub sab: &'static str,
    /// The concept's preferred atom (the first of the concept).
    pub preferred: bool,
    /// SUPPRESS flag.
    pub suppress: &'static str,
}

impl Atom {
    /// The CUI.
    pub fn cui(&self) -> String {
        format!("C{:07}", self.concept)
    }

    /// The MRCONSO.RRF line, without the newline.
    pub fn rrf_line(&self) -> String {
        let (ts, stt, ispref, tty) = if self.preferred {
            ("P", "PF", "Y", "PT")
        } else {
            ("S", "VO", "N", "SY")
        };
        format!(
            "{cui}|ENG|{ts}|L{a:07}|{stt}|S{a:07}|{ispref}|A{a:08}||{code}||{sab}|{tty}|{code}|{s}|0|{sup}||",
            cui = self.cui(),
            a = self.atom,
            code = format_args!("SYN{}", self.concept),
            sab = self.sab,
            s = self.string,
            sup = self.suppress,
        )
    }
}

/// The generator: an iterator of atoms.
pub struct SyntheticMrconso {
    config: SyntheticConfig,
    rng: ChaCha8Rng,
    words: Vec<String>,
    word_dist: WeightedIndex<f64>,
    length_dist: WeightedIndex<u32>,
    sab_dist: WeightedIndex<u32>,
    concept: u64,
    atoms_left_in_concept: usize,
    emitted: usize,
    base: Vec<usize>,
}

impl SyntheticMrconso {
    /// A generator for `config`.
    pub fn new(config: SyntheticConfig) -> Result<Self> {
        let vocabulary = config.vocabulary.max(COMMON_WORDS.len());
        let words: Vec<String> = (0..vocabulary).map(word).collect();
        let invalid = |e: rand::distr::weighted::Error| {
            BaliError::Internal(format!("synthetic weights: {e}"))
        };
        let word_dist =
            WeightedIndex::new((1..=vocabulary).map(|rank| 1.0 / rank as f64)).map_err(invalid)?;
        Ok(SyntheticMrconso {
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            words,
            word_dist,
            length_dist: WeightedIndex::new(LENGTH_WEIGHTS).map_err(invalid)?,
            sab_dist: WeightedIndex::new(SABS.iter().map(|s| s.1)).map_err(invalid)?,
            config,
            concept: 0,
            atoms_left_in_concept: 0,
            emitted: 0,
            base: Vec::new(),
        })
    }

    /// Writes `MRCONSO.RRF` lines for every atom to `path`.
    pub fn write_rrf(self, path: &Path) -> Result<u64> {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(path).at(path)?);
        let mut n = 0;
        for atom in self {
            writeln!(out, "{}", atom.rrf_line()).at(path)?;
            n += 1;
        }
        out.flush().at(path)?;
        Ok(n)
    }

    /// The atoms as `concepts` batches of at most `rows` rows, as the `umls_concepts` source
    /// would read them from the RRF file.
    pub fn batches(self, rows: usize) -> impl Iterator<Item = Result<RecordBatch>> {
        let mut atoms = self.peekable();
        let mut line = 0i64;
        std::iter::from_fn(move || {
            atoms.peek()?;
            let mut b = ConceptColumns::with_capacity(rows);
            for atom in atoms.by_ref().take(rows) {
                line += 1;
                b.push(&atom, line);
            }
            Some(b.finish())
        })
    }

    fn draw_words(&mut self, n: usize) -> Vec<usize> {
        (0..n)
            .map(|_| self.word_dist.sample(&mut self.rng))
            .collect()
    }

    /// A word drawn uniformly from the tail of the vocabulary (past the common words).
    fn rare_word(&mut self) -> usize {
        let first = COMMON_WORDS.len().min(self.words.len() - 1);
        self.rng.random_range(first..self.words.len())
    }

    /// A name of `n` Zipf-drawn words, one of them (at a random place) rare, so that names
    /// share words as real ones do but rarely coincide: in UMLS few strings name more than a
    /// handful of concepts.
    fn draw_name(&mut self, n: usize) -> Vec<usize> {
        let mut words = self.draw_words(n);
        let at = self.rng.random_range(0..n);
        words[at] = self.rare_word();
        words
    }

    /// The preferred name of the next concept, as word indices.
    fn next_base(&mut self) -> Vec<usize> {
        let len = self.length_dist.sample(&mut self.rng) + 1;
        if !self.base.is_empty() && self.base.len() < 9 && self.rng.random_bool(1.0 / 3.0) {
            let mut base = self.base.clone();
            let extra = self.rng.random_range(1..=2);
            base.extend(self.draw_name(extra));
            return base;
        }
        self.draw_name(len)
    }

    fn render(&self, words: &[usize], capitalise: bool) -> String {
        let mut s = String::new();
        for (k, &w) in words.iter().enumerate() {
            if k > 0 {
                s.push(' ');
            }
            let w = &self.words[w];
            if k == 0 && capitalise {
                let mut chars = w.chars();
                if let Some(c) = chars.next() {
                    s.extend(c.to_uppercase());
                    s.push_str(chars.as_str());
                }
            } else {
                s.push_str(w);
            }
        }
        s
    }

    /// A synonym of the current base name.
    fn variant(&mut self) -> String {
        let base = self.base.clone();
        match self.rng.random_range(0..100) {
            0..=14 => self.render(&base, false).to_uppercase(),
            15..=29 if base.len() >= 2 => {
                let cut = self.rng.random_range(1..base.len());
                format!(
                    "{}, {}",
                    self.render(&base[cut..], true),
                    self.render(&base[..cut], false)
                )
            }
            30..=44 => {
                let q = QUALIFIERS[self.rng.random_range(0..QUALIFIERS.len())];
                let sep = if q.starts_with(',') { "" } else { " " };
                format!("{}{sep}{q}", self.render(&base, true))
            }
            45..=54 => format!("{}s", self.render(&base, true)),
            55..=62 if base.len() >= 2 => {
                let mut s = self.render(&base, true);
                if let Some(space) = s.find(' ') {
                    s.replace_range(space..space + 1, "-");
                }
                s
            }
            63..=72 if base.len() >= 3 => {
                let mut shorter = base.clone();
                shorter.remove(self.rng.random_range(0..shorter.len()));
                self.render(&shorter, true)
            }
            73..=79 => base
                .iter()
                .filter_map(|&w| self.words[w].chars().next())
                .flat_map(char::to_uppercase)
                .take(5)
                .collect(),
            _ => {
                let len = self.length_dist.sample(&mut self.rng) + 1;
                let words = self.draw_name(len);
                self.render(&words, true)
            }
        }
    }
}

impl Iterator for SyntheticMrconso {
    type Item = Atom;

    fn next(&mut self) -> Option<Atom> {
        if self.emitted >= self.config.strings {
            return None;
        }
        let preferred = self.atoms_left_in_concept == 0;
        if preferred {
            self.concept += 1;
            self.base = self.next_base();
            // Geometric number of atoms with the configured mean.
            let mean = self.config.strings as f64 / self.config.concepts.max(1) as f64;
            let p_more = 1.0 - 1.0 / mean.max(1.0);
            let mut n = 1;
            while n < 200 && self.rng.random_bool(p_more) {
                n += 1;
            }
            self.atoms_left_in_concept = n;
        }
        let string = if preferred {
            let base = self.base.clone();
            self.render(&base, true)
        } else {
            self.variant()
        };
        self.atoms_left_in_concept -= 1;
        self.emitted += 1;
        let suppress = match self.rng.random_range(0..100) {
            0..=1 => "O",
            2 => "E",
            _ => "N",
        };
        Some(Atom {
            concept: self.concept,
            atom: self.emitted as u64,
            string,
            sab: SABS[self.sab_dist.sample(&mut self.rng)].0,
            preferred,
            suppress,
        })
    }
}

/// Word `i` of the synthetic vocabulary: the real common words first, then made-up words of
/// consonant-vowel syllables (the base-80 digits of `i`) and a medical-looking suffix.
fn word(i: usize) -> String {
    if let Some(w) = COMMON_WORDS.get(i) {
        return w.to_string();
    }
    let syllables = CONSONANTS.len() * VOWELS.len();
    let mut n = i + syllables;
    let mut s = String::new();
    while n > 0 {
        let syl = n % syllables;
        s.push(CONSONANTS[syl / VOWELS.len()] as char);
        s.push(VOWELS[syl % VOWELS.len()] as char);
        n /= syllables;
    }
    s.push_str(SUFFIXES[i % SUFFIXES.len()]);
    s
}

/// The `concepts` columns being built.
struct ConceptColumns {
    cui: StringBuilder,
    name: StringBuilder,
    language: StringBuilder,
    sab: StringBuilder,
    tty: StringBuilder,
    code: StringBuilder,
    aui: StringBuilder,
    is_preferred: BooleanBuilder,
    suppress: StringBuilder,
    scope: StringBuilder,
    source_file: StringBuilder,
    line: Int64Builder,
}

impl ConceptColumns {
    fn with_capacity(rows: usize) -> Self {
        let strings = |bytes| StringBuilder::with_capacity(rows, rows * bytes);
        ConceptColumns {
            cui: strings(8),
            name: strings(32),
            language: strings(3),
            sab: strings(6),
            tty: strings(2),
            code: strings(10),
            aui: strings(9),
            is_preferred: BooleanBuilder::with_capacity(rows),
            suppress: strings(1),
            scope: strings(0),
            source_file: strings(11),
            line: Int64Builder::with_capacity(rows),
        }
    }

    fn push(&mut self, atom: &Atom, line: i64) {
        self.cui.append_value(atom.cui());
        self.name.append_value(&atom.string);
        self.language.append_value("ENG");
        self.sab.append_value(atom.sab);
        self.tty
            .append_value(if atom.preferred { "PT" } else { "SY" });
        self.code.append_value(format!("SYN{}", atom.concept));
        self.aui.append_value(format!("A{:08}", atom.atom));
        self.is_preferred.append_value(atom.preferred);
        self.suppress.append_value(atom.suppress);
        self.scope.append_null();
        self.source_file.append_value("MRCONSO.RRF");
        self.line.append_value(line);
    }

    fn finish(mut self) -> Result<RecordBatch> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.cui.finish()),
            Arc::new(self.name.finish()),
            Arc::new(self.language.finish()),
            Arc::new(self.sab.finish()),
            Arc::new(self.tty.finish()),
            Arc::new(self.code.finish()),
            Arc::new(self.aui.finish()),
            Arc::new(self.is_preferred.finish()),
            Arc::new(self.suppress.finish()),
            Arc::new(self.scope.finish()),
            Arc::new(self.source_file.finish()),
            Arc::new(self.line.finish()),
        ];
        Ok(RecordBatch::try_new(tables::concepts::schema(), columns)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_rrf_with_realistic_shape() {
        let atoms: Vec<Atom> = SyntheticMrconso::new(SyntheticConfig::small(10_000))
            .unwrap()
            .collect();
        let again: Vec<Atom> = SyntheticMrconso::new(SyntheticConfig::small(10_000))
            .unwrap()
            .collect();
        assert_eq!(atoms, again);
        assert_eq!(atoms.len(), 10_000);
        let concepts = atoms.iter().filter(|a| a.preferred).count();
        assert!((2_500..4_000).contains(&concepts), "{concepts} concepts");
        let words: Vec<usize> = atoms
            .iter()
            .map(|a| a.string.split_whitespace().count())
            .collect();
        let mean = words.iter().sum::<usize>() as f64 / words.len() as f64;
        assert!((3.0..5.5).contains(&mean), "mean name length {mean} words");
        assert!(words.iter().all(|&w| (1..=13).contains(&w)));
        // Zipf-like reuse: the commonest word is in a sizeable share of names.
        let with_of = atoms
            .iter()
            .filter(|a| a.string.split_whitespace().any(|w| w == "of"))
            .count();
        assert!(with_of > 500, "{with_of} names contain `of`");
        let line = atoms[0].rrf_line();
        let fields: Vec<&str> = line.split('|').collect();
        assert_eq!(fields.len(), 19, "18 fields and the trailing bar: {line}");
        assert_eq!(
            (fields[0], fields[1], fields[2], fields[6], fields[14]),
            ("C0000001", "ENG", "P", "Y", atoms[0].string.as_str())
        );

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("MRCONSO.RRF");
        let n = SyntheticMrconso::new(SyntheticConfig::small(1_000))
            .unwrap()
            .write_rrf(&path)
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(n, 1_000);
        assert_eq!(text.lines().count(), 1_000);
        assert!(text.lines().all(|l| l.split('|').count() == 19));

        let batches: Vec<RecordBatch> = SyntheticMrconso::new(SyntheticConfig::small(1_000))
            .unwrap()
            .batches(300)
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(
            batches.iter().map(|b| b.num_rows()).collect::<Vec<_>>(),
            [300, 300, 300, 100]
        );
    }
}
