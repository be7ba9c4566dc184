#!/usr/bin/env bash
# bench/warc.sh: elvis count --warc on a Common-Crawl-like WET file (one gzip member per record,
# bench/gen_warc.py, SIZE uncompressed bytes, default 1G), against ripgrep, warm cache:
#   elvis count --warc -j1 -t elvis FILE       one core
#   elvis count --warc -t elvis FILE           every core (a WARC file is one stream: one core still)
#   zcat FILE | rg --count-matches -F elvis    inflating in its own process
#   rg -z --count-matches -F elvis FILE        (rg -z runs `gzip -d -c` as a child process)
# rg counts the whole stream, headers too, elvis only the payloads: the generator never writes
# `elvis` outside searched payloads, so both counts must equal the generator's own, which is
# checked before timing (and elvis's records and payload bytes too).
#
# Reports wall-clock MB/s (10^6 uncompressed bytes per second, median run), MB/s per CPU-second
# (user + system of every process of the command: the figure that adds up over cores), records
# per second (all records of the file), and elvis's speed over each peer's. The report goes to
# $OUT/warc-results.md and is kept by record_result; hyperfine's output to $OUT/warc-timing.log.
#
#   SIZE=1G RUNS=3 ELVIS=build/elvis bash bench/warc.sh      (SIZE=8M RUNS=1 for a quick run)
# Exits 1 if a count disagrees or a command fails (after the report), 2 if it cannot run.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
ELVIS=${ELVIS:-build/elvis}
RUNS=${RUNS:-3}
SIZE=${SIZE:-1G}
OUT=${OUTDIR:-bench/out}/warc
mkdir -p "$OUT"
say() { printf '[warc.sh] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 2; }

source bench/common.sh
install_peers "$OUT/apt.log" ripgrep:rg hyperfine:hyperfine
have hyperfine || die "hyperfine is missing: cannot time"
have python3 || die "python3 is needed"
[[ $ELVIS == /* ]] || ELVIS="$repo/$ELVIS"
[[ -x $ELVIS ]] || die "ELVIS=$ELVIS is not an executable (meson setup build && ninja -C build)"
# count exits 1 when nothing is found, as over /dev/null; 2 (an unknown option) means no --warc.
probe=$("$ELVIS" count --warc -t elvis /dev/null 2>&1) && rc=0 || rc=$?
((rc < 2)) && [[ $probe == *"#warc"* ]] || die "$ELVIS has no --warc: $probe"

# ---- the input, generated once -------------------------------------------------------------
file=$OUT/wet-$SIZE.warc.wet.gz
if [[ ! -s $file || ! -s $file.expected || ! -s $file.json || bench/gen_warc.py -nt $file ]]; then
    say "generating $file (once; bench/gen_warc.py --size $SIZE --seed 1 --gzip)"
    python3 bench/gen_warc.py --size "$SIZE" --seed 1 --gzip --stats "$file.json.tmp" "$file" > "$file.expected.tmp"
    mv "$file.json.tmp" "$file.json"
    mv "$file.expected.tmp" "$file.expected"
fi
read -r bytes records tf < <(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["bytes"], s["records"], s["tf"])' "$file.json")
cat "$file" > /dev/null  # warm the page cache

# ---- counts, checked once before timing ----------------------------------------------------
failures=0
check() {  # check LABEL GOT WANT
    if [[ $2 == "$3" ]]; then
        say "$1: count ok"
        echo ok
    else
        say "!!! $1: got $(printf %q "$2"), want $(printf %q "$3")"
        failures=$((failures + 1))
        echo "MISMATCH"
    fi
}
want_elvis=$(cat "$file.expected")
: > "$OUT/warc-timing.log"
verdict=()
names=("elvis count --warc -j1" "elvis count --warc")
cmds=("'$ELVIS' count --warc -j1 -t elvis '$file'" "'$ELVIS' count --warc -t elvis '$file'")
if have rg; then
    names+=("zcat | rg --count-matches" "rg -z --count-matches")
    cmds+=("zcat '$file' | rg --no-config --count-matches -F elvis" "rg --no-config -z --count-matches -F elvis '$file'")
else
    say "ripgrep is missing: the report says so"
fi
for i in "${!names[@]}"; do
    got=$(bash -c "${cmds[$i]}" 2>>"$OUT/warc-timing.log") || got="FAILED (exit $?): $got"
    if [[ ${names[$i]} == elvis* ]]; then want=$want_elvis; else want=$tf; fi
    # Through a file, not $(check ...): failures must be counted in this shell.
    check "${names[$i]}" "$got" "$want" > "$OUT/verdict"
    verdict+=("$(cat "$OUT/verdict")")
done

# ---- timing --------------------------------------------------------------------------------
json=$OUT/warc-hf.json
args=()
for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine -S bash -w 1 -r "$RUNS" --export-json "$json" "${args[@]}" >>"$OUT/warc-timing.log" 2>&1 ||
    { say "!!! hyperfine failed (see $OUT/warc-timing.log)"; failures=$((failures + 1)); }

report=$OUT/warc-results.md
python3 - "$json" "$bytes" "$records" "$tf" "$SIZE" "$RUNS" "$(stat -c %s "$file")" "$ELVIS" \
    "${verdict[@]}" > "$report" <<'PY'
import json, os, platform, statistics, subprocess, sys
path, size, records, tf, size_arg, runs, disk, elvis = sys.argv[1:9]
verdicts = sys.argv[9:]
size, records, disk = int(size), int(records), int(disk)
res = json.load(open(path))["results"] if os.path.exists(path) else []
def version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        return "MISSING"
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print("# elvis count --warc on a WET file, one gzip member per record")
print()
print(f"{subprocess.run(['date', '-u', '+%F'], capture_output=True, text=True).stdout.strip()} · Linux {platform.release()} · "
      f"{cpu} · {os.cpu_count()} cores · command: `SIZE={size_arg} RUNS={runs} bench/warc.sh` "
      f"(hyperfine median of {runs} runs after 1 warm-up, warm cache)")
print(f"· {version([elvis, '--version'])} · {version(['rg', '--version'])} · "
      f"{version(['hyperfine', '--version'])}")
print(f"· input: `bench/gen_warc.py --size {size_arg} --seed 1 --gzip`: {size} bytes uncompressed, {disk} on disk, "
      f"{records} records; `elvis` {tf} times (payloads only)")
print()
print("MB/s: 10^6 uncompressed bytes per second of wall time; MB/s/CPU: per CPU-second (user + system of all "
      "the command's processes); ×: the peer's time over elvis's (above 1: elvis faster), wall / CPU.")
print()
if len(res) < 4:
    print("ripgrep: MISSING (not installed): no peer rows.")
    print()
print("| command | median s | MB/s | MB/s/CPU | records/s | × zcat\\|rg | × rg -z | count |")
print("|---|---:|---:|---:|---:|---:|---:|---|")
rows = {}
for r in res:
    med = statistics.median(r["times"])
    cpu_s = r["user"] + r["system"]
    rows[r["command"]] = (med, cpu_s)
for i, r in enumerate(res):
    name = r["command"]
    med, cpu_s = rows[name]
    ratios = []
    for peer in ("zcat | rg --count-matches", "rg -z --count-matches"):
        if name.startswith("elvis") and peer in rows:
            ratios.append(f"{rows[peer][0] / med:.2f} / {rows[peer][1] / cpu_s:.2f}")
        else:
            ratios.append("")
    name_cell = name.replace("|", "\\|")
    print(f"| {name_cell} | {med:.3f} | {size / med / 1e6:.0f} | {size / cpu_s / 1e6:.0f} | {records / med:.0f} | "
          f"{ratios[0]} | {ratios[1]} | {verdicts[i] if i < len(verdicts) else '?'} |")
PY
{
    echo
    echo "Commands:"
    echo
    for i in "${!names[@]}"; do echo "- ${names[$i]}: \`${cmds[$i]//"$repo/"/}\`"; done
} >> "$report"
cat "$report"
record_result warc "$report"
rm -f "$json" "$OUT/verdict"
if ((failures)); then
    say "!!! $failures check(s) failed"
    exit 1
fi
