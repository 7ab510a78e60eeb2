#!/usr/bin/python3
"""Records a router trace (docs/contract.md, "Router traces") from a PyTorch MoE model.

    /usr/bin/python3 examples/traces/record_trace.py --hf MODEL_NAME_OR_PATH --text "..." --out t.safetensors
    /usr/bin/python3 examples/traces/record_trace.py --tiny-lm assets/models/tiny-lm.safetensors \\
                     --text "床前明月光" --out t.safetensors

Forward hooks on the model's gate modules see each layer's router input; the router
logits are recomputed from it as F.linear(x.float(), gate.weight.float()) -> [T, E].
That works for gates that are nn.Linear (Mixtral, Qwen2/3-MoE, OLMoE, granite MoE,
moelab's tiny_lm) and for DeepSeek's MoEGate, whose forward returns ids, not logits.
The trace is written as safetensors by hand (no safetensors package needed).

Library use: record(model, input_ids, ...) returns the trace as a dict;
write_trace(path, trace) writes it. Needs only torch (>= 1.13); --hf needs transformers.
"""
import argparse
import json
import os
import re
import struct
import sys

try:
    import torch
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover - depends on the machine
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lm"))
    from torch_or_skip import rerun_or_skip
    rerun_or_skip(__file__, e)

# Gate modules by name; group 1 is the layer number N. Anchored at the end, so
# Qwen2-MoE's mlp.shared_expert_gate and DeepSeek's dense mlp.gate_proj do not match.
GATE_PATTERNS = [
    r"(?:^|\.)layers\.(\d+)\.block_sparse_moe\.gate$",          # Mixtral
    r"(?:^|\.)layers\.(\d+)\.mlp\.gate$",                       # Qwen2/3-MoE, OLMoE, DeepSeek-V2/V3
    r"(?:^|\.)layers\.(\d+)\.block_sparse_moe\.router\.layer$",  # granite MoE
    r"(?:^|\.)layers\.(\d+)\.ffn\.gate$",                       # examples/lm/tiny_lm.py
]


def find_gate_modules(model):
    """[(N, name, module)] of every router gate, ordered by the layer number N."""
    found = []
    for name, module in model.named_modules():
        for pattern in GATE_PATTERNS:
            m = re.search(pattern, name)
            if m and getattr(module, "weight", None) is not None and module.weight.dim() == 2:
                found.append((int(m.group(1)), name, module))
                break
    found.sort(key=lambda item: item[0])
    numbers = [n for n, _, _ in found]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"two gate modules for one layer: {[name for _, name, _ in found]}")
    return found


def _config_value(config, *names):
    """The first of `names` set in a Hugging Face config object or a plain dict."""
    for name in names:
        value = config.get(name) if isinstance(config, dict) else getattr(config, name, None)
        if value is not None:
            return value
    return None


def routing_rule(config, num_experts=None, top_k=None, score=None, renormalize=None):
    """(E, k, score, renormalize) from the model's config; arguments that are not None win.
    Without the config key: softmax, renormalised (Mixtral and granite always renormalise)."""
    config = config or {}
    if num_experts is None:
        num_experts = _config_value(config, "num_local_experts", "num_experts", "n_routed_experts")
    if top_k is None:
        top_k = _config_value(config, "num_experts_per_tok", "moe_topk", "top_k")
    if score is None:
        score = _config_value(config, "scoring_func") or "softmax"
    if renormalize is None:
        value = _config_value(config, "norm_topk_prob")
        renormalize = True if value is None else bool(value)
    if score not in ("softmax", "sigmoid"):
        raise ValueError(f"score function {score!r}: a trace records softmax or sigmoid")
    return num_experts, top_k, score, renormalize


def byte_token_text(b):
    """As moelab's byteTokenText: printable ASCII as itself, any other byte as <0xE4>."""
    return chr(b) if 0x20 <= b <= 0x7E else f"<0x{b:02X}>"


def _model_config(model):
    return getattr(model, "config", None) or getattr(model, "cfg", None)


def _hook_logits(store, gate):
    def hook(module, args, kwargs, output=None):
        if store["logits"] is not None:
            raise RuntimeError(f"gate {store['name']} ran twice in one forward pass")
        x = args[0] if args else kwargs.get("hidden_states", kwargs.get("input"))
        if x is None:
            raise RuntimeError(f"gate {store['name']} was called without its hidden states")
        x = x.detach().reshape(-1, x.shape[-1]).float()
        store["logits"] = F.linear(x, gate.weight.detach().float()).cpu()
    return hook


