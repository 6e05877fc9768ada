//! The Python peer of the linker (`bench/scripts/link_pyahocorasick.py`): the same dictionary
//! and sentences exchanged as JSONL, its mentions read back and compared with ours span by span.

use std::collections::HashSet;
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;
use std::process::Command;

use arrow::array::{BooleanArray, Int32Array, Int64Array, RecordBatch, StringArray};
use serde::Serialize;

use crate::peer::run_captured;
use bali::error::{BaliError, IoResultExt, Position, Result};
use bali::tables::columns::column;

/// A mention as both linkers report it: (sentence key, start, end, sorted CUIs).
type MentionKey = (String, i32, i32, String);

/// The sentence key the peer files use: `pmid:sentence_index`.
fn sentence_key(pmid: i64, index: i32) -> String {
    format!("{pmid}:{index}")
}

/// Distinct mentions of a `mentions` batch with their candidate sets.
pub(super) fn mention_keys(batch: &RecordBatch) -> Result<Vec<MentionKey>> {
    let pmid = column::<Int64Array>(batch, "pmid")?;
    let index = column::<Int32Array>(batch, "sentence_index")?;
    let start = column::<Int32Array>(batch, "start")?;
    let end = column::<Int32Array>(batch, "end")?;
    let cui = column::<StringArray>(batch, "cui")?;
    let mut keys: Vec<MentionKey> = Vec::new();
    let mut i = 0;
    while i < batch.num_rows() {
        let mut j = i;
        let mut cuis = Vec::new();
        while j < batch.num_rows()
            && (pmid.value(j), index.value(j), start.value(j))
                == (pmid.value(i), index.value(i), start.value(i))
        {
            cuis.push(cui.value(j));
            j += 1;
        }
        cuis.sort_unstable();
        keys.push((
            sentence_key(pmid.value(i), index.value(i)),
            start.value(i),
            end.value(i),
            cuis.join(","),
        ));
        i = j;
    }
    Ok(keys)
}

/// What the Python peer reported, and how its mentions compare with ours.
#[derive(Debug, Clone, Serialize)]
pub struct PeerComparison {
    /// Seconds the peer spent building its automata.
    pub build_s: f64,
    /// Seconds the peer spent linking (normalisation and matching; no file I/O).
    pub link_s: f64,
    /// Mentions (span and candidate set) found by both.
    pub both: usize,
    /// Found by us only.
    pub ours_only: usize,
    /// Found by the peer only.
    pub peer_only: usize,
    /// A few differing mentions, for the report.
    pub examples: Vec<String>,
}

impl PeerComparison {
    /// Mentions found by both over mentions found by either, in percent.
    pub fn agreement_percent(&self) -> f64 {
        let union = self.both + self.ours_only + self.peer_only;
        if union == 0 {
            100.0
        } else {
            100.0 * self.both as f64 / union as f64
        }
    }
}

