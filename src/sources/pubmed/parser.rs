//! The event loop: quick-xml events over the decompressed stream, a small state machine that
//! knows which element is which, records built in place, and recovery from bad input.
//!
//! Every element on the open-element stack carries an [`Elem`]: the meaning of an element
//! depends on its parent (`PMID` of `MedlineCitation` is the record's, `PMID` under
//! `CommentsCorrections` is not), and an element with no meaning to us makes its whole
//! subtree [`Elem::Other`], which costs one comparison per event to skip.
//!
//! End-tag matching is done here rather than by quick-xml so that the parser can recover: a
//! malformed record is rejected and reading resumes at the next record start tag, with the
//! stack reset to the record's parent.

use std::path::Path;

use aho_corasick::AhoCorasick;
use quick_xml::encoding::EncodingError;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use crate::error::{BaliError, Result};
use crate::sources::input::ChunkReader;
use crate::sources::policy::{file_name, ErrorPolicy, Location, ReadStats, Rejects};
use crate::sources::Emit;
use crate::tables::TableType;

use super::batch::{ArticlesBuilder, DeletionsBuilder};
use super::record::{Chemical, Mesh, OtherAbstract, Record, RecordKind, Section, Span};
use super::skip::{Skip, Skipper};
use super::text::Normalizer;
use super::PubmedReadOptions;

/// What an element means here. Elements that hold a field's text are marked by
/// [`Elem::captures`]; elements inside them are [`Elem::Inline`] markup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Elem {
    /// Parent of the root element.
    Root,
    /// A root that is not `PubmedArticleSet`.
    NotPubmed,
    /// Anything we do not read, and everything inside it.
    Other,
    /// Markup inside a text field (`<i>`, `<sup>`, MathML...): its text belongs to the field.
    Inline,
    Set,
    Article,
    Book,
    Delete,
    DeletePmid,
    Citation,
    BookDocument,
    Pmid,
    DateRevised,
    DrYear,
    DrMonth,
    DrDay,
    ArticleEl,
    Journal,
    JournalTitle,
    JournalIso,
    JournalIssue,
    PubDate,
    PubYear,
    MedlineDate,
    BookEl,
    Publisher,
    PublisherName,
    BookTitle,
    Title,
    Abstract,
    AbstractText,
    OtherAbstract,
    OtherAbstractText,
    Language,
    PubTypeList,
    PubType,
    ELocation,
    MeshList,
    MeshHeading,
    Descriptor,
    Qualifier,
    ChemList,
    Chemical,
    RegistryNumber,
    Substance,
    KeywordList,
    Keyword,
    PubmedData,
    ArticleIdList,
    ArticleId,
}

impl Elem {
    /// True for elements whose text is a field.
    fn captures(self) -> bool {
        use Elem::*;
        matches!(
            self,
            DeletePmid
                | Pmid
                | DrYear
                | DrMonth
                | DrDay
                | JournalTitle
                | JournalIso
                | PubYear
                | MedlineDate
                | PublisherName
                | BookTitle
                | Title
                | AbstractText
                | OtherAbstractText
                | Language
                | PubType
                | ELocation
                | Descriptor
                | RegistryNumber
                | Substance
                | Keyword
                | ArticleId
        )
    }

