"""Write sample_data/umls/MRCONSO.RRF, MRREL.RRF and MRSTY.RRF from vocabulary.py.

The files follow the UMLS Rich Release Format: '|'-separated fields, a trailing '|' on every
line, no quoting (a '"' is an ordinary character), UTF-8, '\n' line ends.

Identifiers that UMLS assigns are derived deterministically here:
  * SUI: one per exact string; LUI: one per lower-cased string (so case variants share a LUI);
  * AUI, RUI, ATUI: sequential in file order;
  * TS/STT/ISPREF per (CUI, LAT): the concept's first atom of that language fixes the preferred
    LUI (TS=P) and string (STT=PF); other strings of that LUI are VC (case variant) or VO;
    the first atom of each SUI in the concept has ISPREF=Y. So each concept has exactly one
    English atom with TS=P, STT=PF and ISPREF=Y: its preferred name.
A relation row links two atoms of its source: where vocabulary.py gives a concept at an end of a
MED-RT, SNOMEDCT_US or NCI relation no atom of that source, one is made from the concept's
preferred name with a synthetic code (see add_relation_atoms).

Usage: python3 scripts/sample_data/make_umls.py
"""

from vocabulary import (
    CONCEPTS,
    INVERSE,
    ISA,
    NARROWER,
    RELATED,
    RELATIONS,
    SEMANTIC_TYPES,
    SIBLING,
    TRANSLATION,
    A,
)
from common import UMLS_DIR

SRL = {"SNOMEDCT_US": "9", "MDR": "3", "MSHGER": "3", "MSHSPA": "3", "MDRSPA": "3"}
STYPE = {"MSH": "SDUI", "MSHGER": "SDUI", "MSHSPA": "SDUI", "MDR": "CODE", "RXNORM": "CODE"}
DIRECTED_SABS = {"SNOMEDCT_US", "MED-RT", "NCI", "HPO", "OMIM"}
HIERARCHY_RELA_SABS = {"SNOMEDCT_US", "HPO", "NCI"}
AUTO_ATOM_SABS = {"MED-RT", "SNOMEDCT_US", "NCI"}


def synthetic_code(sab, cui):
    number = int(cui[1:])
    if sab == "MED-RT":
        return f"N{1000000 + number % 9000000:07d}"
    if sab == "NCI":
        return f"C{900000 + number % 100000}"
    return str(700000000 + number % 100000000)


def add_relation_atoms(concepts):
    """Give every concept at an end of a MED-RT, SNOMEDCT_US or NCI relation an atom of that SAB.

    A relation row links two atoms of its source, so a source must name both concepts. Where
    vocabulary.py gives the concept no atom of that source, one is made with the concept's
    preferred name, TTY PT and a synthetic code.
    """
    by_cui = {c["cui"]: c for c in concepts}
    needed = []
    for subject, _, obj, sab in RELATIONS:
        if sab in AUTO_ATOM_SABS:
            needed.extend([(subject, sab), (obj, sab)])
    for cui, sab in dict.fromkeys(needed):
        concept = by_cui[cui]
        if not any(atom[0] == sab and atom[4] == "ENG" for atom in concept["atoms"]):
            preferred = concept["atoms"][0][3]
            concept["atoms"].append(A(sab, "PT", synthetic_code(sab, cui), preferred))
    return concepts


def check(concepts):
    cuis = [c["cui"] for c in concepts]
    duplicates = {cui for cui in cuis if cuis.count(cui) > 1}
    if duplicates:
        raise SystemExit(f"duplicate CUIs: {sorted(duplicates)}")
    for concept in concepts:
        first = concept["atoms"][0]
        if first[4] != "ENG" or first[5] != "N":
            raise SystemExit(f"{concept['cui']}: the first atom must be English and unsuppressed")
        for tui in concept["tuis"]:
            if tui not in SEMANTIC_TYPES:
                raise SystemExit(f"{concept['cui']}: unknown TUI {tui}")
        for atom in concept["atoms"]:
            if "|" in atom[3] or "\n" in atom[3]:
                raise SystemExit(f"{concept['cui']}: '|' or newline in {atom[3]!r}")


def source_ids(sab, code, aui_number):
    """(SAUI, SCUI, SDUI) as UMLS fills them for each source."""
    if sab in ("MSH", "MSHGER", "MSHSPA"):
        return "", f"M{int(code[1:]) % 10**7:07d}", code
    if sab == "SNOMEDCT_US":
        return str(100000000 + aui_number * 7), code, ""
    if sab == "RXNORM":
        return str(2000000 + aui_number), code, ""
    if sab in ("MDR", "MDRSPA"):
        return "", "", ""
    return "", code, ""


