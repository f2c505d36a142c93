"""Loads the models that scripts/interop/build_models.ts made with our CLI in Python's sentence-transformers,
unchanged, and compares what it computes with what our engines gave (expected.json). Prints one JSON line per
model and a summary; exits 1 when any difference exceeds --tolerance.
Usage: python3 scripts/interop/st_check.py <out-dir> [--device cpu|cuda] [--tolerance 1e-4]
"""
import argparse
import json
import os
import sys

import numpy as np
import sentence_transformers
import torch
from sentence_transformers import CrossEncoder, SentenceTransformer

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--device", default="cpu")
parser.add_argument("--tolerance", type=float, default=1e-4)
args = parser.parse_args()
# Full float32 products on a GPU too (TF32 would differ from our float32 by ~1e-3).
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False

expected = json.load(open(os.path.join(args.out, "expected.json")))
texts, pairs = expected["texts"], [tuple(p) for p in expected["pairs"]]
worst = 0.0
rows = []
for case in expected["encoders"]:
    if "hub_cache" in case:
        # A hub id, read offline from the hub cache our download wrote.
        model = SentenceTransformer(case["model"], device=args.device, local_files_only=True,
                                    cache_folder=os.path.join(args.out, case["hub_cache"]))
    else:
        path = os.path.join(args.out, case["model"])
        model = SentenceTransformer(path, device=args.device, truncate_dim=case.get("truncate_dim"))
    got = model.encode(texts, prompt_name=case.get("prompt_name"), convert_to_numpy=True, batch_size=2)
    want = np.array(case["embeddings"], dtype=np.float32)
    diff = float(np.abs(got - want).max()) if got.shape == want.shape else float("inf")
    worst = max(worst, diff)
    rows.append({
        "model": case["model"],
        "ours": case["engine"],
        "hub_cache": case.get("hub_cache"),
        "prompt_name": case.get("prompt_name"),
        "truncate_dim": case.get("truncate_dim"),
        "shape": list(got.shape),
        "max_abs_diff": diff,
        "modules": [type(m).__name__ for m in model],
        "prompts": model.prompts,
        "max_seq_length": model.max_seq_length,
        "similarity_fn_name": model.similarity_fn_name,
    })
for case in expected["cross_encoders"]:
    path = os.path.join(args.out, case["model"])
    model = CrossEncoder(path, device=args.device)
    if case["activation"] == "softmax":
        got = model.predict(pairs, apply_softmax=True, convert_to_numpy=True, batch_size=2)
    else:
        got = model.predict(pairs, convert_to_numpy=True, batch_size=2)  # one label: sigmoid, ST's default
    want = np.array(case["scores"], dtype=np.float32)
    diff = float(np.abs(np.asarray(got, dtype=np.float32) - want).max()) if np.shape(got) == want.shape else float("inf")
    worst = max(worst, diff)
    rows.append({"model": case["model"], "activation": case["activation"], "shape": list(np.shape(got)),
                 "max_abs_diff": diff, "num_labels": model.num_labels})
for r in rows:
    print(json.dumps(r))
summary = {"sentence_transformers": sentence_transformers.__version__, "torch": torch.__version__,
           "device": args.device, "models": len(rows), "max_abs_diff": worst, "tolerance": args.tolerance,
           "ok": worst <= args.tolerance}
print(json.dumps(summary))
sys.exit(0 if summary["ok"] else 1)
