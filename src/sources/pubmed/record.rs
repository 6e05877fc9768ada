//! One citation while it is being read: every field as a span of one reused text arena, so a
//! record costs no allocation per field and a rejected record leaves nothing in the output.

/// A byte range of [`Record::arena`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// The range `start..end` of the arena.
    pub fn new(start: usize, end: usize) -> Self {
        // A record's text is far below 4 GiB; saturating keeps a monster record harmless.
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// True when the span holds no text.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// Which element a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// `PubmedArticle`.
    Article,
    /// `PubmedBookArticle`.
    Book,
}

impl RecordKind {
    /// The value of the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Article => "article",
            RecordKind::Book => "book",
        }
    }
}

/// One `AbstractText` of `Abstract`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Section {
    /// `Label` attribute.
    pub label: Option<Span>,
    /// `NlmCategory` attribute.
    pub category: Option<Span>,
    /// The text, markup flattened.
    pub text: Span,
}

/// One `OtherAbstract` (translations, plain-language and PIP summaries), its sections joined.
#[derive(Debug, Clone, Copy, Default)]
pub struct OtherAbstract {
    /// `Type` attribute (e.g. PIP, plain-language-summary).
    pub kind: Option<Span>,
    /// `Language` attribute.
    pub language: Option<Span>,
    /// The `AbstractText` elements, joined with newlines.
    pub text: Span,
}

/// One `MeshHeading`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mesh {
    /// `DescriptorName UI`.
    pub ui: Span,
    /// Descriptor name.
    pub name: Span,
    /// `MajorTopicYN="Y"` on the descriptor or any qualifier.
    pub major: bool,
}

/// One `Chemical`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Chemical {
    /// `NameOfSubstance UI`.
    pub ui: Option<Span>,
    /// `NameOfSubstance`.
    pub name: Span,
    /// `RegistryNumber`.
    pub registry: Option<Span>,
}

/// The fields of the record being read. Cleared, not dropped, between records.
#[derive(Debug, Default)]
pub struct Record {
    /// Every text of the record, back to back; spans point into it.
    pub arena: String,
    /// Article or book (set at the record's start tag).
    pub kind: Option<RecordKind>,
    /// Byte offset of the start tag in the decompressed XML.
    pub offset: u64,
    /// 0-based index among the file's article records.
    pub index: u64,
    /// `PMID` text of the citation (not of comments or references).
    pub pmid: Option<Span>,
    /// `PMID Version`, 1 when absent.
    pub version: i32,
    /// `ArticleTitle`.
    pub title: Option<Span>,
    /// `BookTitle` (books).
    pub book_title: Option<Span>,
    /// `Abstract/AbstractText` in order.
    pub sections: Vec<Section>,
    /// `OtherAbstract` elements in order.
    pub other_abstracts: Vec<OtherAbstract>,
    /// `Language` elements.
    pub languages: Vec<Span>,
    /// Journal `Title` or book `PublisherName`.
    pub journal: Option<Span>,
    /// `ISOAbbreviation`.
    pub journal_iso: Option<Span>,
    /// `PubDate/Year`.
    pub pub_year: Option<Span>,
    /// `PubDate/MedlineDate`, used when there is no `Year`.
    pub medline_date: Option<Span>,
    /// `MeshHeading` elements.
    pub mesh: Vec<Mesh>,
    /// `Chemical` elements.
    pub chemicals: Vec<Chemical>,
    /// `Keyword` elements of every list.
    pub keywords: Vec<Span>,
    /// `PublicationType` elements.
    pub publication_types: Vec<Span>,
    /// `ArticleId IdType="doi"` (preferred).
    pub doi: Option<Span>,
    /// `ELocationID EIdType="doi"` (fallback).
    pub elocation_doi: Option<Span>,
    /// `DateRevised` year, month and day.
    pub date_revised: [Option<Span>; 3],
    /// The first problem found inside an otherwise well-formed record (bad attribute, bad
    /// number): byte offset and reason. Such a record is rejected at its end tag.
    pub problem: Option<(u64, String)>,
}

impl Record {
    /// Starts a new record, keeping the allocations of the previous one.
    pub fn reset(&mut self, kind: RecordKind, offset: u64, index: u64) {
        self.arena.clear();
        self.kind = Some(kind);
        self.offset = offset;
        self.index = index;
        self.pmid = None;
        self.version = 1;
        self.title = None;
        self.book_title = None;
        self.sections.clear();
        self.other_abstracts.clear();
        self.languages.clear();
        self.journal = None;
        self.journal_iso = None;
        self.pub_year = None;
        self.medline_date = None;
        self.mesh.clear();
        self.chemicals.clear();
        self.keywords.clear();
        self.publication_types.clear();
        self.doi = None;
        self.elocation_doi = None;
        self.date_revised = [None; 3];
        self.problem = None;
    }

