#!/usr/bin/env python3
"""The peer of bali's PubMed reader in `bali-bench pubmed`: lxml iterparse extracting the same
fields from a PubmedArticleSet file (plain or gzip, told apart by magic bytes as bali does;
Python's gzip module decompresses, so both sides pay for decompression).

Per PubmedArticle / PubmedBookArticle: PMID and Version, title, abstract sections (text with
markup flattened, Label, NlmCategory), other abstracts, languages, journal title and ISO
abbreviation, publication year, MeSH descriptors (UI, name, major topic), chemicals,
keywords, publication types, DOI, DateRevised; DeleteCitation PMIDs. Elements are cleared as
they are read so memory stays flat, as in the usual iterparse recipe.

Prints one JSON line: {"articles": N, "deletions": N, "sections": N, "seconds": S}, where
seconds is the parse time measured inside the interpreter (import time excluded).
"""

import gzip
import json
import sys
import time

from lxml import etree


def text(element):
    return " ".join("".join(element.itertext()).split()) if element is not None else None


def article_fields(record):
    citation = record.find("MedlineCitation")
    if citation is None:
        citation = record.find("BookDocument")
    pmid = citation.find("PMID")
    article = citation.find("Article")
    if article is None:
        article = citation
    sections = [
        (node.get("Label"), node.get("NlmCategory"), text(node))
        for node in article.iterfind("Abstract/AbstractText")
    ]
    mesh = []
    for heading in citation.iterfind("MeshHeadingList/MeshHeading"):
        descriptor = heading.find("DescriptorName")
        major = descriptor.get("MajorTopicYN") == "Y" or any(
            q.get("MajorTopicYN") == "Y" for q in heading.iterfind("QualifierName")
        )
        mesh.append((descriptor.get("UI"), text(descriptor), major))
    chemicals = [
        (c.find("NameOfSubstance").get("UI"), text(c.find("NameOfSubstance")), c.findtext("RegistryNumber"))
        for c in citation.iterfind("ChemicalList/Chemical")
    ]
    year = article.findtext("Journal/JournalIssue/PubDate/Year") or article.findtext(
        "Journal/JournalIssue/PubDate/MedlineDate"
    )
    doi = [a.text for a in record.iterfind("PubmedData/ArticleIdList/ArticleId") if a.get("IdType") == "doi"]
    return {
        "pmid": int(pmid.text),
        "version": int(pmid.get("Version", "1")),
        "title": text(article.find("ArticleTitle")),
        "sections": sections,
        "other": [text(o) for o in citation.iterfind("OtherAbstract")],
        "languages": [l.text for l in article.iterfind("Language")],
        "journal": article.findtext("Journal/Title"),
        "iso": article.findtext("Journal/ISOAbbreviation"),
        "year": year[:4] if year else None,
        "mesh": mesh,
        "chemicals": chemicals,
        "keywords": [text(k) for k in citation.iterfind("KeywordList/Keyword")],
        "publication_types": [p.text for p in article.iterfind("PublicationTypeList/PublicationType")],
        "doi": doi[0] if doi else None,
        "date_revised": [citation.findtext("DateRevised/" + part) for part in ("Year", "Month", "Day")],
    }


def open_input(path):
    with open(path, "rb") as probe:
        magic = probe.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def main(path):
    started = time.perf_counter()
    articles = deletions = sections = 0
    tags = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation")
    source = open_input(path)
    for _, element in etree.iterparse(source, events=("end",), tag=tags):
        if element.tag == "DeleteCitation":
            deletions += len(element.findall("PMID"))
        else:
            fields = article_fields(element)
            articles += 1
            sections += len(fields["sections"])
        element.clear()
        while element.getprevious() is not None:
            del element.getparent()[0]
    source.close()
    seconds = time.perf_counter() - started
    print(json.dumps({"articles": articles, "deletions": deletions, "sections": sections, "seconds": seconds}))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: pubmed_lxml.py FILE")
    main(sys.argv[1])
