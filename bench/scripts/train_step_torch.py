#!/usr/bin/env python3
"""The PyTorch peer of `bali-bench train`: the same BALI training step, on the same batches.

    python3 bench/scripts/train_step_torch.py --model DIR --batches FILE

FILE is the JSON that `bali-bench train` writes (warm-up count, GATv2 layers, threads, seed,
and every batch: corrupted sentence ids and mask, MLM positions and labels, mention spans, the
pooled mention each belongs to and their concepts, star concepts, stars as rows of the names, name ids and mask). The step is
what bali's trainer runs (src/train/model.rs, graph.rs, align.rs, mlm.rs, optim.rs), written
the usual PyTorch way:

- transformers' BertModel loaded from DIR (no pooler: BALI does not train it), train mode, so
  dropout is on (hidden and attention, 0.1, from config.json);
- a fresh MLM head, untied as in bali: dense d->d, GELU, LayerNorm, decoder d->V with bias,
  applied to the masked positions only; cross-entropy;
- mention representations: the mean of the last hidden states of all spans of one pooled
  mention (one per sentence and concept, as bali pools them);
- node features: the names encoded by the same BertModel, mean-pooled over the mask;
- GATv2 as PyG's GATv2Conv(share_weights=True, heads=2, concat=True, dropout=0.1,
  add_self_loops=True), written out with index_add / scatter_reduce (PyG is not needed);
  dropout 0.1 then GELU between layers; read-out Linear -> LayerNorm(eps 1e-12) -> Dropout(0.1)
  on the target nodes;
- multi-positive symmetric NT-Xent at temperature 0.07 over [mentions; g_v];
- loss = MLM + alignment; backward; torch.optim.AdamW with two groups (2e-5 for the BERT,
  1e-4 for the MLM head, GNN and read-out), weight decay 0.01, PyTorch's default
  implementation for CPU tensors.

On `"device": "cuda"` (bali-bench train --device cuda) the model and every tensor live on the
first GPU (`torch.set_default_device`), and each phase ends with `torch.cuda.synchronize()`.

Phases are timed as on the Rust side: forward (up to the loss values), backward, optimiser
(step and zero_grad). Prints one JSON line: per-phase medians over the timed batches, the
median step, its CPU seconds (time.process_time, all threads), tokens/s (sentence + name
tokens) and sentences/s over the timed batches' totals (real batches differ in size), threads, parameter count, peak RSS, versions. Needs torch and transformers; exits 1
with a message when they are missing.
"""

import argparse
import json
import statistics
import sys
import time

from peer_memory import peak_rss_bytes

try:
    import torch
    import torch.nn.functional as F
    import transformers
    from torch import nn
    from transformers import BertModel
except ImportError as error:  # pragma: no cover - the Rust side probes before running
    sys.exit(f"train_step_torch.py needs torch and transformers: {error}")

TEMPERATURE = 0.07
NEGATIVE_SLOPE = 0.2
GRAPH_DROPOUT = 0.1
ATTENTION_DROPOUT = 0.1
HEADS = 2
READOUT_LN_EPS = 1e-12


class MlmHead(nn.Module):
    """BertOnlyMLMHead, fresh and untied: dense, GELU, LayerNorm, decoder with bias."""

    def __init__(self, config):
        super().__init__()
        d, v = config.hidden_size, config.vocab_size
        self.dense = nn.Linear(d, d)
        self.layer_norm = nn.LayerNorm(d, eps=config.layer_norm_eps)
        self.decoder = nn.Linear(d, v)
        for linear in (self.dense, self.decoder):
            nn.init.normal_(linear.weight, std=config.initializer_range)
            nn.init.zeros_(linear.bias)

    def forward(self, rows):
        return self.decoder(self.layer_norm(F.gelu(self.dense(rows))))


