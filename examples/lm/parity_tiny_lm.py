#!/usr/bin/python3
"""moelab's language model against the PyTorch one (docs/contract.md, "The little MoE
language model").

    /usr/bin/python3 examples/lm/parity_tiny_lm.py --moelab build/bin/moelab
                     [--model assets/models/tiny-lm.safetensors] [--tolerance 1e-4]

Loads the checkpoint with tiny_lm.load_model and runs tiny_lm.route_text on three
texts (Chinese, English, mixed); runs `moelab route --model FILE --text T --json
--logprobs` on the same texts; and checks that every layer's top-k expert ids are
the same for every byte, in the same order, and that every next-byte
log-probability agrees within the tolerance. Prints the largest difference.

Exit status: 0 when they agree, 1 when not, 77 when PyTorch is not installed.
"""
import argparse
import json
import os
import subprocess
import sys

try:
    import torch
except ImportError as e:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from torch_or_skip import rerun_or_skip
    rerun_or_skip(__file__, e)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tiny_lm  # noqa: E402

TEXTS = [
    "床前明月光，疑是地上霜。",
    "In the beginning God created the heaven and the earth.",
    "MoE是很强大的机制! Mixture of experts.",
]


def moelab_route(binary, model, text):
    out = subprocess.run([binary, "route", "--model", model, "--text", text, "--json", "--logprobs"],
                         capture_output=True, check=True)
    return json.loads(out.stdout)


def compare(binary, model_path, model, text):
    """The largest |Δ logprob| for one text, and a list of routing mismatches."""
    torch.set_num_threads(1)
    ref = tiny_lm.route_text(model, text)
    got = moelab_route(binary, model_path, text)
    problems = []
    if len(got["layers"]) != len(ref["layers"]):
        return float("inf"), [f"{len(got['layers'])} layers, PyTorch has {len(ref['layers'])}"]
    for l, (mine, theirs) in enumerate(zip(got["layers"], ref["layers"])):
        ids = theirs["experts"].tolist()
        for t, tok in enumerate(mine["tokens"]):
            if tok["experts"] != ids[t]:
                problems.append(f"layer {l} byte {t}: moelab experts {tok['experts']}, PyTorch {ids[t]}")
    theirs = ref["logprobs"].double()
    mine = torch.tensor(got["logprobs"], dtype=torch.float64)
    if mine.shape != theirs.shape:
        return float("inf"), problems + [f"logprobs shape {tuple(mine.shape)}, PyTorch {tuple(theirs.shape)}"]
    delta = (mine - theirs).abs().max().item()
    # bits_per_byte from PyTorch's own log-probabilities of the actual next bytes
    data = list(text.encode("utf-8"))
    nats = -sum(theirs[t - 1, data[t]].item() for t in range(1, len(data)))
    bpb = nats / (len(data) - 1) / torch.log(torch.tensor(2.0, dtype=torch.float64)).item()
    if abs(got["bits_per_byte"] - bpb) > 1e-4:
        problems.append(f"bits_per_byte {got['bits_per_byte']}, PyTorch {bpb}")
    return delta, problems


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--moelab", required=True, help="the moelab binary")
    p.add_argument("--model", default=os.path.join(HERE, "..", "..", "assets", "models", "tiny-lm.safetensors"))
    p.add_argument("--tolerance", type=float, default=1e-4)
    a = p.parse_args()
    model = tiny_lm.load_model(a.model)
    worst, failed = 0.0, False
    for text in TEXTS:
        delta, problems = compare(a.moelab, a.model, model, text)
        worst = max(worst, delta)
        print(f"{text!r}: {len(text.encode('utf-8'))} bytes, max |Δ logprob| {delta:.3g}, "
              f"{len(problems)} routing mismatches")
        for line in problems[:10]:
            print("  " + line)
        failed |= bool(problems) or not delta <= a.tolerance
    print(f"max |Δ logprob| over all texts: {worst:.3g} (tolerance {a.tolerance:g})")
    print("FAILED" if failed else "OK: every layer's experts agree, log-probabilities within the tolerance")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
