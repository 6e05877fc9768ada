//! Whitespace normalisation of PubMed text, applied as the text streams in.
//!
//! The rule, as a reader of the abstract would expect it:
//! - every run of whitespace becomes one ASCII space: XML's space, tab, CR and LF, and also
//!   the other Unicode `White_Space` characters (no-break space, thin space, em space, line
//!   and paragraph separators...), which PubMed uses inside numbers and units;
//! - whitespace at the start and end of a field is removed;
//! - inline markup (`<i>`, `<b>`, `<sup>`, `<sub>`, `<u>`, MathML) adds nothing and removes
//!   nothing: its text joins the surrounding text exactly as written, so `NF-<i>κ</i>B` is
//!   `NF-κB` and `m<sup>2</sup>` is `m2`, while `a <i>b</i>` keeps its space;
//! - entity and character references are resolved first, so `&#160;` counts as whitespace.
//!
//! Zero-width characters (U+200B...) are not whitespace and are kept as they are.

/// Appends text to one field of a record, collapsing whitespace across calls.
///
/// A field's text arrives in pieces (text between markup, resolved references); the state
/// that must survive between pieces is whether whitespace is pending.
#[derive(Debug, Clone, Copy)]
pub struct Normalizer {
    /// Length of the output when the field started: nothing before it is ours.
    start: usize,
    /// Whitespace seen since the last written character.
    pending_space: bool,
}

impl Normalizer {
    /// A field that starts at the current end of `out`.
    pub fn new(out: &str) -> Self {
        Normalizer {
            start: out.len(),
            pending_space: false,
        }
    }

    /// Where the field starts in the output.
    pub fn start(&self) -> usize {
        self.start
    }

    /// Appends `text`, collapsing whitespace; a pending space is written only before a
    /// following non-space character, so trailing whitespace never reaches `out`.
    ///
    /// Text is copied in runs: a single space between two other characters is part of a run,
    /// so ordinary prose is one copy per piece; only other whitespace, space pairs, spaces at
    /// the piece's ends and the lead bytes of non-ASCII whitespace stop a run.
    pub fn push(&mut self, out: &mut String, text: &str) {
        let bytes = text.as_bytes();
        let mut run_start = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let stops = if b == b' ' {
                // Ordinary only between two run characters.
                i == run_start
                    || i + 1 == bytes.len()
                    || bytes[i + 1] == b' '
                    || STOPS[bytes[i + 1] as usize]
            } else {
                STOPS[b as usize]
            };
            if !stops {
                i += 1;
                continue;
            }
            let (is_space, width) = if b < 0x80 {
                (true, 1)
            } else {
                match text[i..].chars().next() {
                    Some(c) => (c.is_whitespace(), c.len_utf8()),
                    None => (false, 1),
                }
            };
            if is_space {
                self.write_run(out, &text[run_start..i]);
                self.pending_space = true;
                run_start = i + width;
            }
            i += width;
        }
        self.write_run(out, &text[run_start..]);
    }

    /// Appends one character (a resolved reference).
    pub fn push_char(&mut self, out: &mut String, c: char) {
        let mut buf = [0u8; 4];
        self.push(out, c.encode_utf8(&mut buf));
    }

    fn write_run(&mut self, out: &mut String, run: &str) {
        if run.is_empty() {
            return;
        }
        if self.pending_space && out.len() > self.start {
            out.push(' ');
        }
        self.pending_space = false;
        out.push_str(run);
    }
}

/// Bytes that end a run of copied text: ASCII whitespace other than the space, and the
/// first bytes of the UTF-8 encodings of non-ASCII `White_Space` characters (U+0085 and
/// U+00A0 start with C2; U+1680 with E1; U+2000-U+205F with E2; U+3000 with E3), which are
/// then decoded and checked.
const STOPS: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(b, 0x09..=0x0d | 0xc2 | 0xe1 | 0xe2 | 0xe3);
        b += 1;
    }
    table
};

/// `text` normalised on its own (attribute values, tests).
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    Normalizer::new(&out).push(&mut out, text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_trims_and_keeps_pieces_joined() {
        assert_eq!(normalize("  a \n\t b  "), "a b");
        assert_eq!(normalize("\u{a0}10\u{2009}mg\u{2003}"), "10 mg");
        assert_eq!(normalize("zero\u{200b}width"), "zero\u{200b}width");
        assert_eq!(
            normalize("a b  c \u{a0}d\u{2013}e\u{85}f g\u{3000}"),
            "a b c d\u{2013}e f g"
        );
        assert_eq!(normalize(" x "), "x");
        let mut out = String::from("prefix|");
        let mut field = Normalizer::new(&out);
        for piece in ["\n  NF-", "κ", "B is ", "", " ", "  \n", "active", " \n "] {
            field.push(&mut out, piece);
        }
        field.push_char(&mut out, '\u{a0}');
        field.push_char(&mut out, '!');
        assert_eq!(&out[field.start()..], "NF-κB is active !");
        assert_eq!(out, "prefix|NF-κB is active !");
    }

    #[test]
    fn empty_and_all_space_fields_stay_empty() {
        assert_eq!(normalize(""), "");
        assert_eq!(normalize(" \n\u{3000} "), "");
    }
}
