#!/usr/bin/env bash
# bench/manyterms.sh: counting and rewriting with many terms, per core (-j1), against ripgrep and
# Hyperscan side by side in one invocation, warm cache. The corpus is SIZE bytes (default 64M) of
# the C and C++ headers under /usr/include (SRC to change it), concatenated; the term sets are its
# identifiers, the most frequent (dense) and ones that occur at most 4 times (rare), 1 to 100,000
# of them (bench/manyterms.py). Hyperscan is bench/hs_count.cpp, built here against Debian's
# libhyperscan-dev. Counts are checked: elvis's per-term counts against Hyperscan's (which agree
# but for terms that overlap themselves), and the totals of `elvis count --exclusive` and rg.
#
#   bench/manyterms.sh        RUNS=5 timed runs per command; ELVIS=build/elvis; SIZES="1 17 ..."
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
ELVIS=${ELVIS:-build/elvis}
RUNS=${RUNS:-5}
SIZE=${SIZE:-64M}
SRC=${SRC:-/usr/include}
SIZES=${SIZES:-1 17 32 64 1000 10000 100000}
OUT=bench/out/manyterms
mkdir -p "$OUT"
say() { printf '[manyterms.sh] %s\n' "$*" >&2; }

source bench/common.sh
install_peers /dev/null ripgrep:rg hyperfine:hyperfine perl:perl
have hyperfine || { say "hyperfine is missing: cannot time"; exit 2; }
if [[ ! -f /usr/include/hs/hs.h && $(id -u) == 0 ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libhyperscan-dev >>"$OUT/apt.log" 2>&1 || true
fi
hs=""
if [[ -f /usr/include/hs/hs.h ]]; then
  hs=$OUT/hs_count
  [[ $hs -nt bench/hs_count.cpp ]] || c++ -O2 -std=c++17 -o "$hs" bench/hs_count.cpp -lhs
else
  say "libhyperscan-dev is missing: Hyperscan reported as MISSING"
fi
have rg || say "ripgrep is missing: reported as MISSING"

corpus=$OUT/corpus-$SIZE.c
[[ -f $corpus ]] || python3 bench/manyterms.py corpus "$SRC" "$(numfmt --from=iec "$SIZE")" "$corpus" >&2
bytes=$(stat -c %s "$corpus")
# shellcheck disable=SC2086
python3 bench/manyterms.py terms "$corpus" "$OUT" $SIZES > "$OUT/sets.txt"

report=$OUT/manyterms-results.md
{
  echo "# elvis count with many terms, per core"
  echo
  echo "$(date -u +%F) · $(uname -r) · $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') · $(nproc) cores"
  echo "· command: \`bench/manyterms.sh\` (RUNS=$RUNS, SIZE=$SIZE, SRC=$SRC; hyperfine median of $RUNS runs after 1 warm-up)"
  echo "· peers: $(rg --version 2>/dev/null | head -1 || echo 'rg MISSING'); Hyperscan $(dpkg-query -W -f '${Version}' libhyperscan-dev 2>/dev/null || echo MISSING) (bench/hs_count.cpp, block mode, match events per literal, compile included); $(perl -e 'print "perl $^V"')"
  echo "· corpus: $bytes bytes of headers under $SRC; terms: its identifiers (bench/manyterms.py)"
  echo
  echo "Ratios are the peer's time over elvis's (above 1: elvis is faster); whole processes, and for"
  echo "Hyperscan also its scan alone (its own clock: no load, no compile) against elvis's whole run."
  echo
  echo "| set | terms | elvis count -j1 MB/s | rg MB/s | Hyperscan MB/s | x rg | x Hyperscan | counts |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
} > "$report"
details=$OUT/manyterms-details.md
: > "$details"

median() { python3 -c 'import json,statistics,sys; r=json.load(open(sys.argv[1]))["results"]; print(" ".join("%.4f" % statistics.median(x["times"]) for x in r))' "$1"; }

# check_counts SET: per-term counts of elvis against Hyperscan (a difference must be a term that
# overlaps itself), and the totals of elvis --exclusive against rg (which agree when no term is
# a prefix of another: rg takes the first pattern that matches, elvis the longest).
check_counts() {
  local set=$1 e x r h
  e=$($ELVIS count -j1 --terms-file "$set" "$corpus")
  x=$($ELVIS count -j1 --exclusive --terms-file "$set" "$corpus" | awk -F'\t' '{s+=$2} END {print s+0}')
  r=$( (have rg && rg --no-config --count-matches -F -f "$set" "$corpus") || echo MISSING)
  h=""
  [[ -n $hs ]] && h=$("$hs" "$set" "$corpus" 2>/dev/null)
  python3 - "$x" "$r" <<EOF
import sys
def table(text):
    return [tuple(l.rsplit("\t", 1)) for l in text.splitlines() if l]
elvis = table("""$e""")
hs = table("""$h""")
def overlaps_itself(t):
    return any(t[:k] == t[-k:] for k in range(1, len(t)))
parts = []
if hs:
    differ = [t for (t, a), (_, b) in zip(elvis, hs) if a != b]
    bad = [t for t in differ if not overlaps_itself(t)]
    parts.append(f"Hyperscan: {len(elvis) - len(differ)}/{len(elvis)} terms equal"
                 + (f", {len(differ)} overlap themselves" if differ and not bad else "")
                 + (f", **{len(bad)} DIFFER: {bad[:3]}**" if bad else ""))
total = sum(int(c) for _, c in elvis)
x, r = sys.argv[1], sys.argv[2]
parts.append(f"total {total}; exclusive {x} " + ("= rg" if x == r else f"vs rg {r}"))
print("; ".join(parts))
EOF
}

for n in $SIZES; do
  for kind in rare dense; do
    set=$OUT/$kind-$n.txt
    counts=$(check_counts "$set")
    say "$kind-$n: $counts"
    json=$OUT/count-$kind-$n.json
    args=(-n "elvis count -j1" "$ELVIS count -j1 --terms-file '$set' '$corpus'")
    have rg && args+=(-n "rg -F --count-matches -f" "rg --no-config --count-matches -F -f '$set' '$corpus'")
    [[ -n $hs ]] && args+=(-n "hyperscan" "'$hs' '$set' '$corpus' 2>/dev/null")
    hyperfine -S bash -w 1 -r "$RUNS" --export-json "$json" "${args[@]}" >&2
    scan=""  # Hyperscan's own scan time, without loading and compiling
    [[ -n $hs ]] && scan=$("$hs" "$set" "$corpus" 2>&1 >/dev/null | sed -n 's/.*scan \([0-9.]*\) s.*/\1/p')
    read -r -a t <<<"$(median "$json")"
    python3 - "$kind" "$n" "$bytes" "${t[0]}" "${t[1]:-0}" "${t[2]:-0}" "$(have rg && echo 1 || echo 0)" "$( [[ -n $hs ]] && echo 1 || echo 0)" "${scan:-0}" "$counts" >> "$report" <<'EOF'
import sys
kind, n, size, e, a, b, has_rg, has_hs, scan, counts = sys.argv[1:]
size, e, a, b, scan = int(size), float(e), float(a), float(b), float(scan)
rg = a if has_rg == "1" else None
hs = (b if has_rg == "1" else a) if has_hs == "1" else None
mb = lambda t: f"{size / t / 1e6:.0f}" if t else "MISSING"
ratio = lambda t: f"{t / e:.2f}" if t else "n/a"
print(f"| {kind} | {n} | {mb(e)} | {mb(rg)} | {mb(hs)} ({mb(scan)} scan only) | {ratio(rg)} | {ratio(hs)} ({ratio(scan)}) | {counts} |")
EOF
    { echo "## count, $kind-$n"; echo; python3 bench/peers_table.py "$json" --versus "elvis count -j1" --bytes "$bytes"; } >> "$details"
  done
done

# Building the automaton for the largest set, alone: the terms over an empty input.
largest=$OUT/rare-${SIZES##* }.txt
# (count exits 1 when no term is found: /usr/bin/time passes that on)
build=$( { /usr/bin/time -f '%e s, %M KiB' "$ELVIS" count -j1 --terms-file "$largest" /dev/null >/dev/null || true; } 2>&1 | tail -1)
full=$( { /usr/bin/time -f '%e s, %M KiB' "$ELVIS" count -j1 --terms-file "$largest" "$corpus" >/dev/null || true; } 2>&1 | tail -1)
{
  echo
  echo "Building for $(wc -l < "$largest") terms over an empty input: $build (peak RSS); over the corpus: $full."
  echo
  echo "## Rewriting with 1000 rules (TERM -> TERM_X), file to file (the filter runs on one core)"
  echo
} >> "$report"

for kind in dense rare; do
  set=$OUT/$kind-1000.txt
  [[ -f $set ]] || continue
  rules=$OUT/$kind-1000.rules
  python3 bench/manyterms.py rules "$set" "$rules"
  # perl with the alternation longest first, which is leftmost-longest: the same output.
  alternation=$(awk -F'\t' '{print length($1) "\t" $1}' "$rules" | sort -k1,1nr -s | cut -f2 | paste -sd'|')
  printf '%s\n' "$alternation" > "$OUT/$kind-1000.alt"
  perl_cmd="perl -e 'open(A,\"<\",\"$OUT/$kind-1000.alt\"); chomp(my \$a=<A>); my \$r=qr/(\$a)/; while(<STDIN>){s/\$r/\$1_X/g; print}' < '$corpus' > '$OUT/perl.out'"
  elvis_cmd="$ELVIS --rules '$rules' < '$corpus' > '$OUT/elvis.out'"
  bash -c "$elvis_cmd"
  bash -c "$perl_cmd"
  same="outputs differ"
  cmp -s "$OUT/elvis.out" "$OUT/perl.out" && same="outputs equal"
  changed=$($ELVIS count -j1 --exclusive --terms-file "$set" "$corpus" | awk -F'\t' '{s+=$2} END {print s+0}')
  json=$OUT/rewrite-$kind.json
  hyperfine -S bash -w 1 -r "$RUNS" --export-json "$json" -n "elvis --rules" "$elvis_cmd" -n "perl s/(alternation)/" "$perl_cmd" >&2
  {
    echo "### $kind: $changed replacements ($(python3 -c "print(f'one per {$bytes / max($changed, 1):.0f} bytes')")), $same"
    echo
    python3 bench/peers_table.py "$json" --versus "perl s/(alternation)/" --bytes "$bytes"
  } >> "$report"
done

cat "$details" >> "$report"
cat "$report"
record_result manyterms "$report"
