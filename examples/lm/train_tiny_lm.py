#!/usr/bin/python3
"""Train moelab's little byte-level MoE language model (and its baselines).

Trains the Mixtral-style MoE of tiny_lm.py on assets/corpus/lm/train.txt,
then, with the same steps, batches and schedule, a dense model with the
same active parameters per token (one SwiGLU FFN of width k*H), and counts
an interpolated Kneser-Ney byte trigram (order 2). Prints held-out bits per
byte of all three, writes the MoE checkpoint (safetensors, fp16, Hugging
Face Mixtral names, config in __metadata__) and a JSON summary.

  /usr/bin/python3 examples/lm/train_tiny_lm.py --threads 2
  /usr/bin/python3 examples/lm/train_tiny_lm.py --bench 10     # time steps, estimate the run
  /usr/bin/python3 examples/lm/train_tiny_lm.py --quick --out /tmp/q.safetensors

Debian's torch uses the system libblas.so.3; with the reference BLAS
(libblas3) steps are ~10x slower than with OpenBLAS (libopenblas0-pthread).
OMP_WAIT_POLICY defaults to PASSIVE here: with spinning OpenMP threads, 2
threads on the busy 2-core machine were ~10x slower than 1.
"""
import argparse
import json
import math
import os
import sys
import time


def _threads_from_argv(argv):
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "2"


# Read when torch loads: OpenBLAS's thread count (when it is the libblas torch
# loads), and OpenMP threads that sleep rather than spin while they wait
# (spinning threads on a busy machine made steps ~10x slower).
os.environ.setdefault("OPENBLAS_NUM_THREADS", _threads_from_argv(sys.argv))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tiny_lm  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_STEPS = 1200
QUICK_CONFIG = dict(tiny_lm.DEFAULT_CONFIG, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                    num_local_experts=4, max_position_embeddings=64)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=None, help=f"optimizer steps per model (default {DEFAULT_STEPS})")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=16, help="sequences per step")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=None, help="linear warm-up steps (default steps/20)")
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--aux", type=float, default=0.01, help="load-balancing loss coefficient")
    ap.add_argument("--tie", action="store_true", help="tie_word_embeddings")
    ap.add_argument("--dtype", choices=["F16", "BF16"], default="F16")
    ap.add_argument("--moe-mode", choices=["gather", "dense"], default="gather",
                    help="expert computation: tokens grouped per expert, or every expert on every token")
    ap.add_argument("--corpus", default=os.path.join(ROOT, "assets", "corpus", "lm"))
    ap.add_argument("--out", default=os.path.join(ROOT, "assets", "models", "tiny-lm.safetensors"))
    ap.add_argument("--summary", default=None, help="JSON summary path (default: OUT with .json)")
    ap.add_argument("--eval-bytes", type=int, default=None, help="use only the first N held-out bytes")
    ap.add_argument("--bench", type=int, default=0, help="only time N MoE and N dense steps, print the estimate")
    ap.add_argument("--skip-dense", action="store_true")
    ap.add_argument("--quick", action="store_true", help="a tiny model, a few steps (for tests)")
    args = ap.parse_args(argv)
    args.config = dict(QUICK_CONFIG if args.quick else tiny_lm.DEFAULT_CONFIG, tie_word_embeddings=args.tie)
    if args.steps is None:
        args.steps = 20 if args.quick else DEFAULT_STEPS
    if args.quick:
        args.batch = min(args.batch, 4)
        args.eval_bytes = args.eval_bytes or 4096
    if args.warmup is None:
        args.warmup = max(1, args.steps // 20)
    if args.summary is None:
        args.summary = os.path.splitext(args.out)[0] + ".json"
    return args


def read_bytes(path):
    with open(path, "rb") as f:
        return torch.tensor(np.frombuffer(f.read(), dtype=np.uint8).astype(np.int64))


def batches(data, steps, batch, seq, seed):
    """The same deterministic windows for every model trained with `seed`."""
    gen = torch.Generator().manual_seed(seed)
    offsets = torch.arange(seq + 1)
    for _ in range(steps):
        starts = torch.randint(0, len(data) - seq - 1, (batch,), generator=gen)
        w = data[starts.unsqueeze(1) + offsets]
        yield w[:, :-1], w[:, 1:]


def lr_at(step, args):
    """Linear warm-up, then cosine decay to 10 % of the peak."""
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    p = (step - args.warmup) / max(1, args.steps - args.warmup)
    return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


def make_optimizer(model, args):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    other = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                              {"params": other, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95))


