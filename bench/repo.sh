#!/usr/bin/env bash
# bench/repo.sh: a bulk rename in a checked-out tree, the job sd users ask for (chmln/sd#62) and
# fastmod does: the Linux source of bench/walk.sh (committed once, so that `git checkout` puts it
# back before every run, untimed), spin_lock_irqsave -> spin_lock_irqsave_X in ~3700 of its
# 78,000 files, ignore rules on. `elvis --in-place` against `rg -l | xargs sed -i` and
# `fdfind -X sd` (fd-find and sd from Debian, when installed); then the preview, `elvis --in-place
# --diff`, against one diff(1) per file (`rg -l | sed | diff -u`), and PREV_ELVIS --diff when set.
# Every tool's rewrite is checked to equal elvis's (git diff of the tree). ELVIS=build/elvis; RUNS=3.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
ELVIS=$(realpath "${ELVIS:-build/elvis}")
RUNS=${RUNS:-3}
mkdir -p bench/out
source bench/common.sh
install_peers bench/out/apt.log ripgrep:rg hyperfine:hyperfine git:git xz-utils:xz sd:sd fd-find:fdfind
for tool in rg hyperfine git; do have "$tool" || { echo "repo.sh: $tool is missing; not measured" >&2; exit 1; }; done
sd_fixed=-F; have sd && sd --help 2>&1 | grep -q -- '--string-mode' && sd_fixed=-s

tree=$(realpath "$(kernel_tree)")
if ! git -C "$tree" rev-parse -q --verify HEAD >/dev/null; then
    echo "repo.sh: committing the tree once (git add of $(find "$tree" -type f | wc -l) files)" >&2
    git -C "$tree" add -A && git -C "$tree" -c user.name=bench -c user.email=bench@localhost commit -q -m tree
fi
find=spin_lock_irqsave replace=spin_lock_irqsave_X
restore="git -C '$tree' checkout -q -- ."
eval "$restore"

declare -a rewrite=(
    "elvis --in-place" "'$ELVIS' --in-place --no-progress -f $find -r $replace '$tree'"
    "elvis --in-place --no-fsync" "'$ELVIS' --in-place --no-progress --no-fsync -f $find -r $replace '$tree'"
    "rg -l | xargs sed -i" "rg -l -F $find '$tree' | xargs -d '\n' sed -i 's/$find/$replace/g'")
have fdfind && have sd && rewrite+=("fdfind -X sd" "fdfind --type f . '$tree' -X sd $sd_fixed $find $replace")

# Each tool must leave the tree as elvis does.
agree="all rewrites equal"
reference=$("$ELVIS" --in-place --no-progress -f $find -r $replace "$tree" 2>/dev/null; git -C "$tree" diff | sha1sum)
changed=$(git -C "$tree" diff --name-only | wc -l)
for ((k = 0; k < ${#rewrite[@]}; k += 2)); do
    eval "$restore"; bash -c "${rewrite[k + 1]}" >/dev/null 2>&1 || true
    [[ $(git -C "$tree" diff | sha1sum) == "$reference" ]] || agree="**DIFFERENT: ${rewrite[k]}**"
done
eval "$restore"
echo "repo.sh: $changed files change; $agree" >&2

args=()
for ((k = 0; k < ${#rewrite[@]}; k += 2)); do args+=(-n "${rewrite[k]}" "${rewrite[k + 1]}"); done
hyperfine -S bash -w 1 -r "$RUNS" --style basic --prepare "$restore" --export-json bench/out/repo-rewrite.json \
    "${args[@]}" >&2
eval "$restore"

previews=(-n "elvis --in-place --diff" "'$ELVIS' --in-place --diff -f $find -r $replace '$tree' >/dev/null 2>&1"
          -n "rg -l | sed | diff -u (one diff per file)"
          "rg -l -F $find '$tree' | while IFS= read -r f; do sed 's/$find/$replace/g' \"\$f\" | diff -u \"\$f\" - ; done >/dev/null; true")
[[ -n ${PREV_ELVIS:-} ]] && previews+=(-n "previous elvis --diff (diff(1) per file)"
                                       "'$PREV_ELVIS' --in-place --diff -f $find -r $replace '$tree' >/dev/null 2>&1")
hyperfine -S bash -w 1 -r "$RUNS" --style basic --export-json bench/out/repo-diff.json "${previews[@]}" >&2

report=bench/out/repo-results.md
python3 - "$report" "$changed" "$agree" <<'PY'
import json, sys
report, changed, agree = sys.argv[1:]
lines = ["# A bulk rename in the Linux source (bench/repo.sh)", "",
         f"spin_lock_irqsave -> spin_lock_irqsave_X: {changed} files change; {agree}.", ""]
for title, name, base in [("Rewrite", "repo-rewrite", "rg -l | xargs sed -i"),
                          ("Preview", "repo-diff", "rg -l | sed | diff -u (one diff per file)")]:
    results = {r["command"]: r for r in json.load(open(f"bench/out/{name}.json"))["results"]}
    cell = lambda text: text.replace("|", "\\|")  # a pipe inside a table cell
    lines += [f"## {title}", "", f"| command | median s | min s | vs {cell(base)} |", "|---|---:|---:|---:|"]
    for command, r in results.items():
        lines.append(f"| {cell(command)} | {r['median']:.2f} | {r['min']:.2f} | {r['median'] / results[base]['median']:.2f}x |")
    lines.append("")
open(report, "w").write("\n".join(lines))
print("\n".join(lines))
PY
record_result repo "$report"
