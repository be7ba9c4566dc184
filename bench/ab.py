#!/usr/bin/env python3
"""Interleaved A/B timing: runs each command once per round, in a fresh random order every round,
and prints the medians with every run's time. On a noisy machine, commands timed side by side in
one loop compare fairly where separate hyperfine runs minutes apart do not.

    python3 bench/ab.py ROUNDS NAME=COMMAND [NAME=COMMAND ...]

Each COMMAND runs under sh -c. $AB_REMOVE (default /tmp/out), when set non-empty, is deleted
before every run, so a command writing there always makes a new file. Ratios are the first
command's median over each one's.
"""
import os
import random
import statistics
import subprocess
import sys
import time


def main() -> int:
    if len(sys.argv) < 3 or not sys.argv[1].isdigit() or any("=" not in a for a in sys.argv[2:]):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    rounds = int(sys.argv[1])
    commands = [arg.split("=", 1) for arg in sys.argv[2:]]
    remove = os.environ.get("AB_REMOVE", "/tmp/out")
    times = {name: [] for name, _ in commands}
    for _ in range(rounds):
        order = commands[:]
        random.shuffle(order)
        for name, command in order:
            if remove:
                try:
                    os.unlink(remove)
                except FileNotFoundError:
                    pass
            start = time.perf_counter()
            subprocess.run(command, shell=True, check=True)
            times[name].append(time.perf_counter() - start)
    first = statistics.median(times[commands[0][0]])
    width = max(len(name) for name, _ in commands)
    for name, _ in commands:
        t = times[name]
        median = statistics.median(t)
        print(f"{name:{width}}  median {median * 1000:6.0f} ms  min {min(t) * 1000:6.0f}  "
              f"max {max(t) * 1000:6.0f}  {commands[0][0]}/this {first / median:5.2f}  "
              f"runs {[round(x * 1000) for x in t]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
