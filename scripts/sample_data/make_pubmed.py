"""Write sample_data/pubmed/pubmed26n000{1,2,3}.xml[.gz] from articles.py.

The layout follows the NLM baseline files (PubMed DTD of 1 January 2025): two-space
indentation, MedlineCitation/Article/Journal..., PubmedData/History/ArticleIdList, books as
PubmedBookArticle/BookDocument, and a DeleteCitation at the end of an update file. Titles and
abstract sections are copied verbatim from articles.py (they are XML fragments with inline
markup). Every value not given in articles.py (dates, pages, DOIs, ORCIDs, affiliations) is
derived from the PMID, so the output is byte-for-byte reproducible; .gz files are written with
mtime 0 and no file name in the gzip header.

Usage: python3 scripts/sample_data/make_pubmed.py
"""

import gzip
from xml.sax.saxutils import escape, quoteattr

from articles import ARTICLES, DELETED, JOURNALS, PUBLICATION_TYPES
from common import PUBMED_DIR, PUBMED_FILES

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DOCTYPE = (
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">'
)
CITIES = ["Leeds", "Porto", "Lyon", "Uppsala", "Bologna", "Toronto", "Cape Town", "Melbourne", "Graz", "Aarhus"]


class Writer:
    """An indenting line writer: the output looks like the NLM files, one element a line."""

    def __init__(self):
        self.lines = []
        self.depth = 0

    def line(self, text):
        self.lines.append("  " * self.depth + text)

    def leaf(self, tag, text, attrs=None, raw=False):
        """<tag attrs>text</tag>; `raw` text is an XML fragment written as is."""
        body = text if raw else escape(str(text))
        self.line(f"<{tag}{fmt_attrs(attrs)}>{body}</{tag}>")

    def open(self, tag, attrs=None):
        self.line(f"<{tag}{fmt_attrs(attrs)}>")
        self.depth += 1

    def close(self, tag):
        self.depth -= 1
        self.line(f"</{tag}>")

    def date(self, tag, year, month, day, attrs=None, hour=None, minute=None):
        self.open(tag, attrs)
        self.leaf("Year", year)
        self.leaf("Month", month)
        self.leaf("Day", day)
        if hour is not None:
            self.leaf("Hour", hour)
            self.leaf("Minute", minute)
        self.close(tag)


def fmt_attrs(attrs):
    if not attrs:
        return ""
    return "".join(f" {key}={quoteattr(str(value))}" for key, value in attrs.items())


def issn(seven):
    """An ISSN with its check digit (mod 11, X for 10) from its first seven digits."""
    digits = seven.replace("-", "")
    total = sum(int(d) * w for d, w in zip(digits, range(8, 1, -1)))
    check = (11 - total % 11) % 11
    return f"{digits[:4]}-{digits[4:]}{'X' if check == 10 else check}"


def orcid(seed):
    """A well-formed ORCID iD (ISO 7064 11,2 check digit) derived from an integer."""
    base = f"00000002{(seed * 7919) % 10**7:07d}"
    total = 0
    for ch in base:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    full = base + ("X" if check == 10 else str(check))
    return "-".join(full[i : i + 4] for i in range(0, 16, 4))


def month_number(rec):
    return MONTHS.index(rec.get("month", "Jan")) + 1


def write_authors(w, authors, pmid, list_attrs):
    w.open("AuthorList", list_attrs)
    for index, author in enumerate(authors):
        w.open("Author", {"ValidYN": "Y"})
        if author[0] == "@":
            w.leaf("CollectiveName", author[1])
        else:
            last, fore, initials = author
            w.leaf("LastName", last)
            w.leaf("ForeName", fore)
            w.leaf("Initials", initials)
            if index == 0 or (pmid + index) % 3 == 0:
                w.leaf("Identifier", orcid(pmid * 10 + index), {"Source": "ORCID"})
            if index == 0:
                city = CITIES[pmid % len(CITIES)]
                w.open("AffiliationInfo")
                w.leaf("Affiliation", f"Department of Clinical Research, Sample University Hospital, {city}.")
                w.close("AffiliationInfo")
        w.close("Author")
    w.close("AuthorList")


def write_abstract(w, rec):
    if not rec["sections"]:
        return
    w.open("Abstract")
    for label, category, text in rec["sections"]:
        attrs = {"Label": label, "NlmCategory": category} if label else None
        w.leaf("AbstractText", text, attrs, raw=True)
    copyright_text = rec.get("extra", {}).get("copyright")
    if copyright_text:
        w.leaf("CopyrightInformation", copyright_text)
    w.close("Abstract")


