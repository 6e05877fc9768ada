//! The PubMed reader: PubmedArticleSet files (baseline and update files, plain or gzip) into
//! `articles`, `deletions` and `rejects`.
//!
//! One file is one partition. Per record it keeps the citation's PMID and Version, title,
//! abstract (every `Abstract/AbstractText` in order, with each section's `Label` and
//! `NlmCategory`), other abstracts, languages, journal, publication year, MeSH descriptors,
//! chemicals, keywords, publication types, DOI, the revision date and provenance (file,
//! record index, byte offset). `PubmedBookArticle` records become rows of kind `book`.
//! `DeleteCitation` PMIDs go to `deletions`. Text is normalised as [`text`] documents.
//!
//! Bad input follows the file's [`ErrorPolicy`]: a record with
//! no (or a non-numeric) PMID, invalid UTF-8, malformed XML, or a truncated or corrupt gzip
//! stream is an error under `fail`; under `skip` and `quarantine` the record is dropped (or
//! kept in `rejects` with its raw bytes, byte offset and reason) and reading resumes at the
//! next record start tag, so one broken record costs one record.
//!
//! Speed: decompression runs on its own thread ([`crate::sources::input`]); the parser uses
//! quick-xml's buffered reader, skips subtrees it does not need with one comparison per event,
//! and writes fields into one reused arena and then straight into Arrow builders.

mod batch;
mod parser;
mod record;
mod skip;
pub mod text;

use std::path::Path;
use std::sync::atomic::AtomicU64;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::sources::{default_batch_size, input, Emit, ErrorPolicy, ReadStats};

/// Options of the `pubmed` stage kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PubmedOptions {
    /// Files to read, as paths or glob patterns (e.g. `pubmed/*.xml.gz`), relative to the
    /// current directory, or `s3://bucket/key` URLs and patterns (the default `s3` feature).
    /// Each matched file is one partition, so adding an update file and re-running reads that
    /// file only. Plain and gzip files are told apart by content.
    pub paths: Vec<String>,
    /// What to do with a record that cannot be read: `fail` (stop with file, byte offset and
    /// reason), `skip` (count it) or `quarantine` (keep it in the `rejects` output).
    #[serde(default)]
    pub on_error: ErrorPolicy,
    /// Rows per output batch.
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
}

impl PubmedOptions {
    /// The per-file reader options these stage options imply.
    pub fn read_options(&self) -> PubmedReadOptions {
        PubmedReadOptions {
            on_error: self.on_error,
            batch_size: self.batch_size,
        }
    }
}

/// How [`read_pubmed`] reads one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PubmedReadOptions {
    /// The error policy for bad records.
    pub on_error: ErrorPolicy,
    /// Rows per emitted batch (at least 1).
    pub batch_size: usize,
}

impl Default for PubmedReadOptions {
    fn default() -> Self {
        PubmedReadOptions {
            on_error: ErrorPolicy::default(),
            batch_size: default_batch_size(),
        }
    }
}

