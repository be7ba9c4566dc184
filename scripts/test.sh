#!/usr/bin/env bash
# Builds and runs every test: the release build, the same suite under ASan+UBSan, the unit tests
# (counting and parallel code included) under TSan, and each fuzzer for a bounded time. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
bash scripts/install-deps.sh --fuzz

summary=()
run_suite() {  # name, build dir, meson setup options...
  local name=$1 dir=$2
  shift 2
  [[ -f $dir/build.ninja ]] || meson setup "$dir" "$@" >/dev/null
  meson compile -C "$dir" >/dev/null
  local log status=0
  log=$(meson test -C "$dir" --print-errorlogs 2>&1) || status=$?
  echo "$log"
  summary+=("$name: $(grep -E '^(Ok|Fail|Skipped|Timeout):' <<<"$log" | tr -s ' ' | paste -sd ' ')")
  return $status
}

status=0
run_suite "release" build --buildtype=release || status=1
run_suite "asan+ubsan" build-asan --buildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false \
  -Dcpp_args=-fno-sanitize-recover=undefined || status=1
# The counting and parallel code (unit tests) and the filter's writer thread (io_uring tests)
# under ThreadSanitizer; see test/tsan.supp for why io_uring's kernel-shared rings are suppressed.
[[ -f build-tsan/build.ninja ]] || meson setup build-tsan --buildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false >/dev/null
meson compile -C build-tsan test/unit_tests test/uring_tests >/dev/null
for suite in unit_tests uring_tests; do
  code=0
  TSAN_OPTIONS="suppressions=$PWD/test/tsan.supp halt_on_error=1" build-tsan/test/$suite > build-tsan/$suite-tsan.log 2>&1 || code=$?
  if [[ $code -eq 0 ]]; then
    summary+=("tsan: Ok: 1 ($suite, $(grep -o '[0-9]* passed' build-tsan/$suite-tsan.log | head -1) test cases)")
  elif [[ $code -eq 77 ]]; then
    summary+=("tsan: Skipped: 1 ($suite: the kernel refuses io_uring)")
  else
    tail -40 build-tsan/$suite-tsan.log
    summary+=("tsan: Fail: 1 ($suite)"); status=1
  fi
done
if [[ -x fuzz/run-all.sh ]]; then
  if bash fuzz/run-all.sh "$FUZZ_SECONDS"; then summary+=("fuzz: Ok: all ${FUZZ_SECONDS}s runs clean"); else summary+=("fuzz: Fail"); status=1; fi
fi

echo
printf '%s\n' "${summary[@]}"
ok=$(grep -ho 'Ok: *[0-9]*' <<<"${summary[*]}" | awk '{s+=$2} END {print s+0}')
fail=$(grep -ho 'Fail: *[0-9]*' <<<"${summary[*]}" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -ho 'Skipped: *[0-9]*' <<<"${summary[*]}" | awk '{s+=$2} END {print s+0}')
if [[ $status -ne 0 && $fail -eq 0 ]]; then fail=1; fi
echo "tests: $ok passed, $fail failed, $skipped skipped"
exit $status