def build_mrconso(concepts):
    luis, suis = {}, {}
    rows = []
    atoms_by_cui = {}
    aui_number = 20000000
    for concept in sorted(concepts, key=lambda c: c["cui"]):
        cui = concept["cui"]
        preferred_lui, preferred_string_of_lui, seen_sui = {}, {}, set()
        for sab, tty, code, string, lat, suppress in concept["atoms"]:
            aui_number += 1
            aui = f"A{aui_number:08d}"
            lui = luis.setdefault(string.lower(), f"L{len(luis) + 1000001:07d}")
            sui = suis.setdefault(string, f"S{len(suis) + 2000001:07d}")
            if suppress == "N":
                preferred_lui.setdefault(lat, lui)
                preferred_string_of_lui.setdefault((lat, lui), string)
            ts = "P" if preferred_lui.get(lat) == lui else "S"
            pf = preferred_string_of_lui.get((lat, lui), string)
            stt = "PF" if string == pf else ("VC" if string.lower() == pf.lower() else "VO")
            ispref = "N" if (lat, sui) in seen_sui else "Y"
            seen_sui.add((lat, sui))
            saui, scui, sdui = source_ids(sab, code, aui_number)
            rows.append([cui, lat, ts, lui, stt, sui, ispref, aui, saui, scui, sdui, sab, tty, code, string,
                         SRL.get(sab, "0"), suppress, ""])
            atoms_by_cui.setdefault(cui, []).append((sab, aui, lat))
    return rows, atoms_by_cui


def atom_of(atoms_by_cui, cui, sab, lat="ENG"):
    for atom_sab, aui, atom_lat in atoms_by_cui[cui]:
        if atom_sab == sab and atom_lat == lat:
            return aui
    raise SystemExit(f"relation of SAB {sab} needs a {lat} {sab} atom in {cui}")


def build_mrrel(atoms_by_cui):
    rows = []

    def row(cui1, aui1, rel, cui2, aui2, rela, sab, direction, stype=None):
        stype = stype or STYPE.get(sab, "SCUI")
        rows.append([cui1, aui1, stype, rel, cui2, aui2, stype, rela, None, "", sab, sab,
                     "0" if sab == "SNOMEDCT_US" else "", direction, "N", ""])

    for subject, kind, obj, sab in RELATIONS:
        if subject not in atoms_by_cui or obj not in atoms_by_cui:
            raise SystemExit(f"relation {subject} {kind} {obj}: unknown CUI")
        directed = sab in DIRECTED_SABS
        if kind == TRANSLATION:
            english = atom_of(atoms_by_cui, subject, sab.replace("GER", "").replace("SPA", ""))
            foreign = atom_of(atoms_by_cui, subject, sab, "GER" if sab.endswith("GER") else "SPA")
            row(subject, english, "SY", subject, foreign, "translation_of", sab, "", "AUI")
            row(subject, foreign, "SY", subject, english, "has_translation", sab, "", "AUI")
            continue
        aui_s = atom_of(atoms_by_cui, subject, sab)
        aui_o = atom_of(atoms_by_cui, obj, sab)
        if kind == ISA:
            with_rela = sab in HIERARCHY_RELA_SABS
            row(obj, aui_o, "CHD", subject, aui_s, "isa" if with_rela else "", sab, "Y" if directed else "", None)
            row(subject, aui_s, "PAR", obj, aui_o, "inverse_isa" if with_rela else "", sab,
                "N" if directed else "", None)
        elif kind == NARROWER:
            row(obj, aui_o, "RN", subject, aui_s, "", sab, "", None)
            row(subject, aui_s, "RB", obj, aui_o, "", sab, "", None)
        elif kind in (SIBLING, RELATED):
            rel = "SIB" if kind == SIBLING else "RQ"
            row(obj, aui_o, rel, subject, aui_s, "", sab, "", None)
            row(subject, aui_s, rel, obj, aui_o, "", sab, "", None)
        else:
            if kind not in INVERSE:
                raise SystemExit(f"unknown relation attribute {kind}")
            row(obj, aui_o, "RO", subject, aui_s, kind, sab, "Y" if directed else "", None)
            row(subject, aui_s, "RO", obj, aui_o, INVERSE[kind], sab, "N" if directed else "", None)
    rows.sort(key=lambda r: (r[0], r[1], r[4], r[5], r[3], r[7]))
    for number, r in enumerate(rows, 1):
        r[8] = f"R{100000000 + number:09d}"
    return rows


def build_mrsty(concepts):
    rows = []
    number = 10000000
    for concept in sorted(concepts, key=lambda c: c["cui"]):
        for tui in concept["tuis"]:
            number += 1
            stn, sty = SEMANTIC_TYPES[tui]
            rows.append([concept["cui"], tui, stn, sty, f"AT{number:08d}", ""])
    return rows


def write_rrf(name, rows):
    path = UMLS_DIR / name
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for r in rows:
            handle.write("|".join(r) + "|\n")
    print(f"wrote {path.relative_to(UMLS_DIR.parent.parent)} ({len(rows)} rows)")


def main():
    UMLS_DIR.mkdir(parents=True, exist_ok=True)
    concepts = add_relation_atoms([{**c, "atoms": list(c["atoms"])} for c in CONCEPTS])
    check(concepts)
    mrconso, atoms_by_cui = build_mrconso(concepts)
    write_rrf("MRCONSO.RRF", mrconso)
    write_rrf("MRREL.RRF", build_mrrel(atoms_by_cui))
    write_rrf("MRSTY.RRF", build_mrsty(concepts))


if __name__ == "__main__":
    main()
