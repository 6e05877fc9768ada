"""Paths and the text rules shared by the sample-data generators and the validator.

The two text rules here are the contract the gold annotations are written against:

* `flatten(element)`: the text of a title or one AbstractText as a reader sees it. Inline
  markup (<i>, <b>, <sup>, <sub>, <u>, MathML) is dropped and its text kept in document order,
  entities and character references are resolved by the XML parser, and every run of
  whitespace becomes one space with none at either end.
* The abstract of a record is its AbstractText sections, flattened, joined by "\n".

Offsets everywhere in sample_data/ are Unicode code points (Python str indices).
"""

import gzip
import re
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
PUBMED_DIR = SAMPLE / "pubmed"
UMLS_DIR = SAMPLE / "umls"
OBO_PATH = SAMPLE / "ontology" / "mini.obo"
PUBTATOR_PATH = SAMPLE / "annotations" / "sample.pubtator"
GOLD_PATH = SAMPLE / "gold" / "mentions.tsv"
MODEL_DIR = SAMPLE / "models" / "tiny-bert"

PUBMED_FILES = {
    "0001": PUBMED_DIR / "pubmed26n0001.xml",
    "0002": PUBMED_DIR / "pubmed26n0002.xml.gz",
    "0003": PUBMED_DIR / "pubmed26n0003.xml.gz",
}

_WS = re.compile(r"\s+")


def normalise_space(text):
    """Collapse every whitespace run to one space and trim both ends."""
    return _WS.sub(" ", text).strip()


def flatten(element):
    """The reader's text of an element with inline markup: all descendant text, in order."""
    return normalise_space("".join(element.itertext()))


def read_xml_bytes(path):
    """The decompressed bytes of a PubMed file (.xml or .xml.gz)."""
    data = Path(path).read_bytes()
    return gzip.decompress(data) if str(path).endswith(".gz") else data


def parse_pubmed(path):
    """Parse one PubmedArticleSet file into (records, deleted PMIDs).

    A record is a dict: pmid, version, kind (article|book), title, abstract (None when the
    record has no AbstractText), sections [(label, category, text)], language list.
    """
    root = ET.fromstring(read_xml_bytes(path))
    records = []
    for node in root:
        if node.tag == "PubmedArticle":
            doc = node.find("MedlineCitation")
            article = doc.find("Article")
            kind = "article"
        elif node.tag == "PubmedBookArticle":
            doc = node.find("BookDocument")
            article = doc
            kind = "book"
        else:
            continue
        pmid = doc.find("PMID")
        title_el = article.find("ArticleTitle")
        if title_el is None:
            title_el = doc.find("Book/BookTitle")
        sections = [
            (s.get("Label"), s.get("NlmCategory"), flatten(s)) for s in article.findall("Abstract/AbstractText")
        ]
        records.append(
            {
                "pmid": int(pmid.text),
                "version": int(pmid.get("Version", "1")),
                "kind": kind,
                "title": flatten(title_el) if title_el is not None else None,
                "sections": sections,
                "abstract": "\n".join(text for _, _, text in sections) if sections else None,
                "languages": [lang.text for lang in article.findall("Language")],
            }
        )
    deleted = [int(p.text) for p in root.findall("DeleteCitation/PMID")]
    return records, deleted


def current_records():
    """Apply PubMed update semantics across the sample files, in file order.

    Within a file the highest Version of a PMID wins; a later file's record replaces earlier
    ones; a later file's DeleteCitation removes the PMID. Returns {pmid: record}.
    """
    current = {}
    for key in sorted(PUBMED_FILES):
        records, deleted = parse_pubmed(PUBMED_FILES[key])
        best = {}
        for rec in records:
            if rec["pmid"] not in best or rec["version"] > best[rec["pmid"]]["version"]:
                best[rec["pmid"]] = rec
        current.update(best)
        for pmid in deleted:
            current.pop(pmid, None)
    return current


def read_rrf(path, fields):
    """Rows of an RRF file as lists of fields; checks the field count and the trailing '|'."""
    rows = []
    with open(path, encoding="utf-8", newline="") as handle:
        for number, line in enumerate(handle, 1):
            if not line.endswith("\n"):
                raise ValueError(f"{path}:{number}: line does not end with a newline")
            line = line[:-1]
            if not line.endswith("|"):
                raise ValueError(f"{path}:{number}: line does not end with '|'")
            parts = line[:-1].split("|")
            if len(parts) != fields:
                raise ValueError(f"{path}:{number}: {len(parts)} fields, expected {fields}")
            rows.append(parts)
    return rows