    /// The meaning of element `name` inside `self` (the PubMed DTD's structure, read paths
    /// only).
    fn child(self, name: &str) -> Elem {
        use Elem::*;
        if self.captures() || self == Inline {
            return Inline;
        }
        match (self, name) {
            (Root, "PubmedArticleSet" | "PubmedBookArticleSet") => Set,
            (Root, _) => NotPubmed,
            (Set, "PubmedArticle") => Article,
            (Set, "PubmedBookArticle") => Book,
            (Set, "DeleteCitation") => Delete,
            (Article, "MedlineCitation") => Citation,
            (Article | Book, "PubmedData" | "PubmedBookData") => PubmedData,
            (Book, "BookDocument") => BookDocument,
            (Delete, "PMID") => DeletePmid,
            (Citation | BookDocument, "PMID") => Pmid,
            (Citation | BookDocument, "DateRevised") => DateRevised,
            (Citation | BookDocument, "KeywordList") => KeywordList,
            (Citation, "Article") => ArticleEl,
            (Citation, "MeshHeadingList") => MeshList,
            (Citation, "ChemicalList") => ChemList,
            (Citation, "OtherAbstract") => OtherAbstract,
            (BookDocument, "Book") => BookEl,
            (BookDocument | ArticleEl, "ArticleTitle") => Title,
            (BookDocument | ArticleEl, "Abstract") => Abstract,
            (BookDocument | ArticleEl, "Language") => Language,
            (BookDocument | PubTypeList, "PublicationType") => PubType,
            (BookDocument | PubmedData, "ArticleIdList") => ArticleIdList,
            (DateRevised, "Year") => DrYear,
            (DateRevised, "Month") => DrMonth,
            (DateRevised, "Day") => DrDay,
            (ArticleEl, "Journal") => Journal,
            (ArticleEl, "PublicationTypeList") => PubTypeList,
            (ArticleEl, "ELocationID") => ELocation,
            (Journal, "Title") => JournalTitle,
            (Journal, "ISOAbbreviation") => JournalIso,
            (Journal, "JournalIssue") => JournalIssue,
            (JournalIssue | BookEl, "PubDate") => PubDate,
            (PubDate, "Year") => PubYear,
            (PubDate, "MedlineDate") => MedlineDate,
            (BookEl, "Publisher") => Publisher,
            (BookEl, "BookTitle") => BookTitle,
            (Publisher, "PublisherName") => PublisherName,
            (Abstract, "AbstractText") => AbstractText,
            (OtherAbstract, "AbstractText") => OtherAbstractText,
            (MeshList, "MeshHeading") => MeshHeading,
            (MeshHeading, "DescriptorName") => Descriptor,
            (MeshHeading, "QualifierName") => Qualifier,
            (ChemList, "Chemical") => Chemical,
            (Chemical, "RegistryNumber") => RegistryNumber,
            (Chemical, "NameOfSubstance") => Substance,
            (KeywordList, "Keyword") => Keyword,
            (ArticleIdList, "ArticleId") => ArticleId,
            _ => Other,
        }
    }
}

/// Start tags where a record (or a deletion) begins: where reading resumes after bad input.
const RECORD_STARTS: [&str; 3] = ["<PubmedArticle>", "<PubmedBookArticle>", "<DeleteCitation>"];

fn is_record_name(name: &str) -> bool {
    matches!(
        name,
        "PubmedArticle" | "PubmedBookArticle" | "DeleteCitation"
    )
}

/// An open element: its meaning and where its name is in [`Parser::names`].
#[derive(Debug, Clone, Copy)]
struct Open {
    elem: Elem,
    name_start: usize,
    name_end: usize,
}

/// What the event loop does after an event.
enum Step {
    Continue,
    /// The element just started is of no use: skip its subtree without tokenising it.
    Skip,
    /// The input ended.
    End,
    /// The decompressed stream failed (truncated or corrupt gzip, read error).
    Broken,
    /// The input is not well-formed at this absolute offset, for this reason: reject what is
    /// open and resynchronise.
    Malformed(u64, String),
}

