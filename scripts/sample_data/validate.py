"""Check everything under sample_data/ and print one line per check, then a 'N passed, N failed' line.

Checks: the PubMed files parse with Python's XML parser and hold the features README.md
promises; the RRF files have the right field counts, trailing '|' and consistent identifiers;
mini.obo is well formed; every PubTator and gold offset picks out its surface; the gold file
equals what the annotation rules (annotate.py) give; the tokenizer loads with `tokenizers` and
splits most gold mentions without [UNK]; the safetensors weights match config.json; the folder
stays under 2 MB. Exit status 1 when any check fails.

Usage: python3 scripts/sample_data/validate.py
"""

import json
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict

from annotate import GOLD_HEADER, annotate, dictionary, is_abbreviation
from common import (
    GOLD_PATH,
    MODEL_DIR,
    OBO_PATH,
    PUBMED_FILES,
    PUBTATOR_PATH,
    SAMPLE,
    UMLS_DIR,
    current_records,
    parse_pubmed,
    read_rrf,
    read_xml_bytes,
)

RESULTS = []


def check(name, ok, detail=""):
    RESULTS.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")


# ---------------------------------------------------------------------------------- PubMed


def check_pubmed():
    parsed = {}
    for key, path in PUBMED_FILES.items():
        raw = read_xml_bytes(path)
        try:
            root = ET.fromstring(raw)
            parsed[key] = (root, raw)
            check(f"{path.name} is well-formed XML", root.tag == "PubmedArticleSet")
        except ET.ParseError as err:
            check(f"{path.name} is well-formed XML", False, str(err))
            return
        check(f"{path.name} declares the 2025 PubMed DTD",
              b'<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN"' in raw)
    check("pubmed26n0002 and 0003 are gzip", all(PUBMED_FILES[k].read_bytes()[:2] == b"\x1f\x8b" for k in ("0002", "0003")))
    check("pubmed26n0001 is plain XML", PUBMED_FILES["0001"].read_bytes().startswith(b"<?xml"))

    records = {key: parse_pubmed(path) for key, path in PUBMED_FILES.items()}
    counts = {key: len(recs) for key, (recs, _) in records.items()}
    check("record counts 25 / 15 / 6", counts == {"0001": 25, "0002": 15, "0003": 6}, str(counts))
    base = {r["pmid"]: r for key in ("0001", "0002") for r in records[key][0]}
    update, deleted = records["0003"]
    reissued = [r for r in update if r["pmid"] in base and r["version"] == base[r["pmid"]]["version"]]
    check("update re-issues a baseline PMID, same Version, changed text",
          any(r["abstract"] != base[r["pmid"]]["abstract"] for r in reissued), str([r["pmid"] for r in reissued]))
    versions = defaultdict(list)
    for r in update:
        versions[r["pmid"]].append(r["version"])
    twice = {p: v for p, v in versions.items() if sorted(v) == [1, 2]}
    check("update holds one PMID as Version 1 and 2 (2 first)", len(twice) == 1 and list(twice.values())[0] == [2, 1],
          str(twice))
    check("update deletes a baseline PMID", len(deleted) == 1 and deleted[0] in base, str(deleted))
    check("update adds new PMIDs", len({r["pmid"] for r in update} - set(base)) >= 3)

    current = current_records()
    check("current view: deletion applied", deleted[0] not in current)
    pmid2 = list(twice)[0]
    check("current view: highest Version wins", current[pmid2]["version"] == 2)
    check("current view: re-issued record supersedes", current[reissued[0]["pmid"]]["abstract"] == reissued[0]["abstract"])

    everything = b"".join(raw for _, raw in parsed.values())
    all_recs = [r for recs, _ in records.values() for r in recs]
    features = {
        "structured abstract (Label + NlmCategory)": any(len(r["sections"]) > 1 and r["sections"][0][0] for r in all_recs),
        "unstructured abstract": any(len(r["sections"]) == 1 and not r["sections"][0][0] for r in all_recs),
        "record without abstract": any(r["abstract"] is None for r in all_recs),
        "PubmedBookArticle": any(r["kind"] == "book" for r in all_recs),
        "Language ger with VernacularTitle": b"<Language>ger</Language>" in everything and b"<VernacularTitle>" in everything,
        "OtherAbstract (not part of the abstract)": b"<OtherAbstract" in everything,
        "CopyrightInformation": b"<CopyrightInformation>" in everything,
        "MedlineDate": b"<MedlineDate>" in everything,
        "entities &amp; &lt; &gt;": all(e in everything for e in (b"&amp;", b"&lt;", b"&gt;")),
        "numeric character reference": re.search(rb"&#\d+;", everything) is not None,
        "non-ASCII (Greek, accents, >=, en dash)": all(c.encode() in everything for c in "κβαéü≥–"),
        "MeshHeadingList, ChemicalList, KeywordList": all(t in everything for t in (b"<MeshHeading>", b"<Chemical>", b"<Keyword ")),
    }
    for tag in ("i", "b", "sup", "sub", "u"):
        features[f"inline <{tag}>"] = f"<{tag}>".encode() in everything
    features["inline <mml:math>"] = b"<mml:math" in everything
    for name, ok in features.items():
        check(f"PubMed feature: {name}", ok)
    check("OtherAbstract text kept out of the abstract",
          all("Hypomagnesiämie" not in (r["abstract"] or "") for r in all_recs))
    return current


