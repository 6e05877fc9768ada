//! Skipping a subtree the reader has no use for (authors, references, history dates...)
//! without tokenising it.
//!
//! Nearly half of a PubMed record's elements are in subtrees no column needs; running them
//! through the XML tokenizer costs as much as everything else the parser does. Instead, the
//! bytes are searched (SIMD substring search) for the skipped element's own end tag, counting
//! nested start tags of the same name. Skipped bytes are still checked for what the error
//! policy promises: they must be UTF-8, and they must not contain a record boundary (a
//! subtree whose end tag is missing is reported as malformed instead of swallowing the next
//! record). What is not checked inside a skipped subtree is the nesting of *other* element
//! names: a record whose author list is internally mismatched but closed is read, as the
//! columns taken from it are intact.

use std::io::{self, BufRead};

use memchr::memmem::Finder;
use memchr::{memchr, memrchr};

use crate::sources::input::ChunkReader;

/// How a skip ended.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Skip {
    /// The end tag was consumed.
    Closed,
    /// The subtree is bad at this absolute offset; nothing from there on was consumed.
    Malformed(u64, String),
    /// The stream ended inside the subtree.
    Eof,
}

/// True when `byte` can follow an element name in a tag.
fn ends_name(byte: Option<&u8>) -> bool {
    matches!(byte, Some(b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\r'))
}

/// Searchers for one element name's start and end tags.
struct Tags {
    name: String,
    open: Finder<'static>,
    close: Finder<'static>,
}

/// Skips subtrees; keeps a searcher per element name met (a record has a few dozen names).
pub(super) struct Skipper {
    tags: Vec<Tags>,
    /// `Article>`: the end of every record start or end tag (`PubmedArticle>`,
    /// `PubmedBookArticle>`), checked precisely when found.
    boundary: Finder<'static>,
    deletion: Finder<'static>,
}

impl Skipper {
    pub(super) fn new() -> Self {
        Skipper {
            tags: Vec::new(),
            boundary: Finder::new(b"Article>").into_owned(),
            deletion: Finder::new(b"DeleteCitation>").into_owned(),
        }
    }

    fn tags(&mut self, name: &str) -> usize {
        if let Some(i) = self.tags.iter().position(|t| t.name == name) {
            return i;
        }
        self.tags.push(Tags {
            name: name.to_string(),
            open: Finder::new(format!("<{name}").as_bytes()).into_owned(),
            close: Finder::new(format!("</{name}").as_bytes()).into_owned(),
        });
        self.tags.len() - 1
    }

    /// The offset in `region` of a record start or end tag, if it holds one.
    fn record_boundary(&self, region: &[u8]) -> Option<usize> {
        let is_record_tag = |at: usize| {
            let before = &region[..at];
            before.ends_with(b"Pubmed") || before.ends_with(b"PubmedBook")
        };
        let article = self
            .boundary
            .find_iter(region)
            .find(|&at| is_record_tag(at));
        let deletion = self.deletion.find(region);
        let found = match (article, deletion) {
            (Some(a), Some(d)) => a.min(d),
            (a, d) => a.or(d)?,
        };
        // Report where the tag starts.
        Some(memrchr(b'<', &region[..found]).unwrap_or(found))
    }

    /// Skips the content and end tag of element `name`, whose start tag was just consumed.
    pub(super) fn skip(&mut self, input: &mut ChunkReader, name: &str) -> io::Result<Skip> {
        if skip_text_element(input, name)? {
            return Ok(Skip::Closed);
        }
        let index = self.tags(name);
        let name_len = name.len();
        // Bytes kept back at a chunk end, so that a tag cut by it is seen whole after the join.
        let keep = name_len + 3;
        let mut depth = 1usize;
        // No chunk follows the buffer: its tail must be scanned too.
        let mut exhausted = false;
        loop {
            let base = input.offset();
            let available = input.fill_buf()?.len();
            if available <= keep && input.append_next_chunk()? {
                continue;
            }
            let buf = input.fill_buf()?;
            if buf.is_empty() {
                return Ok(Skip::Eof);
            }
            let at_end = exhausted || buf.len() <= keep;
            let limit = if at_end { buf.len() } else { buf.len() - keep };
            let tags = &self.tags[index];
            // Scan end tags starting before `limit` in order (the kept tail lets a tag that
            // starts there be seen whole); start tags of the same name before each one nest.
            let mut from = 0;
            let mut closed_at = None;
            let mut scanned_to = limit;
            for close in tags.close.find_iter(buf).take_while(|&at| at < limit) {
                if !ends_name(buf.get(close + 2 + name_len)) {
                    continue;
                }
                depth += nested_opens(&tags.open, buf, from, close, name_len);
                from = close;
                depth -= 1;
                if depth == 0 {
                    match memchr(b'>', &buf[close..]) {
                        Some(gt) => closed_at = Some(close + gt + 1),
                        // The end tag runs past the buffer: stop before it, join, look again.
                        None => {
                            depth = 1;
                            scanned_to = close;
                        }
                    }
                    break;
                }
            }
            if closed_at.is_none() && scanned_to == limit {
                depth += nested_opens(&tags.open, buf, from, limit, name_len);
            }
            let end = closed_at.unwrap_or(scanned_to);
            let region = &buf[..end];
            if let Some(at) = self.record_boundary(region) {
                let reason = format!("<{name}> is not closed before a record boundary");
                return Ok(Skip::Malformed(base + at as u64, reason));
            }
            let valid = match std::str::from_utf8(region) {
                Ok(_) => end,
                // A character cut by the limit is completed after the join.
                Err(e) if e.error_len().is_none() && closed_at.is_none() => e.valid_up_to(),
                Err(e) => {
                    let good = e.valid_up_to();
                    input.consume(good);
                    return Ok(Skip::Malformed(
                        base + good as u64,
                        format!("invalid UTF-8: {e}"),
                    ));
                }
            };
            input.consume(valid);
            if closed_at.is_some() {
                return Ok(Skip::Closed);
            }
            if !input.append_next_chunk()? {
                if at_end {
                    let rest = input.fill_buf()?.len();
                    input.consume(rest);
                    return Ok(Skip::Eof);
                }
                exhausted = true;
            }
        }
    }
}

/// The common case, an element holding only text (`<Volume>50</Volume>`): when the next
/// `<` in the buffer starts the element's end tag and the text before it is UTF-8, consumes
/// both and returns true. Anything else (markup inside, a tag cut by the buffer end, bad
/// bytes) is left to the general path.
fn skip_text_element(input: &mut ChunkReader, name: &str) -> io::Result<bool> {
    let buf = input.fill_buf()?;
    let Some(lt) = memchr(b'<', buf) else {
        return Ok(false);
    };
    let tag = &buf[lt..];
    let closes = tag.get(1) == Some(&b'/')
        && tag.get(2..2 + name.len()) == Some(name.as_bytes())
        && tag.get(2 + name.len()) == Some(&b'>');
    if !closes || std::str::from_utf8(&buf[..lt]).is_err() {
        return Ok(false);
    }
    input.consume(lt + name.len() + 3);
    Ok(true)
}

/// Start tags of the element beginning in `buf[from..to]` that open a nested element (not
/// `<name/>`).
fn nested_opens(open: &Finder<'_>, buf: &[u8], from: usize, to: usize, name_len: usize) -> usize {
    // A start tag beginning before `to` may end after it: search a little past `to`.
    let window = &buf[from..(to + name_len + 1).min(buf.len())];
    open.find_iter(window)
        .map(|at| from + at)
        .take_while(|&at| at < to)
        .filter(|&at| ends_name(buf.get(at + 1 + name_len)))
        .filter(|&at| {
            let tag_end = memchr(b'>', &buf[at..]).map(|gt| at + gt);
            tag_end.is_none_or(|gt| buf[gt - 1] != b'/')
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    use crate::sources::input::{with_decoded, CHUNK_BYTES};

    /// Skips `<name>` at the start of `text` (its start tag included), then reads the rest.
    fn skip_in(text: &[u8], name: &str) -> (Skip, u64, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.xml");
        std::fs::write(&path, text).unwrap();
        with_decoded(&path, &AtomicU64::new(0), |mut input| {
            let start_tag = format!("<{name}>");
            input.fill_buf().unwrap();
            input.consume(start_tag.len());
            let outcome = Skipper::new().skip(&mut input, name).unwrap();
            let at = input.offset();
            let mut rest = Vec::new();
            std::io::Read::read_to_end(&mut input, &mut rest).unwrap();
            Ok((outcome, at, rest))
        })
        .unwrap()
    }

    #[test]
    fn skips_to_the_matching_end_tag_through_nesting_and_lookalikes() {
        let text = b"<Citation><CitationX>a</CitationX><Citation attr=\"1\"><Citation/></Citation>\n</Citation ><Next/>";
        let (outcome, at, rest) = skip_in(text, "Citation");
        assert_eq!(outcome, Skip::Closed);
        assert_eq!(rest, b"<Next/>");
        assert_eq!(at as usize, text.len() - rest.len());
    }

    #[test]
    fn finds_the_end_tag_across_chunk_boundaries() {
        for filler in (CHUNK_BYTES - 30..CHUNK_BYTES + 5).chain([2 * CHUNK_BYTES - 20]) {
            let mut text = b"<AuthorList>".to_vec();
            text.extend(std::iter::repeat_n(b'x', filler));
            text.extend_from_slice("é</AuthorList>tail".as_bytes());
            let (outcome, _, rest) = skip_in(&text, "AuthorList");
            assert_eq!(
                (outcome, rest.as_slice()),
                (Skip::Closed, b"tail".as_slice()),
                "filler {filler}"
            );
        }
    }

    #[test]
    fn a_missing_end_tag_stops_at_the_next_record() {
        let text = b"<AuthorList><Author>x</Author></PubmedArticle>\n<PubmedArticle><AuthorList></AuthorList>";
        let (outcome, at, rest) = skip_in(text, "AuthorList");
        let boundary = text
            .windows(15)
            .position(|w| w == b"</PubmedArticle")
            .unwrap();
        assert_eq!(
            outcome,
            Skip::Malformed(
                boundary as u64,
                "<AuthorList> is not closed before a record boundary".into()
            )
        );
        assert_eq!(at, 12, "nothing consumed");
        assert!(rest.starts_with(b"<Author>"));
    }

    #[test]
    fn invalid_utf8_and_end_of_input_are_reported() {
        let (outcome, at, _) = skip_in(b"<History>ab\xffcd</History>", "History");
        assert_eq!(at, 11);
        assert!(
            matches!(outcome, Skip::Malformed(11, ref reason) if reason.starts_with("invalid UTF-8")),
            "{outcome:?}"
        );
        let (outcome, _, rest) = skip_in(b"<History><Date>1</Date>", "History");
        assert_eq!((outcome, rest.len()), (Skip::Eof, 0));
    }
}