/// Reads a whole PubmedArticleSet stream.
pub(super) fn read(
    path: &Path,
    input: ChunkReader,
    options: &PubmedReadOptions,
    emit: &mut Emit<'_>,
) -> Result<ReadStats> {
    let mut parser = Parser::new(path, options)?;
    let resync = AhoCorasick::new(RECORD_STARTS)
        .map_err(|e| BaliError::Internal(format!("record start patterns: {e}")))?;
    let longest = RECORD_STARTS.iter().map(|p| p.len()).max().unwrap_or(1);
    let mut skipper = Skipper::new();

    let mut input = input;
    if parser.quarantine {
        input.start_recording();
    }
    let mut xml = xml_reader(input);
    // Absolute offset of the reader's position 0: the reader restarts after bad input, and
    // skipped subtrees are consumed behind its back.
    let mut base = 0u64;
    let mut buf = Vec::with_capacity(64 * 1024);
    loop {
        // Whitespace between elements is no field's text: step over it here rather than
        // have the tokenizer build (and validate) an event for it.
        if parser.capture.is_none() {
            match xml.get_mut().skip_ascii_whitespace() {
                Ok(blanks) => base += blanks,
                Err(_) => {
                    let before = base + xml.buffer_position();
                    let failure = xml.get_ref().failure().unwrap_or("read error").to_string();
                    parser.broken_stream(before, &failure, xml.get_ref(), emit)?;
                    break;
                }
            }
        }
        let before = base + xml.buffer_position();
        buf.clear();
        let event = xml.read_event_into(&mut buf);
        let step = match event {
            Ok(Event::Start(e)) => match parser.start(&e, before, false, xml.get_mut(), emit)? {
                Step::Skip => {
                    let from = xml.get_ref().offset();
                    let skipped = skipper.skip(xml.get_mut(), e.name().into_inner());
                    base += xml.get_ref().offset() - from;
                    match skipped {
                        Ok(Skip::Closed) => Step::Continue,
                        Ok(Skip::Malformed(at, reason)) => Step::Malformed(at, reason),
                        Ok(Skip::Eof) => Step::End,
                        Err(_) => Step::Broken,
                    }
                }
                step => step,
            },
            Ok(Event::Empty(e)) => match parser.start(&e, before, true, xml.get_mut(), emit)? {
                Step::Continue => parser.end(e.name().into_inner(), before, xml.get_mut(), emit)?,
                step => step,
            },
            Ok(Event::End(e)) => parser.end(e.name().into_inner(), before, xml.get_mut(), emit)?,
            Ok(Event::Text(text)) => parser.text(&text),
            Ok(Event::CData(text)) => parser.text(&text),
            Ok(Event::GeneralRef(reference)) => parser.reference(&reference),
            Ok(Event::Eof) => Step::End,
            Ok(_) => Step::Continue,
            Err(quick_xml::Error::Io(_)) => Step::Broken,
            Err(quick_xml::Error::Encoding(EncodingError::Utf8(e))) => Step::Malformed(
                before + e.valid_up_to() as u64,
                format!("invalid UTF-8: {e}"),
            ),
            Err(e) => Step::Malformed(base + xml.error_position(), e.to_string()),
        };
        match step {
            Step::Continue | Step::Skip => {}
            Step::End => {
                parser.end_of_input(base + xml.buffer_position(), xml.get_ref(), emit)?;
                break;
            }
            Step::Broken => {
                let failure = xml.get_ref().failure().unwrap_or("read error").to_string();
                parser.broken_stream(before, &failure, xml.get_ref(), emit)?;
                break;
            }
            Step::Malformed(at, reason) => {
                let mut input = xml.into_inner();
                let resumed = parser.malformed(at, &reason, &mut input, &resync, longest, emit)?;
                base = input.offset();
                xml = xml_reader(input);
                if !resumed {
                    break;
                }
            }
        }
    }
    parser.finish(emit)
}

fn xml_reader(input: ChunkReader) -> Reader<ChunkReader> {
    let mut xml = Reader::from_reader(input);
    let config = xml.config_mut();
    // End tags are matched by the parser's own stack, which survives resynchronisation.
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    // Empty elements stay `Empty` events: a `Start` must have an end tag for skipping.
    config.expand_empty_elements = false;
    config.trim_text(false);
    xml
}

/// The parse state of one file.
struct Parser<'a> {
    batch_size: usize,
    quarantine: bool,
    stack: Vec<Open>,
    names: String,
    seen_root: bool,
    /// Stack depth of the open record or deletion element, if one is open.
    record_depth: Option<usize>,
    record: Record,
    capture: Option<Normalizer>,
    /// Article records started so far (the next record's `article_index`).
    next_index: u64,
    /// Offset of the open `DeleteCitation/PMID`.
    deletion_offset: u64,
    articles: ArticlesBuilder,
    deletions: DeletionsBuilder,
    rejects: Rejects<'a>,
    stats: ReadStats,
}

