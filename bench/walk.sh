#!/usr/bin/env bash
# bench/walk.sh: walking a real source tree with its ignore rules on. The Linux kernel source of
# Debian's linux-source-6.1 package, unpacked into bench/out/ and made a git work tree (git init,
# so that its ~300 .gitignore files apply, as for a clone): `elvis count --files` against
# `rg --files` (and `fdfind --type f` when fd-find is installed) in one hyperfine invocation, warm
# cache; the lists are compared too. Target: elvis within 1.2x of rg --files.
# ELVIS=build/elvis; KERNEL_TREE=DIR to use a tree already unpacked; RUNS=10.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
ELVIS=${ELVIS:-build/elvis}
RUNS=${RUNS:-10}
mkdir -p bench/out
source bench/common.sh
install_peers bench/out/apt.log ripgrep:rg hyperfine:hyperfine git:git xz-utils:xz
for tool in rg hyperfine git; do have "$tool" || { echo "walk.sh: $tool is missing; not measured" >&2; exit 1; }; done

tree=$(kernel_tree)

files=$(find "$tree" -name .git -prune -o -type f -print | wc -l)
gitignores=$(find "$tree" -name .gitignore | wc -l)
elvis_list=$(mktemp) rg_list=$(mktemp) git_list=$(mktemp)
trap 'rm -f "$elvis_list" "$rg_list" "$git_list"' EXIT
(cd "$tree" && "$repo/$ELVIS" count --files | sort >"$elvis_list")
(cd "$tree" && rg --files | sort >"$rg_list")
# git lists symbolic links too; a walk without --follow skips them, as rg does.
(cd "$tree" && comm -23 <(git ls-files --cached --others --exclude-standard | sort) <(find . -type l -printf '%P\n' | sort) >"$git_list")
differ=$(comm -3 "$elvis_list" "$rg_list" | wc -l)
differ_git=$(comm -3 "$elvis_list" "$git_list" | wc -l)

commands=(-n "elvis count --files" "$ELVIS count --files $tree"
          -n "rg --files" "rg --files $tree"
          -n "rg --files -j1" "rg --files -j1 $tree")
have fdfind && commands+=(-n "fdfind --type f" "fdfind --type f . $tree")
hyperfine --warmup 2 --runs "$RUNS" --style basic --export-json bench/out/walk.json --output=null "${commands[@]}" >&2

report=bench/out/walk-results.md
python3 - "$report" "$tree" "$files" "$gitignores" "$(wc -l <"$elvis_list")" "$(wc -l <"$rg_list")" "$differ" "$differ_git" <<'EOF'
import json, sys
report, tree, files, gitignores, elvis_n, rg_n, differ, differ_git = sys.argv[1:]
results = {r["command"]: r for r in json.load(open("bench/out/walk.json"))["results"]}
rg = results["rg --files"]["median"]
lines = [f"# Walking {tree} with its ignore rules (bench/walk.sh)", "",
         f"{files} files, {gitignores} .gitignore files; elvis lists {elvis_n}, rg {rg_n}, "
         f"{differ} paths in one list only; against git ls-files --cached --others --exclude-standard (symbolic links left out), {differ_git}.", "",
         "| command | median s | min s | vs rg --files |", "|---|---:|---:|---:|"]
for name, r in results.items():
    lines.append(f"| {name} | {r['median']:.3f} | {r['min']:.3f} | {r['median'] / rg:.2f}x |")
ratio = results["elvis count --files"]["median"] / rg
lines += ["", f"Target: elvis within 1.2x of rg --files: {'met' if ratio <= 1.2 else 'NOT met'} ({ratio:.2f}x)."]
open(report, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
record_result walk "$report"