def train(model, data, args, steps, label):
    torch.manual_seed(args.seed)
    opt = make_optimizer(model, args)
    seq = args.config["max_position_embeddings"]
    model.train()
    t0, times, cpu = time.time(), [], []
    for step, (x, y) in enumerate(batches(data, steps, args.batch, seq, args.seed)):
        ts, cs = time.time(), time.process_time()
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args)
        logits = model(x)
        ce = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        aux = model.balance_loss()
        loss = ce + args.aux * aux
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        times.append(time.time() - ts)
        cpu.append(time.process_time() - cs)
        if step % 50 == 0 or step == steps - 1:
            print(f"[{label}] step {step + 1}/{steps} loss {ce.item() / math.log(2):.3f} bits/byte"
                  f" aux {aux.item():.3f} lr {lr_at(step, args):.2e} {times[-1]:.2f} s/step", flush=True)
    return time.time() - t0, times, cpu


@torch.no_grad()
def bits_per_byte(model, data, seq, batch=16):
    """Mean -log2 p over non-overlapping windows of seq+1 held-out bytes
    (each window predicts its bytes 1..seq from the bytes before them in it)."""
    model.eval()
    n = (len(data) - 1) // seq
    windows = torch.stack([data[i * seq:i * seq + seq + 1] for i in range(n)])
    total, count = 0.0, 0
    for w in windows.split(batch):
        logits = model(w[:, :-1])
        total += torch.nn.functional.cross_entropy(logits.reshape(-1, 256), w[:, 1:].reshape(-1),
                                                   reduction="sum").item()
        count += w[:, 1:].numel()
    return total / count / math.log(2)


class KneserNeyTrigram:
    """Interpolated Kneser-Ney over bytes, order 2 (trigram), one discount d;
    the unigram level interpolates with uniform 1/256. Counts from `train`."""

    def __init__(self, train, d=0.75):
        t = train.numpy().astype(np.int64)
        c3 = np.bincount((t[:-2] * 256 + t[1:-1]) * 256 + t[2:], minlength=256 ** 3)
        self.d = d
        self.c3 = c3.reshape(256, 256, 256).astype(np.float64)
        n3 = self.c3 > 0                             # N1+(a b c)
        self.ctx = self.c3.sum(2)                    # c(a b .)
        self.types3 = n3.sum(2).astype(np.float64)   # N1+(a b .)
        self.cont2 = n3.sum(0).astype(np.float64)    # N1+(. b c)
        self.cont2_any = self.cont2.sum(1)           # N1+(. b .)
        self.types2 = (self.cont2 > 0).sum(1)        # N1+(b .) among continuations
        cont1 = (self.cont2 > 0).sum(0).astype(np.float64)  # N1+(. c)
        self.p1 = np.maximum(cont1 - d, 0) / cont1.sum() + d * (cont1 > 0).sum() / cont1.sum() / 256.0

    def prob(self, a, b, c):
        """P(c | a b) for arrays of byte values."""
        d = self.d
        den2 = self.cont2_any[b]
        p2 = np.where(den2 > 0, (np.maximum(self.cont2[b, c] - d, 0) + d * self.types2[b] * self.p1[c])
                      / np.maximum(den2, 1), self.p1[c])
        ctx = self.ctx[a, b]
        return np.where(ctx > 0, (np.maximum(self.c3[a, b, c] - d, 0) + d * self.types3[a, b] * p2)
                        / np.maximum(ctx, 1), p2)

    def bits_per_byte(self, held):
        """Mean -log2 P over held-out bytes 2..n-1."""
        h = held.numpy().astype(np.int64)
        return float(-np.log2(self.prob(h[:-2], h[1:-1], h[2:])).mean())


def param_counts(model):
    total = sum(p.numel() for p in model.parameters())
    if model.dense:
        return total, total
    cfg = model.cfg
    per_expert = 3 * cfg["hidden_size"] * cfg["intermediate_size"]
    idle = cfg["num_hidden_layers"] * (cfg["num_local_experts"] - cfg["num_experts_per_tok"]) * per_expert
    return total, total - idle


