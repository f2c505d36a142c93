"""An independent NumPy implementation of a sentence-transformers BERT model folder, for cross-checking.

Reads modules.json, config.json, model.safetensors (parsed by hand: no torch, no safetensors package),
1_Pooling/config.json, N_Dense/ and N_Normalize, and embeds token ids given on stdin as JSON
{"input_ids": [[...]], "attention_mask": [[...]]}. Prints {"embeddings": [[...]]}.
Usage: python3 reference_bert.py <model dir> < batch.json
"""
import json
import math
import os
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        raw = data[8 + n + a : 8 + n + b]
        if meta["dtype"] == "BF16":
            arr = (np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=DTYPES[meta["dtype"]])
        out[name] = arr.reshape(meta["shape"]).astype(np.float32)
    return out


def canonical(name):
    for prefix in ("bert.", "model."):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias")


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def bert(weights, cfg, ids, mask):
    W = {canonical(k): v for k, v in weights.items()}
    B, L = ids.shape
    H = cfg["hidden_size"]
    nh = cfg["num_attention_heads"]
    d = H // nh
    eps = cfg.get("layer_norm_eps", 1e-12)
    x = W["embeddings.word_embeddings.weight"][ids] + W["embeddings.position_embeddings.weight"][np.arange(L)][None] + W["embeddings.token_type_embeddings.weight"][0][None, None]
    x = layer_norm(x, W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"], eps)
    ext = (1.0 - mask[:, None, None, :].astype(np.float32)) * np.finfo(np.float32).min
    lin = lambda t, n: t @ W[n + ".weight"].T + W[n + ".bias"]
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}"
        split = lambda t: t.reshape(B, L, nh, d).transpose(0, 2, 1, 3)
        q, k, v = (split(lin(x, f"{p}.attention.self.{n}")) for n in ("query", "key", "value"))
        s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d) + ext
        s = np.exp(s - s.max(-1, keepdims=True))
        s = s / s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(0, 2, 1, 3).reshape(B, L, H)
        a = layer_norm(lin(ctx, f"{p}.attention.output.dense") + x, W[f"{p}.attention.output.LayerNorm.weight"], W[f"{p}.attention.output.LayerNorm.bias"], eps)
        h = gelu(lin(a, f"{p}.intermediate.dense"))
        x = layer_norm(lin(h, f"{p}.output.dense") + a, W[f"{p}.output.LayerNorm.weight"], W[f"{p}.output.LayerNorm.bias"], eps)
    return x


def main():
    root = sys.argv[1]
    batch = json.load(sys.stdin)
    ids = np.array(batch["input_ids"], dtype=np.int64)
    mask = np.array(batch["attention_mask"], dtype=np.int64)
    modules = json.load(open(os.path.join(root, "modules.json")))
    out = None
    tokens = None
    for m in modules:
        kind = m["type"].split(".")[-1]
        path = os.path.join(root, m["path"])
        if kind == "Transformer":
            cfg = json.load(open(os.path.join(path, "config.json")))
            tokens = bert(read_safetensors(os.path.join(path, "model.safetensors")), cfg, ids, mask)
        elif kind == "Pooling":
            pc = json.load(open(os.path.join(path, "config.json")))
            mf = mask[:, :, None].astype(np.float32)
            parts = []
            if pc.get("pooling_mode_cls_token"):
                parts.append(tokens[:, 0])
            if pc.get("pooling_mode_mean_tokens"):
                parts.append((tokens * mf).sum(1) / np.maximum(mf.sum(1), 1e-9))
            if pc.get("pooling_mode_max_tokens"):
                parts.append(np.where(mf > 0, tokens, -1e9).max(1))
            out = np.concatenate(parts, axis=1)
        elif kind == "Dense":
            dc = json.load(open(os.path.join(path, "config.json")))
            w = read_safetensors(os.path.join(path, "model.safetensors"))
            out = out @ w["linear.weight"].T + (w["linear.bias"] if dc.get("bias", True) else 0)
            act = dc.get("activation_function", "torch.nn.modules.activation.Tanh").split(".")[-1]
            out = {"Tanh": np.tanh, "Identity": lambda t: t, "ReLU": lambda t: np.maximum(t, 0)}[act](out)
        elif kind == "Normalize":
            out = out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    json.dump({"embeddings": out.tolist()}, sys.stdout)


main()
