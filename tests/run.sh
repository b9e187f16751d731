#!/usr/bin/env bash
# The whole test suite: unit, integration, load, browser and fault tests, built twice
# (release, and ASan+UBSan with debug asserts), plus sendq's threads under TSan
# (unit_sendq_tsan, release tree). Exits non-zero if anything fails.
#
# What runs where: the ASan tree runs everything (unit, integration, load, browser, faults);
# the release tree runs what depends on optimized timing or on the release binary (unit,
# load, browser_liveness: label timing, and the .deb: label package). The integration and
# fault tests run once, under ASan: a second run in the release tree reached no code the
# first did not. GX_SUITE_SERIAL=1 runs everything in both trees, one test at a time.
#
# Most tests wait on servers, timers and browsers rather than on the CPU, so they run several
# at a time, in two streams (below). Each stream's output goes to a log in its tree and is
# printed when the stream ends; the times of every phase are printed at the end.
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
# Ninja when installed (.ci/deps installs it): 40% less CPU than make for the same build, and a
# no-op build (cpack's preinstall, in deb_package) in 0.1 s instead of 5-8. A tree that make
# configured keeps make: cmake cannot switch a tree's generator.
generator() { # generator DIR: the -G to configure DIR with, if any
  if command -v ninja >/dev/null 2>&1 && ! grep -qs '^CMAKE_GENERATOR:INTERNAL=Unix Makefiles' "$1/CMakeCache.txt"; then
    echo "-GNinja"
  fi
}

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
# The release tree's install (cpack's, in deb_package) does not build "all" first: that tree
# builds only what its tests run (below).
phase "configure release" cmake -S . -B $rel $(generator $rel) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON "${launcher[@]}" >/dev/null
phase "configure asan" cmake -S . -B $asan $(generator $asan) -DCMAKE_BUILD_TYPE=Debug -DGX_SANITIZE=ON -DGX_DEBUG_ASSERT=ON "${launcher[@]}" >/dev/null
# Every test carries one of the labels the stages below select: one without would never run.
unlabeled=$(ctest --test-dir $rel -N -LE 'unit|integration|browser|load|faults|package' | sed -n 's/^Total Tests: //p')
if [ "$unlabeled" != 0 ]; then
  ctest --test-dir $rel -N -LE 'unit|integration|browser|load|faults|package' >&2
  echo "tests/run.sh: $unlabeled test(s) without a label (unit, integration, browser, load, faults, package)" >&2
  exit 1
fi
if [ "${GX_SUITE_SERIAL:-0}" = 1 ]; then
  phase "build release" cmake --build $rel -j "$jobs"
  phase "ctest release -LE faults" ctest_in $rel -LE faults
  phase "faults release" bash tests/faults.sh $rel
  phase "build asan" cmake --build $asan -j "$jobs"
  phase "ctest asan -LE faults|timing" with_asan_env ctest_in $asan -LE 'faults|timing'
  phase "faults asan" with_asan_env bash tests/faults.sh $asan
  exit 0
fi

# Stream 1: the ASan build, then its browser tests two at a time (each its own gigcxd, Redis
# and Chromium on ports of its own), then browser_liveness in the release tree, then the ASan
# tree's fault tests (mostly waiting on failover and health-check timers). Stream 2, beside
# it: the release build (niced: the ASan tree's tests wait for their build), its unit, load
# and package tests, then the ASan tree's unit, integration and load tests three at a time.
# The machine has two cores and the browsers use most of one: more at once only makes every
# test slower and the timing ones flaky.
asan_browser() {
  local ok=1
  phase "build asan" cmake --build $asan -j "$jobs" || ok=0
  [ $ok = 1 ] && touch "$asan/.built" || touch "$asan/.failed"
  [ $ok = 1 ] || return 1
  phase "ctest asan -L browser -LE timing -j2" with_asan_env ctest_in $asan -j 2 -L browser -LE timing || ok=0
  await_build $rel || return 1
  phase "ctest release -L timing" ctest_in $rel -L timing || ok=0
  phase "faults asan" with_asan_env bash tests/faults.sh $asan || ok=0
  [ $ok = 1 ]
}
release_then_asan() {
  local ok=1
  phase "build release (niced)" nice -n 5 cmake --build $rel -j "$jobs" --target $(release_targets) || ok=0
  [ $ok = 1 ] && touch "$rel/.built" || touch "$rel/.failed"
  [ $ok = 1 ] || return 1
  phase "ctest release -L unit|load|package" ctest_in $rel -j 2 -L 'unit|load|package' -LE timing || ok=0
  await_build $asan || return 1
  phase "ctest asan -L unit|integration|load -j3" with_asan_env ctest_in $asan -j 3 -L 'unit|integration|load' || ok=0
  [ $ok = 1 ]
}
# release_targets: what the release tree's tests run (labels unit, load, package, timing):
# gigcxd, gigcx-loadtest, the unit tests and the two load-test drivers, not the 40 integration
# test programs only the ASan tree runs. (ctest cannot list a test's program before it is
# built; a test whose program is missing here fails as "Could not find executable".) With
# make: "all".
release_targets() {
  if grep -qs '^CMAKE_GENERATOR:INTERNAL=Ninja' "$rel/CMakeCache.txt"; then
    echo gigcxd gigcx-loadtest tests/unit/all it_loadtest it_drain
  else
    echo all
  fi
}
# await_build DIR: waits (bounded) for the stream building DIR to finish; fails if it failed
await_build() {
  local i
  for i in $(seq 1 900); do
    [ -e "$1/.built" ] || [ -e "$1/.failed" ] && break
    sleep 1
  done
  [ -e "$1/.built" ]
}
rm -f "$asan/.built" "$asan/.failed" "$rel/.built" "$rel/.failed"
echo "== asan build, browser; liveness; asan faults | release build, unit, load, package; asan unit, integration, load"
stream "asan: build, browser; release: liveness; asan: faults" $asan/suite-browser.log asan_browser
stream "release: build, unit, load, package; asan: unit, integration, load" $rel/suite-rest.log release_then_asan
finish
