#!/usr/bin/env bash
# bench/gzip.sh: counting over gzip input. `elvis count -z` against `zcat | elvis count` and
# `rg -z --count-matches`, side by side in one invocation, every count checked against the count
# of the uncompressed corpus.
#
#   bench/gzip.sh                    # 512 MiB corpus (generated, then compressed once: ~2 minutes)
#   SIZE=64M RUNS=3 bench/gzip.sh    # quick run
#
# Environment:
#   SIZE    uncompressed corpus size, K/M/G suffixes (default 512M)
#   RUNS    timed runs per command (default 3; the table shows the median and the best)
#   ELVIS   the elvis binary (default build/elvis; relative paths are from the repo root)
#   OUTDIR  where corpora and results go (default bench/out, gitignored)
#   TIMER   auto (hyperfine when installed) or loop (the script's own timing loop)
#   BASELINE  another elvis binary to time beside ELVIS (an earlier commit's, say); optional
#
# Inputs, made once and kept in OUTDIR:
#   text-SIZE.txt             bench/gen_corpus.py text SIZE (the uncompressed reference)
#   text-SIZE.txt.gz          gzip -6, one member
#   text-SIZE.members.gz      gzip -6 of every 64 KiB piece, concatenated: many members, like a
#                             web crawl's WET files
#   text-SIZE.parts/NN.txt.gz the corpus in 8 pieces, gzip -6 each (the many-files case, -j)
#
# Commands (single thread unless the row says otherwise; a pipeline runs its two processes on
# two cores at once, so wall time flatters it: compare the CPU columns for cost per byte):
#   elvis count -z -j1 FILE.gz
#   elvis count -z -j2 FILE.gz                 (one file on both cores: members decoded in parallel)
#   zcat FILE.gz | elvis count -j1
#   rg -z --count-matches -F elvis FILE.gz     (rg -z runs `gzip -d -c` as a child process)
#   igzip -dc FILE.gz | elvis count -j1        (ISA-L's inflater, when installed: the headroom)
#   igzip -dc FILE.gz > /dev/null              (decompression alone: the bound for count -z)
#   elvis -z FILE.gz > out, igzip -dc FILE.gz > out   (the filter against decompression to a file)
#   BASELINE count -z -j1 FILE.gz              (with BASELINE=path/to/an/older/elvis)
#   elvis count -j1 text-SIZE.txt              (no decompression: the scan alone)
#   elvis count -z -j1 / -j2 over the 8-part directory
#   elvis --gzip-output text > out.gz, gzip -1, pigz -1, igzip -1 (compressing; each output inflated
#                                              again and compared)
# Then bench/inflate_compare.cpp (compiled here with g++, with libdeflate and ISA-L when their
# -dev packages are installed) times the libraries alone, in memory, on both gzip files: the
# measurement behind the choice of ISA-L (docs/tuning-log.md, section "gzip").
#
# Prints a markdown report to stdout and writes it to $OUTDIR/gzip-results.md; hyperfine's own
# output goes to $OUTDIR/gzip-timing.log. MB/s are 10^6 uncompressed bytes per second. Exits 1 if
# any count differs from the reference (or a command fails), after writing the report.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"

SIZE=${SIZE:-512M}
RUNS=${RUNS:-3}
ELVIS=${ELVIS:-build/elvis}
OUTDIR=${OUTDIR:-bench/out}
TIMER=${TIMER:-auto}
invocation="SIZE=$SIZE RUNS=$RUNS ELVIS=$ELVIS bench/gzip.sh"

say() { printf '[gzip.sh] %s\n' "$*" >&2; }
die() { printf '[gzip.sh] error: %s\n' "$*" >&2; exit 2; }
source "$here/common.sh"

