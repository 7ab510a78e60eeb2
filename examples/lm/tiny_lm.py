"""A byte-level Mixtral (docs/contract.md, "The little MoE language model").

The model class, a hand-written safetensors writer/reader (no safetensors
package), a loader and `route_text`, which returns each layer's top-k experts
and the next-byte log-probabilities for a text. Needs only torch (>= 1.13).
"""
import json
import math
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

DEFAULT_CONFIG = {
    "vocab_size": 256, "hidden_size": 128, "intermediate_size": 256,
    "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2,
    "num_local_experts": 8, "num_experts_per_tok": 2, "rope_theta": 10000.0,
    "rms_norm_eps": 1e-5, "max_position_embeddings": 256,
    "tie_word_embeddings": False,
}


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def rope_cos_sin(seq_len, head_dim, theta):
    inv_freq = theta ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    freqs = torch.outer(torch.arange(seq_len, dtype=torch.float64), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().float(), emb.sin().float()


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["hidden_size"]
        self.heads = cfg["num_attention_heads"]
        self.kv_heads = cfg["num_key_value_heads"]
        self.head_dim = d // self.heads
        self.q_proj = nn.Linear(d, self.heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(d, self.kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(d, self.kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(self.heads * self.head_dim, d, bias=False)

    def forward(self, x, cos, sin, mask, cache=None):
        """cache (generation): a list that holds this layer's keys and values, [] at first;
        the rows of x then come after the cached positions and join them."""
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if cache is not None:
            if cache:
                k, v = torch.cat((cache[0], k), dim=2), torch.cat((cache[1], v), dim=2)
            cache[:] = [k, v]
        group = self.heads // self.kv_heads  # query head h uses kv head h // group
        k = k.repeat_interleave(group, dim=1)
        v = v.repeat_interleave(group, dim=1)
        scores = (q * (1.0 / math.sqrt(self.head_dim))) @ k.transpose(-1, -2) + mask
        out = torch.softmax(scores, dim=-1) @ v
        return self.o_proj(out.transpose(1, 2).reshape(b, t, -1))


def swiglu(x, w1, w3, w2):
    """w2(silu(w1 x) * w3 x) with weights [H, D], [H, D], [D, H]."""
    return (F.silu(x @ w1.t()) * (x @ w3.t())) @ w2.t()


class MoE(nn.Module):
    """Softmax router over E, top-k, renormalised weights, dropless.

    Experts are stacked tensors w1/w3 [E, H, D], w2 [E, D, H]; tokens are
    grouped per expert (index_select) and each expert runs one matmul chain.
    """

    def __init__(self, cfg, mode="gather"):
        super().__init__()
        d, h = cfg["hidden_size"], cfg["intermediate_size"]
        self.E, self.k = cfg["num_local_experts"], cfg["num_experts_per_tok"]
        self.gate = nn.Linear(d, self.E, bias=False)
        self.w1 = nn.Parameter(torch.randn(self.E, h, d) / math.sqrt(d))
        self.w3 = nn.Parameter(torch.randn(self.E, h, d) / math.sqrt(d))
        self.w2 = nn.Parameter(torch.randn(self.E, d, h) / math.sqrt(h))
        self.mode = mode
        self.last = None  # (router probs [N, E], top-k ids [N, k], weights [N, k])

    def forward(self, x):
        shape = x.shape
        x = x.reshape(-1, shape[-1])
        probs = torch.softmax(self.gate(x), dim=-1)
        weights, ids = probs.topk(self.k, dim=-1)
        weights = weights / weights.sum(-1, keepdim=True)
        self.last = (probs, ids, weights)
        if self.mode == "dense":
            out = self._dense(x, ids, weights)
        else:
            out = self._gather(x, ids, weights)
        return out.view(shape)

    def _gather(self, x, ids, weights):
        flat = ids.reshape(-1)
        order = torch.argsort(flat, stable=True)
        token = order // self.k
        counts = torch.bincount(flat, minlength=self.E).tolist()
        xs = x.index_select(0, token)
        # unbind once: its backward is one stack, not E full-size index gradients
        w1, w3, w2 = self.w1.unbind(0), self.w3.unbind(0), self.w2.unbind(0)
        ys = [swiglu(part, w1[e], w3[e], w2[e])
              for e, part in enumerate(xs.split(counts)) if counts[e] > 0]
        ys = torch.cat(ys) * weights.reshape(-1)[order].unsqueeze(1)
        return torch.zeros_like(x).index_add(0, token, ys)

    def _dense(self, x, ids, weights):
        h = F.silu(torch.einsum("nd,ehd->neh", x, self.w1)) * torch.einsum("nd,ehd->neh", x, self.w3)
        y = torch.einsum("neh,edh->ned", h, self.w2)
        gate = torch.zeros(x.shape[0], self.E, dtype=x.dtype).scatter(1, ids, weights)
        return (y * gate.unsqueeze(-1)).sum(1)

    def balance_loss(self):
        """Switch-style E * sum_e f_e * P_e (f_e: share of the top-k assignments)."""
        probs, ids, _ = self.last
        f = torch.bincount(ids.reshape(-1), minlength=self.E).float() / ids.numel()
        return self.E * (f * probs.mean(0)).sum()


class DenseFFN(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.w1 = nn.Linear(d, hidden, bias=False)
        self.w3 = nn.Linear(d, hidden, bias=False)
        self.w2 = nn.Linear(hidden, d, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class Block(nn.Module):
    def __init__(self, cfg, dense, moe_mode):
        super().__init__()
        d, eps = cfg["hidden_size"], cfg["rms_norm_eps"]
        self.input_layernorm = RMSNorm(d, eps)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(d, eps)
        if dense:
            self.ffn = DenseFFN(d, cfg["num_experts_per_tok"] * cfg["intermediate_size"])
        else:
            self.ffn = MoE(cfg, moe_mode)

    def forward(self, x, cos, sin, mask):
        h = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return h + self.ffn(self.post_attention_layernorm(h))


class TinyLM(nn.Module):
    """dense=True: the same model with one SwiGLU FFN of width k*H per layer."""

    def __init__(self, cfg, dense=False, moe_mode="gather"):
        super().__init__()
        self.cfg = dict(cfg)
        self.dense = dense
        d = cfg["hidden_size"]
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], d)
        self.layers = nn.ModuleList(Block(cfg, dense, moe_mode) for _ in range(cfg["num_hidden_layers"]))
        self.norm = RMSNorm(d, cfg["rms_norm_eps"])
        self.lm_head = nn.Linear(d, cfg["vocab_size"], bias=False)
        if cfg["tie_word_embeddings"]:
            self.lm_head.weight = self.embed_tokens.weight
        nn.init.normal_(self.embed_tokens.weight, std=0.02)
        head_dim = d // cfg["num_attention_heads"]
        cos, sin = rope_cos_sin(cfg["max_position_embeddings"], head_dim, cfg["rope_theta"])
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def forward(self, tokens):
        t = tokens.shape[1]
        x = self.embed_tokens(tokens)
        mask = torch.full((t, t), float("-inf")).triu(1)
        if t <= self.cos.shape[0]:
            cos, sin = self.cos[:t], self.sin[:t]
        else:  # longer than trained: RoPE extends, quality may not
            head_dim = self.cfg["hidden_size"] // self.cfg["num_attention_heads"]
            cos, sin = rope_cos_sin(t, head_dim, self.cfg["rope_theta"])
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.lm_head(self.norm(x))

    def balance_loss(self):
        if self.dense:
            return torch.zeros(())
        return sum(l.ffn.balance_loss() for l in self.layers) / len(self.layers)


# ---- safetensors without the safetensors package ---------------------------

def hf_state(model):
    """The MoE model's tensors under Hugging Face Mixtral's names."""
    out = {"model.embed_tokens.weight": model.embed_tokens.weight}
    for l, layer in enumerate(model.layers):
        p = f"model.layers.{l}."
        out[p + "input_layernorm.weight"] = layer.input_layernorm.weight
        for n in ("q_proj", "k_proj", "v_proj", "o_proj"):
            out[p + f"self_attn.{n}.weight"] = getattr(layer.self_attn, n).weight
        out[p + "post_attention_layernorm.weight"] = layer.post_attention_layernorm.weight
        moe = layer.ffn
        out[p + "block_sparse_moe.gate.weight"] = moe.gate.weight
        for e in range(moe.E):
            q = p + f"block_sparse_moe.experts.{e}."
            out[q + "w1.weight"], out[q + "w3.weight"], out[q + "w2.weight"] = moe.w1[e], moe.w3[e], moe.w2[e]
    out["model.norm.weight"] = model.norm.weight
    if not model.cfg["tie_word_embeddings"]:
        out["lm_head.weight"] = model.lm_head.weight
    return {k: v.detach() for k, v in out.items()}


DTYPES = {"F16": torch.float16, "BF16": torch.bfloat16, "F32": torch.float32}


def write_safetensors(path, tensors, metadata, dtype="F16"):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        t = t.to(DTYPES[dtype]).contiguous()
        raw = (t.view(torch.int16) if t.dtype != torch.float32 else t).numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for raw in blobs:
            f.write(raw)


def read_safetensors(path):
    """Returns ({name: float32 tensor}, metadata dict)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    out = {}
    for name, info in header.items():
        a, b = info["data_offsets"]
        raw = bytearray(data[a:b])
        if info["dtype"] == "F32":
            t = torch.frombuffer(raw, dtype=torch.float32)
        else:
            t = torch.frombuffer(raw, dtype=torch.int16).view(DTYPES[info["dtype"]])
        out[name] = t.float().reshape(info["shape"])
    return out, meta


def save_model(model, path, dtype="F16", extra_metadata=None):
    meta = {"config": json.dumps(model.cfg)}
    meta.update(extra_metadata or {})
    write_safetensors(path, hf_state(model), meta, dtype)


def load_model(path, moe_mode="gather"):
    tensors, meta = read_safetensors(path)
    cfg = json.loads(meta["config"])
    model = TinyLM(cfg, moe_mode=moe_mode)
    with torch.no_grad():
        for name, dest in hf_state(model).items():
            if list(dest.shape) != list(tensors[name].shape):
                raise ValueError(f"{path}: tensor {name} has shape {tensors[name].shape}, expected {dest.shape}")
            dest.copy_(tensors[name])
    return model.eval()


def round_weights(model, dtype="F16"):
    """Round the model's weights as the checkpoint stores them (in place)."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(DTYPES[dtype]).float())
    return model


@torch.no_grad()
def route_text(model, text):
    """For the bytes of `text`: per layer the top-k expert ids [T, k] and
    weights [T, k] and router probabilities [T, E]; and the log-probabilities
    of the next byte after each position [T, 256]."""
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    tokens = torch.tensor(list(data), dtype=torch.long).unsqueeze(0)
    logits = model(tokens)[0]
    layers = []
    for layer in model.layers:
        probs, ids, weights = layer.ffn.last
        layers.append({"experts": ids, "weights": weights, "probs": probs})
    return {"layers": layers, "logprobs": torch.log_softmax(logits, dim=-1)}


# ---- generation with a KV cache ---------------------------------------------

def forward_cached(model, tokens, pos, caches):
    """Logits for `tokens` [1, t] at positions pos..pos+t-1, extending `caches` (one list per layer)."""
    t = tokens.shape[1]
    head_dim = model.cfg["hidden_size"] // model.cfg["num_attention_heads"]
    cos, sin = rope_cos_sin(pos + t, head_dim, model.cfg["rope_theta"])
    cos, sin = cos[pos:], sin[pos:]
    x = model.embed_tokens(tokens)
    mask = torch.full((t, pos + t), float("-inf")).triu(pos + 1)  # row i is position pos + i
    for layer, cache in zip(model.layers, caches):
        h = x + layer.self_attn(layer.input_layernorm(x), cos, sin, mask, cache)
        x = h + layer.ffn(layer.post_attention_layernorm(h))
    return model.lm_head(model.norm(x))


@torch.no_grad()
def generate(model, prompt, n, temperature=0.0, seed=0):
    """Continues the bytes `prompt` by n bytes; greedy when temperature is 0."""
    data = list(prompt)
    caches = [[] for _ in model.layers]
    gen = torch.Generator().manual_seed(seed)
    logits = forward_cached(model, torch.tensor([data]), 0, caches)[0, -1]
    out = []
    for i in range(n):
        if temperature == 0:
            b = int(logits.argmax())
        else:
            b = int(torch.multinomial(torch.softmax(logits / temperature, -1), 1, generator=gen))
        out.append(b)
        if i + 1 < n:
            logits = forward_cached(model, torch.tensor([[b]]), len(data) + i, caches)[0, -1]
    return bytes(out)