def _register(gate, hook):
    """A forward hook that also sees keyword arguments where torch allows it (>= 2.0)."""
    try:
        return gate.register_forward_hook(hook, with_kwargs=True)
    except TypeError:  # torch 1.x: positional arguments only
        return gate.register_forward_hook(lambda m, args, out: hook(m, args, {}, out))


def record(model, input_ids, gate_modules=None, *, model_name="", token_text=None,
           num_experts=None, top_k=None, score=None, renormalize=None, forward=None):
    """One forward pass over input_ids ([T] or [1, T]) with hooks on the gates.

    gate_modules: modules in layer order, or None to find them by name (find_gate_modules).
    forward: how to run the model, forward(model, ids [1, T]); default model(ids).
    The other arguments override the model's config (routing_rule).
    Returns {"router_logits": [L tensors [T, E] float32], "tokens": int32 [T],
             "trace": the metadata object} for write_trace.
    """
    ids = torch.as_tensor(input_ids).reshape(1, -1).long()
    if ids.shape[1] == 0:
        raise ValueError("no tokens: the text is empty")
    if gate_modules is None:
        found = find_gate_modules(model)
        gates = [(name, module) for _, name, module in found]
        numbers = [n for n, _, _ in found]
    else:
        gates = [(f"gate {i}", module) for i, module in enumerate(gate_modules)]
        numbers = list(range(len(gates)))
    if not gates:
        raise ValueError("no gate modules found (names tried: " + ", ".join(GATE_PATTERNS) + ")")
    logits = _run_with_hooks(model, ids, gates, forward or (lambda m, x: m(x)))
    text = list(token_text) if token_text is not None else [""] * ids.shape[1]
    if len(text) != ids.shape[1]:
        raise ValueError(f"{len(text)} token texts for {ids.shape[1]} tokens")
    rule = routing_rule(_model_config(model), num_experts, top_k, score, renormalize)
    meta = _metadata(model_name, logits[0].shape[1], rule, text, len(logits))
    if numbers != list(range(len(numbers))):
        meta["model_layers"] = numbers  # trace layer l is the model's layer numbers[l]
    bias = [getattr(module, "e_score_correction_bias", None) for _, module in gates]
    if all(b is not None for b in bias):
        # DeepSeek-V3 adds this bias to the sigmoid scores to choose (not to weight) experts;
        # the trace keeps the plain logits and the bias beside them.
        meta["e_score_correction_bias"] = [b.detach().float().cpu().tolist() for b in bias]
    return {"router_logits": logits, "tokens": ids[0].to(torch.int32), "trace": meta}


def _run_with_hooks(model, ids, gates, forward):
    """Each gate's logits [T, E] from one forward pass, in the order of `gates`."""
    stores = [{"name": name, "logits": None} for name, _ in gates]
    handles = [_register(module, _hook_logits(s, module)) for (_, module), s in zip(gates, stores)]
    try:
        device = next(model.parameters()).device
        with torch.no_grad():
            forward(model, ids.to(device))
    finally:
        for h in handles:
            h.remove()
    for s in stores:
        if s["logits"] is None:
            raise RuntimeError(f"gate {s['name']} did not run in the forward pass")
        if s["logits"].shape[0] != ids.shape[1]:
            raise RuntimeError(f"gate {s['name']} saw {s['logits'].shape[0]} rows for {ids.shape[1]} tokens")
        if s["logits"].shape[1] != stores[0]["logits"].shape[1]:
            raise RuntimeError(f"gate {s['name']} has {s['logits'].shape[1]} experts, the first gate "
                               f"{stores[0]['logits'].shape[1]}")
    return [s["logits"].contiguous() for s in stores]


def _metadata(model_name, experts, rule, token_text, num_layers):
    """The trace's "trace" object; checks the rule's E and k against the gates' E."""
    E, k, score, renormalize = rule
    if E is not None and int(E) != experts:
        raise ValueError(f"the gates have {experts} rows, the config says {E} experts")
    if k is None:
        raise ValueError(f"top_k: the config has no num_experts_per_tok; give --top-k (1..{experts})")
    if not 1 <= int(k) <= experts:
        raise ValueError(f"top_k {k}: must be 1..{experts} (the gates' experts)")
    return {"model": model_name, "num_layers": num_layers, "num_experts": experts, "top_k": int(k),
            "token_text": token_text, "score": score, "renormalize": bool(renormalize)}


