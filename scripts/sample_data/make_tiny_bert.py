"""Write sample_data/models/tiny-bert/: a tiny, randomly initialised BERT in Hugging Face layout.

* vocab.txt and tokenizer.json: an uncased WordPiece vocabulary trained with the `tokenizers`
  package's BertWordPieceTokenizer on every title and abstract of the sample PubMed files and
  every English MRCONSO string: [PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, [MASK]=4, then "##c" and c
  for every single character c (lower-case ASCII letters, digits, punctuation, a few Greek
  letters and symbols, and every character of the training text), then word pieces. The
  tokenizer.json post-processor adds [CLS] ... [SEP] as BertTokenizer does.
* config.json, tokenizer_config.json, special_tokens_map.json: as transformers writes them for
  a BertModel with an uncased BertTokenizer.
* model.safetensors: float32 tensors under Hugging Face BertModel names, initialised as
  BertPreTrainedModel._init_weights does (weights ~ N(0, 0.02), the [PAD] row of the word
  embeddings zero, biases zero, LayerNorm weight 1 and bias 0), from numpy's PCG64 seeded
  with SEED. No torch is needed.

The output is byte-for-byte reproducible for the pinned package versions below. When the
interpreter lacks them, the script installs them with pip into a private folder
(~/.cache/bali-sample-data/pyXY, or $BALI_SAMPLE_DATA_PYDEPS) and imports them from there:
small wheels (numpy, safetensors, tokenizers), no torch.

Usage: python3 scripts/sample_data/make_tiny_bert.py
"""

import importlib.metadata
import json
import os
import string
import subprocess
import sys
from pathlib import Path

PINNED = {"numpy": "2.4.6", "safetensors": "0.8.0", "tokenizers": "0.23.3"}
SEED = 29
VOCAB_SIZE = 3000
CONFIG = {
    "architectures": ["BertModel"],
    "attention_probs_dropout_prob": 0.1,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "hidden_size": 32,
    "initializer_range": 0.02,
    "intermediate_size": 64,
    "layer_norm_eps": 1e-12,
    "max_position_embeddings": 128,
    "model_type": "bert",
    "num_attention_heads": 2,
    "num_hidden_layers": 2,
    "pad_token_id": 0,
    "position_embedding_type": "absolute",
    "torch_dtype": "float32",
    "type_vocab_size": 2,
}
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# Characters every vocabulary gets, whether or not the sample text uses them.
INITIAL_ALPHABET = sorted(set(string.ascii_lowercase + string.digits + string.punctuation)
                          | set("αβγδεκλμσωµ°±≥≤×–—"))


def ensure_packages():
    """Make the pinned versions importable, installing them with pip when they are missing.

    The interpreter's own packages are used when their versions match exactly; otherwise the
    pinned wheels go to a private folder (pip --target) that is put first on sys.path, so the
    generator never upgrades or downgrades packages other projects on the machine rely on.
    """
    def matches():
        try:
            return all(importlib.metadata.version(name) == version for name, version in PINNED.items())
        except importlib.metadata.PackageNotFoundError:
            return False

    if matches():
        return
    target = Path(os.environ.get("BALI_SAMPLE_DATA_PYDEPS",
                                 Path.home() / ".cache" / "bali-sample-data" / f"py{sys.version_info[0]}{sys.version_info[1]}"))
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    if matches():
        return
    wanted = [f"{name}=={version}" for name, version in PINNED.items()]
    print(f"installing {' '.join(wanted)} into {target}")
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "--upgrade", "--target", str(target),
                           *wanted])
    importlib.invalidate_caches()
    if not matches():
        raise SystemExit(f"could not make {' '.join(wanted)} importable from {target}")


def training_text():
    """Sample titles and abstracts (every record of every file) and the English concept names."""
    from annotate import dictionary
    from common import PUBMED_FILES, parse_pubmed

    lines = []
    for key in sorted(PUBMED_FILES):
        records, _ = parse_pubmed(PUBMED_FILES[key])
        for rec in records:
            lines.append(rec["title"] or "")
            lines.extend((rec["abstract"] or "").split("\n"))
    lines.extend(sorted(dictionary()))
    return [line for line in lines if line]


def continuing_pieces(tokenizer, lines):
    """"##c" for every character c of the alphabet and of the normalised, pre-tokenised text."""
    chars = set(INITIAL_ALPHABET)
    for line in lines:
        for word, _ in tokenizer.pre_tokenizer.pre_tokenize_str(tokenizer.normalizer.normalize_str(line)):
            chars.update(word)
    return ["##" + ch for ch in sorted(chars)]


