//! Benchmarks of the graph build at UMLS scale and of sample building on real abstracts, and the
//! real-data fixtures they (and the alignment tests) use.
//!
//! Run with `bali-bench graph` and `bali-bench samples` (see BENCHMARKS.md), each in its own
//! process so that the peak RSS is the benchmark's own.
//!
//! The fixtures read real files with small stand-ins for the source kinds, which live in another
//! area: a PubMed `AbstractText` reader (quick-xml) and an OBO `name:`/`synonym:` reader. The
//! sentences and mentions themselves come from the project's own `sentences` splitter and
//! dictionary linker, so alignment is tested on what the pipeline really feeds `samples`.

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray};
use flate2::read::MultiGzDecoder;
use quick_xml::events::Event;
use quick_xml::Reader;
use serde::Serialize;

use super::process::{peak_rss, rss, Stopwatch};
use super::table::{count, gib, mib, seconds, Table};

use crate::synthetic::mrrel::SyntheticRelations;
use bali::error::{BaliError, IoResultExt, Position, Result};
use bali::stages::dictionary::{DictionaryBuilder, DictionaryOptions};
use bali::stages::link::{link_sentences, LinkOptions};
use bali::stages::samples::{
    build_names, build_samples, load_tokenizer, NamesOptions, SamplesOptions, SentenceMentions,
};
use bali::stages::sentences::SentencesOptions;
use bali::stages::subgraphs::graph::{GraphBuilder, RelationFilter};
use bali::tables::{concepts, sentences};

/// What the graph-build benchmark measured.
#[derive(Debug, Clone, Serialize)]
pub struct GraphBenchReport {
    /// Rows pushed.
    pub rows: u64,
    /// Concepts the generator drew from.
    pub concepts: u32,
    /// Seconds spent generating the synthetic batches (not part of the build).
    pub generate_seconds: f64,
    /// Seconds in `GraphBuilder::push` over all batches.
    pub push_seconds: f64,
    /// Seconds in `GraphBuilder::finish`.
    pub finish_seconds: f64,
    /// rows / (push + finish).
    pub rows_per_second: f64,
    /// CPU seconds of push and finish (all threads).
    pub build_cpu_seconds: Option<f64>,
    /// Nodes of the graph.
    pub nodes: usize,
    /// Distinct edges of the graph.
    pub edges: usize,
    /// Distinct relation types.
    pub relations: usize,
    /// Largest number of distinct neighbours of one node.
    pub max_degree: usize,
    /// Heap bytes of the finished graph.
    pub graph_bytes: usize,
    /// Resident set size before the build, bytes.
    pub rss_before: Option<u64>,
    /// Peak resident set size of the process at the end, bytes (generation included: run it
    /// in its own process, as `bali-bench graph` does).
    pub peak_rss: Option<u64>,
}

/// Builds the graph of a synthetic relations table, timing push and finish apart from the
/// generation of the batches.
pub fn bench_graph_build(spec: &SyntheticRelations) -> Result<GraphBenchReport> {
    let rss_before = rss();
    let mut builder = GraphBuilder::new(RelationFilter::default(), None);
    let (mut generate, mut push, mut cpu) = (0.0, 0.0, Some(0.0));
    for i in 0..spec.batch_count() {
        let watch = Stopwatch::start();
        let batch = spec.batch(i)?;
        generate += watch.stop().wall;
        let watch = Stopwatch::start();
        builder.push(&batch)?;
        let t = watch.stop();
        push += t.wall;
        cpu = cpu.zip(t.cpu).map(|(sum, c)| sum + c);
        if i % 200 == 0 {
            tracing::info!(batch = i, of = spec.batch_count(), "pushed");
        }
    }
    let rows = builder.stats().rows;
    let watch = Stopwatch::start();
    let graph = builder.finish()?;
    let t = watch.stop();
    let finish = t.wall;
    cpu = cpu.zip(t.cpu).map(|(sum, c)| sum + c);
    let max_degree = (0..graph.node_count() as u32)
        .map(|u| graph.degree(u))
        .max()
        .unwrap_or(0);
    Ok(GraphBenchReport {
        rows,
        concepts: spec.concepts,
        generate_seconds: generate,
        push_seconds: push,
        finish_seconds: finish,
        rows_per_second: rows as f64 / (push + finish),
        build_cpu_seconds: cpu,
        nodes: graph.node_count(),
        edges: graph.edge_count(),
        relations: graph.vocabulary().len(),
        max_degree,
        graph_bytes: graph.memory_bytes(),
        rss_before,
        peak_rss: peak_rss(),
    })
}

