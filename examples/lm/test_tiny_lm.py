#!/usr/bin/python3
"""Checks of examples/lm (run: /usr/bin/python3 examples/lm/test_tiny_lm.py).

--quick training end to end; the written file re-read gives identical
logits; the batched MoE equals a per-token loop written from the contract's
formulas; the Kneser-Ney trigram sums to 1 over the next byte.
"""
import json
import math
import os
import struct
import sys
import tempfile

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from torch_or_skip import rerun_or_skip
    rerun_or_skip(__file__, e)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tiny_lm  # noqa: E402
import train_tiny_lm  # noqa: E402


def reference_moe(moe, x):
    """One token at a time: softmax, top-k, renormalise, sum of w2(silu(w1 x) * w3 x)."""
    out = torch.zeros_like(x)
    for n in range(x.shape[0]):
        p = torch.softmax(x[n] @ moe.gate.weight.t(), -1)
        ids = sorted(range(moe.E), key=lambda e: -p[e].item())[:moe.k]
        z = sum(p[e] for e in ids)
        for e in ids:
            h = F.silu(moe.w1[e] @ x[n]) * (moe.w3[e] @ x[n])
            out[n] += p[e] / z * (moe.w2[e] @ h)
    return out


def check_moe():
    torch.manual_seed(1)
    cfg = train_tiny_lm.QUICK_CONFIG
    moe = tiny_lm.MoE(cfg)
    x = torch.randn(40, cfg["hidden_size"])
    ref = reference_moe(moe, x)
    for mode in ("gather", "dense"):
        moe.mode = mode
        err = (moe(x) - ref).abs().max().item()
        assert err < 1e-5, (mode, err)
    print("MoE batched == per-token reference: ok")


def check_rope_attention():
    """Position 0 is unrotated; a single token attends only to itself."""
    cos, sin = tiny_lm.rope_cos_sin(4, 8, 10000.0)
    assert torch.allclose(cos[0], torch.ones(8)) and torch.allclose(sin[0], torch.zeros(8))
    # position 1, i = 1: angle 10000^(-2/8) = 0.1 on both halves
    assert abs(cos[1, 1].item() - math.cos(0.1)) < 1e-6 and abs(sin[1, 5].item() - math.sin(0.1)) < 1e-6
    print("RoPE: ok")


def check_kn():
    rng = np.random.default_rng(0)
    train = torch.tensor(rng.integers(0, 6, 3000))
    kn = train_tiny_lm.KneserNeyTrigram(train)
    for a, b in ((1, 2), (0, 0), (7, 200), (250, 3)):  # seen, seen, unseen context, unseen byte
        total = kn.prob(np.full(256, a), np.full(256, b), np.arange(256)).sum()
        assert abs(total - 1) < 1e-9, (a, b, total)
    held = torch.tensor([1, 2, 3, 4])
    want = -np.log2(kn.prob(np.array([1, 2]), np.array([2, 3]), np.array([3, 4]))).mean()
    assert abs(kn.bits_per_byte(held) - want) < 1e-12
    print("Kneser-Ney trigram normalised: ok")


def check_quick_end_to_end():
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "q.safetensors")
        train_tiny_lm.main(["--quick", "--threads", "1", "--out", out])
        with open(out, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(n))
        cfg = json.loads(header["__metadata__"]["config"])
        assert cfg == train_tiny_lm.QUICK_CONFIG, cfg
        assert header["model.layers.1.block_sparse_moe.experts.3.w2.weight"]["shape"] == [32, 64]
        assert header["model.layers.0.self_attn.k_proj.weight"]["shape"] == [16, 32]  # 2 KV heads of 8
        assert all(v["dtype"] == "F16" for k, v in header.items() if k != "__metadata__")
        summary = json.load(open(os.path.join(tmp, "q.json")))
        model = tiny_lm.load_model(out)
        # A fresh model from the same seed, trained the same way, rounded to fp16
        torch.manual_seed(0)
        args = train_tiny_lm.parse_args(["--quick", "--threads", "1"])
        again = tiny_lm.TinyLM(args.config)
        train_tiny_lm.train(again, train_tiny_lm.read_bytes(os.path.join(args.corpus, "train.txt")), args,
                            args.steps, "again")
        tiny_lm.round_weights(again).eval()
        tokens = torch.tensor([list("春眠不觉晓 In the beginning".encode())])
        assert torch.equal(model(tokens), again(tokens)), "reloaded logits differ"
        r = tiny_lm.route_text(model, "春眠不觉晓 In the beginning")
        assert len(r["layers"]) == 2 and r["layers"][0]["experts"].shape == (tokens.shape[1], 2)
        assert torch.allclose(r["logprobs"].exp().sum(-1), torch.ones(tokens.shape[1]))
        held = train_tiny_lm.read_bytes(os.path.join(args.corpus, "heldout.txt"))[:4096]
        bpb = train_tiny_lm.bits_per_byte(model, held, 64)
        assert abs(bpb - summary["moe_bits_per_byte"]) < 1e-9, (bpb, summary["moe_bits_per_byte"])
    print("quick end to end, reload gives identical logits: ok")


def check_kv_cache():
    """Cached generation equals greedy decoding by full forward passes; the cached
    logits of each new byte equal the full pass's logits at that position."""
    torch.manual_seed(2)
    model = tiny_lm.TinyLM(train_tiny_lm.QUICK_CONFIG).eval()
    prompt = "春眠 In".encode()
    out = tiny_lm.generate(model, prompt, 12)
    data = list(prompt)
    with torch.no_grad():
        for _ in range(12):
            data.append(int(model(torch.tensor([data]))[0, -1].argmax()))
        full = model(torch.tensor([data]))[0]
        caches = [[] for _ in model.layers]
        part = tiny_lm.forward_cached(model, torch.tensor([data[:5]]), 0, caches)[0]
        rest = [tiny_lm.forward_cached(model, torch.tensor([[b]]), 5 + i, caches)[0, -1]
                for i, b in enumerate(data[5:])]
    assert bytes(data[len(prompt):]) == out, (bytes(data[len(prompt):]), out)
    err = (torch.cat((part, torch.stack(rest))) - full).abs().max().item()
    assert err < 1e-5, err
    print(f"KV-cache generation == full forward passes (max |logit diff| {err:.1e}): ok")


if __name__ == "__main__":
    torch.set_num_threads(1)
    check_moe()
    check_rope_attention()
    check_kn()
    check_kv_cache()
    check_quick_end_to_end()
    print("all ok")
