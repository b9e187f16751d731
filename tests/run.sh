#!/usr/bin/env bash
# The whole test suite: unit and integration tests, built twice (release, and ASan+UBSan),
# each tree run through CTest. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
# The browser tests drive Debian's Chromium through playwright-core (pinned in the lock file).
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi
run_tree() {
  local dir=$1; shift
  cmake -S . -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  ctest --test-dir "$dir" --output-on-failure --timeout 300 -j 2 -LE faults
  bash tests/faults.sh "$dir" # Redis failover and restart, a drain through HAProxy, no fds
}
echo "== release build =="
run_tree build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo
echo "== ASan+UBSan build =="
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_tree build-asan -DCMAKE_BUILD_TYPE=Debug -DGX_SANITIZE=ON -DGX_DEBUG_ASSERT=ON
