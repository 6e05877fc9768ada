//! UMLS Rich Release Format: one record per line, fields separated by `|`, every line ending
//! with a `|` after its last field, no quoting and no escapes (a `"` is a literal character,
//! and a `|` cannot occur inside a field).
//!
//! [`for_each_line`] streams a file (plain or gzip) line by line and hands each well-formed
//! line's fields to the caller; lines with the wrong number of fields or invalid UTF-8 go to
//! the file's error policy with their line number and byte offset.

use std::io::BufRead;
use std::path::Path;
use std::sync::atomic::AtomicU64;

use memchr::memchr_iter;

use crate::error::{BaliError, Result};
use crate::sources::input::with_decoded;
use crate::sources::policy::{Location, Rejects};
use crate::sources::Emit;

/// One well-formed line.
#[derive(Debug)]
pub struct Line<'a> {
    /// 1-based line number.
    pub number: u64,
    /// Byte offset of the line start in the decompressed file.
    pub offset: u64,
    /// Exactly the expected number of fields.
    pub fields: &'a [&'a str],
}

/// Splits `line` (without its line end) into `expected` fields, or says why it cannot.
pub fn split<'a>(
    line: &'a str,
    expected: usize,
    fields: &mut Vec<&'a str>,
) -> std::result::Result<(), String> {
    fields.clear();
    let bytes = line.as_bytes();
    let mut start = 0;
    for bar in memchr_iter(b'|', bytes) {
        fields.push(&line[start..bar]);
        start = bar + 1;
    }
    if start != bytes.len() {
        // Text after the last bar: a line without its terminating `|`.
        fields.push(&line[start..]);
        return Err(format!(
            "expected {expected} fields each ended by '|', found {} and no final '|'",
            fields.len()
        ));
    }
    if fields.len() != expected {
        return Err(format!(
            "expected {expected} fields, found {}",
            fields.len()
        ));
    }
    Ok(())
}

/// Streams the lines of an RRF file with `expected` fields per line into `row`.
///
/// Returns the number of lines read (bad ones included). Bad lines go to `rejects` with their
/// raw bytes; `row` gets `emit` back so it can flush batches.
pub fn for_each_line(
    path: &Path,
    expected: usize,
    progress: &AtomicU64,
    rejects: &mut Rejects<'_>,
    emit: &mut Emit<'_>,
    mut row: impl FnMut(&Line<'_>, &mut Emit<'_>) -> Result<()>,
) -> Result<u64> {
    with_decoded(path, progress, |mut input| {
        let mut buf = Vec::with_capacity(4096);
        let mut fields: Vec<&str> = Vec::with_capacity(expected + 1);
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
                    // The partial last line is what the broken stream gave before it broke.
                    let reason = format!("the input stream broke at byte {offset} (truncated or corrupt gzip?): {failure}");
                    rejects.reject(Location::line(number + 1, offset), &reason, &buf, emit)?;
                    return Ok(number + 1);
                }
            }
            number += 1;
            let content = buf.strip_suffix(b"\n").unwrap_or(&buf);
            let content = content.strip_suffix(b"\r").unwrap_or(content);
            let text = match std::str::from_utf8(content) {
                Ok(text) => text,
                Err(e) => {
                    let at = offset + e.valid_up_to() as u64;
                    let reason = format!("invalid UTF-8 at byte {at}: {e}");
                    rejects.reject(Location::line(number, offset), &reason, content, emit)?;
                    continue;
                }
            };
            let mut line_fields = reuse(std::mem::take(&mut fields));
            match split(text, expected, &mut line_fields) {
                Ok(()) => {
                    let line = Line {
                        number,
                        offset,
                        fields: &line_fields,
                    };
                    row(&line, emit)?;
                }
                Err(reason) => {
                    rejects.reject(Location::line(number, offset), &reason, content, emit)?
                }
            }
            fields = reuse(line_fields);
        }
        Ok(number)
    })
}

/// The allocation of a field vector, emptied and free of the previous line's borrow (an
/// in-place collect of an empty vector, which reuses the buffer).
fn reuse<'b>(mut fields: Vec<&str>) -> Vec<&'b str> {
    fields.clear();
    fields.into_iter().map(|_| "").collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_bars_with_the_trailing_bar_and_keeps_quotes_literal() {
        let mut fields = Vec::new();
        split("C0000005|ENG|P|L0000005|PF|S0007492|Y|A26634265||M0019694|D012711|MSH|PEP|D012711|(131)I-Macroaggregated \"Albumin\"|0|N|256|", 18, &mut fields).unwrap();
        assert_eq!(fields.len(), 18);
        assert_eq!(fields[0], "C0000005");
        assert_eq!(fields[8], "");
        assert_eq!(fields[14], "(131)I-Macroaggregated \"Albumin\"");
        assert_eq!(fields[17], "256");
    }

    #[test]
    fn wrong_field_counts_say_what_was_found() {
        let mut fields = Vec::new();
        assert_eq!(
            split("a|b|", 3, &mut fields).unwrap_err(),
            "expected 3 fields, found 2"
        );
        assert_eq!(
            split("a|b|c|d|", 3, &mut fields).unwrap_err(),
            "expected 3 fields, found 4"
        );
        assert_eq!(
            split("a|b|c", 3, &mut fields).unwrap_err(),
            "expected 3 fields each ended by '|', found 3 and no final '|'"
        );
        assert_eq!(
            split("", 3, &mut fields).unwrap_err(),
            "expected 3 fields, found 0"
        );
    }
}
