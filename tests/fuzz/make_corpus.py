#!/usr/bin/env python3
"""Writes the seed corpora under tests/fuzz/corpus/<target>/: valid inputs for the fuzzers
(tests/fuzz/fuzz_<target>.cpp) to start from, and regression seeds (tests/test_robustness.cpp
replays some and says what each must do; ctest's Fuzz.Replay.<target> replays them all).
Run from anywhere; it rewrites the files."""
import base64, json, os, shutil, struct, zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def code(text):
    """A lesson code as core/share_code.cpp writes one: moe1-<base64url(zlib)>-<crc32>."""
    packed = zlib.compress(text.encode(), 9)
    b64 = base64.urlsafe_b64encode(packed).decode().rstrip("=")
    return "moe1-%s-%08x\n" % (b64, zlib.crc32(packed))


def safetensors(tensors, header_extra=None):
    """tensors: name -> (shape, list of floats); data laid out in order."""
    header, data = {}, b""
    for name, (shape, values) in tensors.items():
        raw = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header) if header_extra is None else header_extra
    h += " " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h.encode() + data


def small_model(D=4, E=2, H=4):
    t = {"embed.weight": ([256, D], [0.01 * (i % 7) for i in range(256 * D)]),
         "router.w_g.weight": ([E, D], [0.1] * (E * D)), "router.w_g.bias": ([E], [0.0] * E)}
    for e in range(E):
        p = "experts.%d.ffn." % e
        t[p + "0.weight"] = ([H, D], [0.1] * (H * D))
        t[p + "0.bias"] = ([H], [0.0] * H)
        t[p + "2.weight"] = ([D, H], [0.1] * (D * H))
        t[p + "2.bias"] = ([D], [0.0] * D)
    return t


deep = "[" * 200000 + "]" * 200000
write("share_code", "deep_nesting.txt", code('{"s":{"text":' + deep + "}}"))
write("share_code", "huge_dim.txt", code('{"s":{"dim":4097}}'))
write("share_code", "big_text.txt", code(json.dumps({"s": {"text": "a" * ((1 << 20) + 1)}})))
write("share_code", "unpacks_huge.txt", code(json.dumps({"s": {"text": "a" * (10 << 20)}})))
write("share_code", "bad_page.txt", code('{"s":{},"page":"nosuch"}'))

write("session", "format_number.json", '{"format": 7, "version": 2}\n')
write("session", "deep_nesting.json", '{"format": "moelab-session", "text": ' + deep[:100000] + deep[-100000:] + "}\n")
write("session", "huge_dim.json", '{"format": "moelab-session", "version": 2, "dim": 4097}\n')
write("session", "float_overflow.json", '{"format": "moelab-session", "version": 2, "temperature": 1e308}\n')

m = small_model()
m["experts.1.ffn.0.weight"][1][3] = 3e38
write("safetensors", "huge_value.safetensors", safetensors(m))
write("safetensors", "shape_overflow.safetensors",
      safetensors({}, json.dumps({"embed.weight": {"dtype": "F32", "shape": [1 << 32, 1 << 32], "data_offsets": [0, 0]}})))
# found by the fuzzer: a shape entry too big for an integer is a JSON float
write("safetensors", "shape_float.safetensors",
      safetensors({}, '{"embed.weight": {"dtype": "F32", "shape": [4294967298888888888888888888888888888888880, 0], '
                  '"data_offsets": [0, 0]}}'))
write("safetensors", "deep_header.safetensors", safetensors({}, '{"a":' + deep[:100000] + deep[-100000:] + "}"))

lesson = "lesson: Seed\n\nchapter: one\ntitle: One\ntext: Text.\n"
write("lesson", "bom.lesson", "\ufeff" + lesson)
write("lesson", "huge_dim.lesson", lesson + "settings: --dim 4097\n")
write("lesson", "text_file_dev_zero.lesson", lesson + "settings: --text-file /dev/zero\n")


# Valid inputs, so the fuzzers start inside each format.
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
with open(os.path.join(SOURCE, "assets/lessons/moe-basics.lesson"), encoding="utf-8") as f:
    write("lesson", "moe-basics.lesson", f.read())
write("lesson", "small.lesson", lesson + "page: parallel\nshow: tokens, load\nsettings: --k 1\n"
      "try: One | 一个 | --k 1\ngoal: drop_rate <= 0\nquestion: Why?\nanswer: Because.\n")
write("lesson", "unknown_field.lesson", lesson + "colour: red\n")

