#!/usr/bin/env bash
# bench/limits.sh: hostile input and limits (bench/limits.py): 100,000 rules and terms, nested
# needles, a gzip bomb, merge's long lines, deep and wide trees; time and peak RSS of elvis and of
# the peers doing the same job, in one invocation. ELVIS=build/elvis; PEER_TIME_LIMIT=60 (s).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
ELVIS=${ELVIS:-build/elvis}
mkdir -p bench/out
source bench/common.sh
install_peers /dev/null ripgrep:rg perl:perl
report=bench/out/limits-results.md
python3 bench/limits.py "$ELVIS" "$report"
record_result limits "$report"
