//! What a reader does with a record it cannot read (the `on_error` option), the `rejects`
//! table it fills under `quarantine`, and the counts every reader returns.
//!
//! A reader calls [`Rejects::reject`] once per bad record and moves on; the policy decides
//! whether that is the end of the run (`fail`), a counted loss (`skip`) or a row in `rejects`
//! (`quarantine`). Keeping that decision in one place means every source treats bad data the
//! same way, and a run summary can always say how many records were lost and why.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, BinaryBuilder, Int64Builder, RecordBatch, StringBuilder};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{BaliError, Position, Result};
use crate::tables::{misc, TableType};

use super::Emit;

/// How a source treats a record it cannot read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorPolicy {
    /// Stop the run with the file, the position and the reason (the default: nothing is lost
    /// without the user deciding so).
    #[default]
    Fail,
    /// Drop the record, count it in the run summary and log the first few.
    Skip,
    /// Drop the record from the main output and keep its raw bytes, file, position and reason
    /// in the stage's `rejects` output.
    Quarantine,
}

/// What one reader call did, for the run summary.
///
/// `read` counts input records (PubMed: article records and deleted PMIDs; RRF: lines; OBO:
/// stanzas), `written` the rows emitted to data outputs (not `rejects`); `filtered` records
/// dropped on purpose (option filters, duplicates, obsolete terms); `skipped` and `quarantined`
/// records lost to bad input under those policies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReadStats {
    /// Input records seen.
    pub read: u64,
    /// Rows emitted to the data outputs.
    pub written: u64,
    /// Records dropped by filters, deduplication or obsolescence.
    pub filtered: u64,
    /// Bad records dropped under `on_error: skip`.
    pub skipped: u64,
    /// Bad records written to `rejects` under `on_error: quarantine`.
    pub quarantined: u64,
}

impl ReadStats {
    /// Adds another file's counts to these.
    pub fn add(&mut self, other: &ReadStats) {
        self.read += other.read;
        self.written += other.written;
        self.filtered += other.filtered;
        self.skipped += other.skipped;
        self.quarantined += other.quarantined;
    }
}

/// Where a bad record starts: a line (line formats) and/or a byte offset into the
/// decompressed stream. At least one is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// 1-based line number, for line formats.
    pub line: Option<u64>,
    /// Byte offset into the decompressed stream.
    pub byte_offset: Option<u64>,
}

impl Location {
    /// A position in a line format.
    pub fn line(line: u64, byte_offset: u64) -> Self {
        Location {
            line: Some(line),
            byte_offset: Some(byte_offset),
        }
    }

    /// A position in a stream without lines (XML).
    pub fn byte(byte_offset: u64) -> Self {
        Location {
            line: None,
            byte_offset: Some(byte_offset),
        }
    }

    /// The position an error message names: the line when known (what an editor can jump
    /// to), else the byte offset.
    pub fn position(&self) -> Position {
        match (self.line, self.byte_offset) {
            (Some(line), _) => Position::Line(line),
            (None, Some(byte)) => Position::Byte(byte),
            (None, None) => Position::Record(0),
        }
    }
}

/// Raw bytes kept per quarantined record at most; a longer record keeps its prefix (the
/// reason says so), so one runaway record cannot hold a whole file in memory.
pub const MAX_RAW_BYTES: usize = 1 << 20;

/// Rejects logged at `warn` per file before the rest go to `debug` (the counts are always
/// complete in [`ReadStats`]).
const LOGGED_REJECTS: u64 = 10;

/// Applies an [`ErrorPolicy`] to the bad records of one input file and builds its `rejects`
/// batches.
pub struct Rejects<'a> {
    policy: ErrorPolicy,
    file: &'a Path,
    source_file: String,
    batch_size: usize,
    rows: usize,
    source_files: StringBuilder,
    lines: Int64Builder,
    byte_offsets: Int64Builder,
    reasons: StringBuilder,
    raws: BinaryBuilder,
    skipped: u64,
    quarantined: u64,
}

