#!/usr/bin/python3
"""Checks of examples/traces/record_trace.py (a ctest test):

    /usr/bin/python3 examples/traces/test_record_trace.py --moelab build/bin/moelab
                     [--model assets/models/tiny-lm.safetensors]

1. Gate modules are found by their Hugging Face names, in layer order, and not the
   shared-expert gate; a DeepSeek-style gate that returns ids still gives its logits;
   the routing rule comes from the config.
2. The trace of the shipped tiny_lm on a Chinese + English text: each layer's logits equal
   the checkpoint's gate weight (read here by a reader of its own) times that layer's MoE
   input (the model run block by block here, without hooks); softmax of them is the
   model's own router probabilities, their top-k its own experts.
3. The written file parses with a small independent reader: header length, padding,
   offsets that tile the data, shapes, values, metadata, token text.
4. moelab agrees: `route --model M --text T --json` has the same top-k experts in every
   layer, and `route --model M --text T --trace-out FILE` writes the same logits (1e-4)
   and the same top-k ids at every layer. A moelab without --trace-out fails this.

Exit status: 0 when all pass, 1 when one fails, 77 when PyTorch is not installed.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
    import torch.nn as nn
except ImportError as e:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lm"))
    from torch_or_skip import rerun_or_skip
    rerun_or_skip(__file__, e)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lm"))
import record_trace  # noqa: E402
import tiny_lm  # noqa: E402

TEXT = "MoE是很强大的机制! Mixture of experts. 床前明月光，疑是地上霜。"
FAILURES = []


def check(ok, what):
    print(("ok:   " if ok else "FAIL: ") + what)
    if not ok:
        FAILURES.append(what)
    return ok


# ---- an independent safetensors reader (numpy only) -------------------------

SIZES = {"F32": ("<f4", 4), "F16": ("<f2", 2), "I32": ("<i4", 4), "I16": ("<i2", 2), "I64": ("<i8", 8)}


def read_safetensors(path, padded=True):
    """({name: numpy array}, metadata); raises AssertionError on a malformed file."""
    with open(path, "rb") as f:
        data = f.read()
    assert len(data) >= 8, "shorter than the 8-byte header length"
    n = struct.unpack("<Q", data[:8])[0]
    assert 8 + n <= len(data), f"header length {n} past the end ({len(data)} bytes)"
    assert not padded or n % 8 == 0, f"header length {n} is not a multiple of 8"
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = data[8 + n:]
    meta = header.pop("__metadata__", {})
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()), "metadata not str -> str"
    spans, out = [], {}
    for name, info in header.items():
        fmt, size = SIZES[info["dtype"]]
        a, b = info["data_offsets"]
        count = int(np.prod(info["shape"])) if info["shape"] else 1
        assert b - a == count * size, f"{name}: {b - a} bytes for shape {info['shape']} {info['dtype']}"
        spans.append((a, b))
        out[name] = np.frombuffer(body[a:b], dtype=fmt).reshape(info["shape"])
    spans.sort()
    pos = 0
    for a, b in spans:
        assert a == pos, f"offsets leave a gap or overlap at byte {pos}"
        pos = b
    assert pos == len(body), f"tensors end at {pos}, the data is {len(body)} bytes"
    return out, meta


def trace_logits(tensors, meta):
    info = json.loads(meta["trace"])
    return [tensors[f"router_logits.{l}"].astype(np.float64) for l in range(info["num_layers"])], info


def topk_ids(logits, k):
    """Best first; ties (not expected) by the lower id."""
    return [sorted(range(len(row)), key=lambda e: (-row[e], e))[:k] for row in np.asarray(logits)]


# ---- 1: finding gates and the rule on made-up models ------------------------

class MoEGate(nn.Module):
    """DeepSeek-V3's shape of gate: weight [E, D], a score bias, returns ids, not logits."""

    def __init__(self, d, e):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(e, d))
        self.e_score_correction_bias = nn.Parameter(torch.arange(e, dtype=torch.float32) / 10)

    def forward(self, x):
        scores = torch.sigmoid(x.reshape(-1, x.shape[-1]) @ self.weight.t())
        return (scores + self.e_score_correction_bias).topk(2, dim=-1).indices


