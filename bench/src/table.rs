//! The text form of benchmark reports: Markdown tables, so that what `bali-bench` prints can be
//! pasted into BENCHMARKS.md as it is, and the few number formats the tables share.

use std::fmt;

/// A Markdown table: a header row and rows of already formatted cells.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles.
    pub(crate) fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row; missing cells print empty, extra cells are kept (Markdown renderers
    /// show what fits).
    pub(crate) fn row(&mut self, cells: Vec<String>) -> &mut Table {
        self.rows.push(cells);
        self
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = |f: &mut fmt::Formatter<'_>, cells: &[String]| -> fmt::Result {
            writeln!(f, "| {} |", cells.join(" | "))
        };
        line(f, &self.header)?;
        line(
            f,
            &self
                .header
                .iter()
                .map(|_| "---".to_string())
                .collect::<Vec<_>>(),
        )?;
        for row in &self.rows {
            let mut cells = row.clone();
            cells.resize(cells.len().max(self.header.len()), String::new());
            line(f, &cells)?;
        }
        Ok(())
    }
}

/// Bytes in GiB with two decimals, or `n/a` where the platform did not report them.
pub(crate) fn gib(bytes: Option<u64>) -> String {
    bytes.map_or_else(
        || "n/a".to_string(),
        |b| format!("{:.2} GiB", b as f64 / (1u64 << 30) as f64),
    )
}

/// Bytes in MiB with one decimal, or `n/a`.
pub(crate) fn mib(bytes: Option<u64>) -> String {
    bytes.map_or_else(
        || "n/a".to_string(),
        |b| format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
    )
}

/// Seconds with `digits` decimals, or `n/a`.
pub(crate) fn seconds(s: Option<f64>, digits: usize) -> String {
    s.map_or_else(|| "n/a".to_string(), |s| format!("{s:.digits$}"))
}

/// A whole number with thousands separators (`1,234,567`), as BENCHMARKS.md writes counts.
pub(crate) fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_prints_as_markdown_with_short_rows_padded() {
        let mut t = Table::new(&["a", "b"]);
        t.row(vec!["1".into(), "2".into()]).row(vec!["3".into()]);
        assert_eq!(
            t.to_string(),
            "| a | b |\n| --- | --- |\n| 1 | 2 |\n| 3 |  |\n"
        );
    }

    #[test]
    fn numbers_format_as_the_tables_write_them() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(80_000_000), "80,000,000");
        assert_eq!(gib(Some(3 << 29)), "1.50 GiB");
        assert_eq!(mib(None), "n/a");
        assert_eq!(seconds(Some(1.23456), 2), "1.23");
    }
}