# ---------------------------------------------------------------------------------- UMLS


def check_umls(current):
    try:
        conso = read_rrf(UMLS_DIR / "MRCONSO.RRF", 18)
        rel = read_rrf(UMLS_DIR / "MRREL.RRF", 16)
        sty = read_rrf(UMLS_DIR / "MRSTY.RRF", 6)
        check("RRF field counts (18 / 16 / 6) and trailing '|'", True)
    except ValueError as err:
        check("RRF field counts (18 / 16 / 6) and trailing '|'", False, str(err))
        return None
    cuis = {r[0] for r in conso}
    auis = {r[7]: r[0] for r in conso}
    check("MRCONSO: AUIs unique", len(auis) == len(conso))
    check("concept count 60-130", 60 <= len(cuis) <= 130, f"{len(cuis)} concepts")
    preferred = Counter(r[0] for r in conso if r[1] == "ENG" and r[2] == "P" and r[4] == "PF" and r[6] == "Y"
                        and r[16] == "N")
    check("each CUI has one English TS=P STT=PF ISPREF=Y atom", all(preferred[c] == 1 for c in cuis))
    suppress = Counter(r[16] for r in conso)
    check("SUPPRESS values O, E, Y and N all present", all(suppress[v] for v in "OEYN"), str(dict(suppress)))
    check("non-English atoms (GER, SPA)", {"GER", "SPA"} <= {r[1] for r in conso})
    check("a name with a '\"'", any('"' in r[14] for r in conso))
    names = dictionary()
    ambiguous = {n: c for n, c in names.items() if len(c) > 1}
    check("an English name shared by two CUIs", bool(ambiguous), str(sorted(ambiguous)))
    check("SABs", {"MSH", "SNOMEDCT_US", "RXNORM", "NCI", "MDR", "OMIM", "NCBI", "HPO"} <= {r[11] for r in conso})
    check("MRREL: CUIs and AUIs exist in MRCONSO",
          all(r[0] in cuis and r[4] in cuis and auis.get(r[1]) == r[0] and auis.get(r[5]) == r[4] for r in rel))
    pairs = Counter((r[0], r[1], r[4], r[5], r[10]) for r in rel)
    check("MRREL: every row has its inverse row", all(pairs[(b, bb, a, aa, s)] for (a, aa, b, bb, s) in pairs))
    check("MRREL: REL values PAR/CHD/RB/RN/RO/RQ/SIB/SY", {r[3] for r in rel} == {"PAR", "CHD", "RB", "RN", "RO", "RQ", "SIB", "SY"},
          str(sorted({r[3] for r in rel})))
    check("MRREL: RELAs isa/inverse_isa/may_treat/may_be_treated_by",
          {"isa", "inverse_isa", "may_treat", "may_be_treated_by"} <= {r[7] for r in rel})
    check("MRSTY: every CUI typed, TUI/STY consistent",
          cuis == {r[0] for r in sty} and all(len({r[3] for r in sty if r[1] == t}) == 1 for t in {r[1] for r in sty}))

    neighbours = defaultdict(set)
    for r in rel:
        if r[0] != r[4]:
            neighbours[r[0]].add(r[4])
    mentioned = Counter()
    for rec in current.values():
        for row in annotate(rec, names):
            mentioned[row[5]] += 1
    degrees = [len(neighbours[c]) for c in mentioned]
    in_range = sum(2 <= d <= 6 for d in degrees)
    check("most mentioned concepts are mentioned", len(mentioned) >= 0.8 * len(cuis), f"{len(mentioned)} of {len(cuis)}")
    check("most mentioned concepts have 2-6 neighbours, some more than 3",
          in_range >= 0.8 * len(degrees) and sum(d > 3 for d in degrees) >= 5,
          f"{in_range} of {len(degrees)} in 2-6; degree histogram {sorted(Counter(degrees).items())}")
    return names