class FakeHF(nn.Module):
    """Layers 0..11, Qwen2-MoE names: layer 1 dense (mlp.gate_proj), every MoE layer with
    a shared-expert gate; the gate of layer n sees embed + n."""

    def __init__(self, d=6, e=4, gate=nn.Linear):
        super().__init__()
        self.config = {"num_experts": e, "num_experts_per_tok": 2, "scoring_func": "sigmoid",
                       "norm_topk_prob": False}
        self.embed = nn.Embedding(10, d)
        self.model = nn.Module()
        self.model.layers = nn.ModuleList()
        for n in range(12):
            layer = nn.Module()
            layer.mlp = nn.Module()
            if n == 1:
                layer.mlp.gate_proj = nn.Linear(d, 8, bias=False)
            else:
                layer.mlp.gate = gate(d, e) if gate is MoEGate else nn.Linear(d, e, bias=False)
                layer.mlp.shared_expert_gate = nn.Linear(d, 1, bias=False)
            self.model.layers.append(layer)

    def forward(self, ids):
        x = self.embed(ids)
        for n, layer in enumerate(self.model.layers):
            if n != 1:
                layer.mlp.gate(x + n)
                layer.mlp.shared_expert_gate(x)
        return x


def check_finding_gates():
    torch.manual_seed(0)
    model = FakeHF()
    found = record_trace.find_gate_modules(model)
    names = [name for _, name, _ in found]
    want = [f"model.layers.{n}.mlp.gate" for n in range(12) if n != 1]
    check(names == want, "gates found by name in layer order (10 after 9), not shared_expert_gate "
                         "or gate_proj")
    ids = torch.tensor([3, 1, 4, 1, 5])
    trace = record_trace.record(model, ids, model_name="fake")
    meta = trace["trace"]
    x = model.embed.weight[ids].detach().double()
    want0 = (x + 2) @ model.model.layers[2].mlp.gate.weight.detach().double().t()
    got = trace["router_logits"][1].double()  # trace layer 1 is model layer 2
    check((got - want0).abs().max().item() < 1e-5, "trace layer 1 = (embed + 2) · W_gate(layer 2)ᵀ")
    check(meta["model_layers"] == [0] + list(range(2, 12)), "model_layers names the layers with gates")
    check((meta["num_experts"], meta["top_k"], meta["score"], meta["renormalize"]) == (4, 2, "sigmoid", False),
          "E, k, score and renormalize from the config (num_experts, scoring_func, norm_topk_prob)")
    over = record_trace.record(model, ids, top_k=3, score="softmax", renormalize=True)["trace"]
    check((over["top_k"], over["score"], over["renormalize"]) == (3, "softmax", True), "overrides win")
    mixtral = record_trace.routing_rule({"num_local_experts": 8, "num_experts_per_tok": 2})
    check(mixtral == (8, 2, "softmax", True), "Mixtral's config: softmax, renormalised")

    class ByteTokenizer:  # a byte-level BPE's view: ids are bytes, tokens their GPT-2 letters
        def convert_ids_to_tokens(self, ids):
            return [f"t{i}" for i in ids]

        def decode(self, ids):
            return bytes(ids).decode("utf-8", errors="replace")

    text = record_trace.hf_token_text(ByteTokenizer(), list("a是".encode("utf-8")))
    check(text == ["a", "t230", "t152", "t175"], "--hf token text: decoded alone, else the token string")

    torch.manual_seed(1)
    deep = FakeHF(gate=MoEGate)
    deep.config = {"n_routed_experts": 4, "num_experts_per_tok": 2, "scoring_func": "sigmoid",
                   "norm_topk_prob": True}
    trace = record_trace.record(deep, ids)
    x = deep.embed.weight[ids].detach().double()
    want0 = x @ deep.model.layers[0].mlp.gate.weight.detach().double().t()
    check((trace["router_logits"][0].double() - want0).abs().max().item() < 1e-5,
          "a gate that returns ids (DeepSeek's MoEGate): the logits still recorded")
    bias = trace["trace"].get("e_score_correction_bias")
    check(bias is not None and len(bias) == 11 and abs(bias[0][3] - 0.3) < 1e-7,
          "DeepSeek-V3's e_score_correction_bias kept in the metadata, per layer")