have python3 || die "python3 is needed"
have gzip || die "gzip is needed"
[[ $ELVIS == /* ]] || ELVIS="$repo/$ELVIS"
[[ -x $ELVIS ]] || die "ELVIS=$ELVIS is not an executable (meson setup build && ninja -C build)"
mkdir -p "$OUTDIR"
install_peers "$OUTDIR/apt.log" isal:igzip pigz:pigz ripgrep:rg hyperfine:hyperfine
log="$OUTDIR/gzip-timing.log"
: > "$log"
use_hyperfine=0
have hyperfine && [[ $TIMER != loop ]] && use_hyperfine=1

# ---- inputs ----------------------------------------------------------------------------------
text="$OUTDIR/text-$SIZE.txt"
if [[ ! -s $text ]]; then
    say "generating $text"
    python3 "$here/gen_corpus.py" text "$SIZE" "$text" > "$text.count.tmp"
    mv "$text.count.tmp" "$text.count"
fi
single="$text.gz"
members="$OUTDIR/text-$SIZE.members.gz"
parts="$OUTDIR/text-$SIZE.parts"
if [[ ! -s $single ]]; then
    say "compressing $single (gzip -6)"
    gzip -6 -c "$text" > "$single.tmp" && mv "$single.tmp" "$single"
fi
if [[ ! -s $members ]]; then
    say "compressing $members (gzip -6 of each 64 KiB piece)"
    split -b 64K --filter='gzip -6 -c' "$text" > "$members.tmp" && mv "$members.tmp" "$members"
fi
if [[ ! -d $parts ]]; then
    say "splitting into $parts/ (8 pieces, gzip -6 each)"
    rm -rf "$parts.tmp" && mkdir -p "$parts.tmp"
    # Pieces end at a newline, so no match is cut in two and the counts add up.
    split -n l/8 -d --additional-suffix=.txt "$text" "$parts.tmp/"
    for f in "$parts.tmp"/*.txt; do gzip -6 "$f"; done
    mv "$parts.tmp" "$parts"
fi
text_bytes=$(stat -c %s "$text")
sync
cat "$text" "$single" "$members" "$parts"/*.gz > /dev/null  # warm the page cache

# The reference: elvis count on the uncompressed text, and gen_corpus.py's own count.
expected=$("$ELVIS" count -j1 "$text" | cut -f2)
if [[ -s $text.count && $(cat "$text.count") != "$expected" ]]; then
    say "!!! elvis count says $expected, gen_corpus.py says $(cat "$text.count")"
    exit 1
fi
say "expected count: $expected"
filtered="$OUTDIR/text-$SIZE.Elvis.txt"
[[ -s $filtered && $filtered -nt $ELVIS ]] || "$ELVIS" < "$text" > "$filtered"

# ---- commands --------------------------------------------------------------------------------
E=$ELVIS
rows="$OUTDIR/gzip-rows.tsv"
: > "$rows"
failures=0

# bench INPUT LABEL CMD [CHECK]: one checked run, then RUNS timed runs. CHECK: `count` (the
# default: the count it prints must equal $expected), `output:FILE` (it writes $out, which must
# equal FILE) or `none` (decompression to /dev/null). Appends INPUT, LABEL, CMD,
# median, best, user, system, check to $rows.
out="$OUTDIR/gzip-out.txt"
bench() {
    local input=$1 label=$2 cmd=$3 how=${4:-count} got check="ok" median="" best="" user="" sys=""
    say "$input: $label: $cmd"
    if ! got=$(bash -c "$cmd" 2>>"$log"); then
        check="FAILED"
    elif [[ $how == count ]]; then
        got=${got##*$'\t'}  # elvis prints TERM<TAB>COUNT; rg prints COUNT
        [[ $got == "$expected" ]] || check="MISMATCH: $got"
    elif [[ $how == output:* ]]; then
        cmp -s "$out" "${how#output:}" || check="OUTPUT DIFFERS"
    fi
    if [[ $check != ok ]]; then
        say "!!! $label: $check"
        failures=$((failures + 1))
    else
        if ((use_hyperfine)); then
            local json="$OUTDIR/gzip-hf.json"
            if ! hyperfine --style basic --runs "$RUNS" --warmup 0 --shell bash --export-json "$json" "$cmd" >>"$log" 2>&1; then
                check="FAILED while timing"
                failures=$((failures + 1))
            fi
            [[ $check == ok ]] && read -r median best user sys < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(r["median"], r["min"], r["user"], r["system"])' "$json")
            rm -f "$json"
        else
            read -r median best user sys < <(python3 - "$cmd" "$RUNS" <<'PY'
import resource, subprocess, sys, time
cmd, runs = sys.argv[1], int(sys.argv[2])
walls, cpu = [], []
for _ in range(runs):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(["bash", "-c", cmd], stdout=subprocess.DEVNULL, check=True)
    walls.append(time.perf_counter() - t0)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.append((r1.ru_utime - r0.ru_utime, r1.ru_stime - r0.ru_stime))
walls.sort()
print(walls[len(walls) // 2], walls[0], sum(c[0] for c in cpu) / runs, sum(c[1] for c in cpu) / runs)
PY
)
        fi
    fi
    printf '%s\n' "$input" "$label" "${cmd//"$repo/"/}" "$median" "$best" "$user" "$sys" "$check" | paste -sd $'\t' >> "$rows"
}

for input in single members; do
    if [[ $input == single ]]; then f=$single; else f=$members; fi
    bench "$input" "elvis count -z" "$E count -z -j1 $f"
    bench "$input" "elvis count -z -j2" "$E count -z -j2 $f"
    bench "$input" "zcat | elvis count" "zcat $f | $E count -j1"
    if have rg; then
        bench "$input" "rg -z --count-matches" "rg -z --count-matches --no-config -F elvis $f"
    else
        printf '%s\t%s\t-\t\t\t\t\tMISSING\n' "$input" "rg -z --count-matches" >> "$rows"
    fi
    if have igzip; then
        bench "$input" "igzip -dc | elvis count" "igzip -dc $f | $E count -j1"
        bench "$input" "igzip -dc > /dev/null" "igzip -dc $f > /dev/null" none
    else
        printf '%s\t%s\t-\t\t\t\t\tMISSING (apt-get install isal)\n' "$input" "igzip -dc | elvis count" >> "$rows"
    fi
    [[ -n ${BASELINE:-} ]] && bench "$input" "baseline count -z" "$BASELINE count -z -j1 $f"
    # The filter's default job, elvis -> Elvis, checked against the filter on the plain text.
    bench "$input" "elvis -z > file" "$E -z $f > $out" "output:$filtered"
    have igzip && bench "$input" "igzip -dc > file" "igzip -dc $f > $out" "output:$text"
done
bench "plain" "elvis count (no gzip)" "$E count -j1 $text"
# Compressing: the filter's --gzip-output against gzip -1, pigz -1 (every core) and igzip -1,
# each checked by inflating it again (igzip's or gzip's -dc) and comparing with the expected text.
gz_out="$OUTDIR/gzip-out.gz"
compress_check() { cmp -s <(gzip -dc "$gz_out") "$1"; }
bench_compress() {
    local label=$1 cmd=$2 expect=$3
    bench "compress" "$label" "$cmd > $gz_out" none
    compress_check "$expect" || { say "!!! $label: its output does not inflate to the expected text"; failures=$((failures + 1)); sed -i '$ s/\tok$/\tOUTPUT DIFFERS/' "$rows"; }
    printf -- '- %s: %s bytes\n' "$label" "$(stat -c %s "$gz_out")" >> "$OUTDIR/gzip-compressed-sizes"
}
: > "$OUTDIR/gzip-compressed-sizes"
bench_compress "elvis --gzip-output" "$E --gzip-output $text" "$filtered"
bench_compress "gzip -1" "gzip -1 -c $text" "$text"
have pigz && bench_compress "pigz -1" "pigz -1 -c $text" "$text"
have igzip && bench_compress "igzip -1" "igzip -1 -c $text" "$text"
bench "8 files" "elvis count -z -j1" "$E count -z -j1 $parts"
bench "8 files" "elvis count -z -j2" "$E count -z -j2 $parts"

# ---- the libraries alone ---------------------------------------------------------------------
libs="$OUTDIR/gzip-libs.md"
: > "$libs"
if have g++; then
    flags=(-lz)
    [[ -f /usr/include/libdeflate.h ]] && flags+=(-DHAVE_LIBDEFLATE -ldeflate)
    [[ -f /usr/include/isa-l/igzip_lib.h ]] && flags+=(-DHAVE_ISAL -lisal)
    say "inflate_compare: ${flags[*]}"
    if g++ -O2 -std=c++20 "$here/inflate_compare.cpp" -o "$OUTDIR/inflate_compare" "${flags[@]}" 2>>"$log"; then
        for f in "$single" "$members"; do
            printf '\n`inflate_compare %s 3`:\n\n' "${f#"$OUTDIR/"}" >> "$libs"
            "$OUTDIR/inflate_compare" "$f" 3 >> "$libs" 2>>"$log" || { say "!!! inflate_compare failed on $f"; failures=$((failures + 1)); }
        done
    else
        say "could not compile inflate_compare (see $log)"
    fi
fi

# ---- report ----------------------------------------------------------------------------------
report="$OUTDIR/gzip-results.md"
python3 - "$rows" "$text_bytes" "$invocation" "$(stat -c %s "$single")" "$(stat -c %s "$members")" \
    "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(uname -r)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" \
    "$(nproc)" "$("$E" --version)" "$(if have rg; then rg --version | sed -n 1p; else echo 'rg missing'; fi)" \
    "$(gzip --version | sed -n 1p)" "$(git -C "$repo" describe --always --dirty 2>/dev/null || echo '?')" \
    "$use_hyperfine" > "$report" <<'PY'
import sys
rows_file, size, invocation, single_size, members_size, date, kernel, cpu, cores, elvis, rg, gz, rev, hf = sys.argv[1:]
size = int(size)
rows = [l.rstrip("\n").split("\t") for l in open(rows_file) if l.strip()]
def mbs(t):
    return size / float(t) / 1e6 if t else None
base = {}  # per input: the zcat pipeline and rg rows, for ratios
for inp, label, cmd, med, best, user, sysc, check in rows:
    if check == "ok" and label in ("zcat | elvis count", "rg -z --count-matches"):
        base[(inp, label)] = (float(med), float(user) + float(sysc))
out = []
out.append(f"`{invocation}` on {date}: {cpu}, {cores} cores, Linux {kernel}; {elvis} (git {rev}), {rg}, {gz}; "
           f"timing: {'hyperfine' if hf == '1' else 'own loop'}.")
out.append("")
out.append(f"Input: {size / 2**20:.0f} MiB of text (`gen_corpus.py text`); one gzip -6 member: "
           f"{int(single_size) / 2**20:.0f} MiB; 64 KiB members: {int(members_size) / 2**20:.0f} MiB. "
           "MB/s = 10^6 uncompressed bytes per second of wall time (median run); CPU = user + system seconds "
           "of all processes; MB/s/CPU = uncompressed bytes per CPU-second, the figure that adds up over cores "
           "and machines. Ratios: elvis count -z over the other row, by wall time and by CPU time (>1: elvis faster/cheaper).")
out.append("")
out.append("| input | command | median s | best s | MB/s | CPU s | MB/s/CPU | × zcat\\|elvis (wall / CPU) | × rg -z (wall / CPU) | count |")
out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
def cell(text):
    return text.replace("|", "\\|")
for inp, label, cmd, med, best, user, sysc, check in rows:
    if check != "ok":
        out.append(f"| {inp} | {cell(label)} | | | | | | | | **{check}** |")
        continue
    med, best, cpu_s = float(med), float(best), float(user) + float(sysc)
    ratios = []
    for other in ("zcat | elvis count", "rg -z --count-matches"):
        if label == "elvis count -z" and (inp, other) in base:
            w, c = base[(inp, other)]
            ratios.append(f"{w / med:.2f} / {c / cpu_s:.2f}")
        else:
            ratios.append("")
    out.append(f"| {inp} | {cell(label)} | {med:.2f} | {best:.2f} | {mbs(med):.0f} | {cpu_s:.2f} | {size / cpu_s / 1e6:.0f} | "
               f"{ratios[0]} | {ratios[1]} | {check} |")
med_of = {(inp, label): float(med) for inp, label, cmd, med, best, user, sysc, check in rows if check == "ok"}
targets = [("elvis count -z", "igzip -dc > /dev/null", 0.9), ("elvis count -z -j2", "igzip -dc > /dev/null", 0.9),
           ("elvis count -z", "rg -z --count-matches", 4.0),
           ("elvis count -z", "baseline count -z", 3.0), ("elvis count -z -j2", "baseline count -z", 3.0),
           ("elvis -z > file", "igzip -dc > file", 0.8),
           ("elvis count -z -j2", "elvis count -z", 1.7), ("elvis --gzip-output", "gzip -1", None),
           ("elvis --gzip-output", "pigz -1", None)]
out.append("")
out.append("Throughput of elvis over the peer's (peer's median time / elvis's), against the targets of the "
           "compressed-crawl issue:")
out.append("")
out.append("| input | elvis | peer | ratio | target |")
out.append("|---|---|---|---:|---:|")
for inp in ("single", "members", "compress"):
    for mine, peer, target in targets:
        if mine == "elvis count -z -j2" and peer == "elvis count -z" and inp != "members":
            continue  # a file of one member is not split into ranges, by design
        if (inp == "compress") != mine.startswith("elvis --gzip-output"):
            continue
        goal = f"≥ {target}" if target else "report"
        if (inp, mine) in med_of and (inp, peer) in med_of:
            r = med_of[(inp, peer)] / med_of[(inp, mine)]
            verdict = "" if not target else " met" if r >= target else " **not met**"
            out.append(f"| {inp} | {cell(mine)} | {cell(peer)} | {r:.2f} | {goal}{verdict} |")
        else:
            out.append(f"| {inp} | {cell(mine)} | {cell(peer)} | (not run) | {goal} |")
out.append("")
out.append("Commands:")
out.append("")
for inp, label, cmd, *_ in rows:
    if cmd != "-":
        out.append(f"- {inp}, {label}: `{cmd}`")
print("\n".join(out))
PY
if [[ -s $OUTDIR/gzip-compressed-sizes ]]; then
    { printf '\nCompressed sizes of the text (elvis: of its Elvis-rewritten output, the same length):\n\n'; cat "$OUTDIR/gzip-compressed-sizes"; } >> "$report"
fi
if [[ -s $libs ]]; then
    { printf '\nThe libraries alone (one thread, input in memory, best of 3; libdeflate: whole buffer, no streaming):\n'; cat "$libs"; } >> "$report"
fi
cat "$report"
record_result gzip "$report"
rm -f "$rows" "$libs"
if ((failures)); then
    say "!!! $failures check(s) failed"
    exit 1
fi
