#!/usr/bin/env python3
"""Writes the regression seeds under tests/fuzz/corpus/ (tests/test_robustness.cpp
replays each and says what it must do). Run from anywhere; it rewrites the files."""
import base64, json, os, struct, zlib

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
write("safetensors", "deep_header.safetensors", safetensors({}, '{"a":' + deep[:100000] + deep[-100000:] + "}"))

lesson = "lesson: Seed\n\nchapter: one\ntitle: One\ntext: Text.\n"
write("lesson", "bom.lesson", "\ufeff" + lesson)
write("lesson", "huge_dim.lesson", lesson + "settings: --dim 4097\n")
write("lesson", "text_file_dev_zero.lesson", lesson + "settings: --text-file /dev/zero\n")
