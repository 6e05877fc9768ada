//! A rule-based sentence splitter for biomedical titles and abstracts.
//!
//! A sentence ends at `.`, `?`, `!` or `…` (with any closing brackets and quotes that follow)
//! when whitespace and a plausible sentence start come next, and always at a newline (the
//! abstract is its AbstractText sections joined with "\n", and a section boundary is a sentence
//! boundary). What keeps a period from ending a sentence:
//! - the word before it is a known abbreviation ("e.g.", "i.e.", "Fig.", "vs.", "approx.",
//!   "No.", ...; user-extendable), or "et al." not followed by a capitalised word;
//! - it is a decimal point or an inner period ("0.05", "U.S.A") because no whitespace follows;
//! - it stands alone between spaces, as in the old "enzyme . NADPH" notation;
//! - the word before it is a capitalised initial ("E. coli", "S. aureus", "J. Biol. Chem."),
//!   unless the letter is a designation after a word such as "vitamin", "type", "hepatitis" or
//!   "and" ("vitamin C. Patients", "groups A and B. The");
//! - the next word starts in lower case, unless it looks like a gene or molecule name that is
//!   written in lower case on purpose ("mRNA", "p53", "siRNA": it holds a digit or a capital).
//!
//! Inline section labels ("RESULTS:", "MATERIALS AND METHODS:") at the start of a sentence are
//! left out of it: they are headings, not text, and would otherwise glue onto the first
//! sentence of their section. Sentences are trimmed of surrounding whitespace; empty ones are
//! dropped.
//!
//! Known failure classes (seen on the real baseline file): an abbreviation missing from the
//! list followed by a capitalised word splits ("Dept. Surgery"); a sentence that ends with a
//! capital letter after a word not in the designation list ("... from isolate K. In ...") does
//! not split, and an initial after "and" does ("A and B. Smith"); a sentence starting with a lower-case word that is neither gene-like nor
//! after "?"/"!" ("... were used. pH was ...": "pH" holds a capital, so that one splits) stays
//! glued to the previous one.

use std::collections::HashSet;

/// Abbreviations (lower case, without the final period) after which a period never ends a
/// sentence, whatever follows.
const ABBREVIATIONS: &[&str] = &[
    "e.g", "eg", "i.e", "ie", "cf", "vs", "viz", "approx", "ca", "fig", "figs", "eq", "eqs", "ref",
    "refs", "no", "nos", "tab", "vol", "vols", "suppl", "p", "pp", "dr", "mr", "mrs", "ms", "prof",
    "st", "sp", "spp", "subsp", "var", "ssp", "cv", "incl", "resp", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "univ", "dept", "inc", "ltd", "co",
    "corp", "min", "max", "mol", "wt", "conc", "temp", "approx", "appr", "ed", "eds", "chap",
    "sect", "n.b", "a.m", "p.m", "u.s", "u.k",
];

/// Words followed by a capital letter that is a designation, not an initial ("vitamin C",
/// "hepatitis B"): a period after such a letter can end a sentence.
const LETTER_DESIGNATED: &[&str] = &[
    "vitamin",
    "type",
    "group",
    "groups",
    "hepatitis",
    "factor",
    "class",
    "grade",
    "stage",
    "phase",
    "protein",
    "complex",
    "region",
    "site",
    "strain",
    "domain",
    "chain",
    "fraction",
    "antigen",
    "subtype",
    "lane",
    "panel",
    "influenza",
    "coenzyme",
    "immunoglobulin",
    "and",
    "or",
];

/// Closing characters that belong to the sentence they follow (`.)`, `."`).
fn is_closing(c: char) -> bool {
    matches!(
        c,
        ')' | ']' | '}' | '"' | '\'' | '\u{2019}' | '\u{201D}' | '\u{00BB}'
    )
}

/// Opening characters a sentence may start with.
fn is_opening(c: char) -> bool {
    matches!(
        c,
        '(' | '[' | '{' | '"' | '\'' | '\u{2018}' | '\u{201C}' | '\u{00AB}'
    )
}

/// Sentence terminators.
fn is_terminator(c: char) -> bool {
    matches!(c, '.' | '?' | '!' | '\u{2026}')
}