impl fmt::Display for GraphBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut t = Table::new(&[
            "rows",
            "concepts",
            "nodes",
            "distinct edges",
            "relations",
            "max degree",
            "push (wall)",
            "finish (wall)",
            "build rows/s (wall)",
            "build CPU s",
            "rows per CPU s",
            "graph heap",
            "peak RSS",
        ]);
        t.row(vec![
            count(self.rows),
            count(u64::from(self.concepts)),
            count(self.nodes as u64),
            count(self.edges as u64),
            self.relations.to_string(),
            count(self.max_degree as u64),
            format!("{:.1} s", self.push_seconds),
            format!("{:.1} s", self.finish_seconds),
            count(self.rows_per_second as u64),
            seconds(self.build_cpu_seconds, 1),
            self.build_cpu_seconds
                .map_or("n/a".into(), |c| count((self.rows as f64 / c) as u64)),
            format!("{:.0} MB", self.graph_bytes as f64 / 1e6),
            gib(self.peak_rss),
        ]);
        write!(f, "{t}")?;
        writeln!(
            f,
            "generating the batches took {:.1} s (not counted); RSS before the build: {}",
            self.generate_seconds,
            mib(self.rss_before)
        )
    }
}

/// Inputs of the samples benchmark.
#[derive(Debug, Clone)]
pub struct SamplesBenchOptions {
    /// A PubMed file whose abstracts are the text.
    pub pubmed: PathBuf,
    /// An OBO ontology whose names are linked and tokenised.
    pub obo: PathBuf,
    /// A BERT directory whose tokenizer builds the samples.
    pub model: PathBuf,
    /// Articles to read from the file (the first ones).
    pub articles: usize,
}

/// What the samples benchmark measured.
#[derive(Debug, Clone, Serialize)]
pub struct SamplesBenchReport {
    /// Sentences in.
    pub sentences: usize,
    /// Mention rows in.
    pub mention_rows: usize,
    /// Samples built.
    pub samples: u64,
    /// Seconds of `build_samples` (grouping mentions included).
    pub samples_seconds: f64,
    /// CPU seconds of the same (all threads).
    pub samples_cpu_seconds: Option<f64>,
    /// Samples per second.
    pub samples_per_second: f64,
    /// Sentences per second (every sentence is tokenised or skipped).
    pub sentences_per_second: f64,
    /// Names tokenised.
    pub names: usize,
    /// Seconds of `build_names`.
    pub names_seconds: f64,
    /// CPU seconds of the same.
    pub names_cpu_seconds: Option<f64>,
}

/// Builds samples from the abstracts of a PubMed file with mentions of an ontology's names,
/// and the `names` output of that ontology. Reading, splitting, linking and loading the
/// tokenizer are not timed.
pub fn bench_samples(options: &SamplesBenchOptions) -> Result<SamplesBenchReport> {
    let tokenizer = load_tokenizer(&options.model)?;
    let sentences = abstract_sentences(&options.pubmed, options.articles)?;
    let names = ontology_names(&options.obo)?;
    let mention_batch = linked_mentions(&sentences, &names)?;
    let samples_options = SamplesOptions::new(options.model.clone());

    let watch = Stopwatch::start();
    let grouped = SentenceMentions::from_batches([&mention_batch])?;
    let out = build_samples(&sentences, &grouped, &tokenizer, &samples_options)?;
    let samples = watch.stop();

    let concepts = concepts_batch(&names)?;
    let watch = Stopwatch::start();
    let names_options = NamesOptions::new(samples_options.tokenizer.clone());
    let names_batch = build_names(&concepts, &tokenizer, &names_options)?;
    let names_timing = watch.stop();

    Ok(SamplesBenchReport {
        sentences: sentences.num_rows(),
        mention_rows: mention_batch.num_rows(),
        samples: out.stats.samples,
        samples_seconds: samples.wall,
        samples_cpu_seconds: samples.cpu,
        samples_per_second: out.stats.samples as f64 / samples.wall,
        sentences_per_second: sentences.num_rows() as f64 / samples.wall,
        names: names_batch.num_rows(),
        names_seconds: names_timing.wall,
        names_cpu_seconds: names_timing.cpu,
    })
}