# ---------------------------------------------------------------------------------- OBO


def parse_obo(text):
    stanzas, current = [], {"type": "header", "tags": []}
    for line in text.splitlines():
        if line.startswith("[") and line.endswith("]"):
            stanzas.append(current)
            current = {"type": line[1:-1], "tags": []}
        elif line.strip():
            tag, _, value = line.partition(": ")
            current["tags"].append((tag, value))
    stanzas.append(current)
    return stanzas


def check_obo(current, conso_cuis):
    stanzas = parse_obo(OBO_PATH.read_text(encoding="utf-8"))
    header = dict(stanzas[0]["tags"])
    terms = [s for s in stanzas if s["type"] == "Term"]
    typedefs = {dict(s["tags"])["id"] for s in stanzas if s["type"] == "Typedef"}
    ids = {dict(t["tags"])["id"] for t in terms}
    check("OBO header format-version 1.4", header.get("format-version") == "1.4")
    check("OBO: about 30 terms, each with id and name", 25 <= len(terms) <= 40 and all(
        {"id", "name"} <= {k for k, _ in t["tags"]} for t in terms), f"{len(terms)} terms")
    check("OBO: an obsolete term", any(("is_obsolete", "true") in t["tags"] for t in terms))
    check("OBO: a [Typedef] used by relationship lines", bool(typedefs) and all(
        v.split()[0] in typedefs for t in terms for k, v in t["tags"] if k == "relationship"))
    check("OBO: is_a and relationship targets exist", all(
        v.split()[0 if k == "is_a" else 1] in ids for t in terms for k, v in t["tags"] if k in ("is_a", "relationship")))
    synonym = re.compile(r'^"((?:[^"\\]|\\.)*)" (EXACT|BROAD|NARROW|RELATED)( [A-Za-z_]+)? \[[^\]]*\]$')
    check("OBO: synonym lines well formed", all(synonym.match(v) for t in terms for k, v in t["tags"] if k == "synonym"))
    check("OBO: def lines quoted, with dbxrefs", all(re.match(r'^"(?:[^"\\]|\\.)*" \[[^\]]*\]$', v)
                                                    for t in terms for k, v in t["tags"] if k == "def"))
    leaf_xrefs = [v[5:] for t in terms for k, v in t["tags"] if k == "xref" and v.startswith("UMLS:")]
    in_mrconso = [c for c in leaf_xrefs if c in conso_cuis]
    check("OBO: most UMLS xrefs are MRCONSO CUIs", len(in_mrconso) >= 0.7 * len(leaf_xrefs),
          f"{len(in_mrconso)} of {len(leaf_xrefs)}")
    text = " ".join((r["title"] or "") + " " + (r["abstract"] or "") for r in current.values()).lower()
    mentioned = 0
    for t in terms:
        labels = [v for k, v in t["tags"] if k == "name"] + [
            synonym.match(v).group(1) for k, v in t["tags"] if k == "synonym"]
        if any(re.search(r"(?<!\w)" + re.escape(label.lower()) + r"(?!\w)", text) for label in labels):
            mentioned += 1
    check("OBO: most terms are mentioned in the abstracts", mentioned >= 20, f"{mentioned} of {len(terms)}")


# ---------------------------------------------------------------------------------- PubTator