def write_history(w, rec, tag_year):
    """History dates derived from the publication date (received < accepted < entrez)."""
    pmid, year, month = rec["pmid"], rec["year"], month_number(rec)
    w.open("History")
    if "book" not in rec:
        w.date("PubMedPubDate", year - (month <= 3), (month + 8) % 12 + 1, 3 + pmid % 20, {"PubStatus": "received"})
        w.date("PubMedPubDate", year, month, 1 + pmid % 9, {"PubStatus": "accepted"})
    w.date("PubMedPubDate", tag_year, month, 10 + pmid % 15, {"PubStatus": "medline"}, 6, 0)
    w.date("PubMedPubDate", tag_year, month, 9 + pmid % 15, {"PubStatus": "pubmed"}, 6, 0)
    w.date("PubMedPubDate", year, month, 9 + pmid % 15, {"PubStatus": "entrez"}, 5 + pmid % 7, 30)
    w.close("History")


def doi(rec):
    key = rec.get("journal", "book")
    return f"10.5555/{key}.{rec['year']}.{rec['pmid'] % 1000:04d}"


def write_article(w, rec):
    pmid, year, month = rec["pmid"], rec["year"], month_number(rec)
    extra = rec.get("extra", {})
    status = extra.get("status", "MEDLINE")
    title, iso, issn7, country, nlm_id = JOURNALS[rec["journal"]]
    journal_issn = issn(issn7)
    indexed = status == "MEDLINE"

    w.open("PubmedArticle")
    citation_attrs = {"Status": status, "Owner": "NLM"}
    if indexed:
        citation_attrs["IndexingMethod"] = "Automated" if pmid % 4 == 0 else "Curated"
    if "version_date" in extra:
        citation_attrs["VersionID"] = str(rec.get("version", 1))
        citation_attrs["VersionDate"] = extra["version_date"]
    w.open("MedlineCitation", citation_attrs)
    w.leaf("PMID", pmid, {"Version": rec.get("version", 1)})
    if indexed:
        done_month = month % 12 + 1
        w.date("DateCompleted", year + (month == 12), f"{done_month:02d}", f"{1 + pmid % 27:02d}")
    ry, rm, rd = extra.get("date_revised", (min(year + 1, 2025), month, 1 + pmid % 27))
    w.date("DateRevised", ry, f"{rm:02d}", f"{rd:02d}")

    w.open("Article", {"PubModel": "Print-Electronic" if pmid % 3 else "Electronic"})
    w.open("Journal")
    w.leaf("ISSN", journal_issn, {"IssnType": "Electronic" if pmid % 3 == 0 else "Print"})
    w.open("JournalIssue", {"CitedMedium": "Internet" if pmid % 3 == 0 else "Print"})
    w.leaf("Volume", year - 2005)
    w.leaf("Issue", month % 6 + 1)
    w.open("PubDate")
    if "medline_date" in rec:
        w.leaf("MedlineDate", rec["medline_date"])
    else:
        w.leaf("Year", year)
        w.leaf("Month", rec["month"])
    w.close("PubDate")
    w.close("JournalIssue")
    w.leaf("Title", title)
    w.leaf("ISOAbbreviation", iso)
    w.close("Journal")
    w.leaf("ArticleTitle", rec["title"], raw=True)
    first_page = 100 + (pmid % 97) * 7
    w.open("Pagination")
    w.leaf("StartPage", first_page)
    w.leaf("EndPage", first_page + 8)
    w.leaf("MedlinePgn", f"{first_page}-{first_page + 8}")
    w.close("Pagination")
    w.leaf("ELocationID", doi(rec), {"EIdType": "doi", "ValidYN": "Y"})
    write_abstract(w, rec)
    write_authors(w, rec["authors"], pmid, {"CompleteYN": "Y"})
    w.leaf("Language", extra.get("language", "eng"))
    w.open("PublicationTypeList")
    for name in rec["pubtypes"]:
        w.leaf("PublicationType", name, {"UI": PUBLICATION_TYPES[name]})
    w.close("PublicationTypeList")
    if "vernacular_title" in extra:
        w.leaf("VernacularTitle", extra["vernacular_title"])
    if pmid % 3:
        w.date("ArticleDate", year, f"{month:02d}", f"{2 + pmid % 25:02d}", {"DateType": "Electronic"})
    w.close("Article")

    w.open("MedlineJournalInfo")
    w.leaf("Country", country)
    w.leaf("MedlineTA", iso)
    w.leaf("NlmUniqueID", nlm_id)
    w.leaf("ISSNLinking", journal_issn)
    w.close("MedlineJournalInfo")
    if rec["chemicals"]:
        w.open("ChemicalList")
        for registry, name, ui in rec["chemicals"]:
            w.open("Chemical")
            w.leaf("RegistryNumber", registry)
            w.leaf("NameOfSubstance", name, {"UI": ui})
            w.close("Chemical")
        w.close("ChemicalList")
    if indexed:
        w.leaf("CitationSubset", "IM")
    if rec["mesh"]:
        w.open("MeshHeadingList")
        for ui, name, major, qualifiers in rec["mesh"]:
            w.open("MeshHeading")
            w.leaf("DescriptorName", name, {"UI": ui, "MajorTopicYN": "Y" if major else "N"}, raw=True)
            for q_ui, q_name, q_major in qualifiers:
                w.leaf("QualifierName", q_name, {"UI": q_ui, "MajorTopicYN": "Y" if q_major else "N"}, raw=True)
            w.close("MeshHeading")
        w.close("MeshHeadingList")
    if "other_abstract" in extra:
        w.open("OtherAbstract", {"Type": "Publisher", "Language": extra["language"]})
        w.leaf("AbstractText", extra["other_abstract"], raw=True)
        w.close("OtherAbstract")
    if rec["keywords"]:
        w.open("KeywordList", {"Owner": "NOTNLM"})
        for keyword in rec["keywords"]:
            w.leaf("Keyword", keyword, {"MajorTopicYN": "N"})
        w.close("KeywordList")
    if pmid % 5 == 0:
        w.leaf("CoiStatement", "The authors declare no competing interests.")
    w.close("MedlineCitation")

    w.open("PubmedData")
    write_history(w, rec, year + (month == 12))
    w.leaf("PublicationStatus", "ppublish" if pmid % 3 else "epublish")
    w.open("ArticleIdList")
    w.leaf("ArticleId", pmid, {"IdType": "pubmed"})
    w.leaf("ArticleId", doi(rec), {"IdType": "doi"})
    if pmid % 2:
        w.leaf("ArticleId", f"S{2000 + pmid % 1000:04d}-{pmid % 10000:04d}({year % 100:02d})00{pmid % 89:03d}-0",
               {"IdType": "pii"})
    w.close("ArticleIdList")
    w.close("PubmedData")
    w.close("PubmedArticle")


