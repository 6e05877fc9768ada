//! Pre-annotated mentions in PubTator format, mapped to concepts through MRCONSO (SAB, CODE).
//!
//! The format PubTator3 exports and BERN2 users exchange, one document per block:
//!
//! ```text
//! 25763772|t|DCTN4 as a modifier of chronic Pseudomonas aeruginosa infection in cystic fibrosis
//! 25763772|a|Pseudomonas aeruginosa (Pa) infection in cystic fibrosis (CF) patients is ...
//! 25763772→0→5→DCTN4→Gene→51164
//! 25763772→67→82→cystic fibrosis→Disease→MESH:D003550
//! ```
//!
//! (→ is a tab.)
//! Offsets are characters (code points) into `title + " " + abstract`. Identifiers are
//! `PREFIX:CODE` (MESH:D003920, OMIM:222100, NCBITaxon:9606) or bare (9606 for a species, a
//! gene id), `-` for none, several joined with `;`, `|` or `,`. The BALI reference mapped MeSH,
//! OMIM and NCBI Taxonomy identifiers to CUIs through MRCONSO's (SAB, CODE); the mapping here is
//! the `pubtator_vocabularies` option, and every identifier it cannot map is counted, by prefix
//! (or annotation type, for bare identifiers).
//!
//! Annotations are placed into the partition's sentences by offset, and kept only when the
//! sentence text at those offsets is the annotated text: PubTator's text of an article may differ
//! from the PubMed record bali parsed (another version, other section joins), and a mention must
//! never point at the wrong words.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use arrow::array::{Array, Int32Array, Int64Array, RecordBatch, StringArray};
use flate2::read::MultiGzDecoder;

use crate::error::{BaliError, IoResultExt, Position, Result};
use crate::tables::columns::column;
use crate::tables::mentions::{MentionRow, MentionsBuilder, SentenceColumns};

/// One annotation line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PubtatorAnnotation {
    /// Start offset (code points) in `title + " " + abstract`.
    pub start: usize,
    /// End offset (exclusive).
    pub end: usize,
    /// The annotated text.
    pub text: String,
    /// Entity type (Disease, Chemical, Gene, Species, ...).
    pub kind: String,
    /// Identifiers, split; empty for `-` or a missing column.
    pub identifiers: Vec<String>,
    /// 1-based line in the file.
    pub line: u64,
}

/// One PubTator document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PubtatorDocument {
    /// PubMed identifier.
    pub pmid: i64,
    /// The `|t|` line's text.
    pub title: String,
    /// The `|a|` line's text (empty when absent).
    pub abstract_text: String,
    /// Annotation lines, in file order.
    pub annotations: Vec<PubtatorAnnotation>,
}

/// Streams the documents of a PubTator file (plain or `.gz`).
pub struct PubtatorReader<R> {
    path: PathBuf,
    lines: std::io::Lines<R>,
    line: u64,
    current: Option<PubtatorDocument>,
}

impl PubtatorReader<Box<dyn BufRead + Send>> {
    /// Opens `path`; a name ending in `.gz` is decompressed.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = File::open(path).at(path)?;
        let reader: Box<dyn BufRead + Send> = if path.extension().is_some_and(|e| e == "gz") {
            Box::new(BufReader::new(MultiGzDecoder::new(file)))
        } else {
            Box::new(BufReader::new(file))
        };
        Ok(PubtatorReader::new(path, reader))
    }
}

impl<R: BufRead> PubtatorReader<R> {
    /// Reads documents from `reader`; `path` names it in errors.
    pub fn new(path: impl AsRef<Path>, reader: R) -> Self {
        PubtatorReader {
            path: path.as_ref().to_path_buf(),
            lines: reader.lines(),
            line: 0,
            current: None,
        }
    }

    fn bad(&self, reason: impl Into<String>) -> BaliError {
        BaliError::bad_input(&self.path, Position::Line(self.line), reason)
    }

    fn pmid(&self, s: &str) -> Result<i64> {
        s.parse::<i64>()
            .map_err(|_| self.bad(format!("`{s}` is not a PMID")))
    }

