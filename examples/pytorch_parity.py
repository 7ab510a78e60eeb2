#!/usr/bin/env python3
"""Loads a moelab weights export into seed 003's PyTorch classes and checks that
their forward pass gives moelab's outputs.

    python3 examples/pytorch_parity.py [--moelab build/bin/moelab] [--weights FILE]
                                       [--text "MoE是很强大的机制！"] [--k 2]

Without --weights it exports a model of the seed's shape (D=32, E=6, H=4·D) first.
The file is loaded with load_state_dict(..., strict=True): ByteEmbedding takes
`embed.*`, SimpleMoE everything else. It then runs the seed's forward pass and
`moelab route --json --outputs` on the same bytes, and prints the largest
difference of the outputs (and of the gate scores).

One change to the seed's forward pass, and why: the seed computes
`expert(x * mask)` for every token, routed or not. A token that is not routed to
the expert enters as a zero vector, and an FFN with biases maps zero to
W2·relu(b1) + b2, which is not zero; the seed adds that, times the token's own
top-k weight, to every token of the batch. The masked bias leaks into tokens that
never chose the expert. Here each expert runs only on its own tokens (what moelab
does, and what the seed means); the size of the leak is printed beside.

Exit status: 0 when the outputs agree within --tolerance, 1 when they do not,
77 when PyTorch is not installed (a test runner shows that as skipped).
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

SKIP = 77


def import_torch():
    try:
        import torch  # noqa: F401
        return True
    except (ImportError, OSError):  # OSError: an install whose libraries do not load
        pass
    # Debian's python3-torch lives in the system Python; a pyenv or venv python3 on
    # PATH may not see it: run again under /usr/bin/python3 when that one has it.
    system = "/usr/bin/python3"
    if os.path.realpath(sys.executable) != os.path.realpath(system) and os.path.exists(system):
        probe = subprocess.run([system, "-c", "import torch"], capture_output=True)
        if probe.returncode == 0:
            os.execv(system, [system] + sys.argv)
    return False


if not import_torch():
    print("SKIPPED: PyTorch is not installed (Debian: apt-get install python3-torch)")
    sys.exit(SKIP)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


# Seed 003's classes, as the tutorial writes them (comments shortened).
class ByteEmbedding(nn.Module):
    def __init__(self, dim=32):
        super().__init__()
        self.embed = nn.Embedding(256, dim)

    def forward(self, byte_ids):
        return self.embed(byte_ids)


class TopKRouter(nn.Module):
    def __init__(self, dim, num_experts, k):
        super().__init__()
        self.k = k
        self.w_g = nn.Linear(dim, num_experts)

    def forward(self, x):
        gate_logits = self.w_g(x)
        gate_scores = F.softmax(gate_logits, dim=-1)
        topk_scores, topk_idx = gate_scores.topk(self.k, dim=-1)
        return gate_scores, topk_idx, topk_scores


class Expert(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.ffn = nn.Sequential(nn.Linear(dim, dim * 4), nn.ReLU(), nn.Linear(dim * 4, dim))

    def forward(self, x):
        return self.ffn(x)


class SimpleMoE(nn.Module):
    def __init__(self, dim, num_experts, k):
        super().__init__()
        self.router = TopKRouter(dim, num_experts, k)
        self.experts = nn.ModuleList([Expert(dim) for _ in range(num_experts)])
        self.k = k
        self.num_experts = num_experts

    def forward(self, x, leak=False):
        gate_scores, topk_idx, topk_scores = self.router(x)
        out = torch.zeros_like(x)
        for i in range(self.k):
            idx = topk_idx[:, i]
            expert_output = torch.zeros_like(x)
            for e_id, expert in enumerate(self.experts):
                mask = idx == e_id
                if not mask.any():
                    continue
                if leak:  # the seed's line: every token enters, unrouted ones as zeros
                    expert_output += expert(x * mask.float().unsqueeze(1))
                else:  # only the expert's own tokens
                    expert_output[mask] = expert(x[mask])
            out += expert_output * topk_scores[:, i].unsqueeze(1)
        return out, gate_scores, topk_idx


def load_safetensors(path):
    """The safetensors format by hand (Debian 12 packages no safetensors module): an
    8-byte little-endian header size, a JSON header, then the raw tensors."""
    try:
        from safetensors.torch import load_file
        return load_file(path)
    except ImportError:
        pass
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    tensors = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        if t["dtype"] != "F32":
            raise SystemExit(f"{path}: {name} is {t['dtype']}; this script reads F32")
        start, end = t["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(body[start:end]), dtype=torch.float32).reshape(t["shape"])
    return tensors


def run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr}")
    return done.stdout


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--moelab", default=shutil.which("moelab") or os.path.join(here, "..", "build", "bin", "moelab"))
    ap.add_argument("--weights", help="a moelab export (default: export one of the seed's shape)")
    ap.add_argument("--text", default="MoE是很强大的机制！")
    ap.add_argument("--k", type=int, default=2)
    ap.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        weights = args.weights
        if not weights:
            weights = os.path.join(tmp, "seed003.safetensors")
            run([args.moelab, "export-weights", "--out", weights, "--dim", "32", "--experts", "6", "--hidden", "128",
                 "--activation", "relu", "--seed", "3"])
        state = load_safetensors(weights)
        missing = [n for n in ("embed.weight", "router.w_g.weight", "experts.0.ffn.0.weight") if n not in state]
        if missing:
            raise SystemExit(f"{weights} is not a moelab export: it lacks {', '.join(missing)}")
        dim = state["embed.weight"].shape[1]
        experts = state["router.w_g.weight"].shape[0]
        hidden = state["experts.0.ffn.0.weight"].shape[0]
        if hidden != 4 * dim:
            raise SystemExit(f"the seed's Expert has hidden = 4·dim = {4 * dim}; this export has {hidden}")

        embed = ByteEmbedding(dim)
        moe = SimpleMoE(dim, experts, args.k)
        # strict: an unexpected or a missing tensor is an error, as for any PyTorch user
        try:
            embed.load_state_dict({k: v for k, v in state.items() if k.startswith("embed.")}, strict=True)
            moe.load_state_dict({k: v for k, v in state.items() if not k.startswith("embed.")}, strict=True)
        except RuntimeError as e:
            raise SystemExit(f"{weights} does not fit seed 003's classes (noise weights, a selection bias, "
                             f"SwiGLU gates, shared experts or a mixer have no place in them):\n{e}")

        # moelab with the seed's routing: softmax at temperature 1, top-k weights not
        # renormalised, no capacity limit, ReLU experts, on the CPU reference backend.
        report = json.loads(run([args.moelab, "route", "--json", "--outputs", "--weights", weights, "--text", args.text,
                                 "--k", str(args.k), "--score", "softmax", "--temperature", "1", "--renormalize",
                                 "false", "--capacity-factor", "0", "--backend", "eigen"]))

    byte_ids = torch.tensor(list(args.text.encode("utf-8")))
    with torch.no_grad():
        x = embed(byte_ids)
        out, scores, topk = moe(x)
        leaky, _, _ = moe(x, leak=True)
    ref_out = torch.tensor(report["outputs"], dtype=torch.float32)
    ref_scores = torch.tensor([t["scores"] for t in report["tokens"]], dtype=torch.float32)
    ref_topk = [sorted(t["experts"]) for t in report["tokens"]]
    same_choice = all(sorted(topk[t].tolist()) == ref_topk[t] for t in range(len(ref_topk)))

    out_diff = (out - ref_out).abs().max().item()
    score_diff = (scores - ref_scores).abs().max().item()
    print(f"{len(byte_ids)} byte tokens, D={dim}, E={experts}, H={hidden}, k={args.k}; loaded strictly: "
          f"{len(state)} tensors")
    print(f"same top-{args.k} experts for every token: {'yes' if same_choice else 'NO'}")
    print(f"largest difference, gate scores: {score_diff:.3g}")
    print(f"largest difference, outputs:     {out_diff:.3g}  (tolerance {args.tolerance:g})")
    print(f"the seed's masked-bias leak would add up to {(leaky - out).abs().max().item():.3g} to an output")
    return 0 if same_choice and out_diff <= args.tolerance and score_diff <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
