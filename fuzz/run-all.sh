#!/usr/bin/env bash
# Runs every fuzzer for DURATION_SECONDS each, one after another, on a temporary copy of its seed
# corpus (the repository is never written to), after replaying fuzz/regressions/. Exits non-zero
# if a regression input fails or a fuzzer finds a crash, leak, timeout or mismatch.
#
#   fuzz/run-all.sh DURATION_SECONDS
#
# Environment:
#   ELVIS_FUZZ_BUILD      fuzz build directory (default: build-fuzz in the checkout); configured with
#                         CXX=clang++ meson setup ... -Dfuzz=true -Dbuildtype=debugoptimized if missing
#   ELVIS_FUZZ_ARTIFACTS  where crash inputs and logs go (default: $ELVIS_FUZZ_BUILD/fuzz-artifacts)
#   CXX                   compiler for a fresh configure (default: clang++)
set -euo pipefail

usage() { echo "usage: $0 DURATION_SECONDS" >&2; exit 2; }
[[ $# -eq 1 && $1 =~ ^[0-9]+$ && $1 -gt 0 ]] || usage
duration=$1

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${ELVIS_FUZZ_BUILD:-$repo/build-fuzz}
artifacts=${ELVIS_FUZZ_ARTIFACTS:-$build/fuzz-artifacts}
fuzzers=(fuzz_rewrite fuzz_count fuzz_ranges fuzz_options)

if [[ ! -f $build/build.ninja ]]; then
    CXX=${CXX:-clang++} meson setup "$build" "$repo" -Dfuzz=true -Dbuildtype=debugoptimized
elif ! meson introspect --buildoptions "$build" | grep -q '"name": "fuzz", "value": true'; then
    echo "$build is not a fuzz build (-Dfuzz=true); set ELVIS_FUZZ_BUILD to another directory" >&2
    exit 2
fi
targets=()
for f in "${fuzzers[@]}"; do targets+=("fuzz/$f" "fuzz/${f/fuzz_/replay_}"); done
ninja -C "$build" "${targets[@]}"

work=$(mktemp -d "${TMPDIR:-/tmp}/elvis-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
for f in "${fuzzers[@]}"; do
    replay=$build/fuzz/${f/fuzz_/replay_}
    regressions=$repo/fuzz/regressions/$f
    if [[ -d $regressions ]] && [[ -n $(ls -A "$regressions") ]]; then
        echo "== $f: replaying $regressions"
        if ! "$replay" "$regressions" > "$artifacts/$f-regressions.log" 2>&1; then
            tail -n 40 "$artifacts/$f-regressions.log"
            echo "FAIL: $f: a regression input fails (log: $artifacts/$f-regressions.log)" >&2
            status=1
        fi
    fi

    echo "== $f: fuzzing for ${duration}s"
    mkdir -p "$work/$f" "$artifacts/$f"
    cp -R "$repo/fuzz/corpus/$f/." "$work/$f/"
    log=$artifacts/$f.log
    if "$build/fuzz/$f" "$work/$f" -dict="$repo/fuzz/$f.dict" -max_total_time="$duration" -timeout=30 \
        -artifact_prefix="$artifacts/$f/" -print_final_stats=1 > "$log" 2>&1; then
        grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1 || true
        grep -E '^stat::' "$log" || true
    else
        tail -n 60 "$log"
        echo "FAIL: $f found a problem; input(s) in $artifacts/$f/, log: $log" >&2
        ls -l "$artifacts/$f/" >&2 || true
        status=1
    fi
done
exit $status