write("share_code", "valid_journey.txt", code('{"s":{"k":1,"text":"MoE 专家"},"page":"journey","pin":3,"max":"heatmap"}'))
write("share_code", "valid_lesson.txt", code('{"s":{"experts":4},"lesson":"builtin","chapter":2,"hide":["gpus","k"],'
                                             '"a":{"k":2}}'))
write("share_code", "valid_empty.txt", code('{"s":{}}'))

# What sessionJson and encodeShareCode wrote for the defaults with k = 1 and a text
# (the code: on the parallel page), kept verbatim.
write("session", "written_by_sessionJson.json", """{
  "activation": "relu",
  "all_to_all": "flat",
  "backend": "eigen",
  "capacity_factor": 1.25,
  "capacity_groups": 1,
  "dedup": false,
  "device": null,
  "dim": 32,
  "drop_priority": "position",
  "expert_bias": [],
  "experts": 8,
  "format": "moelab-session",
  "gpu_tflops": 400.0,
  "gpus": 1,
  "gpus_per_node": 8,
  "group_score": "max",
  "groups": 1,
  "hidden": 128,
  "inter_bw": 50.0,
  "inter_latency_us": 5.0,
  "intra_bw": 450.0,
  "intra_latency_us": 2.0,
  "jitter": 0.0,
  "k": 1,
  "min_capacity": 0,
  "noise_seed": 0,
  "noisy_topk": false,
  "overflow": "drop",
  "pad_to_capacity": false,
  "placement": "contiguous",
  "random_routing": false,
  "renormalize": true,
  "replicate": 0,
  "route_groups": "off",
  "route_level": "token",
  "routing": "token-choice",
  "score": "softmax",
  "seed": 0,
  "shared_experts": 0,
  "sim_dtype": "bf16",
  "sim_ffn_hidden": 16384,
  "sim_hidden": 4096,
  "temperature": 1.0,
  "text": "MoE 专家 routes bytes",
  "text_file": null,
  "topk_groups": 0,
  "version": 2,
  "weights": null
}
""")
write("share_code", "written_by_encodeShareCode.txt", "moe1-eNqrVipITE9VsgJSRYk5Oak5SjpKxUpW1UrZSlaGOkolqRUlQEnffFeFJzsmP123TaEov7QktVghqRJIKtXWAgC6SBcp-4d3196ba\n")
# Sessions as a person writes them (keys left out keep their defaults).
write("session", "valid_small.json", json.dumps({"format": "moelab-session", "version": 2, "k": 1,
                                                 "capacity_factor": 1.5, "text": "MoE 专家"}, indent=2) + "\n")
write("session", "valid_version1.json", '{"format": "moelab-session-1", "k": 3}\n')
write("session", "unknown_key.json", '{"format": "moelab-session", "version": 2, "colour": "red"}\n')

write("safetensors", "valid_small.safetensors", safetensors(small_model()))
write("safetensors", "valid_swiglu.safetensors", safetensors(dict(small_model(), **{
    "experts.%d.ffn.gate.weight" % e: ([4, 4], [0.05] * 16) for e in range(2)})))
write("safetensors", "truncated.safetensors", safetensors(small_model())[:-7])

with open(os.path.join(SOURCE, "assets/corpus/reviews.tsv"), encoding="utf-8") as f:
    write("reviews", "valid_head.tsv", "".join(f.readlines()[:12]))
write("reviews", "crlf.tsv", "pos\ten\tGood.\r\nneg\tzh\t不好。\r\n")
write("reviews", "bad_label.tsv", "pos\ten\tGood.\nmeh\ten\tSo so.\n")
write("reviews", "no_text.tsv", "pos\ten\t\n")

# As savePreferences writes the app's settings.json, and damaged ones (defaults then).
write("preferences", "valid.json", json.dumps({"theme": "light", "language": "zh", "scale": 1.5,
                                               "lesson_seen": True, "fit_to_window": False}, indent=2) + "\n")
write("preferences", "scale_out_of_range.json", '{"theme": "dark", "scale": 9}\n')
write("preferences", "not_an_object.json", '[1, 2, 3]\n')
# Before parsePreferences, a bad value after an unchecked theme left the theme applied.
write("preferences", "theme_then_bad_scale.json", '{"theme": "blue", "scale": "big"}\n')