impl<'a> Rejects<'a> {
    /// Rejects of `file`, flushed every `batch_size` rows.
    pub fn new(policy: ErrorPolicy, file: &'a Path, batch_size: usize) -> Self {
        Rejects {
            policy,
            file,
            source_file: file_name(file),
            batch_size: batch_size.max(1),
            rows: 0,
            source_files: StringBuilder::new(),
            lines: Int64Builder::new(),
            byte_offsets: Int64Builder::new(),
            reasons: StringBuilder::new(),
            raws: BinaryBuilder::new(),
            skipped: 0,
            quarantined: 0,
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> ErrorPolicy {
        self.policy
    }

    /// Handles one bad record: an error under `fail`, a count under `skip`, a `rejects` row
    /// under `quarantine` (emitted once a batch is full).
    pub fn reject(
        &mut self,
        at: Location,
        reason: &str,
        raw: &[u8],
        emit: &mut Emit<'_>,
    ) -> Result<()> {
        match self.policy {
            ErrorPolicy::Fail => {
                return Err(BaliError::bad_input(self.file, at.position(), reason))
            }
            ErrorPolicy::Skip => self.skipped += 1,
            ErrorPolicy::Quarantine => {
                self.quarantined += 1;
                self.source_files.append_value(&self.source_file);
                self.lines.append_option(at.line.map(to_i64));
                self.byte_offsets.append_option(at.byte_offset.map(to_i64));
                if raw.len() > MAX_RAW_BYTES {
                    self.reasons.append_value(format!(
                        "{reason} (raw bytes cut to the first {MAX_RAW_BYTES} of {})",
                        raw.len()
                    ));
                    self.raws.append_value(&raw[..MAX_RAW_BYTES]);
                } else {
                    self.reasons.append_value(reason);
                    self.raws.append_value(raw);
                }
                self.rows += 1;
            }
        }
        let lost = self.skipped + self.quarantined;
        let position = at.position();
        if lost <= LOGGED_REJECTS {
            tracing::warn!(file = %self.file.display(), %position, policy = ?self.policy, "bad record: {reason}");
            if lost == LOGGED_REJECTS {
                tracing::warn!(file = %self.file.display(), "further bad records of this file are logged at debug level");
            }
        } else {
            tracing::debug!(file = %self.file.display(), %position, "bad record: {reason}");
        }
        if self.rows >= self.batch_size {
            self.flush(emit)?;
        }
        Ok(())
    }

    /// Emits the rows gathered so far, if any.
    pub fn flush(&mut self, emit: &mut Emit<'_>) -> Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        self.rows = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.source_files.finish()),
            Arc::new(self.lines.finish()),
            Arc::new(self.byte_offsets.finish()),
            Arc::new(self.reasons.finish()),
            Arc::new(self.raws.finish()),
        ];
        let batch = RecordBatch::try_new(misc::rejects_schema(), columns)?;
        emit(TableType::Rejects, batch)
    }

    /// Records dropped under `skip`.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Records kept in `rejects` under `quarantine`.
    pub fn quarantined(&self) -> u64 {
        self.quarantined
    }
}

/// The file name without its directory, as the `source_file` columns hold it.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Offsets and line numbers beyond `i64::MAX` cannot occur in a file; saturate instead of
/// wrapping if one ever did.
pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::Int64Type;
    use std::path::PathBuf;

    #[test]
    fn fail_names_file_position_and_reason() {
        let path = PathBuf::from("/data/MRCONSO.RRF");
        let mut rejects = Rejects::new(ErrorPolicy::Fail, &path, 10);
        let mut emit = |_: TableType, _: RecordBatch| -> Result<()> { Ok(()) };
        let err = rejects
            .reject(
                Location::line(7, 300),
                "expected 18 fields, found 3",
                b"a|b|c|",
                &mut emit,
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "/data/MRCONSO.RRF: line 7: expected 18 fields, found 3"
        );
    }

    #[test]
    fn skip_counts_and_emits_nothing() {
        let path = PathBuf::from("x.xml");
        let mut rejects = Rejects::new(ErrorPolicy::Skip, &path, 1);
        let mut batches = 0;
        let mut emit = |_: TableType, _: RecordBatch| -> Result<()> {
            batches += 1;
            Ok(())
        };
        rejects
            .reject(Location::byte(5), "bad", b"<x>", &mut emit)
            .unwrap();
        rejects.flush(&mut emit).unwrap();
        assert_eq!(
            (rejects.skipped(), rejects.quarantined(), batches),
            (1, 0, 0)
        );
    }

    #[test]
    fn quarantine_builds_rejects_batches_of_the_table_schema() {
        let path = PathBuf::from("/in/pubmed.xml.gz");
        let mut rejects = Rejects::new(ErrorPolicy::Quarantine, &path, 2);
        let mut batches = Vec::new();
        let mut emit = |table: TableType, batch: RecordBatch| -> Result<()> {
            assert_eq!(table, TableType::Rejects);
            batches.push(batch);
            Ok(())
        };
        rejects
            .reject(Location::byte(10), "one", b"<a>", &mut emit)
            .unwrap();
        rejects
            .reject(Location::line(3, 40), "two", b"x|y|", &mut emit)
            .unwrap();
        rejects
            .reject(Location::byte(99), "three", &[0xff], &mut emit)
            .unwrap();
        rejects.flush(&mut emit).unwrap();
        assert_eq!(
            batches.iter().map(|b| b.num_rows()).collect::<Vec<_>>(),
            vec![2, 1]
        );
        let first = &batches[0];
        assert_eq!(first.schema(), misc::rejects_schema());
        assert_eq!(first.column(0).as_string::<i32>().value(0), "pubmed.xml.gz");
        let lines = first.column(1).as_primitive::<Int64Type>();
        assert!(lines.is_null(0));
        assert_eq!(lines.value(1), 3);
        assert_eq!(first.column(2).as_primitive::<Int64Type>().value(0), 10);
        assert_eq!(first.column(3).as_string::<i32>().value(1), "two");
        assert_eq!(first.column(4).as_binary::<i32>().value(1), b"x|y|");
        assert_eq!(rejects.quarantined(), 3);
    }

    #[test]
    fn policy_reads_from_snake_case_and_defaults_to_fail() {
        let policy: ErrorPolicy = serde_json::from_str("\"quarantine\"").unwrap();
        assert_eq!(policy, ErrorPolicy::Quarantine);
        assert_eq!(ErrorPolicy::default(), ErrorPolicy::Fail);
        assert!(serde_json::from_str::<ErrorPolicy>("\"ignore\"").is_err());
    }
}
