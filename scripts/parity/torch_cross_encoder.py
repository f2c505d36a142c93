#!/usr/bin/env python3
"""PyTorch side of the cross-encoder parity check (scripts/parity/cross_encoder.ts): an independent
BertForSequenceClassification forward -- ../shared/bench/ref_bert.py's plain BERT and WordPiece (imported, not
copied), then classifier(tanh(pooler(h_CLS))) -- on pairs `[CLS] a [SEP] b [SEP]` with token types and longest-first
truncation. Prints the logits, ids and token types as one JSON object. Run with Debian's PyTorch: /usr/bin/python3."""
import argparse, json, os, sys
import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--shared", required=True)
ap.add_argument("--model", required=True, help="a BertForSequenceClassification folder (bert.*, classifier.*)")
ap.add_argument("--pairs", required=True, help="JSON list of [a, b]")
ap.add_argument("--max-len", type=int, required=True)
a = ap.parse_args()
sys.path.insert(0, os.path.join(a.shared, "bench"))
import ref_bert  # noqa: E402

cfg = json.load(open(os.path.join(a.model, "config.json")))
w = ref_bert.load_safetensors(os.path.join(a.model, "model.safetensors"))
bert = ref_bert.Bert(cfg, w, "bert.").eval()
pooler_w, pooler_b = w["bert.pooler.dense.weight"], w["bert.pooler.dense.bias"]
cls_w, cls_b = w["classifier.weight"], w["classifier.bias"]
assert cls_w.shape[0] == cfg["num_labels"], (cls_w.shape, cfg["num_labels"])
tok = ref_bert.WordPiece(os.path.join(a.model, "vocab.txt"))

pairs = json.load(open(a.pairs))
enc = [tok.encode_pair(x, y, a.max_len) for x, y in pairs]
T = max(len(ids) for ids, _ in enc)
ids = torch.zeros(len(enc), T, dtype=torch.long)
types = torch.zeros(len(enc), T, dtype=torch.long)
mask = torch.zeros(len(enc), T, dtype=torch.long)
for i, (x, t) in enumerate(enc):
    ids[i, : len(x)] = torch.tensor(x)
    types[i, : len(t)] = torch.tensor(t)
    mask[i, : len(x)] = 1
with torch.no_grad():
    h = bert(ids, mask, token_type_ids=types)
    pooled = torch.tanh(F.linear(h[:, 0], pooler_w, pooler_b))
    logits = F.linear(pooled, cls_w, cls_b)
print(json.dumps({
    "logits": logits.tolist(),
    "input_ids": [x for x, _ in enc],
    "token_type_ids": [t for _, t in enc],
}))