def bench(args, data):
    """Time a few steps of each model; print the full run's estimate."""
    out = {}
    for dense in (False, True):
        torch.manual_seed(args.seed)
        model = tiny_lm.TinyLM(args.config, dense=dense, moe_mode=args.moe_mode)
        _, times, cpu = train(model, data, args, args.bench, "dense" if dense else "moe")
        key = "dense" if dense else "moe"
        out[key] = float(np.median(times[1:] if len(times) > 2 else times))
        out[key + "_cpu"] = float(np.median(cpu[1:] if len(cpu) > 2 else cpu))
    per_step = out["moe"] + out["dense"]
    idle = (out["moe_cpu"] + out["dense_cpu"]) / args.threads
    print(f"median s/step: moe {out['moe']:.2f}, dense {out['dense']:.2f} wall; CPU s/step: moe "
          f"{out['moe_cpu']:.2f}, dense {out['dense_cpu']:.2f} ({args.threads} threads, batch "
          f"{args.batch} x {args.config['max_position_embeddings']}, load average {os.getloadavg()[0]:.1f})")
    print(f"estimate for --steps {args.steps} (both models): {per_step * args.steps / 60:.1f} min at this load; "
          f"{idle * args.steps / 60:.1f} min if the {args.threads} threads had the CPUs to themselves "
          f"(CPU time / threads); steps fitting 60 min: {int(3600 / per_step)} at this load, {int(3600 / idle)} idle")


def blas_library():
    """The BLAS shared library this process loaded (torch's matmuls use it)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
        return " ".join(sorted(os.path.realpath(l) for l in libs)) or "unknown"
    except OSError:
        return "unknown"


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    blas = blas_library()
    print(f"BLAS: {blas}", flush=True)
    if "openblas" not in blas:
        print("note: not OpenBLAS; the reference BLAS is ~10x slower here "
              "(apt-get install libopenblas0-pthread)", flush=True)
    torch.manual_seed(args.seed)
    train_data = read_bytes(os.path.join(args.corpus, "train.txt"))
    held = read_bytes(os.path.join(args.corpus, "heldout.txt"))
    if args.eval_bytes:
        held = held[:args.eval_bytes]
    if args.bench:
        return bench(args, train_data)
    seq = args.config["max_position_embeddings"]
    summary = {"config": args.config, "steps": args.steps, "batch": args.batch, "seq_len": seq,
               "tokens_per_model": args.steps * args.batch * seq, "lr": args.lr, "aux_coef": args.aux,
               "seed": args.seed, "threads": args.threads, "train_bytes": len(train_data),
               "heldout_bytes": len(held), "blas": blas, "torch": torch.__version__}
    t0 = time.time()
    summary["trigram_kn_bits_per_byte"] = KneserNeyTrigram(train_data).bits_per_byte(held)
    print(f"trigram (Kneser-Ney) held-out: {summary['trigram_kn_bits_per_byte']:.3f} bits/byte"
          f" ({time.time() - t0:.1f} s)", flush=True)

    moe = tiny_lm.TinyLM(args.config, moe_mode=args.moe_mode)
    secs, times, _ = train(moe, train_data, args, args.steps, "moe")
    tiny_lm.round_weights(moe, args.dtype)  # evaluate exactly what is shipped
    summary.update(moe_train_seconds=secs, moe_seconds_per_step=float(np.median(times)),
                   moe_bits_per_byte=bits_per_byte(moe, held, seq))
    summary["moe_params_total"], summary["moe_params_active"] = param_counts(moe)
    print(f"MoE held-out: {summary['moe_bits_per_byte']:.3f} bits/byte", flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tiny_lm.save_model(moe, args.out, args.dtype, {"heldout_bits_per_byte": f"{summary['moe_bits_per_byte']:.4f}"})
    summary["checkpoint_bytes"] = os.path.getsize(args.out)

    if not args.skip_dense:
        dense = tiny_lm.TinyLM(args.config, dense=True)
        secs, times, _ = train(dense, train_data, args, args.steps, "dense")
        tiny_lm.round_weights(dense, args.dtype)
        summary.update(dense_train_seconds=secs, dense_seconds_per_step=float(np.median(times)),
                       dense_bits_per_byte=bits_per_byte(dense, held, seq))
        summary["dense_params_total"], _ = param_counts(dense)
        print(f"dense held-out: {summary['dense_bits_per_byte']:.3f} bits/byte", flush=True)
    summary["total_seconds"] = time.time() - t0
    with open(args.summary, "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps({k: v for k, v in summary.items() if k != "config"}, indent=1))
    return summary


if __name__ == "__main__":
    main()