class Gatv2(nn.Module):
    """GATv2Conv(share_weights=True) with self-loops, heads concatenated."""

    def __init__(self, hidden, heads):
        super().__init__()
        self.heads, self.channels = heads, hidden // heads
        self.lin = nn.Linear(hidden, hidden)
        self.att = nn.Parameter(torch.empty(1, heads, self.channels))
        self.bias = nn.Parameter(torch.zeros(hidden))
        nn.init.xavier_uniform_(self.lin.weight)
        nn.init.xavier_uniform_(self.att)

    def forward(self, x, src, dst):
        n = x.shape[0]
        h, c = self.heads, self.channels
        xw = self.lin(x)
        x_j, x_i = xw[src], xw[dst]
        e = src.shape[0]
        logits = (F.leaky_relu(x_i + x_j, NEGATIVE_SLOPE).view(e, h, c) * self.att).sum(-1)
        # Edge softmax per target, shifted by the (detached) maximum, as PyG's softmax.
        node_max = torch.full((n, h), float("-inf")).scatter_reduce(
            0, dst.unsqueeze(1).expand(e, h), logits.detach(), reduce="amax", include_self=True
        )
        shifted = (logits - node_max[dst]).exp()
        sums = torch.zeros(n, h).index_add(0, dst, shifted) + 1e-16
        alpha = F.dropout(shifted / sums[dst], ATTENTION_DROPOUT, self.training)
        messages = x_j.view(e, h, c) * alpha.unsqueeze(-1)
        out = torch.zeros(n, h, c).index_add(0, dst, messages).view(n, h * c)
        return out + self.bias


class GraphModel(nn.Module):
    """GATv2 layers (dropout then GELU between them) and the read-out on the target nodes."""

    def __init__(self, hidden, layers):
        super().__init__()
        self.convs = nn.ModuleList(Gatv2(hidden, HEADS) for _ in range(layers))
        self.readout = nn.Linear(hidden, hidden)
        self.readout_norm = nn.LayerNorm(hidden, eps=READOUT_LN_EPS)

    def forward(self, features, stars):
        # Targets first, then each star's neighbours; self-loops first, then neighbour -> target.
        rows = [s[0] for s in stars]
        src, dst = [], []
        for t, star in enumerate(stars):
            for row in star[1:]:
                src.append(len(rows))
                dst.append(t)
                rows.append(row)
        n = len(rows)
        loops = list(range(n))
        src = torch.tensor(loops + src)
        dst = torch.tensor(loops + dst)
        x = features[torch.tensor(rows)]
        for i, conv in enumerate(self.convs):
            x = conv(x, src, dst)
            if i + 1 < len(self.convs):
                x = F.gelu(F.dropout(x, GRAPH_DROPOUT, self.training))
        y = self.readout_norm(self.readout(x[: len(stars)]))
        return F.dropout(y, GRAPH_DROPOUT, self.training)


def nt_xent(z, labels, temperature):
    """Multi-positive symmetric NT-Xent: every same-label pair (i != j) is a positive, the
    negatives of anchor i are all rows with another label; mean over positive pairs."""
    unit = F.normalize(z, dim=1)
    s = unit @ unit.t() / temperature
    same = labels.unsqueeze(0) == labels.unsqueeze(1)
    positive = same & ~torch.eye(len(labels), dtype=torch.bool)
    negatives = torch.logsumexp(s.masked_fill(same, float("-inf")), dim=1, keepdim=True)
    pair = torch.logaddexp(s, negatives) - s
    return pair[positive].mean()


def pool_spans(hidden, spans, groups, outputs):
    """One vector per group: the mean of the tokens of all its spans (bali's pool_spans)."""
    b, t, d = hidden.shape
    tokens = [0] * outputs
    for (row, start, end), g in zip(spans, groups):
        tokens[g] += end - start
    rows, owner, weight = [], [], []
    for (row, start, end), g in zip(spans, groups):
        for j in range(start, end):
            rows.append(row * t + j)
            owner.append(g)
            weight.append(1.0 / tokens[g])
    picked = hidden.reshape(b * t, d)[torch.tensor(rows)] * torch.tensor(weight).unsqueeze(1)
    return torch.zeros(outputs, d).index_add(0, torch.tensor(owner), picked)


def mean_pool(hidden, mask):
    m = mask.to(hidden.dtype).unsqueeze(-1)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)