def train_tokenizer(out_dir):
    """Train the WordPiece vocabulary and save vocab.txt and tokenizer.json; returns its size.

    tokenizers 0.23 numbers the "##c" pieces it creates in hash-map order and breaks ties
    between equally frequent merges by those numbers, so two runs can give two vocabularies
    (huggingface/tokenizers#1794). Registering every "##c" up front, as an extra special token,
    fixes their ids and makes training deterministic; they are then taken off the list of added
    special tokens, which leaves them ordinary vocabulary entries.
    """
    from tokenizers import BertWordPieceTokenizer, Tokenizer

    lines = training_text()
    tokenizer = BertWordPieceTokenizer(clean_text=True, handle_chinese_chars=True, strip_accents=None,
                                       lowercase=True)
    tokenizer.train_from_iterator(
        lines,
        vocab_size=VOCAB_SIZE,
        min_frequency=2,
        limit_alphabet=1000,
        initial_alphabet=INITIAL_ALPHABET,
        special_tokens=SPECIAL_TOKENS + continuing_pieces(tokenizer, lines),
        wordpieces_prefix="##",
        show_progress=False,
    )
    spec = json.loads(tokenizer.to_str())
    spec["added_tokens"] = [t for t in spec["added_tokens"] if t["content"] in SPECIAL_TOKENS]
    vocab = spec["model"]["vocab"]
    spec["post_processor"] = {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                   {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                 {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
        "special_tokens": {name: {"id": name, "ids": [vocab[name]], "tokens": [name]} for name in ("[CLS]", "[SEP]")},
    }
    final = Tokenizer.from_str(json.dumps(spec))
    final.save(str(out_dir / "tokenizer.json"))
    by_id = sorted(final.get_vocab(with_added_tokens=True).items(), key=lambda item: item[1])
    if [i for _, i in by_id] != list(range(len(by_id))):
        raise SystemExit("the trained vocabulary has gaps in its ids")
    (out_dir / "vocab.txt").write_text("".join(token + "\n" for token, _ in by_id), encoding="utf-8")
    return len(by_id)


def tensor_shapes(config):
    h, i, v = config["hidden_size"], config["intermediate_size"], config["vocab_size"]
    shapes = {
        "embeddings.word_embeddings.weight": (v, h),
        "embeddings.position_embeddings.weight": (config["max_position_embeddings"], h),
        "embeddings.token_type_embeddings.weight": (config["type_vocab_size"], h),
        "embeddings.LayerNorm.weight": (h,),
        "embeddings.LayerNorm.bias": (h,),
    }
    for n in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{n}."
        for name in ("query", "key", "value"):
            shapes[p + f"attention.self.{name}.weight"] = (h, h)
            shapes[p + f"attention.self.{name}.bias"] = (h,)
        shapes[p + "attention.output.dense.weight"] = (h, h)
        shapes[p + "attention.output.dense.bias"] = (h,)
        shapes[p + "attention.output.LayerNorm.weight"] = (h,)
        shapes[p + "attention.output.LayerNorm.bias"] = (h,)
        shapes[p + "intermediate.dense.weight"] = (i, h)
        shapes[p + "intermediate.dense.bias"] = (i,)
        shapes[p + "output.dense.weight"] = (h, i)
        shapes[p + "output.dense.bias"] = (h,)
        shapes[p + "output.LayerNorm.weight"] = (h,)
        shapes[p + "output.LayerNorm.bias"] = (h,)
    shapes["pooler.dense.weight"] = (h, h)
    shapes["pooler.dense.bias"] = (h,)
    return shapes


def init_weights(config):
    """Tensors initialised like transformers' BertPreTrainedModel._init_weights."""
    import numpy as np

    rng = np.random.Generator(np.random.PCG64(SEED))
    tensors = {}
    for name, shape in tensor_shapes(config).items():
        if "LayerNorm" in name:
            value = np.ones(shape) if name.endswith("weight") else np.zeros(shape)
        elif name.endswith("bias"):
            value = np.zeros(shape)
        else:
            value = rng.normal(0.0, config["initializer_range"], size=shape)
        tensors[name] = np.ascontiguousarray(value, dtype=np.float32)
    tensors["embeddings.word_embeddings.weight"][config["pad_token_id"]] = 0.0
    return tensors


def write_json(path, value):
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main():
    ensure_packages()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from safetensors.numpy import save_file

    from common import MODEL_DIR

    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    vocab_size = train_tokenizer(MODEL_DIR)
    config = {**CONFIG, "vocab_size": vocab_size}
    write_json(MODEL_DIR / "config.json", config)
    write_json(MODEL_DIR / "special_tokens_map.json", {
        "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
        "mask_token": "[MASK]",
    })
    write_json(MODEL_DIR / "tokenizer_config.json", {
        "do_lower_case": True,
        "unk_token": "[UNK]",
        "sep_token": "[SEP]",
        "pad_token": "[PAD]",
        "cls_token": "[CLS]",
        "mask_token": "[MASK]",
        "tokenize_chinese_chars": True,
        "strip_accents": None,
        "do_basic_tokenize": True,
        "never_split": None,
        "tokenizer_class": "BertTokenizer",
        "model_max_length": config["max_position_embeddings"],
    })
    weights = MODEL_DIR / "model.safetensors"
    save_file(init_weights(config), str(weights), metadata={"format": "pt"})
    weights.chmod(0o644)
    print(f"wrote {MODEL_DIR.relative_to(MODEL_DIR.parents[2])} (vocabulary of {vocab_size})")


if __name__ == "__main__":
    main()