# ---- 2: the shipped model, checked by hand ----------------------------------

def moe_inputs(model, tokens):
    """Each layer's MoE input [T, D], the model run block by block (no hooks)."""
    t = tokens.shape[1]
    x = model.embed_tokens(tokens)
    mask = torch.full((t, t), float("-inf")).triu(1)
    cos, sin = model.cos[:t], model.sin[:t]
    out = []
    with torch.no_grad():
        for layer in model.layers:
            h = x + layer.self_attn(layer.input_layernorm(x), cos, sin, mask)
            u = layer.post_attention_layernorm(h)
            out.append(u[0].double())
            x = h + layer.ffn(u)
    return out


def check_tiny_lm(checkpoint, path):
    model = tiny_lm.load_model(checkpoint)
    data = TEXT.encode("utf-8")
    trace = record_trace.record(model, list(data), model_name="tiny-lm",
                                token_text=[record_trace.byte_token_text(b) for b in data])
    record_trace.write_trace(path, trace)
    weights, _ = read_safetensors(checkpoint, padded=False)
    tokens = torch.tensor([list(data)])
    worst = 0.0
    for l, u in enumerate(moe_inputs(model, tokens)):
        w = torch.tensor(weights[f"model.layers.{l}.block_sparse_moe.gate.weight"].astype(np.float64))
        worst = max(worst, (trace["router_logits"][l].double() - u @ w.t()).abs().max().item())
    check(worst < 1e-5, f"every layer's logits = checkpoint gate weight · the layer's MoE input "
                        f"(max |Δ| {worst:.2g})")
    with torch.no_grad():
        model(tokens)  # the model's own router: probs and ids in layer.ffn.last
    same_p, same_ids = True, True
    for l, layer in enumerate(model.layers):
        probs, ids, _ = layer.ffn.last
        mine = trace["router_logits"][l]
        same_p &= (torch.softmax(mine, -1) - probs).abs().max().item() < 1e-6
        same_ids &= topk_ids(mine.numpy(), model.cfg["num_experts_per_tok"]) == ids.tolist()
    check(same_p, "softmax of the recorded logits = the model's own router probabilities (1e-6)")
    check(same_ids, "top-k of the recorded logits = the model's own experts, every layer and byte")
    return trace


# ---- 3: the file ------------------------------------------------------------

def check_file(path, trace):
    try:
        tensors, meta = read_safetensors(path)
    except (AssertionError, ValueError, KeyError) as e:
        check(False, f"the written trace parses: {e}")
        return
    check(True, "the written trace parses: header length a multiple of 8, offsets tile the data")
    logits, info = trace_logits(tensors, meta)
    data = TEXT.encode("utf-8")
    check(sorted(tensors) == sorted([f"router_logits.{l}" for l in range(4)] + ["tokens"]),
          "tensors: router_logits.0..3 and tokens")
    check(all(t.dtype == np.float32 and t.shape == (len(data), 8)
              for n, t in tensors.items() if n != "tokens"), "router_logits.l: F32 [T, E] with T = bytes")
    check(tensors["tokens"].dtype == np.int32 and tensors["tokens"].tolist() == list(data),
          "tokens: I32, the text's UTF-8 bytes")
    check(all(np.array_equal(a, b.numpy()) for a, b in zip(logits, trace["router_logits"])),
          "the values read back are the values recorded")
    want = {"model": "tiny-lm", "num_layers": 4, "num_experts": 8, "top_k": 2, "score": "softmax",
            "renormalize": True}
    check({k: info.get(k) for k in want} == want, f"metadata {want}")
    text = info["token_text"]
    # "MoE是" is M o E then 是 = E6 98 AF; "! " keeps the space; "，" is EF BC 8C; "。" E3 80 82
    bang, comma = data.index(b"!"), data.index(b"\xef\xbc\x8c")
    check(len(text) == len(data) and text[:6] == ["M", "o", "E", "<0xE6>", "<0x98>", "<0xAF>"]
          and text[bang:bang + 2] == ["!", " "] and text[comma:comma + 3] == ["<0xEF>", "<0xBC>", "<0x8C>"]
          and text[-3:] == ["<0xE3>", "<0x80>", "<0x82>"],
          "token_text: printable ASCII as itself, other bytes as <0xE6>")