    /// Handles one non-empty line; returns a finished document when the line starts another.
    fn line(&mut self, text: &str) -> Result<Option<PubtatorDocument>> {
        if let Some((pmid, rest)) = text.split_once('|').filter(|(p, _)| !p.contains('\t')) {
            let pmid = self.pmid(pmid)?;
            let (tag, body) = rest
                .split_once('|')
                .ok_or_else(|| self.bad("expected PMID|t|title or PMID|a|abstract"))?;
            let finished = match &self.current {
                Some(doc) if doc.pmid != pmid => self.current.take(),
                _ => None,
            };
            let doc = self.current.get_or_insert_with(|| PubtatorDocument {
                pmid,
                ..PubtatorDocument::default()
            });
            match tag {
                "t" => doc.title = body.to_string(),
                "a" => doc.abstract_text = body.to_string(),
                other => {
                    return Err(self.bad(format!("unknown passage tag `{other}` (expected t or a)")))
                }
            }
            return Ok(finished);
        }
        let fields: Vec<&str> = text.split('\t').collect();
        let pmid = self.pmid(fields[0])?;
        let in_doc = self.current.as_ref().is_some_and(|d| d.pmid == pmid);
        if !in_doc {
            return Err(self.bad(format!("annotation of PMID {pmid} outside its document")));
        }
        // PMID, relation type, id, id: a relation line (e.g. BC5CDR's CID), not a mention.
        if fields.len() == 4 && fields[1].parse::<usize>().is_err() {
            return Ok(None);
        }
        if fields.len() < 5 {
            return Err(self.bad(format!(
                "an annotation needs PMID, start, end, text and type separated by tabs; found {} fields",
                fields.len()
            )));
        }
        let offset = |s: &str| {
            s.parse::<usize>()
                .map_err(|_| self.bad(format!("`{s}` is not an offset")))
        };
        let (start, end) = (offset(fields[1])?, offset(fields[2])?);
        if end < start {
            return Err(self.bad(format!(
                "annotation ends ({end}) before it starts ({start})"
            )));
        }
        let annotation = PubtatorAnnotation {
            start,
            end,
            text: fields[3].to_string(),
            kind: fields[4].to_string(),
            identifiers: fields
                .get(5)
                .map(|s| split_identifiers(s))
                .unwrap_or_default(),
            line: self.line,
        };
        if let Some(doc) = self.current.as_mut() {
            doc.annotations.push(annotation);
        }
        Ok(None)
    }
}

