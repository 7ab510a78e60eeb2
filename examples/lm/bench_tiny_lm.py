#!/usr/bin/python3
"""Times the little MoE language model in eager PyTorch, for `moelab bench --shape lm`.

Prints one JSON object: {"threads", "torch", "blas", "forward": [{"tokens", "ms"}], "generate":
{"bytes", "bytes_per_s"}}: the median of --repeats forward passes over the first
T bytes of the held-out text (repeated to T), and cached generation (tiny_lm.generate)
of --gen-bytes bytes after a 16-byte prompt.
"""
import argparse
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default=os.path.join(ROOT, "assets", "models", "tiny-lm.safetensors"))
    ap.add_argument("--text-file", default=os.path.join(ROOT, "assets", "corpus", "lm", "heldout.txt"))
    ap.add_argument("--tokens", default="256,4096")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--gen-bytes", type=int, default=64)
    args = ap.parse_args(argv)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import tiny_lm
    from train_tiny_lm import blas_library

    torch.set_num_threads(args.threads)
    model = tiny_lm.load_model(args.model)
    text = open(args.text_file, "rb").read()
    result = {"threads": args.threads, "torch": torch.__version__,
              "blas": blas_library(), "forward": []}
    with torch.no_grad():
        for t in (int(s) for s in args.tokens.split(",")):
            data = (text * (t // max(len(text), 1) + 1))[:t]
            tokens = torch.tensor([list(data)])
            model(tokens)  # warm-up
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                model(tokens)
                times.append(time.perf_counter() - start)
            result["forward"].append({"tokens": t, "ms": sorted(times)[len(times) // 2] * 1e3})
        tiny_lm.generate(model, text[:16], 4)  # warm-up
        start = time.perf_counter()
        tiny_lm.generate(model, text[:16], args.gen_bytes)
        seconds = time.perf_counter() - start
    result["generate"] = {"bytes": args.gen_bytes, "bytes_per_s": args.gen_bytes / seconds}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