/// Runs `script` (the pyahocorasick peer) with `python` on the same dictionary and sentences,
/// exchanging files in `dir`, and compares its mentions with `ours` (the output of
/// [`super::time_linking`]).
pub fn compare_with_python(
    python: &str,
    script: &Path,
    dictionary: &[RecordBatch],
    sentences: &[RecordBatch],
    ours: &[RecordBatch],
    dir: &Path,
) -> Result<PeerComparison> {
    let dict_path = dir.join("dictionary.jsonl");
    let sent_path = dir.join("sentences.jsonl");
    let out_path = dir.join("mentions.tsv");
    write_dictionary_jsonl(dictionary, &dict_path)?;
    write_sentences_jsonl(sentences, &sent_path)?;
    let stdout = run_captured(
        Command::new(python)
            .arg(script)
            .args(["--dictionary".as_ref(), dict_path.as_os_str()])
            .args(["--sentences".as_ref(), sent_path.as_os_str()])
            .args(["--out".as_ref(), out_path.as_os_str()]),
    )?;
    let timing: serde_json::Value = serde_json::from_str(stdout.trim())?;
    let seconds = |k: &str| {
        timing.get(k).and_then(|v| v.as_f64()).ok_or_else(|| {
            BaliError::bad_input(
                script,
                Position::Line(1),
                format!("the peer's timing line has no `{k}`: {}", stdout.trim()),
            )
        })
    };

    let mut peer: HashSet<MentionKey> = HashSet::new();
    let file = std::fs::File::open(&out_path).at(&out_path)?;
    for (number, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.at(&out_path)?;
        let f: Vec<&str> = line.split('\t').collect();
        if let [sid, start, end, cuis] = f[..] {
            let parse = |s: &str| {
                s.parse::<i32>().map_err(|e| {
                    BaliError::bad_input(
                        &out_path,
                        Position::Line(number as u64 + 1),
                        format!("offset {s:?}: {e}"),
                    )
                })
            };
            peer.insert((
                sid.to_string(),
                parse(start)?,
                parse(end)?,
                cuis.to_string(),
            ));
        }
    }
    let mut our_keys: HashSet<MentionKey> = HashSet::new();
    for batch in ours {
        our_keys.extend(mention_keys(batch)?);
    }
    let both = our_keys.intersection(&peer).count();
    let mut examples: Vec<String> = our_keys
        .difference(&peer)
        .map(|k| format!("ours only: {k:?}"))
        .take(5)
        .chain(
            peer.difference(&our_keys)
                .map(|k| format!("peer only: {k:?}"))
                .take(5),
        )
        .collect();
    examples.sort();
    Ok(PeerComparison {
        build_s: seconds("build_s")?,
        link_s: seconds("link_s")?,
        both,
        ours_only: our_keys.len() - both,
        peer_only: peer.len() - both,
        examples,
    })
}

/// Writes `{"form", "case_sensitive", "cuis"}` lines, one per form.
fn write_dictionary_jsonl(dictionary: &[RecordBatch], path: &Path) -> Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path).at(path)?);
    let mut current: Option<(String, bool, Vec<String>)> = None;
    let flush = |entry: Option<(String, bool, Vec<String>)>,
                 out: &mut BufWriter<std::fs::File>|
     -> Result<()> {
        if let Some((form, cs, cuis)) = entry {
            let line = serde_json::json!({"form": form, "case_sensitive": cs, "cuis": cuis});
            writeln!(out, "{line}").at(path)?;
        }
        Ok(())
    };
    for batch in dictionary {
        let form = column::<StringArray>(batch, "form")?;
        let cui = column::<StringArray>(batch, "cui")?;
        let cs = column::<BooleanArray>(batch, "case_sensitive")?;
        for i in 0..batch.num_rows() {
            match &mut current {
                Some((f, c, cuis)) if f == form.value(i) && *c == cs.value(i) => {
                    cuis.push(cui.value(i).to_string())
                }
                _ => {
                    let next = Some((
                        form.value(i).to_string(),
                        cs.value(i),
                        vec![cui.value(i).to_string()],
                    ));
                    flush(std::mem::replace(&mut current, next), &mut out)?;
                }
            }
        }
    }
    flush(current.take(), &mut out)?;
    out.flush().at(path)
}

/// Writes `{"id", "text"}` lines, one per sentence.
fn write_sentences_jsonl(sentences: &[RecordBatch], path: &Path) -> Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path).at(path)?);
    for batch in sentences {
        let pmid = column::<Int64Array>(batch, "pmid")?;
        let index = column::<Int32Array>(batch, "sentence_index")?;
        let text = column::<StringArray>(batch, "text")?;
        for i in 0..batch.num_rows() {
            let line = serde_json::json!({"id": sentence_key(pmid.value(i), index.value(i)), "text": text.value(i)});
            writeln!(out, "{line}").at(path)?;
        }
    }
    out.flush().at(path)
}
