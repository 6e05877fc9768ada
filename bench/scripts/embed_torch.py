#!/usr/bin/env python3
"""The PyTorch peer of `bali-bench embed`: the same texts embedded by transformers' BertModel.

    python3 bench/scripts/embed_torch.py --model DIR --input FILE [--ours EMB.f32]

FILE is the JSON that `bali-bench embed` writes: threads, batch size, warm-up batches and the
token ids of every text (`[CLS] ... [SEP]`, tokenised once by bali's tokenizer, so both sides
read exactly the same ids). The embedding is what bali's evaluation computes
(src/train/eval/mod.rs): texts sorted by length (ties by position), `batch` at a time, each
batch padded to its longest text, the last hidden states mean-pooled over the real tokens,
L2-normalised. The model runs the way a user runs inference with transformers: `eval()`,
`torch.inference_mode()`, SDPA attention, `torch.set_num_threads(threads)`.

With `--ours`, the file of bali's embeddings (raw little-endian f32, one row per text, in input
order) is compared with these: the largest absolute difference and the smallest cosine.

Prints one JSON line: wall seconds of the timed pass (warm-up batches are run first and not
counted), texts/s, real tokens/s, CPU seconds, peak RSS, versions. Needs torch and
transformers; exits 1 with a message when they are missing.
"""

import argparse
import json
import sys
import time

from peer_memory import peak_rss_bytes

try:
    import torch
    import transformers
    from transformers import BertModel
except ImportError as error:  # pragma: no cover - the Rust side probes before running
    sys.exit(f"embed_torch.py needs torch and transformers: {error}")


def batches(ids, batch):
    """Indices sorted by (length, position), cut into batches."""
    order = sorted(range(len(ids)), key=lambda i: (len(ids[i]), i))
    return [order[i : i + batch] for i in range(0, len(order), batch)]


def embed_batch(model, ids, rows, pad):
    cols = max(len(ids[i]) for i in rows)
    tokens = torch.full((len(rows), cols), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), cols), dtype=torch.long)
    for r, i in enumerate(rows):
        tokens[r, : len(ids[i])] = torch.tensor(ids[i])
        mask[r, : len(ids[i])] = 1
    states = model(input_ids=tokens, attention_mask=mask).last_hidden_state
    m = mask.unsqueeze(-1).to(states.dtype)
    pooled = (states * m).sum(1) / m.sum(1).clamp(min=1.0)
    return torch.nn.functional.normalize(pooled, dim=-1)




def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--ours")
    args = parser.parse_args()
    with open(args.input) as f:
        job = json.load(f)
    torch.set_num_threads(job["threads"])
    ids, pad = job["ids"], job["pad"]
    model = BertModel.from_pretrained(
        args.model, add_pooling_layer=False, attn_implementation="sdpa"
    ).eval()

    plan = batches(ids, job["batch"])
    out = torch.zeros((len(ids), model.config.hidden_size))
    with torch.inference_mode():
        # Warm-up: the first batches (the shortest texts) once, untimed.
        for rows in plan[: job["warmup"]]:
            embed_batch(model, ids, rows, pad)
        start, cpu = time.perf_counter(), time.process_time()
        for rows in plan:
            out[rows] = embed_batch(model, ids, rows, pad)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu

    report = {
        "wall_s": wall,
        "cpu_s": cpu,
        "texts_per_s": len(ids) / wall,
        "tokens_per_s": sum(len(t) for t in ids) / wall,
        "threads": torch.get_num_threads(),
        "peak_rss_bytes": peak_rss_bytes(),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "attention": model.config._attn_implementation,
    }
    if args.ours:
        with open(args.ours, "rb") as f:
            ours = torch.frombuffer(bytearray(f.read()), dtype=torch.float32)
        ours = ours.reshape(len(ids), -1)
        report["max_abs_diff"] = (ours - out).abs().max().item()
        report["min_cosine"] = (ours * out).sum(-1).min().item()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
