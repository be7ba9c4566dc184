#!/usr/bin/env python3
"""Turns hyperfine JSON exports into a markdown table with ratios against a chosen peer.

usage: peers_table.py RESULT.json [RESULT.json...] --versus NAME [--versus NAME...] [--bytes N]
Each command's `name` must be set with hyperfine's -n. Ratio = peer's median time / command's
median time (so > 1 means faster than the peer); one ratio column per --versus.
"""
import json
import statistics
import sys


def main():
    args = sys.argv[1:]
    peers = [args[i + 1] for i, a in enumerate(args) if a == "--versus"]
    size = int(args[args.index("--bytes") + 1]) if "--bytes" in args else 0
    files = [a for i, a in enumerate(args) if not a.startswith("--") and args[i - 1] not in ("--versus", "--bytes")]
    for path in files:
        results = json.load(open(path))["results"]
        medians = {r["command"]: statistics.median(r["times"]) for r in results}
        print(f"| command | median s | best s | {'MB/s | ' if size else ''}" + "".join(f"x {p} | " for p in peers))
        print(f"|---|---:|---:|{'---:|' if size else ''}" + "---:|" * len(peers))
        for r in results:
            median, best = medians[r["command"]], min(r["times"])
            speed = f"{size / median / 1e6:.0f} | " if size else ""
            ratios = "".join(f"{medians[p] / median:.2f} | " if p in medians else "n/a | " for p in peers)
            print(f"| {r['command'].replace('|', chr(92) + '|')} | {median:.3f} | {best:.3f} | {speed}{ratios}")
        print()


if __name__ == "__main__":
    main()
