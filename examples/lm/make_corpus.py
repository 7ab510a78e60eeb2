#!/usr/bin/python3
"""Rebuild assets/corpus/lm/{train,heldout}.txt from Debian packages.

Sources (see assets/corpus/SOURCES.md): classical Chinese texts from
fortunes-zh and books of the King James Bible from bible-kjv(-text).
Every 20th document of each source goes to the held-out file. The output
depends only on the installed package versions (printed), never on time
or randomness. Run as root to install the packages if they are missing.
"""
import argparse
import os
import re
import subprocess
import sys

PACKAGES = ["fortunes-zh", "bible-kjv", "bible-kjv-text"]
FORTUNES = "/usr/share/games/fortunes"
HOLDOUT_EVERY = 20

# Classical works quoted in fortunes-zh's "chinese" file (all pre-1900).
CLASSICAL_WORKS = ("论语", "道德经", "菜根谭", "增广贤文", "谚语")
# Named authors in fortunes-zh's "chinese" file who are modern (20th/21st
# century, possibly still in copyright): their entries are left out.
MODERN_AUTHORS = {"钱钟书", "鲁迅", "老舍", "巴金", "冰心", "朱自清", "余光中",
                  "毛泽东", "吴军", "李彦宏", "胡志明", "王国维", "秋瑾",
                  "陈毅", "赫拉利"}
# (abbreviation the `bible` program accepts, name printed as heading)
BIBLE_BOOKS = [("Gen", "Genesis"), ("Exo", "Exodus"), ("Ruth", "Ruth"),
               ("Job", "Job"), ("Ps", "Psalms"), ("Prov", "Proverbs"),
               ("Eccl", "Ecclesiastes"), ("Song", "Song of Solomon"),
               ("Mat", "Matthew"), ("Mark", "Mark"), ("Luke", "Luke"),
               ("John", "John")]

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def ensure_packages():
    missing = [p for p in PACKAGES if subprocess.run(
        ["dpkg", "-s", p], capture_output=True).returncode != 0]
    if missing:
        if os.geteuid() != 0:
            sys.exit(f"make_corpus: packages missing: {' '.join(missing)} (run as root)")
        subprocess.run(["apt-get", "install", "-y", *missing], check=True)
    for p in PACKAGES:
        v = subprocess.run(["dpkg-query", "-W", "-f=${Version}", p],
                           capture_output=True, text=True).stdout
        print(f"{p} {v}", file=sys.stderr)


def clean_entry(text):
    lines = [ANSI.sub("", l).strip() for l in text.split("\n")]
    return "\n".join(lines).strip("\n")


def fortune_entries(name):
    with open(os.path.join(FORTUNES, name), encoding="utf-8") as f:
        raw = f.read()
    return [e for e in (clean_entry(x) for x in re.split(r"\n%\n", raw)) if e]


def attribution(entry):
    found = re.findall(r"^--\s*(.*)$", entry, re.M)
    return found[-1].strip() if found else None


def is_classical(entry):
    """Keep only pre-modern texts of the mixed 'chinese' file."""
    who = attribution(entry)
    if who is None:
        return entry.startswith("《詩經")
    if who.startswith("论语"):
        return True
    work = re.match(r"《([^》]+)》", who)
    if work:
        return work.group(1) in CLASSICAL_WORKS
    # "NAME《title》": a poet's name of Han characters only, then a title.
    poet = re.match(r"([\u4e00-\u9fff]{1,4})《", who)
    return bool(poet) and poet.group(1) not in MODERN_AUTHORS


def chinese_documents():
    docs = fortune_entries("tang300") + fortune_entries("song100")
    docs += [e for e in fortune_entries("chinese") if is_classical(e)]
    return docs


def bible_documents():
    docs = []
    env = dict(os.environ, COLUMNS="100000")
    for abbr, name in BIBLE_BOOKS:
        out = subprocess.run(["bible", "-f", f"{abbr}1:1-999:999"], env=env,
                             capture_output=True, text=True, check=True).stdout
        chapters = {}
        for line in out.splitlines():
            m = re.match(r"^\S+?(\d+):(\d+) (.*)$", line)
            if m:
                chapters.setdefault(int(m.group(1)), []).append(m.group(3).strip())
        if not chapters:
            sys.exit(f"make_corpus: no verses for {name}")
        for ch in sorted(chapters):
            docs.append(f"{name} {ch}\n" + "\n".join(chapters[ch]))
    return docs


def split(docs):
    train = [d for i, d in enumerate(docs) if i % HOLDOUT_EVERY != HOLDOUT_EVERY - 1]
    held = [d for i, d in enumerate(docs) if i % HOLDOUT_EVERY == HOLDOUT_EVERY - 1]
    return train, held


def interleave(a, b):
    """Mix two lists evenly (by position), so any stretch of the file has both."""
    out, i, j = [], 0, 0
    while i < len(a) or j < len(b):
        if j >= len(b) or (i < len(a) and i * len(b) <= j * len(a)):
            out.append(a[i]); i += 1
        else:
            out.append(b[j]); j += 1
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="assets/corpus/lm")
    args = ap.parse_args()
    ensure_packages()
    zh_train, zh_held = split(chinese_documents())
    en_train, en_held = split(bible_documents())
    os.makedirs(args.out, exist_ok=True)
    for name, docs in (("train.txt", interleave(zh_train, en_train)),
                       ("heldout.txt", interleave(zh_held, en_held))):
        text = "\n\n".join(docs) + "\n"
        with open(os.path.join(args.out, name), "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        data = text.encode("utf-8")
        han = sum(len(m.encode()) for m in re.findall(r"[^\x00-\x7f]+", text))
        print(f"{name}: {len(docs)} documents, {len(data)} bytes, "
              f"{100 * han / len(data):.1f} % non-ASCII bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