impl<'a> Parser<'a> {
    fn new(path: &'a Path, options: &PubmedReadOptions) -> Result<Self> {
        let batch_size = options.batch_size.max(1);
        Ok(Parser {
            batch_size,
            quarantine: options.on_error == ErrorPolicy::Quarantine,
            stack: Vec::with_capacity(32),
            names: String::with_capacity(512),
            seen_root: false,
            record_depth: None,
            record: Record::default(),
            capture: None,
            next_index: 0,
            deletion_offset: 0,
            articles: ArticlesBuilder::new(file_name(path))?,
            deletions: DeletionsBuilder::new(file_name(path)),
            rejects: Rejects::new(options.on_error, path, batch_size),
            stats: ReadStats::default(),
        })
    }

    /// A start tag (`empty` for `<x/>`, whose end the caller then handles).
    fn start(
        &mut self,
        e: &BytesStart<'_>,
        at: u64,
        empty: bool,
        input: &mut ChunkReader,
        emit: &mut Emit<'_>,
    ) -> Result<Step> {
        let name = e.name().into_inner();
        let parent = self.stack.last().map_or(Elem::Root, |open| open.elem);
        let mut elem = parent.child(name);
        if elem == Elem::NotPubmed {
            return Ok(Step::Malformed(
                at,
                format!("the root element is <{name}>, not <PubmedArticleSet>"),
            ));
        }
        if self.record_depth.is_some() && is_record_name(name) {
            // A record start inside a record: the open one lost its end tag. Reject it and
            // read this one, rather than swallowing the rest of the file into it.
            let open = self.open_record_name().to_string();
            let reason =
                format!("malformed XML at byte {at}: <{name}> starts before </{open}> closes");
            self.reject_open(at, &reason, input, emit)?;
            self.truncate_stack(1);
            elem = self
                .stack
                .last()
                .map_or(Elem::Root, |open| open.elem)
                .child(name);
        }
        match elem {
            Elem::Other | Elem::Inline => {}
            Elem::Set => self.seen_root = true,
            Elem::Article | Elem::Book => {
                let kind = if elem == Elem::Article {
                    RecordKind::Article
                } else {
                    RecordKind::Book
                };
                self.record.reset(kind, at, self.next_index);
                self.next_index += 1;
                self.record_depth = Some(self.stack.len());
                input.forget_before(at);
            }
            Elem::Delete => {
                self.record.arena.clear();
                self.record_depth = Some(self.stack.len());
                input.forget_before(at);
            }
            Elem::DeletePmid => self.deletion_offset = at,
            Elem::Pmid => {
                if let Some(version) = self.attr_raw(e, "Version", at) {
                    match version.trim().parse::<i32>() {
                        Ok(v) if self.record.pmid.is_none() => self.record.version = v,
                        Ok(_) => {}
                        Err(_) => self
                            .record
                            .flag(at, || format!("PMID Version {version:?} is not a number")),
                    }
                }
            }
            Elem::AbstractText => {
                let label = self.attr(e, "Label", at);
                let category = self.attr(e, "NlmCategory", at);
                self.record.sections.push(Section {
                    label,
                    category,
                    text: Span::default(),
                });
            }
            Elem::OtherAbstract => {
                let kind = self.attr(e, "Type", at);
                let language = self.attr(e, "Language", at);
                let here = self.record.arena.len();
                self.record.other_abstracts.push(OtherAbstract {
                    kind,
                    language,
                    text: Span::new(here, here),
                });
            }
            Elem::OtherAbstractText
                if self
                    .record
                    .other_abstracts
                    .last()
                    .is_some_and(|o| !o.text.is_empty()) =>
            {
                self.record.arena.push('\n');
            }
            Elem::Descriptor => {
                let ui = self.attr(e, "UI", at).unwrap_or_default();
                let major = self
                    .attr_raw(e, "MajorTopicYN", at)
                    .is_some_and(|v| v == "Y");
                self.record.mesh.push(Mesh {
                    ui,
                    name: Span::default(),
                    major,
                });
            }
            Elem::Qualifier
                if self
                    .attr_raw(e, "MajorTopicYN", at)
                    .is_some_and(|v| v == "Y") =>
            {
                if let Some(mesh) = self.record.mesh.last_mut() {
                    mesh.major = true;
                }
            }
            Elem::Chemical => self.record.chemicals.push(Chemical::default()),
            Elem::Substance => {
                let ui = self.attr(e, "UI", at);
                if let Some(chemical) = self.record.chemicals.last_mut() {
                    chemical.ui = ui;
                }
            }
            // Only DOIs are kept: other identifiers are skipped like unknown elements.
            Elem::ELocation if self.attr_raw(e, "EIdType", at).is_none_or(|v| v != "doi") => {
                elem = Elem::Other;
            }
            Elem::ArticleId if self.attr_raw(e, "IdType", at).is_none_or(|v| v != "doi") => {
                elem = Elem::Other;
            }
            _ => {}
        }
        if elem == Elem::Other && !empty {
            return Ok(Step::Skip);
        }
        if elem.captures() {
            self.capture = Some(Normalizer::new(&self.record.arena));
        }
        let name_start = self.names.len();
        self.names.push_str(name);
        self.stack.push(Open {
            elem,
            name_start,
            name_end: self.names.len(),
        });
        Ok(Step::Continue)
    }

