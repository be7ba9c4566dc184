#!/usr/bin/env bash
# bench/inplace.sh: `elvis --in-place` against `find -exec sed -i` (one sed per file, \;, and
# many files per sed, +), sd and `rg -l | xargs sed -i`,
# side by side in one invocation, on a fresh copy of (a) a 4000-file news tree and (b) one 1 GiB
# file for every run (hyperfine --prepare makes the copy; it is not timed). Results are checked:
# every tool's rewritten tree must equal elvis's.
#
#   bench/inplace.sh          RUNS=5 (default); ELVIS=build/elvis; BIG=1G (size of the one file)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
ELVIS=$(realpath "${ELVIS:-build/elvis}")
RUNS=${RUNS:-5}
BIG=${BIG:-1G}
OUT=$repo/bench/out
mkdir -p "$OUT"
say() { printf '[inplace.sh] %s\n' "$*" >&2; }
source bench/common.sh
install_peers /dev/null ripgrep:rg sd:sd hyperfine:hyperfine
command -v hyperfine >/dev/null || { say "hyperfine is missing: cannot time"; exit 2; }
# Debian's sd 0.7 spells fixed strings -s; sd 1.x spells them -F.
sd_fixed=-F; sd --help 2>&1 | grep -q -- '--string-mode' && sd_fixed=-s

news=$OUT/news-4000
[[ -d $news ]] || python3 bench/gen_corpus.py news "$news" 4000 >/dev/null
big=$OUT/text-$BIG.txt
[[ -f $big ]] || python3 bench/gen_corpus.py text "$BIG" "$big" >/dev/null
work=$OUT/inplace-work

report=$OUT/inplace-results.md
{
  echo "# elvis --in-place benchmark"
  echo
  echo "$(date -u +%F) · $(uname -r) · $(nproc) cores · command: \`bench/inplace.sh\` (RUNS=$RUNS; a fresh copy per run, not timed)"
  echo
} > "$report"

bench_tree() {  # title, source (file or dir), bytes
  local title=$1 src=$2 bytes=$3 target
  target=$work/$(basename "$src")
  local prepare="rm -rf '$work' && mkdir -p '$work' && cp -a '$src' '$work/' && sync"
  # Check: every tool's result equals elvis's.
  local agree="all outputs equal"
  eval "$prepare"; "$ELVIS" --in-place --no-progress "$target" 2>/dev/null; cp -a "$target" "$OUT/inplace-ref"
  for cmd in "find '$target' -type f -exec sed -i 's/elvis/Elvis/g' {} +" \
             "find '$target' -type f -exec sed -i 's/elvis/Elvis/g' {} \\;" \
             "find '$target' -type f -print0 | xargs -0 sd $sd_fixed elvis Elvis" \
             "rg -l -F elvis '$target' | xargs -d '\n' sed -i 's/elvis/Elvis/g'"; do
    eval "$prepare"; bash -c "$cmd"
    diff -r -q "$OUT/inplace-ref" "$target" >/dev/null || agree="**DIFFERENT: $cmd**"
  done
  rm -rf "$OUT/inplace-ref"
  say "$title: $agree"
  local json=$OUT/inplace-$(echo "$title" | tr -c 'a-z0-9' '-').json
  hyperfine -S bash -w 1 -r "$RUNS" --export-json "$json" --prepare "$prepare" \
    -n "elvis --in-place" "'$ELVIS' --in-place --no-progress '$target' 2>/dev/null" \
    -n "elvis --in-place --no-fsync" "'$ELVIS' --in-place --no-progress --no-fsync '$target' 2>/dev/null" \
    -n "find -exec sed -i {} +" "find '$target' -type f -exec sed -i 's/elvis/Elvis/g' {} +" \
    -n "find -exec sed -i {} \\;" "find '$target' -type f -exec sed -i 's/elvis/Elvis/g' {} \\;" \
    -n "sd" "find '$target' -type f -print0 | xargs -0 sd $sd_fixed elvis Elvis" \
    -n "rg -l | xargs sed -i" "rg -l -F elvis '$target' | xargs -d '\n' sed -i 's/elvis/Elvis/g'" >&2
  {
    echo "## $title ($bytes bytes) — $agree"
    echo
    python3 bench/peers_table.py "$json" --versus "find -exec sed -i {} +" --versus "find -exec sed -i {} \\;" --bytes "$bytes"
  } >> "$report"
}

bench_tree "news tree (4000 files)" "$news" "$(du -sb "$news" | cut -f1)"
bench_tree "one $BIG file" "$big" "$(du -sb "$big" | cut -f1)"
rm -rf "$work"
cat "$report"
record_result inplace "$report"
