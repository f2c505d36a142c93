#!/usr/bin/env python3
"""PyTorch side of the parity check (scripts/parity/check.ts): reference embeddings of a model folder, and the
MNRL losses of 5 plain AdamW steps on one fixed batch. Uses ../shared/bench/ref_bert.py's plain BERT (no dropout).
Run with Debian's PyTorch: /usr/bin/python3."""
import argparse, json, os, sys
import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--shared", required=True)
ap.add_argument("--model", required=True)
ap.add_argument("--texts", required=True, help="JSON list of texts to encode")
ap.add_argument("--pairs", required=True, help="JSON {anchor: [...], positive: [...]}: one batch, trained 5 steps")
ap.add_argument("--lr", type=float, default=1e-4)
ap.add_argument("--max-len", type=int, default=256)
a = ap.parse_args()
sys.path.insert(0, os.path.join(a.shared, "bench"))
import ref_bert  # noqa: E402

torch.manual_seed(0)
model, tok, pooling, normalize = ref_bert.load_model(a.model)
texts = json.load(open(a.texts))
emb = ref_bert.encode(model, tok, texts, pooling, normalize, max_len=a.max_len, bs=16)
lengths = [len(tok.encode(t, a.max_len)) for t in texts]

pairs = json.load(open(a.pairs))
def embed(batch):
    ids, mask = ref_bert.batch_ids(tok, batch, a.max_len)
    return ref_bert.pool(model(ids, mask), mask, pooling)
opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
model.train()
losses = []
for _ in range(5):
    u = F.normalize(embed(pairs["anchor"]), dim=-1)
    v = F.normalize(embed(pairs["positive"]), dim=-1)
    scores = 20.0 * u @ v.T
    loss = F.cross_entropy(scores, torch.arange(len(u)))
    opt.zero_grad(); loss.backward(); opt.step()
    losses.append(loss.item())
print(json.dumps({"embeddings": emb.tolist(), "token_lengths": lengths, "losses": losses}))