# Language model files (the contract's byte-level Mixtral): a small one as moelab loads it
# (F32, F16 and BF16, tied and untied), and damaged ones.
def lm_config(D=8, L=2, H=6, E=4, k=2, heads=2, kv=1, tie=False):
    return {"vocab_size": 256, "hidden_size": D, "intermediate_size": H, "num_hidden_layers": L,
            "num_attention_heads": heads, "num_key_value_heads": kv, "num_local_experts": E,
            "num_experts_per_tok": k, "rope_theta": 10000.0, "rms_norm_eps": 1e-5,
            "max_position_embeddings": 16, "tie_word_embeddings": tie}


def lm_tensors(c):
    D, H, E = c["hidden_size"], c["intermediate_size"], c["num_local_experts"]
    hd = D // c["num_attention_heads"]
    t = [("model.embed_tokens.weight", [256, D])]
    for l in range(c["num_hidden_layers"]):
        p = "model.layers.%d." % l
        t += [(p + "input_layernorm.weight", [D]), (p + "self_attn.q_proj.weight", [D, D]),
              (p + "self_attn.k_proj.weight", [c["num_key_value_heads"] * hd, D]),
              (p + "self_attn.v_proj.weight", [c["num_key_value_heads"] * hd, D]),
              (p + "self_attn.o_proj.weight", [D, D]), (p + "post_attention_layernorm.weight", [D]),
              (p + "block_sparse_moe.gate.weight", [E, D])]
        for e in range(E):
            q = p + "block_sparse_moe.experts.%d." % e
            t += [(q + "w1.weight", [H, D]), (q + "w3.weight", [H, D]), (q + "w2.weight", [D, H])]
    t.append(("model.norm.weight", [D]))
    if not c["tie_word_embeddings"]:
        t.append(("lm_head.weight", [256, D]))
    return t


def lm_file(c, dtype="F32", leave_out=None, shape_of=None):
    header, data, i = {"__metadata__": {"config": json.dumps(c)}}, b"", 0
    for name, shape in lm_tensors(c):
        if name == leave_out:
            continue
        n = 1
        for d in shape:
            n *= d
        vals = [(1.0 if len(shape) == 1 else 0.0) + 0.3 * (((i + j) * 37 % 17) / 17 - 0.5) for j in range(n)]
        i += 1
        if dtype == "F32":
            raw = struct.pack("<%df" % n, *vals)
        elif dtype == "F16":
            raw = struct.pack("<%de" % n, *vals)
        else:  # BF16: the upper half of each float32
            raw = b"".join(struct.pack("<f", v)[2:] for v in vals)
        header[name] = {"dtype": dtype, "shape": shape_of.get(name, shape) if shape_of else shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header)
    h += " " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h.encode() + data


write("lm", "valid_f32.safetensors", lm_file(lm_config()))
write("lm", "valid_f16_tied_one_layer.safetensors", lm_file(lm_config(L=1, tie=True), "F16"))
write("lm", "valid_bf16_top1.safetensors", lm_file(lm_config(k=1, kv=2), "BF16"))
write("lm", "missing_tensor.safetensors", lm_file(lm_config(), leave_out="model.layers.1.self_attn.o_proj.weight"))
write("lm", "wrong_shape.safetensors",
      lm_file(lm_config(), shape_of={"model.layers.0.block_sparse_moe.gate.weight": [2, 16]}))
write("lm", "truncated.safetensors", lm_file(lm_config())[:-100])
bad = lm_config()
del bad["rope_theta"]
write("lm", "config_missing_key.safetensors", lm_file(bad))
write("lm", "k_over_experts.safetensors", lm_file(lm_config(k=5)))
write("session", "with_model.json", json.dumps({"format": "moelab-session", "version": 2, "model": "tiny-lm",
                                                "layer": 2, "capacity_factor": 1}, indent=2) + "\n")
write("share_code", "with_model.txt", code('{"s":{"capacity_factor":1},"model":"tiny-lm","layer":3}'))
write("share_code", "layer_float.txt", code('{"s":{},"model":"tiny-lm","layer":2.7}'))
write("share_code", "layer_wraps.txt", code('{"s":{},"model":"tiny-lm","layer":4294967298}'))


# Router traces (the contract's "Router traces"): per-layer router logits (F32) or top-k
# ids (I32), tokens, the "trace" metadata; damaged ones; and the engines' arrays that
# import-trace reads (vLLM .npy and JSON list, SGLang base64), which the target also tries.
def trace_file(meta, tensors, dtypes=None):
    """tensors: name -> (shape, values); I32 unless dtypes names F32."""
    header, data = {"__metadata__": {"trace": json.dumps(meta) if isinstance(meta, dict) else meta}}, b""
    for name, (shape, values) in tensors.items():
        dt = (dtypes or {}).get(name, "F32" if name.startswith("router_logits") else "I32")
        raw = struct.pack("<%d%s" % (len(values), "f" if dt == "F32" else "i"), *values)
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header)
    h += " " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h.encode() + data


