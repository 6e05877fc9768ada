"""How far an aligned model moved from its base: name embeddings and weights.

Reads the evaluation's embedding cache (WORKDIR/_cache/embeddings/<key>.bin, written by
eval_linking: magic, version, section count, one section of little-endian f32s, blake3 hash) and
two safetensors checkpoints. Prints, per aligned-names file, the mean cosine of each name's
embedding to the base's and how the similarity structure between random name pairs changed; and
the relative L2 change of the weights per layer.

usage: python3 embedding_drift.py DIM BASE_NAMES.bin LABEL=ALIGNED_NAMES.bin ... \
           [--weights BASE.safetensors ALIGNED.safetensors]
Needs numpy.
"""
import json
import struct
import sys

import numpy as np


def cache(path, dim):
    raw = open(path, "rb").read()
    if raw[:8] != b"BALIMTCH":
        sys.exit(f"{path}: not a bali cache file")
    length = struct.unpack("<Q", raw[16:24])[0]
    return np.frombuffer(raw[24 : 24 + length], dtype="<f4").reshape(-1, dim)


def safetensors(path):
    raw = open(path, "rb").read()
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + size])
    data = raw[8 + size :]
    out = {}
    for name, meta in header.items():
        if name == "__metadata__" or meta["dtype"] != "F32":
            continue
        start, end = meta["data_offsets"]
        out[name.removeprefix("bert.")] = np.frombuffer(data[start:end], dtype="<f4")
    return out


def main(argv):
    weights = None
    if "--weights" in argv:
        i = argv.index("--weights")
        weights = argv[i + 1 : i + 3]
        argv = argv[:i]
    dim, base_path, others = int(argv[0]), argv[1], argv[2:]
    base = cache(base_path, dim)
    rng = np.random.default_rng(0)
    i = rng.integers(0, len(base), 20000)
    j = rng.integers(0, len(base), 20000)
    pairs_base = (base[i] * base[j]).sum(1)
    for item in others:
        label, path = item.split("=", 1)
        x = cache(path, dim)
        cos = (base * x).sum(1)
        pairs = (x[i] * x[j]).sum(1)
        print(
            f"{label}: mean cosine to the base {cos.mean():.3f} (5th percentile {np.percentile(cos, 5):.3f}); "
            f"random name pairs: mean cosine {pairs_base.mean():.3f} -> {pairs.mean():.3f}, "
            f"correlation with the base's {np.corrcoef(pairs_base, pairs)[0, 1]:.3f}"
        )
    if weights:
        before, after = safetensors(weights[0]), safetensors(weights[1])
        groups = {}
        for name, w0 in before.items():
            if name not in after:
                continue
            parts = name.split(".")
            group = ".".join(parts[:3]) if parts[0] == "encoder" else parts[0]
            moved, norm = groups.get(group, (0.0, 0.0))
            groups[group] = (moved + float(((after[name] - w0) ** 2).sum()), norm + float((w0**2).sum()))
        for group, (moved, norm) in sorted(groups.items()):
            print(f"weights {group}: relative L2 change {np.sqrt(moved / norm):.4f}")


if __name__ == "__main__":
    main(sys.argv[1:])