def check_pubtator(current):
    conso = read_rrf(UMLS_DIR / "MRCONSO.RRF", 18)
    codes = {(r[11], r[13]) for r in conso}
    blocks = [b for b in PUBTATOR_PATH.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    bad, unmapped, annotations = [], Counter(), 0
    for block in blocks:
        lines = block.strip("\n").split("\n")
        pmid, _, title = lines[0].split("|", 2)
        pmid_a, kind_a, abstract = lines[1].split("|", 2)
        rec = current[int(pmid)]
        if lines[0].split("|")[1] != "t" or kind_a != "a" or pmid_a != pmid:
            bad.append(f"{pmid}: header lines")
        if title != rec["title"] or abstract != rec["abstract"]:
            bad.append(f"{pmid}: text differs from the flattened PubMed record")
        text = title + " " + abstract
        for line in lines[2:]:
            annotations += 1
            fields = line.split("\t")
            if len(fields) != 6 or fields[0] != pmid:
                bad.append(line)
                continue
            start, end = int(fields[1]), int(fields[2])
            if text[start:end] != fields[3]:
                bad.append(f"{pmid} {start}-{end}: {text[start:end]!r} != {fields[3]!r}")
            kind, identifier = fields[4], fields[5]
            if identifier.startswith("MESH:"):
                if ("MSH", identifier[5:]) not in codes:
                    bad.append(f"{identifier} has no MSH atom")
            elif kind == "Species":
                if ("NCBI", identifier) not in codes:
                    bad.append(f"taxon {identifier} has no NCBI atom")
            else:
                unmapped[kind] += 1
    check("PubTator: ~5 documents, offsets and texts exact, identifiers map to MRCONSO",
          not bad and 4 <= len(blocks) <= 6, f"{len(blocks)} documents, {annotations} annotations; "
          f"unmapped by design: {dict(unmapped)}; problems: {bad[:5]}")


# ---------------------------------------------------------------------------------- gold


def check_gold(current, names):
    lines = GOLD_PATH.read_text(encoding="utf-8").rstrip("\n").split("\n")
    check("gold header", lines[0].split("\t") == GOLD_HEADER)
    rows = [line.split("\t") for line in lines[1:]]
    cuis_of_name = defaultdict(set)
    for name, cuis in names.items():
        key = name if is_abbreviation(name) else name.lower()
        cuis_of_name[key] |= cuis
    bad = []
    for row in rows:
        pmid, section, start, end, surface, cui = row
        rec = current.get(int(pmid))
        if rec is None or section not in ("title", "abstract"):
            bad.append(f"{row}: no such article or section")
            continue
        text = rec[section]
        if text[int(start):int(end)] != surface:
            bad.append(f"{row}: text has {text[int(start):int(end)]!r}")
        if cui not in cuis_of_name.get(surface, set()) | cuis_of_name.get(surface.lower(), set()):
            bad.append(f"{row}: surface is not an English unsuppressed name of {cui}")
    pmids = sorted({int(r[0]) for r in rows})
    check("gold: offsets pick out the surfaces; surfaces are names of their CUIs", not bad,
          f"{len(rows)} rows, {len(pmids)} articles; problems: {bad[:5]}")
    check("gold: about 10 articles", 8 <= len(pmids) <= 12)
    expected = [row for pmid in pmids for row in annotate(current[pmid], names)]
    missing = [r for r in expected if r not in rows]
    extra = [r for r in rows if r not in expected]
    check("gold equals the annotation rules (annotate.py)", not missing and not extra,
          f"missing {missing[:3]}, extra {extra[:3]}")
    return rows


# ---------------------------------------------------------------------------------- model


def check_model(current, gold_rows):
    from make_tiny_bert import ensure_packages

    ensure_packages()
    import numpy as np
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    config = json.loads((MODEL_DIR / "config.json").read_text())
    vocab = (MODEL_DIR / "vocab.txt").read_text(encoding="utf-8").rstrip("\n").split("\n")
    tokenizer = Tokenizer.from_file(str(MODEL_DIR / "tokenizer.json"))
    check("tokenizer.json loads with tokenizers", True)
    check("vocab.txt matches tokenizer.json ids", tokenizer.get_vocab(with_added_tokens=True) ==
          {token: i for i, token in enumerate(vocab)})
    check("[PAD]=0 and the special tokens", vocab[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    check("vocabulary of 2-4k with single characters", 2000 <= len(vocab) <= 4000 and all(
        c in vocab and "##" + c in vocab for c in "abcdefghijklmnopqrstuvwxyz0123456789"), f"{len(vocab)} entries")
    check("config.json", config["vocab_size"] == len(vocab) and config["hidden_size"] == 32
          and config["num_hidden_layers"] == 2 and config["model_type"] == "bert")
    check("tokenizer_config.json lower-cases", json.loads((MODEL_DIR / "tokenizer_config.json").read_text())["do_lower_case"])
    encoding = tokenizer.encode("NF-κB in CD4+ T cells")
    check("encoding adds [CLS] ... [SEP] and lower-cases", encoding.tokens[0] == "[CLS]" and encoding.tokens[-1] == "[SEP]"
          and "nf" in encoding.tokens, " ".join(encoding.tokens))

    surfaces = [row[4] for row in gold_rows]
    unk = [s for s in surfaces if "[UNK]" in tokenizer.encode(s, add_special_tokens=False).tokens]
    check("gold mentions tokenise without [UNK]", len(unk) <= 0.05 * len(surfaces),
          f"{len(surfaces) - len(unk)} of {len(surfaces)} clean; with [UNK]: {sorted(set(unk))}")
    text = [s for rec in current.values() for s in (rec["title"], rec["abstract"]) if s]
    tokens = [t for e in tokenizer.encode_batch(text, add_special_tokens=False) for t in e.tokens]
    check("[UNK] rate over the sample text below 0.5%", tokens.count("[UNK]") <= 0.005 * len(tokens),
          f"{tokens.count('[UNK]')} of {len(tokens)} tokens")

    tensors = load_file(str(MODEL_DIR / "model.safetensors"))
    h, i = config["hidden_size"], config["intermediate_size"]
    expected = {"embeddings.word_embeddings.weight": (config["vocab_size"], h),
                "embeddings.position_embeddings.weight": (config["max_position_embeddings"], h),
                "embeddings.token_type_embeddings.weight": (config["type_vocab_size"], h),
                "embeddings.LayerNorm.weight": (h,), "embeddings.LayerNorm.bias": (h,),
                "pooler.dense.weight": (h, h), "pooler.dense.bias": (h,)}
    for n in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{n}."
        for part, shape in (("attention.self.query", (h, h)), ("attention.self.key", (h, h)),
                            ("attention.self.value", (h, h)), ("attention.output.dense", (h, h)),
                            ("intermediate.dense", (i, h)), ("output.dense", (h, i))):
            expected[p + part + ".weight"] = shape
            expected[p + part + ".bias"] = (shape[0],)
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            expected[p + norm + ".weight"] = (h,)
            expected[p + norm + ".bias"] = (h,)
    check("safetensors: Hugging Face BertModel names and shapes, float32",
          {k: v.shape for k, v in tensors.items()} == expected and all(v.dtype == np.float32 for v in tensors.values()))
    weights = [v for k, v in tensors.items() if k.endswith("weight") and "LayerNorm" not in k]
    spread = float(np.concatenate([w.ravel() for w in weights]).std())
    check("safetensors: HF initialisation (N(0,0.02), zero biases, LayerNorm 1/0, zero [PAD] row)",
          abs(spread - 0.02) < 0.001
          and all(not v.any() for k, v in tensors.items() if k.endswith("bias"))
          and all((v == 1).all() for k, v in tensors.items() if k.endswith("LayerNorm.weight"))
          and not tensors["embeddings.word_embeddings.weight"][0].any(), f"weight std {spread:.5f}")


def main():
    current = check_pubmed()
    names = check_umls(current)
    conso_cuis = {r[0] for r in read_rrf(UMLS_DIR / "MRCONSO.RRF", 18)}
    check_obo(current, conso_cuis)
    check_pubtator(current)
    gold_rows = check_gold(current, names)
    check_model(current, gold_rows)
    size = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    check("sample_data/ under 2 MB", size < 2_000_000, f"{size} bytes")
    passed = sum(RESULTS)
    print(f"validate: {passed} passed, {len(RESULTS) - passed} failed")
    return 0 if passed == len(RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