impl fmt::Display for SamplesBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} sentences, {} mention rows in",
            count(self.sentences as u64),
            count(self.mention_rows as u64)
        )?;
        let mut t = Table::new(&[
            "build",
            "out",
            "time (wall)",
            "CPU s",
            "per second (wall)",
            "per CPU second",
            "sentences/s (wall)",
        ]);
        let per_cpu =
            |n: f64, cpu: Option<f64>| cpu.map_or("n/a".into(), |c| format!("{:.0}", n / c));
        t.row(vec![
            "samples".into(),
            count(self.samples),
            format!("{:.2} s", self.samples_seconds),
            seconds(self.samples_cpu_seconds, 2),
            format!("{:.0}", self.samples_per_second),
            per_cpu(self.samples as f64, self.samples_cpu_seconds),
            format!("{:.0}", self.sentences_per_second),
        ]);
        t.row(vec![
            "names".into(),
            count(self.names as u64),
            format!("{:.2} s", self.names_seconds),
            seconds(self.names_cpu_seconds, 2),
            format!("{:.0}", self.names as f64 / self.names_seconds),
            per_cpu(self.names as f64, self.names_cpu_seconds),
            "-".into(),
        ]);
        write!(f, "{t}")
    }
}

/// The abstracts of the first `max_articles` articles of a PubMed XML file (`.gz` or plain),
/// split into sentences, as a `sentences` batch (section `abstract`; structured abstracts'
/// parts joined by a space).
pub fn abstract_sentences(path: &Path, max_articles: usize) -> Result<RecordBatch> {
    let file = File::open(path).at(path)?;
    let input: Box<dyn BufRead> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(BufReader::new(MultiGzDecoder::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    let mut reader = Reader::from_reader(input);
    let mut buf = Vec::new();
    let (mut pmid, mut articles) = (0i64, 0usize);
    let (mut in_pmid, mut in_abstract, mut in_citation) = (false, false, false);
    let mut text = String::new();
    let mut rows: Vec<(i64, i64, String)> = Vec::new();
    let bad = |reader: &Reader<Box<dyn BufRead>>, e: &dyn std::fmt::Display| {
        BaliError::bad_input(
            path,
            Position::Byte(reader.buffer_position()),
            e.to_string(),
        )
    };
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| bad(&reader, &e))?;
        match event {
            Event::Start(e) => match e.name().as_ref() {
                "MedlineCitation" => in_citation = true,
                "PMID" if in_citation && pmid == 0 => in_pmid = true,
                "AbstractText" => in_abstract = true,
                _ => {}
            },
            Event::Text(t) => {
                let t = t.xml10_content();
                if in_pmid {
                    pmid = t.trim().parse().map_err(|e| bad(&reader, &e))?;
                } else if in_abstract {
                    text.push_str(&t);
                }
            }
            Event::GeneralRef(r) if in_abstract => {
                let resolved = match r.resolve_char_ref().map_err(|e| bad(&reader, &e))? {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&r)
                        .ok_or_else(|| bad(&reader, &format!("unknown entity &{};", &*r)))?
                        .to_string(),
                };
                text.push_str(&resolved);
            }
            Event::End(e) => match e.name().as_ref() {
                "PMID" => in_pmid = false,
                "AbstractText" => {
                    in_abstract = false;
                    text.push(' ');
                }
                "PubmedArticle" => {
                    let body = text.trim().to_string();
                    if !body.is_empty() {
                        rows.push((pmid, articles as i64, body));
                    }
                    text.clear();
                    (pmid, in_citation) = (0, false);
                    articles += 1;
                    if articles >= max_articles {
                        break;
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // The `sentences` stage's splitter, byte spans turned into code points.
    let splitter = SentencesOptions::default().splitter();
    let mut spans = Vec::new();
    let mut out: Vec<(i64, i64, i32, usize, String)> = Vec::new();
    for (pmid, article, body) in rows {
        spans.clear();
        splitter.split(&body, &mut spans);
        for (i, &(s, e)) in spans.iter().enumerate() {
            let start = body[..s].chars().count();
            out.push((pmid, article, i as i32, start, body[s..e].to_string()));
        }
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(out.iter().map(|r| r.0))),
        Arc::new(Int32Array::from_iter_values(out.iter().map(|_| 1))),
        Arc::new(Int32Array::from_iter_values(out.iter().map(|r| r.2))),
        Arc::new(StringArray::from_iter_values(
            out.iter().map(|_| "abstract"),
        )),
        Arc::new(Int32Array::from_iter_values(out.iter().map(|r| r.3 as i32))),
        Arc::new(Int32Array::from_iter_values(
            out.iter().map(|r| (r.3 + r.4.chars().count()) as i32),
        )),
        Arc::new(StringArray::from_iter_values(out.iter().map(|r| &r.4))),
        Arc::new(StringArray::from_iter_values(out.iter().map(|_| &name))),
        Arc::new(Int64Array::from_iter_values(out.iter().map(|r| r.1))),
    ];
    Ok(RecordBatch::try_new(sentences::schema(), columns)?)
}

/// (term id, name) for every `name:` and `synonym: "..."` of an OBO file's `[Term]` stanzas.
pub fn ontology_names(path: &Path) -> Result<Vec<(String, String)>> {
    let file = File::open(path).at(path)?;
    let mut names = Vec::new();
    let (mut id, mut in_term) = (String::new(), false);
    for line in BufReader::new(file).lines() {
        let line = line.at(path)?;
        if line.starts_with('[') {
            in_term = line == "[Term]";
            id.clear();
        } else if !in_term {
            continue;
        } else if let Some(v) = line.strip_prefix("id: ") {
            id = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("name: ") {
            names.push((id.clone(), v.trim().to_string()));
        } else if let Some(v) = line.strip_prefix("synonym: \"") {
            if let Some(end) = v.find('"') {
                names.push((id.clone(), v[..end].to_string()));
            }
        }
    }
    Ok(names)
}

/// Mentions of `names` (an ontology's (id, name) pairs) in `sentences`, found by the `link`
/// stage's linker over a dictionary built with the `dictionary` stage's defaults. Returned as a
/// `mentions` batch.
pub fn linked_mentions(
    sentences_batch: &RecordBatch,
    names: &[(String, String)],
) -> Result<RecordBatch> {
    let mut builder = DictionaryBuilder::new(DictionaryOptions::default());
    builder.push_concepts(&concepts_batch(names)?)?;
    let dictionary = builder.finish()?;
    link_sentences(
        &dictionary.matcher,
        sentences_batch,
        &LinkOptions::default(),
    )
}

/// A `concepts` batch of (id, name) pairs, all English.
fn concepts_batch(names: &[(String, String)]) -> Result<RecordBatch> {
    let n = names.len();
    let strings = |v: Vec<&str>| Arc::new(StringArray::from(v)) as ArrayRef;
    let columns: Vec<ArrayRef> = vec![
        strings(names.iter().map(|r| r.0.as_str()).collect()),
        strings(names.iter().map(|r| r.1.as_str()).collect()),
        strings(vec!["ENG"; n]),
        strings(vec!["HPO"; n]),
        strings(vec!["SY"; n]),
        strings(names.iter().map(|r| r.0.as_str()).collect()),
        Arc::new(StringArray::new_null(n)),
        Arc::new(arrow::array::BooleanArray::from(vec![false; n])),
        Arc::new(StringArray::new_null(n)),
        Arc::new(StringArray::new_null(n)),
        strings(vec!["hp.obo"; n]),
        Arc::new(Int64Array::from_iter_values(1..=n as i64)),
    ];
    Ok(RecordBatch::try_new(concepts::schema(), columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_graph_build_counts_what_it_built() {
        let spec = SyntheticRelations {
            rows: 100_000,
            concepts: 5_000,
            ..SyntheticRelations::umls_scale(29)
        };
        let report = bench_graph_build(&spec).unwrap();
        assert!(report.rows >= 100_000, "{report:?}");
        assert!(report.nodes <= 5_000 && report.nodes > 4_000, "{report:?}");
        assert!(report.edges > 0 && report.edges as u64 <= report.rows);
        assert!(report.max_degree > 0 && report.graph_bytes > 0);
        assert!(report.to_string().contains("| 5,000 |"));
    }

    #[test]
    fn samples_are_built_from_the_sample_abstracts() {
        let root = super::super::repo_path("sample_data");
        let report = bench_samples(&SamplesBenchOptions {
            pubmed: root.join("pubmed/pubmed26n0001.xml"),
            obo: root.join("ontology/mini.obo"),
            model: root.join("models/tiny-bert"),
            articles: 25,
        })
        .unwrap();
        assert!(report.sentences > 25, "{report:?}");
        assert!(report.names > 30, "{report:?}");
        assert!(report.samples as usize <= report.sentences);
        assert!(report.to_string().contains("| names |"));
    }
}