# ---- 4: moelab --------------------------------------------------------------

def run(cmd):
    try:
        return subprocess.run(cmd, capture_output=True)
    except OSError as e:  # no such binary: a failure that says so, not a traceback
        return subprocess.CompletedProcess(cmd, 127, b"", str(e).encode())


def check_moelab_route(binary, model, trace):
    out = run([binary, "route", "--model", model, "--text", TEXT, "--json"])
    if not check(out.returncode == 0, f"moelab route --model --json runs (exit {out.returncode})"):
        print("  " + out.stderr.decode(errors="replace").strip())
        return
    got = json.loads(out.stdout)["layers"]
    k = trace["trace"]["top_k"]
    same = len(got) == len(trace["router_logits"]) and all(
        [tok["experts"] for tok in layer["tokens"]] == topk_ids(mine.numpy(), k)
        for layer, mine in zip(got, trace["router_logits"]))
    check(same, "moelab route --json: the same top-k experts as the hooks, every layer and byte")
    worst = max((torch.tensor([tok["scores"] for tok in layer["tokens"]], dtype=torch.float64)
                 - torch.softmax(mine.double(), -1)).abs().max().item()
                for layer, mine in zip(got, trace["router_logits"]))
    check(worst <= 1e-4, f"moelab route --json: scores = softmax of the hooks' logits within 1e-4 "
                         f"(max |Δ| {worst:.2g})")


def check_moelab_trace_out(binary, model, trace, tmp):
    path = os.path.join(tmp, "moelab.safetensors")
    out = run([binary, "route", "--model", model, "--text", TEXT, "--trace-out", path])
    if not check(out.returncode == 0 and os.path.exists(path),
                 f"moelab route --trace-out writes a trace (exit {out.returncode}; docs/contract.md, "
                 f"\"Router traces\", says what it writes)"):
        print("  " + out.stderr.decode(errors="replace").strip())
        return
    try:
        tensors, meta = read_safetensors(path, padded=False)
        theirs, info = trace_logits(tensors, meta)
    except (AssertionError, ValueError, KeyError) as e:
        check(False, f"moelab's trace parses: {e}")
        return
    mine = [t.double().numpy() for t in trace["router_logits"]]
    if not check(len(theirs) == len(mine) and all(a.shape == b.shape for a, b in zip(theirs, mine)),
                 f"moelab's trace: {len(theirs)} layers of {[a.shape for a in theirs]}"):
        return
    worst = max(float(np.abs(a - b).max()) for a, b in zip(theirs, mine))
    check(worst <= 1e-4, f"moelab's router logits = the hooks' within 1e-4 (max |Δ| {worst:.2g})")
    k = trace["trace"]["top_k"]
    check(info.get("top_k") == k and all(topk_ids(a, k) == topk_ids(b, k) for a, b in zip(theirs, mine)),
          "moelab's trace: the same top-k ids at every layer")
    check(tensors["tokens"].tolist() == trace["tokens"].tolist(), "moelab's trace: the same tokens")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--moelab", required=True, help="the moelab binary")
    p.add_argument("--model", default=os.path.join(HERE, "..", "..", "assets", "models", "tiny-lm.safetensors"))
    a = p.parse_args()
    torch.set_num_threads(1)
    check_finding_gates()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "hooks.safetensors")
        trace = check_tiny_lm(a.model, path)
        check_file(path, trace)
        check_moelab_route(a.moelab, a.model, trace)
        check_moelab_trace_out(a.moelab, a.model, trace, tmp)
    print(f"FAILED: {len(FAILURES)} check(s)" if FAILURES else "OK: every check passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
