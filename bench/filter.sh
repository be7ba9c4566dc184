#!/usr/bin/env bash
# bench/filter.sh: the file-to-file filter benchmark. elvis against cat, sed, perl, ripgrep and
# sd on the same corpus, in one invocation, every output checked byte for byte against elvis's.
#
#   bench/filter.sh                        # 1 GiB corpora (a few minutes on 2 cores)
#   SIZE=64M bench/filter.sh               # quick run
#   ELVIS=build-bench/elvis RUNS=5 bench/filter.sh
#
# Environment:
#   SIZE    corpus size, K/M/G suffixes (default 1G)
#   RUNS    timed runs per command (default 3); the table shows the median and the best
#   FAST_RUNS  timed runs for commands whose checked run took under 2 s (default 7: short runs
#           are the noisiest)
#   ELVIS   the elvis binary (default build/elvis; relative paths are from the repo root)
#   OUTDIR  where corpora, outputs and results go (default bench/out, gitignored)
#   KEEP    set to 1 to keep the reference outputs (corpus-sized) in OUTDIR afterwards
#   TIMER   auto (hyperfine when installed) or loop (the script's own date +%s%N loop)
#
# Prints a markdown report to stdout and writes it to $OUTDIR/filter-results.md. Progress and
# hyperfine's own output go to stderr and $OUTDIR/filter-timing.log. Exits 1 if any output
# differs from elvis's (or elvis fails), after writing the report.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"
source "$here/common.sh"

SIZE=${SIZE:-1G}
RUNS=${RUNS:-3}
FAST_RUNS=${FAST_RUNS:-7}
ELVIS=${ELVIS:-build/elvis}
OUTDIR=${OUTDIR:-bench/out}
KEEP=${KEEP:-0}
TIMER=${TIMER:-auto}
invocation="SIZE=$SIZE RUNS=$RUNS FAST_RUNS=$FAST_RUNS ELVIS=$ELVIS bench/filter.sh"

say() { printf '[filter.sh] %s\n' "$*" >&2; }
die() { printf '[filter.sh] error: %s\n' "$*" >&2; exit 2; }

command -v python3 >/dev/null || die "python3 is needed (bench/gen_corpus.py, report)"
mkdir -p "$OUTDIR"
log="$OUTDIR/filter-timing.log"
: > "$log"

# ---- peers -----------------------------------------------------------------------------------
# Missing ones are installed when we are root, else reported as missing.
install_peers "$log" ripgrep:rg ugrep:ugrep sd:sd hyperfine:hyperfine time:/usr/bin/time
have_time=0; [[ -x /usr/bin/time ]] && have_time=1
have_hyperfine=0; have hyperfine && [[ $TIMER != loop ]] && have_hyperfine=1

