//! Problems in a pipeline file as data (where, what, the next step), carried up to the CLI,
//! which renders them: `file:line:col`, the line, a caret, and a `hint:` line.

use std::fmt::{self, Write};

/// A position in the pipeline file (1-based; 0 when unknown, e.g. a `--set` value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Loc {
    /// Line.
    pub line: u64,
    /// Column.
    pub column: u64,
}

/// One problem found in a pipeline file or on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where (line 0 means the command line, see `origin`).
    pub loc: Loc,
    /// What is wrong.
    pub message: String,
    /// The next step, e.g. "did you mean `link`?".
    pub hint: Option<String>,
    /// For problems in a `--set` argument: the argument.
    pub origin: Option<String>,
}

impl Diagnostic {
    /// A problem at `loc`.
    pub fn at(loc: Loc, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            loc,
            message: message.into(),
            hint: None,
            origin: None,
        }
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a hint when there is one.
    pub fn maybe_hint(mut self, hint: Option<String>) -> Diagnostic {
        self.hint = hint;
        self
    }
}

/// Every problem found in one pipeline file, with the file's text to show them against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems {
    /// The file as the user named it.
    pub file: String,
    /// Its text.
    pub text: String,
    /// The problems, command-line ones first, then in the order of the file.
    pub diagnostics: Vec<Diagnostic>,
}

impl Problems {
    /// The problems of `file` (whose text is `text`), put in the file's order.
    pub fn new(file: String, text: &str, mut diagnostics: Vec<Diagnostic>) -> Problems {
        diagnostics.sort_by_key(|d| (d.origin.is_none(), d.loc));
        Problems {
            file,
            text: text.to_string(),
            diagnostics,
        }
    }

    /// The report a person reads: see [`render`].
    pub fn render(&self) -> String {
        render(&self.file, &self.text, &self.diagnostics)
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

/// Renders diagnostics against the source text, rustc style:
///
/// ```text
/// error: unknown stage kind `linker`
///   --> pipelines/sample.yaml:12:21
///    |
/// 12 |   mentions: { kind: linker, inputs: [sentences, dictionary] }
///    |                     ^
///    = hint: did you mean `link`?
/// ```
pub fn render(file: &str, source: &str, diagnostics: &[Diagnostic]) -> String {
    let lines: Vec<&str> = source.lines().collect();
    let mut out = String::new();
    for (i, d) in diagnostics.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "error: {}", d.message);
        if let Some(origin) = &d.origin {
            let _ = writeln!(out, "  --> command line: --set {origin}");
        } else if d.loc.line == 0 {
            let _ = writeln!(out, "  --> {file}");
        } else {
            let _ = writeln!(out, "  --> {}:{}:{}", file, d.loc.line, d.loc.column);
            if let Some(text) = lines.get(d.loc.line as usize - 1) {
                let num = d.loc.line.to_string();
                let pad = " ".repeat(num.len());
                let caret_pad: String = text
                    .chars()
                    .take(d.loc.column.saturating_sub(1) as usize)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let _ = writeln!(out, "{pad} |");
                let _ = writeln!(out, "{num} | {text}");
                let _ = writeln!(out, "{pad} | {caret_pad}^");
            }
        }
        if let Some(h) = &d.hint {
            let pad = " ".repeat(d.loc.line.to_string().len().max(1));
            let _ = writeln!(out, "{pad} = hint: {h}");
        }
    }
    if diagnostics.len() > 1 {
        let _ = writeln!(out, "\n{} errors in {file}", diagnostics.len());
    }
    out.trim_end().to_string()
}

/// "did you mean `x`?" for the candidate closest to `name`, when one is close enough.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(name, c);
        let close = score >= 0.8 || strsim::damerau_levenshtein(name, c) <= 2;
        if close && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_line_caret_and_hint() {
        let src = "a: 1\nstages:\n  x: { kind: linker }\n";
        let d = Diagnostic::at(
            Loc {
                line: 3,
                column: 13,
            },
            "unknown stage kind `linker`",
        )
        .hint("did you mean `link`?");
        let text = render("p.yaml", src, &[d]);
        assert_eq!(
            text,
            "error: unknown stage kind `linker`\n  --> p.yaml:3:13\n  |\n3 |   x: { kind: linker }\n  |             ^\n  = hint: did you mean `link`?"
        );
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            did_you_mean("max_neigbors", ["max_neighbors", "hops"]),
            Some("did you mean `max_neighbors`?".into())
        );
        assert_eq!(did_you_mean("zzz", ["max_neighbors", "hops"]), None);
    }
}
