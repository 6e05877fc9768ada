"""Regenerate everything under sample_data/ that a script makes, then validate it.

Order matters: the PubTator file and the tokenizer read the PubMed files, the tokenizer also
reads MRCONSO. sample_data/gold/mentions.tsv is not regenerated: it is the hand-checked gold
list, and validate.py fails if it no longer equals what the annotation rules give (propose new
rows with `annotate.py PMID...`).

Usage: python3 scripts/sample_data/make_all.py
"""

import sys

import make_obo
import make_pubmed
import make_pubtator
import make_tiny_bert
import make_umls
import validate

if __name__ == "__main__":
    for step in (make_pubmed, make_umls, make_obo, make_pubtator, make_tiny_bert):
        step.main()
    sys.exit(validate.main())
