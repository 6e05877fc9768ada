"""The annotation rules of sample_data/gold/mentions.tsv, as code.

A mention is marked wherever an English (LAT=ENG), unsuppressed (SUPPRESS=N) MRCONSO string
occurs in a title or abstract (text as flattened by common.flatten):
  * case-insensitively, except that a string with no lower-case letter (an abbreviation such
    as "MAP", "ALL", "COPD", "H2O") must match with its exact case;
  * as a whole word: the characters just before and after the match are not letters or
    digits (str.isalnum), so "MAP" does not match inside "MAPK" nor "Aβ" inside "Aβ42";
  * leftmost-longest: of overlapping candidates the one that starts first wins, and of those
    starting at the same place the longest; the winner's CUIs are all marked (one row per CUI
    when a string names several concepts).
There is no minimum length: two-letter abbreviations ("DM", "RA") are marked too.

`python3 scripts/sample_data/annotate.py PMID...` prints the mentions of those articles as TSV
in the gold format; validate.py compares the committed gold file with what these rules give.
"""

import re
import sys
from collections import defaultdict

from common import UMLS_DIR, current_records, read_rrf

GOLD_HEADER = ["pmid", "section", "start", "end", "surface", "cui"]


def dictionary():
    """{name: set of CUIs} of the English, unsuppressed MRCONSO strings."""
    names = defaultdict(set)
    for row in read_rrf(UMLS_DIR / "MRCONSO.RRF", 18):
        if row[1] == "ENG" and row[16] == "N":
            names[row[14]].add(row[0])
    return names


def is_abbreviation(name):
    return any(ch.isalpha() for ch in name) and not any(ch.islower() for ch in name)


def candidates(text, names):
    """Every whole-word occurrence of every name: (start, end, cuis)."""
    found = defaultdict(set)
    for name, cuis in names.items():
        flags = 0 if is_abbreviation(name) else re.IGNORECASE
        for match in re.finditer(re.escape(name), text, flags):
            start, end = match.span()
            if start > 0 and text[start - 1].isalnum():
                continue
            if end < len(text) and text[end].isalnum():
                continue
            found[(start, end)].update(cuis)
    return found


def mentions(text, names):
    """Leftmost-longest, non-overlapping mentions: [(start, end, surface, sorted CUIs)]."""
    found = candidates(text, names)
    chosen = []
    last_end = -1
    for start, end in sorted(found, key=lambda span: (span[0], -(span[1] - span[0]))):
        if start >= last_end:
            chosen.append((start, end, text[start:end], sorted(found[(start, end)])))
            last_end = end
    return chosen


def annotate(record, names):
    """Gold rows of one article record (title first, then abstract)."""
    rows = []
    for section in ("title", "abstract"):
        text = record[section]
        if not text:
            continue
        for start, end, surface, cuis in mentions(text, names):
            for cui in cuis:
                rows.append([str(record["pmid"]), section, str(start), str(end), surface, cui])
    return rows


def main(argv):
    names = dictionary()
    records = current_records()
    print("\t".join(GOLD_HEADER))
    for pmid in argv:
        for row in annotate(records[int(pmid)], names):
            print("\t".join(row))


if __name__ == "__main__":
    main(sys.argv[1:])