def trace_meta(L=2, E=4, k=2, T=5, **extra):
    m = {"model": "seed", "num_layers": L, "num_experts": E, "top_k": k, "token_text": ["a", "b", "<0xE4>", "c", " "][:T]}
    m.update(extra)
    return m


TRACE_LOGITS = {"tokens": ([5], [97, 98, 228, 99, 32])}
for l in range(2):
    TRACE_LOGITS["router_logits.%d" % l] = ([5, 4], [0.5 * ((i * 7 + l) % 5) - 1.0 for i in range(20)])
TRACE_IDS = {"tokens": ([5], [-1] * 5), "topk_ids.0": ([5, 2], [0, 1, 2, 3, 1, 0, 3, 2, 0, 3]),
             "topk_ids.1": ([5, 2], [3, 2, 1, 0, 2, 3, 0, 1, 1, 2])}
write("trace", "logits.safetensors", trace_file(trace_meta(score="sigmoid", renormalize=False), TRACE_LOGITS))
write("trace", "choices_only.safetensors", trace_file(trace_meta(), TRACE_IDS))
write("trace", "truncated.safetensors", trace_file(trace_meta(), TRACE_LOGITS)[:-30])
write("trace", "missing_layer.safetensors", trace_file(trace_meta(L=3), TRACE_IDS))
write("trace", "wrong_shape.safetensors",
      trace_file(trace_meta(), dict(TRACE_IDS, **{"topk_ids.1": ([2, 5], TRACE_IDS["topk_ids.1"][1])})))
write("trace", "id_out_of_range.safetensors",
      trace_file(trace_meta(), dict(TRACE_IDS, **{"topk_ids.0": ([5, 2], [0, 1, 2, 3, 1, 0, 3, 4, 0, 3])})))
write("trace", "token_text_short.safetensors", trace_file(trace_meta(T=4), TRACE_IDS))
write("trace", "k_over_experts.safetensors", trace_file(trace_meta(E=2, k=3), TRACE_IDS))
write("trace", "bad_json.safetensors", trace_file('{"model": "seed", "num_layers": ', TRACE_IDS))
write("trace", "ids_as_f32.safetensors", trace_file(trace_meta(), TRACE_IDS, {"topk_ids.0": "F32"}))
IDS = [[[0, 1], [2, 3]], [[1, 0], [3, 2]], [[2, 1], [0, 3]]]
FLAT = [v for t in IDS for l in t for v in l]
npy_header = "{'descr': '<i2', 'fortran_order': False, 'shape': (3, 2, 2), }"
npy_header += " " * (64 - (10 + len(npy_header) + 1) % 64) + "\n"
write("trace", "vllm.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(npy_header)) + npy_header.encode() +
      struct.pack("<%dh" % len(FLAT), *FLAT))
write("trace", "vllm.json", json.dumps(IDS))
write("trace", "sglang.json", json.dumps({"routed_experts": base64.b64encode(struct.pack("<%di" % len(FLAT), *FLAT))
                                          .decode(), "shape": [3, 2, 2]}))


# ASTRA-sim's output (route --astra-log): the first byte is the GPU count - 1, then the log.
ASTRA_LINE = "[2025-08-08 10:00:00.000] [workload] [info] sys[%d] finished, %d cycles, exposed communication %d cycles.\n"
write("astra_log", "valid_two_gpus.txt", "\x01" + "".join(ASTRA_LINE % (g, 4000 + g, 1000) for g in (1, 0)))
write("astra_log", "valid_eight_gpus_noise.txt", "\x07ring of 8 NPUs\n" +
      "".join(ASTRA_LINE % (g, 123456 * (g + 1), 99) for g in range(8)) + "num_cpu_ops: 0\n")
write("astra_log", "truncated.txt", "\x03" + ASTRA_LINE % (0, 10, 1) + "[2025-08-08] [workload] [info] sys[1] fini")
write("astra_log", "garbled_cycles.txt", "\x00sys[0] finished, -5 cycles\n")
write("astra_log", "rank_out_of_range.txt", "\x00sys[7] finished, 5 cycles\n")
write("astra_log", "twice.txt", "\x01sys[0] finished, 5 cycles\nsys[0] finished, 6 cycles\n")