impl<R: BufRead> Iterator for PubtatorReader<R> {
    type Item = Result<PubtatorDocument>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let Some(line) = self.lines.next() else {
                return self.current.take().map(Ok);
            };
            self.line += 1;
            let line = match line.at(&self.path) {
                Ok(l) => l,
                Err(e) => return Some(Err(e)),
            };
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                if let Some(doc) = self.current.take() {
                    return Some(Ok(doc));
                }
                continue;
            }
            match self.line(line) {
                Ok(Some(doc)) => return Some(Ok(doc)),
                Ok(None) => {}
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// Splits an identifier column: `-` and empty mean none. tmVar variant identifiers
/// (`tmVar:p|SUB|V|600|E;HGVS:...`) use the separators themselves and stay whole.
fn split_identifiers(column: &str) -> Vec<String> {
    let column = column.trim();
    if column.is_empty() || column == "-" {
        return Vec::new();
    }
    if column.starts_with("tmVar:") {
        return vec![column.to_string()];
    }
    column
        .split([';', '|', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "-")
        .map(String::from)
        .collect()
}

/// The documents of `paths` whose PMID is in `pmids` (all when `None`). A later file's
/// document replaces an earlier one with the same PMID.
pub fn read_documents(
    paths: &[PathBuf],
    pmids: Option<&HashSet<i64>>,
) -> Result<HashMap<i64, PubtatorDocument>> {
    let mut docs = HashMap::new();
    for path in paths {
        for doc in PubtatorReader::open(path)? {
            let doc = doc?;
            if pmids.is_none_or(|p| p.contains(&doc.pmid)) {
                docs.insert(doc.pmid, doc);
            }
        }
    }
    Ok(docs)
}

/// MRCONSO's (SAB, CODE) -> CUIs, for the vocabularies PubTator identifiers refer to.
#[derive(Debug, Clone, Default)]
pub struct CodeIndex {
    codes: HashMap<(String, String), Vec<String>>,
}

impl CodeIndex {
    /// Indexes the `concepts` rows whose `sab` is in `sabs` and whose `code` is set.
    pub fn from_concepts<'a>(
        batches: impl IntoIterator<Item = &'a RecordBatch>,
        sabs: &HashSet<String>,
    ) -> Result<Self> {
        let mut codes: HashMap<(String, String), Vec<String>> = HashMap::new();
        for batch in batches {
            let cui = column::<StringArray>(batch, "cui")?;
            let sab = column::<StringArray>(batch, "sab")?;
            let code = column::<StringArray>(batch, "code")?;
            for row in 0..batch.num_rows() {
                if code.is_null(row) || !sabs.contains(sab.value(row)) {
                    continue;
                }
                let cuis = codes
                    .entry((sab.value(row).to_string(), code.value(row).to_string()))
                    .or_default();
                if !cuis.iter().any(|c| c == cui.value(row)) {
                    cuis.push(cui.value(row).to_string());
                }
            }
        }
        for cuis in codes.values_mut() {
            cuis.sort_unstable();
        }
        Ok(CodeIndex { codes })
    }

    /// The CUIs of (sab, code).
    pub fn get(&self, sab: &str, code: &str) -> &[String] {
        self.codes
            .get(&(sab.to_string(), code.to_string()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// Maps identifiers to CUIs with a `pubtator_vocabularies` table (see the module docs).
#[derive(Debug, Clone)]
pub struct IdentifierMapper<'a> {
    /// Lower-cased prefix or annotation type -> SAB (or `CUI`).
    vocabularies: HashMap<String, String>,
    index: &'a CodeIndex,
}

/// The SAB value that means "the identifier is a CUI".
const CUI: &str = "CUI";

impl<'a> IdentifierMapper<'a> {
    /// A mapper over `index` with `vocabularies` (prefix or type -> SAB, case-insensitive keys).
    pub fn new(vocabularies: &BTreeMap<String, String>, index: &'a CodeIndex) -> Self {
        IdentifierMapper {
            vocabularies: vocabularies
                .iter()
                .map(|(k, v)| (k.to_lowercase(), v.clone()))
                .collect(),
            index,
        }
    }

    /// The SABs the mapping refers to (what [`CodeIndex::from_concepts`] needs).
    pub fn sabs(vocabularies: &BTreeMap<String, String>) -> HashSet<String> {
        vocabularies
            .values()
            .filter(|v| *v != CUI)
            .cloned()
            .collect()
    }

    /// The CUIs of one identifier of an annotation of type `kind`; `Err(key)` names the prefix
    /// (or type) it could not be mapped under.
    pub fn map(&self, identifier: &str, kind: &str) -> std::result::Result<Vec<String>, String> {
        let (key, code) = match identifier.split_once(':') {
            Some((prefix, code)) => (prefix, code),
            None => (kind, identifier),
        };
        let Some(sab) = self.vocabularies.get(&key.to_lowercase()) else {
            return Err(key.to_string());
        };
        if sab == CUI {
            return Ok(vec![code.to_string()]);
        }
        match self.index.get(sab, code) {
            [] => Err(key.to_string()),
            cuis => Ok(cuis.to_vec()),
        }
    }
}

/// Counts of a PubTator import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PubtatorStats {
    /// Documents whose PMID had sentences in the partition.
    pub documents: u64,
    /// Annotations of those documents.
    pub annotations: u64,
    /// Annotations without any identifier (`-`).
    pub without_identifier: u64,
    /// Identifiers read.
    pub identifiers: u64,
    /// Identifiers that mapped to no CUI, by prefix (or annotation type for bare ones).
    pub unmapped: BTreeMap<String, u64>,
    /// Annotations left out because no identifier mapped.
    pub unmapped_annotations: u64,
    /// Annotations whose offsets do not fall inside one sentence showing the annotated text.
    pub misplaced: u64,
    /// Mentions written.
    pub mentions: u64,
}

/// One sentence row of the partition.
struct SentenceRow {
    row: usize,
    title: bool,
    start: usize,
    end: usize,
}

/// The `mentions` rows of PubTator `docs` placed into the `sentences` batch of a partition.
pub fn pubtator_mentions(
    sentences: &RecordBatch,
    docs: &HashMap<i64, PubtatorDocument>,
    mapper: &IdentifierMapper,
) -> Result<(RecordBatch, PubtatorStats)> {
    let pmid = column::<Int64Array>(sentences, "pmid")?;
    let section = column::<StringArray>(sentences, "section")?;
    let start = column::<Int32Array>(sentences, "start")?;
    let end = column::<Int32Array>(sentences, "end")?;
    let text = column::<StringArray>(sentences, "text")?;

    let mut by_pmid: BTreeMap<i64, Vec<SentenceRow>> = BTreeMap::new();
    for row in 0..sentences.num_rows() {
        by_pmid
            .entry(pmid.value(row))
            .or_default()
            .push(SentenceRow {
                row,
                title: section.value(row) == "title",
                start: start.value(row).max(0) as usize,
                end: end.value(row).max(0) as usize,
            });
    }

    let mut stats = PubtatorStats::default();
    let mut found: Vec<Placed> = Vec::new();
    for (p, rows) in &by_pmid {
        let Some(doc) = docs.get(p) else { continue };
        stats.documents += 1;
        let title_len = doc.title.chars().count();
        for a in &doc.annotations {
            stats.annotations += 1;
            if a.identifiers.is_empty() {
                stats.without_identifier += 1;
                continue;
            }
            let mut cuis = Vec::new();
            for id in &a.identifiers {
                stats.identifiers += 1;
                match mapper.map(id, &a.kind) {
                    Ok(c) => cuis.extend(c),
                    Err(key) => *stats.unmapped.entry(key).or_default() += 1,
                }
            }
            cuis.sort_unstable();
            cuis.dedup();
            if cuis.is_empty() {
                stats.unmapped_annotations += 1;
                continue;
            }
            // Title offsets as they are; abstract offsets after the title and one space.
            let (title, s, e) = if a.end <= title_len {
                (true, a.start, a.end)
            } else if a.start > title_len {
                (false, a.start - title_len - 1, a.end - title_len - 1)
            } else {
                stats.misplaced += 1;
                continue;
            };
            let placed = rows
                .iter()
                .find(|r| r.title == title && r.start <= s && e <= r.end)
                .filter(|r| {
                    let surface: String = text
                        .value(r.row)
                        .chars()
                        .skip(s - r.start)
                        .take(e - s)
                        .collect();
                    surface == a.text
                });
            match placed {
                Some(r) => found.push(Placed {
                    row: r.row,
                    span: [s - r.start, e - r.start, s, e],
                    surface: a.text.clone(),
                    cuis,
                }),
                None => stats.misplaced += 1,
            }
        }
    }
    found.sort_by_key(|f| (f.row, f.span[0], f.span[1]));

    let sentence = SentenceColumns::of(sentences)?;
    let rows = found.iter().map(|f| f.cuis.len()).sum();
    let mut out = MentionsBuilder::with_capacity(rows);
    let mut previous: Option<usize> = None;
    let mut index = 0i32;
    for f in &found {
        index = if previous == Some(f.row) {
            index + 1
        } else {
            0
        };
        previous = Some(f.row);
        stats.mentions += 1;
        let [start, end, doc_start, doc_end] = f.span.map(|v| v as i32);
        for cui in &f.cuis {
            let row_fields = MentionRow {
                mention_index: index,
                span: (start, end),
                doc_span: (doc_start, doc_end),
                surface: &f.surface,
                cui,
                candidates: f.cuis.len() as i32,
                matched: None,
                origin: "pubtator",
            };
            out.push(&sentence, f.row, &row_fields);
        }
    }
    let batch = out.finish()?;
    Ok((batch, stats))
}

/// An annotation placed in a sentence.
struct Placed {
    /// Sentence row in the batch.
    row: usize,
    /// Start and end in the sentence, then in the section.
    span: [usize; 4],
    surface: String,
    cuis: Vec<String>,
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use arrow::array::AsArray;
    use arrow::datatypes::Int32Type;

    use super::*;
    use std::sync::Arc;

    use arrow::array::ArrayRef;

    use crate::stages::pubtator::default_pubtator_vocabularies;
    use crate::stages::samples::build::tests::sentences_batch;
    use crate::stages::subgraphs::names::tests::concepts_batch;
    use crate::tables::mentions;

    /// PubTator3-style export of one article (the first PubTator example, 25763772), a
    /// BC5CDR-style document with a composite mention, bare MeSH ids and a relation line, and
    /// a BERN2-style document with NCBITaxon and several identifiers.
    const FIXTURE: &str = "\
25763772|t|DCTN4 as a modifier of chronic Pseudomonas aeruginosa infection in cystic fibrosis
25763772|a|Pseudomonas aeruginosa (Pa) infection in cystic fibrosis (CF) patients is associated with worse long-term pulmonary disease.
25763772\t0\t5\tDCTN4\tGene\t51164
25763772\t23\t63\tchronic Pseudomonas aeruginosa infection\tDisease\tMESH:D011552
25763772\t67\t82\tcystic fibrosis\tDisease\tMESH:D003550
25763772\t83\t105\tPseudomonas aeruginosa\tSpecies\t287
25763772\t124\t139\tcystic fibrosis\tDisease\tMESH:D003550;OMIM:219700
25763772\t141\t143\tCF\tDisease\tMESH:D003550
25763772\t145\t153\tpatients\tSpecies\t9606
25763772\t189\t206\tpulmonary disease\tDisease\t-

227508|t|Naloxone reverses the antihypertensive effect of clonidine.
227508|a|In unanesthetized, spontaneously hypertensive rats the decrease in blood pressure and heart rate produced by clonidine was inhibited by naloxone.
227508\t0\t8\tNaloxone\tChemical\tD009270
227508\t49\t58\tclonidine\tChemical\tD003000
227508\t93\t105\thypertensive\tDisease\tD006973
227508\t169\t178\tclonidine\tChemical\tD003000|D999999
227508\tCID\tD003000\tD006973

31000001|t|Zika virus infection in humans.
31000001\t0\t20\tZika virus infection\tDisease\tmesh:D000071243
31000001\t24\t30\thumans\tSpecies\tNCBITaxon:9606
";

    fn documents() -> Vec<PubtatorDocument> {
        PubtatorReader::new("fixture.pubtator", Cursor::new(FIXTURE))
            .collect::<Result<_>>()
            .unwrap()
    }

    #[test]
    fn reads_documents_annotations_and_identifier_lists() {
        let docs = documents();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0].pmid, 25763772);
        assert!(docs[0].title.starts_with("DCTN4 as a modifier"));
        assert_eq!(docs[0].annotations.len(), 8);
        let cf = &docs[0].annotations[4];
        assert_eq!((cf.start, cf.end, cf.kind.as_str()), (124, 139, "Disease"));
        assert_eq!(cf.identifiers, ["MESH:D003550", "OMIM:219700"]);
        assert_eq!(cf.line, 7);
        assert!(docs[0].annotations[7].identifiers.is_empty());
        // The relation line is skipped; the composite id is split.
        assert_eq!(docs[1].annotations.len(), 4);
        assert_eq!(docs[1].annotations[3].identifiers, ["D003000", "D999999"]);
        assert_eq!(docs[2].abstract_text, "");
        // Offsets agree with the text (code points of title + " " + abstract).
        for doc in &docs {
            let full: Vec<char> = format!("{} {}", doc.title, doc.abstract_text)
                .chars()
                .collect();
            for a in &doc.annotations {
                assert_eq!(
                    full[a.start..a.end].iter().collect::<String>(),
                    a.text,
                    "line {}",
                    a.line
                );
            }
        }
        assert_eq!(
            split_identifiers("tmVar:p|SUB|V|600|E;HGVS:p.V600E"),
            ["tmVar:p|SUB|V|600|E;HGVS:p.V600E"]
        );
    }

    #[test]
    fn malformed_lines_are_bad_input_with_file_and_line() {
        let bad = "1|t|A title\n1\t0\tx\tA\tDisease\tMESH:D1\n";
        let err = PubtatorReader::new("bad.pubtator", Cursor::new(bad))
            .collect::<Result<Vec<_>>>()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "bad.pubtator: line 2: `x` is not an offset"
        );
        let orphan = "1|t|A title\n\n2\t0\t1\tA\tDisease\tMESH:D1\n";
        let err = PubtatorReader::new("o.pubtator", Cursor::new(orphan))
            .collect::<Result<Vec<_>>>()
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("line 3: annotation of PMID 2 outside its document"),
            "{err}"
        );
    }

    #[test]
    fn identifiers_map_through_mrconso_codes_and_mentions_land_in_sentences() {
        let docs: HashMap<i64, PubtatorDocument> =
            documents().into_iter().map(|d| (d.pmid, d)).collect();
        let d = &docs[&25763772];
        // Sentences as the sentences stage would cut them (the abstract is one sentence here).
        let sentences = sentences_batch(&[(25763772, 1, &d.abstract_text)]);
        let title = sentences_batch(&[(25763772, 0, &d.title)]);
        // sentences_batch makes "abstract" rows starting at 0; turn the title row into a title.
        let title = RecordBatch::try_new(
            title.schema(),
            title
                .columns()
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if i == 3 {
                        Arc::new(StringArray::from(vec!["title"])) as ArrayRef
                    } else {
                        c.clone()
                    }
                })
                .collect(),
        )
        .unwrap();
        let sentences =
            arrow::compute::concat_batches(&sentences.schema(), [&title, &sentences]).unwrap();

        let vocabularies = default_pubtator_vocabularies();
        let sabs = IdentifierMapper::sabs(&vocabularies);
        assert!(sabs.contains("MSH") && sabs.contains("NCBI") && sabs.contains("OMIM"));
        let concepts = concepts_batch(&[]);
        let mut index = CodeIndex::from_concepts([&concepts], &sabs).unwrap();
        for (sab, code, cui) in [
            ("MSH", "D003550", "C0010674"),
            ("MSH", "D011552", "C0033813"),
            ("OMIM", "219700", "C0010674"),
            ("NCBI", "9606", "C0086418"),
        ] {
            index
                .codes
                .entry((sab.into(), code.into()))
                .or_default()
                .push(cui.into());
        }
        let mapper = IdentifierMapper::new(&vocabularies, &index);
        assert_eq!(
            mapper.map("MESH:D003550", "Disease"),
            Ok(vec!["C0010674".to_string()])
        );
        assert_eq!(
            mapper.map("mesh:D003550", "Disease"),
            Ok(vec!["C0010674".to_string()])
        );
        assert_eq!(
            mapper.map("9606", "Species"),
            Ok(vec!["C0086418".to_string()])
        );
        assert_eq!(
            mapper.map("NCBITaxon:9606", "Species"),
            Ok(vec!["C0086418".to_string()])
        );
        assert_eq!(
            mapper.map("UMLS:C0011849", "Disease"),
            Ok(vec!["C0011849".to_string()])
        );
        assert_eq!(mapper.map("51164", "Gene"), Err("Gene".to_string()));
        assert_eq!(
            mapper.map("MESH:D000000", "Disease"),
            Err("MESH".to_string())
        );

        let (batch, stats) = pubtator_mentions(&sentences, &docs, &mapper).unwrap();
        assert_eq!(batch.schema(), mentions::schema());
        assert_eq!(stats.documents, 1);
        assert_eq!(stats.annotations, 8);
        assert_eq!(stats.without_identifier, 1);
        assert_eq!(stats.identifiers, 8);
        assert_eq!(
            stats.unmapped,
            BTreeMap::from([("Gene".to_string(), 1), ("Species".to_string(), 1)])
        );
        assert_eq!(stats.unmapped_annotations, 2);
        assert_eq!(stats.misplaced, 0);
        assert_eq!(stats.mentions, 5);
        // MESH:D003550;OMIM:219700 both map to C0010674: one candidate, not two.
        assert_eq!(batch.num_rows(), 5);
        let surface = batch.column_by_name("surface").unwrap().as_string::<i32>();
        let cui = batch.column_by_name("cui").unwrap().as_string::<i32>();
        let sentence = batch
            .column_by_name("sentence_index")
            .unwrap()
            .as_primitive::<Int32Type>();
        let index_col = batch
            .column_by_name("mention_index")
            .unwrap()
            .as_primitive::<Int32Type>();
        let start = batch
            .column_by_name("start")
            .unwrap()
            .as_primitive::<Int32Type>();
        let got: Vec<(i32, i32, &str, &str)> = (0..batch.num_rows())
            .map(|i| {
                (
                    sentence.value(i),
                    index_col.value(i),
                    surface.value(i),
                    cui.value(i),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (0, 0, "chronic Pseudomonas aeruginosa infection", "C0033813"),
                (0, 1, "cystic fibrosis", "C0010674"),
                (1, 0, "cystic fibrosis", "C0010674"),
                (1, 1, "CF", "C0010674"),
                (1, 2, "patients", "C0086418"),
            ]
        );
        // Sentence offsets: "cystic fibrosis" is at 124 - (82 + 1) = 41 of the abstract.
        assert_eq!(start.value(2), 41);
        let chars: Vec<char> = d.abstract_text.chars().collect();
        assert_eq!(chars[41..56].iter().collect::<String>(), "cystic fibrosis");

        // A sentence whose text differs from PubTator's: the mention is misplaced, not shifted.
        let other = sentences_batch(&[(25763772, 1, "Something else entirely, of the same length or longer than the abstract text is, really.")]);
        let (batch, stats) = pubtator_mentions(&other, &docs, &mapper).unwrap();
        assert_eq!((batch.num_rows(), stats.mentions), (0, 0));
        assert_eq!(stats.misplaced, 5);
    }
}