/// The splitter: the abbreviation list plus the label option.
#[derive(Debug, Clone)]
pub struct Splitter {
    abbreviations: HashSet<String>,
    strip_labels: bool,
}

impl Splitter {
    /// A splitter knowing the built-in abbreviations plus `extra` (given with or without the
    /// final period, any case). `strip_labels` leaves inline section labels out of sentences.
    pub fn new<S: AsRef<str>>(extra: &[S], strip_labels: bool) -> Self {
        let mut abbreviations: HashSet<String> =
            ABBREVIATIONS.iter().map(|s| s.to_string()).collect();
        for a in extra {
            let a = a.as_ref().trim().trim_end_matches('.').to_lowercase();
            if !a.is_empty() {
                abbreviations.insert(a);
            }
        }
        Splitter {
            abbreviations,
            strip_labels,
        }
    }

    /// Appends the byte spans `(start, end)` of the sentences of `text` to `out`, in order,
    /// trimmed and non-empty. Spans lie on character boundaries.
    pub fn split(&self, text: &str, out: &mut Vec<(usize, usize)>) {
        let mut line_start = 0;
        for line in text.split('\n') {
            self.split_line(text, line_start, line_start + line.len(), out);
            line_start += line.len() + 1;
        }
    }

    /// Splits `text[from..to]`, a range without newlines.
    fn split_line(&self, text: &str, from: usize, to: usize, out: &mut Vec<(usize, usize)>) {
        let line = &text[from..to];
        let mut start = 0;
        let mut iter = line.char_indices().peekable();
        while let Some((i, c)) = iter.next() {
            if !is_terminator(c) {
                continue;
            }
            // Extend over further terminators and closing characters.
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = iter.peek() {
                if is_terminator(d) || is_closing(d) {
                    end = j + d.len_utf8();
                    iter.next();
                } else {
                    break;
                }
            }
            let rest = &line[end..];
            let Some(next_offset) = rest.find(|ch: char| !ch.is_whitespace()) else {
                continue; // end of line: the line end closes the sentence anyway
            };
            if next_offset == 0 {
                continue; // no whitespace: "0.05", "U.S.A", "end.The"
            }
            if self.ends_sentence(line, start, i, c, &rest[next_offset..]) {
                self.push(text, from + start, from + end, out);
                start = end;
            }
        }
        self.push(text, from + start, to, out);
    }

    /// Decides whether the terminator `c` at byte `at` of `line` ends the sentence begun at
    /// `start`, given the text after the whitespace that follows it.
    fn ends_sentence(&self, line: &str, start: usize, at: usize, c: char, next: &str) -> bool {
        let mut next_chars = next.chars();
        let Some(first) = next_chars.next() else {
            return false;
        };
        let first = if is_opening(first) {
            match next_chars.next() {
                Some(d) => d,
                None => return false,
            }
        } else {
            first
        };
        let next_word: &str = next.split(char::is_whitespace).next().unwrap_or("");
        let capital_start = first.is_uppercase() || first.is_numeric();
        if c != '.' {
            return capital_start || gene_like(next_word);
        }
        let before = &line[start..at];
        let word = before
            .rsplit(char::is_whitespace)
            .next()
            .unwrap_or("")
            .trim_start_matches(|ch: char| is_opening(ch) || ch == '(');
        if word.is_empty() {
            return false; // a period standing alone: "enzyme . NADPH"
        }
        let lower = word.to_lowercase();
        if self.abbreviations.contains(lower.as_str()) {
            return false;
        }
        if lower == "al" {
            return first.is_uppercase();
        }
        let mut word_chars = word.chars();
        if let (Some(letter), None) = (word_chars.next(), word_chars.next()) {
            if letter.is_uppercase() {
                // An initial, unless it names a variant ("vitamin C.", "type B.").
                let prev = before[..before.len() - word.len()].trim_end();
                let prev_word = prev.rsplit(char::is_whitespace).next().unwrap_or("");
                return LETTER_DESIGNATED.contains(&prev_word.to_lowercase().as_str())
                    && first.is_uppercase();
            }
        }
        capital_start || gene_like(next_word)
    }