    /// The text of `span`.
    pub fn text(&self, span: Span) -> &str {
        self.arena
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }

    /// The text of an optional span, `None` when absent or empty.
    pub fn opt_text(&self, span: Option<Span>) -> Option<&str> {
        span.filter(|s| !s.is_empty()).map(|s| self.text(s))
    }

    /// Notes the first problem of the record; later ones add nothing a user needs.
    pub fn flag(&mut self, offset: u64, reason: impl FnOnce() -> String) {
        if self.problem.is_none() {
            self.problem = Some((offset, reason()));
        }
    }

    /// Publication year: `PubDate/Year`, else the first four-digit number of `MedlineDate`
    /// ("1998 Dec-1999 Jan" is 1998).
    pub fn year(&self) -> Option<i32> {
        if let Some(year) = self
            .opt_text(self.pub_year)
            .and_then(|y| y.trim().parse().ok())
        {
            return Some(year);
        }
        let date = self.opt_text(self.medline_date)?;
        date.as_bytes()
            .windows(4)
            .enumerate()
            .find(|(i, w)| {
                w.iter().all(u8::is_ascii_digit)
                    && (*i == 0 || !date.as_bytes()[i - 1].is_ascii_digit())
                    && date
                        .as_bytes()
                        .get(i + 4)
                        .is_none_or(|b| !b.is_ascii_digit())
            })
            .and_then(|(i, _)| date[i..i + 4].parse().ok())
    }

    /// `DateRevised` as days since 1970-01-01; `None` when absent or not a calendar date.
    pub fn date_revised_days(&self) -> Option<i32> {
        let [year, month, day] = self.date_revised.map(|s| self.opt_text(s).map(str::trim));
        let year: i32 = year?.parse().ok()?;
        let month = parse_month(month?)?;
        let day: u32 = day?.parse().ok()?;
        let date = chrono::NaiveDate::from_ymd_opt(year, month, day)?;
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
        i32::try_from(date.signed_duration_since(epoch).num_days()).ok()
    }
}

/// A month as a number (1-12) or an English abbreviation (Jan...Dec), as PubMed writes both.
fn parse_month(text: &str) -> Option<u32> {
    if let Ok(n) = text.parse::<u32>() {
        return (1..=12).contains(&n).then_some(n);
    }
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = text.get(..3)?.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| *m == lower)
        .map(|i| i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record_with(texts: &[&str]) -> (Record, Vec<Span>) {
        let mut record = Record::default();
        record.reset(RecordKind::Article, 0, 0);
        let spans = texts
            .iter()
            .map(|t| {
                let start = record.arena.len();
                record.arena.push_str(t);
                Span::new(start, record.arena.len())
            })
            .collect();
        (record, spans)
    }

    #[test]
    fn year_from_year_or_medline_date() {
        let (mut record, spans) = record_with(&["1979", "Winter 1998 Dec-1999 Jan", "12345 1980"]);
        record.pub_year = Some(spans[0]);
        assert_eq!(record.year(), Some(1979));
        record.pub_year = None;
        record.medline_date = Some(spans[1]);
        assert_eq!(record.year(), Some(1998));
        record.medline_date = Some(spans[2]);
        assert_eq!(record.year(), Some(1980));
        record.medline_date = None;
        assert_eq!(record.year(), None);
    }

    #[test]
    fn date_revised_accepts_numbers_and_month_names_and_rejects_impossible_dates() {
        let (mut record, s) = record_with(&["2003", "11", "14", "Feb", "30", "1970", "1", "01"]);
        record.date_revised = [Some(s[0]), Some(s[1]), Some(s[2])];
        assert_eq!(record.date_revised_days(), Some(12_370));
        record.date_revised = [Some(s[5]), Some(s[6]), Some(s[7])];
        assert_eq!(record.date_revised_days(), Some(0));
        record.date_revised = [Some(s[0]), Some(s[3]), Some(s[4])];
        assert_eq!(record.date_revised_days(), None);
        record.date_revised = [Some(s[0]), None, Some(s[2])];
        assert_eq!(record.date_revised_days(), None);
    }
}