/// Reads one PubmedArticleSet file and emits `articles`, `deletions` and `rejects` batches.
///
/// `progress` grows by the compressed bytes consumed. Returns the file's counts; `read`
/// counts article records and deleted PMIDs.
pub fn read_pubmed(
    path: &Path,
    options: &PubmedReadOptions,
    progress: &AtomicU64,
    emit: &mut Emit<'_>,
) -> Result<ReadStats> {
    let stats = input::with_decoded(path, progress, |stream| {
        parser::read(path, stream, options, emit)
    })?;
    tracing::debug!(file = %path.display(), ?stats, "read PubMed file");
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{BaliError, Position};
    use crate::sources::testing::Collected;
    use crate::tables::TableType;
    use arrow::array::{Array, AsArray, BooleanArray, ListArray, RecordBatch, StructArray};
    use arrow::datatypes::{Date32Type, Int32Type, Int64Type};
    use std::io::Write;
    use std::path::PathBuf;

    const HEADER: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!DOCTYPE PubmedArticleSet PUBLIC \"-//NLM//DTD PubMedArticle, 1st January 2025//EN\" \"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd\">\n";

    fn set(records: &[String]) -> String {
        format!(
            "{HEADER}<PubmedArticleSet>\n{}\n</PubmedArticleSet>\n",
            records.join("\n")
        )
    }

    /// A PubmedArticle with `pmid` and `article` as the content of its Article element.
    fn article(pmid: u32, article: &str) -> String {
        format!(
            "<PubmedArticle><MedlineCitation Status=\"MEDLINE\"><PMID Version=\"1\">{pmid}</PMID>\
             <Article><ArticleTitle>Title {pmid}.</ArticleTitle>{article}</Article></MedlineCitation>\
             <PubmedData><PublicationStatus>ppublish</PublicationStatus></PubmedData></PubmedArticle>"
        )
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    struct Fixture {
        _dir: tempfile::TempDir,
        path: PathBuf,
    }

    fn fixture(name: &str, bytes: &[u8]) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        Fixture { _dir: dir, path }
    }

    fn read(
        path: &Path,
        on_error: ErrorPolicy,
        batch_size: usize,
    ) -> (Result<ReadStats>, Collected) {
        let mut collected = Collected::default();
        let options = PubmedReadOptions {
            on_error,
            batch_size,
        };
        let result = read_pubmed(
            path,
            &options,
            &AtomicU64::new(0),
            &mut collected.sink(batch_size),
        );
        (result, collected)
    }

    fn read_ok(xml: &str) -> (ReadStats, RecordBatch) {
        let file = fixture("test.xml", xml.as_bytes());
        let (stats, collected) = read(&file.path, ErrorPolicy::Fail, 100);
        (stats.unwrap(), collected.table(TableType::Articles))
    }

    fn strings(batch: &RecordBatch, column: &str) -> Vec<Option<String>> {
        let array = batch.column_by_name(column).unwrap().as_string::<i32>();
        array.iter().map(|v| v.map(str::to_string)).collect()
    }

    fn int64s(batch: &RecordBatch, column: &str) -> Vec<i64> {
        batch
            .column_by_name(column)
            .unwrap()
            .as_primitive::<Int64Type>()
            .values()
            .to_vec()
    }

    fn string_list(batch: &RecordBatch, column: &str, row: usize) -> Vec<String> {
        let list = batch
            .column_by_name(column)
            .unwrap()
            .as_list::<i32>()
            .value(row);
        list.as_string::<i32>()
            .iter()
            .map(|v| v.unwrap_or("").to_string())
            .collect()
    }

    /// One struct field of the items of a list-of-struct column, for one row.
    fn struct_field(
        batch: &RecordBatch,
        column: &str,
        row: usize,
        field: &str,
    ) -> Vec<Option<String>> {
        let list: &ListArray = batch.column_by_name(column).unwrap().as_list::<i32>();
        let items = list.value(row);
        let items: &StructArray = items.as_struct();
        let values = items.column_by_name(field).unwrap().as_string::<i32>();
        values.iter().map(|v| v.map(str::to_string)).collect()
    }

    fn bad_input(err: BaliError) -> (PathBuf, Position, String) {
        match err {
            BaliError::BadInput {
                file,
                position,
                reason,
            } => (file, position, reason),
            other => panic!("expected bad input, got {other}"),
        }
    }

    /// Field values of one record of the real baseline file, read off the XML with lxml.
    struct Spot {
        index: usize,
        pmid: i64,
        title: &'static str,
        abstract_chars: usize,
        abstract_start: &'static str,
        labels: &'static [Option<&'static str>],
        languages: &'static [&'static str],
        journal_iso: &'static str,
        pub_year: i32,
        mesh_uis: &'static [&'static str],
        mesh_major: &'static str,
        chemicals: &'static [(&'static str, &'static str)],
        keywords: &'static [&'static str],
        doi: Option<&'static str>,
        date_revised_days: i32,
        other_abstracts: usize,
    }

    const SPOTS: &[Spot] = &[
        Spot {
            index: 0,
            pmid: 399296,
            title: "Monitoring of bacteriological contamination and assessment of carcase surface growth by using direct and indirect contact examination techniques and various colony counting procedures.",
            abstract_chars: 554,
            abstract_start: "Two hundred and sixty nine beef, 230 she",
            labels: &[None],
            languages: &["eng"],
            journal_iso: "J S Afr Vet Assoc",
            pub_year: 1979,
            mesh_uis: &["D000003", "D000818", "D001431", "D002417", "D005516", "D008460", "D012756", "D013552"],
            mesh_major: "NNYNYYNN",
            chemicals: &[],
            keywords: &[],
            doi: None,
            date_revised_days: 12370,
            other_abstracts: 0,
        },
        Spot {
            index: 1,
            pmid: 399297,
            title: "[The pineal body].",
            abstract_chars: 0,
            abstract_start: "",
            labels: &[],
            languages: &["afr"],
            journal_iso: "J S Afr Vet Assoc",
            pub_year: 1979,
            mesh_uis: &["D000818", "D008550", "D010870"],
            mesh_major: "NNY",
            chemicals: &[("D008550", "JL5DK93RCL")],
            keywords: &[],
            doi: None,
            date_revised_days: 16030,
            other_abstracts: 0,
        },
        Spot {
            index: 2,
            pmid: 399298,
            title: "The prevalence of Encephalitozoon antibodies in dogs and an evaluation of the indirect fluorescent antibody test.",
            abstract_chars: 743,
            abstract_start: "Fifteen dogs which were serologically ne",
            labels: &[None],
            languages: &["eng"],
            journal_iso: "J S Afr Vet Assoc",
            pub_year: 1979,
            mesh_uis: &["D000818", "D000906", "D004283", "D004285", "D056890", "D005455", "D011528", "D011529"],
            mesh_major: "NYYNYYNY",
            chemicals: &[("D000906", "0")],
            keywords: &[],
            doi: None,
            date_revised_days: 14567,
            other_abstracts: 0,
        },
        Spot {
            index: 3,
            pmid: 399299,
            title: "Effect of sodium azide on the ultrastructural preservation of tissues.",
            abstract_chars: 1176,
            abstract_start: "An electron microscopic study was carrie",
            labels: &[None],
            languages: &["eng"],
            journal_iso: "J Microsc",
            pub_year: 1979,
            mesh_uis: &["D000818", "D001386", "D005347", "D006651", "D006652", "D006801", "D007421", "D007668", "D008099", "D008214", "D051379", "D008853", "D008854", "D008928", "D009132", "D009206", "D012964", "D014021"],
            mesh_major: "NYNNNNNNNNNNNNNNNY",
            chemicals: &[("D001386", "0"), ("D012964", "9NEZ333N27")],
            keywords: &[],
            doi: Some("10.1111/j.1365-2818.1979.tb01180.x"),
            date_revised_days: 18141,
            other_abstracts: 0,
        },
        Spot {
            index: 19,
            pmid: 399315,
            title: "Hormone therapy and affect.",
            abstract_chars: 1186,
            abstract_start: "This study investigated the influence of",
            labels: &[None],
            languages: &["eng"],
            journal_iso: "Maturitas",
            pub_year: 1979,
            mesh_uis: &["D000339", "D000368", "D002369", "D002986", "D003863", "D004311", "D004338", "D004967", "D004997", "D005260", "D006801", "D007044", "D008593", "D009644", "D011374", "D011569"],
            mesh_major: "YNNNNNNNYNNNYYNN",
            chemicals: &[("D004338", "0"), ("D004967", "0"), ("D009644", "3J8Q1747Z2"), ("D004997", "423D2T571U"), ("D011374", "4G7DS2Q64Y")],
            keywords: &["Behavior", "Central Nervous System Effects", "Contraception", "Contraceptive Agents", "Contraceptive Agents, Estrogen", "Contraceptive Agents, Female", "Depression--analysis", "Diseases", "Ethinyl Estradiol", "Family Planning", "Mental Disorders", "Population Characteristics", "Psychological Factors"],
            doi: Some("10.1016/0378-5122(79)90015-x"),
            date_revised_days: 18150,
            other_abstracts: 1,
        },
        Spot {
            index: 23,
            pmid: 399319,
            title: "[Controlled clinical trial of a new antibiotic \"CM 9164\" (Midecacin) in dental and stomatological practice].",
            abstract_chars: 1027,
            abstract_start: "The action of a new antibiotic identifie",
            labels: &[None],
            languages: &["ita"],
            journal_iso: "Minerva Stomatol",
            pub_year: 1979,
            mesh_uis: &["D000293", "D000328", "D001419", "D001424", "D002648", "D002986", "D003560", "D004341", "D004917", "D005260", "D005882", "D006099", "D006801", "D007933", "D008297", "D008826", "D008875", "D009059", "D010000", "D010522"],
            mesh_major: "NNNYNNNNNNNNNYNNNYNN",
            chemicals: &[("D007933", "0"), ("D004917", "63937KV33D"), ("C026483", "N34Z0Y5UH7")],
            keywords: &[],
            doi: None,
            date_revised_days: 17487,
            other_abstracts: 0,
        },
        Spot {
            index: 965,
            pmid: 400261,
            title: "[Continuing Education Course of the Swiss Society for Psychiatry. Biological aspects of psychiatry. Introduction].",
            abstract_chars: 909,
            abstract_start: "The author traces the prestigious histor",
            labels: &[None],
            languages: &["fre", "ger"],
            journal_iso: "Schweiz Arch Neurol Neurochir Psychiatr",
            pub_year: 1979,
            mesh_uis: &["D000046", "D005060", "D049672", "D049673", "D049711", "D006801", "D001523", "D010684", "D011570", "D011572", "D011603", "D013557"],
            mesh_major: "NNNNNNNNYNYN",
            chemicals: &[],
            keywords: &[],
            doi: None,
            date_revised_days: 13467,
            other_abstracts: 0,
        },
        Spot {
            index: 2045,
            pmid: 401343,
            title: "Psychotropic drugs and their relationship with psychopathology of affective disorders.",
            abstract_chars: 1016,
            abstract_start: "In this paper we discuss the relationshi",
            labels: &[Some("UNLABELLED"), Some("ABBREVIATIONS")],
            languages: &["eng"],
            journal_iso: "Prog Neuropsychopharmacol",
            pub_year: 1979,
            mesh_uis: &["D000818", "D000928", "D006801", "D008094", "D008734", "D019964", "D011619"],
            mesh_major: "NNNNNYY",
            chemicals: &[("D000928", "0"), ("D011619", "0"), ("D008734", "534-82-7"), ("D008094", "9FN79X2M3F")],
            keywords: &[],
            doi: Some("10.1016/0364-7722(79)90066-3"),
            date_revised_days: 18197,
            other_abstracts: 0,
        },
        Spot {
            index: 2506,
            pmid: 401804,
            title: "High pressure liquid chromatographic determination of 4,4'-(diazoamino)-dibenzenesulfonic acid in FD&C yellow no. 6.",
            abstract_chars: 427,
            abstract_start: "Fourteen analysts from 9 laboratories ev",
            labels: &[None],
            languages: &["eng"],
            journal_iso: "J Assoc Off Anal Chem",
            pub_year: 1977,
            mesh_uis: &["D001391", "D002851", "D005505", "D009282", "D004124"],
            mesh_major: "YNYYY",
            chemicals: &[("D001391", "0"), ("D005505", "0"), ("D009282", "0"), ("D004124", "A49L8E13FD")],
            keywords: &[],
            doi: None,
            date_revised_days: 16030,
            other_abstracts: 0,
        },
        Spot {
            index: 8344,
            pmid: 407700,
            title: "An epizootic among knots (Calidris canutus) in Florida. II. Ultrastructure of the causative agent, a Besnoitia-like organism.",
            abstract_chars: 674,
            abstract_start: "Multinucleated cysts near the luminal su",
            labels: &[None],
            languages: &["eng"],
            journal_iso: "Vet. Pathol.",
            pub_year: 1977,
            mesh_uis: &["D000818", "D001013", "D016782", "D001715", "D005431", "D011528", "D011529"],
            mesh_major: "NNYYNNY",
            chemicals: &[],
            keywords: &[],
            doi: Some("10.1177/030098587701400406"),
            date_revised_days: 17721,
            other_abstracts: 0,
        },
        Spot {
            index: 17000,
            pmid: 416508,
            title: "Zinc and copper deficiency, with particular reference to parenteral nutrition.",
            abstract_chars: 834,
            abstract_start: "Trace mineral metabolism has reached a n",
            labels: &[None],
            languages: &["eng"],
            journal_iso: "Surg Annu",
            pub_year: 1978,
            mesh_uis: &["D000169", "D000505", "D000818", "D003300", "D003872", "D003967", "D004392", "D006128", "D006801", "D007006", "D008286", "D007706", "D009461", "D010288", "D010289", "D015032"],
            mesh_major: "NNNYNNNNNNNNNYYY",
            chemicals: &[("D003300", "789U1901C5"), ("D015032", "J41CSQ7QDS")],
            keywords: &[],
            doi: None,
            date_revised_days: 16030,
            other_abstracts: 0,
        },
        Spot {
            index: 29999,
            pmid: 429554,
            title: "Endogenous angiotensin stimulation of vasopressin in the newborn lamb.",
            abstract_chars: 1870,
            abstract_start: "The effect of furosemide on plasma renin",
            labels: &[None],
            languages: &["eng"],
            journal_iso: "J. Clin. Invest.",
            pub_year: 1979,
            mesh_uis: &["D000804", "D000818", "D000831", "D005665", "D009392", "D012083", "D012504", "D012756", "D014667"],
            mesh_major: "YNYNNNNNY",
            chemicals: &[("D014667", "11000-17-2"), ("D000804", "11128-99-7"), ("D005665", "7LXU5N7ZO5"), ("D012083", "EC 3.4.23.15"), ("D012504", "H2AFV2HE66")],
            keywords: &[],
            doi: Some("10.1172/JCI109301"),
            date_revised_days: 17848,
            other_abstracts: 0,
        },

    ];

    #[test]
    fn real_baseline_file_counts_and_spot_checked_records() {
        let Some(path) = crate::testutil::shared("data/pubmed/pubmed20n0014.xml.gz") else {
            return;
        };
        let progress = AtomicU64::new(0);
        let mut collected = Collected::default();
        let options = PubmedReadOptions::default();
        let stats = read_pubmed(
            &path,
            &options,
            &progress,
            &mut collected.sink(options.batch_size),
        )
        .unwrap();
        assert_eq!(
            progress.load(std::sync::atomic::Ordering::Relaxed),
            std::fs::metadata(&path).unwrap().len()
        );
        assert_eq!(
            stats,
            ReadStats {
                read: 30_000,
                written: 30_000,
                ..ReadStats::default()
            }
        );
        assert_eq!(collected.rows(TableType::Deletions), 0);
        assert_eq!(collected.rows(TableType::Rejects), 0);
        let batches = &collected.batches[&TableType::Articles];
        assert_eq!(batches.len(), 30_000usize.div_ceil(options.batch_size));
        let articles = collected.table(TableType::Articles);

        // 14,943 AbstractText elements: 14,841 in Abstract, 102 in OtherAbstract (PIP).
        let sections = articles
            .column_by_name("abstract_sections")
            .unwrap()
            .as_list::<i32>();
        let others = articles
            .column_by_name("other_abstracts")
            .unwrap()
            .as_list::<i32>();
        assert_eq!(sections.values().len(), 14_841);
        assert_eq!(others.values().len(), 102);
        assert_eq!(sections.values().len() + others.values().len(), 14_943);
        let with_abstract = articles.column_by_name("abstract").unwrap().len()
            - articles.column_by_name("abstract").unwrap().null_count();
        assert_eq!(with_abstract, 14_832);

        let indexes = int64s(&articles, "article_index");
        assert!(indexes.iter().enumerate().all(|(i, v)| *v == i as i64));
        assert_eq!(
            strings(&articles, "source_file")[0].as_deref(),
            Some("pubmed20n0014.xml.gz")
        );
        // Where `<PubmedArticle>` first occurs in the decompressed file (`zcat | grep -b`).
        assert_eq!(int64s(&articles, "byte_offset")[0], 204);
        assert!(strings(&articles, "kind")
            .iter()
            .all(|k| k.as_deref() == Some("article")));

        let pmids = int64s(&articles, "pmid");
        let titles = strings(&articles, "title");
        let abstracts = strings(&articles, "abstract");
        let isos = strings(&articles, "journal_iso");
        let dois = strings(&articles, "doi");
        let years = articles
            .column_by_name("pub_year")
            .unwrap()
            .as_primitive::<Int32Type>();
        let revised = articles
            .column_by_name("date_revised")
            .unwrap()
            .as_primitive::<Date32Type>();
        let versions = articles
            .column_by_name("version")
            .unwrap()
            .as_primitive::<Int32Type>();
        for spot in SPOTS {
            let row = spot.index;
            assert_eq!(pmids[row], spot.pmid, "row {row}");
            assert_eq!(versions.value(row), 1);
            assert_eq!(
                titles[row].as_deref(),
                Some(spot.title),
                "pmid {}",
                spot.pmid
            );
            let text = abstracts[row].clone().unwrap_or_default();
            assert_eq!(
                text.chars().count(),
                spot.abstract_chars,
                "pmid {}",
                spot.pmid
            );
            assert!(text.starts_with(spot.abstract_start), "pmid {}", spot.pmid);
            let labels = struct_field(&articles, "abstract_sections", row, "label");
            assert_eq!(
                labels,
                spot.labels
                    .iter()
                    .map(|l| l.map(str::to_string))
                    .collect::<Vec<_>>()
            );
            assert_eq!(string_list(&articles, "languages", row), spot.languages);
            assert_eq!(isos[row].as_deref(), Some(spot.journal_iso));
            assert_eq!(years.value(row), spot.pub_year);
            let mesh_uis = struct_field(&articles, "mesh", row, "ui");
            assert_eq!(
                mesh_uis,
                spot.mesh_uis
                    .iter()
                    .map(|u| Some(u.to_string()))
                    .collect::<Vec<_>>()
            );
            let mesh = articles
                .column_by_name("mesh")
                .unwrap()
                .as_list::<i32>()
                .value(row);
            let major: &BooleanArray = mesh
                .as_struct()
                .column_by_name("major_topic")
                .unwrap()
                .as_boolean();
            let major: String = major
                .iter()
                .map(|m| if m == Some(true) { 'Y' } else { 'N' })
                .collect();
            assert_eq!(major, spot.mesh_major, "pmid {}", spot.pmid);
            let chemical_uis = struct_field(&articles, "chemicals", row, "ui");
            let registry = struct_field(&articles, "chemicals", row, "registry_number");
            let chemicals: Vec<(String, String)> = chemical_uis
                .into_iter()
                .zip(registry)
                .map(|(u, r)| (u.unwrap_or_default(), r.unwrap_or_default()))
                .collect();
            let expected: Vec<(String, String)> = spot
                .chemicals
                .iter()
                .map(|(u, r)| (u.to_string(), r.to_string()))
                .collect();
            assert_eq!(chemicals, expected);
            assert_eq!(string_list(&articles, "keywords", row), spot.keywords);
            assert_eq!(dois[row].as_deref(), spot.doi);
            assert_eq!(revised.value(row), spot.date_revised_days);
            assert_eq!(others.value(row).len(), spot.other_abstracts);
        }
    }

    #[test]
    fn structured_abstract_keeps_sections_in_order_with_label_and_category() {
        let xml = set(&[article(
            1,
            "<Abstract>\
               <AbstractText Label=\"BACKGROUND\" NlmCategory=\"BACKGROUND\">Why.</AbstractText>\
               <AbstractText Label=\"MATERIAL AND METHODS\" NlmCategory=\"METHODS\">How.</AbstractText>\
               <AbstractText>Unlabelled.</AbstractText>\
               <CopyrightInformation>(c) 2020</CopyrightInformation>\
             </Abstract>",
        )]);
        let (stats, articles) = read_ok(&xml);
        assert_eq!(stats.written, 1);
        assert_eq!(
            strings(&articles, "abstract"),
            [Some("Why.\nHow.\nUnlabelled.".to_string())]
        );
        let labels = struct_field(&articles, "abstract_sections", 0, "label");
        assert_eq!(
            labels,
            [
                Some("BACKGROUND".into()),
                Some("MATERIAL AND METHODS".into()),
                None
            ]
        );
        let categories = struct_field(&articles, "abstract_sections", 0, "nlm_category");
        assert_eq!(
            categories,
            [Some("BACKGROUND".into()), Some("METHODS".into()), None]
        );
        let texts = struct_field(&articles, "abstract_sections", 0, "text");
        assert_eq!(
            texts,
            [
                Some("Why.".into()),
                Some("How.".into()),
                Some("Unlabelled.".into())
            ]
        );
    }

    #[test]
    fn inline_markup_keeps_its_text_with_no_words_glued_or_lost() {
        let xml = set(&[String::from(
            "<PubmedArticle><MedlineCitation><PMID Version=\"1\">7</PMID><Article>\
             <ArticleTitle>NF-<i>κ</i>B activation in CD4<sup>+</sup> T cells and H<sub>2</sub>O<sub>2</sub></ArticleTitle>\
             <Abstract><AbstractText>We saw <b>strong</b> and <u>weak</u>\n   effects <i>in\n vivo</i>; \
             area <mml:math xmlns:mml=\"http://www.w3.org/1998/Math/MathML\"><mml:mrow><mml:msup><mml:mi>r</mml:mi>\n\
             <mml:mn>2</mml:mn></mml:msup></mml:mrow></mml:math> grew<sup>[<xref>1</xref>]</sup>.</AbstractText></Abstract>\
             </Article><KeywordList Owner=\"NOTNLM\"><Keyword>IL-1<i>β</i></Keyword></KeywordList></MedlineCitation></PubmedArticle>"
        )]);
        let (_, articles) = read_ok(&xml);
        assert_eq!(
            strings(&articles, "title"),
            [Some(
                "NF-κB activation in CD4+ T cells and H2O2".to_string()
            )]
        );
        assert_eq!(
            strings(&articles, "abstract"),
            [Some(
                "We saw strong and weak effects in vivo; area r 2 grew[1].".to_string()
            )],
            "MathML keeps its tokens; the newline between them is whitespace like any other"
        );
        assert_eq!(string_list(&articles, "keywords", 0), ["IL-1β"]);
    }

    #[test]
    fn non_ascii_text_references_and_whitespace_are_normalised() {
        let xml = set(&[article(
            2,
            "<Abstract><AbstractText>  Burghölzli &amp; Zürich: p&lt;0.05, 10&#160;mg, &#x3B1;-helix, \
             5&#x2009;°C, &unknown; \u{4e2d}文  </AbstractText></Abstract><Language>ger</Language>",
        )]);
        let (_, articles) = read_ok(&xml);
        assert_eq!(
            strings(&articles, "abstract"),
            [Some(
                "Burghölzli & Zürich: p<0.05, 10 mg, α-helix, 5 °C, &unknown; 中文".to_string()
            )]
        );
        assert_eq!(string_list(&articles, "languages", 0), ["ger"]);
    }

    #[test]
    fn versions_are_kept_per_record_and_default_to_one() {
        let xml = set(&[
            "<PubmedArticle><MedlineCitation><PMID Version=\"1\">30</PMID><Article><ArticleTitle>Old.</ArticleTitle></Article></MedlineCitation></PubmedArticle>".to_string(),
            "<PubmedArticle><MedlineCitation><PMID Version=\"2\">30</PMID><Article><ArticleTitle>New.</ArticleTitle></Article></MedlineCitation></PubmedArticle>".to_string(),
            "<PubmedArticle><MedlineCitation><PMID>31</PMID><Article><ArticleTitle>None.</ArticleTitle></Article>\
             <CommentsCorrectionsList><CommentsCorrections RefType=\"ErratumIn\"><PMID Version=\"5\">99</PMID></CommentsCorrections></CommentsCorrectionsList>\
             </MedlineCitation></PubmedArticle>".to_string(),
        ]);
        let (_, articles) = read_ok(&xml);
        assert_eq!(int64s(&articles, "pmid"), [30, 30, 31]);
        let versions = articles
            .column_by_name("version")
            .unwrap()
            .as_primitive::<Int32Type>();
        assert_eq!(versions.values().to_vec(), [1, 2, 1]);
        assert_eq!(int64s(&articles, "article_index"), [0, 1, 2]);
    }

    #[test]
    fn delete_citations_go_to_deletions_with_their_offsets() {
        let record = article(40, "");
        let deletion = "<DeleteCitation>\n<PMID Version=\"1\">41</PMID>\n<PMID Version=\"1\">42</PMID>\n</DeleteCitation>";
        let xml = set(&[record, deletion.to_string()]);
        let file = fixture("pubmed25n1300.xml", xml.as_bytes());
        let (stats, collected) = read(&file.path, ErrorPolicy::Fail, 100);
        assert_eq!(
            stats.unwrap(),
            ReadStats {
                read: 3,
                written: 3,
                ..ReadStats::default()
            }
        );
        let deletions = collected.table(TableType::Deletions);
        assert_eq!(int64s(&deletions, "pmid"), [41, 42]);
        let offsets: Vec<usize> = int64s(&deletions, "byte_offset")
            .iter()
            .map(|o| *o as usize)
            .collect();
        let expected: Vec<usize> = ["<PMID Version=\"1\">41", "<PMID Version=\"1\">42"]
            .iter()
            .map(|p| xml.find(p).unwrap())
            .collect();
        assert_eq!(offsets, expected);
        assert_eq!(
            strings(&deletions, "source_file"),
            [
                Some("pubmed25n1300.xml".into()),
                Some("pubmed25n1300.xml".into())
            ]
        );
        assert_eq!(int64s(&collected.table(TableType::Articles), "pmid"), [40]);
    }

    #[test]
    fn book_articles_become_rows_of_kind_book() {
        let book = "<PubmedBookArticle><BookDocument><PMID Version=\"1\">20301295</PMID>\
            <ArticleIdList><ArticleId IdType=\"bookaccession\">NBK1116</ArticleId></ArticleIdList>\
            <Book><Publisher><PublisherName>University of Washington, Seattle</PublisherName></Publisher>\
            <BookTitle book=\"gene\">GeneReviews<sup>®</sup></BookTitle><PubDate><Year>1993</Year></PubDate></Book>\
            <ArticleTitle>Alpha-Thalassemia</ArticleTitle><Language>eng</Language>\
            <PublicationType UI=\"D016454\">Review</PublicationType>\
            <Abstract><AbstractText Label=\"CLINICAL CHARACTERISTICS\">Two forms.</AbstractText></Abstract>\
            <KeywordList><Keyword>HBA1</Keyword></KeywordList>\
            <DateRevised><Year>2020</Year><Month>10</Month><Day>1</Day></DateRevised></BookDocument>\
            <PubmedBookData><ArticleIdList><ArticleId IdType=\"pubmed\">20301295</ArticleId><ArticleId IdType=\"doi\">10.1000/book</ArticleId></ArticleIdList></PubmedBookData>\
            </PubmedBookArticle>";
        let untitled = "<PubmedBookArticle><BookDocument><PMID>20301296</PMID><Book><BookTitle>Only a book title</BookTitle></Book></BookDocument></PubmedBookArticle>";
        let (stats, articles) = read_ok(&set(&[book.to_string(), untitled.to_string()]));
        assert_eq!(stats.written, 2);
        assert_eq!(
            strings(&articles, "kind"),
            [Some("book".into()), Some("book".into())]
        );
        assert_eq!(int64s(&articles, "pmid"), [20301295, 20301296]);
        assert_eq!(
            strings(&articles, "title"),
            [
                Some("Alpha-Thalassemia".into()),
                Some("Only a book title".into())
            ]
        );
        assert_eq!(
            strings(&articles, "journal")[0].as_deref(),
            Some("University of Washington, Seattle")
        );
        assert_eq!(
            strings(&articles, "abstract")[0].as_deref(),
            Some("Two forms.")
        );
        assert_eq!(
            strings(&articles, "doi")[0].as_deref(),
            Some("10.1000/book")
        );
        assert_eq!(
            articles
                .column_by_name("pub_year")
                .unwrap()
                .as_primitive::<Int32Type>()
                .value(0),
            1993
        );
        assert_eq!(string_list(&articles, "publication_types", 0), ["Review"]);
        assert_eq!(string_list(&articles, "keywords", 0), ["HBA1"]);
        let revised = articles
            .column_by_name("date_revised")
            .unwrap()
            .as_primitive::<Date32Type>();
        assert_eq!(revised.value(0), 18_536);
        assert!(revised.is_null(1));
    }

    #[test]
    fn other_abstracts_are_kept_apart_from_the_abstract() {
        let xml = set(&[String::from(
            "<PubmedArticle><MedlineCitation><PMID>50</PMID><Article><ArticleTitle>T.</ArticleTitle>\
             <Abstract><AbstractText>Main.</AbstractText></Abstract></Article>\
             <OtherAbstract Type=\"Publisher\" Language=\"spa\"><AbstractText Label=\"A\">Uno.</AbstractText><AbstractText>Dos.</AbstractText></OtherAbstract>\
             <OtherAbstract Type=\"PIP\" Language=\"eng\"><AbstractText>Summary.</AbstractText></OtherAbstract>\
             </MedlineCitation></PubmedArticle>"
        )]);
        let (_, articles) = read_ok(&xml);
        assert_eq!(strings(&articles, "abstract"), [Some("Main.".into())]);
        assert_eq!(
            struct_field(&articles, "other_abstracts", 0, "text"),
            [Some("Uno.\nDos.".into()), Some("Summary.".into())]
        );
        assert_eq!(
            struct_field(&articles, "other_abstracts", 0, "type"),
            [Some("Publisher".into()), Some("PIP".into())]
        );
        assert_eq!(
            struct_field(&articles, "other_abstracts", 0, "language"),
            [Some("spa".into()), Some("eng".into())]
        );
    }

    #[test]
    fn gzip_and_plain_are_told_apart_by_magic_bytes() {
        let xml = set(&[
            article(
                60,
                "<Abstract><AbstractText>Same.</AbstractText></Abstract>",
            ),
            article(61, ""),
        ]);
        let gz = fixture("no_gz_suffix.xml", &gzip(xml.as_bytes()));
        let plain = fixture("misleading.xml.gz", xml.as_bytes());
        let (from_gz, gz_out) = read(&gz.path, ErrorPolicy::Fail, 100);
        let (from_plain, plain_out) = read(&plain.path, ErrorPolicy::Fail, 100);
        assert_eq!(from_gz.unwrap(), from_plain.unwrap());
        let (a, b) = (
            gz_out.table(TableType::Articles),
            plain_out.table(TableType::Articles),
        );
        assert_eq!(a.num_rows(), 2);
        for column in ["pmid", "byte_offset"] {
            assert_eq!(int64s(&a, column), int64s(&b, column));
        }
        assert_eq!(strings(&a, "abstract"), strings(&b, "abstract"));
    }

    #[test]
    fn small_batches_split_the_output() {
        let records: Vec<String> = (1..=5).map(|pmid| article(pmid, "")).collect();
        let file = fixture("five.xml", set(&records).as_bytes());
        let (stats, collected) = read(&file.path, ErrorPolicy::Fail, 2);
        assert_eq!(stats.unwrap().written, 5);
        let sizes: Vec<usize> = collected.batches[&TableType::Articles]
            .iter()
            .map(RecordBatch::num_rows)
            .collect();
        assert_eq!(sizes, [2, 2, 1]);
    }

    #[test]
    fn an_error_from_emit_stops_reading() {
        let records: Vec<String> = (1..=5).map(|pmid| article(pmid, "")).collect();
        let file = fixture("five.xml", set(&records).as_bytes());
        let options = PubmedReadOptions {
            on_error: ErrorPolicy::Fail,
            batch_size: 1,
        };
        let mut calls = 0;
        let result = read_pubmed(&file.path, &options, &AtomicU64::new(0), &mut |_, _| {
            calls += 1;
            Err(BaliError::Cancelled)
        });
        assert!(result.unwrap_err().is_cancelled());
        assert_eq!(calls, 1);
    }

    /// Three records, the middle one bad as `middle` makes it; reads it under each policy and
    /// checks the error (file, byte offset of the record, reason) or what was kept.
    fn check_bad_middle_record(middle: &[u8], reason_part: &str, gz: bool) {
        let first = article(70, "");
        let last = article(72, "");
        let mut xml = format!("{HEADER}<PubmedArticleSet>\n{first}\n").into_bytes();
        let offset = xml.len() as u64;
        xml.extend_from_slice(middle);
        xml.extend_from_slice(format!("\n{last}\n</PubmedArticleSet>\n").as_bytes());
        let bytes = if gz { gzip(&xml) } else { xml.clone() };
        let file = fixture("bad.xml", &bytes);

        let (result, _) = read(&file.path, ErrorPolicy::Fail, 100);
        let (path, position, reason) = bad_input(result.unwrap_err());
        assert_eq!(path, file.path);
        assert_eq!(position, Position::Byte(offset));
        assert!(
            reason.contains(reason_part),
            "{reason:?} lacks {reason_part:?}"
        );

        let (stats, collected) = read(&file.path, ErrorPolicy::Skip, 100);
        assert_eq!(
            stats.unwrap(),
            ReadStats {
                read: 3,
                written: 2,
                skipped: 1,
                ..ReadStats::default()
            }
        );
        assert_eq!(
            int64s(&collected.table(TableType::Articles), "pmid"),
            [70, 72]
        );
        assert_eq!(collected.rows(TableType::Rejects), 0);

        let (stats, collected) = read(&file.path, ErrorPolicy::Quarantine, 100);
        assert_eq!(
            stats.unwrap(),
            ReadStats {
                read: 3,
                written: 2,
                quarantined: 1,
                ..ReadStats::default()
            }
        );
        assert_eq!(
            int64s(&collected.table(TableType::Articles), "pmid"),
            [70, 72]
        );
        let rejects = collected.table(TableType::Rejects);
        assert_eq!(rejects.num_rows(), 1);
        assert_eq!(strings(&rejects, "source_file"), [Some("bad.xml".into())]);
        assert_eq!(int64s(&rejects, "byte_offset"), [offset as i64]);
        assert!(rejects.column_by_name("line").unwrap().is_null(0));
        assert!(strings(&rejects, "reason")[0]
            .as_deref()
            .unwrap()
            .contains(reason_part));
        let raw = rejects
            .column_by_name("raw")
            .unwrap()
            .as_binary::<i32>()
            .value(0);
        assert!(
            raw.starts_with(&middle[..20]),
            "raw {:?}",
            String::from_utf8_lossy(raw)
        );
        assert!(
            !String::from_utf8_lossy(raw).contains("<PMID Version=\"1\">72"),
            "raw swallowed the next record"
        );
    }

    #[test]
    fn an_article_without_pmid_follows_the_policy() {
        let middle = b"<PubmedArticle><MedlineCitation><Article><ArticleTitle>No id.</ArticleTitle></Article></MedlineCitation></PubmedArticle>";
        check_bad_middle_record(middle, "has no PMID", false);
        let non_numeric = b"<PubmedArticle><MedlineCitation><PMID>12a</PMID><Article/></MedlineCitation></PubmedArticle>";
        check_bad_middle_record(non_numeric, "PMID \"12a\" is not a number", false);
    }

    #[test]
    fn malformed_xml_follows_the_policy_and_costs_one_record() {
        let mismatched = b"<PubmedArticle><MedlineCitation><PMID>71</PMID><Article><ArticleTitle>Bad</Title></Article></MedlineCitation></PubmedArticle>";
        check_bad_middle_record(
            mismatched,
            "expected </ArticleTitle>, found </Title>",
            false,
        );
        let bare_less_than = b"<PubmedArticle><MedlineCitation><PMID>71</PMID><Article><ArticleTitle>p < 0.05</ArticleTitle></Article></MedlineCitation></PubmedArticle>";
        check_bad_middle_record(bare_less_than, "malformed XML", false);
        let missing_end = b"<PubmedArticle><MedlineCitation><PMID>71</PMID><Article><ArticleTitle>Lost end</ArticleTitle></Article>";
        check_bad_middle_record(
            missing_end,
            "<PubmedArticle> starts before </PubmedArticle> closes",
            true,
        );
    }

    #[test]
    fn invalid_utf8_follows_the_policy_with_the_exact_offset_in_the_reason() {
        let mut middle =
            b"<PubmedArticle><MedlineCitation><PMID>71</PMID><Article><ArticleTitle>caf".to_vec();
        let bad_at = middle.len();
        middle.extend_from_slice(
            b"\xe9 latin-1</ArticleTitle></Article></MedlineCitation></PubmedArticle>",
        );
        let first = article(70, "");
        let record_offset = format!("{HEADER}<PubmedArticleSet>\n{first}\n").len();
        let expected = format!(
            "malformed XML at byte {}: invalid UTF-8",
            record_offset + bad_at
        );
        check_bad_middle_record(&middle, &expected, false);
    }

    #[test]
    fn truncated_gzip_keeps_what_was_read_and_follows_the_policy() {
        let records: Vec<String> = (1..=400)
            .map(|pmid| {
                article(
                    pmid,
                    "<Abstract><AbstractText>Some text that compresses.</AbstractText></Abstract>",
                )
            })
            .collect();
        let xml = set(&records);
        let full = gzip(xml.as_bytes());
        let file = fixture("cut.xml.gz", &full[..full.len() * 2 / 3]);

        let (result, _) = read(&file.path, ErrorPolicy::Fail, 1000);
        let (path, position, reason) = bad_input(result.unwrap_err());
        assert_eq!(path, file.path);
        assert!(reason.contains("truncated or corrupt gzip"), "{reason}");
        let Position::Byte(at) = position else {
            panic!("{position:?}")
        };
        assert!(
            xml[at as usize..].starts_with("<PubmedArticle>"),
            "offset {at} is not a record start"
        );

        let (stats, collected) = read(&file.path, ErrorPolicy::Quarantine, 1000);
        let stats = stats.unwrap();
        assert_eq!(stats.quarantined, 1);
        assert_eq!(stats.read, stats.written + 1);
        assert!(stats.written > 100 && stats.written < 400, "{stats:?}");
        let pmids = int64s(&collected.table(TableType::Articles), "pmid");
        assert_eq!(pmids, (1..=stats.written as i64).collect::<Vec<_>>());
        let rejects = collected.table(TableType::Rejects);
        assert_eq!(int64s(&rejects, "byte_offset"), [at as i64]);
        let raw = rejects
            .column_by_name("raw")
            .unwrap()
            .as_binary::<i32>()
            .value(0);
        assert!(
            xml.as_bytes()[at as usize..].starts_with(raw),
            "raw is the readable prefix of the record"
        );
    }

    #[test]
    fn a_file_that_is_not_pubmed_is_bad_input() {
        let file = fixture(
            "other.xml",
            b"<?xml version=\"1.0\"?><html><body>hi</body></html>",
        );
        let (result, _) = read(&file.path, ErrorPolicy::Fail, 10);
        let (_, position, reason) = bad_input(result.unwrap_err());
        assert_eq!(position, Position::Byte(21));
        assert!(reason.contains("the root element is <html>"), "{reason}");
        let empty = fixture("empty.xml", b"");
        let (result, _) = read(&empty.path, ErrorPolicy::Fail, 10);
        assert!(bad_input(result.unwrap_err())
            .2
            .contains("no <PubmedArticleSet>"));
    }

    #[test]
    fn truncated_plain_xml_is_bad_input() {
        let xml = set(&[article(80, ""), article(81, "")]);
        let cut = &xml[..xml.find("<PMID Version=\"1\">81").unwrap() + 10];
        let file = fixture("cut.xml", cut.as_bytes());
        let (stats, collected) = read(&file.path, ErrorPolicy::Skip, 10);
        assert_eq!(
            stats.unwrap(),
            ReadStats {
                read: 2,
                written: 1,
                skipped: 1,
                ..ReadStats::default()
            }
        );
        assert_eq!(int64s(&collected.table(TableType::Articles), "pmid"), [80]);
    }

    fn sample(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("sample_data/pubmed")
            .join(name)
    }

    /// The row of `pmid` (the first one) in `articles`.
    fn row_of(articles: &RecordBatch, pmid: i64) -> usize {
        int64s(articles, "pmid")
            .iter()
            .position(|p| *p == pmid)
            .unwrap()
    }

    #[test]
    fn sample_data_files_read_with_every_feature_they_exercise() {
        let (stats, one) = read(&sample("pubmed26n0001.xml"), ErrorPolicy::Fail, 10);
        assert_eq!(
            stats.unwrap(),
            ReadStats {
                read: 25,
                written: 25,
                ..ReadStats::default()
            }
        );
        let articles = one.table(TableType::Articles);
        let titles = strings(&articles, "title");
        let abstracts = strings(&articles, "abstract");
        let text = |pmid: i64| {
            abstracts[row_of(&articles, pmid)]
                .clone()
                .unwrap_or_default()
        };
        assert!(titles[row_of(&articles, 80_000_004)]
            .as_deref()
            .unwrap()
            .contains("NF-κB"));
        assert!(
            text(80_000_009).contains("(R2=0.91)"),
            "{}",
            text(80_000_009)
        );
        assert!(text(80_000_009).contains("H2O2 flux"));
        assert!(text(80_000_005).contains("CD4+ T cells"));
        assert!(text(80_000_001).contains("–0.1"));
        assert!(text(80_000_001).contains("HbA1c"));
        assert_eq!(
            titles[row_of(&articles, 80_000_025)]
                .as_deref()
                .map(|t| t.starts_with("Proteinuria & progression")),
            Some(true)
        );
        assert!(text(80_000_025).contains("p < 0.001") && text(80_000_025).contains("> 300"));
        assert!(!text(80_000_002).contains("  ") && !text(80_000_002).contains('\n'));
        assert!(!text(80_000_021).contains("Copyright") && !text(80_000_021).contains('©'));
        let german = row_of(&articles, 80_000_013);
        assert_eq!(string_list(&articles, "languages", german), ["ger"]);
        assert_eq!(
            struct_field(&articles, "other_abstracts", german, "language"),
            [Some("ger".into())]
        );
        let years = articles
            .column_by_name("pub_year")
            .unwrap()
            .as_primitive::<Int32Type>();
        assert_eq!(years.value(row_of(&articles, 80_000_016)), 2019);
        assert!(abstracts[row_of(&articles, 80_000_010)].is_none());
        let labels = struct_field(
            &articles,
            "abstract_sections",
            row_of(&articles, 80_000_011),
            "label",
        );
        assert!(
            labels.contains(&Some("DESIGN, SETTING, AND PARTICIPANTS".into())),
            "{labels:?}"
        );

        let (stats, two) = read(&sample("pubmed26n0002.xml.gz"), ErrorPolicy::Fail, 10);
        assert_eq!(stats.unwrap().written, 15);
        let articles = two.table(TableType::Articles);
        let book = row_of(&articles, 80_000_032);
        assert_eq!(strings(&articles, "kind")[book].as_deref(), Some("book"));
        assert_eq!(
            struct_field(&articles, "abstract_sections", book, "nlm_category")[0].as_deref(),
            Some("UNASSIGNED")
        );

        let (stats, three) = read(&sample("pubmed26n0003.xml.gz"), ErrorPolicy::Fail, 10);
        assert_eq!(
            stats.unwrap(),
            ReadStats {
                read: 7,
                written: 7,
                ..ReadStats::default()
            }
        );
        let articles = three.table(TableType::Articles);
        let versions = articles
            .column_by_name("version")
            .unwrap()
            .as_primitive::<Int32Type>();
        let twice: Vec<i32> = int64s(&articles, "pmid")
            .iter()
            .enumerate()
            .filter(|(_, p)| **p == 80_000_041)
            .map(|(i, _)| versions.value(i))
            .collect();
        assert_eq!(twice, [2, 1]);
        assert_eq!(
            int64s(&three.table(TableType::Deletions), "pmid"),
            [80_000_035]
        );
    }

    #[test]
    fn every_truncation_point_is_accounted_for() {
        // Records with skipped subtrees (authors, history) and read fields, cut at every byte:
        // whatever the cut, reading never fails under quarantine, never emits a record twice,
        // and every record seen is either written or quarantined.
        let record = |pmid: u32| {
            format!(
                "<PubmedArticle>\n  <MedlineCitation><PMID Version=\"1\">{pmid}</PMID><Article>\
                 <ArticleTitle>T<i>{pmid}</i></ArticleTitle><AuthorList><Author><LastName>Ł</LastName></Author></AuthorList>\
                 <Abstract><AbstractText Label=\"A\">x &amp; y</AbstractText></Abstract></Article></MedlineCitation>\n  \
                 <PubmedData><History><PubMedPubDate><Year>2020</Year></PubMedPubDate></History></PubmedData>\n</PubmedArticle>"
            )
        };
        let xml = set(&[record(1), record(2), record(3)]);
        let dir = tempfile::tempdir().unwrap();
        for cut in 0..=xml.len() {
            let path = dir.path().join("cut.xml");
            std::fs::write(&path, &xml.as_bytes()[..cut]).unwrap();
            let (stats, collected) = read(&path, ErrorPolicy::Quarantine, 2);
            let stats = stats.unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
            assert_eq!(
                stats.read,
                stats.written + stats.quarantined,
                "cut at {cut}: {stats:?}"
            );
            let pmids = int64s(&collected.table(TableType::Articles), "pmid");
            assert_eq!(
                pmids,
                (1..=pmids.len() as i64).collect::<Vec<_>>(),
                "cut at {cut}"
            );
            if cut >= xml.trim_end().len() {
                assert_eq!((stats.written, stats.quarantined), (3, 0), "cut at {cut}");
            } else {
                assert!(
                    stats.quarantined >= 1,
                    "cut at {cut} went unnoticed: {stats:?}"
                );
            }
        }
    }
}