def serialize_trace(trace):
    """The trace as safetensors bytes: 8-byte little-endian header length, JSON header
    padded with spaces to a multiple of 8, then the tensors' bytes in header order."""
    tensors = [(f"router_logits.{l}", "F32", t) for l, t in enumerate(trace["router_logits"])]
    tensors.append(("tokens", "I32", trace["tokens"]))
    header = {"__metadata__": {"trace": json.dumps(trace["trace"], ensure_ascii=False)}}
    blobs, offset = [], 0
    for name, dtype, t in tensors:
        raw = t.detach().cpu().contiguous().to(torch.float32 if dtype == "F32" else torch.int32).numpy()
        raw = raw.astype("<f4" if dtype == "F32" else "<i4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)
    return struct.pack("<Q", len(head)) + head + b"".join(blobs)


def write_trace(path, trace):
    data = serialize_trace(trace)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


# ---- the command line -------------------------------------------------------

def hf_token_text(tokenizer, ids):
    """Each id decoded alone; where that is not whole UTF-8 (a byte of a character), the
    tokenizer's own token string."""
    pieces = tokenizer.convert_ids_to_tokens(ids)
    out = []
    for i, piece in zip(ids, pieces):
        text = tokenizer.decode([i])
        out.append(piece if "\ufffd" in text or text == "" else text)
    return out


def record_hf(args):
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError:
        raise RuntimeError("--hf needs the transformers package (pip install transformers)")
    dtype = {"auto": "auto", "float32": torch.float32, "bfloat16": torch.bfloat16,
             "float16": torch.float16}[args.dtype]
    tokenizer = AutoTokenizer.from_pretrained(args.hf, trust_remote_code=args.trust_remote_code)
    model = AutoModelForCausalLM.from_pretrained(args.hf, torch_dtype=dtype,
                                                 trust_remote_code=args.trust_remote_code)
    model = model.to(args.device).eval()
    ids = tokenizer(args.text, add_special_tokens=not args.no_special_tokens)["input_ids"]
    name = args.model_name or args.hf.rstrip("/").split("/")[-1]
    return record(model, ids, model_name=name, token_text=hf_token_text(tokenizer, ids),
                  forward=lambda m, x: m(input_ids=x, use_cache=False), **_overrides(args))


def record_tiny_lm(args):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lm"))
    import tiny_lm
    model = tiny_lm.load_model(args.tiny_lm)
    data = args.text.encode("utf-8")
    name = args.model_name or os.path.splitext(os.path.basename(args.tiny_lm))[0]
    return record(model, list(data), model_name=name, token_text=[byte_token_text(b) for b in data],
                  **_overrides(args))


def _overrides(args):
    renorm = None if args.renormalize is None else args.renormalize == "on"
    return {"num_experts": args.num_experts, "top_k": args.top_k, "score": args.score, "renormalize": renorm}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--hf", metavar="MODEL", help="a Hugging Face model name or local path")
    src.add_argument("--tiny-lm", metavar="CHECKPOINT", help="examples/lm's model (assets/models/tiny-lm.safetensors)")
    text = p.add_mutually_exclusive_group(required=True)
    text.add_argument("--text")
    text.add_argument("--text-file", metavar="PATH", help="UTF-8 text")
    p.add_argument("--out", required=True, help="the trace (.safetensors)")
    p.add_argument("--model-name", help="the trace's \"model\" [the model's name or file name]")
    p.add_argument("--top-k", type=int, help="override the config's num_experts_per_tok")
    p.add_argument("--num-experts", type=int, help="check the gates against this E")
    p.add_argument("--score", choices=["softmax", "sigmoid"], help="override the config's scoring_func")
    p.add_argument("--renormalize", choices=["on", "off"], help="override the config's norm_topk_prob")
    p.add_argument("--device", default="cpu", help="--hf: where the model runs [cpu]")
    p.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16", "float16"])
    p.add_argument("--trust-remote-code", action="store_true", help="--hf: models with their own code")
    p.add_argument("--no-special-tokens", action="store_true", help="--hf: no BOS or other added tokens")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        if args.text_file:
            with open(args.text_file, encoding="utf-8") as f:
                args.text = f.read()
        trace = record_hf(args) if args.hf else record_tiny_lm(args)
        write_trace(args.out, trace)
    except (ValueError, RuntimeError, OSError, KeyError) as e:  # one line, exit 2, as moelab does
        print(f"error: {e}", file=sys.stderr)
        return 2
    meta = trace["trace"]
    print(f"{args.out}: {len(trace['tokens'])} tokens, {meta['num_layers']} layers, "
          f"{meta['num_experts']} experts, top-{meta['top_k']} {meta['score']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
