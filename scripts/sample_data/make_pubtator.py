"""Write sample_data/annotations/sample.pubtator: PubTator annotations of five sample articles.

Each document is `PMID|t|title`, `PMID|a|abstract`, then one line per annotation,
`PMID<TAB>start<TAB>end<TAB>text<TAB>type<TAB>identifier`, then a blank line. Offsets are code
points into title + " " + abstract (the abstract starts at len(title) + 1), the texts being
the articles' current records flattened as in common.py. The five articles have unstructured
abstracts, so the abstract is one line.

The annotations below were chosen by hand, as a NER+NEN tool would emit them; this script only
places them: each listed surface is annotated at every case-sensitive, whole-word occurrence
not already covered by a longer listed surface. Identifiers: `MESH:D...` (Disease, Chemical)
map to MRCONSO SAB=MSH CODE=D..., Species taxonomy ids to SAB=NCBI CODE=...; Gene ids are
NCBI Gene ids, which no MRCONSO source carries (an importer must report them as unmapped).

Usage: python3 scripts/sample_data/make_pubtator.py
"""

from common import PUBTATOR_PATH, current_records

ANNOTATIONS = {
    80000002: [
        ("septic shock", "Disease", "MESH:D012772"),
        ("hypertension", "Disease", "MESH:D006973"),
        ("hypertensive", "Disease", "MESH:D006973"),
        ("sepsis", "Disease", "MESH:D018805"),
        ("hypotension", "Disease", "MESH:D007022"),
        ("norepinephrine", "Chemical", "MESH:D009638"),
        ("atrial fibrillation", "Disease", "MESH:D001281"),
        ("arrhythmia", "Disease", "MESH:D001145"),
        ("patients", "Species", "9606"),
    ],
    80000004: [
        ("NF-κB", "Gene", "4790"),
        ("Nuclear factor kappa B", "Gene", "4790"),
        ("TNF-α", "Gene", "7124"),
        ("inflammation", "Disease", "MESH:D007249"),
        ("human", "Species", "9606"),
        ("interleukin-6", "Gene", "3569"),
        ("IL-6", "Gene", "3569"),
        ("Ibuprofen", "Chemical", "MESH:D007052"),
        ("non-steroidal anti-inflammatory drugs", "Chemical", "MESH:D000894"),
        ("NSAIDs", "Chemical", "MESH:D000894"),
    ],
    80000019: [
        ("Mycobacterium tuberculosis", "Species", "1773"),
        ("infection", "Disease", "MESH:D007239"),
        ("tuberculosis", "Disease", "MESH:D014376"),
        ("isoniazid", "Chemical", "MESH:D007538"),
        ("rifampin", "Chemical", "MESH:D012293"),
        ("patients", "Species", "9606"),
    ],
    80000030: [
        ("knee osteoarthritis", "Disease", "MESH:D020370"),
        ("osteoarthritis", "Disease", "MESH:D010003"),
        ("ibuprofen", "Chemical", "MESH:D007052"),
        ("pain", "Disease", "MESH:D010146"),
        ("non-steroidal anti-inflammatory drugs", "Chemical", "MESH:D000894"),
    ],
    80000039: [
        ("Anxiety", "Disease", "MESH:D001007"),
        ("anxiety", "Disease", "MESH:D001007"),
        ("depression", "Disease", "MESH:D003863"),
        ("chronic obstructive pulmonary disease", "Disease", "MESH:D029424"),
        ("COPD", "Disease", "MESH:D029424"),
        ("dyspnoea", "Disease", "MESH:D004417"),
        ("patients", "Species", "9606"),
        ("Patients", "Species", "9606"),
    ],
}


def place(text, surfaces):
    """Spans of every whole-word occurrence of each surface, longer surfaces first."""
    taken = []
    for surface, kind, identifier in sorted(surfaces, key=lambda s: -len(s[0])):
        start = text.find(surface)
        found = False
        while start >= 0:
            end = start + len(surface)
            whole = (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum())
            if whole and all(end <= s or start >= e for s, e, *_ in taken):
                taken.append((start, end, surface, kind, identifier))
                found = True
            start = text.find(surface, start + 1)
        if not found:
            raise SystemExit(f"{surface!r} does not occur as a whole word")
    return sorted(taken)


def render():
    records = current_records()
    documents = []
    for pmid, surfaces in ANNOTATIONS.items():
        rec = records[pmid]
        if "\n" in rec["abstract"] or "|" in rec["title"] + rec["abstract"]:
            raise SystemExit(f"{pmid}: abstract must be one line without '|'")
        text = rec["title"] + " " + rec["abstract"]
        lines = [f"{pmid}|t|{rec['title']}", f"{pmid}|a|{rec['abstract']}"]
        for start, end, surface, kind, identifier in place(text, surfaces):
            lines.append(f"{pmid}\t{start}\t{end}\t{surface}\t{kind}\t{identifier}")
        documents.append("\n".join(lines) + "\n")
    return "\n".join(documents) + "\n"


def main():
    PUBTATOR_PATH.parent.mkdir(parents=True, exist_ok=True)
    PUBTATOR_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {PUBTATOR_PATH.relative_to(PUBTATOR_PATH.parents[2])} ({len(ANNOTATIONS)} documents)")


if __name__ == "__main__":
    main()
