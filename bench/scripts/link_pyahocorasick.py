#!/usr/bin/env python3
"""The Python peer of bali's dictionary linker, for the linking benchmark (BENCHMARKS.md).

Does what `bali::stages::link` does, the usual Python way: the same tokenisation and
normalisation (src/stages/dictionary/normalize.rs), and leftmost-longest, whole-word,
non-overlapping matching with a pyahocorasick automaton. Whole words come from the encoding:
every token key is written as " key " (so tokens are separated by two spaces) and every
dictionary form as " k1  k2 ... ", so a pattern can only match a run of whole tokens, and
leftmost-longest over characters is leftmost-longest over tokens. Acronym forms (case-sensitive)
live in a second automaton over a stream of the case-kept keys; when it finds something in a
sentence, both automata's overlapping matches are merged greedily (leftmost, then longest).

Known differences from the Rust rules (they show up in the agreement figure, not as bugs):
Python's `str.isalnum`/`\\w` and Rust's `char::is_alphanumeric` disagree on a few non-Latin
characters (e.g. Roman numeral letters, some Indic vowel signs), and combining marks are taken
from the Unicode combining-diacritics blocks here, from the full Unicode mark categories there.

Input: --dictionary JSONL ({"form", "case_sensitive", "cuis"}), --sentences JSONL ({"id",
"text"}). Output: --out TSV (sentence id, start, end, comma-joined sorted CUIs; code-point
offsets), and one JSON line of timings on stdout.
"""

import argparse
import json
import re
import sys
import time
import unicodedata

import ahocorasick

HYPHENS = "-\u00ad\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
APOSTROPHES = "'`\u2018\u2019\u02bc\u2032"
QUOTES = '"\u201c\u201d\u201e\u00ab\u00bb\u2033'
MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
TOKEN = re.compile(rf"(?P<w>(?:[^\W_]|[{MARKS}])+)|(?P<p>[^\s{re.escape(HYPHENS)}{INVISIBLE}])")
BLOCK = "\x00"  # a key no pattern contains: stops matches at this token


def fold(text):
    """NFKD, combining marks and whitespace removed."""
    return "".join(
        d for d in unicodedata.normalize("NFKD", text)
        if not d.isspace() and not unicodedata.category(d).startswith("M")
    )


def key(tok, is_word, lower):
    if not is_word:
        if tok in APOSTROPHES:
            return "'"
        if tok in QUOTES:
            return '"'
        return fold(tok)
    if tok.isascii():
        return tok.lower() if lower else tok
    folded = fold(tok)
    return folded.lower() if lower else folded


def tokenize(text):
    """(start, end, is_word) per token, possessive 's dropped, as normalize::tokenize."""
    toks = [(m.start(), m.end(), m.lastgroup == "w") for m in TOKEN.finditer(text)]
    if "s" not in text and "S" not in text:
        return toks
    out = []
    i = 0
    n = len(toks)
    while i < n:
        if i + 2 < n:
            (ws, we, ww), (a_s, a_e, aw), (ss, se, sw) = toks[i], toks[i + 1], toks[i + 2]
            if (ww and not aw and we == a_s and a_e == ss and sw
                    and text[a_s:a_e] in APOSTROPHES and text[ss:se] in ("s", "S")):
                out.append(toks[i])
                i += 3
                continue
        out.append(toks[i])
        i += 1
    return out


def encode(keys):
    """The stream " k1  k2  ... " and the stream offset of each token's leading space."""
    starts = []
    pos = 0
    for k in keys:
        starts.append(pos)
        pos += len(k) + 2
    return "".join(" " + k + " " for k in keys), starts


def load_dictionary(path):
    forms = {}  # (case_sensitive, form) -> set of cuis
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            forms.setdefault((row["case_sensitive"], row["form"]), set()).update(row["cuis"])
    automata = []
    for cased in (False, True):
        a = ahocorasick.Automaton()
        for (cs, form), cuis in forms.items():
            if cs == cased:
                tokens = form.split(" ")
                a.add_word(" " + "  ".join(tokens) + " ", (len(tokens), frozenset(cuis)))
        if len(a):
            a.make_automaton()
            automata.append(a)
        else:
            automata.append(None)
    return automata


def matches(automaton, stream, closing, overlapping):
    """(first token, token count, cuis) per match; a match ends on its last token's closing
    space, which `closing` maps to the token index."""
    it = automaton.iter(stream) if overlapping else automaton.iter_long(stream)
    return [(closing[end] - n + 1, n, cuis) for end, (n, cuis) in it]


def link(text, lower_automaton, cased_automaton):
    toks = tokenize(text)
    if not toks:
        return []
    lower_keys = []
    cased_keys = []
    for s, e, w in toks:
        tok = text[s:e]
        lower_keys.append(key(tok, w, True) or BLOCK)
        if cased_automaton is not None:
            caseless_or_upper = not w or not any(c.islower() for c in tok)
            cased_keys.append((key(tok, w, False) or BLOCK) if caseless_or_upper else BLOCK)
    lower_stream, starts = encode(lower_keys)
    # Map the stream index of each token's closing space to the token index.
    closing = {starts[i] + len(lower_keys[i]) + 1: i for i in range(len(toks))}
    hits = []
    cased_hits = []
    if cased_automaton is not None:
        cased_stream, cstarts = encode(cased_keys)
        cclosing = {cstarts[i] + len(cased_keys[i]) + 1: i for i in range(len(toks))}
        cased_hits = matches(cased_automaton, cased_stream, cclosing, True)
    if lower_automaton is not None:
        hits = matches(lower_automaton, lower_stream, closing, bool(cased_hits))
    if cased_hits:
        hits = greedy(hits + cased_hits)
    mentions = []
    for first, n, cuis in hits:
        mentions.append((toks[first][0], toks[first + n - 1][1], cuis))
    return mentions


def greedy(hits):
    """Leftmost-longest, non-overlapping selection; equal spans merge their candidates."""
    spans = {}
    for first, n, cuis in hits:
        spans.setdefault((first, n), set()).update(cuis)
    chosen = []
    next_free = 0
    for (first, n) in sorted(spans, key=lambda s: (s[0], -s[1])):
        if first >= next_free:
            chosen.append((first, n, spans[(first, n)]))
            next_free = first + n
    return chosen


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dictionary", required=True)
    ap.add_argument("--sentences", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    t0 = time.perf_counter()
    lower_automaton, cased_automaton = load_dictionary(args.dictionary)
    build_s = time.perf_counter() - t0

    with open(args.sentences, encoding="utf-8") as f:
        sentences = [json.loads(line) for line in f]
    text_bytes = sum(len(s["text"].encode("utf-8")) for s in sentences)

    t0 = time.perf_counter()
    results = [(s["id"], link(s["text"], lower_automaton, cased_automaton)) for s in sentences]
    link_s = time.perf_counter() - t0

    n_mentions = 0
    with open(args.out, "w", encoding="utf-8") as out:
        for sid, mentions in results:
            for start, end, cuis in mentions:
                out.write(f"{sid}\t{start}\t{end}\t{','.join(sorted(cuis))}\n")
                n_mentions += 1
    json.dump({"build_s": build_s, "link_s": link_s, "bytes": text_bytes,
               "sentences": len(sentences), "mentions": n_mentions}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