    /// Closes all but the outermost `depth` open elements (after bad input).
    fn truncate_stack(&mut self, depth: usize) {
        self.stack.truncate(depth);
        self.names
            .truncate(self.stack.last().map_or(0, |open| open.name_end));
    }

    /// Name of the open record element, for messages.
    fn open_record_name(&self) -> &str {
        self.record_depth
            .and_then(|depth| self.stack.get(depth))
            .map_or("", |open| &self.names[open.name_start..open.name_end])
    }

    fn end(
        &mut self,
        name: &str,
        at: u64,
        input: &mut ChunkReader,
        emit: &mut Emit<'_>,
    ) -> Result<Step> {
        let Some(open) = self.stack.pop() else {
            return Ok(Step::Malformed(
                at,
                format!("end tag </{name}> without a start tag"),
            ));
        };
        let open_name = &self.names[open.name_start..open.name_end];
        if open_name != name {
            let reason = format!("expected </{open_name}>, found </{name}>");
            self.stack.push(open);
            return Ok(Step::Malformed(at, reason));
        }
        self.names.truncate(open.name_start);
        if open.elem.captures() {
            let start = self
                .capture
                .take()
                .map_or(self.record.arena.len(), |c| c.start());
            let span = Span::new(start, self.record.arena.len());
            self.store(open.elem, span, input, emit)?;
        }
        match open.elem {
            Elem::Article | Elem::Book => self.finish_record(input, emit)?,
            Elem::Delete => {
                self.record_depth = None;
                if self.quarantine {
                    input.start_recording();
                }
            }
            _ => {}
        }
        Ok(Step::Continue)
    }

