#!/usr/bin/env bash
# bench/count.sh: `elvis count` against ripgrep, grep and ugrep, side by side in one invocation,
# warm cache, on (a) 4000 RSS-like news files, (b) one 1 GiB text file, (c) a real source tree
# found on this machine (/usr/include). Every tool's count is checked against elvis's first.
#
#   bench/count.sh            RUNS=10 (default) timed runs per command; ELVIS=build/elvis
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
ELVIS=${ELVIS:-build/elvis}
RUNS=${RUNS:-10}
OUT=bench/out
mkdir -p "$OUT"
say() { printf '[count.sh] %s\n' "$*" >&2; }

source bench/common.sh
install_peers /dev/null ripgrep:rg ugrep:ugrep hyperfine:hyperfine
command -v hyperfine >/dev/null || { say "hyperfine is missing: cannot time"; exit 2; }

news=$OUT/news-4000
[[ -d $news ]] || python3 bench/gen_corpus.py news "$news" 4000 >/dev/null
big=$OUT/text-1G.txt
[[ -f $big ]] || python3 bench/gen_corpus.py text 1G "$big" >/dev/null
tree=/usr/include

report=$OUT/count-results.md
{
  echo "# elvis count benchmark"
  echo
  echo "$(date -u +%F) · $(uname -r) · $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') · $(nproc) cores"
  echo "· command: \`bench/count.sh\` (RUNS=$RUNS, hyperfine median of $RUNS runs after 2 warm-ups)"
  echo
} > "$report"

bench_one() {  # title, term, path, bytes
  local title=$1 term=$2 path=$3 bytes=$4
  local e r g u
  e=$($ELVIS count -t "$term" "$path" | cut -f2)
  r=$(rg --no-config --count-matches -F "$term" "$path" | awk -F: '{s+=$NF} END {print s+0}')
  g=$(grep -rFo "$term" "$path" | wc -l)
  u=$(ugrep -rpFo "$term" "$path" | wc -l)  # -p: no symlinks followed, as rg and grep -r
  say "$title: counts elvis=$e rg=$r grep=$g ugrep=$u"
  local agree="all agree ($e)"
  [[ $e == "$r" && $e == "$g" && $e == "$u" ]] || agree="**DISAGREE: elvis=$e rg=$r grep=$g ugrep=$u**"
  local json=$OUT/count-$(echo "$title" | tr -c 'a-z0-9' '-').json
  hyperfine -S bash -w 2 -r "$RUNS" --export-json "$json" \
    -n "elvis count" "$ELVIS count -t '$term' '$path'" \
    -n "elvis count --io=posix" "$ELVIS count --io=posix -t '$term' '$path'" \
    -n "rg --count-matches -F" "rg --no-config --count-matches -F '$term' '$path' | awk -F: '{s+=\$NF} END {print s}'" \
    -n "grep -rFo | wc -l" "grep -rFo '$term' '$path' | wc -l" \
    -n "ugrep -rpFo | wc -l" "ugrep -rpFo '$term' '$path' | wc -l" >&2
  {
    echo "## $title: \`$term\` in $path ($bytes bytes) — counts: $agree"
    echo
    python3 bench/peers_table.py "$json" --versus "rg --count-matches -F" --bytes "$bytes"
  } >> "$report"
}

bytes_of() { du -sb "$1" | cut -f1; }
bench_one "news (4000 files)" president "$news" "$(bytes_of "$news")"
bench_one "one 1 GiB file" elvis "$big" "$(bytes_of "$big")"
bench_one "source tree /usr/include" static "$tree" "$(bytes_of "$tree")"
cat "$report"
record_result count "$report"