class Bali(nn.Module):
    def __init__(self, model_dir, graph_layers):
        super().__init__()
        self.bert = BertModel.from_pretrained(model_dir, add_pooling_layer=False)
        config = self.bert.config
        self.mlm = MlmHead(config)
        self.graph = GraphModel(config.hidden_size, graph_layers)

    def losses(self, batch):
        ids = torch.tensor(batch["text_ids"]).view(batch["text_shape"])
        mask = torch.tensor(batch["text_mask"]).view(batch["text_shape"])
        hidden = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
        d = hidden.shape[-1]
        rows = hidden.reshape(-1, d)[torch.tensor(batch["mlm_positions"])]
        mlm = F.cross_entropy(self.mlm(rows), torch.tensor(batch["mlm_labels"]))
        mentions = pool_spans(
            hidden, batch["spans"], batch["span_groups"], len(batch["span_concepts"])
        )
        name_ids = torch.tensor(batch["names_ids"]).view(batch["names_shape"])
        name_mask = torch.tensor(batch["names_mask"]).view(batch["names_shape"])
        names = self.bert(input_ids=name_ids, attention_mask=name_mask).last_hidden_state
        nodes = self.graph(mean_pool(names, name_mask), batch["stars"])
        labels = torch.tensor(batch["span_concepts"] + batch["star_concepts"])
        align = nt_xent(torch.cat([mentions, nodes]), labels, TEMPERATURE)
        return mlm + align, mlm, align


def median(values):
    """The median; for an even count the mean of the two middle values, as the Rust side."""
    return statistics.median(values)




def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--batches", required=True)
    args = parser.parse_args()
    with open(args.batches) as f:
        spec = json.load(f)

    torch.set_num_threads(spec["threads"])
    torch.manual_seed(spec["seed"])
    device = spec.get("device", "cpu")
    if device == "cuda":
        torch.set_default_device("cuda")

    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    model = Bali(args.model, spec["graph_layers"]).to(device)
    model.train()
    lm = [p for n, p in model.named_parameters() if n.startswith("bert.")]
    heads = [p for n, p in model.named_parameters() if not n.startswith("bert.")]
    optimizer = torch.optim.AdamW(
        [{"params": lm, "lr": 2e-5}, {"params": heads, "lr": 1e-4}],
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.01,
    )

    phases = {"forward": [], "backward": [], "optimizer": [], "step": [], "cpu": []}
    for i, batch in enumerate(spec["batches"]):
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        loss, mlm, align = model.losses(batch)
        values = (loss.item(), mlm.item(), align.item())
        t1 = time.perf_counter()
        loss.backward()
        sync()
        t2 = time.perf_counter()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        sync()
        t3 = time.perf_counter()
        cpu = time.process_time() - cpu0
        if not all(v == v and abs(v) != float("inf") for v in values):
            sys.exit(f"loss is not finite at step {i}: {values}")
        if i >= spec["warmup"]:
            phases["forward"].append(t1 - t0)
            phases["backward"].append(t2 - t1)
            phases["optimizer"].append(t3 - t2)
            phases["step"].append(t3 - t0)
            phases["cpu"].append(cpu)

    # Throughput over the timed batches' totals (real batches differ in size), as the Rust side.
    timed = spec["batches"][spec["warmup"] :]
    total = sum(phases["step"])
    tokens = sum(sum(b["text_mask"]) + sum(b["names_mask"]) for b in timed)
    sentences = sum(b["text_shape"][0] for b in timed)
    step = median(phases["step"])
    print(
        json.dumps(
            {
                "forward_s": median(phases["forward"]),
                "backward_s": median(phases["backward"]),
                "optimizer_s": median(phases["optimizer"]),
                "step_s": step,
                "cpu_s": median(phases["cpu"]),
                "tokens_per_s": tokens / total,
                "sentences_per_s": sentences / total,
                "threads": torch.get_num_threads(),
                "parameters": sum(p.numel() for p in model.parameters()),
                "peak_rss_bytes": peak_rss_bytes(),
                "torch": torch.__version__,
                "transformers": transformers.__version__,
                "attention": model.bert.config._attn_implementation,
                "device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu",
            }
        )
    )


if __name__ == "__main__":
    main()
