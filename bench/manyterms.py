#!/usr/bin/env python3
"""Corpus and term sets for bench/manyterms.sh, from a real source tree.

usage: manyterms.py corpus SRC_DIR SIZE OUT          C and C++ headers of SRC_DIR, concatenated
                                                     in path order up to SIZE bytes
       manyterms.py terms CORPUS OUTDIR N...         rare-N.txt and dense-N.txt per N
       manyterms.py rules TERMS OUT                  TERM<TAB>TERM_X rules for the filter

Terms are identifiers of the corpus ([A-Za-z_][A-Za-z0-9_]{3,}): dense-N the N most frequent,
rare-N N taken at random (seeded) among those that occur at most 4 times; when the corpus has
fewer such identifiers than N, made-up identifiers that do not occur fill the set (as a list of
names to look for mostly holds names that are absent). Each set is printed with its expected
density: total occurrences of its terms (each on its own) per MB.
"""
import collections
import os
import random
import re
import sys

IDENTIFIER = re.compile(rb"[A-Za-z_][A-Za-z0-9_]{3,}")


def corpus(src, size, out):
    size = int(size)
    paths = []
    for root, dirs, files in os.walk(src):
        dirs.sort()
        paths += [os.path.join(root, f) for f in sorted(files) if f.endswith((".h", ".hpp", ".c", ".cc"))]
    written = 0
    with open(out, "wb") as o:
        for p in sorted(paths):
            if os.path.islink(p):
                continue
            data = open(p, "rb").read()[: size - written]
            o.write(data)
            written += len(data)
            if written >= size:
                break
    print(f"{out}: {written} bytes from {src}")


def terms(corpus_path, outdir, *sizes):
    data = open(corpus_path, "rb").read()
    counts = collections.Counter(IDENTIFIER.findall(data))
    by_frequency = [w for w, _ in counts.most_common()]
    rng = random.Random(1935)
    rare_pool = [w for w, c in counts.items() if c <= 4]
    rng.shuffle(rare_pool)
    for n in map(int, sizes):
        dense = by_frequency[:n]
        rare = rare_pool[:n]
        while len(rare) < n:  # absent names, never in the corpus
            w = b"zq_" + b"".join(bytes([rng.choice(b"abcdefghijklmnopqrstuvwxyz")]) for _ in range(10))
            if w not in counts:
                rare.append(w)
        for kind, words in (("dense", dense), ("rare", rare)):
            path = os.path.join(outdir, f"{kind}-{n}.txt")
            with open(path, "wb") as f:
                f.write(b"".join(w + b"\n" for w in words))
            # Each identifier's count as a whole word undercounts substrings; good enough to say the density.
            hits = sum(counts.get(w, 0) for w in words)
            print(f"{path}: {len(words)} terms, about {hits / (len(data) / 1e6):.0f} whole-identifier hits per MB")


def rules(terms_path, out):
    with open(terms_path, "rb") as f, open(out, "wb") as o:
        for line in f:
            t = line.rstrip(b"\n")
            if t:
                o.write(t + b"\t" + t + b"_X\n")


if __name__ == "__main__":
    {"corpus": corpus, "terms": terms, "rules": rules}[sys.argv[1]](*sys.argv[2:])
