#!/usr/bin/env bash
# The whole test suite: unit, integration, load, browser and fault tests, built twice
# (release, and ASan+UBSan), each tree run through CTest, plus sendq's threads under TSan
# (unit_sendq_tsan, release tree). Exits non-zero if anything fails.
#
# Most tests wait on servers, timers and browsers rather than on the CPU, so the two trees
# overlap in two streams: the ASan tree's build, browser tests (RUN_SERIAL, one at a time)
# and fault tests; beside it, the release tree's build, load, unit, integration (ctest -j2)
# and fault tests, then the ASan tree's unit, integration and load tests. The browser tests
# run in the ASan tree only (the same code as release, with memory errors caught). Each
# stream's output goes to a log in its tree and is printed when the stream ends; the times
# of every phase are printed at the end. GX_SUITE_SERIAL=1 runs one phase after the other.
# ccache is used when installed (.ci/deps installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -gt 2 ] || jobs=2
# The browser tests drive Debian's Chromium through playwright-core; openapi.mjs validates with
# @seriousme/openapi-schema-validator and ajv (all pinned in the lock file). Installed again
# when the lock file is newer than what npm last installed (a package added).
lock=tests/browser/package-lock.json installed=tests/browser/node_modules/.package-lock.json
if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -f "$installed" ] || [ "$lock" -nt "$installed" ]; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache)
  # hits across clones in other folders (CI clones afresh): paths relative to the checkout
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
fi
with_asan_env() {
  (
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    "$@"
  )
}
rel=build-test
asan=build-asan

times=$(mktemp)
t_start=$(date +%s.%N)
# phase NAME CMD...: runs CMD, notes how long it took (and whether it failed).
phase() {
  local name=$1 t0 rc=0
  shift
  t0=$(date +%s.%N)
  "$@" || rc=$?
  printf '%s\t%s\t%s\t%s\n' "$name" "$t0" "$(date +%s.%N)" "$rc" >>"$times"
  return $rc
}
ctest_in() { # ctest_in DIR ARGS...
  local dir=$1
  shift
  ctest --test-dir "$dir" --output-on-failure --timeout 300 "$@"
}
# stream NAME LOG CMD...: a phase run in the background, its output in LOG; the caller waits.
stream() {
  local name=$1 log=$2
  shift 2
  ("$@") >"$log" 2>&1 &
  pids+=($!)
  names+=("$name")
  logs+=("$log")
}
# finish: waits for every stream, prints their logs in order, fails if one failed.
finish() {
  local bad=0 i
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
      bad=1
      echo "== ${names[$i]}: FAILED" >&2
    fi
    echo "== ${names[$i]} (log: ${logs[$i]})"
    cat "${logs[$i]}"
  done
  pids=() names=() logs=()
  return $bad
}
pids=() names=() logs=()

report() {
  local end
  end=$(date +%s.%N)
  echo "== phase times (s; phases in one stage overlap)"
  awk -F'\t' -v t0="$t_start" '{ printf "  %-44s %7.1f  at %6.1f%s\n", $1, $3 - $2, $2 - t0,
         ($4 != 0 ? "  FAILED" : "") }' "$times"
  awk -v a="$t_start" -v b="$end" 'BEGIN { printf "  %-44s %7.1f\n", "total", b - a }'
}
trap 'report; rm -f "$times"' EXIT

echo "== configure"
phase "configure release" cmake -S . -B $rel -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
phase "configure asan" cmake -S . -B $asan -DCMAKE_BUILD_TYPE=Debug -DGX_SANITIZE=ON -DGX_DEBUG_ASSERT=ON "${launcher[@]}" >/dev/null
# Every test carries one of the labels the stages below select: one without would never run.
unlabeled=$(ctest --test-dir $rel -N -LE 'unit|integration|browser|load|faults' | sed -n 's/^Total Tests: //p')
if [ "$unlabeled" != 0 ]; then
  ctest --test-dir $rel -N -LE 'unit|integration|browser|load|faults' >&2
  echo "tests/run.sh: $unlabeled test(s) without a label (unit, integration, browser, load, faults)" >&2
  exit 1
fi
if [ "${GX_SUITE_SERIAL:-0}" = 1 ]; then
  phase "build release" cmake --build $rel -j "$jobs"
  phase "ctest release -LE faults|browser" ctest_in $rel -j 2 -LE 'faults|browser'
  phase "faults release" bash tests/faults.sh $rel
  phase "build asan" cmake --build $asan -j "$jobs"
  phase "ctest asan -LE faults" with_asan_env ctest_in $asan -j 2 -LE faults
  phase "faults asan" with_asan_env bash tests/faults.sh $asan
  exit 0
fi

# The browser tests run in the ASan tree only: the same server code as release, with memory
# errors caught, and Chromium's time is the suite's longest serial stretch. The release tree
# keeps the timing-sensitive load tests, unit, integration and faults.
#
# Stream 1: the ASan build, its browser tests (RUN_SERIAL: one Chromium scenario at a time),
# its fault tests. Stream 2, beside it: the release build, its load, unit, integration and
# fault tests, then ASan's unit and integration tests.
asan_serial() {
  local ok=1
  phase "build asan" cmake --build $asan -j "$jobs" || ok=0
  [ $ok = 1 ] && touch "$asan/.built" || touch "$asan/.failed"
  [ $ok = 1 ] || return 1
  phase "ctest asan -L browser" with_asan_env ctest_in $asan -L browser || ok=0
  phase "faults asan" with_asan_env bash tests/faults.sh $asan || ok=0
  [ $ok = 1 ]
}
release_then_asan_parallel() {
  local ok=1 i
  phase "build release (niced)" nice -n 5 cmake --build $rel -j "$jobs" || return 1
  phase "ctest release -L load" ctest_in $rel -L load || ok=0
  phase "ctest release -L unit|integration" ctest_in $rel -j 2 -L 'unit|integration' || ok=0
  phase "faults release" bash tests/faults.sh $rel || ok=0
  # the other stream starts with the ASan build: wait for it (bounded) if it is not done
  for i in $(seq 1 900); do
    [ -e "$asan/.built" ] || [ -e "$asan/.failed" ] && break
    sleep 1
  done
  [ -e "$asan/.built" ] || return 1
  phase "ctest asan -L unit|integration|load" with_asan_env ctest_in $asan -j 2 -L 'unit|integration|load' || ok=0
  [ $ok = 1 ]
}
rm -f "$asan/.built" "$asan/.failed"
echo "== asan build, browser, faults | release build, load, unit+integration, faults; asan unit+integration+load"
stream "asan: build, browser, faults" $asan/suite-serial.log asan_serial
stream "release: build, load, unit, integration, faults; asan: unit, integration, load" \
  $rel/suite-parallel.log release_then_asan_parallel
finish