[[ $ELVIS == /* ]] || ELVIS="$repo/$ELVIS"
elvis_ok=1
if [[ ! -x $ELVIS ]]; then
    say "ELVIS=$ELVIS is not an executable (build it: meson setup build && ninja -C build)"
    elvis_ok=0
fi
elvis_rel=${ELVIS#"$repo/"}

# ---- corpora ---------------------------------------------------------------------------------
text="$OUTDIR/text-$SIZE.txt"
nolines="$OUTDIR/nolines-$SIZE.txt"
for mode in text nolines; do
    f="$OUTDIR/$mode-$SIZE.txt"
    if [[ ! -s $f || ! -s $f.count ]]; then
        say "generating $f"
        python3 "$here/gen_corpus.py" "$mode" "$SIZE" "$f" > "$f.count.tmp"
        mv "$f.count.tmp" "$f.count"
    fi
done
text_bytes=$(stat -c %s "$text")
nolines_bytes=$(stat -c %s "$nolines")
# Freshly generated corpora leave gigabytes of dirty pages: flush them now so that their
# writeback does not land in the middle of the first timings.
sync
say "warming the page cache"
cat "$text" "$nolines" > /dev/null
cat "$text" "$nolines" > /dev/null

out="$OUTDIR/filter-out.tmp"
# Warm the write path too (the first corpus-sized file written is often the slowest).
for _ in 1 2; do cat "$text" > "$out"; rm -f "$out"; done
sync
ref_text="$OUTDIR/ref-text.out"
ref_nolines="$OUTDIR/ref-nolines.out"
rows="$OUTDIR/filter-rows.tsv"
: > "$rows"
failures=0

sd_cmd=""
if have sd; then
    # sd 1.x spells string mode -F/--fixed-strings; sd 0.7 (Debian 12) spells it -s/--string-mode.
    sd_help=$(sd --help 2>&1 || true)
    if [[ $sd_help == *--fixed-strings* ]]; then sd_cmd="sd -F elvis Elvis"; else sd_cmd="sd -s elvis Elvis"; fi
fi

# time_cmd CMD RUNS: sets t_median and t_best (seconds) over RUNS runs of `sh -c CMD`, with
# $out removed before each run (outside the timing).
time_cmd() {
    local cmd=$1 runs=$2
    if ((have_hyperfine)); then
        local json="$OUTDIR/filter-hf.json"
        hyperfine --style basic --runs "$runs" --warmup 0 --prepare "rm -f '$out'" \
            --export-json "$json" "$cmd" >>"$log" 2>&1 || return 1
        read -r t_median t_best < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(r["median"], r["min"])' "$json")
        rm -f "$json"
    else
        local times=() i t0 t1
        for ((i = 0; i < runs; i++)); do
            rm -f "$out"
            t0=$(date +%s%N)
            sh -c "$cmd" >>"$log" 2>&1 || return 1
            t1=$(date +%s%N)
            times+=("$(((t1 - t0) / 1000))")
        done
        read -r t_median t_best < <(printf '%s\n' "${times[@]}" | sort -n | python3 -c '
import sys
v = [int(x) / 1e6 for x in sys.stdin.read().split()]
print(v[len(v) // 2], v[0])')
    fi
}

# bench CASE LABEL CMD REFERENCE BYTES
# One checked run (peak RSS; output compared with REFERENCE), then RUNS timed runs. Appends a
# row to $rows.
bench() {
    local case=$1 label=$2 cmd=$3 ref=$4 bytes=$5 rss="n/a" check status t0 t1 runs
    say "$case: $label: $cmd"
    rm -f "$out"
    t0=$(date +%s%N)
    if ((have_time)); then
        if /usr/bin/time -f %M -o "$OUTDIR/filter-rss.txt" sh -c "$cmd" 2>>"$log"; then status=0; else status=$?; fi
        rss=$(tail -n 1 "$OUTDIR/filter-rss.txt" 2>/dev/null || echo n/a)
        [[ $rss =~ ^[0-9]+$ ]] || rss="n/a"
    else
        if sh -c "$cmd" 2>>"$log"; then status=0; else status=$?; fi
    fi
    t1=$(date +%s%N)
    runs=$RUNS
    if (((t1 - t0) < 2000000000 && FAST_RUNS > RUNS)); then runs=$FAST_RUNS; fi
    if ((status != 0)); then
        say "!!! FAILED: exit status $status: $cmd (see $log)"
        row "$case" "$label" "$cmd" "$bytes" "" "" "$rss" "FAILED (exit $status)" ""
        failures=$((failures + 1))
        return 0
    fi
    if [[ ! -s $ref ]]; then
        check="not checked (no reference)"
    elif cmp -s "$ref" "$out"; then
        check="identical"
    else
        local diff
        diff=$(cmp "$ref" "$out" 2>&1) || true
        diff=${diff%%$'\n'*}
        check="MISMATCH: $(stat -c %s "$out") bytes, ${diff//"$OUTDIR/"/}"
        say "!!! OUTPUT MISMATCH: $label: $check"
        failures=$((failures + 1))
    fi
    # Deleting the checked output drops its dirty pages without writing them; sync flushes
    # whatever else is pending, so no writeback from earlier work overlaps the timed runs.
    rm -f "$out"
    sync
    t_median="" t_best=""
    if ! time_cmd "$cmd" "$runs"; then
        say "!!! FAILED while timing: $cmd (see $log)"
        check="$check; FAILED while timing"
        failures=$((failures + 1))
    fi
    row "$case" "$label" "$cmd" "$bytes" "$t_median" "$t_best" "$rss" "$check" "$runs"
}

row() { local IFS=$'\t'; printf '%s\n' "$*" >> "$rows"; }
missing() {  # CASE LABEL WHY
    row "$1" "$2" "-" "" "" "" "" "$3" ""
    say "$1: $2: $3"
}

# make_reference CORPUS REF: elvis's output is the reference; if elvis cannot produce it, sed's is
# used instead and the report says so.
ref_note=""
make_reference() {
    local corpus=$1 ref=$2
    rm -f "$ref"
    if ((elvis_ok)) && "$ELVIS" < "$corpus" > "$ref" 2>>"$log" && [[ -s $ref ]]; then sync; return 0; fi
    say "!!! elvis is missing or failed on $corpus (see $log); using sed's output as the reference"
    ref_note+="elvis is missing or failed on $corpus: outputs were compared with sed's output instead. "
    failures=$((failures + 1))
    LC_ALL=C sed 's/elvis/Elvis/g' < "$corpus" > "$ref"
}

# ---- file -> file, text corpus -----------------------------------------------------------------
make_reference "$text" "$ref_text"
c="file→file, text"
bench "$c" "cat" "cat < $text > $out" "$text" "$text_bytes"
if ((elvis_ok)); then
    bench "$c" "elvis" "$elvis_rel < $text > $out" "$ref_text" "$text_bytes"
    bench "$c" "elvis --io=posix" "$elvis_rel --io=posix < $text > $out" "$ref_text" "$text_bytes"
else
    missing "$c" "elvis" "MISSING: $ELVIS is not built"
fi
bench "$c" "sed" "LC_ALL=C sed 's/elvis/Elvis/g' < $text > $out" "$ref_text" "$text_bytes"
bench "$c" "perl" "perl -pe 's/elvis/Elvis/g' < $text > $out" "$ref_text" "$text_bytes"
if have rg; then
    bench "$c" "rg" "rg --passthru -N --no-config -F elvis -r Elvis < $text > $out" "$ref_text" "$text_bytes"
else
    missing "$c" "rg" "MISSING: ripgrep is not installed"
fi
if [[ -n $sd_cmd ]]; then
    bench "$c" "sd" "$sd_cmd < $text > $out" "$ref_text" "$text_bytes"
else
    missing "$c" "sd" "MISSING: sd is not installed"
fi

# ---- pipe -> pipe ------------------------------------------------------------------------------
c="pipe→pipe, text"
bench "$c" "cat | cat | cat" "cat $text | cat | cat > $out" "$text" "$text_bytes"
if ((elvis_ok)); then
    bench "$c" "cat | elvis | cat" "cat $text | $elvis_rel | cat > $out" "$ref_text" "$text_bytes"
    bench "$c" "cat | elvis --io=posix | cat" "cat $text | $elvis_rel --io=posix | cat > $out" "$ref_text" "$text_bytes"
else
    missing "$c" "cat | elvis | cat" "MISSING: $ELVIS is not built"
fi
bench "$c" "cat | sed | cat" "cat $text | LC_ALL=C sed 's/elvis/Elvis/g' | cat > $out" "$ref_text" "$text_bytes"
((KEEP)) || rm -f "$ref_text"

# ---- file -> file, no newline at all ----------------------------------------------------------
make_reference "$nolines" "$ref_nolines"
c="file→file, no newlines"
bench "$c" "cat" "cat < $nolines > $out" "$nolines" "$nolines_bytes"
if ((elvis_ok)); then
    bench "$c" "elvis" "$elvis_rel < $nolines > $out" "$ref_nolines" "$nolines_bytes"
else
    missing "$c" "elvis" "MISSING: $ELVIS is not built"
fi
bench "$c" "sed" "LC_ALL=C sed 's/elvis/Elvis/g' < $nolines > $out" "$ref_nolines" "$nolines_bytes"
((KEEP)) || rm -f "$ref_nolines"
rm -f "$out"

# ---- report ------------------------------------------------------------------------------------
first_line() {  # the first line of a command's output, without a pipe into head (no EPIPE noise)
    local v
    v=$("$@" 2>/dev/null) || true
    printf '%s' "${v%%$'\n'*}"
}
elvis_version="n/a"
((elvis_ok)) && elvis_version=$(first_line "$ELVIS" --version)
[[ -n $elvis_version ]] || elvis_version="n/a"
versions=$(
    printf '%s (%s, git %s); ' "$elvis_version" "$elvis_rel" \
        "$(git -C "$repo" describe --always --dirty 2>/dev/null || echo '?')"
    printf '%s; ' "$(first_line sed --version)" "$(perl -e 'print "perl $^V"')"
    have rg && printf '%s; ' "$(first_line rg --version)"
    have sd && printf '%s; ' "$(first_line sd --version)"
    have hyperfine && printf '%s; ' "$(first_line hyperfine --version)"
    true
)
report="$OUTDIR/filter-results.md"
python3 - "$rows" "$RUNS/$FAST_RUNS" "$have_hyperfine" "$invocation" "$versions" "$ref_note" \
    "$(cat "$text.count")" "$(cat "$nolines.count")" > "$report" <<'PY'
import datetime, os, platform, sys
rows_path, runs, have_hf, invocation, versions, ref_note, text_count, nolines_count = sys.argv[1:9]

def cpu():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"

rows = [line.rstrip("\n").split("\t") for line in open(rows_path) if line.strip()]
cases = []
for r in rows:
    if r[0] not in cases:
        cases.append(r[0])

print("# elvis filter benchmark\n")
print(f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
print(f"- kernel: `{platform.release()}`; CPU: {cpu()} ({os.cpu_count()} cores)")
print(f"- command: `{invocation}`")
print(f"- versions: {versions.rstrip('; ')}")
print(f"- timing: {'hyperfine' if have_hf == '1' else 'shell loop'}, {runs.split('/')[0]} runs per command "
      f"({runs.split('/')[1]} for commands whose checked run took under 2 s) after one checked run; **median** time is used for MB/s, best time shown too; output file removed "
      "before each run (outside the timing); page cache warm; output written to a file on the "
      "same disk as the input")
print("- MB/s = 10^6 input bytes per second (median); ×cat and ×sed = that MB/s divided by cat's and "
      "sed's MB/s in the same table (pipe table: against `cat | cat | cat`)")
print("- peak RSS: `/usr/bin/time -f %M` of the checked run (for a pipeline: its largest process)")
print(f"- output: compared byte for byte (cmp) with elvis's output (cat rows: with the input); "
      f"expected `elvis` matches: text {text_count}, no-newline {nolines_count}")
if ref_note:
    print(f"- **{ref_note.strip()}**")
print()

bad = 0
for case in cases:
    sel = [r for r in rows if r[0] == case]
    size = next((int(r[3]) for r in sel if r[3]), 0)
    def rate(r):
        return int(r[3]) / float(r[4]) / 1e6 if r[3] and r[4] else None
    base = next((rate(r) for r in sel if r[1].startswith("cat") and "elvis" not in r[1] and "sed" not in r[1]), None)
    sed = next((rate(r) for r in sel if r[1] == "sed" or r[1] == "cat | sed | cat"), None)
    print(f"## {case}, {size / 2**20:.0f} MiB\n")
    print("| tool | median s | best s | runs | MB/s | ×cat | ×sed | peak RSS | output | command |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for r in sel:
        label, cmd, med, best, rss, check, nruns = r[1], r[2], r[4], r[5], r[6], r[7], r[8]
        mbps = rate(r)
        f = lambda x, fmt: (fmt.format(x) if x is not None else "–")
        rss_s = f"{int(rss) / 1024:.1f} MiB" if rss.isdigit() else (rss or "–")
        loud = check.startswith(("MISMATCH", "FAILED", "MISSING")) or "FAILED" in check
        if check.startswith(("MISMATCH", "FAILED")) or "FAILED" in check:
            bad += 1
        check_s = f"**{check}**" if loud else check
        label, cmd = label.replace("|", "\\|"), cmd.replace("|", "\\|")
        print(f"| {label} | {f(float(med) if med else None, '{:.3f}')} | {f(float(best) if best else None, '{:.3f}')} "
              f"| {nruns or '–'} "
              f"| {f(mbps, '{:.0f}')} | {f(mbps / base if mbps and base else None, '{:.2f}')} "
              f"| {f(mbps / sed if mbps and sed else None, '{:.2f}')} | {rss_s} | {check_s} | `{cmd}` |")
    print()
missing = sum(1 for r in rows if r[7].startswith("MISSING"))
if bad:
    print(f"**{bad} row(s) FAILED or did not match the reference output: see above.**")
else:
    print("All outputs that were produced matched the reference.")
if missing:
    print(f"\n**{missing} row(s) MISSING: a tool was not installed or elvis was not built.**")
if ref_note:
    print(f"\n**{ref_note.strip()}**")
PY
cat "$report"
record_result filter "$report"
say "report written to $report"
rm -f "$rows" "$OUTDIR/filter-rss.txt"
if ((failures)); then
    say "!!! $failures failure(s): mismatching or failing commands, see the report"
    exit 1
fi