    /// Puts the text of a closed field where it belongs.
    fn store(
        &mut self,
        elem: Elem,
        span: Span,
        input: &ChunkReader,
        emit: &mut Emit<'_>,
    ) -> Result<()> {
        let record = &mut self.record;
        match elem {
            Elem::Pmid => {
                record.pmid.get_or_insert(span);
            }
            Elem::DrYear => record.date_revised[0] = Some(span),
            Elem::DrMonth => record.date_revised[1] = Some(span),
            Elem::DrDay => record.date_revised[2] = Some(span),
            Elem::JournalTitle | Elem::PublisherName => {
                record.journal.get_or_insert(span);
            }
            Elem::JournalIso => {
                record.journal_iso.get_or_insert(span);
            }
            Elem::PubYear => record.pub_year = Some(span),
            Elem::MedlineDate => record.medline_date = Some(span),
            Elem::Title => {
                record.title.get_or_insert(span);
            }
            Elem::BookTitle => {
                record.book_title.get_or_insert(span);
            }
            Elem::AbstractText => {
                if let Some(section) = record.sections.last_mut() {
                    section.text = span;
                }
            }
            Elem::OtherAbstractText => {
                if let Some(other) = record.other_abstracts.last_mut() {
                    if span.is_empty() && record.arena.ends_with('\n') && !other.text.is_empty() {
                        record.arena.pop();
                    }
                    other.text.end = Span::new(0, record.arena.len()).end;
                }
            }
            Elem::Language if !span.is_empty() => record.languages.push(span),
            Elem::PubType if !span.is_empty() => record.publication_types.push(span),
            Elem::Keyword if !span.is_empty() => record.keywords.push(span),
            Elem::ELocation => {
                record.elocation_doi.get_or_insert(span);
            }
            Elem::ArticleId => {
                record.doi.get_or_insert(span);
            }
            Elem::Descriptor => {
                if let Some(mesh) = record.mesh.last_mut() {
                    mesh.name = span;
                }
            }
            Elem::RegistryNumber => {
                if let Some(chemical) = record.chemicals.last_mut() {
                    chemical.registry = Some(span);
                }
            }
            Elem::Substance => {
                if let Some(chemical) = record.chemicals.last_mut() {
                    chemical.name = span;
                }
            }
            Elem::DeletePmid => {
                self.stats.read += 1;
                let text = record.text(span).trim();
                match text.parse::<i64>() {
                    Ok(pmid) => {
                        self.deletions.append(pmid, self.deletion_offset);
                        self.stats.written += 1;
                        if self.deletions.len() >= self.batch_size {
                            emit(TableType::Deletions, self.deletions.finish()?)?;
                        }
                    }
                    Err(_) => {
                        let reason = format!("deleted PMID {text:?} is not a number");
                        self.rejects.reject(
                            Location::byte(self.deletion_offset),
                            &reason,
                            input.recorded(),
                            emit,
                        )?;
                    }
                }
                record.arena.clear();
            }
            _ => {}
        }
        Ok(())
    }

    fn finish_record(&mut self, input: &mut ChunkReader, emit: &mut Emit<'_>) -> Result<()> {
        self.record_depth = None;
        self.stats.read += 1;
        let record = &self.record;
        let pmid = match record.pmid.map(|span| record.text(span).trim()) {
            None => Err("the record has no PMID".to_string()),
            Some(text) => text
                .parse::<i64>()
                .map_err(|_| format!("PMID {text:?} is not a number")),
        };
        let verdict = pmid.and_then(|pmid| match &record.problem {
            Some((at, reason)) => Err(format!("{reason} (byte {at})")),
            None => Ok(pmid),
        });
        match verdict {
            Ok(pmid) => {
                self.articles.append(record, pmid);
                self.stats.written += 1;
                if self.articles.len() >= self.batch_size {
                    emit(TableType::Articles, self.articles.finish()?)?;
                }
            }
            Err(reason) => {
                let at = Location::byte(record.offset);
                self.rejects.reject(at, &reason, input.recorded(), emit)?;
            }
        }
        if self.quarantine {
            input.start_recording();
        }
        Ok(())
    }

    fn text(&mut self, text: &str) -> Step {
        if let Some(capture) = &mut self.capture {
            capture.push(&mut self.record.arena, text);
        }
        Step::Continue
    }

    /// An entity or character reference: predefined entities and character references are
    /// resolved; an undeclared entity (PubMed declares none) is kept as written.
    fn reference(&mut self, reference: &BytesRef<'_>) -> Step {
        let Some(capture) = &mut self.capture else {
            return Step::Continue;
        };
        let arena = &mut self.record.arena;
        match reference.resolve_char_ref() {
            Ok(Some(c)) => capture.push_char(arena, c),
            Ok(None) => match quick_xml::escape::resolve_predefined_entity(reference) {
                Some(text) => capture.push(arena, text),
                None => capture.push(arena, &format!("&{};", &**reference)),
            },
            Err(_) => capture.push(arena, &format!("&{};", &**reference)),
        }
        Step::Continue
    }

    /// An attribute value, normalised into the arena.
    fn attr(&mut self, e: &BytesStart<'_>, key: &str, at: u64) -> Option<Span> {
        let value = self.attr_raw(e, key, at)?;
        let start = self.record.arena.len();
        Normalizer::new(&self.record.arena).push(&mut self.record.arena, &value);
        Some(Span::new(start, self.record.arena.len()))
    }

