#!/usr/bin/env bash
# First-time set-up: installs what is missing, builds elvis, and filters a sample through it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
[[ -f build/build.ninja ]] || meson setup build --buildtype=release >/dev/null
meson compile -C build >/dev/null
sample=$'elvis has left the building.\nEELVIS, elvielvis and e l v i s stay.\n'
printf -- '--- sample in:\n%s' "$sample"
printf -- '--- sample out (build/elvis --stats):\n'
printf '%s' "$sample" | build/elvis --stats