def write_book(w, rec):
    pmid, year = rec["pmid"], rec["year"]
    book = rec["book"]
    w.open("PubmedBookArticle")
    w.open("BookDocument")
    w.leaf("PMID", pmid, {"Version": rec.get("version", 1)})
    w.open("ArticleIdList")
    w.leaf("ArticleId", book["accession"], {"IdType": "bookaccession"})
    w.close("ArticleIdList")
    w.open("Book")
    w.open("Publisher")
    w.leaf("PublisherName", book["publisher"])
    w.leaf("PublisherLocation", book["location"])
    w.close("Publisher")
    w.leaf("BookTitle", book["title"], {"book": "clinprimer"})
    w.open("PubDate")
    w.leaf("Year", year)
    w.leaf("Month", rec["month"])
    w.close("PubDate")
    w.open("BeginningDate")
    w.leaf("Year", year - 3)
    w.close("BeginningDate")
    write_authors(w, book["editors"], pmid, {"Type": "editors"})
    w.leaf("Medium", "Internet")
    w.close("Book")
    w.leaf("ArticleTitle", rec["title"], {"book": "clinprimer", "part": book["chapter"]}, raw=True)
    w.leaf("Language", "eng")
    write_authors(w, rec["authors"], pmid + 1, {"Type": "authors"})
    for name in rec["pubtypes"]:
        w.leaf("PublicationType", name, {"UI": PUBLICATION_TYPES[name]})
    write_abstract(w, rec)
    w.open("Sections")
    for index, (label, _, _) in enumerate(rec["sections"], 1):
        w.open("Section")
        w.leaf("LocationLabel", f"14.{index}", {"Type": "section"})
        w.leaf("SectionTitle", label.title(), {"book": "clinprimer", "part": book["chapter"],
                                               "sec": f"{book['chapter']}.s{index}"})
        w.close("Section")
    w.close("Sections")
    w.close("BookDocument")
    w.open("PubmedBookData")
    write_history(w, rec, year)
    w.leaf("PublicationStatus", "ppublish")
    w.open("ArticleIdList")
    w.leaf("ArticleId", pmid, {"IdType": "pubmed"})
    w.close("ArticleIdList")
    w.close("PubmedBookData")
    w.close("PubmedBookArticle")


def render(key):
    w = Writer()
    w.lines.append('<?xml version="1.0" encoding="utf-8"?>')
    w.lines.append(DOCTYPE)
    w.open("PubmedArticleSet")
    for rec in ARTICLES:
        if rec["file"] != key:
            continue
        if "book" in rec:
            write_book(w, rec)
        else:
            write_article(w, rec)
    if DELETED.get(key):
        w.open("DeleteCitation")
        for pmid in DELETED[key]:
            w.leaf("PMID", pmid, {"Version": 1})
        w.close("DeleteCitation")
    w.close("PubmedArticleSet")
    return ("\n".join(w.lines) + "\n").encode("utf-8")


def main():
    PUBMED_DIR.mkdir(parents=True, exist_ok=True)
    for key, path in PUBMED_FILES.items():
        data = render(key)
        if path.suffix == ".gz":
            data = gzip.compress(data, compresslevel=9, mtime=0)
        path.write_bytes(data)
        print(f"wrote {path.relative_to(PUBMED_DIR.parent.parent)} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
