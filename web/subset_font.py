#!/usr/bin/env python3
"""Cuts Noto Sans CJK down to what moelab shows in the browser: the UI's strings
(app/gui), the shipped lessons and corpora (assets/), GB2312's level-1 characters
(the 3,755 most common) and the symbol ranges style.cpp loads. A character outside
the subset shows as ImGui's fallback glyph '?'.

usage: subset_font.py FONT.ttc OUT.otf"""
import glob
import os
import sys

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
TEXT_FILES = ["app/gui/*.cpp", "assets/lessons/*", "assets/corpus/*.txt", "assets/corpus/*.tsv",
              "assets/corpus/lm/*.txt", "core/*.cpp"]
# Fonts::build's ranges (app/gui/style.cpp) besides the Chinese.
RANGES = [(0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x2000, 0x206F), (0x2080, 0x209F),
          (0x2190, 0x21FF), (0x2200, 0x22FF), (0x2500, 0x25FF), (0x2600, 0x27BF), (0x3000, 0x303F),
          (0xFF00, 0xFFEF)]


def gb2312_level1():
    chars = set()
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass  # 0xD7FA..0xD7FE are unassigned
    return chars


def shipped_text():
    chars = set()
    for pattern in TEXT_FILES:
        for path in glob.glob(os.path.join(ROOT, pattern)):
            with open(path, encoding="utf-8", errors="ignore") as f:
                chars.update(c for c in f.read() if ord(c) > 0x7F)
    return chars


def main():
    font_path, out = sys.argv[1], sys.argv[2]
    chars = gb2312_level1() | shipped_text()
    for lo, hi in RANGES:
        chars.update(chr(c) for c in range(lo, hi + 1))
    fonts = TTCollection(font_path).fonts
    # Simplified Chinese glyph forms (the collection's first font is the Japanese one).
    font = next((f for f in fonts if " SC" in f["name"].getDebugName(1)), fonts[0])
    opts = subset.Options()
    opts.layout_features = []  # ImGui reads glyphs by code point only
    opts.hinting = False
    opts.name_IDs = [1, 2]
    opts.notdef_outline = True
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=[ord(c) for c in chars])
    sub.subset(font)
    font.save(out)
    print(f"moelab web: font subset of {len(chars)} characters, {os.path.getsize(out) // 1024} KiB")


if __name__ == "__main__":
    main()
