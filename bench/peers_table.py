#!/usr/bin/env python3
"""Turns hyperfine JSON exports into a markdown table with ratios against a chosen peer.

usage: peers_table.py RESULT.json [RESULT.json...] --versus NAME [--bytes N]
Each command's `name` must be set with hyperfine's -n. Ratio = peer's median time / command's
median time (so > 1 means faster than the peer).
"""
import json
import statistics
import sys


def main():
    args = sys.argv[1:]
    versus = args[args.index("--versus") + 1]
    size = int(args[args.index("--bytes") + 1]) if "--bytes" in args else 0
    files = [a for i, a in enumerate(args) if not a.startswith("--") and args[i - 1] not in ("--versus", "--bytes")]
    for path in files:
        results = json.load(open(path))["results"]
        medians = {r["command"]: statistics.median(r["times"]) for r in results}
        base = medians.get(versus)
        print(f"| command | median s | best s | {'MB/s | ' if size else ''}x {versus} |")
        print(f"|---|---:|---:|{'---:|' if size else ''}---:|")
        for r in results:
            median, best = medians[r["command"]], min(r["times"])
            speed = f"{size / median / 1e6:.0f} | " if size else ""
            ratio = f"{base / median:.2f}" if base else "n/a"
            print(f"| {r['command']} | {median:.3f} | {best:.3f} | {speed}{ratio} |")
        print()


if __name__ == "__main__":
    main()
