#!/usr/bin/env python3
"""Checks that a directory written by bali's export loads in Hugging Face transformers as a
complete BertModel: no missing, unexpected or mismatched weights, and a working tokenizer.

    python3 scripts/check_export.py EXPORTED_DIR [--same-as ORIGINAL_DIR]

With --same-as, keys that transformers also reports as unexpected for the original checkpoint
are tolerated, and both models encode the same sentences: their last hidden states must agree
within 1e-5 (use it on an export of an untrained model). Needs torch and transformers (not
installed by bali's CI; tests/interop.rs runs this script when BALI_TORCH_PYTHONPATH names a
folder that has them); exits 1 on any problem, 0 when the directory is a clean BertModel.
"""

import argparse
import sys

SENTENCES = [
    "Mutations in BRCA1 increase the risk of breast cancer.",
    "NF-κB signalling regulates inflammation.",
]


def load(path):
    from transformers import BertModel

    model, info = BertModel.from_pretrained(path, output_loading_info=True)
    model.eval()
    return model, info


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("exported")
    parser.add_argument("--same-as", dest="original")
    args = parser.parse_args()

    import torch
    from transformers import AutoTokenizer

    model, info = load(args.exported)
    tolerated = set()
    reference = None
    if args.original:
        reference, original_info = load(args.original)
        tolerated = set(original_info.get("unexpected_keys", []))

    problems = []
    for kind in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs"):
        found = [k for k in info.get(kind, []) if not (kind == "unexpected_keys" and k in tolerated)]
        if found:
            problems.append(f"{kind}: {found}")

    tokenizer = AutoTokenizer.from_pretrained(args.exported)
    batch = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        states = model(**batch).last_hidden_state
        if reference is not None:
            diff = (states - reference(**batch).last_hidden_state).abs().max().item()
            print(f"max abs difference from {args.original}: {diff:.3g}")
            if diff > 1e-5:
                problems.append(f"outputs differ from {args.original} by {diff:.3g}")

    if problems:
        for p in problems:
            print(f"FAIL {args.exported}: {p}", file=sys.stderr)
        return 1
    print(f"ok: {args.exported} loads as BertModel ({sum(p.numel() for p in model.parameters())} parameters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