    /// Pushes the trimmed, label-stripped sentence `text[start..end]` when non-empty.
    fn push(&self, text: &str, start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
        let span = &text[start..end];
        let mut start = start + (span.len() - span.trim_start().len());
        let end = end - (span.len() - span.trim_end().len());
        if self.strip_labels {
            if let Some(label_len) = section_label(&text[start..end]) {
                let after = &text[start + label_len..end];
                start += label_len + (after.len() - after.trim_start().len());
            }
        }
        if start < end {
            out.push((start, end));
        }
    }
}

/// A lower-case word written so on purpose: it holds a digit or a capital ("mRNA", "p53").
fn gene_like(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(char::is_alphabetic)
        && word
            .chars()
            .take_while(|c| c.is_alphanumeric())
            .any(|c| c.is_uppercase() || c.is_numeric())
}

/// The byte length of an inline section label ("RESULTS:", "MATERIALS AND METHODS:") at the
/// start of `s`, colon included: at least four capital letters, only capitals, spaces, `&`,
/// `/` and `,` before the colon, and whitespace after it.
fn section_label(s: &str) -> Option<usize> {
    let colon = s.find(':')?;
    let label = &s[..colon];
    let letters = label.chars().filter(|c| c.is_alphabetic()).count();
    let well_formed = label
        .chars()
        .all(|c| c.is_uppercase() || matches!(c, ' ' | '&' | '/' | ','));
    let followed_by_space = s[colon + 1..]
        .chars()
        .next()
        .is_none_or(char::is_whitespace);
    (letters >= 4 && well_formed && followed_by_space && !label.starts_with(' '))
        .then_some(colon + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(text: &str) -> Vec<&str> {
        let mut spans = Vec::new();
        Splitter::new::<&str>(&[], true).split(text, &mut spans);
        spans.iter().map(|&(s, e)| &text[s..e]).collect()
    }

    #[test]
    fn splits_on_terminators_and_newlines() {
        assert_eq!(
            sentences(
                "It works. Does it? Yes!  \"Quoted.\" Next (A) one.\nNew section without period"
            ),
            [
                "It works.",
                "Does it?",
                "Yes!",
                "\"Quoted.\"",
                "Next (A) one.",
                "New section without period"
            ]
        );
    }

    #[test]
    fn keeps_biomedical_abbreviations_together() {
        let text =
            "Bacteria (e.g. E. coli and S. aureus) grew, as in Fig. 2 and Smith et al. (2001); \
                    i.e. at pH 7.4 vs. 6.8 was p < 0.05. The enzyme . NADPH complex was seen. \
                    mRNA levels rose.";
        assert_eq!(
            sentences(text),
            [
                "Bacteria (e.g. E. coli and S. aureus) grew, as in Fig. 2 and Smith et al. (2001); i.e. at pH 7.4 vs. 6.8 was p < 0.05.",
                "The enzyme . NADPH complex was seen.",
                "mRNA levels rose."
            ]
        );
        assert_eq!(
            sentences("Rats got vitamin C. Patients got none. Smith et al. Then more."),
            [
                "Rats got vitamin C.",
                "Patients got none.",
                "Smith et al.",
                "Then more."
            ]
        );
        assert_eq!(
            sentences("As reported by J. K. Smith, it failed."),
            ["As reported by J. K. Smith, it failed."]
        );
        let custom = Splitter::new(&["Dept."], true);
        let mut spans = Vec::new();
        custom.split("Dept. Surgery was involved.", &mut spans);
        assert_eq!(spans, [(0, 27)]);
    }

    #[test]
    fn strips_inline_section_labels() {
        assert_eq!(
            sentences(
                "BACKGROUND: Little is known. MATERIALS AND METHODS: We did it. HIV-1: a virus."
            ),
            ["Little is known.", "We did it.", "HIV-1: a virus."]
        );
        let mut spans = Vec::new();
        Splitter::new::<&str>(&[], false).split("RESULTS: Fine.", &mut spans);
        assert_eq!(spans, [(0, 14)]);
    }
}