    /// An attribute value as written (entities resolved); a malformed attribute flags the
    /// record.
    fn attr_raw(&mut self, e: &BytesStart<'_>, key: &str, at: u64) -> Option<String> {
        match e.try_get_attribute(key) {
            Ok(Some(attribute)) => match attribute.normalized_value(XmlVersion::Implicit1_0) {
                Ok(value) => Some(value.into_owned()),
                Err(err) => {
                    self.record
                        .flag(at, || format!("malformed XML: attribute {key}: {err}"));
                    None
                }
            },
            Ok(None) => None,
            Err(err) => {
                self.record.flag(at, || {
                    format!(
                        "malformed XML: attributes of <{}>: {err}",
                        e.name().into_inner()
                    )
                });
                None
            }
        }
    }

    /// Rejects what is open (a record, or the stretch since the last one) with `reason`.
    fn reject_open(
        &mut self,
        at: u64,
        reason: &str,
        input: &ChunkReader,
        emit: &mut Emit<'_>,
    ) -> Result<()> {
        let location = match self.record_depth {
            Some(_) => Location::byte(self.record.offset),
            None => Location::byte(at),
        };
        self.stats.read += 1;
        self.record_depth = None;
        self.capture = None;
        self.rejects
            .reject(location, reason, input.recorded(), emit)
    }

    /// Malformed input at `at`: under `fail` an error; otherwise the open record (with the
    /// bytes up to the next record start) is rejected and reading resumes there. Returns
    /// false when no record start follows.
    fn malformed(
        &mut self,
        at: u64,
        reason: &str,
        input: &mut ChunkReader,
        resync: &AhoCorasick,
        longest: usize,
        emit: &mut Emit<'_>,
    ) -> Result<bool> {
        let reason = format!("malformed XML at byte {at}: {reason}");
        if self.rejects.policy() == ErrorPolicy::Fail {
            return self.reject_open(at, &reason, input, emit).map(|()| false);
        }
        let resumed = input.skip_to(resync, longest).unwrap_or_default();
        let reason = match input.failure() {
            Some(failure) => format!("{reason}; then the stream broke: {failure}"),
            None => reason,
        };
        self.reject_open(at, &reason, input, emit)?;
        let keep = usize::from(self.stack.first().is_some_and(|o| o.elem == Elem::Set));
        self.truncate_stack(keep);
        if self.quarantine {
            input.start_recording();
        }
        Ok(resumed && input.failure().is_none())
    }

    /// The decompressed stream failed (truncated or corrupt gzip, read error).
    fn broken_stream(
        &mut self,
        at: u64,
        failure: &str,
        input: &ChunkReader,
        emit: &mut Emit<'_>,
    ) -> Result<()> {
        let reason =
            format!("the input stream broke at byte {at} (truncated or corrupt gzip?): {failure}");
        self.reject_open(at, &reason, input, emit)
    }

    /// The end of a well-formed stream: anything still open was truncated.
    fn end_of_input(&mut self, at: u64, input: &ChunkReader, emit: &mut Emit<'_>) -> Result<()> {
        if self.record_depth.is_some() {
            let reason = format!(
                "the file ends at byte {at} inside <{}> (truncated XML)",
                self.open_record_name()
            );
            return self.reject_open(at, &reason, input, emit);
        }
        if !self.seen_root {
            return self.reject_open(
                at,
                "not a PubMed XML file: no <PubmedArticleSet> element",
                input,
                emit,
            );
        }
        if !self.stack.is_empty() {
            return self.reject_open(
                at,
                &format!("the file ends at byte {at} before </PubmedArticleSet> (truncated XML)"),
                input,
                emit,
            );
        }
        Ok(())
    }

    fn finish(mut self, emit: &mut Emit<'_>) -> Result<ReadStats> {
        if !self.articles.is_empty() {
            emit(TableType::Articles, self.articles.finish()?)?;
        }
        if !self.deletions.is_empty() {
            emit(TableType::Deletions, self.deletions.finish()?)?;
        }
        self.rejects.flush(emit)?;
        self.stats.skipped = self.rejects.skipped();
        self.stats.quarantined = self.rejects.quarantined();
        Ok(self.stats)
    }
}
